"""Benchmark, not a test: one stats worker process, straight (no gateway), with a real token.

``python bench/stats_worker.py [--seconds 8] [--connections 64] [--profile out.txt] [url ...]``
``--header 'Accept-Encoding: gzip'`` (repeatable) is sent with every request, wrk's too.
``python bench/stats_worker.py --uncached 5 [--save DIR] [url ...]``: no wrk, each URL asked one
at a time with the worker's Redis entries deleted before each (worker CPU per uncached request),
printed as a Markdown table row; ``--save`` writes each answer's body to DIR (to compare answers
before and after a change). ``bench/stats_worker_bench.py`` runs it over every documented route.

Starts ``uvicorn chiiki_stats.main:app`` on a free port against ``DATABASE_URL`` (read only: it
needs the stats schema with published data, as ``make up`` leaves it), with its own Redis key
prefix, and a JWKS served from a throwaway P-256 key, so the token check is the real one. Each URL
is asked once (filling the Redis cache), then loaded with ``wrk`` (64 connections, 2 threads by
default): a cached read. ``--profile`` runs ``py-spy`` on the worker during the load (py-spy is a
measuring tool, not a dependency: ``uv pip install py-spy`` into the venv first).
Prints requests/s, wrk's latency percentiles and the worker's CPU time per request (from
/proc: on a shared machine, requests per CPU-second is what one process sustains on a core).
Stops exactly what it started.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import jwt
import redis
from cryptography.hazmat.primitives.asymmetric import ec

KID = "bench-key"
PREFIX = f"bench-{os.getpid()}:"
DEFAULT_URLS = (
    "/api/kpi?region=13000",
    "/api/population/13000?indicators=population.total",
    "/api/comparison?regions=13000,27000&indicators=population.total",
    "/api/indicators/population.total/cross-section?level=prefecture&format=geojson",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_jwks(key: ec.EllipticCurvePrivateKey) -> tuple[http.server.HTTPServer, int]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "ES256", "use": "sig"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def mint(key: ec.EllipticCurvePrivateKey) -> str:
    now = int(time.time())
    claims = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": "bench-user",
        "role": "user",
        "sid": uuid.uuid4().hex,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": KID, "typ": "at+jwt"})


def start_worker(port: int, jwks_port: int, log: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REDIS_KEY_PREFIX": PREFIX,
        "AUTH_INTERNAL_URL": f"http://127.0.0.1:{jwks_port}",
        "PYTHONUNBUFFERED": "1",
    }
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    command = [uvicorn, "chiiki_stats.main:app", "--port", str(port), "--no-access-log", *extra]
    output = log.open("wb")
    # argv built here from fixed parts
    return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


def wait_ready(base: str, deadline: float) -> None:
    """Until ``/readyz`` answers 200: the worker has primed its memory (``chiiki_stats.prime``),
    as a load balancer would wait before sending it readers."""
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the stats worker did not start")


def load(base: str, url: str, headers: dict[str, str], seconds: int, connections: int) -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base + url)
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` for ``seconds`` into ``out`` (raw, collapsed stacks);
    ``PY_SPY_RATE`` samples per second (100), ``PY_SPY_IDLE=1`` also samples waits."""
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    rate = os.environ.get("PY_SPY_RATE", "100")
    sampling = ["-d", str(seconds), "-r", rate, "--nonblocking", "-f", "raw"]
    sampling += ["--idle"] if os.environ.get("PY_SPY_IDLE") == "1" else []
    return subprocess.Popen(  # noqa: S603 - argv built here from fixed parts
        [py_spy, "record", "-p", str(pid), *sampling, "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """The process's resident memory (``VmRSS``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def thread_cpu_seconds(pid: int) -> float:
    """CPU time of the process's live threads in nanoseconds' resolution (Linux schedstat):
    /proc/<pid>/stat counts 10 ms clock ticks, too coarse for one request of a few ms."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return total / 1e9


def requests_done(output: str) -> int:
    for line in output.splitlines():
        if "requests in" in line:
            return int(line.split()[0])
    return 0


def requests_per_second(output: str) -> float:
    for line in output.splitlines():
        if line.strip().startswith("Requests/sec:"):
            return float(line.split()[1])
    return 0.0


def summary(output: str) -> str:
    keep = ("50%", "75%", "90%", "99%", "Requests/sec", "Non-2xx", "Socket errors")
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith(keep)]
    return " | ".join(lines)


def uncached(
    http: httpx.Client, url: str, headers: dict[str, str], pid: int, client: redis.Redis, times: int
) -> tuple[httpx.Response, dict[str, float]]:
    """Worker CPU of ``url`` asked ``times`` times with no Redis entry: the first request is
    the process's first reader (nothing remembered in memory either), the others are not.
    ``http`` keeps its connection: ``httpx.get`` made a client per request, and building its
    TLS context took 34-39 ms here, which was most of the wall time of a cheap route."""
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(times):
        for entry in client.scan_iter(match=f"{PREFIX}stats:q:*"):
            client.delete(entry)
        before, started = thread_cpu_seconds(pid), time.perf_counter()
        answer = http.get(url, headers=headers)
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (thread_cpu_seconds(pid) - before))
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")
    rest, rest_wall = cpu[1:] or cpu, wall[1:] or wall
    figures = {
        "bytes": len(answer.content),
        "cpu_first_ms": cpu[0],
        "cpu_mean_after_ms": sum(rest) / len(rest),
        "cpu_max_after_ms": max(rest),
        "wall_first_ms": wall[0],
        "wall_max_after_ms": max(rest_wall),
    }
    print(
        f"| `{url}` | {len(answer.content)} | {cpu[0]:.1f} | {sum(rest) / len(rest):.1f} "
        f"| {max(rest):.1f} | {wall[0]:.1f} | {max(rest_wall):.1f} |",
        flush=True,
    )
    return answer, figures


def save(folder: Path, url: str, answer: httpx.Response) -> None:
    """The body of ``url``'s answer, in a file named after the URL, and its ETag beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    name = url.strip("/").replace("/", "_").replace("?", "__").replace("&", "_")[:200]
    (folder / name).write_bytes(answer.content)
    (folder / f"{name}.etag").write_text(answer.headers.get("etag", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="*", default=list(DEFAULT_URLS))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--uvicorn-arg", action="append", default=[])
    parser.add_argument("--save", type=Path, help="with --uncached: write each body here")
    parser.add_argument("--json", type=Path, help="write the figures per URL here")
    parser.add_argument(
        "--header", action="append", default=[], help="'Name: value', sent with every request"
    )
    parser.add_argument(
        "--uncached",
        type=int,
        default=0,
        help="instead of loading with wrk, ask each URL this many times, one at a time, with "
        "the worker's Redis entries deleted before each: worker CPU per uncached request",
    )
    args = parser.parse_args()

    key = ec.generate_private_key(ec.SECP256R1())
    jwks, jwks_port = serve_jwks(key)
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    client.set(f"{PREFIX}auth:revocations-loaded", b"1", ex=3600)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="stats-worker-", suffix=".log")[1])
    worker = start_worker(port, jwks_port, log, args.uvicorn_arg)
    figures: dict[str, dict[str, float]] = {}
    try:
        wait_ready(base, time.monotonic() + 120)
        token = mint(key)
        headers = {"Authorization": f"Bearer {token}"}
        headers.update(dict(part.split(": ", 1) for part in args.header))
        memory = {"rss_ready_mb": rss_mb(worker.pid)}
        print(f"worker RSS when ready: {memory['rss_ready_mb']:.1f} MB", flush=True)
        if args.uncached:
            profiler = record(worker.pid, 600, args.profile) if args.profile else None
            print(
                "| route | bytes | CPU first (ms) | CPU mean after | CPU max after "
                "| wall first | wall max after |\n|---|---|---|---|---|---|---|"
            )
            with httpx.Client(base_url=base, timeout=60) as http:
                for url in args.urls:
                    answer, figures[url] = uncached(
                        http, url, headers, worker.pid, client, args.uncached
                    )
                    if args.save:
                        save(args.save, url, answer)
            if profiler:
                profiler.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
                profiler.wait(timeout=60)
            memory["rss_after_mb"] = rss_mb(worker.pid)
            print(f"worker RSS after the uncached run: {memory['rss_after_mb']:.1f} MB")
            figures["memory"] = memory
            return
        for url in args.urls:
            first = httpx.get(base + url, headers=headers, timeout=30)
            again = httpx.get(base + url, headers=headers, timeout=30)
            sent = again.headers.get("content-length")  # gzipped when httpx's Accept-Encoding
            size = f"{len(again.content)} bytes ({sent} as sent to httpx, which accepts gzip)"
            print(f"{url}: {first.status_code} {again.headers.get('x-cache')}, {size}")
            profiler = record(worker.pid, args.seconds, args.profile) if args.profile else None
            cpu_before = cpu_seconds(worker.pid)
            output = load(base, url, headers, args.seconds, args.connections)
            cpu = cpu_seconds(worker.pid) - cpu_before
            done = requests_done(output)
            print("  " + summary(output))
            # Throughput per core of CPU the worker used: what one worker process sustains at
            # 100% of a core, whatever else the machine's cores were doing meanwhile.
            print(
                f"  worker CPU {cpu:.2f} s for {done} requests: {1000 * cpu / max(done, 1):.3f} ms"
            )
            print(f"  per request, {done / cpu if cpu else 0:.0f} requests per CPU-second")
            figures[url] = {
                "requests": done,
                "requests_per_second": requests_per_second(output),
                "cpu_ms_per_request": 1000 * cpu / max(done, 1),
                "requests_per_cpu_second": done / cpu if cpu else 0,
            }
            if profiler:
                profiler.wait(timeout=60)
                args.profile = None  # one profile, of the first URL
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        jwks.shutdown()
        for stale in client.scan_iter(match=f"{PREFIX}*"):
            client.delete(stale)
        client.close()
        print(f"worker log: {log}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
