"""The dashboard as aligned plain-text tables, as ``inferwatch signals`` prints it.

Reads: a ``Signals`` value. Writes: nothing (pure; returns text).
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.ml.signals.results import ERROR_RATE_TIERS, Signals, format_instant

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_duration(seconds: float) -> str:
    """The two largest whole units: ``14 minutes``, ``1 hour 5 minutes``, ``2 days``."""
    remaining, parts = int(abs(seconds)), []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count and len(parts) < 2:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
        elif parts:
            break
    return " ".join(parts) or "0 seconds"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Columns padded to their widest cell; ``right`` marks the right-aligned (numeric) ones."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for cells in (headers, *rows):
        padded = [
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    return lines


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _thresholds() -> str:
    names = [tier for tier, _ in ERROR_RATE_TIERS[1:]] + ["emergency"]
    ceilings = [ceiling for _, ceiling in ERROR_RATE_TIERS]
    return ", ".join(f"{name} > {ceiling * 100:g}%" for name, ceiling in zip(names, ceilings, strict=True))


def no_data_message(signals: Signals) -> str:
    which = f"version {signals.version} of model" if signals.version else "model"
    return (
        f"no requests of {which} {signals.model!r} between {format_instant(signals.window.start_unix_nano)}"
        f" and {format_instant(signals.window.end_unix_nano)}"
    )


def _latency(signals: Signals) -> list[str]:
    lines = ["LATENCY (ms)"]
    if not signals.latency:
        return [*lines, "  no stage spans in the window"]
    rows = [
        [item.version or "-", item.stage, f"{item.count:,}"]
        + [f"{value:.1f}" for value in (item.p50_ms, item.p75_ms, item.p95_ms, item.p99_ms, item.p999_ms)]
        for item in signals.latency
    ]
    headers = ["VERSION", "STAGE", "COUNT", "P50", "P75", "P95", "P99", "P99.9"]
    return lines + table(headers, rows, [False, False] + [True] * 6)


def _throughput(signals: Signals) -> list[str]:
    t = signals.throughput
    depth = t.queue_depth
    rows = [
        ["requests", f"{t.requests:,}", f"{t.requests_per_second:.3g}/s"],
        ["successful", f"{t.successful:,}", _percent(t.successful / t.requests if t.requests else None)],
        ["failed", f"{t.failed:,}", _percent(t.failed / t.requests if t.requests else None)],
        ["timeout rate", _percent(t.timeout_rate), f"{t.timeouts:,} timeout{'' if t.timeouts == 1 else 's'}"],
        ["peak concurrent", f"{t.peak_concurrent_requests:,}", "requests in flight at once"],
        [
            "queue depth",
            _number(depth.last),
            f"latest; avg {_number(depth.avg)}, max {_number(depth.max)}"
            if depth.points
            else "no ml.queue.depth points",
        ],
        [
            "active requests",
            _number(t.active_requests.last),
            "latest" if t.active_requests.points else "no ml.requests.active points",
        ],
    ]
    return ["THROUGHPUT", *table(["", "", ""], rows, [False, True, False])[1:]]


def _errors(signals: Signals) -> list[str]:
    errors = signals.errors
    rate = (
        f"error rate {_percent(errors.error_rate)}: {errors.tier.upper()}  ({_thresholds()})"
        if errors.tier
        else "no requests"
    )
    lines = [f"ERRORS  {rate}"]
    if not errors.requests:
        return lines
    groups = [[name, f"{group.count:,}", _percent(group.share)] for name, group in errors.groups.items()]
    lines += table(["GROUP", "COUNT", "SHARE"], groups, [False, True, True])
    if errors.classes:
        classes = [
            [item.error_class, item.group, f"{item.count:,}", _percent(item.share)] for item in errors.classes
        ]
        lines += ["", *table(["CLASS", "GROUP", "COUNT", "SHARE"], classes, [False, False, True, True])]
    return lines


def _predictions(signals: Signals) -> list[str]:
    predictions = signals.predictions
    lines = ["PREDICTIONS"]
    if predictions.classes:
        rows = [
            [item.prediction_class, f"{item.count:,}", _percent(item.share)] for item in predictions.classes
        ]
        lines += [*table(["CLASS", "COUNT", "SHARE"], rows, [False, True, True]), ""]
    value, confidence = predictions.value, predictions.confidence
    if value.count:
        lines.append(
            f"value       mean {_number(value.mean)}  median {_number(value.median)}  "
            f"std {_number(value.std)} (population)  min {_number(value.min)}  max {_number(value.max)}"
            f"  ({value.count:,} values)"
        )
    if confidence.count:
        below = _percent(confidence.below_threshold_share)
        lines.append(
            f"confidence  mean {_number(confidence.mean)}  below {confidence.threshold:g}: "
            f"{confidence.below_threshold:,} of {confidence.count:,} ({below})"
        )
    if len(lines) == 1:
        lines.append("  no predictions in the window")
    return lines


def _deployments(signals: Signals) -> list[str]:
    lines = ["DEPLOYMENTS (versions first seen in the 24 h before the window end)"]
    for item in signals.deployments:
        lines.append(
            f"version {item.version} rolled out {describe_duration(item.before_window_end_seconds)} before"
            f" ({format_instant(item.deployed_at_unix_nano)}), {item.events:,} events"
            + (f", service {item.service}" if item.service else "")
        )
    if len(lines) == 1:
        lines.append("  none")
    return lines


def render_text(signals: Signals) -> str:
    which = f"version {signals.version}" if signals.version else "all versions"
    window = signals.window
    header = (
        f"{signals.model} ({which})  {format_instant(window.start_unix_nano)} to "
        f"{format_instant(window.end_unix_nano)} ({describe_duration(window.seconds)})"
    )
    sections = [[header] + ([no_data_message(signals)] if not signals.has_data else [])]
    sections += [
        _latency(signals),
        _throughput(signals),
        _errors(signals),
        _predictions(signals),
        _deployments(signals),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
