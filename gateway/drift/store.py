"""Baselines in ClickHouse: create, list, read, activate; and the baseline of a stored window.

Reads: ``ml_baselines``, ``ml_baseline_activations`` (processors/drift/sql/0001_baselines.sql) and, for
window baselines, ``ml_features``; reads go through a ``Fetch`` (``client_fetch`` on a client, or the
CLI's read-only session) so the gateway and the CLI share them. Writes: ``ml_baselines`` and
``ml_baseline_activations`` through a clickhouse-connect client (the gateway's API route, or the
CLI's direct fallback). Config keys: ``drift.bins``, ``drift.top_k``, ``drift.reservoir_size``,
``drift.max_window_baseline_rows`` (window baselines).

A baseline is versioned per (model, model version) by ``Revision``; the active one is the newest
activation's. ``create_baseline`` and ``activate_baseline`` are the service functions the API route
and the CLI's direct path both call; bad input raises ``BaselineRequestError`` (HTTP 400), an unknown
id ``BaselineNotFound`` (404).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from processors.drift.baseline import BaselineBuilder, BaselineProfile, ColumnRoles, ProfileOptions
from processors.drift.profile import FeatureType
from processors.drift.window_queries import Fetch

CLASS_COLUMN, VALUE_COLUMN, CONFIDENCE_COLUMN = "__class__", "__value__", "__confidence__"
_SUMMARY_COLUMNS = (
    "BaselineId AS id, ModelName AS model, ModelVersion AS version, Revision AS revision, "
    "toUnixTimestamp64Milli(CreatedAt) AS created_ms, Source AS source, Rows AS rows"
)
_ACTIVE = (
    "SELECT ModelName, ModelVersion, argMax(BaselineId, ActivatedAt) AS BaselineId "
    "FROM ml_baseline_activations GROUP BY ModelName, ModelVersion"
)


class BaselineRequestError(ValueError):
    """A create/activate request that cannot be served as given (HTTP 400)."""


class BaselineNotFound(LookupError):
    """No baseline has this id (HTTP 404)."""


@dataclass(frozen=True)
class BaselineRecord:
    id: str
    model: str
    version: str
    revision: int
    created_unix_ms: int
    source: str
    rows: int
    active: bool
    profile: BaselineProfile | None = None

    def summary(self) -> dict[str, Any]:
        created = datetime.fromtimestamp(self.created_unix_ms / 1000, tz=timezone.utc)
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "revision": self.revision,
            "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "source": self.source,
            "rows": self.rows,
            "active": self.active,
            "features": None if self.profile is None else len(self.profile.features),
        }


def client_fetch(client: Any) -> Fetch:
    """A ``Fetch`` on a clickhouse-connect client: the same JSONEachRow rows as the query API gives."""

    def fetch(sql: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = client.raw_query(sql, parameters=dict(parameters), fmt="JSONEachRow")
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    return fetch


def _record(row: Mapping[str, Any], with_profile: bool) -> BaselineRecord:
    profile = BaselineProfile.from_dict(json.loads(row["profile"])) if with_profile else None
    return BaselineRecord(
        id=row["id"],
        model=row["model"],
        version=row["version"],
        revision=int(row["revision"]),
        created_unix_ms=int(row["created_ms"]),
        source=row["source"],
        rows=int(row["rows"]),
        active=bool(int(row["active"])),
        profile=profile,
    )


def find_baselines(
    fetch: Fetch,
    *,
    model: str | None = None,
    version: str | None = None,
    baseline_id: str | None = None,
    active_only: bool = False,
    with_profile: bool = False,
) -> list[BaselineRecord]:
    """Stored baselines (newest revision first per model version), filtered as asked."""
    conditions, parameters = ["1"], {}
    for column, name, value in (
        ("b.ModelName", "model", model),
        ("b.ModelVersion", "version", version),
        ("b.BaselineId", "id", baseline_id),
    ):
        if value is not None:
            conditions.append(f"{column} = {{{name}:String}}")
            parameters[name] = value
    if active_only:
        conditions.append("a.BaselineId != ''")
    sql = f"""
SELECT {_SUMMARY_COLUMNS}, a.BaselineId != '' AS active{", Profile AS profile" if with_profile else ""}
FROM (SELECT * FROM ml_baselines LIMIT 1 BY BaselineId) AS b
LEFT JOIN ({_ACTIVE}) AS a ON a.BaselineId = b.BaselineId
  AND a.ModelName = b.ModelName AND a.ModelVersion = b.ModelVersion
WHERE {" AND ".join(conditions)}
ORDER BY model, version, revision DESC"""
    return [_record(row, with_profile) for row in fetch(sql, parameters)]


def insert_baseline(
    client: Any,
    model: str,
    version: str,
    profile: BaselineProfile,
    source: str,
    now_unix_nano: int,
    *,
    activate: bool = False,
) -> BaselineRecord:
    """Store ``profile`` as the next revision of (model, version); activate it if asked."""
    if not model:
        raise BaselineRequestError("a baseline needs a model name (--model)")
    previous = client_fetch(client)(
        "SELECT max(Revision) AS revision FROM ml_baselines "
        "WHERE ModelName = {model:String} AND ModelVersion = {version:String}",
        {"model": model, "version": version},
    )
    revision = int(previous[0]["revision"]) + 1 if previous else 1
    baseline_id = uuid.uuid4().hex[:12]
    created = datetime.fromtimestamp(now_unix_nano // 1_000_000 / 1000, tz=timezone.utc)
    client.insert(
        "ml_baselines",
        [
            [
                baseline_id,
                model,
                version,
                revision,
                created,
                source,
                profile.rows,
                json.dumps(profile.to_dict()),
            ]
        ],
        column_names=[
            "BaselineId",
            "ModelName",
            "ModelVersion",
            "Revision",
            "CreatedAt",
            "Source",
            "Rows",
            "Profile",
        ],
    )
    if activate:
        _insert_activation(client, model, version, baseline_id, now_unix_nano)
    return BaselineRecord(
        baseline_id,
        model,
        version,
        revision,
        now_unix_nano // 1_000_000,
        source,
        profile.rows,
        activate,
        profile,
    )


def _insert_activation(client: Any, model: str, version: str, baseline_id: str, now_unix_nano: int) -> None:
    """One activation row; its time is after every earlier activation of the model version, so
    the newest activation is unambiguous even when two happen within one clock tick."""
    (latest,) = client_fetch(client)(
        "SELECT toUnixTimestamp64Nano(max(ActivatedAt)) AS latest FROM ml_baseline_activations "
        "WHERE ModelName = {model:String} AND ModelVersion = {version:String}",
        {"model": model, "version": version},
    )
    activated = max(now_unix_nano, int(latest["latest"]) + 1)
    client.insert(
        "ml_baseline_activations",
        [[model, version, baseline_id, activated]],
        column_names=["ModelName", "ModelVersion", "BaselineId", "ActivatedAt"],
    )


def activate_baseline(client: Any, baseline_id: str, now_unix_nano: int) -> BaselineRecord:
    """Make ``baseline_id`` the active baseline of its model version."""
    found = find_baselines(client_fetch(client), baseline_id=baseline_id)
    if not found:
        raise BaselineNotFound(f"no baseline {baseline_id!r}; list them with `inferwatch baseline list`")
    record = found[0]
    _insert_activation(client, record.model, record.version, record.id, now_unix_nano)
    return BaselineRecord(**{**record.__dict__, "active": True})


_WINDOW_EVENTS = (
    "FROM ml_features WHERE ModelName = {model:String} AND ModelVersion = {version:String} "
    "AND Timestamp >= fromUnixTimestamp64Nano({start:Int64}) "
    "AND Timestamp < fromUnixTimestamp64Nano({end:Int64})"
)


def window_baseline(
    client: Any,
    model: str,
    version: str,
    start_unix_nano: int,
    end_unix_nano: int,
    options: ProfileOptions,
    max_rows: int,
) -> BaselineProfile:
    """The profile of the inference events stored in [start, end) (a random sample past ``max_rows``).

    ClickHouse returns one column per feature (NaN / NULL where an event lacks it), so numeric
    features reach the profile as arrays, not as a map per event.
    """
    if end_unix_nano <= start_unix_nano:
        raise BaselineRequestError("the window must end after it starts (--from-window START/END)")
    window = {"model": model, "version": version, "start": start_unix_nano, "end": end_unix_nano}
    ((numeric_names, categorical_names, events),) = client.query(
        "SELECT arraySort(groupUniqArrayArray(CAST(mapKeys(NumericFeatures), 'Array(String)'))), "
        "arraySort(groupUniqArrayArray(CAST(mapKeys(CategoricalFeatures), 'Array(String)'))), count() "
        + _WINDOW_EVENTS,
        parameters=window,
    ).result_rows
    if not events:
        raise BaselineRequestError(
            f"no inference events of {model} {version} in that window: check the model, version and times"
        )
    categorical_names = [name for name in categorical_names if name not in set(numeric_names)]
    # past max_rows: a Bernoulli sample by a hash of the event (no sort of the whole window)
    ppm = 1_000_000 if events <= max_rows else max(1, max_rows * 1_000_000 // events)
    parameters: dict[str, Any] = window | {"limit": max_rows, "ppm": ppm}
    expressions = []
    for index, name in enumerate(numeric_names):
        parameters[f"n{index}"] = name
        key = f"{{n{index}:String}}"
        expressions.append(f"NumericFeatures[{key}], mapContains(NumericFeatures, {key})")
    for index, name in enumerate(categorical_names):
        parameters[f"c{index}"] = name
        expressions.append(f"nullIf(CategoricalFeatures[{{c{index}:String}}], '')")
    expressions += ["PredictionClass", "PredictionValue", "Confidence"]
    result = client.query(
        f"SELECT {', '.join(expressions)} {_WINDOW_EVENTS} "
        "AND cityHash64(TraceId, RequestId, Timestamp) % 1000000 < {ppm:UInt64} LIMIT {limit:UInt64}",
        parameters=parameters,
    )
    found = list(result.result_columns)
    rows = len(found[0]) if found else 0
    columns: dict[str, Any] = {}
    for index, name in enumerate(numeric_names):
        values, present = (
            np.asarray(found[2 * index], dtype=np.float64),
            np.asarray(found[2 * index + 1], dtype=bool),
        )
        columns[name] = np.where(present, values, np.nan)
    offset = 2 * len(numeric_names)
    for index, name in enumerate(categorical_names):
        columns[name] = list(found[offset + index])
    for position, name in enumerate((CLASS_COLUMN, VALUE_COLUMN, CONFIDENCE_COLUMN)):
        values = list(found[offset + len(categorical_names) + position])
        if any(value is not None for value in values):
            columns[name] = values
    roles = ColumnRoles(
        prediction=CLASS_COLUMN,
        confidence=CONFIDENCE_COLUMN,
        prediction_kind="class",
        prediction_value=VALUE_COLUMN,
    )
    types = dict.fromkeys(numeric_names, FeatureType.NUMERIC)
    return BaselineBuilder(roles, options, feature_types=types).add(columns, rows).build()


def create_baseline(
    client: Any, request: Mapping[str, Any], options: ProfileOptions, max_window_rows: int, now_unix_nano: int
) -> BaselineRecord:
    """The service behind ``POST /api/v1/baselines``.

    ``request``: ``model``, ``version``, ``activate`` (bool) and either ``profile`` (a
    ``BaselineProfile.to_dict``, with ``source``) or ``window`` (``{"start": ns, "end": ns}``).
    """
    if not isinstance(request, Mapping):
        raise BaselineRequestError("the body must be a JSON object")
    model, version = request.get("model"), request.get("version", "")
    if not isinstance(model, str) or not model or not isinstance(version, str):
        raise BaselineRequestError('"model" (non-empty string) and "version" (string) are required')
    activate = bool(request.get("activate", False))
    if "profile" in request:
        try:
            profile = BaselineProfile.from_dict(request["profile"])
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineRequestError(f'"profile" is not a baseline profile: {error}') from error
        source = str(request.get("source", "file"))
    elif isinstance(request.get("window"), Mapping):
        window = request["window"]
        try:
            start, end = int(window["start"]), int(window["end"])
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineRequestError(
                '"window" needs integer "start" and "end" (ns since the epoch)'
            ) from error
        profile = window_baseline(client, model, version, start, end, options, max_window_rows)
        source = f"window {_iso(start)}/{_iso(end)}"
    else:
        raise BaselineRequestError(
            'give either "profile" (from a file) or "window" ({"start": ns, "end": ns})'
        )
    return insert_baseline(client, model, version, profile, source, now_unix_nano, activate=activate)


def _iso(unix_nano: int) -> str:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
