"""The SQL of the data-quality evaluation and of ``inferwatch quality``, with ClickHouse-bound parameters.

Reads: nothing. Writes: nothing (pure: text in, text out). Values travel as ``{name:Type}`` parameters;
the only names put into the text are table and column names of ``in_table`` references, which the rule
loader restricted to identifiers and which are back-quoted here.
"""

from __future__ import annotations

from processors.quality.model import TableReference
from processors.quality.status import METRIC_SIGNALS

# Records of one model whose rows reached ClickHouse in [start, end): receive time, not event time, so
# late events are judged when they arrive and a closed window does not change afterwards. Only the
# features the rules read are fetched. The newest rows first when there are more than ``limit``.
WINDOW_RECORDS = """
SELECT
    toUnixTimestamp64Nano(Timestamp) AS event_ns,
    toUnixTimestamp64Milli(ReceivedAt) AS received_ms,
    if(TraceId != '', TraceId, RequestId) AS key,
    ModelVersion AS version,
    mapFilter((k_, v_) -> has({fields:Array(String)}, k_), NumericFeatures) AS numeric,
    mapFilter((k_, v_) -> has({fields:Array(String)}, k_), CategoricalFeatures) AS categorical
FROM ml_features
WHERE ModelName = {model:String}
  AND ReceivedAt >= fromUnixTimestamp64Milli({start_ms:Int64})
  AND ReceivedAt < fromUnixTimestamp64Milli({end_ms:Int64})
ORDER BY ReceivedAt DESC
LIMIT {limit:UInt64}"""

# The latest evaluated window of one model, at or after ``since``: every metric's point. (The query API
# takes scalar parameters only, so the signal names, constants, are written into the text.)
LATEST_METRICS = f"""
SELECT Signal, argMax(Value, EvaluatedAt) AS value, argMax(Samples, EvaluatedAt) AS samples,
       argMax(Details, EvaluatedAt) AS details, toUnixTimestamp64Nano(WindowStart) AS window_start,
       toUnixTimestamp64Nano(WindowEnd) AS window_end
FROM ml_quality
WHERE ModelName = {{model:String}} AND ModelVersion = ''
  AND WindowEnd = (SELECT max(WindowEnd) FROM ml_quality
                   WHERE ModelName = {{model:String}}
                     AND WindowEnd >= fromUnixTimestamp64Nano({{since:Int64}}))
  AND Signal IN ({", ".join(f"'{name}'" for name in METRIC_SIGNALS.values())})
GROUP BY Signal, WindowStart, WindowEnd
ORDER BY Signal"""

# The violations of one window, most frequent first.
WINDOW_VIOLATIONS = """
SELECT Rule, Field, argMax(Violations, EvaluatedAt) AS violations, argMax(Checked, EvaluatedAt) AS checked,
       argMax(Samples, EvaluatedAt) AS samples
FROM ml_quality_violations
WHERE ModelName = {model:String} AND WindowEnd = fromUnixTimestamp64Nano({window_end:Int64})
GROUP BY Rule, Field
HAVING violations > 0
ORDER BY violations DESC, Rule, Field
LIMIT {limit:UInt64}"""

KNOWN_MODELS = "SELECT DISTINCT ModelName FROM ml_quality ORDER BY ModelName"


def _quote(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def reference_values(reference: TableReference) -> str:
    """The distinct values (as text) of a reference column; ``{limit:UInt64}`` bounds how many."""
    table = ".".join(_quote(part) for part in reference.table.split("."))
    return f"SELECT DISTINCT toString({_quote(reference.column)}) FROM {table} LIMIT {{limit:UInt64}}"
