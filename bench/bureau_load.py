"""Load on the bureau's server, on loopback only: N unit accounts upload and build at once.

    python bench/bureau_load.py [--units 100] [--jobs 2] [--pdf] [--write]

Starts ``disclose serve --bureau`` on 127.0.0.1 with a fresh data folder, imports N units, and
has every unit (a thread each) log in, change its first-login password, upload its own workbook
(the 晋城 sample with the unit's own 单位名称) and build, then download its report and check that
the report is its own (the first line of the .docx is the unit's name). Meanwhile the bureau's
status page (the HTML page and its JSON) is fetched every half second and timed, and the memory
of the server and its worker processes is sampled. Every request has a timeout and the whole run
a deadline; the server is stopped at the end. ``--write`` puts the figures in bench/results.md.

The helpers (:class:`Server`, :class:`Account`) are also used by tests/test_bureau_restart.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_inputs" / "jincheng-2022.xlsx"
JSON = {"Accept": "application/json"}
PAGE = {"Accept": "text/html"}
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``disclose serve --bureau`` as a process of its own, on loopback."""

    def __init__(self, data: Path, jobs: int = 2, port: int | None = None):
        self.data, self.jobs = data, jobs
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_password: str | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--bureau", "--port", str(self.port), "--data", str(self.data),
             "--no-browser", "-j", str(self.jobs)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            encoding="utf-8", env=env, cwd=ROOT)
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("server did not start:\n" + "".join(lines))
            lines.append(line)
            if found := re.search(r"初始密码：(\S+?)（", line):
                self.admin_password = found.group(1)
            if "请在浏览器中打开" in line:
                break
        self._drain = threading.Thread(target=self.process.stdout.read, daemon=True)
        self._drain.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/login", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server does not answer")

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        os.kill(self.process.pid, signal.SIGKILL)
        self._ended()

    def _ended(self) -> None:
        self.process.wait(30)
        self._drain.join(10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self._ended()
            except subprocess.TimeoutExpired:
                self.kill()

    def processes(self) -> list[int]:
        """The server and every process under it (Linux /proc): build workers, LibreOffice."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def memory(self) -> int:
        """Resident memory of the server and every process under it, in bytes."""
        total = 0
        for pid in self.processes():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    total += next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue
        return total


class Account:
    """One browser's worth of a user: its cookies and its CSRF token."""

    def __init__(self, server: Server, login: str, password: str):
        self.client = httpx.Client(base_url=server.url, timeout=TIMEOUT, follow_redirects=True)
        try:
            self._log_in(login, password)
        except BaseException:
            self.client.close()
            raise

    def _log_in(self, login: str, password: str) -> None:
        form = self.client.get("/login", headers=PAGE)
        page = self.client.post("/login", data={"csrf": _csrf(form.text), "login": login, "password": password},
                                headers=PAGE)
        if page.url.path == "/password":
            new = f"{password}-{login}-changed"
            page = self.client.post("/password", headers=PAGE, data={
                "csrf": _csrf(page.text), "old": password, "new": new, "again": new})
        if page.url.path in ("/login", "/password"):
            raise RuntimeError(f"{login} could not log in: {page.status_code}")
        self.home = page
        self.csrf = _csrf(self.client.get("/password", headers=PAGE).text)

    def post(self, url: str, **kwargs):
        return self.client.post(url, headers={**JSON, "X-CSRF-Token": self.csrf}, **kwargs)

    def close(self) -> None:
        self.client.close()


def _csrf(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def unit_list(path: Path, units: list[tuple[str, str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["单位名称", "单位编码", "联系人"])
    for name, code in units:
        book.active.append([name, code, "测试"])
    book.save(path)
    return path


def import_units(bureau: Account, path: Path) -> dict[str, str]:
    """The first-login password of each unit of the list at ``path``."""
    with open(path, "rb") as fh:
        page = bureau.client.post("/bureau/units", files={"units": (path.name, fh)}, data={"csrf": bureau.csrf},
                                  headers=PAGE)
    page.raise_for_status()
    return dict(re.findall(r"<td>([0-9A-Za-z._-]+)</td><td class=\"password\">([^<]+)</td>", page.text))


def workbook_of(name: str, folder: Path) -> Path:
    """The 晋城 sample with ``name`` as its 单位名称: each unit's report says whose it is."""
    from openpyxl import load_workbook

    path = folder / f"{name}.xlsx"
    book = load_workbook(SAMPLE)
    book["单位信息"]["B3"] = name
    book.save(path)
    return path


def first_line(docx: bytes) -> str:
    import io

    from docx import Document

    return next(p.text for p in Document(io.BytesIO(docx)).paragraphs if p.text.strip())


def unit_round(server: Server, code: str, password: str, workbook: Path, name: str, pdf: bool,
               deadline: float) -> dict:
    """What one unit does on the deadline day; returns what happened, with timings."""
    started = time.monotonic()
    unit = Account(server, code, password)
    try:
        unit_id = int(re.search(r"/units/(\d+)/", str(unit.home.url)).group(1))
        with open(workbook, "rb") as fh:
            uploaded = unit.post(f"/api/units/{unit_id}/uploads", files={"workbook": (workbook.name, fh)})
        uploaded.raise_for_status()
        build = unit.post(uploaded.json()["builds"], json={"pdf": pdf})
        build.raise_for_status()
        state, places = build.json(), set()
        while state["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                return {"code": code, "ok": False, "why": "deadline"}
            places.add(state["place_in_queue"])
            time.sleep(3.0 if state["status"] == "queued" and state["place_in_queue"] > 3 else 0.7)  # as the page
            state = unit.client.get(state["url"], headers=JSON).json()
        if state["status"] != "done":
            return {"code": code, "ok": False, "why": state["status"] + " " + state["message"]}
        docx = unit.client.get(state["files"]["report"]["url"])
        own = first_line(docx.content) == name
        return {"code": code, "ok": own, "why": "" if own else f"report of {first_line(docx.content)}",
                "seconds": time.monotonic() - started, "max_place": max(places, default=0)}
    finally:
        unit.close()


class Watch:
    """The bureau's status page fetched every ``every`` seconds, timed; memory sampled likewise."""

    def __init__(self, server: Server, bureau: Account, every: float = 0.5):
        self.server, self.bureau, self.every = server, bureau, every
        self.times: list[float] = []
        self.log: list[tuple[float, str, float]] = []  # (when, which page, seconds)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pages = ("/bureau/", "/api/bureau/units")
        n = 0
        while not self._stop.wait(self.every):
            started = time.monotonic()
            self.bureau.client.get(pages[n % 2], headers=PAGE if n % 2 == 0 else JSON).raise_for_status()
            self.times.append(time.monotonic() - started)
            self.log.append((started, pages[n % 2], self.times[-1]))
            self.peak = max(self.peak, self.server.memory())
            n += 1

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pdf", action="store_true")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    work = Path(tempfile.mkdtemp(prefix="disclose-bureau-load-"))
    server = Server(work / "data", args.jobs).start()
    # The units' browsers are other computers in real life; here they share the server's two
    # cores, so they yield to it (the server, started before, keeps its priority).
    os.nice(10)
    try:
        bureau = Account(server, "admin", server.admin_password)
        units = [(f"负载测试第{i:03d}号单位", f"L{i:03d}") for i in range(1, args.units + 1)]
        passwords = import_units(bureau, unit_list(work / "名单.xlsx", units))
        books = work / "workbooks"
        books.mkdir()
        workbooks = {code: workbook_of(name, books) for name, code in units}
        idle = server.memory()
        with Watch(server, bureau) as watch, ThreadPoolExecutor(args.units) as pool:
            started = time.monotonic()
            results = list(pool.map(lambda u: unit_round(server, u[1], passwords[u[1]], workbooks[u[1]], u[0],
                                                         args.pdf, deadline), units))
            wall = time.monotonic() - started
        rows = bureau.client.get("/api/bureau/units", headers=JSON).json()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    ok = sum(r["ok"] for r in results)
    failed = [r for r in results if not r["ok"]]
    built = sum(1 for r in rows if r["status"] in ("已生成报告", "已生成 PDF"))
    times = sorted(watch.times)
    report = {
        "units": args.units, "jobs": args.jobs, "pdf": args.pdf, "wall": wall, "own_reports": ok, "built": built,
        "failed": failed[:5], "status_requests": len(times), "status_median": statistics.median(times),
        "status_p95": times[int(len(times) * 0.95) - 1] if len(times) >= 20 else times[-1], "status_max": times[-1],
        "idle_mib": idle / 2**20, "peak_mib": watch.peak / 2**20,
        "unit_median": statistics.median(r["seconds"] for r in results if r["ok"]),
        "max_place": max((r.get("max_place", 0) for r in results), default=0),
        "load_average": os.getloadavg()[0],
    }
    for when, which, seconds in sorted(watch.log, key=lambda e: -e[2])[:5]:
        print(f"slow: {which} {seconds:.2f} s at {when - started:.1f} s")
    for key, value in report.items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
    if args.write:
        write_results(report)
    sys.exit(0 if ok == args.units and report["status_max"] < 1.0 else 1)


def write_results(r: dict) -> None:
    path = ROOT / "bench" / "results.md"
    text = path.read_text(encoding="utf-8")
    heading = "## Bureau server under load (bench/bureau_load.py)"
    section = f"""{heading}

{time.strftime('%Y-%m-%d')}, this machine (2 cores, shared), loopback: `python bench/bureau_load.py --units {r['units']} --jobs {r['jobs']}{' --pdf' if r['pdf'] else ''}`.
{r['units']} unit accounts log in, change their password, upload their own workbook and build at once
({r['jobs']} build workers; the rest queue — the furthest place in the queue a unit saw was {r['max_place']}).
The 100 simulated browsers run on the same two cores as the server (niced, as they would be other
computers), on a machine shared with other work (load average below).

| figure | value |
|---|---|
| every unit got its own report (checked by its first line) | {r['own_reports']} of {r['units']} |
| units shown as 已生成报告 on the bureau's page at the end | {r['built']} of {r['units']} |
| wall time, first login to last report downloaded | {r['wall']:.1f} s |
| one unit's round (median), queue included | {r['unit_median']:.1f} s |
| status page (HTML and JSON alternately, every 0.5 s): requests | {r['status_requests']} |
| status page: median / 95th percentile / slowest | {r['status_median'] * 1000:.0f} ms / {r['status_p95'] * 1000:.0f} ms / {r['status_max'] * 1000:.0f} ms |
| memory of server + workers: idle after import / peak | {r['idle_mib']:.0f} MiB / {r['peak_mib']:.0f} MiB |
| the machine's load average (1 min) at the end, other work included | {r['load_average']:.1f} |
"""
    if heading in text:
        start = text.index(heading)
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
