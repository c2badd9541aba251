"""Retraining triggers in the gateway: evaluate, record once per episode, deliver to a webhook and alert.

Reads: the trigger files (``performance.trigger_files``), the stored daily series (``ml_performance``
1 d windows, ``ml_drift``), daily error rates (``ml_request_breakdown``), ``ml_model_versions``,
``ml_latest_labels``, ``ml_retraining_triggers``, the webhook secret from ``performance.webhook.secret_env``.
Writes: ``ml_retraining_triggers`` rows (a fired episode, then its delivery state), ``POST`` to
``performance.webhook.url`` (``gateway.alerting.webhook.post_json``: JSON, HMAC-signed), and, with
``performance.alert_on_trigger``, a P3 ``AlertEvent`` (category "retraining") to ``gateway.notifiers``.

Everything a decision needs is read back from ClickHouse at each run, so "3 consecutive days" and
"fired once" hold across restarts and replicas. An undelivered episode is POSTed again at every run
until the webhook accepts it, answers a permanent error (4xx other than 408/429), or
``performance.webhook.max_age`` has passed since it fired; then it is given up (``GivenUp`` 1, logged as
an error) and shown as such by ``inferwatch performance``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from gateway.alerting.webhook import WebhookError, post_json
from gateway.config.paths import yaml_file_paths
from gateway.config.performance_schema import PerformanceConfig
from gateway.performance import reads
from gateway.performance.windows_task import thresholds_for
from processors.alerting.events import AlertEvent
from processors.performance import query
from processors.performance.triggers import (
    Firing,
    Trigger,
    data_firing,
    load_triggers,
    series_firing,
    time_firing,
)

log = logging.getLogger(__name__)
DAY_NS = 86_400 * 10**9
MS = 10**6
COLUMNS = (
    "FiredAt",
    "ModelName",
    "ModelVersion",
    "Trigger",
    "Kind",
    "Episode",
    "Evidence",
    "Delivered",
    "GivenUp",
    "Attempts",
    "LastError",
    "UpdatedAt",
)


def load_trigger_files(paths: Sequence[str]) -> tuple[Trigger, ...]:
    """Every trigger of every file (a directory stands for its YAML files, like ``quality.rule_files``);
    a file's problems raise ``TriggerLoadError`` (FILE:LINE:COL)."""
    triggers: list[Trigger] = []
    for path in yaml_file_paths(paths):
        triggers.extend(load_triggers(path.read_text(encoding="utf-8"), str(path)))
    return tuple(triggers)


@dataclass(frozen=True)
class Record:
    """One recorded episode and its latest delivery state."""

    model: str
    version: str
    trigger: str
    kind: str
    episode_unix_nano: int
    fired_unix_nano: int
    evidence: dict[str, Any]
    delivered: bool
    attempts: int
    last_error: str
    given_up: bool = False
    updated_unix_nano: int = 0  # the latest row's UpdatedAt: a newer state is written strictly after it

    @property
    def state(self) -> str:
        """delivered, given up or pending (waiting for the next attempt)."""
        return "delivered" if self.delivered else "given up" if self.given_up else "pending"

    def document(self, description: str = "") -> dict[str, Any]:
        """The webhook body (and the CLI's view of a trigger)."""
        return {
            "type": "inferwatch.retraining_trigger",
            "model": self.model,
            "version": self.version,
            "trigger": self.trigger,
            "kind": self.kind,
            "description": description,
            "episode": _iso(self.episode_unix_nano),
            "fired_at": _iso(self.fired_unix_nano),
            "evidence": self.evidence,
        }


def read_records(source: reads.RowSource, model: str = "") -> list[Record]:
    return [
        Record(
            row[0],
            row[1],
            row[2],
            row[4],
            int(row[3]),
            int(row[5]),
            json.loads(row[6]),
            bool(row[7]),
            int(row[9]),
            row[10],
            bool(row[8]),
            int(row[11]),
        )
        for row in source.rows(query("retraining_triggers"), {"model": model})
    ]


class RetrainingTriggers:
    """Evaluates the triggers of one gateway each run (``run(now)``)."""

    def __init__(
        self,
        config: PerformanceConfig,
        triggers: Sequence[Trigger],
        client: Any,
        notifiers: Sequence[Callable[[AlertEvent], None]],
        environ: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.triggers = tuple(triggers)
        self.client = client
        self.source = reads.ClientRows(client)
        self.notifiers = notifiers
        environ = os.environ if environ is None else environ
        env = config.webhook.secret_env
        self.secret = environ.get(env, "") if env else ""
        if env and not self.secret:
            log.warning("performance.webhook.secret_env: %s is not set; trigger webhooks go unsigned", env)

    def run(self, now: int) -> list[Firing]:
        """Record every new episode, alert on it, then deliver every undelivered one. Returns the new."""
        recorded = {
            (r.model, r.version, r.trigger, r.episode_unix_nano // MS) for r in read_records(self.source)
        }
        new = []
        for firing in self.firings(now):
            key = (firing.model, firing.version, firing.trigger.name, firing.episode_unix_nano // MS)
            if key in recorded:
                continue
            recorded.add(key)
            self._write(
                firing.model,
                firing.version,
                firing.trigger.name,
                firing.trigger.kind,
                firing.episode_unix_nano,
                now,
                dict(firing.evidence),
                not self.config.webhook.url,
                False,
                0,
                "",
                now,
            )
            log.info(
                "retraining trigger %s fired for %s %s", firing.trigger.name, firing.model, firing.version
            )
            self._alert(firing, now)
            new.append(firing)
        if self.config.webhook.url:
            self.deliver(now)
        return new

    def firings(self, now: int) -> list[Firing]:
        """Every trigger whose condition holds now; a trigger whose reads fail is logged and skipped
        (the others still run, and it is evaluated again next run)."""
        firings: list[Firing] = []
        versions: dict[reads.Key, int] | None = None
        for trigger in self.triggers:
            try:
                if trigger.kind in ("performance", "drift"):
                    firings.extend(self._series(trigger, now))
                    continue
                if versions is None:
                    versions = reads.model_versions(self.source, now - DAY_NS)
                firings.extend(self._per_version(trigger, versions, now))
            except Exception:  # boundary: one trigger's failing query must not stop the others
                log.exception(
                    "retraining trigger %s could not be evaluated (%s)", trigger.name, trigger.source
                )
        return firings

    def _per_version(self, trigger: Trigger, versions: dict[reads.Key, int], now: int) -> list[Firing]:
        firings = []
        for (model, version), first_seen in sorted(versions.items()):
            if not trigger.applies_to(model):
                continue
            if trigger.kind == "time":
                fired = time_firing(trigger, model, version, first_seen, now)
            else:
                count = reads.labels_since(self.source, model, first_seen)
                fired = data_firing(trigger, model, version, first_seen, count)
            if fired is not None:
                firings.append(fired)
        return firings

    def _series(self, trigger: Trigger, now: int) -> list[Firing]:
        since = now - (trigger.days + 2) * DAY_NS
        if trigger.metric == "error_rate":
            series = reads.daily_error_rates(self.source, since)
            min_samples = self.config.min_samples
        elif trigger.kind == "performance":
            windows = reads.window_series(
                self.source, "ml_performance", trigger.metric, since, self.config.trigger_window
            )
            series = {key: reads.daily_values(values) for key, values in windows.items()}
            min_samples = self.config.min_samples
        else:
            windows = reads.window_series(self.source, "ml_drift", trigger.metric, since)
            series = {key: reads.daily_values(values) for key, values in windows.items()}
            min_samples = 0
        firings = []
        for (model, version), values in sorted(series.items()):
            if not trigger.applies_to(model):
                continue
            threshold = thresholds_for(self.config, model).get(trigger.metric)
            baseline = threshold.baseline if threshold else None
            fired = series_firing(trigger, model, version, values, now, baseline, min_samples)
            if fired is not None:
                firings.append(fired)
        return firings

    def deliver(self, now: int) -> None:
        """POST every pending episode; the outcome is recorded either way. A failure is retried next run
        unless it is permanent or the episode fired ``webhook.max_age`` ago: then it is given up."""
        descriptions = {trigger.name: trigger.description for trigger in self.triggers}
        webhook = self.config.webhook
        max_age = webhook.max_age // timedelta(microseconds=1) * 1000
        for record in read_records(self.source):
            if record.delivered or record.given_up:
                continue
            try:
                post_json(
                    webhook.url,
                    record.document(descriptions.get(record.trigger, "")),
                    self.secret or None,
                    webhook.timeout.total_seconds(),
                    timestamp=now / 1e9,
                )
                delivered, given_up, error = True, False, ""
            except WebhookError as failure:
                delivered, error = False, str(failure)
                given_up = not failure.retryable or now - record.fired_unix_nano >= max_age
                if given_up:
                    log.error(
                        "retraining trigger %s for %s: webhook given up after %d attempts (%s): %s",
                        record.trigger,
                        record.model,
                        record.attempts + 1,
                        "permanent error" if not failure.retryable else "performance.webhook.max_age passed",
                        failure,
                    )
                else:
                    log.warning(
                        "retraining trigger %s for %s: webhook failed (retried next run): %s",
                        record.trigger,
                        record.model,
                        failure,
                    )
            self._write(
                record.model,
                record.version,
                record.trigger,
                record.kind,
                record.episode_unix_nano,
                record.fired_unix_nano,
                record.evidence,
                delivered,
                given_up,
                record.attempts + 1,
                error,
                # Strictly after the row it replaces: the firing row of this same run carries ``now``
                # too, and argMax over equal UpdatedAt picks either (a delivered episode read back as
                # undelivered would be POSTed again).
                max(now, record.updated_unix_nano + MS),
            )

    def _write(
        self,
        model: str,
        version: str,
        trigger: str,
        kind: str,
        episode: int,
        fired: int,
        evidence: dict[str, Any],
        delivered: bool,
        given_up: bool,
        attempts: int,
        error: str,
        now: int,
    ) -> None:
        row = [
            _datetime(fired),
            model,
            version,
            trigger,
            kind,
            _datetime(episode),
            json.dumps(evidence, sort_keys=True),
            int(delivered),
            int(given_up),
            attempts,
            error,
            _datetime(now),
        ]
        self.client.insert("ml_retraining_triggers", [row], column_names=list(COLUMNS))

    def _alert(self, firing: Firing, now: int) -> None:
        if not self.config.alert_on_trigger:
            return
        trigger = firing.trigger
        threshold = trigger.condition_text()
        days = firing.evidence.get("days") or [{}]
        event = AlertEvent(
            kind="firing",
            rule=f"retraining:{trigger.name}",
            severity="P3",
            labels={"model": firing.model, "version": firing.version, "trigger": trigger.name},
            value=float(days[-1].get("value", 1.0)),
            threshold=threshold,
            window=f"{trigger.days}d" if trigger.kind in ("performance", "drift") else "",
            summary=f"Retrain {firing.model} {firing.version}: {trigger.description or threshold}",
            at=now / 1e9,
            fired_at=now / 1e9,
            annotations={"evidence": json.dumps(dict(firing.evidence), sort_keys=True)},
            category="retraining",
        )
        for notify in self.notifiers:
            try:
                notify(event)
            except Exception:  # boundary: one failing notifier must not stop the others or the record
                log.exception("notifier failed for retraining trigger %s", trigger.name)


def _datetime(unix_nano: int) -> datetime:
    return datetime.fromtimestamp(unix_nano // 1000 / 1e6, tz=timezone.utc)


def _iso(unix_nano: int) -> str:
    return _datetime(unix_nano).isoformat(timespec="milliseconds").replace("+00:00", "Z")
