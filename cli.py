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
LangOption = Annotated[Optional[str], typer.Option(
    "--lang", help="Language for people: en, ru or kk (default: RULES_LANG, then the locale, "
                   "then English).")]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="No presumptions: every fact the case leaves out stays unknown.")]


AmendmentOption = Annotated[Optional[list[Path]], typer.Option(
    "--amendment", help="Under the rules as changed by this amendment file (repeatable: "
    "applied in the order of their dates).")]


class UserError(Exception):
    """A problem with the user's input: reported in one message, exit code 2."""


@contextmanager
def user_errors(lang: Optional[str] = None) -> Iterator[str]:
    """Speak the user's language inside, and map the library's user-facing errors to exit code 2
    with their message in that language (an unknown `--lang` is one of them)."""
    from rules import RulesError
    from rules.i18n import DEFAULT, resolve_lang, using
    from rules.text import escape_text

    chosen = DEFAULT
    try:
        chosen = resolve_lang(lang)
        with using(chosen):
            yield chosen
    except (RulesError, UserError) as error:
        from rules.i18n.diagnostics import render_error

        with using(chosen):
            typer.echo(escape_text(render_error(error, chosen), keep_newlines=True), err=True)
        raise typer.Exit(2) from None
    except OSError as error:   # the environment (a full disk, a read-only folder), not a bug
        from rules.files import describe_os_error

        where = f"{error.filename}: " if error.filename else ""
        typer.echo(escape_text(f"{where}{describe_os_error(error)}"), err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", 2)
        typer.echo("\ninterrupted: no output was changed (a file being written is left as it "
                   "was before this command)", err=True)
        raise typer.Exit(128 + signum) from None


def _echo(text: str, err: bool = False) -> None:
    """Print text that may carry case or file content: control characters made visible
    (`rules.text.escape_text`). Every text output of the command goes through here; JSON goes
    through `rules.text.escape_json`."""
    from rules.text import escape_text

    typer.echo(escape_text(str(text), keep_newlines=True), err=err)


def _load(path: Optional[Path]) -> RuleSet:
    import rules

    return rules.load(path)


def _amended(base: RuleSet, paths: Optional[list[Path]], timeout_ms: int = 10_000) -> Any:
    """The package of amendments applied to `base` in date order, each checked for
    retroactivity (a change reaching earlier acts undeclared is refused, exit 2)."""
    from rules.drafter.package import apply_package
    from rules.language.amendments import load_amendments

    return apply_package(base, load_amendments(paths), True, timeout_ms)


def _read_case(path: Path, what: str = "case file") -> Any:
    from rules.files import read_stdin, read_text
    from rules.limits import load_json

    if str(path) == "-":
        text = read_stdin()
    else:
        text = read_text(path, what)
    return load_json(text, "<stdin>" if str(path) == "-" else str(path))


def _warn_future(decision: Any, ruleset: RuleSet) -> None:
    """A warning on stderr (the decision itself stays the same, whatever the day it is run)
    when the governing date is after today: the law applied is the law as it stands today,
    which may change before then (docs/INPUT.md)."""
    if decision.as_of_source == "offence date" and decision.as_of is not None and \
            decision.as_of > dt.date.today():
        _echo(f"warning: {ruleset.governing_date} {decision.as_of.isoformat()} is after today "
              f"({dt.date.today().isoformat()}): decided under the law as it stands today; check "
              "the date", err=True)


def _date(text: Optional[str]) -> Optional[dt.date]:
    if text is None:
        return None
    from rules.cases.values import date_from_text

    try:
        return date_from_text(text)
    except ValueError as error:
        raise UserError(f"--as-of: {error}") from None


def _print_json(data: Any) -> None:
    from rules.text import escape_json

    typer.echo(escape_json(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)))


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
    amendment: AmendmentOption = None,
    labels: Annotated[Optional[str], typer.Option(
        "--labels", help="With --json: add the labels of every id in this language (en, ru, "
                         "kk).")] = None,
    strict: StrictOption = False,
    lang: LangOption = None,
) -> None:
    """Decide a case: qualification, procedures, protections, and what is still unknown."""
    with user_errors(lang) as lang:
        if report is not None:
            from rules.files import check_output
            from rules.lawyer.html import REPORT_SUFFIXES

            check_output(report, REPORT_SUFFIXES, [case, *(amendment or ())], "report")
        ruleset = _load(rules_dir)
        if amendment:
            ruleset = _amended(ruleset, amendment).final
        facts = _read_case(case)
        decision = ruleset.evaluate(facts, as_of=_date(as_of), presumptions=not strict)
        _warn_future(decision, ruleset)
        if report is not None:
            from rules.lawyer.html import write_html

            write_html(decision, ruleset, report, lang=lang)
        if as_json:
            from rules.text import escape_json

            if labels is None:
                typer.echo(escape_json(decision.model_dump_json(indent=2)))
            else:
                from rules.i18n.labelled import decision_labels

                data = decision.model_dump(mode="json")
                data["labels"] = decision_labels(decision, ruleset, labels)
                _print_json(data)
            return
        from rules.lawyer.report import console, render_decision, render_why_not

        out = console()
        if why_not:
            for pid in why_not:
                version = _version(ruleset, pid, decision.as_of)
                trace = ruleset.why_not(facts, version, as_of=_date(as_of),
                                        presumptions=not strict)
                out.print(render_why_not(trace, ruleset, decision, lang))
            return
        out.print(render_decision(decision, ruleset, lang))


def _version(ruleset: RuleSet, pid: str, date: Any) -> str:
    """The provision `pid`, or the version of it (`pid@amendment`) that governs `date`."""
    from rules.language.amendments import version_on

    version = version_on(ruleset, pid, date if isinstance(date, dt.date) else None)
    if version is None:
        from rules.language.source import did_you_mean

        hint = did_you_mean(pid, ruleset.by_id)
        raise UserError(f"unknown provision `{pid}`" + (f"; {hint}" if hint else ""))
    return version


@app.command("explain")
def explain_command(
    provision: Annotated[str, typer.Argument(help="The provision's id, e.g. cc_68_1_release.")],
    rules_dir: RulesOption = None,
    amendment: AmendmentOption = None,
    lang: LangOption = None,
) -> None:
    """Show a provision: its text, source, confidence, in-force period, priorities, conditions;
    with --amendment, as amended, with its versions and their periods in force."""
    with user_errors(lang) as lang:
        from rules.language.source import UnknownProvision
        from rules.lawyer.describe import describe, render_description
        from rules.lawyer.report import console

        ruleset = _load(rules_dir)
        if amendment:
            ruleset = _amended(ruleset, amendment).final
        pid = _version(ruleset, provision, None) if provision not in ruleset.by_id else provision
        try:
            description = describe(ruleset, pid, lang)
        except UnknownProvision as error:
            raise UserError(str(error)) from None
        out = console()
        out.print(render_description(description))
        from rules.drafter.consolidate import versions

        rows = versions(ruleset, only=provision)
        if len(rows) > 1 or any(r.made_by for r in rows):
            out.print(_versions_table(rows))


def _versions_table(rows: list[Any]) -> Any:
    from rich.table import Table

    table = Table(title="Versions and their periods in force", title_justify="left")
    for column in ("version", "in force from", "until", "effect", "text"):
        table.add_column(column, overflow="fold")
    for v in rows:
        table.add_row(v.id, v.start.isoformat(), v.end.isoformat() if v.end else "", v.effect,
                      v.origin)
    return table


@app.command("ask")
def ask_command(
    case: Annotated[Optional[Path], typer.Argument(
        help="Case facts known so far (JSON); none to start from an empty case.")] = None,
    rules_dir: RulesOption = None,
    save: Annotated[Optional[Path], typer.Option(
        "--save", help="Save the completed case (JSON) to this file.")] = None,
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Also write the report as a printable HTML page to this file.")] = None,
    lang: LangOption = None,
) -> None:
    """Ask only for the facts that can still change an outcome, then print the report."""
    with user_errors(lang) as lang:
        from rules.files import check_output
        from rules.lawyer.ask import Session, run_session
        from rules.lawyer.html import REPORT_SUFFIXES
        from rules.lawyer.report import console, render_decision, write_atomic

        if case is not None and str(case) == "-":
            raise UserError("ask reads answers from standard input: give the case as a file")
        if save is not None:
            check_output(save, (".json",), [case], "case")
        if report is not None:
            check_output(report, REPORT_SUFFIXES, [case, save], "report")
        ruleset = _load(rules_dir)
        session = Session(ruleset, _read_case(case) if case is not None else None, lang=lang)
        read: Any = input
        if sys.stdin.isatty() and sys.stdout.isatty():
            from rules.lawyer.terminal import terminal_reader

            read = terminal_reader(session)
        try:
            decision = run_session(session, read=read, write=_echo,
                                   echo=not sys.stdin.isatty())
        except (EOFError, KeyboardInterrupt) as stop:
            from rules.i18n import translator

            tr = translator(lang)
            interrupted = isinstance(stop, KeyboardInterrupt)
            count = len(session.asked)
            why = (tr.ngettext("session interrupted after {n} answer; nothing saved.",
                               "session interrupted after {n} answers; nothing saved.", count)
                   if interrupted else
                   tr.ngettext("session ended: no more input after {n} answer; nothing saved.",
                               "session ended: no more input after {n} answers; nothing saved.",
                               count))
            _echo("\n" + why.format(n=count), err=True)
            raise typer.Exit(130 if interrupted else 1) from None
        _warn_future(decision, ruleset)
        console().print(render_decision(decision, ruleset, lang))
        if save is not None:
            from rules.i18n import translator

            write_atomic(save, json.dumps(decision.case, ensure_ascii=False, indent=2) + "\n")
            _echo(translator(lang).gettext("Saved the case to {path}.").format(path=save),
                       err=True)
        if report is not None:
            from rules.lawyer.html import write_html

            write_html(decision, ruleset, report, lang=lang)


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
    lang: LangOption = None,
) -> None:
    """Re-run a saved decision: did the rule set change, do its outcomes still hold? Exit 0 if
    they do, 1 if not, 2 on bad input."""
    with user_errors(lang) as lang:
        from rules.lawyer.verify import render_verification, verify

        result = verify(_read_case(decision_file), _load(rules_dir))
        if as_json:
            _print_json(result.as_json())
        else:
            _echo(render_verification(result, lang))
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
    amendment: AmendmentOption = None,
    lang: LangOption = None,
) -> None:
    """Parse and check a rule set; report every problem with its place. After a clean check,
    z3 looks for conflicts, dead provisions and overrides that never bite, with witness cases.
    With --amendment: the amended rule set, its findings marked new where the amendments bring
    them in, and the retroactivity check."""
    with user_errors(lang) as lang:
        from rules.language.loader import bundled_path, diagnose, read_sources
        from rules.language.source import RuleSetError

        sources = read_sources(path or bundled_path())
        ruleset, diagnostics = diagnose(sources)
        analysis = None
        base_analysis = None
        applied = None
        if ruleset is not None and amendment:
            applied = _amended(ruleset, amendment)
            base, ruleset = ruleset, applied.final
            sources = dict(ruleset.sources)
        if ruleset is not None and not no_analysis and \
                not any(d.severity == "error" for d in diagnostics):
            from rules.solver.check import check_all

            analysis = check_all(ruleset, gaps or ())
            if applied is not None:
                base_analysis = check_all(base, gaps or ())
        from rules.i18n import translator
        from rules.i18n.diagnostics import render_diagnostic
        from rules.language.label_check import coverage

        tr = translator(lang)
        _ = tr.gettext
        covered = coverage(ruleset) if ruleset is not None else []
        if as_json:
            _print_json({"ok": not any(d.severity == "error" for d in diagnostics),
                         "labels": [{"lang": c.lang, "total": c.total, "present": c.present,
                                     "gaps": list(c.gaps), "missing": list(c.missing)}
                                    for c in covered],
                         "diagnostics": [{"code": d.code, "severity": d.severity,
                                          "message": d.message, "file": d.span.file,
                                          "line": d.span.line, "column": d.span.column,
                                          "notes": list(d.notes)} for d in diagnostics],
                         **({"analysis": _marked(analysis, base_analysis)} if analysis else {}),
                         **({"amendments": [r.id for r in ruleset.history],
                             "retroactivity": [r.to_json() for r in applied.retroactivity]}
                            if applied is not None and ruleset is not None else {})})
        if any(d.severity == "error" for d in diagnostics):
            if not as_json:
                raise RuleSetError(diagnostics, sources)
            raise typer.Exit(2)
        if not as_json:
            for diagnostic in diagnostics:
                _echo(render_diagnostic(diagnostic, sources, tr.lang), err=True)
            assert ruleset is not None
            if applied is not None:
                _echo(_("amended by {amendments}; retroactivity: {checks}").format(
                    amendments=", ".join(f"{r.id} ({r.date})" for r in ruleset.history),
                    checks="; ".join(_retro_line(r) for r in applied.retroactivity)))
            _echo(_("ok: {provisions} provisions, {facts} facts, {actions} actions, {files} "
                         "files; {warnings} warning(s)").format(
                provisions=len(ruleset.provisions), facts=len(ruleset.facts),
                actions=len(ruleset.actions), files=len(sources), warnings=len(diagnostics)))
            _echo(_("labels: {coverage}").format(coverage="; ".join(
                _coverage_text(c, tr) for c in covered)))
            for c in covered:
                if c.missing:
                    shown = ", ".join(c.missing[:8]) + (", ..." if len(c.missing) > 8 else "")
                    _echo("  " + _("{lang} missing: {keys}").format(lang=c.lang,
                                                                         keys=shown))
            if analysis is not None:
                from rules.solver.analysis import render_analysis

                lines = render_analysis(analysis)
                if base_analysis is not None:
                    new = _new_findings(analysis, base_analysis)
                    lines[0] += f"; {len(new)} new with the amendment(s)"
                    lines = [line + ("   [NEW]" if _is_new_line(line, new) else "")
                             for line in lines]
                _echo("\n".join(lines))


def _retro_line(check: Any) -> str:
    allowed = [r for r in check.reaches if r.allowed]
    if not check.reaches and not check.unknown:
        return f"{check.amendment} reaches no earlier act (proved, {check.queries} queries)"
    if check.unknown:
        return f"{check.amendment}: unknown ({'; '.join(check.unknown)})"
    return (f"{check.amendment} reaches earlier acts through {len(allowed)} change(s) it "
            "declares improving")


def _signature(finding: Any) -> tuple[str, tuple[str, ...], Any]:
    from rules.language.amendments import base_id

    return (finding.kind, tuple(sorted({base_id(p) for p in finding.provisions})),
            finding.action)


def _new_findings(analysis: Any, base: Any) -> list[Any]:
    """Findings of the amended rule set that the rule set before the amendments does not have."""
    known = {_signature(f) for f in base.findings}
    return [f for f in analysis.findings if _signature(f) not in known]


def _is_new_line(line: str, new: list[Any]) -> bool:
    return any(line == f"  {f.kind}{f' [{f.confidence}]' if f.confidence else ''}: {f.message}"
               for f in new)


def _marked(analysis: Any, base: Any) -> dict[str, Any]:
    data: dict[str, Any] = analysis.to_json()
    if base is not None:
        new = {id(f) for f in _new_findings(analysis, base)}
        for finding, item in zip(analysis.findings, data["findings"], strict=True):
            item["new_with_amendment"] = id(finding) in new
    return data


def _coverage_text(c: Any, tr: Any) -> str:
    """`kk: 393/396 labels (3 known gaps)` in the user's language."""
    text = tr.gettext("{lang}: {present}/{total} labels").format(lang=c.lang, present=c.present,
                                                                 total=c.total)
    if c.gaps:
        text += " " + tr.ngettext("({n} known gap)", "({n} known gaps)", len(c.gaps)).format(
            n=len(c.gaps))
    if c.missing:
        text += ", " + tr.gettext("{n} missing").format(n=len(c.missing))
    return str(text)


@app.command("diff")
def diff_command(
    amendment: Annotated[list[Path], typer.Option(
        "--amendment", help="An amendment file (.law); repeat it for a package of amendments "
        "(applied in date order, each change attributed).")],
    rules_dir: RulesOption = None,
    as_json: JsonOption = False,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Compare the law in force on this date instead of the offence date.")
    ] = None,
    scenarios: Annotated[Optional[Path], typer.Option(
        "--scenarios", help="Scenario folder to re-run (default: the bundled bill's scenarios).")
    ] = None,
    cases: Annotated[Optional[Path], typer.Option(
        "--cases", help="A corpus (.jsonl, .csv, .parquet) to evaluate under both rule sets.")
    ] = None,
    changed_out: Annotated[Optional[Path], typer.Option(
        "--changed-out", help="Write the corpus rows whose outcome changes (JSONL).")] = None,
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Write the impact report (HTML): the proof, and with --cases the "
        "counts by year, region and group, action arguments, incomplete cases.")] = None,
    timeout: Annotated[int, typer.Option("--timeout", help="Solver timeout per query (ms).")
                       ] = 10_000,
    engine: Annotated[str, typer.Option(
        "--engine", help="The engine that decides the corpus: interpreter, polars, duckdb or "
        "spark.")] = "polars",
    interpreter: Annotated[bool, typer.Option(
        "--interpreter", help="The same as --engine interpreter: case by case, with the "
        "reference interpreter.")] = False,
    lang: LangOption = None,
) -> None:
    """What amendments change: per action and conclusion, a proof of no change or the
    transitions with witness cases (attributed to the amendments that cause them); changes that
    reach earlier acts; broken scenarios; the effect on a corpus."""
    with user_errors(lang) as lang:
        from rules.drafter.diff import diff_scenarios, render_diff
        from rules.drafter.package import diff_package, render_package

        if changed_out is not None:
            from rules.batch.impact import CHANGED_SUFFIXES
            from rules.files import check_output

            if cases is None:
                raise UserError("--changed-out needs --cases (the corpus whose changes to write)")
            check_output(changed_out, CHANGED_SUFFIXES, [cases, *amendment], "changed rows")
        if cases is not None and not cases.exists():
            raise UserError(f"{cases}: no such corpus file")
        if report is not None:
            from rules.files import check_output
            from rules.lawyer.html import REPORT_SUFFIXES

            check_output(report, REPORT_SUFFIXES, [cases, changed_out, *amendment], "report")
        base = _load(rules_dir)
        applied = _amended(base, amendment, timeout)
        amended = applied.final
        package = diff_package(applied, as_of=_date(as_of), timeout_ms=timeout)
        folder = _scenario_folder(scenarios, rules_dir)
        broken, ran, already = diff_scenarios(base, amended, folder) if folder is not None \
            else ([], 0, 0)
        corpus = _corpus_diff(base, amended, cases, changed_out, _date(as_of), as_json,
                              "interpreter" if interpreter else engine) \
            if cases is not None else None
        if report is not None:
            from rules.drafter.impact import build_impact, render_impact_html
            from rules.lawyer.report import write_atomic

            impact = build_impact(applied, package, cases, _date(as_of))
            write_atomic(report, render_impact_html(impact))
        if as_json:
            _print_json({**package.to_json(), "scenarios": {
                "folder": str(folder) if folder is not None else None,
                "run": ran, "already_failing": already,
                "broken": [{"name": b.name, "file": b.file, "failures": b.failures}
                           for b in broken]},
                **({"corpus": corpus.to_json()} if corpus is not None else {})})
            return
        from rules.drafter.diff import corpus_table
        from rules.i18n import translator
        from rules.lawyer.report import console

        tr = translator(lang)
        _ = tr.gettext
        if len(applied.amendments) == 1:
            only = applied.amendments[0]
            _echo("\n".join(render_diff(package.combined,
                                             f"{only.id}: {only.amendment.title}", lang)))
            for check in package.retroactivity:
                for what in check.unknown:
                    _echo("  " + _("UNKNOWN retroactivity of {amendment}: {what}").format(
                        amendment=check.amendment, what=what))
                for r in check.reaches:
                    _echo("  " + _("reaches back (declared improving): {provision} turns "
                                        "{key} {before} -> {after} before {date}; e.g. {case}")
                               .format(provision=r.provision, key=r.key, before=r.before,
                                       after=r.after, date=check.date,
                                       case=json.dumps(r.witness, ensure_ascii=False)))
        else:
            _echo("\n".join(render_package(package)))
        if folder is None:
            _echo(_("scenarios: no scenarios found; pass --scenarios DIR"))
        else:
            _echo(tr.gettext("scenarios: {ran} run, {broken} broken by the amendment").format(
                ran=ran, broken=len(broken))
                + (" " + tr.gettext("({n} already failing before it)").format(n=already)
                   if already else ""))
        for b in broken:
            _echo("  " + tr.gettext("BROKEN {name} ({file})").format(name=b.name,
                                                                          file=b.file))
            for failure in b.failures:
                _echo(f"     {failure}")
        if corpus is not None:
            out = console()
            for renderable in corpus_table(corpus, lang=lang):
                out.print(renderable, markup=False)
        if report is not None:
            _echo(f"impact report: {report}")


def _scenario_folder(given: Optional[Path], rules_dir: Optional[Path]) -> Optional[Path]:
    """--scenarios if given (it must exist); for the bundled bill, its scenarios (shipped with
    the package); for another rule set, none."""
    if given is not None:
        if not given.exists():
            raise UserError(f"{given}: no such scenario folder")
        return given
    if rules_dir is not None:
        return None
    from rules.drafter.scenarios import bundled_scenarios

    return bundled_scenarios()


def _corpus_diff(base: RuleSet, amended: RuleSet, cases: Path, changed_out: Optional[Path],
                 as_of: Optional[dt.date], quiet: bool, engine: str = "polars") -> Any:
    from rich.progress import Progress

    from rules.batch.impact import diff_corpus_file

    if not cases.exists():
        raise UserError(f"{cases}: no such corpus file")
    with Progress(transient=True, disable=quiet or not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"evaluating {cases.name}", total=None)
        return diff_corpus_file(base, amended, cases, as_of,
                                progress=lambda n: progress.advance(task, n),
                                changed_out=changed_out, engine=engine)


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
    amendment: AmendmentOption = None,
    lang: LangOption = None,
) -> None:
    """Run the scenario tests and report coverage by provision (under the amended rules with
    --amendment)."""
    with user_errors(lang) as lang:
        from rich.markup import escape
        from rich.table import Table

        from rules.drafter.scenarios import run_scenarios
        from rules.lawyer.report import console

        ruleset = _load(rules_dir)
        if amendment:
            ruleset = _amended(ruleset, amendment).final
        folder = _scenario_folder(path, rules_dir)
        if folder is None:
            raise UserError("no scenarios found; pass the scenario folder: rules test DIR")
        report = run_scenarios(ruleset, folder)
        out = console()
        from rules.i18n import translator

        tr = translator(lang)
        _ = tr.gettext
        passed_word, failed_word = _("pass"), _("FAIL")
        for result in report.results:
            if verbose or not result.passed:
                mark = f"[green]{passed_word}[/]" if result.passed else f"[red]{failed_word}[/]"
                out.print(f"{mark} {escape(result.scenario.name)} "
                          f"[dim]({escape(result.scenario.source)})[/]")
                for failure in result.failures:
                    out.print(f"     {failure}", markup=False)
        coverage = report.coverage
        table = Table(title=_("Coverage by provision (scenarios where it applies)"),
                      title_justify="left")
        table.add_column(_("provision"))
        table.add_column(_("scenarios"), justify="right")
        for pid, count in coverage.items():
            if verbose or count == 0:
                table.add_row(pid, str(count) if count else "[red]0[/]")
        if table.row_count:
            out.print(table)
        passed = len(report.results) - len(report.failed)
        covered = len(coverage) - len(report.uncovered)
        out.print(_("{passed} passed, {failed} failed; provisions covered: {covered}/{total}"
                    ).format(passed=passed, failed=len(report.failed), covered=covered,
                             total=len(coverage)))
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
        "--chunk-rows", min=1, help="Rows per chunk (bounds memory).")] = 1_000_000,
    no_provisions: Annotated[bool, typer.Option(
        "--no-provisions", help="Leave out the deciding-provision lists (faster).")] = False,
    engine: Annotated[str, typer.Option(
        "--engine", help="interpreter, polars (default), duckdb or spark.")] = "polars",
    partition_by: Annotated[Optional[list[str]], typer.Option(
        "--partition-by", help="duckdb, spark: write results as a folder of Parquet files "
        "partitioned by this column (hive layout, column=value/).")] = None,
    spark_master: Annotated[Optional[str], typer.Option(
        "--spark-master", help="spark: the master URL (default: local[*], or the one "
        "spark-submit gives).")] = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
    lang: LangOption = None,
) -> None:
    """Decide a whole table of cases at once (the batch back end) and summarise the outcomes."""
    with user_errors(lang) as lang:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        from rich.table import Table

        from rules.batch.engines import open_engine
        from rules.cases.read import count_rows
        from rules.lawyer.report import console

        if partition_by and engine not in ("duckdb", "spark"):
            raise UserError("--partition-by: only the duckdb and spark engines write "
                            "partitioned results")
        options: dict[str, Any] = {"master": spark_master} if engine == "spark" else {}
        runner = open_engine(engine, _load(rules_dir), _date(as_of),
                             presumptions=not strict, **options)
        extra: dict[str, Any] = {"partition_by": partition_by} if partition_by else {}
        total = count_rows(cases) if cases.exists() else None
        show = sys.stderr.isatty() and not as_json
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), disable=not show,
                      transient=True) as bar:
            task = bar.add_task("deciding cases", total=total)
            try:
                summary = runner.run(cases, out, rejects, keep=keep or (),
                                     chunk_rows=chunk_rows, provisions=not no_provisions,
                                     progress=lambda n: bar.advance(task, n), **extra)
            finally:
                runner.close()
        if as_json:
            _print_json(summary.to_dict())
            return
        from rules.i18n import translator
        from rules.i18n.words import word

        tr = translator(lang)
        _ = tr.gettext
        words = tr.words(runner.ruleset)
        outc = console()

        def share(count: int) -> str:
            return f"{tr.format_number(count)} ({tr.format_percent(count / done)})"

        table = Table(title=_("Outcomes per action ({n} cases evaluated)").format(
            n=tr.format_number(summary.rows_evaluated)), title_justify="left")
        table.add_column(_("action"))
        statuses = ("required", "forbidden", "permitted", "none", "conflict", "undetermined")
        for status in statuses:
            table.add_column(word(tr, status), justify="right")
        done = max(summary.rows_evaluated, 1)
        for name, counts in summary.actions.items():
            table.add_row(words.action(name), *(share(counts.get(s, 0)) for s in statuses))
        outc.print(table, markup=False)
        ctable = Table(title=_("Conclusions"), title_justify="left")
        ctable.add_column(_("conclusion"))
        cstatuses = ("determined", "none", "undetermined", "conflict")
        for status in cstatuses:
            ctable.add_column(_("determined") if status == "determined" else word(tr, status),
                              justify="right")
        for name, counts in summary.conclusions.items():
            ctable.add_row(words.conclusion(name), *(share(counts.get(s, 0)) for s in cstatuses))
        outc.print(ctable, markup=False)
        mark = "" if summary.balanced else " [red](MISMATCH)[/]"
        outc.print(_("rows in {rows} = evaluated {evaluated} + rejected {rejected}").format(
            rows=tr.format_number(summary.rows_in),
            evaluated=tr.format_number(summary.rows_evaluated),
            rejected=tr.format_number(summary.rows_rejected)) + mark)
        if summary.rows_rejected:
            reasons = ", ".join(f"{k} {tr.format_number(v)}" for k, v in sorted(
                summary.reject_reasons.items(), key=lambda kv: -kv[1])[:5])
            where = rejects or (out.with_name(out.stem + ".rejects.csv") if out else None)
            outc.print(_("rejected by field: {reasons}").format(reasons=reasons)
                       + ("; " + _("see {path}").format(path=where) if where else ""),
                       markup=False)
        if out is not None:
            outc.print(_("results: {path}").format(path=out), markup=False)


@app.command("generate")
def generate_command(
    n: Annotated[int, typer.Argument(help="How many cases.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .parquet, .csv or .jsonl.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same cases).")] = 0,
    invalid_share: Annotated[float, typer.Option(
        "--invalid-share", min=0.0, max=1.0,
        help="Share of deliberately invalid rows (tests the rejects).")] = 0.0,
    rules_dir: RulesOption = None,
    lang: LangOption = None,
) -> None:
    """Write realistic synthetic cases over the rule set's facts (for batch runs and benchmarks)."""
    with user_errors(lang) as lang:
        from rules.batch.generate import write

        if n < 0:
            raise UserError("N must be 0 or more")
        written = write(_load(rules_dir), n, out, seed=seed, invalid_share=invalid_share)
        from rules.i18n import translator

        tr = translator(lang)
        _echo(tr.gettext("wrote {n} cases to {path}").format(n=tr.format_number(written),
                                                                   path=out))


@app.command("consolidate")
def consolidate_command(
    amendment: Annotated[list[Path], typer.Option(
        "--amendment", help="An amendment file (.law); repeatable (applied in date order).")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Write the consolidated rule set (.law files) into this folder.")] = None,
    html: Annotated[Optional[Path], typer.Option(
        "--html", help="Write the versions and redlines as an HTML page.")] = None,
    rules_dir: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """The rule set as amended: consolidated text that loads back to the same rule set, a
    redline per changed provision (old and new wording), and the table of versions."""
    with user_errors():
        import os

        from rules.drafter.consolidate import versions, write_consolidated
        from rules.drafter.redline import redlines, render_html, render_terminal
        from rules.files import check_output
        from rules.language.loader import bundled_path
        from rules.lawyer.html import REPORT_SUFFIXES
        from rules.lawyer.report import console, write_atomic

        if html is not None:
            check_output(html, REPORT_SUFFIXES, list(amendment), "redlines")
        if out is not None:
            rules_folder = Path(os.path.realpath(rules_dir or bundled_path()))
            if Path(os.path.realpath(out)) == rules_folder:
                raise UserError(f"{out}: the consolidated text would overwrite the rule set it "
                                "is made from; write it to another folder")
            if out.exists() and not out.is_dir():
                raise UserError(f"{out}: not a folder")
        base = _load(rules_dir)
        applied = _amended(base, amendment)
        final = applied.final
        written = write_consolidated(final, out) if out is not None else []
        title = "Consolidated text as amended by " + ", ".join(r.id for r in final.history)
        if html is not None:
            write_atomic(html, render_html(base, final, title, applied.steps))
        rows = versions(final)
        lines = redlines(base, final, applied.steps)
        if as_json:
            _print_json({"amendments": [r.id for r in final.history],
                         "files": [str(p) for p in written],
                         "versions": [v.to_json() for v in rows],
                         "redlines": [r.to_json() for r in lines]})
            return
        console_out = console()
        console_out.print(_versions_table(rows))
        if console_out.is_terminal:
            for renderable in render_terminal(lines):
                console_out.print(renderable)
        else:   # no colours: deletions in [-...-], insertions in {+...+}
            from rules.drafter.redline import render_plain

            _echo(render_plain(lines))
        if written:
            _echo(f"wrote {len(written)} file(s) to {out}: the rule set as amended by "
                       + ", ".join(r.id for r in final.history))
        if html is not None:
            _echo(f"redlines: {html}")


@app.command("lsp")
def lsp_command() -> None:
    """Start the language server for .law files on standard input and output (for editors)."""
    with user_errors():
        try:
            from rules.lsp.server import serve
        except ImportError as error:
            raise UserError(f"the language server needs pygls: pip install "
                            f"'kz-child-safety-rules[lsp]' ({error})") from None
        serve()


@app.command("fmt")
def fmt_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Rule files or folders (default: the .law files under the current folder); "
             "'-' formats standard input to standard output.")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; exit 1 if a file is not in the canonical layout.")
    ] = False,
) -> None:
    """Rewrite rule files in the canonical layout (comments kept); `--check` for CI."""
    with user_errors():
        from rules.files import read_stdin
        from rules.language.format import format_text
        from rules.language.loader import read_law_file
        from rules.lawyer.report import write_atomic

        if paths and [str(p) for p in paths] == ["-"]:
            typer.echo(format_text(read_stdin(), "<stdin>"), nl=False)
            return
        files = _law_files(paths or [Path(".")])
        changed = []
        for file in files:
            text = read_law_file(file)
            tidy = format_text(text, str(file))
            if tidy != text:
                changed.append(file)
                if not check:
                    write_atomic(file, tidy)
        if check:
            for file in changed:
                _echo(f"would reformat {file}")
            _echo(f"{len(changed)} of {len(files)} file(s) not in the canonical layout"
                       if changed else f"{len(files)} file(s) already formatted")
            if changed:
                raise typer.Exit(1)
            return
        for file in changed:
            _echo(f"reformatted {file}")
        _echo(f"{len(changed)} reformatted, {len(files) - len(changed)} unchanged")


def _law_files(paths: list[Path]) -> list[Path]:
    """The .law files named or under the folders named (hidden folders and venvs skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(f for f in sorted(path.rglob("*.law"))
                         if not any(part.startswith(".") or part in ("venv", "node_modules")
                                    for part in f.relative_to(path).parts[:-1]))
        else:
            raise UserError(f"{path}: no such file or folder")
    if not found:
        raise UserError("no .law files found")
    return found


def main() -> None:
    """Entry point of the `rules` console script."""
    from rules.files import stop_cleanly_on_signals

    stop_cleanly_on_signals()
    app()


if __name__ == "__main__":
    main()
