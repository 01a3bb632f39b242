"""The decision log: one JSON line per decision, appended safely under concurrency.

A child's case is sensitive: by default a line holds the record (hashes of the rules and the
case, engine version, the date the law was applied) and the outcomes, not the facts; the server
option `--log-cases` adds the case. Each line is written with one `write` on a descriptor opened
with `O_APPEND`, under a thread lock and an exclusive `flock`, so lines from threads and from
several worker processes never interleave. Text is ASCII-escaped JSON: no terminal escape or
bidi override reaches a terminal that `tail`s the log.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any

from rules.language.source import RulesError
from rules.results import Decision


class DecisionLog:
    """Appends decisions to a JSON-lines file."""

    def __init__(self, path: Path, log_cases: bool = False):
        self.path = Path(path)
        self.log_cases = log_cases
        self._lock = threading.Lock()
        if not self.path.parent.is_dir():
            raise RulesError(f"{self.path}: the folder {self.path.parent} does not exist")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            raise RulesError(f"{self.path}: cannot open the decision log: {error.strerror}"
                             ) from None
        os.close(fd)

    def entry(self, decision: Decision, source: str) -> dict[str, Any]:
        """What one line holds."""
        record = decision.record
        line: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "source": source,
            "rules_sha256": record.rules_sha256,
            "case_sha256": record.case_sha256,
            "engine_version": record.engine_version,
            "as_of": record.as_of.isoformat() if record.as_of else None,
            "outcomes": {o.action: o.modality for o in decision.outcomes},
            "conclusions": sorted({c.name for c in decision.conclusions}),
            "undetermined": sorted({u.action or u.conclusion or "" for u in decision.open_items()}),
            "conflicts": sorted({c.action or c.conclusion or "" for c in decision.conflicts}),
        }
        if self.log_cases:
            line["case"] = decision.case
        return line

    def append(self, decision: Decision, source: str) -> None:
        """Append one line for a decision (whole, never interleaved with another)."""
        data = (json.dumps(self.entry(decision, source), ensure_ascii=True, sort_keys=True)
                + "\n").encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
            finally:
                os.close(fd)      # closing releases the lock
