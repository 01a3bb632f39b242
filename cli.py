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
) -> None:
    """Decide a case: qualification, procedures, protections, and what is still unknown."""
    with user_errors():
        ruleset = _load(rules_dir)
        decision = ruleset.evaluate(_read_case(case), as_of=_date(as_of))
        if as_json:
            typer.echo(decision.model_dump_json(indent=2))
            return
        from rules.report import console, render_decision, render_why_not

        out = console()
        if why_not:
            for pid in why_not:
                trace = decision.trace(pid)
                if trace is None:
                    from rules.source import did_you_mean

                    hint = did_you_mean(pid, ruleset.by_id)
                    raise UserError(f"unknown provision `{pid}`" + (f"; {hint}" if hint else ""))
                out.print(render_why_not(trace))
            return
        out.print(render_decision(decision, ruleset))


@app.command("check")
def check_command(
    path: Annotated[Optional[Path], typer.Argument(help="Folder of .law files.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Parse and check a rule set; report every problem with its place."""
    with user_errors():
        from rules.checker import check_collect
        from rules.loader import bundled_path, read_sources
        from rules.parser import parse_collect
        from rules.source import RuleSetError

        sources = read_sources(path or bundled_path())
        modules, diagnostics = [], []
        for name, text in sources.items():
            module, errors = parse_collect(text, name)
            modules.append(module)
            diagnostics.extend(errors)
        ruleset, checked = check_collect(modules, sources)
        diagnostics.extend(checked.items)
        if as_json:
            _print_json({"ok": not any(d.severity == "error" for d in diagnostics),
                         "diagnostics": [{"code": d.code, "severity": d.severity,
                                          "message": d.message, "file": d.span.file,
                                          "line": d.span.line, "column": d.span.column,
                                          "notes": list(d.notes)} for d in diagnostics]})
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

        from rules.report import console
        from rules.scenarios import run_scenarios

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


def main() -> None:
    """Entry point of the `rules` console script."""
    app()


if __name__ == "__main__":
    main()
