"""Benchmark of the page's server, ``disclose serve``, on loopback (not a test: nothing asserts).

    python bench/serve.py [--runs 20] [--parallel 20]

Starts ``disclose serve`` as a clerk does (its own process, uvicorn, a fresh data folder) and
measures from a loopback client, with the standard library only:
- upload → findings: POST of the 晋城 sample until the answer holds its findings (the audit runs
  as the upload is answered), and the same followed by the page that shows them, sequentially;
- ``--parallel`` uploads of the sample at once (one thread each): the wall time until all are
  answered, and each answer's latency;
- those uploads' builds queued at once: the time until every report is done;
- the peak resident memory of the server process and of its build workers (Linux: VmHWM).
Writes its section of bench/results.md (the rest of the file is bench/bench.py's) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_inputs" / "jincheng-2022.xlsx"
RESULTS = ROOT / "bench" / "results.md"
SECTION = "## Web page (disclose serve)"


def start(data: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--no-browser", "--data", str(data)],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while not (found := re.search(r"http://127\.0\.0\.1:\d+/", log.read_text("utf-8"))):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(log.read_text("utf-8"))
        time.sleep(0.05)
    return process, found.group(0)


def request(url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def upload(server: str, data: bytes) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"workbook\"; filename=\"jincheng-2022.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, answer = request(f"{server}api/units/1/uploads", body, f"multipart/form-data; boundary={boundary}")
    uploaded = json.loads(answer)
    if status != 201 or uploaded["warnings"] != 2 or not uploaded["sections"]:
        raise SystemExit(f"upload answered {status}: {answer[:300]!r}")
    return uploaded


def peak_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def timed(fn, runs: int) -> list[float]:
    spans = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        spans.append(time.perf_counter() - began)
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="sequential uploads timed (after one warm-up)")
    parser.add_argument("--parallel", type=int, default=20, help="uploads sent at once")
    args = parser.parse_args()
    data = SAMPLE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="disclose-bench-serve-") as work:
        process, server = start(Path(work) / "data", Path(work) / "serve.log")
        try:
            upload(server, data)  # warm-up: imports, the format, the first thread
            alone = timed(lambda: upload(server, data), args.runs)

            def with_page():
                request(upload(server, data)["page"])

            shown = timed(with_page, args.runs)

            latencies, uploads, errors = [], [], []

            def one():
                began = time.perf_counter()
                try:
                    uploads.append(upload(server, data))
                except BaseException as exc:  # noqa: BLE001 — counted and reported
                    errors.append(exc)
                latencies.append(time.perf_counter() - began)

            threads = [threading.Thread(target=one) for _ in range(args.parallel)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            parallel_wall = time.perf_counter() - began

            began = time.perf_counter()
            queued = []
            for uploaded in uploads:
                status, answer = request(uploaded["builds"], b"{}", "application/json")
                queued.append(json.loads(answer))
            done = []
            for build in queued:
                while True:
                    state = json.loads(request(build["url"])[1])
                    if state["status"] not in ("queued", "running"):
                        done.append(state)
                        break
                    time.sleep(0.05)
            builds_wall = time.perf_counter() - began
            built = sum(1 for d in done if d["status"] == "done")
            server_peak = peak_kib(process.pid)
            worker_peaks = [p for p in map(peak_kib, children(process.pid)) if p]
        finally:
            process.terminate()
            process.wait(timeout=60)

    def ms(values):
        return f"{statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"

    lines = [
        SECTION, "",
        f"`python bench/serve.py` — {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {date.today().isoformat()}, load average {os.getloadavg()[0]:.1f} at the end "
        "(the machine is shared: figures scale with it). `disclose serve` in its own process "
        "(uvicorn, default 2 build workers), a client on loopback; median (min, max).", "",
        "| what | figure |", "|---|---|",
        f"| 晋城 sample: upload → findings in the answer ({args.runs} uploads, one after another) | {ms(alone)} |",
        f"| 晋城 sample: upload → findings, then the page that shows them | {ms(shown)} |",
        f"| {args.parallel} uploads at once: until all answered | {parallel_wall * 1000:.0f} ms "
        f"({len(uploads)} answered with their findings, {len(errors)} failed) |",
        f"| {args.parallel} uploads at once: each upload's latency | {ms(latencies)} |",
        f"| their {len(queued)} builds queued at once: until every report is done | {builds_wall:.1f} s "
        f"({built} done) |",
        f"| peak memory: server process (uploads are audited in it) | "
        f"{'' if server_peak is None else f'{server_peak / 1024:.0f} MiB'} |",
        f"| peak memory: each process under it (build workers, multiprocessing's tracker) | "
        f"{', '.join(f'{p / 1024:.0f} MiB' for p in worker_peaks) or 'not measured'} |",
        "",
    ]
    text = "\n".join(lines)
    write_section(text)
    print(text)


def write_section(text: str) -> None:
    """Put this section into bench/results.md in place of its previous figures."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    before, _, after = old.partition(SECTION)
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    RESULTS.write_text(before.rstrip("\n") + "\n\n" + text + ("\n## " + rest if rest else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
