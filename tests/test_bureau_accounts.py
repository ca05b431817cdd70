"""Accounts, passwords, sessions, CSRF and the login rate limit of the bureau mode."""

import sqlite3

import pytest

from generator.bureau import accounts, create_tables, journal
from generator.bureau.accounts import LoginRefused, PasswordRejected


@pytest.fixture
def db(tmp_path):
    connection = sqlite3.connect(tmp_path / "disclose.sqlite3")
    connection.execute("PRAGMA foreign_keys = ON")
    create_tables(connection)
    create_tables(connection)  # idempotent: every start calls it
    yield connection
    connection.close()


def test_bureau_account_is_created_once_with_a_first_login_password(db):
    password = accounts.ensure_bureau(db)
    assert password and len(password) == 10
    assert accounts.ensure_bureau(db) is None
    account = accounts.authenticate(db, "admin", password, "127.0.0.1")
    assert account.role == accounts.BUREAU and account.must_change and account.unit is None


def test_passwords_are_stored_only_as_argon2_hashes(db, tmp_path):
    password = accounts.add_unit(db, "001001", "晋城市人力资源和社会保障局", "张三")
    (stored,) = db.execute("SELECT hash FROM account WHERE login = '001001'").fetchone()
    assert stored.startswith("$argon2id$") and password not in stored
    assert password.encode() not in (tmp_path / "disclose.sqlite3").read_bytes()


def test_first_login_passwords_differ_and_read_unambiguously(db):
    passwords = {accounts.add_unit(db, f"U{i}", f"单位{i}") for i in range(20)}
    assert len(passwords) == 20
    assert not any(ch in p for p in passwords for ch in "0O1lI")


def test_adding_a_listed_unit_again_keeps_its_password_and_updates_its_name(db):
    password = accounts.add_unit(db, "001001", "旧名称")
    assert accounts.add_unit(db, "001001", "新名称", "李四") is None
    account = accounts.authenticate(db, "001001", password, "c")
    assert (account.name, account.contact, account.unit) == ("新名称", "李四", "001001")


def test_a_unit_code_cannot_take_the_bureaus_login(db):
    accounts.ensure_bureau(db)
    with pytest.raises(PasswordRejected):
        accounts.add_unit(db, "ADMIN", "某单位")


def test_wrong_password_and_unknown_login_get_the_same_answer(db):
    accounts.add_unit(db, "001001", "某单位")
    with pytest.raises(LoginRefused) as wrong:
        accounts.authenticate(db, "001001", "not-it", "a")
    with pytest.raises(LoginRefused) as unknown:
        accounts.authenticate(db, "999999", "not-it", "b")
    assert wrong.value.message == unknown.value.message == "登录名或密码不正确"
    assert wrong.value.status == unknown.value.status == 401


def test_the_sixth_attempt_within_a_minute_is_refused_even_with_the_right_password(db):
    password = accounts.add_unit(db, "001001", "某单位")
    for i in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate(db, "001001", f"wrong{i}", f"10.0.0.{i}", now=1000.0 + i)
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(db, "001001", password, "10.0.0.9", now=1010.0)
    assert refused.value.status == 429 and "50 秒后再试" in refused.value.message
    # a minute after the first failure the window has moved on
    assert accounts.authenticate(db, "001001", password, "10.0.0.9", now=1061.0).login == "001001"


def test_one_address_trying_many_logins_is_limited_too(db):
    accounts.add_unit(db, "001001", "某单位")
    for i in range(accounts.CLIENT_FAILURES_ALLOWED):
        with pytest.raises(LoginRefused) as wrong:
            accounts.authenticate(db, f"guess{i}", "x", "10.0.0.1", now=1000.0)
        assert wrong.value.status == 401
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(db, "001001", "x", "10.0.0.1", now=1001.0)
    assert refused.value.status == 429


def test_sessions_expire_when_idle_and_after_their_lifetime(db):
    accounts.add_unit(db, "001001", "某单位")
    unit = accounts.get(db, "001001")
    token = accounts.start_session(db, unit, now=0.0)
    assert accounts.session_for(db, token, now=100.0).account == unit
    assert accounts.session_for(db, token, now=100.0 + accounts.IDLE_SECONDS + 1) is None
    assert accounts.session_for(db, token, now=200.0) is None  # ended, not revived
    token = accounts.start_session(db, unit, now=0.0)
    for t in range(3600, accounts.LIFETIME_SECONDS, 3600):  # used every hour
        assert accounts.session_for(db, token, now=float(t)) is not None
    assert accounts.session_for(db, token, now=accounts.LIFETIME_SECONDS + 1.0) is None


def test_the_database_holds_no_usable_session_token(db):
    accounts.add_unit(db, "001001", "某单位")
    token = accounts.start_session(db, accounts.get(db, "001001"))
    (stored,) = db.execute("SELECT token FROM session").fetchone()
    assert stored != token and accounts.session_for(db, stored) is None
    assert accounts.session_for(db, None) is None and accounts.session_for(db, "") is None


def test_csrf_token_is_per_session_and_checked(db):
    accounts.add_unit(db, "001001", "某单位")
    unit = accounts.get(db, "001001")
    one = accounts.session_for(db, accounts.start_session(db, unit))
    two = accounts.session_for(db, accounts.start_session(db, unit))
    assert one.csrf != two.csrf
    assert accounts.csrf_ok(one.csrf, one.csrf)
    assert not accounts.csrf_ok(one.csrf, two.csrf)
    assert not accounts.csrf_ok(one.csrf, None) and not accounts.csrf_ok(one.csrf, "")


def test_reset_gives_a_new_first_login_password_and_ends_sessions(db):
    old = accounts.add_unit(db, "001001", "某单位")
    unit = accounts.authenticate(db, "001001", old, "c")
    accounts.change_password(db, unit, old, "a-good-secret")
    token = accounts.start_session(db, accounts.get(db, "001001"))
    new = accounts.reset_password(db, "001001")
    assert accounts.session_for(db, token) is None
    with pytest.raises(LoginRefused):
        accounts.authenticate(db, "001001", "a-good-secret", "c")
    assert accounts.authenticate(db, "001001", new, "c").must_change
    with pytest.raises(PasswordRejected):
        accounts.reset_password(db, "nobody")


def test_changing_the_password_checks_the_old_one_and_the_rules(db):
    first = accounts.add_unit(db, "001001", "某单位")
    unit = accounts.get(db, "001001")
    keep = accounts.start_session(db, unit)
    other = accounts.start_session(db, unit)
    for old, new, why in ((first + "x", "a-good-secret", "原密码不正确"), (first, "short", "至少要 8 个字符"),
                          (first, first, "不能与原密码相同"), (first, "001001", "至少要")):
        with pytest.raises(PasswordRejected, match=why):
            accounts.change_password(db, unit, old, new, keep)
    accounts.change_password(db, unit, first, "a-good-secret", keep)
    assert not accounts.get(db, "001001").must_change
    assert accounts.session_for(db, keep) is not None and accounts.session_for(db, other) is None


def test_journal_keeps_who_did_what_newest_first(db):
    journal.record(db, "001001", "上传", "单位决算.xlsx", unit="001001", client="10.0.0.5")
    journal.record(db, "admin", "下载", "汇总.zip")
    entries = journal.recent(db)
    assert [(e.actor, e.action) for e in entries] == [("admin", "下载"), ("001001", "上传")]
    assert [e.detail for e in journal.recent(db, unit="001001")] == ["单位决算.xlsx"]
