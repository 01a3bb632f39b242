"""Solver work (amendment diff, rule-set check) in a child process under a hard time limit.

z3 has a time limit per query, not per request, and a thread cannot be stopped: so each job runs
in a process forked from a warm fork server (the engine and z3 already imported), answers through
a pipe in JSON (nothing is unpickled from a child), and is killed when the time is up. A job that
runs out of time answers `"status": "unknown"`, never "no change". The number of jobs at once is
bounded by the caller (`api`), so a burst of drafters cannot take every core.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

PRELOAD = ["rules.web.jobs", "rules.language.amendments", "rules.drafter.diff",
           "rules.solver.analysis", "z3"]
MEMORY_LIMIT_BYTES = 4 * 1024 ** 3


@dataclass(frozen=True)
class JobOutcome:
    """What a job gave: its JSON answer, or `timed_out`/`failed` with no answer."""

    answer: dict[str, Any] | None
    timed_out: bool = False
    failed: bool = False
    seconds: float = 0.0


_context: Any = None


def _ctx() -> Any:
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _context = ctx
    return _context


def run_limited(kind: str, payload: dict[str, Any], seconds: float) -> JobOutcome:
    """Run `WORKERS[kind](payload)` in a child process; kill it after `seconds` (blocking)."""
    ctx = _ctx()
    started = time.perf_counter()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(kind, payload, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            process.kill()
            process.join()
            return JobOutcome(None, timed_out=True, seconds=time.perf_counter() - started)
        try:
            data = receiver.recv_bytes()
        except EOFError:          # the child died without an answer (memory limit, a crash)
            process.join()
            return JobOutcome(None, failed=True, seconds=time.perf_counter() - started)
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        return JobOutcome(json.loads(data), seconds=time.perf_counter() - started)
    finally:
        receiver.close()


def _child(kind: str, payload: dict[str, Any], sender: Connection) -> None:
    from rules.language.source import RulesError

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass
    try:
        answer = WORKERS[kind](payload)
    except RulesError as error:
        from rules.web.problems import from_library_error

        problem = from_library_error(error)
        answer = {"problem": {"kind": problem.kind, "detail": problem.detail,
                              "extra": problem.extra}}
    except Exception:
        traceback.print_exc(file=sys.stderr)          # the server's log, never the response
        answer = {"error": "internal"}
    sender.send_bytes(json.dumps(answer, ensure_ascii=False, default=str).encode("utf-8"))
    sender.close()


# ---- the workers (run in the child) -------------------------------------------------------------

def _base(payload: dict[str, Any]) -> Any:
    """The served rule set, rebuilt from its folder and the amendment texts it started with."""
    import rules
    from rules.language.amendments import apply_amendment, parse_amendment

    ruleset = rules.load(payload.get("rules_dir"))
    for name, text in payload.get("base_amendments", []):
        ruleset = apply_amendment(ruleset, parse_amendment(text, name))
    return ruleset


def diff_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """Parse and apply the amendment text, then prove what it changes."""
    import datetime as dt

    from rules.drafter.diff import diff
    from rules.language.amendments import apply_amendment, parse_amendment

    base = _base(payload)
    amendment = parse_amendment(payload["text"], payload.get("file", "amendment.law"))
    amended = apply_amendment(base, amendment)
    as_of = dt.date.fromisoformat(payload["as_of"]) if payload.get("as_of") else None
    report = diff(base, amended, as_of=as_of, timeout_ms=int(payload["timeout_ms"]))
    date = amendment.date
    return {"amendment": {"id": amendment.id, "title": amendment.amendment.title,
                          "in_force_from": date.isoformat() if date else None},
            "status": "partial" if report.unknown else "complete", **report.to_json()}


def check_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """Diagnostics of the rule set (with the amendment text, if any), then the z3 analysis."""
    from rules.language.amendments import apply_amendment, parse_amendment
    from rules.language.loader import bundled_path, diagnose, read_sources
    from rules.language.source import RuleSetError
    from rules.solver.check import check_all
    from rules.web.problems import diagnostics_json

    sources = read_sources(payload.get("rules_dir") or bundled_path())
    ruleset, diagnostics = diagnose(sources)
    found = diagnostics_json(diagnostics, sources)
    if ruleset is None:
        return {"ok": False, "status": "complete", "diagnostics": found, "analysis": None}
    from rules.language.amendments import parse_amendment as parse

    for name, text in payload.get("base_amendments", []):
        ruleset = apply_amendment(ruleset, parse(text, name))
    amendment = None
    if payload.get("text"):
        try:
            parsed = parse_amendment(payload["text"], payload.get("file", "amendment.law"))
            ruleset = apply_amendment(ruleset, parsed)
            amendment = {"id": parsed.id, "title": parsed.amendment.title}
        except RuleSetError as error:
            return {"ok": False, "status": "complete", "amendment": None,
                    "diagnostics": found + diagnostics_json(error.diagnostics, error.sources),
                    "analysis": None}
    analysis = check_all(ruleset, payload.get("gaps", []), timeout_ms=int(payload["timeout_ms"]))
    unknown = [f for f in analysis.findings if f.kind == "unknown"]
    return {"ok": not analysis.findings and not analysis.inconsistencies,
            "status": "partial" if unknown else "complete", "amendment": amendment,
            "diagnostics": found, "analysis": analysis.to_json()}


def sleep_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """A job that takes `seconds` (tests the hard time limit without a hard proof)."""
    time.sleep(float(payload.get("seconds", 0)))
    return {"slept": payload.get("seconds", 0)}


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "diff": diff_worker, "check": check_worker, "sleep": sleep_worker}
