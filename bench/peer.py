"""Issue 17's peer comparison: the project's probe engine (inspections.probes.run_checks) against
Prometheus's blackbox_exporter on the same loopback HTTP targets, the same concurrency and the
same 2 s timeout. Goals: the project ≥ 1.5× faster and ≥ 4× less CPU.

The targets are bench/sweep.py's, served by its target process: 98% answering after 50 ms, 1%
never answering, 1% refused, in one shuffled order. Each side probes them in a process of its own,
measured alone:

- the project: a child process running run_checks (concurrency 200) — its wall time, its CPU
  seconds and its peak resident memory (getrusage of the child);
- blackbox_exporter (/usr/bin/prometheus-blackbox-exporter, started here on a free loopback port
  with a config file in a temporary folder: module http_2xx, timeout 2 s), driven by an aiohttp
  client in this process that asks /probe?target=…&module=http_2xx, 200 at a time — the wall time,
  the exporter's CPU seconds (/proc/<pid>/stat, before and after) and its peak resident memory
  (VmHWM). The client's own CPU is printed beside it, not counted to the exporter.

Both sides are run ROUNDS times in turns; the medians are compared. One difference to keep in
mind: the project's session keeps a connection open per host:port and the targets share 200 ports,
so it reuses connections where blackbox_exporter opens one per probe; with every target on a host
of its own (as in use) both would connect every time.

Run: .venv/bin/python bench/peer.py   (no Django, no database; about a minute)
--smoke: 100 targets, one round, checking that each side finds the dead and refused ones failing
and the others answering; the goals not asserted. Without the binary, the blackbox side is
skipped with the reason printed (apt-get install -y prometheus-blackbox-exporter).
"""

import asyncio
import multiprocessing
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from _memory import peak_mb
from sweep import LOOPBACK_ALLOWED, raise_fd_limit, refused_ports, serve_targets

SMOKE = "--smoke" in sys.argv[1:]
TARGETS = 100 if SMOKE else 10_000
DEAD_SHARE = REFUSED_SHARE = 0.01
TIMEOUT = 2.0
CONCURRENCY = 200
ROUNDS = 1 if SMOKE else 3
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
GOAL_FASTER, GOAL_LESS_CPU = 1.5, 4.0
CONFIG = f"""modules:
  http_2xx:
    prober: http
    timeout: {TIMEOUT:g}s
    http:
      preferred_ip_protocol: ip4
      valid_status_codes: [200]
"""


def load() -> str:
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def cpu_seconds(pid) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def targets(ports: list[int]) -> list[str]:
    dead = max(1, round(TARGETS * DEAD_SHARE))
    refused = max(1, round(TARGETS * REFUSED_SHARE))
    closed = refused_ports(4)
    url = "http://127.0.0.1:{}/{}/{}".format
    urls = [url(ports[n % len(ports)], "ok", n) for n in range(TARGETS - dead - refused)]
    urls += [url(ports[n % len(ports)], "silent", n) for n in range(dead)]
    urls += [url(closed[n % len(closed)], "refused", n) for n in range(refused)]
    random.Random(17).shuffle(urls)  # noqa: S311 — a repeatable order, not a secret
    return urls


def expected(url: str) -> bool:
    return "/ok/" in url


# --- the project's side: a child process of its own --------------------------------------------------


def project_child(urls: list[str]) -> dict:
    from inspections.probes import HttpCheck, run_checks

    raise_fd_limit()
    checks = [HttpCheck(url, max_latency_ms=int(TIMEOUT * 1000)) for url in urls]
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    results = asyncio.run(
        run_checks(checks, concurrency=CONCURRENCY, timeout=TIMEOUT, policy=LOOPBACK_ALLOWED)
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_mb": peak_mb(),
        "ok": [result.values.get("http_status") == 200 for result in results],
    }


def project(pool, urls: list[str]) -> dict:
    # A fresh child each round: its peak memory is this sweep's alone.
    with pool(max_workers=1) as executor:
        return executor.submit(project_child, urls).result()


# --- blackbox_exporter's side -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_blackbox(folder: Path):
    config = folder / "blackbox.yml"
    config.write_text(CONFIG)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — a fixed binary, our config and a port of ours
        [BLACKBOX, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "blackbox.log").open("w"),
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}/probe"
        except OSError:
            if process.poll() is not None:
                log = (folder / "blackbox.log").read_text()[-500:]
                raise SystemExit(f"blackbox_exporter exited: {log}") from None
            time.sleep(0.05)
    process.terminate()
    raise SystemExit("blackbox_exporter did not listen within 15 s")


async def drive_blackbox(probe_url: str, urls: list[str]) -> list[bool]:
    import aiohttp

    semaphore = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    # The exporter bounds each probe by the module's timeout; the client waits a little longer.
    client_timeout = aiohttp.ClientTimeout(total=TIMEOUT + 5)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def one(url: str) -> bool:
            query = urllib.parse.urlencode({"target": url, "module": "http_2xx"})
            async with semaphore, session.get(f"{probe_url}?{query}") as response:
                text = await response.text()
            return "\nprobe_success 1" in text

        return await asyncio.gather(*(one(url) for url in urls))


def blackbox(process, probe_url: str, urls: list[str]) -> dict:
    exporter_before = cpu_seconds(process.pid)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    ok = asyncio.run(drive_blackbox(probe_url, urls))
    wall = time.perf_counter() - began
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu_seconds(process.pid) - exporter_before,
        "client_cpu": client_cpu,
        "peak_mb": peak_mb(process.pid),
        "ok": ok,
    }


# --- the bench -------------------------------------------------------------------------------------------


def check_answers(name: str, urls: list[str], ok: list[bool]) -> int:
    wrong = [url for url, good in zip(urls, ok, strict=True) if good != expected(url)]
    if SMOKE:
        assert not wrong, (name, wrong[:5])
    return len(wrong)


def line(name: str, runs: list[dict], extra: str = "") -> str:
    wall = statistics.median(run["wall"] for run in runs)
    cpu = statistics.median(run["cpu"] for run in runs)
    peak = max(run["peak_mb"] for run in runs)
    walls = ", ".join(f"{run['wall']:.2f}" for run in runs)
    return f"   {name:22} wall {wall:6.2f} s (runs {walls})  CPU {cpu:6.2f} s  peak RSS {peak:5.0f} MB{extra}"


def main():
    raise_fd_limit()
    context = multiprocessing.get_context("spawn")
    ports_in, ports_out = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=serve_targets, args=(ports_out, stop, b""), daemon=True)
    server.start()
    folder = tempfile.TemporaryDirectory(prefix="om-bench-peer-")
    exporter = None
    try:
        urls = targets(ports_in.recv())
        answering = sum(map(expected, urls))
        print(
            f"{len(urls):,} HTTP targets on loopback ({answering:,} answering after 50 ms, the rest never "
            f"answering or refused); timeout {TIMEOUT:g} s, concurrency {CONCURRENCY}, "
            f"{os.cpu_count()} cores, {ROUNDS} round(s) each, in turns"
        )
        have_blackbox = os.access(BLACKBOX, os.X_OK)
        if have_blackbox:
            exporter, probe_url = start_blackbox(Path(folder.name))
        else:
            print(
                f"   {BLACKBOX} is missing (apt-get install -y prometheus-blackbox-exporter): "
                "its side skipped"
            )

        def pool(max_workers):
            from concurrent.futures import ProcessPoolExecutor

            return ProcessPoolExecutor(max_workers=max_workers, mp_context=context)

        ours, theirs, loads = [], [], []
        for _ in range(ROUNDS):
            ours.append(project(pool, urls))
            loads.append(load())
            if exporter is not None:
                theirs.append(blackbox(exporter, probe_url, urls))
                loads.append(load())
        wrong_ours = sum(check_answers("project", urls, run["ok"]) for run in ours)
        print(line("project (run_checks)", ours, f"  wrong answers {wrong_ours}"))
        if theirs:
            wrong_theirs = sum(check_answers("blackbox_exporter", urls, run["ok"]) for run in theirs)
            client = statistics.median(run["client_cpu"] for run in theirs)
            print(
                line("blackbox_exporter", theirs, f"  wrong answers {wrong_theirs}")
                + f"\n   {'':22} (its aiohttp client in this process: {client:.2f} s CPU, not counted)"
            )
            faster = statistics.median(r["wall"] for r in theirs) / statistics.median(r["wall"] for r in ours)
            less_cpu = statistics.median(r["cpu"] for r in theirs) / statistics.median(r["cpu"] for r in ours)
            less_memory = max(r["peak_mb"] for r in theirs) / max(r["peak_mb"] for r in ours)
            print(
                f"   project vs blackbox_exporter: {faster:.2f}× faster (goal ≥ {GOAL_FASTER}×: "
                f"{'met' if faster >= GOAL_FASTER else 'MISSED'}), {less_cpu:.2f}× less CPU (goal ≥ "
                f"{GOAL_LESS_CPU}×: {'met' if less_cpu >= GOAL_LESS_CPU else 'MISSED'}), "
                f"{less_memory:.2f}× less peak memory"
            )
        print(f"   [{'; '.join(loads)}]")
        if SMOKE:
            print("smoke: ok")
    finally:
        if exporter is not None:
            exporter.terminate()
            exporter.wait(timeout=10)
        stop.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()
        folder.cleanup()


if __name__ == "__main__":
    main()
