"""The checked-in generated code matches proto/ and the protobuf runtime the project requires."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_generator():
    spec = importlib.util.spec_from_file_location("proto_generate", ROOT / "proto" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_code_is_what_the_generator_writes_now(tmp_path):
    generator = load_generator()
    written = generator.generate(tmp_path)
    assert {path.name for path in written} == {"feedback_pb2.py", "feedback_pb2.pyi"}
    stale = generator.stale_files()
    assert stale == [], f"stale generated code {stale}: run `python proto/generate.py` and commit the result"


def test_the_check_fails_on_stale_code(tmp_path, capsys):
    generator = load_generator()
    generator.generate(tmp_path)
    (tmp_path / "feedback_pb2.py").write_text("# edited by hand\n")
    assert generator.stale_files(tmp_path) == ["feedback_pb2.py"]
    (tmp_path / "feedback_pb2.pyi").unlink()
    assert generator.stale_files(tmp_path) == ["feedback_pb2.py", "feedback_pb2.pyi"]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_required_protobuf_is_at_least_the_gencode_version():
    import google.protobuf

    generated = (ROOT / "gateway" / "feedback" / "pb" / "feedback_pb2.py").read_text()
    gencode = _version(re.search(r"# Protobuf Python Version: ([0-9.]+)", generated).group(1))
    (floor,) = re.findall(r'^\s*"protobuf>=([0-9.]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert _version(floor) >= gencode, (
        "pyproject.toml must require the protobuf runtime the gencode checks for"
    )
    assert _version(google.protobuf.__version__) >= gencode


@pytest.mark.parametrize("message", ["Label", "SubmitLabelsRequest", "SubmitLabelsResponse", "LabelError"])
def test_messages_round_trip_on_the_installed_runtime(message):
    from gateway.feedback.pb import feedback_pb2

    cls = getattr(feedback_pb2, message)
    assert cls.DESCRIPTOR.full_name == f"inferwatch.v1.{message}"
    assert cls.FromString(cls().SerializeToString()) == cls()


def test_oneof_keeps_which_label_was_set():
    from gateway.feedback.grpc_service import SUBMIT_LABELS_PATH, label_item
    from gateway.feedback.pb.feedback_pb2 import Label

    assert SUBMIT_LABELS_PATH == "/inferwatch.v1.FeedbackService/SubmitLabels"
    empty_class = Label.FromString(Label(request_id="r", model="m", label_class="").SerializeToString())
    assert label_item(empty_class)["label_class"] == ""
    assert label_item(Label(request_id="r", model="m", label_value=0.0))["label_value"] == 0.0
    assert label_item(Label(request_id="r", model="m"))["label_class"] is None
