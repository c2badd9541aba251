"""Tests for gateway.config.loader: binding, ${VAR} substitution, errors with paths, overrides, dump."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.config import (
    ClickHouseConfig,
    Config,
    ConfigError,
    IngestConfig,
    dump_config,
    load_config,
    load_config_text,
)
from gateway.config import dump as dump_module
from gateway.config import loader as loader_module

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "config" / "inferwatch.yaml"
MiB = 1024 * 1024


def load(text: str, **kwargs: object) -> Config:
    kwargs.setdefault("environ", {})
    return load_config_text(textwrap.dedent(text), source="inferwatch.yaml", **kwargs)  # type: ignore[arg-type]


def errors_of(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(text, **kwargs)
    return caught.value.errors


def test_no_file_means_defaults() -> None:
    assert load_config(None, environ={}) == Config()


def test_empty_file_and_empty_sections_mean_defaults() -> None:
    assert load("") == Config()
    assert load("receivers:\nclickhouse:\n") == Config()


def test_example_file_equals_the_defaults() -> None:
    assert load_config(str(EXAMPLE), environ={}) == Config()


def test_example_file_mentions_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for line in dump_config(Config()).splitlines():
        if line.lstrip().startswith("- "):  # a list item, not a key
            continue
        assert line.split(":")[0] + ":" in text


def test_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "inferwatch.yaml"
    path.write_text("log_level: debug\ningest:\n  flush_interval: 250ms\n", encoding="utf-8")
    config = load_config(str(path), environ={})
    assert config.log_level == "debug"
    assert config.ingest == IngestConfig(flush_interval=timedelta(milliseconds=250))


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read"):
        load_config(missing, environ={})


def test_binds_every_kind_of_value() -> None:
    config = load(
        """
        data_dir: /var/lib/inferwatch
        receivers:
          grpc: {enabled: false, endpoint: "0.0.0.0:4317"}
          max_request_size: 1000000
        clickhouse:
          dsn: http://default:pw@ch:8123/iw
          ttl: {traces: 30d, logs: 12h, metrics: 0, ml: 90}
        ingest:
          max_batch_bytes: 512KiB
          retry_after: 1.5
        """
    )
    assert config.data_dir == "/var/lib/inferwatch"
    assert config.receivers.grpc.enabled is False
    assert config.receivers.grpc.endpoint == "0.0.0.0:4317"
    assert config.receivers.max_request_size == 1_000_000
    assert config.clickhouse.dsn == "http://default:pw@ch:8123/iw"
    assert config.clickhouse.ttl.traces == timedelta(days=30)
    assert config.clickhouse.ttl.logs == timedelta(hours=12)
    assert config.clickhouse.ttl.ml == timedelta(seconds=90)
    assert config.ingest.max_batch_bytes == 512 * 1024
    assert config.ingest.retry_after == timedelta(seconds=1.5)


def test_env_substitution_with_and_without_default() -> None:
    config = load(
        """
        data_dir: ${DATA}/inferwatch
        log_level: ${LEVEL:-warning}
        clickhouse:
          database: ${DB:-}
          cluster: "${CLUSTER:-}"
        """,
        environ={"DATA": "/srv", "DB": "iw"},
    )
    assert config.data_dir == "/srv/inferwatch"
    assert config.log_level == "warning"
    assert config.clickhouse.database == "iw"
    assert config.clickhouse.cluster == ""


def test_env_default_also_applies_to_an_empty_variable() -> None:
    assert load("log_level: ${LEVEL:-error}", environ={"LEVEL": ""}).log_level == "error"


def test_unquoted_substitution_is_typed_like_yaml_and_quoted_stays_a_string() -> None:
    environ = {"ON": "false", "ROWS": "500", "PORT_ONLY": "4317"}
    config = load("query_api:\n  enabled: ${ON}\n  max_result_rows: ${ROWS}\n", environ=environ)
    assert config.query_api.enabled is False
    assert config.query_api.max_result_rows == 500
    errors = errors_of('query_api:\n  max_result_rows: "${ROWS}"\n', environ=environ)
    assert errors == ['inferwatch.yaml: line 2: query_api.max_result_rows: expected an integer, got "500"']


def test_substituted_text_cannot_change_the_yaml_structure() -> None:
    config = load("data_dir: ${DIR}\n", environ={"DIR": "/tmp/x # not a comment: {really}"})
    assert config.data_dir == "/tmp/x # not a comment: {really}"


def test_dollar_dollar_escapes_a_literal_reference() -> None:
    assert load("data_dir: $${HOME}/x\n").data_dir == "${HOME}/x"


def test_missing_variable_names_the_variable_and_the_line() -> None:
    errors = errors_of("log_level: info\nreceivers:\n  grpc:\n    endpoint: ${GRPC_ENDPOINT}\n")
    assert errors == [
        "inferwatch.yaml: line 4: receivers.grpc.endpoint: environment variable GRPC_ENDPOINT is not set "
        "and has no default"
    ]


def test_malformed_reference_is_an_error() -> None:
    errors = errors_of("data_dir: ${NOT CLOSED\n")
    assert len(errors) == 1
    assert errors[0].startswith('inferwatch.yaml: line 1: data_dir: invalid reference "${NOT CLOSED"')


def test_comments_are_not_substituted() -> None:
    assert load("# uses ${UNSET} somewhere\nlog_level: info\n") == Config()


def test_unknown_key_with_suggestion() -> None:
    errors = errors_of("receivers:\n  grpc:\n    endpont: 0.0.0.0:4317\n")
    assert errors == [
        "inferwatch.yaml: line 3: receivers.grpc.endpont: unknown key (did you mean 'endpoint'?)"
    ]


def test_unknown_key_without_close_match_lists_the_valid_keys() -> None:
    errors = errors_of("receivers:\n  grpc:\n    xyz: 1\n")
    assert errors == [
        "inferwatch.yaml: line 3: receivers.grpc.xyz: unknown key (valid keys: enabled, endpoint)"
    ]


def test_every_error_is_reported_at_once_with_its_path() -> None:
    errors = errors_of(
        """
        log_level: verbose
        receivers:
          grpc:
            enabled: yes
          http:
            endpoint: localhost:99999
          max_request_size: 64 megs
        ingest:
          flush_interval: 5 minutes
          max_queue_bytes: 0
        clickhouse:
          dsn: mysql://u:p@host/db
          databse: iw
        """
    )
    assert errors == [
        'inferwatch.yaml: line 5: receivers.grpc.enabled: expected true or false, got "yes"',
        'inferwatch.yaml: line 8: receivers.max_request_size: invalid size "64 megs" '
        "(use e.g. 512KiB, 64MiB, 1GiB or a number of bytes)",
        'inferwatch.yaml: line 10: ingest.flush_interval: invalid duration "5 minutes" '
        "(use e.g. 500ms, 5s, 5m, 1h, 7d)",
        "inferwatch.yaml: line 14: clickhouse.databse: unknown key (did you mean 'database'?)",
        'inferwatch.yaml: line 2: log_level: must be one of debug, info, warning, error, got "verbose"',
        "inferwatch.yaml: line 7: receivers.http.endpoint: port must be a number from 0 to 65535, got "
        '"localhost:99999"',
        'inferwatch.yaml: line 13: clickhouse.dsn: scheme must be one of chdb, http, https, got "mysql" '
        '(in "mysql://…")',
        "inferwatch.yaml: line 11: ingest.max_queue_bytes: must be greater than 0, got 0",
    ]


def test_str_lists_one_error_per_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load("log_level: 3\ndata_dir: [a]\n")
    assert str(caught.value).splitlines() == [
        "inferwatch.yaml: line 1: log_level: expected a string, got 3",
        "inferwatch.yaml: line 2: data_dir: expected a string, got a list",
    ]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("ingest:\n  flush_interval: 5 minutes\n", 'ingest.flush_interval: invalid duration "5 minutes"'),
        ("ingest:\n  flush_interval: true\n", "ingest.flush_interval: invalid duration true"),
        ("ingest:\n  flush_interval: -1\n", "ingest.flush_interval: must be greater than 0, got -1s"),
        ("ingest:\n  max_batch_bytes: 16 MB please\n", 'ingest.max_batch_bytes: invalid size "16 MB please"'),
        ("ingest:\n  max_batch_bytes: 1.5\n", "ingest.max_batch_bytes: invalid size 1.5"),
        ("query_api:\n  enabled: on\n", 'query_api.enabled: expected true or false, got "on"'),
        ("query_api:\n  enabled: 1\n", "query_api.enabled: expected true or false, got 1"),
        ("query_api:\n  enabled: 'true'\n", 'query_api.enabled: expected true or false, got "true"'),
        ("query_api:\n  max_result_rows: 10.5\n", "query_api.max_result_rows: expected an integer, got 10.5"),
        ("query_api:\n  max_result_rows: true\n", "query_api.max_result_rows: expected an integer, got true"),
        ("receivers:\n  grpc:\n    endpoint: localhost:70000\n", "receivers.grpc.endpoint: port must be"),
        ("receivers:\n  grpc:\n    endpoint: localhost\n", "receivers.grpc.endpoint: must be host:port"),
        ("receivers: 5\n", "receivers: expected a mapping, got 5"),
        (
            "clickhouse:\n  connect_timeout: 0s\n",
            "clickhouse.connect_timeout: must be greater than 0, got 0s",
        ),
        ("clickhouse:\n  ttl:\n    logs: -1d\n", 'clickhouse.ttl.logs: invalid duration "-1d"'),
    ],
)
def test_bad_values(yaml_text: str, expected: str) -> None:
    errors = errors_of(yaml_text)
    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_duplicate_keys_are_errors() -> None:
    errors = errors_of("log_level: info\ndata_dir: /a\nlog_level: debug\n")
    assert errors == ["inferwatch.yaml: line 3: log_level: duplicate key (first written at line 1)"]


def test_top_level_must_be_a_mapping() -> None:
    assert errors_of("- a\n- b\n") == [
        "inferwatch.yaml: line 1: expected a mapping at the top level, got a list"
    ]


def test_yaml_syntax_error_names_line_and_column() -> None:
    errors = errors_of("receivers:\n  grpc: {enabled: true\n")
    assert len(errors) == 1
    assert errors[0].startswith("inferwatch.yaml: line 3, column 1: invalid YAML:")


def test_anchors_and_merge_keys_work() -> None:
    config = load(
        """
        receivers:
          grpc: &receiver
            enabled: false
            endpoint: ${HOST:-127.0.0.1}:4317
          http:
            <<: *receiver
            endpoint: 127.0.0.1:4318
        """
    )
    assert config.receivers.grpc.endpoint == "127.0.0.1:4317"
    assert config.receivers.http.enabled is False
    assert config.receivers.http.endpoint == "127.0.0.1:4318"


def test_overrides_apply_after_the_file() -> None:
    config = load(
        "receivers:\n  grpc:\n    endpoint: localhost:4317\n",
        overrides=[
            "receivers.grpc.endpoint=[::]:4317",
            "receivers.http.enabled=false",
            "ingest.flush_interval=250ms",
            "query_api.max_result_rows=10",
            "clickhouse.cluster=",
            "clickhouse.ttl={traces: 7d}",
        ],
    )
    assert config.receivers.grpc.endpoint == "[::]:4317"
    assert config.receivers.http.enabled is False
    assert config.ingest.flush_interval == timedelta(milliseconds=250)
    assert config.query_api.max_result_rows == 10
    assert config.clickhouse.cluster == ""
    assert config.clickhouse.ttl.traces == timedelta(days=7)


def test_override_changes_only_its_path_even_through_an_alias() -> None:
    config = load(
        "receivers:\n  grpc: &r {endpoint: 127.0.0.1:4317}\n  http: *r\n",
        overrides=["receivers.http.endpoint=127.0.0.1:4318"],
    )
    assert config.receivers.grpc.endpoint == "127.0.0.1:4317"
    assert config.receivers.http.endpoint == "127.0.0.1:4318"


def test_overrides_without_a_file() -> None:
    config = load_config(None, overrides=["log_level=debug"], environ={})
    assert config == Config(log_level="debug")


def test_override_errors_name_the_override() -> None:
    errors = errors_of(
        "log_level: info\n",
        overrides=[
            "receivers.grpc.endpont=0.0.0.0:4317",
            "ingest.flush_interval=5 minutes",
            "query_api.enabled=yes",
            "log_level.sub=1",
            "no-equals-sign",
        ],
    )
    assert errors == [
        "--set log_level.sub=1: log_level is not a mapping",
        "--set no-equals-sign: expected path=value, e.g. ingest.flush_interval=5s",
        "--set receivers.grpc.endpont=0.0.0.0:4317: unknown key (did you mean 'endpoint'?)",
        '--set ingest.flush_interval=5 minutes: invalid duration "5 minutes" '
        "(use e.g. 500ms, 5s, 5m, 1h, 7d)",
        '--set query_api.enabled=yes: expected true or false, got "yes"',
    ]


def test_override_validation_errors_name_the_override() -> None:
    errors = errors_of("", overrides=["ingest.flush_interval=0"])
    assert errors == ["--set ingest.flush_interval=0: must be greater than 0, got 0s"]


def test_dump_masks_the_dsn_password() -> None:
    config = Config(clickhouse=ClickHouseConfig(dsn="https://inferwatch:s3cr3t@ch.example:8443/iw"))
    dumped = dump_config(config)
    assert "s3cr3t" not in dumped
    assert "dsn: https://inferwatch:***@ch.example:8443/iw" in dumped
    assert "s3cr3t" in dump_config(config, mask_secrets=False)


def test_dump_writes_durations_and_sizes_readably() -> None:
    dumped = dump_config(Config())
    assert "flush_interval: 1s\n" in dumped
    assert "query_timeout: 1m\n" in dumped
    assert "max_request_size: 64MiB\n" in dumped
    assert "max_result_rows: 100000\n" in dumped


def test_dump_then_load_round_trips() -> None:
    config = load(
        """
        data_dir: "$${NOT_A_VARIABLE}/data"
        log_level: debug
        receivers:
          grpc: {enabled: false, endpoint: "[::]:0"}
          max_request_size: 1000001
        clickhouse:
          dsn: http://u:p%40ss@ch:8123/db
          cluster: main
          ttl: {traces: 30d, logs: 1h30m, metrics: 250ms, ml: 0.000001}
        ingest:
          flush_interval: 1500ms
          max_queue_bytes: 1GiB
          spool_dir: "yes"
        """
    )
    assert load(dump_config(config, mask_secrets=False)) == config
    assert load(dump_config(Config())) == Config()


# --- generic binding, for the rules lists later issues add ------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    name: str
    window: timedelta = timedelta(minutes=5)
    threshold: float = 0.5


@dataclass(frozen=True)
class _Alerting:
    rules: tuple[_Rule, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    buffer_bytes: list[int] = field(default_factory=list)
    api_key: str = ""


def test_binds_lists_and_dicts_of_dataclasses_generically() -> None:
    problems = loader_module._Problems("test.yaml")
    raw = {
        "rules": [{"name": "latency", "window": "1h"}, {"name": "errors", "threshold": 1}],
        "labels": {"team": "ml"},
        "buffer_bytes": ["1KiB", 10],
    }
    bound = loader_module._bind(_Alerting, raw, (), problems)
    assert problems.found == []
    assert bound == _Alerting(
        rules=(_Rule("latency", window=timedelta(hours=1)), _Rule("errors", threshold=1.0)),
        labels={"team": "ml"},
        buffer_bytes=[1024, 10],
    )


def test_list_items_report_their_index() -> None:
    problems = loader_module._Problems("test.yaml")
    raw = {"rules": [{"name": "ok"}, {"name": "bad", "for": "5 minutes", "window": "5 minutes"}]}
    loader_module._bind(_Alerting, raw, ("alerting",), problems)
    assert problems.render() == [
        "test.yaml: alerting.rules[1].for: unknown key (valid keys: name, window, threshold)",
        'test.yaml: alerting.rules[1].window: invalid duration "5 minutes" (use e.g. 500ms, 5s, 5m, 1h, 7d)',
    ]


def test_dump_masks_fields_named_like_secrets() -> None:
    plain = dump_module._plain(_Alerting(api_key="abc", labels={"token": "t", "team": "ml"}), "", True, False)
    assert plain["api_key"] == "***"
    assert plain["labels"] == {"token": "***", "team": "ml"}


def test_print_config_masks_tokens_in_webhook_urls() -> None:
    """Chat webhooks (Google Chat, Teams, ...) carry their credentials in the query string."""
    config = load(
        """
        notifications:
          webhooks:
            - name: chat
              url: https://chat.example.com/v1/spaces/X/messages?key=AIzaSy&token=s3cret&threadKey=t1
        performance:
          webhook:
            url: https://ops:pw@retrain.internal/hook?api_key=k3y
        """
    )
    text = dump_config(config, mask_secrets=True)
    assert "s3cret" not in text and "AIzaSy" not in text and "k3y" not in text and ":pw@" not in text
    assert "messages?key=***&token=***&threadKey=t1" in text
    assert "https://ops:***@retrain.internal/hook?api_key=***" in text
    assert dump_config(config, mask_secrets=False).count("s3cret") == 1


def test_print_config_shows_where_secrets_come_from() -> None:
    config = load(
        """
        notifications:
          opsgenie: {enabled: true, api_key_env: OPSGENIE_API_KEY}
          webhooks: [{name: chat, url: "https://chat.example.com/hook", secret_env: CHAT_SECRET}]
        """
    )
    text = dump_config(config, mask_secrets=True)
    assert "api_key_env: OPSGENIE_API_KEY" in text and "secret_env: CHAT_SECRET" in text
    assert load(text) == config  # the printed config can be used as a config file
