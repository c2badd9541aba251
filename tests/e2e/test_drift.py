"""Drift end to end: SDK-exported inference events, baselines from files and windows, reports, ml_drift.

The example model service (``examples.model_service``, OTel SDK only) sends two hours of requests
to a real gateway over OTLP/gRPC with explicit timestamps: the first hour drawn like the reference
data, the second with ``amount`` shifted and ``country`` shares changed while ``account_age_days``
and ``is_foreign`` keep their distribution. Baselines come from CSV, JSON lines and Parquet files
written with the reference distribution (and the model's own predictions), and from the first
hour's stored events, all through the CLI: via the gateway's API and, with no gateway answering,
directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as arrow
import pyarrow.parquet as parquet
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from examples.model_service import ModelService, fraud_score
from gateway.cli.main import main as inferwatch
from gateway.clock import FakeClock
from tests.e2e.conftest import GatewayFactory, grpc_endpoint, http_url

MODEL, VERSION = "fraud-detector", "2.1.0"
SECOND = 10**9
NOW = 1_760_004_000 * SECOND  # a multiple of the 5 min drift interval
HOUR = 3600 * SECOND
EVENTS_PER_HOUR = 400
COUNTRIES = ["DE", "FR", "US", "GB"]
REFERENCE_SHARES = [0.4, 0.3, 0.2, 0.1]
DRIFTED_SHARES = [0.1, 0.2, 0.3, 0.4]
DRIFTED = {"amount", "country"}
UNCHANGED = {"account_age_days", "is_foreign"}


def draw(rng: np.random.Generator, rows: int, *, drifted: bool) -> list[dict]:
    amounts = rng.lognormal(5.5 if drifted else 4.0, 0.6, rows)
    ages = rng.integers(1, 3000, rows)
    foreign = rng.uniform(size=rows) < 0.2
    countries = rng.choice(COUNTRIES, rows, p=DRIFTED_SHARES if drifted else REFERENCE_SHARES)
    return [
        {
            "amount": round(float(amount), 2),
            "account_age_days": int(age),
            "is_foreign": bool(is_foreign),
            "country": str(country),
        }
        for amount, age, is_foreign, country in zip(amounts, ages, foreign, countries, strict=True)
    ]


def with_predictions(features: dict) -> dict:
    score = fraud_score(features)
    label = "fraud" if score >= 0.5 else "legit"
    return {**features, "prediction": label, "confidence": score if label == "fraud" else 1.0 - score}


def send(gateway, requests: list[tuple[int, dict]]) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "fraud-api"}))
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=grpc_endpoint(gateway), insecure=True),
            max_queue_size=20_000,
            max_export_batch_size=512,
        )
    )
    service = ModelService(provider.get_tracer("drift-e2e"), model_name=MODEL, model_version=VERSION)
    for index, (start_ns, features) in enumerate(requests):
        service.handle(f"req-{index}", features, start_ns=start_ns)
    assert provider.force_flush(30_000)
    provider.shutdown()


def write_reference_files(directory: Path, rows: list[dict]) -> dict[str, Path]:
    records = [with_predictions(row) for row in rows]
    columns = list(records[0])
    csv_path = directory / "reference.csv"
    lines = [",".join(columns)] + [",".join(str(record[name]) for name in columns) for record in records]
    csv_path.write_text("\n".join(lines) + "\n")
    jsonl_path = directory / "reference.jsonl"
    jsonl_path.write_text("".join(json.dumps(record) + "\n" for record in records))
    parquet_path = directory / "reference.parquet"
    parquet.write_table(arrow.Table.from_pylist(records), parquet_path, row_group_size=300)
    return {"csv": csv_path, "jsonl": jsonl_path, "parquet": parquet_path}


def cli(capsys, *arguments: str) -> tuple[int, str, str]:
    code = inferwatch(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# The alert examples: a mean shift beyond 2 baseline standard deviations, more than 5% missing.
ALERT_RULES = """\
- alert: MeanShift
  expr: mean_shift > 2
  severity: P3
- alert: MissingValues
  expr: missing_rate > 0.05
  severity: P3
- alert: ManyFeaturesDrifted
  expr: drifted_features >= 2
  severity: P2
"""


@pytest.fixture
def scenario(gateways: GatewayFactory, tmp_path: Path):
    rules = tmp_path / "drift-alerts.yaml"
    rules.write_text(ALERT_RULES)
    gateway = gateways.start(
        f"alerting.rule_files=[{rules}]",
        "alerting.evaluation_delay=0s",
        clock=FakeClock(NOW),
        run_tasks=False,
    )
    rng = np.random.default_rng(2026)
    reference_hour = draw(rng, EVENTS_PER_HOUR, drifted=False)
    current_hour = draw(rng, EVENTS_PER_HOUR, drifted=True)
    for row in current_hour[::10]:  # 10% of the current events lack the account age
        del row["account_age_days"]
    step = HOUR // EVENTS_PER_HOUR
    requests = [(NOW - 2 * HOUR + index * step, row) for index, row in enumerate(reference_hour)]
    requests += [(NOW - HOUR + index * step, row) for index, row in enumerate(current_hour)]
    send(gateway, requests)
    assert gateways.rows("SELECT count() FROM ml_features") == [(2 * EVENTS_PER_HOUR,)]
    files = write_reference_files(tmp_path, draw(rng, 3000, drifted=False))
    return gateway, files


def _verdicts(report: dict) -> dict[str, str]:
    return {feature["feature"]: feature["verdict"] for feature in report["features"]}


def test_baselines_from_files_through_the_gateway_find_the_drifted_features(scenario, gateways, capsys):
    gateway, files = scenario
    url = ["--url", http_url(gateway)]
    summaries = {}
    for kind, path in files.items():
        code, out, err = cli(
            capsys, "baseline", "create", "--model", MODEL, "--version", VERSION, "--from", str(path), *url
        )
        assert code == 0, err
        summaries[kind] = json.loads(out)
        assert f"reading {path.name}: 100%" in err  # progress on stderr (not a terminal: plain lines)
    assert [summary["revision"] for summary in summaries.values()] == [1, 2, 3]
    assert {summary["rows"] for summary in summaries.values()} == {3000}
    assert not any(summary["active"] for summary in summaries.values())

    profiles = {}
    for kind, summary in summaries.items():
        code, out, err = cli(capsys, "baseline", "show", summary["id"], "--format", "json", *url)
        assert code == 0, err
        profiles[kind] = json.loads(out)["profile"]
    for kind in ("jsonl", "parquet"):  # every format gives the same profile
        for csv_feature, other in zip(profiles["csv"]["features"], profiles[kind]["features"], strict=True):
            assert (csv_feature["name"], csv_feature["feature_type"], csv_feature["count"]) == (
                other["name"],
                other["feature_type"],
                other["count"],
            )
            assert csv_feature["categories"] == other["categories"]
            if csv_feature["numeric"]:
                assert csv_feature["numeric"]["bin_edges"] == pytest.approx(other["numeric"]["bin_edges"])
    types = {feature["name"]: feature["feature_type"] for feature in profiles["csv"]["features"]}
    assert types == {
        "account_age_days": "numeric",
        "amount": "numeric",
        "country": "categorical",
        "is_foreign": "boolean",
    }
    assert profiles["csv"]["predictions"]["classes"]["categories"]["top"][0][0] == "legit"

    code, out, err = cli(capsys, "drift", "--model", MODEL, *url)
    assert code == 1 and "no active baseline" in err
    code, out, err = cli(capsys, "baseline", "activate", summaries["parquet"]["id"], *url)
    assert code == 0 and json.loads(out)["active"] is True, err
    code, out, err = cli(capsys, "baseline", "list", "--model", MODEL, "--format", "json", *url)
    assert [(entry["revision"], entry["active"]) for entry in json.loads(out)] == [
        (3, True),
        (2, False),
        (1, False),
    ]
    # without --url the CLI finds the gateway at receivers.http.endpoint
    endpoint = ["--set", f"receivers.http.endpoint=127.0.0.1:{gateway.http.port}"]
    code, out, err = cli(capsys, "baseline", "list", "--format", "json", *endpoint)
    assert code == 0 and len(json.loads(out)) == 3, err

    until = "2025-10-09T10:00:00Z"  # NOW
    code, out, err = cli(capsys, "drift", "--model", MODEL, "--until", until, "--format", "json", *url)
    assert code == 0, err
    (report,) = json.loads(out)["reports"]
    assert report["baseline_id"] == summaries["parquet"]["id"]
    assert report["rows"] == EVENTS_PER_HOUR
    verdicts = _verdicts(report)
    assert {name for name, verdict in verdicts.items() if verdict == "drifted"} == DRIFTED
    assert {name for name, verdict in verdicts.items() if verdict == "stable"} == UNCHANGED
    assert set(_verdicts(report)) == DRIFTED | UNCHANGED
    assert {feature["feature"] for feature in report["features"][:2]} == DRIFTED  # worst first
    classes = report["predictions"]["classes"]
    assert classes["current_shares"].get("fraud", 0.0) > classes["reference_shares"].get("fraud", 0.0)
    code, out, err = cli(capsys, "drift", "--model", MODEL, "--until", until, *url)
    assert code == 0 and "amount" in out and "Prediction drift" in out
    code, out, err = cli(
        capsys, "drift", "--model", MODEL, "--until", until, "--since", "30m", "--format", "json", *url
    )
    assert code == 0, err
    (half,) = json.loads(out)["reports"]
    assert half["rows"] == EVENTS_PER_HOUR // 2  # the last 30 minutes of the current hour

    # the periodic evaluation writes the same findings into ml_drift
    assert gateway.task("drift").run_once(), gateway.task("drift").last_error
    rows = dict(
        gateways.rows(
            "SELECT Signal || coalesce(nullIf(Labels['feature'], ''), ''), Value FROM ml_drift FINAL "
            "WHERE Signal IN ('drifted_features', 'psi', 'ks_pvalue', 'chi2_pvalue') "
            "AND WindowEnd = fromUnixTimestamp64Nano({end:Int64})",
            {"end": NOW},
        )
    )
    assert rows["drifted_features"] == 2
    assert rows["psiamount"] > 0.2 and rows["psiaccount_age_days"] < 0.1
    assert rows["ks_pvalueamount"] < 1e-6 and rows["chi2_pvaluecountry"] < 1e-6
    assert rows["chi2_pvalueis_foreign"] > 0.01

    # the alert examples fire on exactly the features they describe
    events = []
    gateway.notifiers.append(events.append)
    assert gateway.task("alerts").run_once(), gateway.task("alerts").last_error
    fired = {(event.rule.rsplit("/", 1)[-1], event.labels.get("feature", "")) for event in events}
    assert fired == {
        ("MeanShift", "amount"),
        ("MissingValues", "account_age_days"),
        ("ManyFeaturesDrifted", ""),
    }
    assert {event.kind for event in events} == {"firing"}

    # a second replica on the same storage, 90 s later in the same 5 min interval: same window, same
    # sample (drawn by hash), so ml_drift keeps one result per signal and labels with the same values
    # (the later EvaluatedAt, the replica's, is the one FINAL keeps)
    kept = (
        "SELECT Signal, Labels, toString(Value), toUnixTimestamp64Nano(EvaluatedAt) FROM ml_drift FINAL "
        "WHERE WindowEnd = fromUnixTimestamp64Nano({end:Int64}) ORDER BY Signal, toString(Labels)"
    )
    first = gateways.rows(kept, {"end": NOW})
    replica = gateways.start(clock=FakeClock(NOW + 90 * SECOND), run_tasks=False)
    assert replica.task("drift").run_once(), replica.task("drift").last_error
    second = gateways.rows(kept, {"end": NOW})
    assert len(first) > 20 and {row[3] for row in first} == {NOW}
    assert {row[3] for row in second} == {NOW + 90 * SECOND}  # every point rewritten by the replica
    assert [row[:3] for row in second] == [row[:3] for row in first]  # one result, equal values


def test_window_baseline_and_every_command_without_a_gateway(scenario, gateways, capsys):
    gateway, files = scenario
    window = "2025-10-09T08:00:00Z/2025-10-09T09:00:00Z"  # the first (reference) hour
    code, out, err = cli(
        capsys, "baseline", "create", "--model", MODEL, "--version", VERSION, "--from-window", window,
        "--activate", "--url", http_url(gateway),
    )  # fmt: skip
    assert code == 0, err
    created = json.loads(out)
    assert (created["rows"], created["active"], created["source"]) == (
        EVENTS_PER_HOUR,
        True,
        "window 2025-10-09T08:00:00Z/2025-10-09T09:00:00Z",
    )
    gateway.shutdown(grace=1)

    # no gateway answers on this endpoint: every command opens ClickHouse itself
    direct = [
        "--set", f"clickhouse.dsn=chdb://{gateways.chdb_dir}",
        "--set", f"clickhouse.database={gateways.database}",
        "--set", "receivers.http.endpoint=127.0.0.1:9",
    ]  # fmt: skip
    code, out, err = cli(capsys, "baseline", "show", "--model", MODEL, "--version", VERSION, *direct)
    assert code == 0, err
    assert "(prediction class)" in out and "country" in out and "(active)" in out
    code, out, err = cli(
        capsys, "drift", "--model", MODEL, "--until", "2025-10-09T10:00:00Z", "--format", "json", *direct
    )
    assert code == 0, err
    (report,) = json.loads(out)["reports"]
    verdicts = _verdicts(report)
    assert {name for name, verdict in verdicts.items() if verdict == "drifted"} == DRIFTED
    assert {name for name, verdict in verdicts.items() if verdict == "stable"} == UNCHANGED

    code, out, err = cli(
        capsys,
        "baseline",
        "create",
        "--model",
        MODEL,
        "--version",
        VERSION,
        "--from",
        str(files["csv"]),
        *direct,
    )
    assert code == 0, err
    second = json.loads(out)
    assert (second["revision"], second["active"]) == (2, False)
    code, out, err = cli(capsys, "baseline", "activate", second["id"], *direct)
    assert code == 0 and json.loads(out)["active"], err
    code, out, err = cli(capsys, "baseline", "list", *direct)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "MODEL", "VERSION"]
    assert second["id"] in lines[1] and "yes" in lines[1] and "yes" not in lines[2]
    code, out, err = cli(capsys, "baseline", "activate", "nope", *direct)
    assert code == 1 and "no baseline 'nope'" in err
