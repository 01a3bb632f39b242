"""Building the bad inputs of bad_inputs.yaml in a work folder, and running the `rules` command.

An entry's `files` copy data files (`inputs/...`, `@semantics` for the fixture rule set,
`@bill` for the bundled provisions, `@examples/...`, `@amendments/...`) and `make` creates what
cannot be stored: special files (`fifo`, `folder`, `dangling`, `loop`, `link:/dev/zero`), large or
generated inputs (`gen:NAME ARGS`, see `GENERATORS`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
INPUTS = HERE / "inputs"
SEMANTICS = ROOT / "tests" / "fixtures" / "semantics"
BILL = ROOT / "provisions"
DEEP_HEAD = ('provision deep "Deep"\n  source CC article 1\n  confidence confirmed\n'
             '  in force from 2015-01-01\n')


def _source(spec: str) -> Path:
    if spec == "@semantics":
        return SEMANTICS
    if spec == "@bill":
        return BILL
    if spec.startswith("@"):
        return ROOT / spec[1:]
    return INPUTS / spec


def _provision(condition: str) -> str:
    return DEEP_HEAD + f"  if {condition}\n  then require report\n"


def _parquet(path: Path, columns: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)


def _cases_parquet(path: Path, n: str = "50") -> None:
    import rules
    from rules.batch.generate import write

    write(rules.load(), int(n), path, seed=1)


def _write(path: Path, text: str | bytes) -> None:
    path.write_bytes(text.encode() if isinstance(text, str) else text)


GENERATORS: dict[str, Callable[..., None]] = {
    # cases
    "deep_array": lambda p, n: _write(p, "[" * int(n) + "]" * int(n)),
    "deep_object": lambda p, n: _write(p, '{"a":' * int(n) + "1" + "}" * int(n)),
    "age_digits": lambda p, n: _write(p, '{"victim": {"age": ' + "9" * int(n) + "}}"),
    "key_digits": lambda p, n: _write(p, '{"extra": ' + "1" * int(n) + "}"),
    "unknown_keys": lambda p, n: _write(p, json.dumps({f"k{i}": i for i in range(int(n))})),
    "sparse": lambda p, n: os.truncate(_touch(p), int(n)),
    "decision_deep": lambda p, n: _write(p, '{"case": ' + "[" * int(n) + "]" * int(n) + "}"),
    # rules
    "and_chain": lambda p, n: _write(p, _provision(" and ".join(["flags.a"] * int(n)))),
    "or_chain": lambda p, n: _write(p, _provision(" or ".join(["flags.a"] * int(n)))),
    "not_chain": lambda p, n: _write(p, _provision("not " * int(n) + "flags.a")),
    "neg_chain": lambda p, n: _write(p, _provision("-" * int(n) + "flags.n > 1")),
    "sum_chain": lambda p, n: _write(p, _provision(" + ".join(["flags.n"] * int(n)) + " > 1")),
    "paren_chain": lambda p, n: _write(p, _provision("(" * int(n) + "flags.a" + ")" * int(n))),
    "def_chain": lambda p, n: _write(p, "\n".join(
        ["define d0 = flags.a"] + [f"define d{i} = d{i - 1} and flags.b" for i in range(1, int(n))])
        + "\n" + _provision(f"d{int(n) - 1}")),
    "literal_digits": lambda p, n: _write(p, _provision("flags.n < " + "9" * int(n))),
    "garbage_line": lambda p, n: _write(p, "act X " + "@" * int(n) + "\n"),
    # corpora
    "jsonl_long_line": lambda p, n: _write(p, '{"place": {"district": "' + "x" * int(n)
                                           + '"}}\n{"victim": {"age": 10}}\n'),
    "csv_columns": lambda p, n: _write(p, ",".join(f"c{i}" for i in range(int(n))) + "\n"
                                       + ",".join("1" for _ in range(int(n))) + "\n"),
    "cases_parquet": _cases_parquet,
    "cases_csv": _cases_parquet,
    "parquet_truncated": lambda p: (_cases_parquet(p), _write(p, p.read_bytes()[:-40])),
    "parquet_corrupt": lambda p: (_cases_parquet(p), _write(p, b"PAR1" + os.urandom(200)
                                                            + b"PAR1")),
    "parquet_nan": lambda p: _parquet(p, {"victim.age": [float("nan"), float("inf"),
                                                         -float("inf"), 10.0, 10.5, 1e300]}),
    "parquet_uint64": lambda p: _parquet(p, {"victim.age": _uint64([10, 2**64 - 1])}),
    "parquet_list_binary": lambda p: _parquet(p, {"victim.age": [[1, 2], [3]],
                                                  "place.district": [b"ab", b"c"]}),
    "parquet_duplicate_columns": lambda p: _duplicate_columns(p),
    "parquet_datetime": lambda p: _datetime(p),
    "parquet_folder_mixed": lambda p: _mixed(p),
    "parquet_nested": lambda p: _parquet(p, {"offence": [{"date": "2024-07-01",
                                                          "kind": "battery"}],
                                             "victim": [{"age": 10}]}),
}


def _touch(path: Path) -> Path:
    path.touch()
    return path


def _uint64(values: list[int]) -> Any:
    import pyarrow as pa

    return pa.array(values, pa.uint64())


def _duplicate_columns(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table([pa.array([1]), pa.array([2])], names=["victim.age", "victim.age"]),
                   path)


def _datetime(path: Path) -> None:
    import datetime as dt

    _parquet(path, {"offence.date": [dt.datetime(2024, 7, 1, 10, 0)]})


def _mixed(folder: Path) -> None:
    folder.mkdir()
    _parquet(folder / "a.parquet", {"victim.age": [10, 11]})
    _parquet(folder / "b.parquet", {"victim.age": ["x"], "offence.kind": ["battery"]})


def _make(path: Path, spec: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec == "fifo":
        os.mkfifo(path)
    elif spec == "folder":
        path.mkdir()
    elif spec == "dangling":
        path.symlink_to(path.parent / "no-such-target")
    elif spec == "loop":
        path.symlink_to(path.name)
    elif spec.startswith("link:"):
        path.symlink_to(spec.removeprefix("link:"))
    elif spec.startswith("gen:"):
        name, *args = spec.removeprefix("gen:").split()
        GENERATORS[name](path, *args)
    else:
        raise ValueError(f"unknown maker {spec!r}")


def prepare(entry: dict[str, Any], work: Path) -> None:
    """Copy the entry's files and make its special inputs in `work`."""
    for name, spec in (entry.get("files") or {}).items():
        target = work / name
        source = _source(spec)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for name, spec in (entry.get("make") or {}).items():
        _make(work / name, spec)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


def temporary_files(work: Path) -> list[str]:
    """Temporary files a writer left behind (`.NAME.XXXX.tmp`)."""
    return sorted(str(p.relative_to(work)) for p in work.rglob(".*.tmp"))


def run_rules(args: list[str], cwd: Path, stdin: str | None = None, timeout: float = 120,
              env: dict[str, str] | None = None,
              preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """The `rules` command in a real process (this checkout first on the path)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=cwd,
                          input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=timeout, env=environment, preexec_fn=preexec,
                          check=False)


def popen_rules(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment)
