"""The ASGI application: `create_app(config)` builds it; `rules serve` runs it on uvicorn."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from rules.language.source import RulesError
from rules.web.config import ServeConfig, Server
from rules.web.problems import N_, PROBLEM_JSON, Problem, from_library_error
from rules.web.security import Guard

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("rules.web")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/v1/") or path == "/healthz" or path == "/openapi.json"


def _safe_lang(request: Request) -> str:
    from rules.i18n import UnknownLanguage, resolve_lang

    try:
        return resolve_lang(request.query_params.get("lang") or "en")
    except UnknownLanguage:
        return "en"


def problem_response(request: Request, problem: Problem) -> Response:
    """A problem as problem+json for the API, as an error page for a browser."""
    lang = _safe_lang(request)
    if _wants_json(request):
        return Response(problem.render(lang, request.url.path), status_code=problem.status,
                        media_type=PROBLEM_JSON, headers=problem.headers)
    from rules.web.pages import error_page

    return error_page(request, problem, lang)


def create_app(config: ServeConfig | None = None, server: Server | None = None) -> Any:
    """The application, with the rules loaded once (a `RulesError` here stops the server)."""
    srv = server or Server.start(config or ServeConfig())
    app = FastAPI(title="Kazakhstan child-safety rules", version="1",
                  description="Decide cases under the child-safety law, explain the answers, "
                  "ask the next question, and prove what an amendment changes. Errors are "
                  "RFC 9457 problem+json. Request bodies are limited to "
                  f"{srv.config.max_body_bytes} bytes (413 beyond).",
                  docs_url=None, redoc_url=None)
    app.state.server = srv
    app.state.solver_slots = asyncio.Semaphore(srv.config.solver_jobs)

    async def on_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, Problem)
        return problem_response(request, error)

    async def on_rules_error(request: Request, error: Exception) -> Response:
        return problem_response(request, from_library_error(error))

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "query"),
                   "reason": str(e.get("msg", ""))} for e in error.errors()]
        return problem_response(request, Problem(
            "invalid-request", "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            errors=errors))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        kind = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}.get(
            error.status_code, "invalid-request")
        return problem_response(request, Problem(kind, status=error.status_code,
                                                 headers=dict(error.headers or {})))

    async def on_bug(request: Request, error: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
        return problem_response(request, Problem("internal", N_("the error was logged on the "
                                                                "server")))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RulesError, on_rules_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)

    from rules.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, max_body_bytes=srv.config.max_body_bytes)
    return app
