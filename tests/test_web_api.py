"""JSON API v1 of `rules serve`, over real sockets: every endpoint, every error path.

Errors are RFC 9457 problem+json with field paths and diagnostic codes; nothing a user sends
gives a 500 or a stack trace; bodies over the documented limit get 413; solver work that runs
out of time answers "unknown".
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webserver import ROOT, Running, running_server

import rules

BATTERY = json.loads((ROOT / "examples/cases/battery_of_child_2024.json").read_text())
PSYCH = (ROOT / "amendments/psych_violence_reconciliation.law").read_text(encoding="utf-8")
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("api")
    with running_server(tmp, "--decision-log", str(tmp / "decisions.jsonl"),
                        "--max-body", str(LIMIT)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def problem(response: httpx.Response, status: int, kind: str) -> dict:
    """The response is a problem+json of this status and type, with no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{kind}" and body["status"] == status and body["title"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def test_healthz(client: httpx.Client, bill: rules.RuleSet) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["rules_sha256"] == bill.fingerprint
    assert body["provisions"] == len(bill.provisions)


def test_decision_is_the_library_decision(client: httpx.Client, bill: rules.RuleSet) -> None:
    response = client.post("/v1/decisions", json=BATTERY)
    assert response.status_code == 200
    decision = rules.Decision.model_validate_json(response.content)
    assert decision.state("reconciliation") == "forbidden"
    assert response.content == bill.evaluate(BATTERY).model_dump_json().encode()
    short = client.post("/v1/decisions", params={"explain": "false"}, json=BATTERY).json()
    assert "explanation" not in short and short["outcomes"] == json.loads(response.content)[
        "outcomes"]


def test_decision_query_parameters(client: httpx.Client) -> None:
    later = client.post("/v1/decisions", params={"as_of": "2024-06-16", "lang": "ru",
                                                 "strict": "true"}, json=BATTERY).json()
    assert later["as_of"] == "2024-06-16" and later["as_of_source"] == "as_of"
    bad = problem(client.post("/v1/decisions", params={"as_of": "yesterday"}, json=BATTERY),
                  422, "invalid-case")
    assert [e["field"] for e in bad["errors"]] == ["as_of"]
    lang = problem(client.post("/v1/decisions", params={"lang": "fr"}, json=BATTERY),
                   422, "unknown-language")
    assert lang["errors"][0]["field"] == "lang"
    strict = problem(client.post("/v1/decisions", params={"strict": "maybe"}, json=BATTERY),
                     422, "invalid-request")
    assert strict["errors"][0]["field"] == "strict"


def test_invalid_cases_name_the_field(client: httpx.Client) -> None:
    body = problem(client.post("/v1/decisions", json={"victim": {"age": "ten"},
                                                      "offence": {"kind": "theft"}}),
                   422, "invalid-case")
    assert {e["field"] for e in body["errors"]} == {"victim.age", "offence.kind"}
    extra = problem(client.post("/v1/decisions", json={"victim": {"agee": 3}}),
                    422, "invalid-case")
    assert extra["errors"][0]["field"] == "victim.agee"
    not_json = problem(client.post("/v1/decisions", content=b'{"victim": ',
                                   headers={"content-type": "application/json"}),
                       422, "invalid-request")
    assert "line 1" in not_json["detail"]
    problem(client.post("/v1/decisions", json=[1, 2]), 422, "invalid-request")
    for raw in (b'{"victim": {"age": NaN}}', b'{"victim": {"age": Infinity}}', b"1e999"):
        response = client.post("/v1/decisions", content=raw,
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, (raw, response.text)
    problem(client.post("/v1/decisions", content=b"\xff\xfe",
                        headers={"content-type": "application/json"}), 422, "invalid-request")


def test_why_not(client: httpx.Client) -> None:
    trace = client.post("/v1/why-not", json={"case": BATTERY,
                                             "provision": "cc_68_1_release"}).json()
    assert trace["id"] == "cc_68_1_release"
    assert trace["set_aside_by"] == ["cc_68_minor_violence_2024"]
    unknown = problem(client.post("/v1/why-not", json={"case": BATTERY, "provision": "cc_68_1"}),
                      404, "unknown-provision")
    assert "did you mean `cc_68_1_release`" in unknown["detail"]
    problem(client.post("/v1/why-not", json={"case": BATTERY}), 422, "invalid-request")
    problem(client.post("/v1/why-not", json={"case": {"victim": {"age": -1}},
                                             "provision": "cc_68_1_release"}),
            422, "invalid-case")


def test_schema_and_provisions(client: httpx.Client, bill: rules.RuleSet) -> None:
    assert client.get("/v1/schema").json() == bill.case_schema()
    listed = client.get("/v1/provisions").json()
    assert [p["id"] for p in listed] == [p.id for p in bill.provisions]
    one = client.get("/v1/provisions/cc_68_minor_violence_2024").json()
    assert one["in_force"]["from"] == "2024-06-16"
    assert "cc_68_1_release" in [o["id"] for o in one["overrides"]]
    assert one["sources"][0]["full"] and one["conditions"]
    assert client.get("/v1/provisions/cc_15_1_general_age").json()["quote"].startswith(
        "A sane natural person")
    assert one["text"].startswith("provision cc_68_minor_violence_2024")
    problem(client.get("/v1/provisions/no_such_thing"), 404, "unknown-provision")


def test_questions_walk_to_the_answer(client: httpx.Client) -> None:
    step = client.post("/v1/questions", json={}).json()
    assert step["question"]["path"] == "offence.kind"
    assert {"value": "battery", "label": "battery"} in step["question"]["choices"]
    case: dict = {}
    unknown: list[str] = []
    # the offender's age is the one "don't know" (cruelty is presumed absent, not asked)
    answers = {"offence.kind": "battery", "offence.date": "2024-07-01", "victim.age": 10,
               "place.region": "astana", "place.district": "Yesil",
               "proceedings.date": "2024-09-01"}
    for _ in range(20):
        question = step["question"]
        if question is None:
            break
        path = question["path"]
        value = answers.get(path)
        if value is None:
            unknown.append(path)
        step = client.post("/v1/questions", json={"case": case, "dont_know": unknown,
                                                  "answer": {"path": path, "value": value}}
                           ).json()
        case = step["case"]
    assert step["done"] and step["question"] is None
    assert unknown == ["offender.age"]
    decision = client.post("/v1/decisions", json=case).json()
    assert {o["action"]: o["modality"] for o in decision["outcomes"]}["reconciliation"] == \
        "forbidden"
    refused = problem(client.post("/v1/questions", json={
        "answer": {"path": "victim.age", "value": 200}}), 422, "invalid-case")
    assert refused["errors"][0]["field"] == "victim.age"
    problem(client.post("/v1/questions", json={"answer": {"path": "victim.shoe", "value": 1}}),
            422, "invalid-request")
    problem(client.post("/v1/questions", json={"dont_know": "victim.age"}), 422,
            "invalid-request")


def test_diff_proves_changes_with_witnesses(client: httpx.Client, bill: rules.RuleSet) -> None:
    body = client.post("/v1/diff", json={"amendment": PSYCH}).json()
    assert body["status"] == "complete" and body["amendment"]["id"] == "psych_violence_2025"
    changes = [c for c in body["changes"] if c.get("action") == "reconciliation"]
    assert changes and all(c["to"] == "forbidden" for c in changes)
    for change in changes:           # each witness is a case the served rules decide as "from"
        before = rules.Decision.model_validate_json(
            client.post("/v1/decisions", json=change["witness"]).content)
        assert before.state("reconciliation") == change["from"]
    assert "criminal_liability" in body["unchanged"]


def test_diff_errors(client: httpx.Client) -> None:
    broken = problem(client.post("/v1/diff", json={"amendment": PSYCH.replace(
        "amend cc_68_minor_violence_2024", "amend cc_68_minor_violence_2099")}),
        422, "invalid-rules")
    found = broken["diagnostics"][0]
    assert found["code"] and found["line"] > 0 and found["column"] > 0
    assert "cc_68_minor_violence_2099" in found["rendered"]
    path = problem(client.post("/v1/diff", json={"amendment": "/etc/passwd"}),
                   422, "invalid-rules")               # text, never a path to read
    assert path["diagnostics"][0]["file"] == "amendment.law"
    problem(client.post("/v1/diff", json={}), 422, "invalid-request")
    problem(client.post("/v1/diff", params={"as_of": "soon"}, json={"amendment": PSYCH}),
            422, "invalid-request")


def test_check(client: httpx.Client) -> None:
    plain = client.post("/v1/check").json()
    assert plain["status"] == "complete" and plain["diagnostics"] == []
    kinds = {f["kind"] for f in plain["analysis"]["findings"]}
    assert kinds == set() and plain["ok"] is True     # CAO 66(1) prevails over 127-2(2) (issue 11)
    broken = client.post("/v1/check", json={"amendment": "amendment x \"t\"\n  in force"}
                         ).json()
    assert broken["ok"] is False and broken["analysis"] is None
    assert broken["diagnostics"] and broken["diagnostics"][0]["line"] >= 1
    problem(client.post("/v1/check", json={"gaps": ["no_such_action"]}), 422, "invalid-request")


def test_solver_time_limit_answers_unknown(tmp_path: Path) -> None:
    with running_server(tmp_path, "--solver-seconds", "0.05") as slow:
        body = httpx.post(slow.url + "/v1/diff", json={"amendment": PSYCH}, timeout=60).json()
        assert body["status"] == "unknown" and "time limit" in body["reason"]
        assert httpx.get(slow.url + "/healthz").status_code == 200     # still serving


def test_body_limit(client: httpx.Client, server: Running) -> None:
    big = problem(client.post("/v1/decisions", content=b" " * (LIMIT + 1),
                              headers={"content-type": "application/json"}),
                  413, "body-too-large")
    assert big["limit_bytes"] == LIMIT

    def chunks() -> Iterator[bytes]:
        for _ in range(LIMIT // 1024 + 2):
            yield b" " * 1024

    problem(client.post("/v1/diff", content=chunks(),
                        headers={"content-type": "application/json"}), 413, "body-too-large")
    assert client.post("/v1/decisions", json=BATTERY).status_code == 200   # still serving


def test_not_found_and_method(client: httpx.Client) -> None:
    problem(client.get("/v1/nothing"), 404, "not-found")
    problem(client.get("/v1/decisions"), 405, "method-not-allowed")


def test_security_headers(client: httpx.Client) -> None:
    for path in ("/healthz", "/", "/v1/provisions"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert "server" not in headers


def test_openapi(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/decisions", "/v1/why-not", "/v1/schema", "/v1/provisions",
                 "/v1/provisions/{pid}", "/v1/questions", "/v1/diff", "/v1/check", "/healthz"):
        assert path in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/v1/decisions" in docs.text


def test_decision_log(client: httpx.Client, server: Running) -> None:
    import threading

    log = Path(server.log.parent / "decisions.jsonl")
    before = len(log.read_text().splitlines()) if log.exists() else 0
    hostile = json.loads(json.dumps(BATTERY))
    hostile["place"]["district"] = "<script>alert(1)</script>\x1b[2J\u202e"

    def post() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for _ in range(5):
                assert c.post("/v1/decisions", json=hostile).status_code == 200

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raw = log.read_bytes()
    lines = raw.decode("ascii").splitlines()            # ASCII: no escape reaches a terminal
    assert len(lines) == before + 40
    for line in lines[before:]:
        entry = json.loads(line)
        assert entry["rules_sha256"] and entry["case_sha256"]
        assert entry["outcomes"]["reconciliation"] == "forbidden"
        assert "case" not in entry                       # facts stay out by default
    assert b"\x1b" not in raw and b"Yesil" not in raw and b"script" not in raw


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["offence", "victim", "offender", "kind", "date", "age",
                                       "place", "district", "parties", "x"]), children,
                      max_size=4), max_leaves=12))
def test_no_500_on_any_json(client: httpx.Client, body: object) -> None:
    for path in ("/v1/decisions", "/v1/questions", "/v1/why-not"):
        response = client.post(path, json=body)
        assert response.status_code in (200, 404, 422), (path, body, response.text)
        assert "Traceback" not in response.text


def test_serve_refuses_bad_options(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    bad = tmp_path / "bad.law"
    bad.write_text("facts\n  x.y : nonsense\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--rules", str(bad)])
    assert result.exit_code == 2 and "error" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["serve", "--log-cases"])
    assert result.exit_code == 2 and "--decision-log" in result.stderr
    result = runner.invoke(app, ["serve", "--decision-log", str(tmp_path / "no" / "log.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_binds_loopback_by_default(server: Running) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
