"""The `rules` command: a thin layer over the `rules` library.

Every command loads what it needs lazily, renders with rich, and turns user errors (bad rule
text, bad case facts, missing files) into a clear message on stderr and exit code 2, with no
traceback. Library errors are `rules.RulesError`; anything else is a bug and is shown as one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from rules import RuleSet

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="A legal-rules engine for Kazakhstan's child-safety law.")

RulesOption = Annotated[Optional[Path], typer.Option(
    "--rules", help="Folder of .law files (default: the bundled bill).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a report.")]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="No presumptions: every fact the case leaves out stays unknown.")]


class UserError(Exception):
    """A problem with the user's input: reported in one message, exit code 2."""


@contextmanager
def user_errors() -> Iterator[None]:
    """Map the library's user-facing errors to exit code 2 with their message."""
    from rules import RulesError

    try:
        yield
    except (RulesError, UserError) as error:
        render = getattr(error, "render", None)
        message = render() if callable(render) else str(error)
        typer.echo(message, err=True)
        raise typer.Exit(2) from None


def _load(path: Optional[Path]) -> RuleSet:
    import rules

    return rules.load(path)


def _read_case(path: Path) -> Any:
    if str(path) == "-":
        text = sys.stdin.read()
    elif not path.is_file():
        raise UserError(f"{path}: no such case file")
    else:
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not valid JSON: {error.msg} at line {error.lineno} column "
                        f"{error.colno}") from None


def _date(text: Optional[str]) -> Optional[dt.date]:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of: expected a date like 2024-06-16, got {text!r}") from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


@app.command("eval")
def eval_command(
    case: Annotated[Path, typer.Argument(help="Case facts as JSON ('-' for stdin).")],
    rules_dir: RulesOption = None,
    as_json: JsonOption = False,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Judge by the law in force on this date instead of the offence date.")
    ] = None,
    why_not: Annotated[Optional[list[str]], typer.Option(
        "--why-not", help="Explain why a provision did or did not apply.")] = None,
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Also write the report as a printable HTML page to this file.")] = None,
    amendment: Annotated[Optional[list[Path]], typer.Option(
        "--amendment", help="Decide under the rules as changed by this amendment file.")] = None,
    strict: StrictOption = False,
) -> None:
    """Decide a case: qualification, procedures, protections, and what is still unknown."""
    with user_errors():
        ruleset = _load(rules_dir)
        if amendment:
            from rules.language.amendments import amend_all

            ruleset = amend_all(ruleset, amendment)
        facts = _read_case(case)
        decision = ruleset.evaluate(facts, as_of=_date(as_of), presumptions=not strict)
        if report is not None:
            from rules.lawyer.html import write_html

            write_html(decision, ruleset, report)
        if as_json:
            typer.echo(decision.model_dump_json(indent=2))
            return
        from rules.lawyer.report import console, render_decision, render_why_not

        out = console()
        if why_not:
            for pid in why_not:
                if pid not in ruleset.by_id:
                    from rules.language.source import did_you_mean

                    hint = did_you_mean(pid, ruleset.by_id)
                    raise UserError(f"unknown provision `{pid}`" + (f"; {hint}" if hint else ""))
                trace = ruleset.why_not(facts, pid, as_of=_date(as_of),
                                        presumptions=not strict)
                out.print(render_why_not(trace, ruleset, decision))
            return
        out.print(render_decision(decision, ruleset))


@app.command("explain")
def explain_command(
    provision: Annotated[str, typer.Argument(help="The provision's id, e.g. cc_68_1_release.")],
    rules_dir: RulesOption = None,
) -> None:
    """Show a provision: its text, source, confidence, in-force period, priorities, conditions."""
    with user_errors():
        from rules.language.source import UnknownProvision
        from rules.lawyer.describe import describe, render_description
        from rules.lawyer.report import console

        try:
            description = describe(_load(rules_dir), provision)
        except UnknownProvision as error:
            raise UserError(str(error)) from None
        console().print(render_description(description))


@app.command("ask")
def ask_command(
    case: Annotated[Optional[Path], typer.Argument(
        help="Case facts known so far (JSON); none to start from an empty case.")] = None,
    rules_dir: RulesOption = None,
    save: Annotated[Optional[Path], typer.Option(
        "--save", help="Save the completed case (JSON) to this file.")] = None,
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Also write the report as a printable HTML page to this file.")] = None,
) -> None:
    """Ask only for the facts that can still change an outcome, then print the report."""
    with user_errors():
        from rules.lawyer.ask import Session, run_session
        from rules.lawyer.report import console, render_decision, write_atomic

        if case is not None and str(case) == "-":
            raise UserError("ask reads answers from standard input: give the case as a file")
        for target in (save, report):
            if target is not None and not target.parent.is_dir():
                raise UserError(f"{target}: the folder {target.parent} does not exist")
        ruleset = _load(rules_dir)
        session = Session(ruleset, _read_case(case) if case is not None else None)
        try:
            decision = run_session(session, read=input, write=typer.echo,
                                   echo=not sys.stdin.isatty())
        except (EOFError, KeyboardInterrupt) as stop:
            interrupted = isinstance(stop, KeyboardInterrupt)
            why = "interrupted" if interrupted else "ended: no more input"
            typer.echo(f"\nsession {why} after {len(session.asked)} answer(s); nothing saved.",
                       err=True)
            raise typer.Exit(130 if interrupted else 1) from None
        console().print(render_decision(decision, ruleset))
        if save is not None:
            write_atomic(save, json.dumps(decision.case, ensure_ascii=False, indent=2) + "\n")
            typer.echo(f"Saved the case to {save}.", err=True)
        if report is not None:
            from rules.lawyer.html import write_html

            write_html(decision, ruleset, report)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: loopback only).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    rules_dir: RulesOption = None,
    amendment: Annotated[Optional[list[Path]], typer.Option(
        "--amendment", help="Serve the rules as changed by this amendment file.")] = None,
    decision_log: Annotated[Optional[Path], typer.Option(
        "--decision-log", help="Append one JSON line per decision (hashes and outcomes).")
    ] = None,
    log_cases: Annotated[bool, typer.Option(
        "--log-cases", help="Also write each case's facts into the decision log.")] = False,
    max_body: Annotated[int, typer.Option(
        "--max-body", help="Largest request body accepted, in bytes (413 beyond).")
    ] = 256 * 1024,
    solver_seconds: Annotated[float, typer.Option(
        "--solver-seconds", help="Hard time limit of a diff or check request.")] = 20.0,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")
                          ] = False,
) -> None:
    """Serve the lawyer's pages and the JSON API v1 (reference at /docs)."""
    with user_errors():
        import importlib.util

        if any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn")):
            raise UserError("rules serve needs the web extra: pip install "
                            "'kz-child-safety-rules[web]'")
        if max_body < 1024 or solver_seconds <= 0 or workers < 1:
            raise UserError("--max-body must be at least 1024, --solver-seconds above 0, "
                            "--workers at least 1")
        if log_cases and decision_log is None:
            raise UserError("--log-cases needs --decision-log FILE")
        from rules.web.config import ServeConfig
        from rules.web.serve import serve

        serve(ServeConfig(rules_dir, tuple(amendment or ()), decision_log, log_cases,
                          max_body, solver_seconds), host, port, workers, access_log)


@app.command("verify")
def verify_command(
    decision_file: Annotated[Path, typer.Argument(
        metavar="DECISION", help="A decision saved with `rules eval --json` ('-' for stdin).")],
    rules_dir: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-run a saved decision: did the rule set change, do its outcomes still hold? Exit 0 if
    they do, 1 if not, 2 on bad input."""
    with user_errors():
        from rules.lawyer.verify import render_verification, verify

        result = verify(_read_case(decision_file), _load(rules_dir))
        if as_json:
            _print_json(result.as_json())
        else:
            typer.echo(render_verification(result))
        if not result.holds:
            raise typer.Exit(1)


@app.command("check")
def check_command(
    path: Annotated[Optional[Path], typer.Argument(help="Folder of .law files.")] = None,
    as_json: JsonOption = False,
    no_analysis: Annotated[bool, typer.Option(
        "--no-analysis", help="Skip the z3 analysis (conflicts, dead provisions, overrides).")
    ] = False,
    gaps: Annotated[Optional[list[str]], typer.Option(
        "--gaps", help="Also list cases where no provision decides this action.")] = None,
) -> None:
    """Parse and check a rule set; report every problem with its place. After a clean check,
    z3 looks for conflicts, dead provisions and overrides that never bite, with witness cases."""
    with user_errors():
        from rules.language.loader import bundled_path, diagnose, read_sources
        from rules.language.source import RuleSetError

        sources = read_sources(path or bundled_path())
        ruleset, diagnostics = diagnose(sources)
        analysis = None
        if ruleset is not None and not no_analysis and \
                not any(d.severity == "error" for d in diagnostics):
            from rules.solver.check import check_all

            analysis = check_all(ruleset, gaps or ())
        if as_json:
            _print_json({"ok": not any(d.severity == "error" for d in diagnostics),
                         "diagnostics": [{"code": d.code, "severity": d.severity,
                                          "message": d.message, "file": d.span.file,
                                          "line": d.span.line, "column": d.span.column,
                                          "notes": list(d.notes)} for d in diagnostics],
                         **({"analysis": analysis.to_json()} if analysis else {})})
        if any(d.severity == "error" for d in diagnostics):
            if not as_json:
                raise RuleSetError(diagnostics, sources)
            raise typer.Exit(2)
        if not as_json:
            for diagnostic in diagnostics:
                typer.echo(diagnostic.render(sources), err=True)
            assert ruleset is not None
            typer.echo(f"ok: {len(ruleset.provisions)} provisions, {len(ruleset.facts)} facts, "
                       f"{len(ruleset.actions)} actions, {len(sources)} files; "
                       f"{len(diagnostics)} warning(s)")
            if analysis is not None:
                from rules.solver.analysis import render_analysis

                typer.echo("\n".join(render_analysis(analysis)))


@app.command("diff")
def diff_command(
    amendment: Annotated[Path, typer.Option("--amendment", help="The amendment file (.law).")],
    rules_dir: RulesOption = None,
    as_json: JsonOption = False,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Compare the law in force on this date instead of the offence date.")
    ] = None,
    scenarios: Annotated[Optional[Path], typer.Option(
        "--scenarios", help="Scenario folder to re-run (default: tests/scenarios if present).")
    ] = None,
    cases: Annotated[Optional[Path], typer.Option(
        "--cases", help="A corpus (.jsonl, .csv, .parquet) to evaluate under both rule sets.")
    ] = None,
    changed_out: Annotated[Optional[Path], typer.Option(
        "--changed-out", help="Write the corpus rows whose outcome changes (JSONL).")] = None,
    timeout: Annotated[int, typer.Option("--timeout", help="Solver timeout per query (ms).")
                       ] = 10_000,
    interpreter: Annotated[bool, typer.Option(
        "--interpreter", help="Evaluate the corpus case by case with the reference interpreter "
        "instead of the batch back end.")] = False,
) -> None:
    """What an amendment changes: per action and conclusion, a proof of no change or the
    transitions with witness cases; broken scenarios; the effect on a corpus."""
    with user_errors():
        from rules.drafter.diff import diff, diff_scenarios, render_diff
        from rules.language.amendments import apply_amendment, load_amendment

        base = _load(rules_dir)
        parsed = load_amendment(amendment)
        amended = apply_amendment(base, parsed)
        report = diff(base, amended, as_of=_date(as_of), timeout_ms=timeout)
        folder = scenarios or Path("tests/scenarios")
        if scenarios is not None and not folder.exists():
            raise UserError(f"{folder}: no such scenario folder")
        broken, ran, already = diff_scenarios(base, amended, folder) if folder.exists() \
            else ([], 0, 0)
        corpus = _corpus_diff(base, amended, cases, changed_out, _date(as_of), as_json,
                              interpreter) if cases is not None else None
        if as_json:
            _print_json({**report.to_json(), "scenarios": {
                "run": ran, "already_failing": already,
                "broken": [{"name": b.name, "file": b.file, "failures": b.failures}
                           for b in broken]},
                **({"corpus": corpus.to_json()} if corpus is not None else {})})
            return
        from rules.drafter.diff import corpus_table
        from rules.lawyer.report import console

        typer.echo("\n".join(render_diff(report, f"{parsed.id}: {parsed.amendment.title}")))
        typer.echo(f"scenarios: {ran} run, {len(broken)} broken by the amendment"
                   + (f" ({already} already failing before it)" if already else ""))
        for b in broken:
            typer.echo(f"  BROKEN {b.name} ({b.file})")
            for failure in b.failures:
                typer.echo(f"     {failure}")
        if corpus is not None:
            out = console()
            for renderable in corpus_table(corpus):
                out.print(renderable, markup=False)


def _corpus_diff(base: RuleSet, amended: RuleSet, cases: Path, changed_out: Optional[Path],
                 as_of: Optional[dt.date], quiet: bool, interpreter: bool = False) -> Any:
    import json as _json

    from rich.progress import Progress

    from rules.drafter.corpus import diff_corpus, read_cases

    if changed_out is not None and not changed_out.parent.is_dir():
        raise UserError(f"{changed_out}: the folder {changed_out.parent} does not exist")
    if not cases.exists():
        raise UserError(f"{cases}: no such corpus file")
    if not interpreter and _has_polars():
        from rules.batch.impact import diff_corpus_file

        with Progress(transient=True, disable=quiet or not sys.stderr.isatty()) as progress:
            task = progress.add_task(f"evaluating {cases.name}", total=None)
            return diff_corpus_file(base, amended, cases, as_of,
                                    progress=lambda n: progress.advance(task, n),
                                    changed_out=changed_out)
    handle = changed_out.open("w", encoding="utf-8") if changed_out is not None else None

    def write(row: dict[str, Any]) -> None:
        if handle is not None:
            handle.write(_json.dumps(row, ensure_ascii=False) + "\n")

    try:
        rows = read_cases(cases, base)
        with Progress(transient=True, disable=quiet or not sys.stderr.isatty()) as progress:
            task = progress.add_task(f"evaluating {cases.name}", total=None)
            return diff_corpus(base, amended, rows, as_of,
                               progress=lambda n: progress.advance(task, n), changed=write)
    finally:
        if handle is not None:
            handle.close()


def _has_polars() -> bool:
    import importlib.util

    return importlib.util.find_spec("polars") is not None


@app.command("schema")
def schema_command(rules_dir: RulesOption = None) -> None:
    """Print the JSON Schema of a case."""
    with user_errors():
        _print_json(_load(rules_dir).case_schema())


@app.command("test")
def test_command(
    path: Annotated[Optional[Path], typer.Argument(help="Folder of scenario YAML files.")] = None,
    rules_dir: RulesOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every scenario.")] = False,
) -> None:
    """Run the scenario tests and report coverage by provision."""
    with user_errors():
        from rich.table import Table

        from rules.drafter.scenarios import run_scenarios
        from rules.lawyer.report import console

        ruleset = _load(rules_dir)
        folder = path or Path("tests/scenarios")
        if not folder.exists():
            raise UserError(f"{folder}: no such scenario folder")
        report = run_scenarios(ruleset, folder)
        out = console()
        for result in report.results:
            if verbose or not result.passed:
                mark = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
                out.print(f"{mark} {result.scenario.name} [dim]({result.scenario.source})[/]")
                for failure in result.failures:
                    out.print(f"     {failure}", markup=False)
        coverage = report.coverage
        table = Table(title="Coverage by provision (scenarios where it applies)",
                      title_justify="left")
        table.add_column("provision")
        table.add_column("scenarios", justify="right")
        for pid, count in coverage.items():
            if verbose or count == 0:
                table.add_row(pid, str(count) if count else "[red]0[/]")
        if table.row_count:
            out.print(table)
        passed = len(report.results) - len(report.failed)
        covered = len(coverage) - len(report.uncovered)
        out.print(f"{passed} passed, {len(report.failed)} failed; provisions covered: "
                  f"{covered}/{len(coverage)}")
        if not report.ok:
            raise typer.Exit(1)


@app.command("batch")
def batch_command(
    cases: Annotated[Path, typer.Argument(
        help="Cases: .parquet (or a folder of them), .csv or .jsonl; columns named by fact "
             "path (victim.age) or nested JSON.")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Results file (.parquet or .csv); omit for the summary only.")] = None,
    rejects: Annotated[Optional[Path], typer.Option(
        "--rejects", help="Rejected rows with their row number and reason "
                          "(default: OUT's name + .rejects.csv).")] = None,
    rules_dir: RulesOption = None,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Judge every case by the law in force on this date.")] = None,
    keep: Annotated[Optional[list[str]], typer.Option(
        "--keep", help="An input column (e.g. a case id) to carry into results and rejects.")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(
        "--chunk-rows", help="Rows per chunk (bounds memory).")] = 1_000_000,
    no_provisions: Annotated[bool, typer.Option(
        "--no-provisions", help="Leave out the deciding-provision lists (faster).")] = False,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Decide a whole table of cases at once (the batch back end) and summarise the outcomes."""
    with user_errors():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        from rich.table import Table

        from rules.batch import compile_batch, count_rows, run_batch
        from rules.lawyer.report import console

        plan = compile_batch(_load(rules_dir), _date(as_of), presumptions=not strict)
        total = count_rows(cases) if cases.exists() else None
        show = sys.stderr.isatty() and not as_json
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), disable=not show,
                      transient=True) as bar:
            task = bar.add_task("deciding cases", total=total)
            summary = run_batch(plan, cases, out, rejects, keep=keep or (),
                                chunk_rows=chunk_rows, provisions=not no_provisions,
                                progress=lambda n: bar.advance(task, n))
        if as_json:
            _print_json(summary.to_dict())
            return
        outc = console()
        table = Table(title=f"Outcomes per action ({summary.rows_evaluated:,} cases evaluated)",
                      title_justify="left")
        table.add_column("action")
        statuses = ("required", "forbidden", "permitted", "none", "conflict", "undetermined")
        for status in statuses:
            table.add_column(status, justify="right")
        done = max(summary.rows_evaluated, 1)
        for name, counts in summary.actions.items():
            table.add_row(name, *(f"{counts.get(s, 0):,} ({counts.get(s, 0) / done:.1%})"
                                  for s in statuses))
        outc.print(table)
        ctable = Table(title="Conclusions", title_justify="left")
        ctable.add_column("conclusion")
        for status in ("determined", "none", "undetermined", "conflict"):
            ctable.add_column(status, justify="right")
        for name, counts in summary.conclusions.items():
            ctable.add_row(name, *(f"{counts.get(s, 0):,} ({counts.get(s, 0) / done:.1%})"
                                   for s in ("determined", "none", "undetermined", "conflict")))
        outc.print(ctable)
        mark = "" if summary.balanced else " [red](MISMATCH)[/]"
        outc.print(f"rows in {summary.rows_in:,} = evaluated {summary.rows_evaluated:,} + "
                   f"rejected {summary.rows_rejected:,}{mark}")
        if summary.rows_rejected:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(
                summary.reject_reasons.items(), key=lambda kv: -kv[1])[:5])
            where = rejects or (out.with_name(out.stem + ".rejects.csv") if out else None)
            outc.print(f"rejected by field: {reasons}" + (f"; see {where}" if where else ""))
        if out is not None:
            outc.print(f"results: {out}")


@app.command("generate")
def generate_command(
    n: Annotated[int, typer.Argument(help="How many cases.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .parquet, .csv or .jsonl.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same cases).")] = 0,
    invalid_share: Annotated[float, typer.Option(
        "--invalid-share", help="Share of deliberately invalid rows (tests the rejects).")] = 0.0,
    rules_dir: RulesOption = None,
) -> None:
    """Write realistic synthetic cases over the rule set's facts (for batch runs and benchmarks)."""
    with user_errors():
        from rules.batch.generate import write

        if n < 0:
            raise UserError("N must be 0 or more")
        written = write(_load(rules_dir), n, out, seed=seed, invalid_share=invalid_share)
        typer.echo(f"wrote {written:,} cases to {out}")


def main() -> None:
    """Entry point of the `rules` console script."""
    app()


if __name__ == "__main__":
    main()
