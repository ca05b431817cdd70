"""Who is asking: accounts, passwords, sessions, CSRF tokens and the login rate limit.

Passwords are kept only as Argon2id hashes (argon2-cffi, OWASP's parameters: 19 MiB, 2 passes —
slow to guess, light enough for a bureau's 300 units logging in on the deadline day). A session
is a random cookie value of which the database keeps only the SHA-256, so a copy of the data
folder holds no live session; it ends after two idle hours or twelve hours in all. Each session
has its own CSRF token, asked for on every request that changes something. Five wrong passwords
in a minute for one login name (twenty from one address, which several units behind one office's
router may share), and further attempts are refused until the minute has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import DiscloseError

SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('bureau', 'unit')),
    name TEXT NOT NULL,                     -- 单位名称, or 财政局 for the bureau
    contact TEXT NOT NULL DEFAULT '',
    hash TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 1, -- a first-login or reset password: change it first
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session (
    token TEXT PRIMARY KEY,                 -- SHA-256 of the cookie value
    account INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    started REAL NOT NULL,
    seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failure (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failure_key ON login_failure (key, at);
"""

BUREAU = "bureau"
UNIT = "unit"
BUREAU_LOGIN = "admin"
IDLE_SECONDS = 2 * 3600
LIFETIME_SECONDS = 12 * 3600
FAILURES_ALLOWED = 5  # for one login name
CLIENT_FAILURES_ALLOWED = 20  # from one address: units behind one office's NAT share it
FAILURE_WINDOW = 60.0
MIN_PASSWORD = 8
# No 0/O, 1/l/I: a first-login password is read off paper and typed by hand.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the login name is unknown, so that the answer takes as long either way.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class LoginRefused(DiscloseError):
    """A login that is not let in: a wrong name or password, or too many attempts (``status``
    429)."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


class PasswordRejected(DiscloseError):
    """A new password that does not meet the rules."""


@dataclass(frozen=True)
class Account:
    id: int
    login: str  # the bureau's is "admin"; a unit's is its 单位编码
    role: str  # BUREAU or UNIT
    name: str
    contact: str
    must_change: bool

    @property
    def unit(self) -> str | None:
        """The 单位编码 of a unit account (its login); None for the bureau."""
        return self.login if self.role == UNIT else None


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str


_COLUMNS = "id, login, role, name, contact, must_change"


def _account(row) -> Account | None:
    return None if row is None else Account(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def first_password() -> str:
    """A random password of 10 characters (about 57 bits) that reads unambiguously on paper."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def get(db: sqlite3.Connection, login: str) -> Account | None:
    return _account(db.execute(f"SELECT {_COLUMNS} FROM account WHERE login = ?", (login,)).fetchone())


def units(db: sqlite3.Connection) -> list[Account]:
    """Every unit account, in the order of their 单位编码."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM account WHERE role = ? ORDER BY login", (UNIT,))
    return [_account(r) for r in rows]


def ensure_bureau(db: sqlite3.Connection) -> str | None:
    """Create the bureau's account ``admin`` when there is none; its first-login password is
    returned (to be printed once on the server's console), else None."""
    if get(db, BUREAU_LOGIN) is not None:
        return None
    return _create(db, BUREAU_LOGIN, BUREAU, "财政局", "")


def _create(db: sqlite3.Connection, login: str, role: str, name: str, contact: str) -> str:
    password = first_password()
    with db:
        db.execute("INSERT INTO account (login, role, name, contact, hash, must_change, created) "
                   "VALUES (?, ?, ?, ?, ?, 1, ?)", (login, role, name, contact, _hasher.hash(password), _now()))
    return password


def add_unit(db: sqlite3.Connection, code: str, name: str, contact: str = "") -> str | None:
    """A unit account with login ``code``; its first-login password, or None when the unit has
    an account already (then only its name and contact are brought up to date)."""
    existing = get(db, code)
    if existing is not None:
        if existing.role != UNIT:
            raise PasswordRejected(f"单位编码“{code}”与财政局的登录名相同，请换一个编码")
        with db:
            db.execute("UPDATE account SET name = ?, contact = ? WHERE id = ?", (name, contact, existing.id))
        return None
    return _create(db, code, UNIT, name, contact)


def reset_password(db: sqlite3.Connection, login: str) -> str:
    """A new first-login password for ``login``; its sessions end."""
    account = get(db, login)
    if account is None:
        raise PasswordRejected(f"没有登录名为“{login}”的账号")
    password = first_password()
    with db:
        db.execute("UPDATE account SET hash = ?, must_change = 1 WHERE id = ?", (_hasher.hash(password), account.id))
        db.execute("DELETE FROM session WHERE account = ?", (account.id,))
    return password


def change_password(db: sqlite3.Connection, account: Account, old: str, new: str, keep: str | None = None) -> None:
    """Replace the password after checking the old one. Every other session of the account ends
    (``keep``: the cookie value of the session that asked, which stays)."""
    if not _matches(db, account.id, old):
        raise PasswordRejected("原密码不正确")
    if len(new) < MIN_PASSWORD:
        raise PasswordRejected(f"新密码至少要 {MIN_PASSWORD} 个字符")
    if new == old:
        raise PasswordRejected("新密码不能与原密码相同")
    if new.casefold() == account.login.casefold():
        raise PasswordRejected("新密码不能与登录名相同")
    kept = _digest(keep) if keep else ""
    with db:
        db.execute("UPDATE account SET hash = ?, must_change = 0 WHERE id = ?", (_hasher.hash(new), account.id))
        db.execute("DELETE FROM session WHERE account = ? AND token != ?", (account.id, kept))


def _matches(db: sqlite3.Connection, account_id: int, password: str) -> bool:
    row = db.execute("SELECT hash FROM account WHERE id = ?", (account_id,)).fetchone()
    try:
        _hasher.verify(row[0] if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    if row and _hasher.check_needs_rehash(row[0]):
        with db:
            db.execute("UPDATE account SET hash = ? WHERE id = ?", (_hasher.hash(password), account_id))
    return row is not None


def authenticate(db: sqlite3.Connection, login: str, password: str, client: str,
                 now: float | None = None) -> Account:
    """The account of ``login`` when ``password`` is its password. Raises :class:`LoginRefused`
    for a wrong one, and (status 429, without looking at the password) once
    :data:`FAILURES_ALLOWED` attempts failed within :data:`FAILURE_WINDOW` seconds for this login
    name or from this ``client`` address."""
    now = time.time() if now is None else now
    keys = (f"login:{login.strip().casefold()}", f"client:{client}")
    with db:
        db.execute("DELETE FROM login_failure WHERE at <= ?", (now - FAILURE_WINDOW,))
    for key, allowed in zip(keys, (FAILURES_ALLOWED, CLIENT_FAILURES_ALLOWED)):
        (count,) = db.execute("SELECT count(*) FROM login_failure WHERE key = ?", (key,)).fetchone()
        if count >= allowed:
            (first,) = db.execute("SELECT min(at) FROM login_failure WHERE key = ?", (key,)).fetchone()
            wait = max(1, int(first + FAILURE_WINDOW - now + 0.999))
            raise LoginRefused(f"密码连续输错次数过多，请 {wait} 秒后再试", 429)
    account = get(db, login.strip())
    # An unknown name is checked against a dummy hash: as slow, so no telling which names exist.
    if not _matches(db, account.id if account else -1, password):
        with db:
            db.executemany("INSERT INTO login_failure (key, at) VALUES (?, ?)", [(k, now) for k in keys])
        raise LoginRefused("登录名或密码不正确")
    return account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: sqlite3.Connection, account: Account, now: float | None = None) -> str:
    """A new session of ``account``; returns the cookie value (kept nowhere else)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with db:
        db.execute("DELETE FROM session WHERE seen < ? OR started < ?",
                   (now - IDLE_SECONDS, now - LIFETIME_SECONDS))
        db.execute("INSERT INTO session (token, account, csrf, started, seen) VALUES (?, ?, ?, ?, ?)",
                   (_digest(token), account.id, secrets.token_urlsafe(32), now, now))
    return token


def session_for(db: sqlite3.Connection, token: str | None, now: float | None = None) -> Session | None:
    """The live session of the cookie value ``token``; None when there is none or it expired."""
    if not token:
        return None
    now = time.time() if now is None else now
    row = db.execute(f"SELECT s.csrf, s.started, s.seen, {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} "
                     "FROM session s JOIN account a ON a.id = s.account WHERE s.token = ?",
                     (_digest(token),)).fetchone()
    if row is None:
        return None
    csrf, started, seen = row[:3]
    if now - seen > IDLE_SECONDS or now - started > LIFETIME_SECONDS:
        end_session(db, token)
        return None
    if now - seen > 60:  # a write a minute at most per session, not one per request
        try:
            with db:
                db.execute("UPDATE session SET seen = ? WHERE token = ?", (now, _digest(token)))
        except sqlite3.OperationalError:
            pass  # the database is busy: the next request a minute on touches it instead
    return Session(_account(row[3:]), csrf)


def end_session(db: sqlite3.Connection, token: str) -> None:
    with db:
        db.execute("DELETE FROM session WHERE token = ?", (_digest(token),))


def csrf_ok(expected: str, supplied: str | None) -> bool:
    """Whether the token sent with a request is the session's (compared in constant time)."""
    return bool(supplied) and hmac.compare_digest(expected.encode(), supplied.encode())
