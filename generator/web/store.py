"""The server's state: one SQLite database and the files beside it, all in the data folder.

Layout of the data folder::

    disclose.sqlite3                          units, uploads, builds (this module's SCHEMA)
    units/<unit>/uploads/<upload>/<name>      each uploaded workbook, byte for byte
    units/<unit>/builds/<build>/              one ``disclose build`` output folder per build

Every row belongs to a unit, and every query of a unit's rows names the unit: a row of another
unit is simply not found. The local, single-clerk server has one unit; a bureau has many.
Nothing is kept in memory that a restart would lose: a build is a row before it is queued, and
a build that was running when the server stopped is marked interrupted at the next start.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',          -- the unit's name as registered ('' for the local clerk's unit)
    code TEXT UNIQUE,                       -- 单位编码 (bureau mode)
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    filename TEXT NOT NULL,                 -- as the clerk's computer named it: shown, never a path
    stored TEXT NOT NULL,                   -- path of the bytes, relative to the data folder
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded TEXT NOT NULL,
    unit_name TEXT NOT NULL,                -- the workbook's unit name and year
    year INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    findings TEXT NOT NULL                  -- JSON: the 审核报告's sections (auditlog.sections_json)
);
CREATE INDEX IF NOT EXISTS uploads_unit ON uploads(unit_id, id);
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    upload_id INTEGER NOT NULL REFERENCES uploads(id),
    pdf INTEGER NOT NULL,                   -- asked for the PDF too
    draft INTEGER NOT NULL,                 -- asked for a 草稿 (the upload has 错误)
    status TEXT NOT NULL,                   -- queued, running, done, failed, interrupted
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    folder TEXT,                            -- output folder, relative to the data folder
    report TEXT,                            -- file names inside the folder
    pdf_file TEXT,
    audit_file TEXT,
    note TEXT NOT NULL DEFAULT '',          -- e.g. why there is no PDF
    message TEXT NOT NULL DEFAULT '',       -- why it failed
    changes TEXT,                           -- JSON [figures, sentences] since the previous build; NULL: first
    review INTEGER NOT NULL DEFAULT 0,      -- asked for the 审阅稿 (every finding a Word comment)
    review_file TEXT
);
CREATE INDEX IF NOT EXISTS builds_unit ON builds(unit_id, id);
CREATE INDEX IF NOT EXISTS builds_status ON builds(status, id);
"""
# Columns added to a data folder made by an earlier version, by the version that added them.
ADDED = {2: ["ALTER TABLE builds ADD COLUMN review INTEGER NOT NULL DEFAULT 0",
             "ALTER TABLE builds ADD COLUMN review_file TEXT"]}
QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = "queued", "running", "done", "failed", "interrupted"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    code: str | None


@dataclass(frozen=True)
class Upload:
    id: int
    unit_id: int
    filename: str
    stored: str
    size: int
    sha256: str
    uploaded: str
    unit_name: str
    year: int
    errors: int
    warnings: int
    findings: str

    @property
    def sections(self) -> list[dict]:
        return json.loads(self.findings)


@dataclass(frozen=True)
class Build:
    id: int
    unit_id: int
    upload_id: int
    pdf: int
    draft: int
    status: str
    created: str
    started: str | None
    finished: str | None
    folder: str | None
    report: str | None
    pdf_file: str | None
    audit_file: str | None
    note: str
    message: str
    changes: str | None
    review: int = 0
    review_file: str | None = None

    @property
    def changed(self) -> tuple[list[str], list[str]] | None:
        return None if self.changes is None else tuple(json.loads(self.changes))

    def seconds(self) -> float | None:
        if not (self.started and self.finished):
            return None
        return (datetime.fromisoformat(self.finished) - datetime.fromisoformat(self.started)).total_seconds()


class Store:
    """The data folder. Each call opens its own connection: the server's threads and the event
    loop share nothing but the file, and SQLite's WAL lets readers run beside the one writer."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = self.root / "disclose.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            made = db.execute("SELECT 1 FROM sqlite_master WHERE name='builds'").fetchone()
            db.executescript(SCHEMA)
            for added in range(version + 1, SCHEMA_VERSION + 1) if made else ():
                for statement in ADDED.get(added, ()):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        # WAL with synchronous=NORMAL: commits are not flushed one by one; a power cut may lose the
        # last of them but never corrupts the database.
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _rows(self, sql: str, args=()) -> list[tuple]:
        with closing(self._connect()) as db:
            return db.execute(sql, args).fetchall()

    def _write(self, sql: str, args=()) -> int:
        with closing(self._connect()) as db:
            return db.execute(sql, args).lastrowid

    # ---- units ----------------------------------------------------------------------------
    def unit(self, unit_id: int) -> Unit | None:
        rows = self._rows("SELECT id, name, code FROM units WHERE id=?", (unit_id,))
        return Unit(*rows[0]) if rows else None

    def units(self) -> list[Unit]:
        return [Unit(*r) for r in self._rows("SELECT id, name, code FROM units ORDER BY id")]

    def add_unit(self, name: str = "", code: str | None = None) -> Unit:
        unit_id = self._write("INSERT INTO units (name, code, created) VALUES (?, ?, ?)", (name, code, now()))
        return Unit(unit_id, name, code)

    def folder(self, unit: Unit, kind: str, item: int) -> Path:
        return self.root / "units" / str(unit.id) / kind / str(item)

    def scratch(self) -> Path:
        """A new private folder for a file being received, in the data folder's ``tmp`` (on the
        same disk as where it is kept, so it is moved there, not copied; emptied at every start)."""
        (self.root / "tmp").mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.root / "tmp"))

    # ---- uploads --------------------------------------------------------------------------
    def add_upload(self, unit: Unit, filename: str, data_path: Path, stored_name: str, size: int, sha256: str,
                   unit_name: str, year: int, errors: int, warnings: int, sections: list[dict]) -> Upload:
        """Record an audited upload and move its bytes (``data_path``) into the data folder."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            upload_id = db.execute(
                "INSERT INTO uploads (unit_id, filename, stored, size, sha256, uploaded, unit_name, year, errors,"
                " warnings, findings) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit.id, filename, size, sha256, now(), unit_name, year, errors, warnings,
                 json.dumps(sections, ensure_ascii=False))).lastrowid
            target = self.folder(unit, "uploads", upload_id) / stored_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(data_path, target)
            db.execute("UPDATE uploads SET stored=? WHERE id=?", (self.relative(target), upload_id))
            db.execute("COMMIT")
        return self.upload(unit, upload_id)

    def upload(self, unit: Unit, upload_id: int) -> Upload | None:
        rows = self._rows("SELECT * FROM uploads WHERE unit_id=? AND id=?", (unit.id, upload_id))
        return Upload(*rows[0]) if rows else None

    def uploads(self, unit: Unit) -> list[Upload]:
        return [Upload(*r) for r in self._rows("SELECT * FROM uploads WHERE unit_id=? ORDER BY id DESC", (unit.id,))]

    def latest_upload(self, unit: Unit) -> Upload | None:
        rows = self._rows("SELECT * FROM uploads WHERE unit_id=? ORDER BY id DESC LIMIT 1", (unit.id,))
        return Upload(*rows[0]) if rows else None

    # ---- builds ---------------------------------------------------------------------------
    def add_build(self, unit: Unit, upload: Upload, pdf: bool, draft: bool, review: bool = False) -> Build:
        build_id = self._write("INSERT INTO builds (unit_id, upload_id, pdf, draft, review, status, created)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (unit.id, upload.id, int(pdf), int(draft), int(review), QUEUED, now()))
        return self.build(unit, build_id)

    def build(self, unit: Unit, build_id: int) -> Build | None:
        rows = self._rows("SELECT * FROM builds WHERE unit_id=? AND id=?", (unit.id, build_id))
        return Build(*rows[0]) if rows else None

    def builds(self, unit: Unit, upload: Upload | None = None) -> list[Build]:
        if upload is None:
            rows = self._rows("SELECT * FROM builds WHERE unit_id=? ORDER BY id DESC", (unit.id,))
        else:
            rows = self._rows("SELECT * FROM builds WHERE unit_id=? AND upload_id=? ORDER BY id DESC",
                              (unit.id, upload.id))
        return [Build(*r) for r in rows]

    def previous_done(self, build: Build) -> Build | None:
        """The last finished build of the same report (the workbook's 单位名称 and 年度) before
        ``build``, 草稿 or not: what "changed since the last build" compares with."""
        rows = self._rows(
            "SELECT b.* FROM builds b JOIN uploads u ON u.id=b.upload_id, uploads this"
            " WHERE this.id=? AND b.unit_id=? AND b.id<? AND b.status=?"
            " AND b.report IS NOT NULL AND u.unit_name=this.unit_name AND u.year=this.year"
            " ORDER BY b.id DESC LIMIT 1",
            (build.upload_id, build.unit_id, build.id, DONE))
        return Build(*rows[0]) if rows else None

    def queued(self) -> list[tuple[int, int]]:
        """(unit id, build id) of every build waiting, oldest first."""
        return self._rows("SELECT unit_id, id FROM builds WHERE status=? ORDER BY id", (QUEUED,))

    def place_in_queue(self, build: Build) -> int:
        """1 for the next build to start; 0 when it is not waiting."""
        if build.status != QUEUED:
            return 0
        return self._rows("SELECT COUNT(*) FROM builds WHERE status=? AND id<=?", (QUEUED, build.id))[0][0]

    def typical_seconds(self, pdf: bool) -> float | None:
        """How long the last few finished builds of this kind took (their median)."""
        rows = self._rows("SELECT started, finished FROM builds WHERE status=? AND pdf=? AND started IS NOT NULL"
                          " ORDER BY id DESC LIMIT 9", (DONE, int(pdf)))
        spans = sorted((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() for a, b in rows)
        return spans[len(spans) // 2] if spans else None

    def start(self, build_id: int) -> None:
        self._write("UPDATE builds SET status=?, started=? WHERE id=?", (RUNNING, now(), build_id))

    def finish(self, build_id: int, status: str, **fields) -> None:
        names = ", ".join(f"{k}=?" for k in fields)
        self._write(f"UPDATE builds SET status=?, finished=?{', ' if names else ''}{names} WHERE id=?",
                    (status, now(), *fields.values(), build_id))

    def interrupt_running(self) -> None:
        """At start: a build that was running when the server stopped did not finish. Its folder
        may hold a partial output; it is removed so that nothing half-written is ever offered."""
        for (build_id, unit_id) in self._rows("SELECT id, unit_id FROM builds WHERE status=?", (RUNNING,)):
            shutil.rmtree(self.folder(Unit(unit_id, "", None), "builds", build_id), ignore_errors=True)
            self.finish(build_id, INTERRUPTED, message="服务在生成过程中停止，本次未完成；请重新生成")

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def path(self, relative: str) -> Path:
        return self.root / relative
