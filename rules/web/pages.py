"""Server-rendered pages for lawyers and drafters (jinja2, the templates in `rules/templates`).

Every page works without JavaScript: forms post or get, state lives in the URL (the interview's
answers, the case behind a result page), nothing is kept on the server between requests. Every
page takes `?lang=en|ru|kk` and links to itself in the other languages.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rules.language.ruleset import RuleSet
from rules.web.api import unix_lines
from rules.web.config import Server
from rules.web.problems import N_, Problem

router = APIRouter(include_in_schema=False)

LANG_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}


def _server(request: Request) -> Server:
    found: Server = request.app.state.server
    return found


def page_lang(request: Request) -> str:
    from rules.i18n import resolve_lang

    return resolve_lang(request.query_params.get("lang") or "en")   # UnknownLanguage -> 422


def compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def href(path: str, lang: str, /, **params: Any) -> str:
    """A link inside the site, in the same language."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    query["lang"] = lang
    return f"{path}?{urlencode(query)}"


def render(request: Request, name: str, lang: str, status: int = 200,
           self_path: str | None = None, self_params: dict[str, Any] | None = None,
           **context: Any) -> HTMLResponse:
    """A page in the site's layout, with the language switch pointing at this same page."""
    from rules.templates import render as render_template
    from rules.version import __version__

    srv = _server(request)
    path = self_path or request.url.path
    params = self_params if self_params is not None else {
        k: v for k, v in request.query_params.items() if k != "lang"}
    switch = [(code, LANG_NAMES[code], href(path, code, **params)) for code in LANG_NAMES]
    nav = [(href("/", lang), "form"), (href("/interview", lang), "interview"),
           (href("/provisions", lang), "provisions"), (href("/draft", lang), "draft"),
           (href("/docs", lang), "api")]
    values: dict[str, Any] = {
        "switch": switch, "nav": nav, "href": lambda p, **kw: href(p, lang, **kw),
        "rules_sha256": srv.ruleset.fingerprint, "engine_version": __version__,
        "amendments": [n for n, _ in srv.amendment_texts]}
    values.update(context)
    values["csp_nonce"] = request.scope.get("state", {}).get("csp_nonce", "")
    html = render_template(name, lang, **values)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, problem: Problem, lang: str) -> Response:
    body = problem.body(lang, request.url.path)
    return render(request, "error.html", lang, status=problem.status, problem=body)


# ---- the case form and the result ---------------------------------------------------------------

@router.get("/")
async def form_page(request: Request, case: str | None = None) -> Response:
    from rules.web.forms import form_values

    lang = page_lang(request)
    values = form_values(_case_param(case)) if case else {}
    return _form(request, lang, values, {}, request.query_params.get("as_of", ""))


def _form(request: Request, lang: str, values: dict[str, str], errors: dict[str, str],
          as_of: str, status: int = 200) -> HTMLResponse:
    from rules.web.forms import form_groups

    return render(request, "form.html", lang, status=status,
                  groups=form_groups(_server(request).ruleset), values=values, errors=errors,
                  as_of=as_of)


def _case_param(text: str | None) -> dict[str, Any]:
    try:
        case = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise Problem("invalid-request", N_("case: not JSON: %(why)s"), params={"why": error.msg},
                      errors=[{"field": "case", "reason": error.msg}]) from None
    if not isinstance(case, dict):
        raise Problem("invalid-request", N_("case: expected a JSON object"),
                      errors=[{"field": "case", "reason": "expected a JSON object"}])
    return case


async def _submitted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/result")
async def result_from_form(request: Request) -> Response:
    """The case form (or a witness's "open under the amendment") submitted."""
    from rules.language.source import CaseError
    from rules.web.forms import case_from_form

    lang = page_lang(request)
    srv = _server(request)
    form = await _submitted(request)
    as_of = form.get("as_of", "").strip() or None
    ruleset, amendment = _ruleset_for(srv, unix_lines(form.get("amendment", "")))
    if "case_json" in form:
        case = _case_param(form["case_json"])
    else:
        from rules.i18n import translator

        case, problems = case_from_form(ruleset, form, translator(lang).gettext)
        if problems:
            return _form(request, lang, form, dict(problems), as_of or "", status=422)
    if as_of is not None:
        from rules.web.forms import parse_date

        date = parse_date(as_of)
        as_of = date.isoformat() if date else as_of
    try:
        return _result(request, lang, ruleset, case, as_of, amendment)
    except CaseError as error:
        from rules.web.forms import form_values

        values = form if "case_json" not in form else form_values(case)
        return _form(request, lang, values, dict(error.problems), as_of or "", status=422)


@router.get("/result")
async def result_page(request: Request, case: str | None = None,
                      as_of: str | None = None) -> Response:
    lang = page_lang(request)
    return _result(request, lang, _server(request).ruleset, _case_param(case), as_of, None)


def _ruleset_for(srv: Server, amendment_text: str) -> tuple[RuleSet, dict[str, Any] | None]:
    """The served rules, or the served rules as changed by an amendment text from the drafter."""
    if not amendment_text.strip():
        return srv.ruleset, None
    from rules.language.amendments import apply_amendment, parse_amendment

    parsed = parse_amendment(amendment_text, "amendment.law")       # RuleSetError -> 422
    return apply_amendment(srv.ruleset, parsed), {"id": parsed.id,
                                                  "title": parsed.amendment.title,
                                                  "text": amendment_text}


def _result(request: Request, lang: str, ruleset: RuleSet, case: dict[str, Any],
            as_of: str | None, amendment: dict[str, Any] | None) -> HTMLResponse:
    from rules.lawyer.html import report_context
    from rules.web.views import summary, why_not_by_item

    srv = _server(request)
    decision = ruleset.evaluate(case, as_of=as_of)
    if srv.log is not None:
        srv.log.append(decision, "page")
    context = report_context(decision, ruleset, lang)
    case_text = compact(decision.case)
    params = {"case": case_text, "as_of": as_of}
    from rules.web.interview import State

    ask = href("/interview", lang, state=compact(State(decision.case).to_json()), as_of=as_of)
    return render(request, "result.html", lang, self_path="/result", self_params=params,
                  decision=decision, summary=summary(decision, context["report"], ruleset),
                  why_not=why_not_by_item(decision, ruleset, lambda pid: href(
                      f"/provisions/{pid}", lang)),
                  provisions=ruleset.provisions, case_text=case_text, as_of=as_of or "",
                  ask_href=ask, report_href=href("/report", lang, **params),
                  edit_href=href("/", lang, **params), amendment=amendment,
                  provision_href=lambda pid: href(f"/provisions/{pid}", lang), **context)


@router.get("/report")
async def report_page(request: Request, case: str | None = None, as_of: str | None = None,
                      reference: str | None = None) -> Response:
    """The printable report: the very template `rules eval --report` writes."""
    from rules.lawyer.html import render_report_html, report_context

    lang = page_lang(request)
    srv = _server(request)
    decision = srv.ruleset.evaluate(_case_param(case), as_of=as_of)
    context = report_context(decision, srv.ruleset, lang,
                             reference=(reference or "").strip()[:60] or None)
    context.update(csp_nonce=request.scope.get("state", {}).get("csp_nonce", ""),
                   print_button=True, script_src="/static/site.js",
                   back_href=href("/result", lang, case=compact(decision.case), as_of=as_of))
    return HTMLResponse(render_report_html(context, lang))


@router.get("/why-not")
async def why_not_page(request: Request, provision: str, case: str | None = None,
                       as_of: str | None = None) -> Response:
    from rules.web.views import why_not_view

    lang = page_lang(request)
    srv = _server(request)
    facts = _case_param(case)
    srv.ruleset.provision(provision)
    trace = srv.ruleset.why_not(facts, provision, as_of=as_of)
    decision = srv.ruleset.evaluate(facts, as_of=as_of)
    return render(request, "why_not.html", lang, view=why_not_view(trace, srv.ruleset, decision),
                  back_href=href("/result", lang, case=compact(decision.case), as_of=as_of))


# ---- the interview ------------------------------------------------------------------------------

def _state_param(text: str | None) -> Any:
    from rules.web.interview import State

    try:
        return State.from_json(json.loads(text or "{}"))
    except (json.JSONDecodeError, ValueError) as error:
        raise Problem("invalid-request", N_("state: %(why)s"), params={"why": str(error)},
                      errors=[{"field": "state", "reason": str(error)}]) from None


@router.get("/interview")
async def interview_page(request: Request, state: str | None = None,
                         as_of: str | None = None) -> Response:
    lang = page_lang(request)
    return _interview(request, lang, _state_param(state), as_of)


def _interview(request: Request, lang: str, state: Any, as_of: str | None, error: str = "",
               status: int = 200) -> HTMLResponse:
    from rules.lawyer.ask import AnswerError
    from rules.web.interview import State, question_json, replay

    srv = _server(request)
    try:
        session = replay(srv.ruleset, state, as_of)
    except AnswerError as problem:
        return render(request, "interview.html", lang, status=422, broken=str(problem),
                      question=None, number=0, state_json="", steps=[], back_href="",
                      forward_href="", error="", result_href="", summary=None,
                      restart_href=href("/interview", lang))
    question = session.next_question()
    back = forward = ""
    if state.steps:
        back = href("/interview", lang, as_of=as_of, state=compact(State(
            state.case, state.steps[:-1], [*state.redo, state.steps[-1]]).to_json()))
    if state.redo:
        forward = href("/interview", lang, as_of=as_of, state=compact(State(
            state.case, [*state.steps, state.redo[-1]], state.redo[:-1]).to_json()))
    result_href = href("/result", lang, case=compact(session.case), as_of=as_of)
    summary = None
    if question is None:
        from rules.lawyer.report import build_report
        from rules.web.views import summary as make_summary

        summary = make_summary(session.decision, build_report(session.decision, srv.ruleset),
                               srv.ruleset)
    return render(request, "interview.html", lang, status=status, broken="",
                  question=question_json(srv.ruleset, question) if question else None,
                  number=len(state.steps) + 1, state_json=compact(state.to_json()),
                  steps=state.steps, back_href=back, forward_href=forward, error=error,
                  result_href=result_href, summary=summary, as_of=as_of or "",
                  not_known=session.not_known, restart_href=href("/interview", lang))


@router.get("/interview/answer")
async def interview_answer(request: Request, path: str, state: str | None = None,
                           answer: str = "", dont_know: str | None = None,
                           as_of: str | None = None) -> Response:
    """Record one answer, then go to the next question (the new state is in the URL)."""
    from rules.lawyer.ask import AnswerError
    from rules.web.interview import DONT_KNOW, State, replay

    lang = page_lang(request)
    srv = _server(request)
    current = _state_param(state)
    if path not in srv.ruleset.facts:
        raise Problem("invalid-request", N_("path: no such fact %(path)r"), params={"path": path},
                      errors=[{"field": "path", "reason": "no such fact"}])
    text = DONT_KNOW if dont_know else answer
    if not text.strip():
        from rules.i18n import translator

        return _interview(request, lang, current, as_of, status=422, error=translator(
            lang).gettext("Give an answer, or choose \"don't know\"."))
    proposed = State(current.case, [*current.steps, (path, text.strip())], [])
    try:
        replay(srv.ruleset, proposed, as_of)
    except AnswerError as error:
        message = str(error).split(": ", 1)[-1]
        return _interview(request, lang, current, as_of, error=message, status=422)
    return RedirectResponse(href("/interview", lang, state=compact(proposed.to_json()),
                                 as_of=as_of), status_code=303)


# ---- provisions ---------------------------------------------------------------------------------

@router.get("/provisions")
async def provisions_page(request: Request, q: str = "") -> Response:
    lang = page_lang(request)
    srv = _server(request)
    needle = q.strip().lower()
    found = [p for p in srv.ruleset.provisions
             if not needle or needle in p.id.lower() or needle in p.title.lower()
             or any(needle in c.short.lower() or needle in c.full.lower() for c in p.sources)]
    return render(request, "provisions.html", lang, provisions=found, q=q,
                  total=len(srv.ruleset.provisions))


@router.get("/provisions/{pid}")
async def provision_page(request: Request, pid: str) -> Response:
    from rules.lawyer.describe import describe
    from rules.web.api import provision_text

    lang = page_lang(request)
    srv = _server(request)
    description = describe(srv.ruleset, pid)                  # UnknownProvision -> 404 page
    return render(request, "provision.html", lang, description=description,
                  provision=srv.ruleset.provision(pid), text=provision_text(srv, pid))


# ---- the drafter's page -------------------------------------------------------------------------

EXAMPLE_AMENDMENT = """\
amendment psych_violence_2025 "No reconciliation for psychological violence against a minor"
  source LAW72 "draft amendment extending the reconciliation bar (example)"
  confidence uncertain
  in force from 2025-01-01

  add provision cao_64_minor_psych_2025 "No reconciliation for family-domestic acts against a minor"
    source CAO article 64 part 1 "as amended (example)"
    worsens position
    overrides cao_64_1_reconciliation
    if offence.kind = family_domestic_act and minor_victim
    then forbid reconciliation
"""


@router.get("/draft")
async def draft_page(request: Request) -> Response:
    lang = page_lang(request)
    return render(request, "draft.html", lang, text="", example=EXAMPLE_AMENDMENT,
                  diagnostics=[], result=None, as_of="")


@router.post("/draft")
async def draft_submit(request: Request) -> Response:
    from rules.web.api import solver_job

    lang = page_lang(request)
    form = await _submitted(request)
    text = unix_lines(form.get("amendment", ""))
    as_of = form.get("as_of", "").strip() or None
    diagnostics: list[dict[str, Any]] = []
    result = None
    status = 200
    if not text.strip():
        from rules.i18n import translator

        diagnostics = [{"code": "empty", "severity": "error", "line": 0, "column": 0,
                        "message": translator(lang).gettext("paste an amendment's text"),
                        "rendered": ""}]
        status = 422
    else:
        try:
            result = await solver_job(request, "diff", {"text": text, "as_of": as_of})
        except Problem as problem:
            if problem.kind != "invalid-rules":
                raise
            diagnostics = problem.extra.get("diagnostics", [])
            status = 422
    return render(request, "draft.html", lang, status=status, text=text,
                  example=EXAMPLE_AMENDMENT, diagnostics=diagnostics, result=result,
                  as_of=as_of or "", compact=compact)


# ---- API reference and problem types ------------------------------------------------------------

@router.get("/docs")
async def docs_page(request: Request) -> Response:
    """The API reference, rendered from the OpenAPI document (no script from elsewhere)."""
    from rules.web.views import operations

    lang = page_lang(request)
    spec = request.app.openapi()
    return render(request, "docs.html", lang, spec=spec, operations=operations(spec),
                  limit=_server(request).config.max_body_bytes)


@router.get("/problems/{kind}")
async def problem_type(request: Request, kind: str) -> Response:
    from rules.web.problems import TITLES

    lang = page_lang(request)
    if kind not in TITLES:
        raise Problem("not-found", N_("no problem type %(kind)r"), params={"kind": kind})
    status, title = TITLES[kind]
    return render(request, "problem_type.html", lang, kind=kind, http_status=status,
                  title=title)
