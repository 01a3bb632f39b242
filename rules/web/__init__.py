"""`rules serve`: the web pages for lawyers and drafters and the JSON API v1, on one ASGI app.

One module per concern::

    config        what the server was started with, and the rule set it loaded once
    app           the FastAPI application: routers, middleware, error handlers, static files
    api           JSON API v1 (decisions, why-not, schema, provisions, questions, diff, check)
    pages         server-rendered pages (case form, interview, result, report, provisions, drafter)
    forms         the case form: fields from the facts' declarations, form values to a case
    problems      RFC 9457 problem+json for every library error; no stack trace in any response
    security      security headers (CSP without inline scripts), the request body limit
    decision_log  JSON lines, one per decision, appended safely under concurrency
    jobs          solver work (diff, check) in a child process under a hard time limit

FastAPI, uvicorn and jinja2 are imported only here, never by `import rules`.
"""
