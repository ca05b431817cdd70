"""Killing the bureau's server (kill -9) in the middle of many units' builds, and starting it again:
no finished report is lost, no half-written file is left, unfinished builds are shown as not done."""

import importlib.util
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bureau_load", ROOT / "bench" / "bureau_load.py")
load = importlib.util.module_from_spec(spec)
sys.modules["bureau_load"] = load
spec.loader.exec_module(load)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 and /proc")
UNITS = 8


def builds(data: Path) -> dict[int, tuple[str, str | None, str | None]]:
    with sqlite3.connect(data / "disclose.sqlite3") as db:
        return {b: (status, folder, report) for b, status, folder, report
                in db.execute("SELECT id, status, folder, report FROM builds")}


def test_kill_during_builds_loses_no_finished_report_and_leaves_nothing_half_written(tmp_path):
    data = tmp_path / "data"
    server = load.Server(data, jobs=2).start()
    try:
        bureau = load.Account(server, "admin", server.admin_password)
        units = [(f"重启测试第{i}号单位", f"R{i:02d}") for i in range(UNITS)]
        passwords = load.import_units(bureau, load.unit_list(tmp_path / "名单.xlsx", units))
        workbooks = {code: load.workbook_of(name, tmp_path) for name, code in units}
        deadline = time.monotonic() + 300
        pool = ThreadPoolExecutor(UNITS)
        rounds = [pool.submit(load.unit_round, server, code, passwords[code], workbooks[code], name, False, deadline)
                  for name, code in units]
        # kill while some builds are done and others still wait or run
        while time.monotonic() < deadline:
            states = [s for s, _, _ in builds(data).values()]
            if states.count("done") >= 2 and len(states) == UNITS and "running" in states:
                break
            time.sleep(0.05)
        before = builds(data)
        workers = [pid for pid in server.processes() if pid != server.process.pid]
        server.kill()
        pool.shutdown(wait=True)
        assert any(r.exception() or not r.result()["ok"] for r in rounds)  # the kill did interrupt someone
        bureau.close()
    finally:
        server.stop()
    done_before = {b: row for b, row in before.items() if row[0] == "done"}
    assert done_before and len(done_before) < UNITS
    assert workers and _gone(workers), "a build worker outlived the killed server"

    restarted = load.Server(data, jobs=2, port=server.port).start()
    try:
        bureau = load.Account(restarted, "admin", f"{server.admin_password}-admin-changed")
        after = builds(data)
        for build, (status, folder, report) in done_before.items():  # nothing finished is lost
            assert after[build][0] == "done"
            assert (data / folder / report).stat().st_size > 10_000
        unfinished = [b for b, row in before.items() if row[0] == "running"]
        for build in unfinished:  # a build running at the kill: not done, its partial folder removed
            if after[build][0] != "done":  # it may have finished between the look and the kill
                assert after[build][0] == "interrupted"
                assert not any((data / "units").glob(f"*/builds/{build}/*"))
        assert any(after[b][0] == "interrupted" for b in unfinished)
        page = bureau.client.get("/bureau/", headers=load.PAGE).text
        rows = {r["code"]: r for r in bureau.client.get("/api/bureau/units", headers=load.JSON).json()}
        finished_units = {code for code, r in rows.items() if r["status"] == "已生成报告"}
        assert len(finished_units) >= len(done_before)
        assert "正在生成" not in page or any(r["progress"] for r in rows.values())
        for code, row in rows.items():  # an interrupted unit's page says so
            unit = load.Account(restarted, code, f"{passwords[code]}-{code}-changed")
            state = unit.client.get(f"/api/units/{row['id']}/builds", headers=load.JSON).json()
            shown = unit.client.get(f"/units/{row['id']}/", headers=load.PAGE).text
            if state and state[0]["status"] == "interrupted":
                assert "未完成" in shown and row["status"] != "已生成报告" and row["progress"] == "上次生成未完成"
            unit.close()
        bureau.close()
        # the reports of the finished builds are whole: each opens and is its own unit's
        names = {row["id"]: row["name"] for row in rows.values()}
        for build, (status, folder, report) in done_before.items():
            unit_id = int(folder.split("/")[1])  # units/<unit>/builds/<build>
            assert load.first_line((data / folder / report).read_bytes()) == names[unit_id]
    finally:
        restarted.stop()
    # nothing half-written anywhere: no temporary file of a build, no upload being received
    assert not [p for p in data.rglob(".disclose-*")]
    assert not any((data / "tmp").iterdir()) if (data / "tmp").exists() else True


def _gone(pids: list[int], seconds: float = 10) -> bool:
    """Whether every process of ``pids`` has ended (a zombie not yet reaped counts as ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.2)
    return False
