"""The log of who did what: logins, uploads, builds, downloads, imports, password resets.

Rows are only ever added; the bureau reads them on its page (newest first) and a maintainer can
read the table with any SQLite tool.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,     -- the login name, or '' for one not logged in
    unit TEXT NOT NULL,      -- the 单位编码 whose data it concerns, '' for none
    action TEXT NOT NULL,    -- 登录, 登录失败, 上传, 生成报告, 下载, 导入单位, 重置密码, ...
    detail TEXT NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_unit ON journal (unit, id);
"""


@dataclass(frozen=True)
class Entry:
    at: str
    actor: str
    unit: str
    action: str
    detail: str
    client: str


def record(db: sqlite3.Connection, actor: str, action: str, detail: str = "", *, unit: str = "",
           client: str = "") -> None:
    with db:
        db.execute("INSERT INTO journal (at, actor, unit, action, detail, client) VALUES (?, ?, ?, ?, ?, ?)",
                   (time.strftime("%Y-%m-%d %H:%M:%S"), actor, unit, action, detail, client))


def recent(db: sqlite3.Connection, limit: int = 200, unit: str | None = None) -> list[Entry]:
    """The newest ``limit`` entries, newest first; only those of ``unit`` when given."""
    where, args = ("WHERE unit = ?", (unit,)) if unit is not None else ("", ())
    rows = db.execute(f"SELECT at, actor, unit, action, detail, client FROM journal {where} "
                      "ORDER BY id DESC LIMIT ?", (*args, limit))
    return [Entry(*row) for row in rows]
