"""What the dashboards say about a model the storage knows nothing of (through a running gateway)."""

from __future__ import annotations

from gateway.cli.main import main
from tests.e2e.conftest import http_url


def test_an_unknown_model_is_named_with_the_window_as_written(gateway, capsys) -> None:
    url = http_url(gateway)
    assert main(["quality", "--model", "nope", "--since", "6h", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "no data-quality results for model 'nope' in the last 6h." in err  # not "6:00:00"
    assert main(["drift", "--model", "nope", "--url", url]) == 1
    assert "inferwatch baseline create --model nope" in capsys.readouterr().err
