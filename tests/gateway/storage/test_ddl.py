"""Tests for gateway.storage.ddl: macro expansion, statement splitting, placeholders, golden DDL.

The golden files in ``testdata/`` hold every statement the OTLP migrations run on an empty database;
``pytest --update-golden`` rewrites them (review the diff).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.storage.ddl import (
    Target,
    TemplateError,
    expand_macros,
    quote_identifier,
    render,
    split_statements,
)
from gateway.storage.migrations import plan
from processors import otlp_tables

TESTDATA = Path(__file__).parent / "testdata"
DAY = 86_400
CLUSTER = Target(cluster="analytics", ttl_seconds={"traces": 7 * DAY, "logs": 3 * DAY, "metrics": 30 * DAY})
SINGLE_NODE = Target()


# ---- expand_macros ---------------------------------------------------------------------------
def test_expand_macros_substitutes_the_argument_everywhere_in_the_body() -> None:
    assert expand_macros("SELECT @twice(x + 1)", {"twice": "({0}) * ({0})"}) == "SELECT (x + 1) * (x + 1)"


def test_expand_macros_strips_the_argument_and_accepts_none() -> None:
    macros = {"hex": "lower(hex({0}))", "type": "Array(String)"}
    assert expand_macros("@hex(  trace_id  ) @type()", macros) == "lower(hex(trace_id)) Array(String)"


def test_expand_macros_leaves_text_without_macros_alone() -> None:
    text = "SELECT 'user@example.org', a @ b FROM t"
    assert expand_macros(text, {}) == text


def test_expand_macros_expands_macros_in_arguments() -> None:
    macros = {"outer": "f({0})", "inner": "g({0})"}
    assert expand_macros("@outer(@inner(x))", macros) == "f(g(x))"


def test_expand_macros_expands_macros_in_bodies() -> None:
    macros = {"outer": "f(@inner({0}), @inner(2))", "inner": "g({0})"}
    assert expand_macros("@outer(x)", macros) == "f(g(x), g(2))"


def test_expand_macros_argument_may_hold_nested_parentheses() -> None:
    assert expand_macros("@id(f(a, g(b, (c))))) + 1", {"id": "[{0}]"}) == "[f(a, g(b, (c)))]) + 1"


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("concat('(', x)", "[concat('(', x)]"),
        ("')'", "[')']"),
        ("`odd)name`", "[`odd)name`]"),
        ('"a(b"', '["a(b"]'),
        (r"'it\'s )'", r"['it\'s )']"),
    ],
)
def test_expand_macros_ignores_parentheses_inside_quotes(argument: str, expected: str) -> None:
    assert expand_macros(f"@id({argument}) tail", {"id": "[{0}]"}) == f"{expected} tail"


def test_expand_macros_rejects_an_unknown_macro_by_name() -> None:
    with pytest.raises(TemplateError, match="@nope"):
        expand_macros("SELECT @nope(x)", {"id": "{0}"})


def test_expand_macros_rejects_an_unknown_macro_inside_a_body() -> None:
    with pytest.raises(TemplateError, match="@missing"):
        expand_macros("@outer(x)", {"outer": "@missing({0})"})


def test_expand_macros_rejects_unbalanced_parentheses() -> None:
    with pytest.raises(TemplateError, match="unbalanced"):
        expand_macros("SELECT @id(f(x) FROM t", {"id": "{0}"})


@pytest.mark.parametrize(
    "macros",
    [
        pytest.param({"loop": "@loop({0})"}, id="self"),
        pytest.param({"loop": "@other({0})", "other": "@loop({0})"}, id="mutual"),
        pytest.param({"loop": "@loop({0}{0})"}, id="growing"),
    ],
)
def test_expand_macros_stops_recursive_macros(macros: dict[str, str]) -> None:
    with pytest.raises(TemplateError, match="recursive"):
        expand_macros("SELECT @loop(x)", macros)


# ---- split_statements ------------------------------------------------------------------------
def test_split_statements_splits_on_semicolons_at_line_ends() -> None:
    text = (
        "-- a comment; with a semicolon;\n"
        "CREATE TABLE a (x UInt8);\n"
        "\n"
        "  -- indented comment\n"
        "SELECT ';' AS s, 1;   \n"
        "SELECT 2\n"
        "FROM b ;\n"
        "SELECT 3"
    )
    assert split_statements(text) == [
        "CREATE TABLE a (x UInt8)",
        "SELECT ';' AS s, 1",
        "SELECT 2\nFROM b",
        "SELECT 3",
    ]


def test_split_statements_of_only_comments_is_empty() -> None:
    assert split_statements("-- nothing\n\n   \n-- here;\n") == []


# ---- render ----------------------------------------------------------------------------------
def test_render_quotes_the_database() -> None:
    assert render("SELECT * FROM $db.t", Target(database="we`ird")) == ["SELECT * FROM `we\\`ird`.t"]
    assert quote_identifier("a\\b") == "`a\\\\b`"


def test_render_single_node_drops_cluster_placeholders() -> None:
    template = "CREATE TABLE IF NOT EXISTS $db.t$local $on_cluster (x UInt8) ENGINE = $MergeTree ORDER BY x;"
    assert render(template, SINGLE_NODE) == [
        "CREATE TABLE IF NOT EXISTS `default`.t  (x UInt8) ENGINE = MergeTree ORDER BY x"
    ]


@pytest.mark.parametrize(
    ("placeholder", "single_node", "cluster"),
    [
        ("$MergeTree", "MergeTree", "ReplicatedMergeTree"),
        ("$ReplacingMergeTree(v)", "ReplacingMergeTree(v)", "ReplicatedReplacingMergeTree(v)"),
        ("$AggregatingMergeTree", "AggregatingMergeTree", "ReplicatedAggregatingMergeTree"),
        ("$SummingMergeTree((a, b))", "SummingMergeTree((a, b))", "ReplicatedSummingMergeTree((a, b))"),
    ],
)
def test_render_engines(placeholder: str, single_node: str, cluster: str) -> None:
    template = f"CREATE TABLE $db.t (x UInt8) ENGINE = {placeholder} ORDER BY x"
    assert render(template, SINGLE_NODE) == [
        f"CREATE TABLE `default`.t (x UInt8) ENGINE = {single_node} ORDER BY x"
    ]
    assert render(template, Target(cluster="c")) == [
        f"CREATE TABLE `default`.t (x UInt8) ENGINE = {cluster} ORDER BY x"
    ]


def test_render_on_cluster_quotes_the_cluster() -> None:
    template = "CREATE MATERIALIZED VIEW $db.v $on_cluster TO $db.t AS SELECT x FROM $db.s$local"
    assert render(template, Target(database="obs", cluster="my cluster")) == [
        "CREATE MATERIALIZED VIEW `obs`.v ON CLUSTER `my cluster` TO `obs`.t AS SELECT x FROM `obs`.s_local"
    ]


def test_render_ttl_macro_only_for_families_with_a_ttl() -> None:
    template = "ENGINE = $MergeTree ORDER BY t\n@ttl_traces(Timestamp)\n@ttl_logs(Timestamp)"
    target = Target(ttl_seconds={"traces": 7 * DAY, "logs": 0})
    assert render(template, target) == [
        "ENGINE = MergeTree ORDER BY t\nTTL toDateTime(Timestamp) + toIntervalSecond(604800)"
    ]
    assert render(template, SINGLE_NODE) == ["ENGINE = MergeTree ORDER BY t"]


def test_render_expands_project_macros_and_keeps_statement_order() -> None:
    template = "-- header\nSELECT @hex(a);\nSELECT @hex(b);\n"
    assert render(template, SINGLE_NODE, {"hex": "lower(hex({0}))"}) == [
        "SELECT lower(hex(a))",
        "SELECT lower(hex(b))",
    ]


@pytest.mark.parametrize("placeholder", ["$nope", "$dbase", "$locale", "$MergeTrees"])
def test_render_rejects_an_unknown_placeholder(placeholder: str) -> None:
    # "$dbase" must not be read as "$db" followed by "ase".
    with pytest.raises(TemplateError, match=re.escape(placeholder)):
        render(f"SELECT 1 FROM {placeholder}.t", SINGLE_NODE)


def test_render_does_not_expand_placeholders_inside_substituted_names() -> None:
    target = Target(database="d$db", cluster="c$local")
    assert render("SELECT 1 FROM $db.t$local $on_cluster", target) == [
        "SELECT 1 FROM `d$db`.t_local ON CLUSTER `c$local`"
    ]


def test_render_adds_a_distributed_table_after_each_local_table_on_a_cluster() -> None:
    template = (
        "CREATE TABLE IF NOT EXISTS $db.a$local $on_cluster (x UInt8) ENGINE = $MergeTree ORDER BY x;\n"
        "CREATE TABLE IF NOT EXISTS $db.ingest $on_cluster (x UInt8) ENGINE = Null;\n"
        "CREATE TABLE IF NOT EXISTS $db.b$local $on_cluster (y UInt8) ENGINE = $MergeTree ORDER BY y;\n"
    )
    statements = render(template, Target(database="obs", cluster="c"))
    assert statements == [
        "CREATE TABLE IF NOT EXISTS `obs`.a_local ON CLUSTER `c` (x UInt8) "
        "ENGINE = ReplicatedMergeTree ORDER BY x",
        "CREATE TABLE IF NOT EXISTS `obs`.a ON CLUSTER `c` AS `obs`.a_local "
        "ENGINE = Distributed(`c`, `obs`, a_local, rand())",
        "CREATE TABLE IF NOT EXISTS `obs`.ingest ON CLUSTER `c` (x UInt8) ENGINE = Null",
        "CREATE TABLE IF NOT EXISTS `obs`.b_local ON CLUSTER `c` (y UInt8) "
        "ENGINE = ReplicatedMergeTree ORDER BY y",
        "CREATE TABLE IF NOT EXISTS `obs`.b ON CLUSTER `c` AS `obs`.b_local "
        "ENGINE = Distributed(`c`, `obs`, b_local, rand())",
    ]
    assert len(render(template, SINGLE_NODE)) == 3


# ---- golden: every statement of the OTLP migrations ------------------------------------------
def _golden_text(target: Target) -> str:
    statements = plan(otlp_tables.migrations(), target, otlp_tables.MACROS)
    return "".join(f"{statement};\n\n" for statement in statements)


@pytest.mark.parametrize(
    ("file_name", "target"),
    [("ddl_single_node.sql", SINGLE_NODE), ("ddl_cluster.sql", CLUSTER)],
    ids=["single_node", "cluster"],
)
def test_otlp_migrations_golden(file_name: str, target: Target, request: pytest.FixtureRequest) -> None:
    path = TESTDATA / file_name
    actual = _golden_text(target)
    if request.config.getoption("--update-golden"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{file_name} differs from the rendered DDL: run pytest --update-golden and review"
    )


def _created(statement: str) -> str:
    match = re.match(r"CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS `default`\.(\w+)", statement)
    assert match, statement
    return match.group(1)


def test_otlp_migrations_on_a_cluster_are_consistent() -> None:
    statements = plan(otlp_tables.migrations(), CLUSTER, otlp_tables.MACROS)
    created = [_created(statement) for statement in statements]
    data_tables = {name.removesuffix("_local") for name in created if name.endswith("_local")}
    assert data_tables, "no replicated data tables"
    for statement, name in zip(statements, created, strict=True):
        assert "ON CLUSTER `analytics`" in statement.splitlines()[0], name
        assert "$" not in statement and "@" not in statement, name
        if statement.startswith("CREATE TABLE"):
            engine = re.search(r"ENGINE = (\w+)", statement)
            assert engine, name
            if name.endswith("_local") or name == "inferwatch_schema_migrations":
                assert engine.group(1).startswith("Replicated"), name
                if name != "inferwatch_schema_migrations":
                    assert "TTL toDateTime(" in statement, name
            elif name in data_tables:
                assert engine.group(1) == "Distributed", name
                assert f"AS `default`.{name}_local " in statement, name
            else:
                assert engine.group(1) == "Null", name
        else:
            target_table = re.search(r"\bTO `default`\.(\w+)", statement)
            source_table = re.search(r"\bFROM `default`\.(\w+)", statement)
            assert target_table and source_table, name
            # Rows go through the Distributed table; a view fires on the shard that stores its source.
            assert target_table.group(1) in data_tables, name
            source = source_table.group(1)
            assert source.endswith("_ingest") or source.removesuffix("_local") in data_tables, name
            assert source not in data_tables, f"{name} reads the Distributed table {source}"
    for table in data_tables:
        local = created.index(f"{table}_local")
        assert created[local + 1] == table, f"no Distributed table right after {table}_local"


def test_otlp_migrations_on_a_single_node_have_no_cluster_artifacts() -> None:
    for statement in plan(otlp_tables.migrations(), SINGLE_NODE, otlp_tables.MACROS):
        assert "ON CLUSTER" not in statement
        assert "_local" not in statement
        assert "Replicated" not in statement and "Distributed" not in statement
        assert "TTL" not in statement
        assert "$" not in statement and "@" not in statement


# ---- golden: the ML migrations (views over the OTLP tables) ------------------------------------
@pytest.mark.parametrize(
    ("file_name", "target"),
    [("ddl_ml_single_node.sql", SINGLE_NODE), ("ddl_ml_cluster.sql", CLUSTER)],
    ids=["single_node", "cluster"],
)
def test_ml_migrations_golden(file_name: str, target: Target, request: pytest.FixtureRequest) -> None:
    from processors.ml import tables as ml_tables

    statements = [
        statement
        for migration in ml_tables.migrations()
        for statement in render(migration.template, target, ml_tables.all_macros())
    ]
    actual = "".join(f"{statement};\n\n" for statement in statements)
    path = TESTDATA / file_name
    if request.config.getoption("--update-golden"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8"), f"{file_name} differs: run pytest --update-golden"
    if target.cluster:
        for statement in statements:
            assert "ON CLUSTER `analytics`" in statement.splitlines()[0]
            for source in re.findall(r"FROM `default`\.(otel_\w+)", statement):
                assert source.endswith("_local"), f"a view must read the local table, not {source}"
