"""The documented limits (docs/LIMITS.md): what is just inside works in every back end, what is
just outside is a clear error, and the inputs that used to cost minutes fail in well under one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest
from reliability.support import DEEP_HEAD, SEMANTICS, run_rules
from typer.testing import CliRunner

import rules
from cli import app
from rules.batch import compile_batch, decide_cases
from rules.batch.interpreter_engine import result_row
from rules.limits import MAX_EXPR_DEPTH, MAX_JSON_DEPTH, MAX_PROBLEMS, load_json

runner = CliRunner()
CASE = {"offence": {"date": "2024-07-01", "kind": "battery"}, "victim": {"age": 10},
        "flags": {"a": True, "b": False, "n": 7}, "place": {"region": "astana"}}


def _rules(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(SEMANTICS, folder)
    (folder / "20_deep.law").write_text(body, encoding="utf-8")
    return folder


def _provision(condition: str) -> str:
    return DEEP_HEAD + f"  if {condition}\n  then require report\n"


AT_THE_LIMIT = {
    "not": _provision("not " * MAX_EXPR_DEPTH + "flags.a"),
    "and": _provision(" and ".join(["flags.a"] * (MAX_EXPR_DEPTH + 1))),
    "neg": _provision("-" * (MAX_EXPR_DEPTH - 1) + "flags.n > 1"),
    "sum": _provision(" + ".join(["flags.n"] * MAX_EXPR_DEPTH) + " > 1"),
    "definitions": "\n".join(["define d0 = flags.a"] + [
        f"define d{i} = d{i - 1} and flags.b" for i in range(1, 50)]) + "\n"
        + _provision("d49"),
}


@pytest.mark.parametrize("shape", list(AT_THE_LIMIT))
def test_expressions_at_the_limit_work_everywhere(shape: str, tmp_path: Path) -> None:
    """Nested exactly as deep as allowed: check (with z3), eval, explain, why-not, report and
    batch all work, and batch agrees with the interpreter."""
    folder = _rules(tmp_path, AT_THE_LIMIT[shape])
    ruleset = rules.load(folder)
    decision = ruleset.evaluate(CASE)
    decision.model_dump_json()                              # the explanation too
    ruleset.why_not(CASE, "deep")
    plan = compile_batch(ruleset)
    [row] = decide_cases(ruleset, [CASE], plan=plan)
    assert {k: v for k, v in row.items() if k != "row"} == result_row(decision, ruleset)
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    for args in (["check", str(folder)], ["explain", "deep", "--rules", str(folder)],
                 ["eval", str(case), "--rules", str(folder), "--report",
                  str(tmp_path / "r.html")],
                 ["eval", str(case), "--rules", str(folder), "--why-not", "deep"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_one_level_more_is_a_located_error(tmp_path: Path) -> None:
    folder = _rules(tmp_path, _provision("not " * (MAX_EXPR_DEPTH + 1) + "flags.a"))
    with pytest.raises(rules.RuleSetError) as raised:
        rules.load(folder)
    [diagnostic] = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("too_deep", 5, 6)


def test_deep_rules_in_a_real_process(tmp_path: Path) -> None:
    """The default recursion limit of a fresh interpreter, not pytest's."""
    folder = _rules(tmp_path, AT_THE_LIMIT["definitions"])
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    done = run_rules(["eval", str(case), "--rules", str(folder)], tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "cases.jsonl").write_text(json.dumps(CASE) + "\n")
    done = run_rules(["batch", str(tmp_path / "cases.jsonl"), "--rules", str(folder),
                      "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_evaluated"] == 1


def test_json_depth_limit() -> None:
    value = load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    depth = 1
    while value:
        value, depth = value[0], depth + 1
    assert depth == MAX_JSON_DEPTH
    with pytest.raises(rules.RulesError, match="nested more than 64 levels"):
        load_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    # brackets inside strings do not count
    assert load_json(json.dumps({"a": "[" * 1000})) == {"a": "[" * 1000}


def test_enum_of_50000_values_checks_in_well_under_a_second(tmp_path: Path) -> None:
    """The duplicate check was quadratic (37 s for 50 k values)."""
    values = " | ".join(f"v{i}" for i in range(50_000))
    folder = _rules(tmp_path, f"enum big = {values}\nfacts\n  big.value : big\n")
    started = time.perf_counter()
    ruleset = rules.load(folder)
    elapsed = time.perf_counter() - started
    assert len(ruleset.enums["big"].values) == 50_000
    assert elapsed < 5, elapsed      # about 0.3 s; the bound only catches a quadratic check


def test_millions_of_unknown_keys_fail_fast() -> None:
    """A case with 2 M unknown keys (10 M took 129 s and 14 GB): the check stops at 20."""
    bill = rules.load()
    case = dict.fromkeys((f"k{i}" for i in range(2_000_000)), 1)
    started = time.perf_counter()
    with pytest.raises(rules.CaseError) as raised:
        bill.evaluate(case)
    assert time.perf_counter() - started < 2
    assert len(raised.value.problems) == MAX_PROBLEMS and raised.value.more == -1
    assert "the check stopped after 20" in raised.value.render()


def test_unknown_keys_on_the_command_line(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(dict.fromkeys((f"k{i}" for i in range(500_000)), 1)))
    result = runner.invoke(app, ["eval", str(case)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == MAX_PROBLEMS + 2


def test_problem_lists_are_capped_with_a_count() -> None:
    error = rules.CaseError([(f"k{i}", "unknown field") for i in range(30)])
    assert len(error.problems) == MAX_PROBLEMS and error.more == 10
    assert "and 10 more problem(s)" in str(error)


# ---- the parser cache ----------------------------------------------------------------------

def _planted_payload(marker: Path) -> bytes:
    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))
    return pickle.dumps(Payload())


def _lark_shared_cache_file() -> Path:
    """Where lark's `cache=True` looks for the tables of our grammar (lark's own naming)."""
    import getpass
    import hashlib
    import sys

    import lark

    from rules.language.parser import grammar_path

    options = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": False,
               "cache": True}
    text = grammar_path().read_text(encoding="utf-8")
    key = text + "".join(k + str(v) for k, v in options.items()) + lark.__version__ + \
        str(sys.version_info[:2])
    digest = hashlib.sha256(key.encode("utf8")).hexdigest()
    return Path(tempfile.gettempdir()) / (f".lark_cache_{getpass.getuser()}_{digest}_"
                                          f"{sys.version_info[0]}_{sys.version_info[1]}.tmp")


def test_nothing_in_the_shared_temp_folder_is_unpickled(tmp_path: Path) -> None:
    """lark's `cache=True` unpickled `.lark_cache_*` from the temp folder before checking it:
    a file planted there ran code at the next `rules eval`. Plant one where lark looks; the
    control shows that lark with `cache=True` runs it; `rules eval` must not."""
    marker = tmp_path / "payload-ran"
    planted = _lark_shared_cache_file()
    planted.write_bytes(b"x\n" + _planted_payload(marker))
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": ""}
    try:
        import subprocess
        import sys

        subprocess.run([sys.executable, "-c", (
            "import lark; from rules.language.parser import grammar_path; "
            "lark.Lark(grammar_path().read_text(encoding='utf-8'), parser='lalr', "
            "propagate_positions=True, maybe_placeholders=False, cache=True)")],
            env={**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2])},
            capture_output=True, check=False)
        assert marker.exists(), "the control did not run the planted payload"
        marker.unlink()
        case = Path(__file__).parents[2] / "examples" / "cases" / "battery_of_child_2024.json"
        done = run_rules(["eval", str(case)], tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert not marker.exists()
    finally:
        planted.unlink(missing_ok=True)


def test_private_cache_folder_is_checked_before_use(tmp_path: Path) -> None:
    """The cache lives in a 0700 folder owned by the user; a folder or file others can write
    is not used (the tables are built instead), so a planted file never runs."""
    from rules.language import parser

    cache_home = tmp_path / "cache"
    folder = cache_home / "kz-child-safety-rules"
    grammar = parser.grammar_path().read_text(encoding="utf-8")
    os.environ["XDG_CACHE_HOME"] = str(cache_home)
    try:
        file = parser._private_cache_file(grammar)
        assert file is not None and Path(file).parent == folder
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        marker = tmp_path / "payload-ran"
        Path(file).write_bytes(b"x\n" + _planted_payload(marker))
        os.chmod(file, 0o666)                                      # others could have written it
        assert parser._private_cache_file(grammar) is None
        os.chmod(file, 0o600)
        os.chmod(folder, 0o777)                                    # others can write the folder
        assert parser._private_cache_file(grammar) is None
        os.chmod(folder, 0o700)
        Path(file).unlink()
        link_target = tmp_path / "elsewhere"
        link_target.mkdir(mode=0o700)
        folder.rmdir()
        folder.symlink_to(link_target)                             # a link instead of a folder
        assert parser._private_cache_file(grammar) is None
        assert not marker.exists()
    finally:
        del os.environ["XDG_CACHE_HOME"]


def test_offence_date_in_the_future_warns_but_decides(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    future = dt.date.today() + dt.timedelta(days=400)
    case.write_text(json.dumps({"offence": {"date": future.isoformat(), "kind": "battery"}}))
    result = runner.invoke(app, ["eval", str(case), "--json"])
    assert result.exit_code == 0
    assert f"offence.date {future.isoformat()} is after today" in result.stderr
    assert json.loads(result.stdout)["as_of"] == future.isoformat()
