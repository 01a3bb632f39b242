"""Replay every bad input of bad_inputs.yaml through the CLI and the library.

The CLI (CliRunner for every entry, a real process for those marked `subprocess`) must exit with
the expected code, print no traceback, say on the first line of stderr where and what the
problem is, leave the files it was told to keep byte for byte as they were, and leave no
temporary file. The library must raise only `rules.RulesError` subclasses (the one named).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from reliability.support import INPUTS, ROOT, digest, prepare, run_rules, temporary_files
from typer.testing import CliRunner

import rules
from cli import app

MANIFEST = Path(__file__).resolve().parent / "bad_inputs.yaml"
ENTRIES: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
runner = CliRunner()


def _args(entry: dict[str, Any]) -> list[str]:
    return [str(a).replace("{amendments}", str(ROOT / "amendments")) for a in entry["run"]]


def _stdin(entry: dict[str, Any]) -> bytes | None:
    if "stdin_file" in entry:
        return (INPUTS / entry["stdin_file"]).read_bytes()
    return entry["stdin"].encode() if "stdin" in entry else None


def _check(entry: dict[str, Any], work: Path, code: int, stdout: str, stderr: str,
           before: dict[str, str], how: str) -> None:
    where = f"{entry['id']} ({how})"
    assert "Traceback" not in stdout + stderr, f"{where}: traceback\n{stderr}"
    assert code == entry.get("exit", 2), f"{where}: exit {code}\n{stdout}\n{stderr}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "error" in entry:
        assert lines, f"{where}: nothing on stderr"
        assert re.search(entry["error"], lines[0]), f"{where}: first line\n{stderr}"
    if "stderr" in entry:
        assert re.search(entry["stderr"], stderr), f"{where}: stderr\n{stderr}"
    if "stdout" in entry:
        assert re.search(entry["stdout"], stdout, re.MULTILINE), f"{where}: stdout\n{stdout}"
    for text in entry.get("never", []):
        assert text not in stdout + stderr, f"{where}: {text!r} was printed"
    if "json" in entry:
        data = json.loads(stdout)
        for key, value in entry["json"].items():
            assert data[key] == value, f"{where}: {key} = {data[key]!r}"
    for name, sha in before.items():
        assert digest(work / name) == sha, f"{where}: {name} was changed"
    for name in entry.get("absent", []):
        assert not (work / name).exists(), f"{where}: {name} was written"
    assert temporary_files(work) == [], f"{where}: temporary files left"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_cli(entry: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(entry, tmp_path)
    before = {name: digest(tmp_path / name) for name in entry.get("keep", [])}
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, _args(entry), input=_stdin(entry))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{entry['id']}: uncaught {result.exception!r}") \
            from result.exception
    _check(entry, tmp_path, result.exit_code, result.stdout, result.stderr, before, "CliRunner")


SUBPROCESS = [e for e in ENTRIES if e.get("subprocess")]


@pytest.mark.parametrize("entry", SUBPROCESS, ids=[e["id"] for e in SUBPROCESS])
def test_process(entry: dict[str, Any], tmp_path: Path) -> None:
    """In a real process: a hang is a timeout, a crash of the interpreter is its exit code."""
    prepare(entry, tmp_path)
    before = {name: digest(tmp_path / name) for name in entry.get("keep", [])}
    done = run_rules(_args(entry), tmp_path, timeout=60)
    _check(entry, tmp_path, done.returncode, done.stdout, done.stderr, before, "process")


LIBRARY = [e for e in ENTRIES if e.get("library")]


def _library_call(call: dict[str, Any], work: Path) -> Any:
    from rules.batch import compile_batch, run_batch

    bill = rules.load()
    kind = call["call"]
    if kind == "evaluate":
        return bill.evaluate((work / call["file"]).read_bytes(), as_of=call.get("as_of"))
    if kind == "why_not":
        return bill.why_not((work / call["file"]).read_bytes(), call["provision"])
    if kind == "load":
        return rules.load(work / call["folder"])
    if kind == "amendment":
        from rules.language.amendments import load_amendment

        return load_amendment(work / call["file"])
    if kind == "batch":
        out = work / call["out"] if "out" in call else None
        return run_batch(compile_batch(bill), work / call["cases"], out)
    if kind == "corpus":        # the one case reader, as `rules diff --cases` reads a corpus
        from rules.cases.read import read_frames

        kinds = {p: f.type.kind for p, f in bill.facts.items()}
        return list(read_frames(work / call["file"], kinds=kinds))
    if kind == "scenarios":
        from rules.drafter.scenarios import load_scenarios

        return load_scenarios(work / call["file"])
    if kind == "verify":
        from rules.limits import load_json
        from rules.lawyer.verify import verify

        return verify(load_json((work / call["file"]).read_text(encoding="utf-8")), bill)
    if kind == "generate":
        from rules.batch.generate import write

        return write(bill, 10, work / call["out"])
    raise ValueError(kind)


@pytest.mark.parametrize("entry", LIBRARY, ids=[e["id"] for e in LIBRARY])
def test_library(entry: dict[str, Any], tmp_path: Path) -> None:
    """The library raises the named `rules.RulesError` subclass, never another exception."""
    prepare(entry, tmp_path)
    before = {name: digest(tmp_path / name) for name in entry.get("keep", [])}
    call = entry["library"]
    with pytest.raises(rules.RulesError) as raised:
        _library_call(call, tmp_path)
    assert type(raised.value).__name__ == call["raises"] or \
        call["raises"] in [c.__name__ for c in type(raised.value).__mro__], raised.value
    if "error" in call:
        assert re.search(call["error"], str(raised.value)), str(raised.value)
    for name, sha in before.items():
        assert digest(tmp_path / name) == sha, f"{name} was changed"
    assert temporary_files(tmp_path) == []


def test_manifest_is_well_formed() -> None:
    """Every entry names its finding, and ids are unique (the report counts them)."""
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids))
    known = {"id", "finding", "files", "make", "run", "stdin", "stdin_file", "exit", "error",
             "stderr", "stdout", "never", "json", "keep", "absent", "subprocess", "library"}
    for entry in ENTRIES:
        assert entry.get("finding"), entry["id"]
        assert set(entry) <= known, (entry["id"], set(entry) - known)
    assert os.path.isdir(INPUTS)
