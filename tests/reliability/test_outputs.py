"""Outputs are written whole or not at all, never over an input, and valid even when empty.

A full disk is tested on a small tmpfs when the test can mount one (root with CAP_SYS_ADMIN),
and always with a file-size limit (RLIMIT_FSIZE) on a real process: the write fails half way, and
the previous output must be left exactly as it was. A read-only folder is tested with its mode
(as root, in a process that drops to the `nobody` user first, since root ignores modes).
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from reliability.support import ROOT, run_rules, temporary_files

import rules
from rules.batch import compile_batch, run_batch
from rules.batch.generate import write
from rules.files import FileError, atomic_open, check_output

CASE = ROOT / "examples" / "cases" / "battery_of_child_2024.json"
AMENDMENT = ROOT / "amendments" / "psych_violence_reconciliation.law"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 generated cases (a few MB of CSV, some invalid rows)."""
    folder = tmp_path_factory.mktemp("corpus")
    write(rules.load(), 20_000, folder / "cases.csv", seed=5, invalid_share=0.01)
    write(rules.load(), 20_000, folder / "cases.parquet", seed=5, invalid_share=0.01)
    os.chmod(folder, 0o755)
    for name in ("cases.csv", "cases.parquet"):
        os.chmod(folder / name, 0o644)
    return folder


# ---- empty outputs are valid files ----------------------------------------------------------

def test_zero_rows_give_valid_files(tmp_path: Path) -> None:
    plan = compile_batch(rules.load())
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("offence.date,victim.age\n")
    for source in (empty, header_only):
        summary = run_batch(plan, source, tmp_path / "o.parquet")
        assert summary.rows_in == 0 and summary.balanced
        results = pl.read_parquet(tmp_path / "o.parquet")
        assert results.height == 0 and "reconciliation" in results.columns
        rejects = pl.read_csv(tmp_path / "o.rejects.csv")
        assert rejects.height == 0 and rejects.columns == ["row", "reason"]
        run_batch(plan, source, tmp_path / "o.csv")
        assert (tmp_path / "o.csv").read_text().startswith("row,reconciliation,")
    write(rules.load(), 0, tmp_path / "none.parquet")
    assert pl.read_parquet(tmp_path / "none.parquet").columns[:2] == ["offence.date",
                                                                      "offence.kind"]
    write(rules.load(), 0, tmp_path / "none.csv")
    assert (tmp_path / "none.csv").read_text().startswith("offence.date,offence.kind")
    # a 0-row Parquet input, streamed, gives a Parquet file with the schema
    run_batch(plan, tmp_path / "none.parquet", tmp_path / "streamed.parquet")
    assert pl.read_parquet(tmp_path / "streamed.parquet").height == 0
    assert temporary_files(tmp_path) == []


# ---- an error half way leaves the previous output ------------------------------------------

def test_error_half_way_keeps_previous_outputs(corpus: Path, tmp_path: Path) -> None:
    """A ragged row after a few MB: chunks were written, then the reader fails."""
    broken = tmp_path / "broken.csv"
    broken.write_text((corpus / "cases.csv").read_text() + "1,2\n")
    results, rejects = tmp_path / "r.csv", tmp_path / "r.rejects.csv"
    results.write_text("previous results\n")
    rejects.write_text("previous rejects\n")
    with pytest.raises(rules.RulesError, match=r"Expected \d+ columns, got 2"):
        run_batch(compile_batch(rules.load()), broken, results, chunk_rows=2_000)
    assert results.read_text() == "previous results\n"
    assert rejects.read_text() == "previous rejects\n"
    assert temporary_files(tmp_path) == []


def test_atomic_open_keeps_the_target_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(ZeroDivisionError), atomic_open(target) as handle:
        handle.write("new, half")
        raise ZeroDivisionError
    assert target.read_text() == "old" and temporary_files(tmp_path) == []
    with atomic_open(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640     # the file's mode is kept


def test_output_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    assert check_output(link, (".html",)) == real
    result = run_rules(["eval", str(CASE), "--report", str(link)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and "<html" in real.read_text()


def test_hard_link_to_the_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    write(rules.load(), 10, source)
    twin = tmp_path / "twin.csv"
    os.link(source, twin)
    with pytest.raises(FileError, match="would overwrite the input"):
        check_output(twin, (".csv",), [source])


# ---- a full disk -----------------------------------------------------------------------------

def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 64 KB tmpfs, when this process may mount one; else None."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = os.geteuid() == 0 and _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs",
                                           str(folder))
    yield folder if mounted else None
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


WRITERS = {
    "batch-csv": (["batch", "{corpus}/cases.csv", "--out", "{out}/results.csv"], "results.csv"),
    "batch-parquet": (["batch", "{corpus}/cases.parquet", "--out", "{out}/results.parquet"],
                      "results.parquet"),
    "generate": (["generate", "20000", "--out", "{out}/cases.csv"], "cases.csv"),
    "diff-changed-out": (["diff", "--amendment", str(AMENDMENT), "--cases",
                          "{corpus}/cases.parquet", "--changed-out", "{out}/changed.jsonl"],
                         "changed.jsonl"),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_full_disk_keeps_previous_output(writer: str, corpus: Path, tmp_path: Path,
                                         small_disk: Path | None) -> None:
    args, name = WRITERS[writer]
    folders = [(tmp_path / "limited", None)]
    if small_disk is not None:
        folders.append((small_disk, "tmpfs"))
    for out, kind in folders:
        out.mkdir(exist_ok=True)
        previous = out / name
        previous.write_bytes(b"previous complete output\n")
        command = [a.replace("{corpus}", str(corpus)).replace("{out}", str(out)) for a in args]
        result = run_rules(command, tmp_path, preexec=None if kind else _limit_file_size(
            50_000), timeout=300)
        assert result.returncode == 2, (kind, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert ("disk is full" in result.stderr or "file-size limit" in result.stderr), \
            result.stderr
        assert previous.read_bytes() == b"previous complete output\n"
        assert temporary_files(out) == [], kind


def test_report_on_a_full_disk(tmp_path: Path) -> None:
    previous = tmp_path / "case.html"
    previous.write_text("previous")
    result = run_rules(["eval", str(CASE), "--report", str(previous)], tmp_path,
                       preexec=_limit_file_size(2_000))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "file-size limit" in result.stderr
    assert previous.read_text() == "previous" and temporary_files(tmp_path) == []


# ---- a read-only folder ----------------------------------------------------------------------

def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write to, holding a previous results file: by its mode for a
    normal user; as root (who ignores modes), a tmpfs remounted read-only."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        (folder / "results.csv").write_text("previous\n")
        os.chmod(folder, 0o555)
        yield folder
        os.chmod(folder, 0o755)
        return
    if not _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)):
        pytest.skip("running as root without the right to mount: no read-only folder possible")
    try:
        (folder / "results.csv").write_text("previous\n")
        assert _mount("-o", "remount,ro", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("args", [
    ["batch", "{corpus}/cases.csv", "--out", "{ro}/results.csv"],
    ["batch", "{corpus}/cases.parquet", "--out", "{ro}/out.parquet"],
    ["generate", "10", "--out", "{ro}/cases.csv"],
    ["diff", "--amendment", str(AMENDMENT), "--cases", "{corpus}/cases.parquet",
     "--changed-out", "{ro}/changed.jsonl"],
    ["eval", str(CASE), "--report", "{ro}/case.html"],
], ids=["batch-csv", "batch-parquet", "generate", "diff", "report"])
def test_read_only_folder(args: list[str], corpus: Path, tmp_path: Path,
                          read_only: Path) -> None:
    folder = read_only
    command = [a.replace("{corpus}", str(corpus)).replace("{ro}", str(folder)) for a in args]
    result = run_rules(command, tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "permission denied" in result.stderr or "read-only" in result.stderr, result.stderr
    assert (folder / "results.csv").read_text() == "previous\n"
    assert sorted(p.name for p in folder.iterdir()) == ["results.csv"]
