"""Benchmark of `rules serve` on loopback: POST /v1/decisions under 1, 10 and 50 concurrent
clients (with the explanation, the default, and without: `?explain=false`), and the server time
of the pages.

    python bench/web.py                       # 10 s per level (about 40 s in all)
    python bench/web.py --seconds 3 --workers 2
    python bench/web.py --json bench/out/web.json

The server is the real command (`rules serve`, uvicorn, one worker unless --workers), started on
a free port of 127.0.0.1 and stopped at the end. Each client is one keep-alive HTTP/1.1
connection in a closed loop (send a case, read the whole answer, send the next), written on raw
asyncio streams so that the client costs little CPU beside the server on the same machine. The
cases are distinct generated cases (rules.batch.generate, valid ones only), so nothing is served
from a cache. Every answer is checked: status 200 and a complete body, else it counts as an
error. Latency is per request (p50, p99); throughput is answers per second over the level.

Page render: the `Server-Timing: app;dur=...` header (time spent in the application, from the
request to the start of the response) for the case form, the result page, the printable report
and the provision browser, medians over repeated requests. Goals: p99 <= 50 ms at 50 clients
with 0 errors; a page <= 100 ms server time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def generated_cases(n: int, seed: int) -> list[dict[str, Any]]:
    import rules
    from rules.batch.generate import generate

    bill = rules.load()
    frame = generate(bill, n * 2, seed=seed)
    cases = []
    for row in frame.iter_rows(named=True):
        case: dict[str, Any] = {}
        for path, value in row.items():
            if value is None:
                continue
            *groups, leaf = path.split(".")
            node = case
            for g in groups:
                node = node.setdefault(g, {})
            node[leaf] = value.isoformat() if hasattr(value, "isoformat") else value
        try:
            bill.evaluate(case)
        except rules.RulesError:
            continue
        cases.append(case)
        if len(cases) == n:
            break
    return cases


async def client(host: str, port: int, bodies: list[bytes], start: int, stop_at: float,
                 latencies: list[float], errors: list[str], target: bytes) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = start
    try:
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)]
            i += 1
            request = (b"POST " + target + b" HTTP/1.1\r\nHost: bench\r\n"
                       b"Content-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            if status != b"200" or not payload.endswith(b"}"):
                errors.append(status.decode())
    except (OSError, asyncio.IncompleteReadError) as error:
        errors.append(type(error).__name__)
    finally:
        writer.close()


async def level(host: str, port: int, bodies: list[bytes], clients: int,
                seconds: float, target: bytes = b"/v1/decisions") -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()
    stop_at = began + seconds
    await asyncio.gather(*(client(host, port, bodies, k * 7919, stop_at, latencies, errors,
                                  target) for k in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"target": target.decode(), "clients": clients, "requests": len(latencies), "errors": len(errors),
            "throughput_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2),
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else None}


def page_times(url: str, case: dict[str, Any], repeats: int) -> dict[str, Any]:
    import httpx

    query = urlencode({"case": json.dumps(case)})
    pages = {"case form": "/", "result": f"/result?{query}", "report": f"/report?{query}",
             "provisions": "/provisions", "provision": "/provisions/cc_68_minor_violence_2024"}
    found = {}
    with httpx.Client(base_url=url, timeout=30) as c:
        for name, path in pages.items():
            times = []
            for _ in range(repeats):
                response = c.get(path)
                assert response.status_code == 200, (path, response.status_code)
                times.append(float(response.headers["server-timing"].split("dur=")[1]))
            found[name] = {"median_ms": round(statistics.median(times), 2),
                           "max_ms": round(max(times), 2), "bytes": len(response.content)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from webserver import running_server

    cases = generated_cases(args.cases, seed=7)
    battery = json.loads((ROOT / "examples/cases/battery_of_child_2024.json").read_text())
    bodies = [json.dumps(c).encode() for c in cases]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-web-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    with running_server(tmp, "--workers", str(args.workers)) as server:
        host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
        asyncio.run(level(host, port, bodies, 4, 1.0))            # warm-up
        results = [asyncio.run(level(host, port, bodies, int(n), args.seconds, target))
                   for target in (b"/v1/decisions", b"/v1/decisions?explain=false")
                   for n in args.levels.split(",")]
        pages = page_times(server.url, battery, 30)
    print(f"# rules serve on loopback: {len(cases)} distinct generated cases, "
          f"{args.workers} worker(s), {args.seconds:g} s per level; load before "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n")
    print("| POST | clients | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) "
          "| max (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['target']} | {r['clients']} | {r['requests']} | {r['errors']} | {r['throughput_rps']} | "
              f"{r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} |")
    print("\n| page (battery case) | server time median (ms) | max (ms) | bytes |")
    print("|---|---:|---:|---:|")
    for name, p in pages.items():
        print(f"| {name} | {p['median_ms']} | {p['max_ms']} | {p['bytes']} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"levels": results, "pages": pages,
                                         "workers": args.workers, "load": load}, indent=2))
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
