"""JSON API v1. Every error is problem+json (see `problems`); nothing reads or writes a file on
request: cases and amendments are in the request body, the rule set is the one the server loaded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from rules.web.config import Server
from rules.web.problems import N_, Problem

router = APIRouter()

LangQuery = Query(None, description="Language of messages: en, ru or kk (default en).")
AsOfQuery = Query(None, description="Judge by the law in force on this date (2024-06-16) "
                                    "instead of the offence date.")


def server(request: Request) -> Server:
    found: Server = request.app.state.server
    return found


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Problem("invalid-request", N_("%(what)s must be a JSON object"),
                      params={"what": what},
                      errors=[{"field": what, "reason": "expected a JSON object"}])
    return data


async def json_body(request: Request) -> Any:
    """The request body as JSON (`invalid-request` with the place of the syntax error)."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise Problem("invalid-request", N_("the body is not UTF-8 text"),
                      errors=[{"field": "(body)", "reason": "not UTF-8"}]) from None
    except json.JSONDecodeError as error:
        raise Problem("invalid-request", N_("the body is not JSON: %(why)s at line %(line)d "
                      "column %(column)d"), params={"why": error.msg, "line": error.lineno,
                                                    "column": error.colno},
                      errors=[{"field": "(body)", "reason": error.msg}]) from None


def _lang(lang: str | None) -> str:
    from rules.i18n import resolve_lang

    return resolve_lang(lang or "en")


def evaluate(srv: Server, case: Any, as_of: str | None, strict: bool, source: str) -> Any:
    """Decide a case and log the decision (`CaseError` on bad facts or a bad `as_of`)."""
    import inspect

    options: dict[str, Any] = {"as_of": as_of}
    if strict and "strict" in inspect.signature(srv.ruleset.evaluate).parameters:
        options["strict"] = True      # without declared presumptions every decision is strict
    decision = srv.ruleset.evaluate(case, **options)
    if srv.log is not None:
        srv.log.append(decision, source)
    return decision


def _case_schema_body(srv_schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": srv_schema}}}}


@router.get("/healthz", tags=["service"], summary="Liveness and the rules being served")
async def healthz(request: Request) -> dict[str, Any]:
    srv = server(request)
    from rules.version import __version__

    return {"status": "ok", "rules_sha256": srv.ruleset.fingerprint,
            "engine_version": __version__, "provisions": len(srv.ruleset.provisions),
            "amendments": [name for name, _ in srv.amendment_texts]}


@router.get("/v1/schema", tags=["cases"], summary="The JSON Schema of a case")
async def schema(request: Request) -> dict[str, Any]:
    return server(request).schema


@router.post("/v1/decisions", tags=["cases"], summary="Decide a case",
             description="The body is a case (see /v1/schema). The answer is the Decision: "
             "outcomes, conclusions, undetermined items with the facts they need, conflicts, "
             "the explanation and the record (hashes of the rules and the case).",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "description": "A case, see GET /v1/schema"}}}}})
async def decisions(request: Request, lang: str | None = LangQuery,
                    as_of: str | None = AsOfQuery,
                    strict: bool = Query(False, description="No presumptions: only stated "
                                         "facts count."),
                    explain: bool = Query(True, description="Include the explanation (every "
                                          "provision's trace); false leaves it out, which is "
                                          "several times faster.")) -> Response:
    _lang(lang)
    srv = server(request)
    case = _object(await json_body(request), "(body)")
    decision = evaluate(srv, case, as_of, strict, "api")
    text = decision.model_dump_json() if explain else \
        decision.model_dump_json(exclude={"explanation"})
    return Response(text, media_type="application/json")


@router.post("/v1/why-not", tags=["cases"], summary="Why a provision did or did not apply",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "required": ["case", "provision"], "properties": {
                     "case": {"type": "object"}, "provision": {"type": "string"}}}}}}})
async def why_not(request: Request, lang: str | None = LangQuery,
                  as_of: str | None = AsOfQuery) -> Response:
    _lang(lang)
    srv = server(request)
    body = _object(await json_body(request), "(body)")
    case = _object(body.get("case", {}), "case")
    pid = body.get("provision")
    if not isinstance(pid, str) or not pid:
        raise Problem("invalid-request", N_("give the provision's id in `provision`"),
                      errors=[{"field": "provision", "reason": "expected a provision id"}])
    srv.ruleset.provision(pid)                      # UnknownProvision -> 404 before the case
    trace = srv.ruleset.why_not(case, pid, as_of=as_of)
    return Response(trace.model_dump_json(), media_type="application/json")


def provision_summary(srv: Server, pid: str) -> dict[str, Any]:
    p = srv.ruleset.provision(pid)
    return {"id": p.id, "title": p.title, "confidence": p.confidence,
            "sources": [{"short": c.short, "full": c.full} for c in p.sources],
            "in_force": {"from": p.start.isoformat(),
                         "until": p.end.isoformat() if p.end else None},
            "effect": p.effect, "overrides": list(p.overrides),
            "overridden_by": [q.id for q in srv.ruleset.provisions if p.id in q.overrides],
            "decides": sorted(p.decides)}


@router.get("/v1/provisions", tags=["provisions"], summary="Every provision, in rule-set order")
async def provisions(request: Request) -> list[dict[str, Any]]:
    srv = server(request)
    return [provision_summary(srv, p.id) for p in srv.ruleset.provisions]


@router.get("/v1/provisions/{pid}", tags=["provisions"],
            summary="A provision: text, source, quote, in force, priorities, conditions")
async def provision(request: Request, pid: str) -> dict[str, Any]:
    from rules.lawyer.describe import describe

    srv = server(request)
    d = describe(srv.ruleset, pid)
    return {**provision_summary(srv, pid), "quote": d.quote, "in_force_text": d.in_force,
            "effect_text": d.effect,
            "overrides": [{"id": i, "title": t} for i, t in d.overrides],
            "overridden_by": [{"id": i, "title": t} for i, t in d.overridden_by],
            "conditions": [{"kind": c.kind, "text": c.text, "words": c.words}
                           for c in d.conditions],
            "definitions": [{"name": n, "text": t, "words": w} for n, t, w in d.definitions],
            "facts": [{"path": p, "doc": doc} for p, doc in d.facts],
            "outcomes": list(d.outcomes),
            "text": srv.ruleset.sources and provision_text(srv, pid)}


def provision_text(srv: Server, pid: str) -> str:
    """The provision as written in its rule file (from its span)."""
    p = srv.ruleset.provision(pid)
    text = srv.ruleset.sources.get(p.span.file)
    if text is None or p.span.line <= 0:
        return ""
    lines = text.splitlines()
    return "\n".join(lines[p.span.line - 1:p.span.end_line]).strip()


@router.post("/v1/questions", tags=["cases"], summary="The next most decisive question",
             description="The body holds the case so far and the facts answered \"don't "
             "know\"; optionally an answer to record first. The answer is the next question "
             "(with the answers it allows), or none when nothing more can change the outcome.",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "properties": {
                     "case": {"type": "object"},
                     "dont_know": {"type": "array", "items": {"type": "string"}},
                     "answer": {"type": "object", "properties": {
                         "path": {"type": "string"}, "value": {}}}}}}}}})
async def questions(request: Request, lang: str | None = LangQuery,
                    as_of: str | None = AsOfQuery) -> dict[str, Any]:
    from rules.lawyer.ask import AnswerError
    from rules.web.interview import DONT_KNOW, State, question_json, replay

    _lang(lang)
    srv = server(request)
    body = _object(await json_body(request), "(body)")
    case = _object(body.get("case") or {}, "case")
    unknown = body.get("dont_know") or []
    if not isinstance(unknown, list) or not all(isinstance(p, str) for p in unknown):
        raise Problem("invalid-request", N_("`dont_know` must be a list of fact paths"),
                      errors=[{"field": "dont_know", "reason": "expected a list of fact paths"}])
    steps = [(p, DONT_KNOW) for p in unknown]
    answer = body.get("answer")
    if answer is not None:
        answer = _object(answer, "answer")
        path, value = answer.get("path"), answer.get("value")
        if not isinstance(path, str) or path not in srv.ruleset.facts:
            raise Problem("invalid-request", N_("answer.path: no such fact %(path)r"),
                          params={"path": path},
                          errors=[{"field": "answer.path", "reason": "no such fact"}])
        text = DONT_KNOW if value is None else ("yes" if value is True else "no"
                                                if value is False else str(value))
        steps.append((path, text))
    try:
        session = replay(srv.ruleset, State(case, steps), as_of)
    except AnswerError as error:
        where = str(error).split(":", 1)[0]
        raise Problem("invalid-case", str(error),
                      errors=[{"field": where, "reason": str(error)}]) from None
    question = session.next_question()
    return {"question": question_json(srv.ruleset, question) if question else None,
            "done": question is None, "case": session.case,
            "dont_know": session.not_known,
            "undetermined": session.still_undetermined()}


async def solver_job(request: Request, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run a solver job off the event loop, at most `solver_jobs` at once, under the time limit."""
    from rules.web.jobs import run_limited

    srv = server(request)
    slots: asyncio.Semaphore = request.app.state.solver_slots
    try:
        await asyncio.wait_for(slots.acquire(), timeout=5.0)
    except TimeoutError:
        raise Problem("busy", N_("every solver slot is taken"), headers={"Retry-After": "10"}
                      ) from None
    try:
        payload = {**payload, "rules_dir": str(srv.config.rules_dir) if srv.config.rules_dir
                   else None, "base_amendments": [list(a) for a in srv.amendment_texts],
                   "timeout_ms": srv.config.solver_query_ms}
        outcome = await asyncio.to_thread(run_limited, kind, payload, srv.config.solver_seconds)
    finally:
        slots.release()
    if outcome.timed_out or outcome.failed:
        reason = (f"time limit of {srv.config.solver_seconds:g} s reached" if outcome.timed_out
                  else "the solver process ended without an answer")
        return {"status": "unknown", "reason": reason, "seconds": round(outcome.seconds, 3)}
    answer = outcome.answer or {}
    if "problem" in answer:
        found = answer["problem"]
        raise Problem(found["kind"], found["detail"], **found["extra"])
    if "error" in answer:
        raise Problem("internal", N_("the solver job failed"))
    return answer


def _amendment_text(body: dict[str, Any], required: bool) -> str:
    text = body.get("amendment")
    if text is None and not required:
        return ""
    if not isinstance(text, str) or not text.strip():
        raise Problem("invalid-request", N_("give the amendment's text in `amendment`"),
                      errors=[{"field": "amendment", "reason": "expected the amendment's text"}])
    return unix_lines(text)


def unix_lines(text: str) -> str:
    """Line breaks as the rule language reads them (browsers send form text with CRLF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@router.post("/v1/diff", tags=["drafting"], summary="What an amendment changes, proved",
             description="The body holds the amendment's text (`amendment`), never a path. "
             "The answer lists, per action and conclusion, the transitions with a witness case "
             "each, what is proved unchanged, and what the solver could not settle in time "
             "(`status`: complete, partial or unknown).",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "required": ["amendment"], "properties": {
                     "amendment": {"type": "string"}}}}}}})
async def diff(request: Request, lang: str | None = LangQuery,
               as_of: str | None = AsOfQuery) -> JSONResponse:
    _lang(lang)
    body = _object(await json_body(request), "(body)")
    text = _amendment_text(body, required=True)
    if as_of is not None:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise Problem("invalid-request", N_("as_of: expected a date like 2024-06-16, got "
                                                 "%(value)r"), params={"value": as_of},
                          errors=[{"field": "as_of", "reason": "not a date"}]) from None
    return JSONResponse(await solver_job(request, "diff", {"text": text, "as_of": as_of}))


@router.post("/v1/check", tags=["drafting"], summary="Check the rules, with an amendment",
             description="Diagnostics of the served rule set and of the amendment text in "
             "`amendment` (optional), then the z3 analysis: conflicts, dead provisions, "
             "overrides that never bite, and gaps for the actions in `gaps`.",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
                 "schema": {"type": "object", "properties": {
                     "amendment": {"type": "string"},
                     "gaps": {"type": "array", "items": {"type": "string"}}}}}}}})
async def check(request: Request, lang: str | None = LangQuery) -> JSONResponse:
    _lang(lang)
    srv = server(request)
    raw = await request.body()
    body = _object(await json_body(request), "(body)") if raw.strip() else {}
    gaps = body.get("gaps") or []
    if not isinstance(gaps, list) or any(g not in srv.ruleset.actions for g in gaps):
        raise Problem("invalid-request", N_("`gaps` must list actions of the rule set"),
                      errors=[{"field": "gaps", "reason": "unknown action"}])
    text = _amendment_text(body, required=False)
    return JSONResponse(await solver_job(request, "check", {"text": text, "gaps": gaps}))
