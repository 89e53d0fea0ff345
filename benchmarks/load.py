"""Load test of the web app through its Gradio API: throughput, latency percentiles and errors.

Usage: python benchmarks/load.py [--requests 1000] [--clients 16] [--max-seconds 600]
                                 [--index DIR] [--corpus PATH] [--questions JSONL|JSON] [--port N]
                                 [--app SCRIPT] [--server-env NAME=VALUE ...]
                                 [--client http|gradio_client]

Builds the index when it is missing or stale, starts ``python app.py`` on 127.0.0.1 as a
subprocess, waits until it serves, then sends ``--requests`` questions (the distinct questions of
eval/seed_questions.jsonl in a cycle, as popular questions come again; or of another file, e.g.
the 1,000 distinct CMRC 2018 questions, which no cache can help with) from ``--clients``
threads, each calling the ``/ask`` endpoint (question, no previous question, 5 passages) through
Gradio's queue API on its own connection (``QueueClient``; or through ``gradio_client``). Stops sending when the count or
``--max-seconds`` is reached, prints throughput, p50/p95/p99/max latency and the errors, and
stops the server. When questions come again, latencies are also given apart for the first time
a question is asked (embedding and reader run) and for questions asked before (answered from
the server's caches). A request is an error when it raises or returns no ``answer`` key; the
server's log is kept in benchmarks/out/load-server.log. The CPU time the server and the clients
used per request is printed too: clients and server share the machine, so it bounds the
throughput.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import Config  # noqa: E402
from rag.index.build import build_index, index_problem  # noqa: E402

SERVER_START_SECONDS = 180  # loading the index and warming jieba and the embedder up
REQUEST_TIMEOUT_SECONDS = 60
TARGET_P95_MS = 1_500  # issue 16: 16 clients asking distinct CMRC questions, read by the trained reader
CORES = os.cpu_count() or 1


@dataclass
class Tally:
    """What the client threads record; appended under ``lock``."""

    first_ms: list[float] = field(default_factory=list)  # questions the server had not seen before
    repeated_ms: list[float] = field(default_factory=list)  # questions asked before
    errors: Counter[str] = field(default_factory=Counter)
    answered: int = 0  # requests whose result has an answer span (not "没有找到")
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def latencies_ms(self) -> list[float]:
        return self.first_ms + self.repeated_ms


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_questions(path: Path) -> list[str]:
    """Questions of a JSONL file (``{"question": …}`` lines) or a SQuAD-style JSON file (CMRC)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        questions = [
            qa["question"]
            for article in json.loads(text)["data"]
            for paragraph in article["paragraphs"]
            for qa in paragraph["qas"]
        ]
    else:
        questions = [json.loads(line)["question"] for line in text.splitlines() if line.strip()]
    return list(dict.fromkeys(q for q in questions if q.strip()))  # distinct, non-empty


def start_server(
    app: Path, port: int, index: Path, corpus: Path, log_path: Path, extra_env: dict[str, str]
) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **extra_env}
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.Popen(
            [sys.executable, str(app), "--host", "127.0.0.1", "--port", str(port),
             "--index", str(index), "--corpus", str(corpus)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )


def wait_until_serving(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"app.py exited with status {server.returncode}; see {log_path}:\n"
                + log_path.read_text(encoding="utf-8")[-2000:]
            )
        try:
            with urllib.request.urlopen(f"{url}gradio_api/info", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"app.py did not answer on {url} within {SERVER_START_SECONDS} s; see {log_path}.")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc), or of this process."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # app.py exits cleanly on SIGTERM (temporary exports go)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class QueueClient:
    """One client of the app's Gradio API, speaking the queue protocol the browser page speaks.

    A question is posted to ``queue/join`` and its result read from the session's
    ``queue/data`` event stream, on one kept-alive connection. ``gradio_client`` does the same
    over a new connection per request and hands results to its caller by polling every 50 ms,
    which adds 0–50 ms to every measured latency and 2 ms of CPU per request on the machine
    the server shares (``--client gradio_client`` measures through it all the same).
    """

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS)
        config = self.http.get(f"{url}config").json()
        self.api = url.rstrip("/") + config["api_prefix"]
        self.fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
        self.session = uuid.uuid4().hex

    def ask(self, question: str) -> Any:
        """The ``/ask`` result for ``question`` (no previous question, 5 passages)."""
        joined = self.http.post(f"{self.api}/queue/join", json={
            "data": [question, "", 5], "fn_index": self.fn_index,
            "session_hash": self.session, "event_data": None, "trigger_id": None,
        })
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", f"{self.api}/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id:
                    continue
                if message["msg"] == "process_completed":
                    if not message.get("success", True):
                        raise RuntimeError(str(message.get("output"))[:200])
                    return message["output"]["data"][0]
                if message["msg"] == "unexpected_error":
                    raise RuntimeError(message.get("message", "unexpected error"))
        raise RuntimeError("the event stream ended before the result")


def connect(url: str, kind: str) -> Callable[[str], Any]:
    """A client of ``kind`` (``http`` or ``gradio_client``): question in, ``/ask`` result out."""
    if kind == "http":
        return QueueClient(url).ask
    from gradio_client import Client

    # ssl_verify=False: gradio_client opens a new httpx client for every request, and with
    # verification on each one loads the CA bundle — 50 ms of client CPU per request on loopback.
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False, ssl_verify=False,
                    httpx_kwargs={"timeout": REQUEST_TIMEOUT_SECONDS})
    return lambda question: client.predict(question, "", 5, api_name="/ask")


def run_clients(
    url: str, questions: list[str], requests: int, clients: int, max_seconds: float, server_pid: int,
    kind: str = "http",
) -> tuple[Tally, float, dict[str, float]]:
    """Send ``requests`` questions from ``clients`` threads.

    Returns the tally, the wall time and the CPU seconds the server and the clients used.
    """
    tally = Tally()
    next_number = iter(range(requests))
    take_lock = threading.Lock()
    askers = [connect(url, kind) for _ in range(clients)]
    for ask in askers:  # one untimed request each: connections and first-call caches
        ask(questions[0])
    cpu_before = {"server": cpu_seconds(server_pid), "clients": cpu_seconds()}
    started = time.perf_counter()
    deadline = started + max_seconds

    def work(ask: Callable[[str], Any]) -> None:
        while time.perf_counter() < deadline:
            with take_lock:
                number = next(next_number, None)
            if number is None:
                return
            question = questions[number % len(questions)]
            # questions[0] was asked untimed by every client; the rest are new on the first pass.
            first_time = 0 < number < len(questions)
            sent = time.perf_counter()
            try:
                result = ask(question)
                if not isinstance(result, dict) or "answer" not in result:
                    raise ValueError(f"unexpected result {str(result)[:80]!r}")
            except Exception as error:  # every kind of failure is counted, none stops the run
                with tally.lock:
                    tally.errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1
                continue
            elapsed = (time.perf_counter() - sent) * 1000
            with tally.lock:
                (tally.first_ms if first_time else tally.repeated_ms).append(elapsed)
                tally.answered += result["answer"] is not None

    threads = [threading.Thread(target=work, args=(ask,)) for ask in askers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu = {"server": cpu_seconds(server_pid), "clients": cpu_seconds()}
    return tally, seconds, {name: cpu[name] - cpu_before[name] for name in cpu}


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _latency_row(label: str, lat: list[float]) -> str:
    """One table row for ``lat`` (sorted milliseconds)."""
    if not lat:
        return f"| {label} | 0 | – | – | – | – | – |"
    return (
        f"| {label} | {len(lat)} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
        f"{percentile(lat, 99):.0f} | {lat[-1]:.0f} | {statistics.fmean(lat):.0f} |"
    )


def report(tally: Tally, seconds: float, clients: int, cpu: dict[str, float], cycled: bool) -> str:
    """The printed summary; ``cycled``: the questions came round again, so some were repeats."""
    done = len(tally.latencies_ms)
    errors = sum(tally.errors.values())
    lat = sorted(tally.latencies_ms)
    p95 = percentile(lat, 95)
    lines = [
        f"{done + errors} requests from {clients} clients in {seconds:.1f} s: "
        f"{done / seconds:.1f} answered requests/s, {errors} errors, "
        f"{tally.answered} with an answer span",
        "",
        "| requests | n | p50 ms | p95 ms | p99 ms | max ms | mean ms |",
        "|---|---|---|---|---|---|---|",
        _latency_row("all", lat),
    ]
    if cycled:
        # A question asked before is answered from the server's caches; a new one costs the
        # embedding and the reader (≈ 30 ms of CPU), so the two kinds are reported apart too.
        lines += [
            _latency_row("first time a question is asked", sorted(tally.first_ms)),
            _latency_row("asked before", sorted(tally.repeated_ms)),
        ]
    lines += [
        f"target 0 errors and p95 <= {TARGET_P95_MS} ms: "
        + ("met" if not errors and p95 <= TARGET_P95_MS else "missed"),
    ]
    if done:
        lines.append(
            "CPU per request: "
            + ", ".join(f"{name} {used / done * 1000:.1f} ms" for name, used in cpu.items())
            + f" ({CORES} cores give {CORES * 1000 / max(sum(cpu.values()) / done * 1000, 1e-9):.0f} req/s at most)"
        )
    for message, count in tally.errors.most_common(5):
        lines.append(f"error ×{count}: {message}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "seed_questions.jsonl",
                        help="JSONL with a question field, or a SQuAD-style .json (CMRC 2018)")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--app", type=Path, default=ROOT / "app.py",
                        help="the app script to start (a variant, to compare settings)")
    parser.add_argument("--client", choices=("http", "gradio_client"), default="http",
                        help="http: the queue protocol on one connection per client (default); "
                             "gradio_client: Gradio's Python client")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment variable for app.py, e.g. OMP_NUM_THREADS=1 (repeatable)")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    load_before = os.getloadavg()[0]

    config = Config()
    problem = index_problem(args.corpus, args.index, config)
    if problem is not None:
        print(f"Building the index first: {problem}", file=sys.stderr)
        build_index(args.corpus, args.index, config, progress=False)
    questions = load_questions(args.questions)
    port = args.port if args.port is not None else free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = ROOT / "benchmarks" / "out" / "load-server.log"
    server = start_server(args.app, port, args.index.resolve(), args.corpus.resolve(), log_path, extra_env)
    try:
        wait_until_serving(url, server, log_path)
        tally, seconds, cpu = run_clients(
            url, questions, args.requests, args.clients, args.max_seconds, server.pid, args.client
        )
    finally:
        stop_server(server)
    print(f"{CORES} cores, load average {load_before:.1f} before the run (other work skews the figures)")
    if extra_env:
        print(f"app.py environment: {extra_env}")
    print(f"client: {args.client}; {len(questions)} distinct questions from {args.questions.name}"
          + (", asked in a cycle" if args.requests > len(questions) else ""))
    print(report(tally, seconds, args.clients, cpu, cycled=args.requests > len(questions)))
    return 1 if tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())
