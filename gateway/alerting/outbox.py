"""The durable outbox of notifications: one JSON file per request waiting to be delivered.

Reads/writes: ``<data_dir>/outbox/`` — ``pending/<seq>-<action>-<hash>.json`` (one per request),
``state/<hash>.json`` (per target and alias: open or closed, and the route the create took),
``dead/`` (given-up requests, newest ``max_dead`` kept), ``corrupt/`` (files that could not be read).
Config keys: ``notifications.delivery.max_pending``.

Durability: every file is written to a ``.tmp`` sibling, fsynced, renamed over its name and the
directory fsynced, so after a crash (kill -9, power loss) a file is either the old or the new
version, never a torn one. Leftover ``.tmp`` files are removed at start; a file that still cannot
be decoded is moved to ``corrupt/`` (logged and counted), never silently dropped.

Idempotence, by target + alias + action: a ``create`` for an alias that is open (a create queued or
delivered, no close since) is not queued again, nor is a ``close`` for an alias already closed. So
an evaluator that re-sends ``firing`` after a restart never pages twice. Delivery is at least once:
a crash between a 202 and the file's removal sends that request again, which Opsgenie de-duplicates
on the alias while the alert is open. Requests of one alias are delivered in the order queued.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CREATE, CLOSE, NOTE = "create", "close", "note"
ACTIONS = (CREATE, CLOSE, NOTE)
CLOSED_STATE_RETENTION = 7 * 24 * 3600.0  # seconds a closed alias is remembered (duplicate closes)


class OutboxFullError(Exception):
    """``max_pending`` notifications are waiting; nothing more is queued until some are delivered."""


@dataclass(frozen=True)
class OutboxEntry:
    """One request to deliver. ``route`` holds where and how (URL, API key env/file, secret env):
    references only, never a key or secret. Times are epoch seconds."""

    id: str
    target: str  # "opsgenie" or "webhook:<name>"
    action: str  # create | close | note
    alias: str
    body: Mapping[str, Any]
    route: Mapping[str, str]
    created_at: float
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str = ""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> OutboxEntry:
        document = json.loads(raw.decode("utf-8"))
        entry = cls(**document)
        if entry.action not in ACTIONS or not entry.target or not entry.id:
            raise ValueError(f"not an outbox entry: action {entry.action!r}, target {entry.target!r}")
        return entry


@dataclass
class AliasState:
    target: str
    alias: str
    open: bool
    route: dict[str, str] = field(default_factory=dict)
    at: float = 0.0


@dataclass
class OutboxStats:
    queued: int = 0
    deduplicated: int = 0
    dropped: int = 0  # refused: the outbox was full
    delivered: int = 0
    given_up: int = 0
    corrupt: int = 0


class Outbox:
    """Thread-safe: the alert evaluator enqueues while the delivery task drains."""

    def __init__(
        self, directory: str | os.PathLike[str], max_pending: int = 10_000, max_dead: int = 1_000
    ) -> None:
        self.directory = Path(directory)
        self.max_pending = max_pending
        self.max_dead = max_dead
        self.stats = OutboxStats()
        self._lock = threading.Lock()
        self._pending_dir = self.directory / "pending"
        self._state_dir = self.directory / "state"
        for sub in (self._pending_dir, self._state_dir, self.directory / "dead", self.directory / "corrupt"):
            sub.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, OutboxEntry] = {}
        self._states: dict[str, AliasState] = {}
        self._sequence = 0
        self._load()

    # ---- loading -------------------------------------------------------------------------------
    def _load(self) -> None:
        for directory in (self._pending_dir, self._state_dir):
            for leftover in directory.glob("*.tmp"):  # a write interrupted before its rename
                leftover.unlink(missing_ok=True)
        for path in sorted(self._pending_dir.glob("*.json")):
            try:
                entry = OutboxEntry.from_json(path.read_bytes())
            except (ValueError, TypeError, UnicodeDecodeError) as error:
                self._quarantine(path, error)
                continue
            self._entries[entry.id] = entry
            self._sequence = max(self._sequence, int(entry.id.split("-", 1)[0]))
        for path in self._state_dir.glob("*.json"):
            try:
                state = AliasState(**json.loads(path.read_bytes().decode("utf-8")))
            except (ValueError, TypeError, UnicodeDecodeError) as error:
                self._quarantine(path, error)
                continue
            self._states[path.stem] = state
        if self._entries:
            log.info("outbox: %d undelivered notification(s) from an earlier run", len(self._entries))

    def _quarantine(self, path: Path, error: Exception) -> None:
        self.stats.corrupt += 1
        log.error("outbox: %s cannot be read (%s); moved to corrupt/", path.name, error)
        os.replace(path, self.directory / "corrupt" / path.name)

    # ---- queueing ------------------------------------------------------------------------------
    def enqueue(
        self,
        target: str,
        action: str,
        alias: str,
        body: Mapping[str, Any],
        route: Mapping[str, str],
        now: float,
    ) -> OutboxEntry | None:
        """Queue one request durably; None when it is a duplicate. Raises ``OutboxFullError`` when
        ``max_pending`` requests wait (and OSError when the disk refuses): the caller offers it again."""
        if action not in ACTIONS:
            raise ValueError(f"action: must be one of {', '.join(ACTIONS)}, got {action!r}")
        with self._lock:
            key = _digest(target, alias)
            state = self._states.get(key)
            if self._is_duplicate(target, action, alias, state):
                self.stats.deduplicated += 1
                return None
            if len(self._entries) >= self.max_pending:
                self.stats.dropped += 1
                raise OutboxFullError(
                    f"outbox full ({self.max_pending} pending): {target} {action} {alias} not queued"
                )
            self._sequence += 1
            entry = OutboxEntry(
                id=f"{self._sequence:016d}-{action}-{key[:16]}",
                target=target,
                action=action,
                alias=alias,
                body=dict(body),
                route=dict(route),
                created_at=now,
                next_attempt_at=now,
            )
            # The entry before the state: a crash in between leaves a queued create (a duplicate
            # create later is de-duplicated by Opsgenie), never an open state without its page.
            _write_atomically(self._pending_dir / f"{entry.id}.json", entry.to_json())
            self._entries[entry.id] = entry
            if action != NOTE:
                opened = action == CREATE
                new_state = AliasState(
                    target, alias, opened, dict(route) if opened else _route_of(state), now
                )
                _write_atomically(self._state_dir / f"{key}.json", json.dumps(asdict(new_state)).encode())
                self._states[key] = new_state
            self.stats.queued += 1
            return entry

    def _is_duplicate(self, target: str, action: str, alias: str, state: AliasState | None) -> bool:
        if action == CREATE:
            return state is not None and state.open
        if action == CLOSE:
            return state is not None and not state.open
        return False

    def open_route(self, target: str, alias: str) -> Mapping[str, str] | None:
        """The route the open alert's create took (close and notes follow it), if the alias is open."""
        with self._lock:
            state = self._states.get(_digest(target, alias))
            return dict(state.route) if state is not None and state.open else None

    def is_open(self, target: str, alias: str) -> bool:
        with self._lock:
            state = self._states.get(_digest(target, alias))
            return state is not None and state.open

    # ---- draining ------------------------------------------------------------------------------
    def pending(self) -> list[OutboxEntry]:
        with self._lock:
            return [self._entries[key] for key in sorted(self._entries)]

    def due(self, now: float) -> list[OutboxEntry]:
        """Entries whose time has come, oldest first, at most one per target + alias (the oldest
        undelivered one: a close never overtakes its create)."""
        seen: set[tuple[str, str]] = set()
        due = []
        for entry in self.pending():
            instance = (entry.target, entry.alias)
            if instance in seen:
                continue
            seen.add(instance)
            if entry.next_attempt_at <= now:
                due.append(entry)
        return due

    def delivered(self, entry: OutboxEntry) -> None:
        with self._lock:
            self._remove(entry)
            self.stats.delivered += 1

    def reschedule(self, entry: OutboxEntry, next_attempt_at: float, error: str) -> OutboxEntry:
        updated = replace(
            entry, attempts=entry.attempts + 1, next_attempt_at=next_attempt_at, last_error=error
        )
        with self._lock:
            if entry.id in self._entries:
                _write_atomically(self._pending_dir / f"{entry.id}.json", updated.to_json())
                self._entries[entry.id] = updated
        return updated

    def give_up(self, entry: OutboxEntry, reason: str) -> None:
        """Move the entry to ``dead/`` (kept for inspection, the newest ``max_dead``). A create given
        up leaves its alias not open, so the next firing of that instance pages again."""
        dead = replace(entry, attempts=entry.attempts + 1, last_error=reason)
        with self._lock:
            _write_atomically(self.directory / "dead" / f"{entry.id}.json", dead.to_json())
            self._remove(entry)
            self.stats.given_up += 1
            key = _digest(entry.target, entry.alias)
            state = self._states.get(key)
            if entry.action == CREATE and state is not None and state.open and not self._has_pending(entry):
                (self._state_dir / f"{key}.json").unlink(missing_ok=True)
                del self._states[key]
            for old in sorted((self.directory / "dead").glob("*.json"))[: -self.max_dead or None]:
                old.unlink(missing_ok=True)

    def prune(self, now: float) -> int:
        """Forget aliases closed more than a week ago; returns how many."""
        removed = 0
        with self._lock:
            for key, state in list(self._states.items()):
                if not state.open and now - state.at > CLOSED_STATE_RETENTION:
                    (self._state_dir / f"{key}.json").unlink(missing_ok=True)
                    del self._states[key]
                    removed += 1
        return removed

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _has_pending(self, entry: OutboxEntry) -> bool:
        return any(e.target == entry.target and e.alias == entry.alias for e in self._entries.values())

    def _remove(self, entry: OutboxEntry) -> None:
        if self._entries.pop(entry.id, None) is not None:
            (self._pending_dir / f"{entry.id}.json").unlink(missing_ok=True)
            _fsync_directory(self._pending_dir)


def _route_of(state: AliasState | None) -> dict[str, str]:
    return dict(state.route) if state is not None else {}


def _digest(target: str, alias: str) -> str:
    return hashlib.sha256(f"{target}\n{alias}".encode()).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
