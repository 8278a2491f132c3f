"""The load generator: `python -m bench.load SPEC.json` in its own process, prints one JSON line.

gevent + geventhttpclient (what locust's FastHttpUser uses underneath), without locust's runner: N
keep-alive connections on 127.0.0.1, each a closed loop (send, wait for the answer, send the next).
Bounded by a duration *and* a request count. A short warm-up (not counted) runs first.

SPEC: {"base": "http://127.0.0.1:PORT", "concurrency": 16, "duration": 8, "max_requests": 100000,
       "warmup": 1.0, "mode": "cycle" | "once", "interval": 0 (seconds between a connection's requests),
       "expect": [200], "requests": [[method, path, headers or null, body or null], ...],
       "warmup_requests": [...] (default: the requests themselves, cycle mode only)}

"once" sends each request exactly once (distinct voters, each token used a single time) and stops
when they are used up. Errors are answers outside `expect` and transport failures.
"""

from gevent import monkey

monkey.patch_all()

import contextlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import gevent  # noqa: E402
from geventhttpclient import URL, HTTPClient  # noqa: E402

GRACE = 20.0  # seconds a request may run past the deadline before it is abandoned


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def make_client(base: str) -> HTTPClient:
    url = URL(base)
    return HTTPClient(url.host, url.port, concurrency=1, connection_timeout=10, network_timeout=30,
                      headers={"Connection": "keep-alive"})


def run(spec: dict) -> dict:
    base = spec["base"]
    concurrency = int(spec.get("concurrency", 16))
    duration = float(spec.get("duration", 8))
    max_requests = int(spec.get("max_requests", 10**9))
    interval = float(spec.get("interval", 0))
    expect = set(spec.get("expect", [200]))
    requests = spec["requests"]
    once = spec.get("mode", "cycle") == "once"
    if once:
        max_requests = min(max_requests, len(requests))

    clients = [make_client(base) for _ in range(concurrency)]

    def send(client, request):
        method, path, headers, body = request
        payload = None if body is None else json.dumps(body)
        headers = dict(headers or {})
        if payload is not None:
            headers["Content-Type"] = "application/json"
        response = client.request(method, path, body=payload, headers=headers)
        response.read()
        response.release()
        return response.status_code

    warmup = float(spec.get("warmup", 1.0))
    warmup_requests = spec.get("warmup_requests") or ([] if once else requests)
    if warmup > 0 and warmup_requests:
        stop_warm = time.monotonic() + warmup

        def warm(i, client):
            n = i
            while time.monotonic() < stop_warm:
                with contextlib.suppress(Exception):
                    send(client, warmup_requests[n % len(warmup_requests)])
                n += concurrency

        gevent.joinall([gevent.spawn(warm, i, c) for i, c in enumerate(clients)])

    latencies: list[float] = []
    statuses: Counter = Counter()
    failures: Counter = Counter()
    state = {"next": 0}
    started = time.monotonic()
    deadline = started + duration

    def worker(client):
        while True:
            n = state["next"]
            if n >= max_requests or time.monotonic() >= deadline:
                return
            state["next"] = n + 1
            request = requests[n % len(requests)]
            t0 = time.monotonic()
            try:
                status = send(client, request)
            except Exception as error:  # a transport failure counts as an error, the loop goes on
                failures[error.__class__.__name__] += 1
                statuses["exception"] += 1
                continue
            latencies.append(time.monotonic() - t0)
            statuses[status] += 1
            if interval:
                gevent.sleep(max(0.0, interval - (time.monotonic() - t0)))

    greenlets = [gevent.spawn(worker, c) for c in clients]
    # Requests still running well past the deadline are abandoned and counted as errors ("unfinished").
    gevent.joinall(greenlets, timeout=duration + GRACE)
    unfinished = sum(1 for g in greenlets if not g.dead)
    gevent.killall(greenlets, block=True, timeout=5)
    if unfinished:
        statuses["unfinished"] += unfinished
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    latencies.sort()
    total = sum(count for status, count in statuses.items() if status != "unfinished")
    errors = sum(count for status, count in statuses.items() if status not in expect)
    return {
        "requests": total, "elapsed": round(elapsed, 3), "rps": round(total / elapsed, 1) if elapsed else 0.0,
        "errors": errors, "statuses": {str(k): v for k, v in statuses.items()},
        "failures": dict(failures), "median_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.9) * 1000, 2), "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0) * 1000, 2), "concurrency": concurrency,
    }


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    print(json.dumps(run(spec)))


if __name__ == "__main__":
    main()
