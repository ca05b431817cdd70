"""Files a build and init write: safe names inside the output folder, normal modes, backups that
are never lost, drafts that never replace a report, a consistent state when a write fails, no
stale PDF or leftovers, LibreOffice stopped with the build, and Chinese OS messages."""

import errno
import os
import stat
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import JINCHENG, XINZHOU, set_cells
from generator import files, pdf
from generator.cli import main

NAME_BYTES = 255  # per path component on ext4, NTFS, APFS
HOSTILE_NAMES = ["../../逃逸/evil", "/tmp/绝对路径/evil", "..", "第一行\n第二行", "C:\\Windows\\evil",
                 "带\t控制\r字符的单位", "\u202e反向txt.exe", "单" * 300, "a" * 300]


def _everything(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _all_names_fit(folder: Path):
    for p in folder.iterdir():
        assert len(p.name.encode("utf-8")) <= NAME_BYTES, p.name
        assert "\n" not in p.name and "/" not in p.name


@pytest.mark.parametrize("unit", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_init_from_writes_one_safe_file_in_the_current_folder(runner, tmp_path, monkeypatch, unit):
    source = tmp_path / "上年.xlsx"
    source.write_bytes(XINZHOU.read_bytes())
    set_cells(source, {"单位信息!B3": unit})
    here = tmp_path / "a" / "b" / "当前"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    before = _everything(tmp_path)
    result = runner.invoke(main, ["init", "--from", str(source)])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    new = _everything(tmp_path) - before
    [written] = new
    assert written.parent == here and written.name.endswith("2023年度决算公开工作簿.xlsx")
    _all_names_fit(here)
    assert written.name in result.output


@pytest.mark.parametrize("unit", ["../../逃逸/evil", "单" * 300, "行\n换"], ids=["parent", "long", "newline"])
def test_build_outputs_of_a_hostile_unit_name_stay_in_the_folder_and_fit(runner, tmp_path, unit):
    source = tmp_path / "in" / "工作簿.xlsx"
    source.parent.mkdir()
    source.write_bytes(XINZHOU.read_bytes())
    set_cells(source, {"单位信息!B3": unit})
    out = tmp_path / "deep" / "out"
    before = _everything(tmp_path)
    first = runner.invoke(main, ["build", str(source), "-o", str(out)])
    assert first.exit_code == 0, first.output
    # A hand edit, then --overwrite: the backup's longer name must fit too.
    from docx import Document

    [report] = out.glob("*.docx")
    doc = Document(str(report))
    doc.add_paragraph("手工补充")
    doc.save(str(report))
    again = runner.invoke(main, ["build", str(source), "-o", str(out), "--overwrite"])
    assert again.exit_code == 0, again.output
    assert all(p in (out, out.parent) or p.parent == out for p in _everything(tmp_path) - before)
    assert len(list(out.glob("*.手工修改备份-*.docx"))) == 1
    _all_names_fit(out)


@given(st.text(min_size=0, max_size=400))
def test_every_name_is_one_component_that_fits_with_any_suffix(text):
    stem = files.safe_stem(text)
    assert stem and stem.strip(" .") == stem
    assert not set(stem) & set('\\/:*?"<>|') and ".." not in stem
    assert all(c.isprintable() or c == " " for c in stem)
    assert len(stem.encode("utf-8")) <= files.STEM_BYTES
    longest = f".{stem}（草稿）.手工修改备份-20231231-235959-9999.docx"
    assert len(longest.encode("utf-8")) <= NAME_BYTES
    assert len(Path(stem + ".docx").parts) == 1


def _crash_on(name):
    import generator.report as report

    real = report.audit

    def audit(wb, fmt=None):
        if Path(wb.path).name == name:
            raise KeyError(1)
        return real(wb, fmt)

    return audit


@pytest.mark.skipif(sys.platform != "linux", reason="the crash is injected into forked workers")
def test_a_batch_with_a_crashing_workbook_reports_it_and_builds_the_others(runner, tmp_path, monkeypatch):
    import generator.report as report

    monkeypatch.setattr(report, "audit", _crash_on("crash.xlsx"))
    sources = tmp_path / "in"
    sources.mkdir()
    for name, sample in (("a", JINCHENG), ("crash", XINZHOU), ("c", XINZHOU)):
        (sources / f"{name}.xlsx").write_bytes(sample.read_bytes())
    (sources / "broken.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(sources), "-o", str(out), "-j", "2"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    rows = result.output.splitlines()
    crashed = next(line for line in rows if "crash.xlsx" in line)
    assert "程序出错" in crashed and "KeyError" in crashed
    assert "无法读取" in next(line for line in rows if "broken.xlsx" in line)
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "忻州市人力资源和社会保障局2022年度单位决算公开-c.docx", "晋城市人力资源和社会保障局2022年度单位决算公开.docx"]
    assert rows[-1] == "共 4 个工作簿：2 个已生成，2 个失败。"


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_outputs_get_the_modes_a_normal_save_gives(runner, tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / "out")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    written = [p for p in (tmp_path / "out").iterdir()]
    assert len(written) == 3  # report, 审核报告, figures record
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {mode}


def test_a_rebuild_keeps_the_reports_mode(runner, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*.docx")
    report.chmod(0o604)
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o604


def _edit_by_hand(report: Path, text: str, mtime: float) -> bytes:
    from docx import Document

    doc = Document(str(report))
    doc.add_paragraph(text)
    doc.save(str(report))
    os.utime(report, (mtime, mtime))
    return report.read_bytes()


def test_overwrite_backups_made_in_the_same_second_are_all_kept(runner, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*.docx")
    same_second = time.time() - 100
    edits = []
    for text in ("第一次手工修改", "第二次手工修改"):
        edits.append(_edit_by_hand(report, text, same_second))
        result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out), "--overwrite"])
        assert result.exit_code == 0, result.output
    backups = sorted(out.glob("*.手工修改备份-*.docx"))
    assert len(backups) == 2
    assert {b.read_bytes() for b in backups} == set(edits)
    assert all(b.name in result.output or b.read_bytes() == edits[0] for b in backups)


def test_a_forced_draft_never_replaces_the_final_report(runner, workbook_copy, tmp_path):
    path = workbook_copy(XINZHOU)
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(path), "-o", str(out)]).exit_code == 0
    [final] = out.glob("*.docx")
    kept = final.read_bytes()
    set_cells(path, {"公开01表!C8": 1})  # the 收入 no longer adds up: 错误
    assert runner.invoke(main, ["build", str(path), "-o", str(out)]).exit_code == 1
    draft = runner.invoke(main, ["build", str(path), "-o", str(out), "--force"])
    assert draft.exit_code == 0, draft.output
    assert final.read_bytes() == kept
    drafts = out / f"{final.stem}（草稿）.docx"
    assert drafts.exists() and f"报告：{drafts}" in draft.output
    assert "草稿" in draft.output and "不替换正式报告" in draft.output


def _failing_write(monkeypatch, suffix, code=errno.ENOSPC):
    real = Path.write_bytes

    def write_bytes(self, data):
        if self.suffix == suffix:
            raise OSError(code, os.strerror(code))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


def test_a_full_disk_leaves_the_previous_build_in_place_and_says_so(runner, workbook_copy, tmp_path, monkeypatch):
    path = workbook_copy(XINZHOU)
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(path), "-o", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    set_cells(path, {"公开10表!C8": 66683.00, "公开10表!C7": 2141853.36})  # 货物 +100, and its 合计
    _failing_write(monkeypatch, ".json")  # the disk fills while the figures record is written
    result = runner.invoke(main, ["build", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and result.output.count("\n") == 1
    assert "磁盘空间不足" in result.output and "本次没有写入或替换任何文件" in result.output
    assert "No space" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file left either


def test_a_failure_while_putting_files_in_place_names_what_was_and_was_not(runner, tmp_path, monkeypatch):
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 2
    message = result.output
    assert "Permission denied" not in message and "Word/WPS" in message
    assert "已完成：" in message and "审核报告" in message.split("已完成：")[1].split("；")[0]
    assert "未完成：" in message and "报告" in message.split("未完成：")[1]
    assert not list(out.glob(".disclose-*"))


@pytest.mark.parametrize("exc,expected", [
    (OSError(errno.ENOSPC, "No space left on device"), "磁盘空间不足"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "磁盘空间不足"),
    (PermissionError(errno.EACCES, "Permission denied"), "Word/WPS"),
    (PermissionError(errno.EPERM, "Operation not permitted"), "权限"),
    (FileExistsError(errno.EEXIST, "File exists"), "已存在"),
    (OSError(errno.EROFS, "Read-only file system"), "只读"),
    (OSError(errno.ENAMETOOLONG, "File name too long"), "太长"),
])
def test_os_errors_are_chinese_and_say_what_to_do(exc, expected):
    message = files.os_problem(exc)
    assert expected in message and exc.strerror not in message
    assert not any("a" <= c.lower() <= "z" for c in message.replace("Word/WPS", ""))


def test_a_report_locked_by_word_on_windows_says_close_it(runner, tmp_path, monkeypatch):
    class SharingViolation(PermissionError):
        winerror = 32

    def replace(src, dst):
        raise SharingViolation(errno.EACCES, "The process cannot access the file")

    monkeypatch.setattr(files.os, "replace", replace)
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "文件正被 Word/WPS 或其他程序打开，请关闭后重试" in result.output
    assert "cannot access" not in result.output


def test_output_folder_that_is_a_file_is_a_chinese_line(runner, tmp_path):
    blocker = tmp_path / "报告"
    blocker.write_text("一个文件")
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(blocker)])
    assert result.exit_code == 2 and "File exists" not in result.output
    assert "同名文件" in result.output


def _fake_soffice(tmp_path: Path, extra: str = "") -> Path:
    """A stand-in for LibreOffice that writes a one-page PDF (and runs ``extra`` first)."""
    from pypdf import PdfWriter

    page = tmp_path / "page.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with open(page, "wb") as fh:
        writer.write(fh)
    script = tmp_path / "soffice"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        {extra}
        for last; do :; done
        out=$(dirname "$last")
        cp {page} "$out/report.pdf"
        """))
    script.chmod(0o755)
    return script


def _use_soffice(monkeypatch, soffice: str) -> None:
    """The stand-in as the LibreOffice found, driven by its command line (it has no UNO)."""
    monkeypatch.setattr("generator.pdf.find_soffice", lambda *_: soffice)
    monkeypatch.setattr("generator.pdf.uno_python", lambda _: None)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in LibreOffice is a shell script")
def test_a_build_without_pdf_removes_the_pdf_of_the_last_build(runner, tmp_path, monkeypatch):
    import generator.report as report

    _use_soffice(monkeypatch, str(_fake_soffice(tmp_path)))
    out = tmp_path / "out"
    with_pdf = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out), "--pdf"])
    assert with_pdf.exit_code == 0, with_pdf.output
    [old_pdf] = out.glob("*.pdf")
    without = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert without.exit_code == 0, without.output
    assert not list(out.glob("*.pdf"))
    assert f"已删除上次生成的 PDF（以免与报告不一致）：{old_pdf}" in without.output


def test_a_pdf_not_made_by_the_tool_is_moved_aside_not_left_under_the_reports_name(runner, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*.docx")
    exported = report.with_suffix(".pdf")
    exported.write_bytes(b"%PDF-1.4 exported by the clerk from Word")
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not exported.exists()
    [aside] = out.glob("*.旧版-*.pdf")
    assert aside.read_bytes() == b"%PDF-1.4 exported by the clerk from Word"
    assert str(aside) in result.output


def test_leftovers_of_killed_runs_are_cleaned_only_ours_only_stale(runner, tmp_path, monkeypatch):
    """Only what the tool provably made goes: its signed temporary files and its marked work
    folders, stale ones only. A user's files and folders named like them stay, however old."""
    import tempfile

    from generator import files

    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    out = tmp_path / "out"
    out.mkdir()
    old = time.time() - 3 * 3600
    stale_file = files._new_temporary(out, ".docx")
    fresh_file = files._new_temporary(out, ".docx")  # another build writing right now
    users_files = [out / ".hidden-notes.docx", out / ".disclose-k1ll3d00.docx", out / ".disclose-notes.txt",
                   out / ".disclose-0123456789abcdef-00000000.docx"]  # our shape, a wrong signature
    stale_dir = files.make_work_folder("lo-")
    (stale_dir / "profile").mkdir()
    fresh_dir = files.make_work_folder("lo-")
    users_dirs = [system_tmp / "someone-else", system_tmp / "disclose-0.1.0", system_tmp / "disclose-reports"]
    for folder in users_dirs:
        (folder / "src").mkdir(parents=True)
        (folder / "src" / "main.py").write_text("print('mine')")
    forged = system_tmp / "disclose-forged"
    forged.mkdir()
    (forged / ".disclose-work").write_text("not the signature")
    for p in users_files:
        p.write_bytes(b"x")
    for p in (stale_file, stale_dir, forged, *users_files, *users_dirs):
        os.utime(p, (old, old))
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    assert not stale_file.exists() and not stale_dir.exists()
    assert fresh_file.exists() and fresh_dir.exists() and forged.exists()
    assert all(p.exists() for p in users_files)
    assert all((folder / "src" / "main.py").read_text() == "print('mine')" for folder in users_dirs)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are looked up in /proc")
def test_libreoffice_and_its_children_are_stopped_with_the_build(runner, tmp_path, monkeypatch):
    import generator.report as report

    pidfile = tmp_path / "helper.pid"
    soffice = _fake_soffice(tmp_path, f"sleep 600 & echo $! > {pidfile}")
    _use_soffice(monkeypatch, str(soffice))
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 0, result.output
    time.sleep(0.2)
    assert not _alive(int(pidfile.read_text()))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are looked up in /proc")
def test_a_hanging_libreoffice_is_stopped_on_timeout(runner, tmp_path, monkeypatch):
    import generator.report as report

    pidfile = tmp_path / "helper.pid"
    soffice = _fake_soffice(tmp_path, f"sleep 600 & echo $! > {pidfile}; wait")
    _use_soffice(monkeypatch, str(soffice))
    monkeypatch.setattr(pdf, "TIMEOUT", 1)
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out), "--pdf"])
    assert result.exit_code == 2
    assert "超过 1 秒仍未完成，已停止" in result.output
    time.sleep(0.2)
    assert not _alive(int(pidfile.read_text()))
    assert not list(out.glob("*.docx"))  # nothing of the failed build is in place


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are looked up in /proc")
def test_libreoffice_left_by_a_killed_run_is_stopped_by_the_next(runner, tmp_path, monkeypatch):
    import subprocess
    import tempfile

    import generator.report as report

    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    gone = system_tmp / "disclose-lo-k1ll3d" / "profile"  # its folder was never cleaned: stale
    gone.mkdir(parents=True)
    old = time.time() - 3 * 3600
    os.utime(gone.parent, (old, old))
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    orphan = subprocess.Popen([*sleeper, f"-env:UserInstallation={gone.as_uri()}"])
    live = system_tmp / "disclose-lo-live" / "profile"
    live.mkdir(parents=True)
    neighbour = subprocess.Popen([*sleeper, f"-env:UserInstallation={live.as_uri()}"])
    try:
        _use_soffice(monkeypatch, str(_fake_soffice(tmp_path)))
        result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / "out"), "--pdf"])
        assert result.exit_code == 0, result.output
        assert orphan.wait(timeout=5) is not None
        assert neighbour.poll() is None  # a conversion still running is not ours to stop
    finally:
        for p in (orphan, neighbour):
            p.kill()
            p.wait()
