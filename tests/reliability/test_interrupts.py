"""Stopping `rules batch` or `rules generate` in the middle leaves the previous outputs whole.

A real process is started on an input large enough to take a while; once its temporary output
file exists (it is writing), it gets SIGINT or SIGTERM. The previous results must be exactly as
they were, the temporary file gone, the exit code 128 + the signal, and no traceback. SIGKILL
cannot be caught: the previous results must still be whole (a temporary file may remain).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from reliability.support import popen_rules, temporary_files

import rules
from rules.batch.generate import write


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    write(rules.load(), 200_000, folder / "cases.csv", seed=2)
    write(rules.load(), 400_000, folder / "cases.parquet", seed=2)
    return folder


def _when_writing(process: subprocess.Popen[str], out: Path, deadline: float = 60) -> bool:
    """Wait until the process has a temporary file beside `out` (it is writing)."""
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if temporary_files(out.parent):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    return False


COMMANDS = {
    "batch-csv": (["batch", "{big}/cases.csv", "--out", "{out}/results.csv",
                   "--chunk-rows", "20000"], "results.csv"),
    "batch-parquet": (["batch", "{big}/cases.parquet", "--out", "{out}/results.parquet"],
                      "results.parquet"),
    "generate": (["generate", "1500000", "--out", "{out}/cases.parquet"], "cases.parquet"),
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_signal_keeps_previous_output(command: str, signum: int, big: Path,
                                      tmp_path: Path) -> None:
    args, name = COMMANDS[command]
    previous = tmp_path / name
    previous.write_bytes(b"previous complete results\n")
    argv = [a.replace("{big}", str(big)).replace("{out}", str(tmp_path)) for a in args]
    process = popen_rules(argv, tmp_path)
    try:
        assert _when_writing(process, previous), "the command never started writing"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert previous.read_bytes() == b"previous complete results\n"
    assert temporary_files(tmp_path) == []


def test_sigkill_keeps_previous_output(big: Path, tmp_path: Path) -> None:
    previous = tmp_path / "results.csv"
    previous.write_bytes(b"previous complete results\n")
    process = popen_rules(["batch", str(big / "cases.csv"), "--out", str(previous),
                           "--chunk-rows", "20000"], tmp_path)
    try:
        assert _when_writing(process, previous)
        process.kill()
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert previous.read_bytes() == b"previous complete results\n"


def test_completed_run_replaces_previous_output(tmp_path: Path) -> None:
    """The other half of the contract: when the run completes, the new results are in place."""
    write(rules.load(), 2_000, tmp_path / "cases.csv", seed=2)
    previous = tmp_path / "results.csv"
    previous.write_bytes(b"previous complete results\n")
    process = popen_rules(["batch", str(tmp_path / "cases.csv"), "--out", str(previous)],
                          tmp_path)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert previous.read_text().startswith("row,reconciliation,")
    assert temporary_files(tmp_path) == []
