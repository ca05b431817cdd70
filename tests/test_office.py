"""LibreOffice as the tool runs it: found where a clerk installed it, kept running across a
batch, one layout per report, and never left behind (at the end, on an error, on Ctrl+C)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import JINCHENG, XINZHOU, finished, start_serve, upload
from generator import pdf
from generator.cli import main

needs_uno = pytest.mark.skipif(pdf.find_soffice() is None or pdf.uno_python(pdf.find_soffice()) is None,
                               reason="LibreOffice with its Python UNO bridge is not installed")
needs_proc = pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are looked up in /proc")


def _stand_in(folder: Path) -> Path:
    """A soffice that writes a one-page PDF, as LibreOffice's command line does."""
    from pypdf import PdfWriter

    page = folder / "page.pdf"
    (folder / "program").mkdir(parents=True)
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with open(page, "wb") as fh:
        writer.write(fh)
    script = folder / "program" / "soffice"
    script.write_text(f'#!/bin/sh\nfor last; do :; done\ncp {page} "$(dirname "$last")/report.pdf"\n')
    script.chmod(0o755)
    return script


def test_a_missing_soffice_named_by_option_or_variable_is_one_chinese_line(runner, tmp_path, monkeypatch):
    missing = tmp_path / "LibreOffice" / "program" / "soffice.exe"
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / "out"), "--pdf", "--soffice", str(missing)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"错误：--soffice 指定的 LibreOffice 程序不存在：{missing}；请写 soffice 的完整路径"
                                     "（Windows 上如 C:\\Program Files\\LibreOffice\\program\\soffice.exe）")
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv("DISCLOSE_SOFFICE", str(missing))
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 2
    assert f"DISCLOSE_SOFFICE 指定的 LibreOffice 程序不存在：{missing}" in result.output


@pytest.mark.skipif(os.name != "posix", reason="the stand-in LibreOffice is a shell script")
@pytest.mark.parametrize("how", ["option", "variable", "folder"])
def test_the_soffice_named_is_the_one_used(runner, tmp_path, monkeypatch, how):
    soffice = _stand_in(tmp_path / "LibreOffice")
    monkeypatch.setattr(pdf, "uno_python", lambda _: None)  # the stand-in has no UNO
    args = ["build", str(XINZHOU), "-o", str(tmp_path / "out"), "--pdf"]
    if how == "option":
        args += ["--soffice", str(soffice)]
    elif how == "variable":
        monkeypatch.setenv("DISCLOSE_SOFFICE", str(soffice))
    else:
        args += ["--soffice", str(tmp_path / "LibreOffice")]  # the installation folder
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    [made] = (tmp_path / "out").glob("*.pdf")
    assert made.read_bytes() == (tmp_path / "LibreOffice" / "page.pdf").read_bytes()


def test_windows_places_are_the_registry_then_program_files_on_every_drive():
    places = pdf.windows_places(["C:", "D:"], ["E:\\Apps\\LibreOffice\\program\\soffice.exe"])
    assert places == ["E:\\Apps\\LibreOffice\\program\\soffice.exe",
                      "C:\\Program Files\\LibreOffice\\program\\soffice.exe",
                      "C:\\Program Files (x86)\\LibreOffice\\program\\soffice.exe",
                      "D:\\Program Files\\LibreOffice\\program\\soffice.exe",
                      "D:\\Program Files (x86)\\LibreOffice\\program\\soffice.exe"]


def test_without_uno_the_command_line_still_numbers_the_toc(runner, tmp_path, monkeypatch):
    soffice = pdf.find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    from docx import Document

    from generator.catalog import load_format
    from generator.render import headings

    monkeypatch.setattr(pdf, "uno_python", lambda _: None)
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    [docx] = tmp_path.glob("*.docx")
    entries = [p.text.split("\t") for p in Document(str(docx)).paragraphs if "\t" in p.text and p.style.name.startswith("toc")]
    annex = load_format().sheets.projects.title_suffix
    printed = pdf.heading_pages([title for _, title, _ in headings(docx, annex)], pdf.page_texts(docx.with_suffix(".pdf")))
    assert len(entries) == len(printed) == 27
    assert [int(page) for _, page in entries] == printed


def _ours(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            except OSError:
                continue
            if marker in command and state != "Z":
                found.append((int(entry.name), command))
    return found


def _leftovers(temp: Path) -> list[str]:
    """What LibreOffice or the tool left in the temporary folder: lu*.tmp, work folders."""
    return sorted(p.name for p in temp.iterdir() if p.name.startswith(("lu", "disclose-")))


def _private(temp: Path) -> dict[str, str]:
    return {"TMPDIR": str(temp), "TMP": str(temp), "TEMP": str(temp)}


def _disclose(args: list[str], temp: Path) -> subprocess.Popen:
    """The CLI as a clerk runs it, in a session of its own (a terminal's Ctrl+C reaches the
    whole group) and with a temporary folder of its own."""
    return subprocess.Popen([sys.executable, "-m", "generator", *args], env={**os.environ, **_private(temp)},
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@needs_uno
@needs_proc
def test_a_pdf_batch_keeps_one_libreoffice_per_worker_and_leaves_none(tmp_path):
    folder = tmp_path / "各单位"
    folder.mkdir()
    for name, source in (("甲.xlsx", XINZHOU), ("乙.xlsx", XINZHOU), ("丙.xlsx", JINCHENG)):
        shutil.copy(source, folder / name)
    temp = tmp_path / "tmp"
    temp.mkdir()
    run = _disclose(["build", str(folder), "-o", str(tmp_path / "out"), "--pdf", "-j", "2"], temp)
    profiles = set()
    while run.poll() is None:
        profiles |= {cmd.split("-env:UserInstallation=")[1].split()[0] for _, cmd in _ours(str(temp))
                     if "soffice.bin" in cmd}
        time.sleep(0.1)
    output = run.communicate()[0]
    assert run.returncode == 0, output
    assert 1 <= len(profiles) <= 2, profiles  # three reports, at most one LibreOffice per worker
    assert not _ours(str(temp)), output
    assert _leftovers(temp) == []
    made = {p.name: p.read_bytes() for p in (tmp_path / "out").glob("*.pdf")}
    assert len(made) == 3
    twins = [data for name, data in made.items() if name.startswith("忻州")]
    assert twins[0] == twins[1]  # a LibreOffice that laid out another report first lays out the same


@needs_uno
@needs_proc
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_ctrl_c_stops_libreoffice_and_removes_its_files(tmp_path, batch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    if batch:
        folder = tmp_path / "各单位"
        folder.mkdir()
        for i in range(4):
            shutil.copy(JINCHENG, folder / f"{i}.xlsx")
        args = ["build", str(folder), "-o", str(tmp_path / "out"), "--pdf", "-j", "2"]
    else:
        args = ["build", str(JINCHENG), "-o", str(tmp_path / "out"), "--pdf"]
    run = _disclose(args, temp)
    deadline = time.monotonic() + 120
    while not any("soffice.bin" in cmd for _, cmd in _ours(str(temp))):
        assert run.poll() is None and time.monotonic() < deadline, run.stdout.read()
        time.sleep(0.05)
    time.sleep(0.5)  # LibreOffice is at work
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl+C in the terminal does
    try:
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0]
    assert run.returncode != 0, output
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while _ours(str(temp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _ours(str(temp)), output
    assert _leftovers(temp) == []


@needs_uno
def test_the_layout_inside_soffice_and_over_the_pipe_give_the_same_files(tmp_path):
    """The layout runs inside soffice through its Python script provider (where installed: CI
    installs Debian's libreoffice-script-provider-python) and, without it, the same code drives
    the document over the pipe: both lay the report out alike, to the byte."""
    from generator.report import build

    made = {}
    for in_process in (True, False):
        with pdf.Office(pdf.find_soffice(), in_process=in_process) as office:
            out = tmp_path / str(in_process)
            built = build(JINCHENG, out, pdf=True, office=office)
            assert office.inside is in_process, office.why_outside
        made[in_process] = (built.report.read_bytes(), built.pdf.read_bytes())
    assert made[True] == made[False]
    pages = pdf.page_texts(tmp_path / "True" / built.pdf.name)
    assert len(pages) > 40 and pdf.printed_number(pages[-1]) is not None


@needs_uno
def test_another_python_first_on_the_path_keeps_the_layout_inside_soffice(tmp_path, monkeypatch):
    """A virtualenv or pyenv (as `python -m pytest` run through pyenv's shim) puts a python3 of
    another build first on the PATH, and may set PYTHONHOME: LibreOffice's Python must still
    start, inside soffice and in the helper, or every report is laid out the slow way."""
    from generator.report import build

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    monkeypatch.setenv("PYTHONHOME", sys.base_prefix)
    monkeypatch.setattr(pdf, "_UNO_PYTHONS", {})  # LibreOffice's Python looked for again
    with pdf.Office(pdf.find_soffice()) as office:
        built = build(JINCHENG, tmp_path, pdf=True, office=office)
        assert office.inside is True, office.why_outside
    assert built.pdf.exists()


@needs_uno
def test_libreoffice_s_profile_is_set_up_once_and_copied_for_each_start(tmp_path, monkeypatch):
    """LibreOffice's first start in a new profile sets it up: that is done once on the machine
    (kept in the cache, by LibreOffice and fonts), and every start copies it. The report is laid
    out as it is in a profile of its own."""
    from generator.report import build

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made = []
    for i in range(2):
        with pdf.Office(pdf.find_soffice()) as office:
            made.append(build(JINCHENG, tmp_path / str(i), pdf=True, office=office).pdf.read_bytes())
        [kept] = (tmp_path / "cache" / "disclose").glob("libreoffice-profile-*")
        assert (kept / "user" / "extensions").is_dir()
    assert made[0] == made[1]
    monkeypatch.setattr(pdf, "_ready_profile", lambda soffice, substitutions: None)  # a profile of its own
    with pdf.Office(pdf.find_soffice()) as office:
        assert build(JINCHENG, tmp_path / "own", pdf=True, office=office).pdf.read_bytes() == made[0]


@pytest.mark.skipif(os.name != "posix", reason="the stand-in LibreOffice is a shell script")
def test_a_libreoffice_that_sets_up_no_profile_is_not_asked_again(tmp_path, monkeypatch):
    soffice = _stand_in(tmp_path / "LibreOffice")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    runs = []
    run = pdf._run
    monkeypatch.setattr(pdf, "_run", lambda *args, **options: (runs.append(args[0]), run(*args, **options)))
    assert pdf._ready_profile(str(soffice), {}) is None
    [failed] = (tmp_path / "cache" / "disclose").iterdir()
    assert failed.name.endswith(".failed")
    assert not (tmp_path / "report.pdf").exists()  # it ran in its work folder
    assert pdf._ready_profile(str(soffice), {}) is None
    assert len(runs) == 1 and list((tmp_path / "cache" / "disclose").iterdir()) == [failed]


def _eexec(data: bytes, decrypt: bool) -> bytes:
    """Type 1 eexec (Adobe Type 1 Font Format, 7.2), byte by byte, as the specification gives it."""
    r, out = 55665, bytearray()
    for byte in data:
        code = byte ^ (r >> 8)
        out.append(code)
        r = (((byte if decrypt else code) + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


@given(before=st.binary(max_size=700), after=st.binary(max_size=2000),
       old=st.integers(4100000, 4199999), new=st.integers(4100000, 4199999))
def test_a_font_s_unique_id_is_renumbered_inside_its_encrypted_part(before, after, old, new):
    """A warm LibreOffice numbers the fonts of its later documents on; the PDF's fonts are
    numbered as in a first document, inside the eexec-encrypted Private dict as well."""
    plain = before.replace(b"/", b".") + b"/UniqueID %d def" % old + after
    number = b"/UniqueID %d def" % new
    renumbered = pdf._renumbered_secret(_eexec(plain, decrypt=False), number)
    assert _eexec(renumbered, decrypt=True) == plain.replace(b"/UniqueID %d def" % old, number, 1)


@needs_uno
@needs_proc
def test_a_kept_libreoffice_that_died_while_waiting_does_not_fail_the_next_report(tmp_path):
    """A worker's LibreOffice may die between two reports (the system ends it, a clerk closes
    it): the next report is laid out by a fresh one, with the same result."""
    from generator.report import build

    with pdf.Office(pdf.find_soffice()) as office:
        first = build(XINZHOU, tmp_path / "1", pdf=True, office=office)
        os.killpg(office._pid, signal.SIGKILL)
        time.sleep(0.5)
        second = build(XINZHOU, tmp_path / "2", pdf=True, office=office)
    assert second.pdf.read_bytes() == first.pdf.read_bytes()
    assert second.report.read_bytes() == first.report.read_bytes()


# ---- the web server's workers ------------------------------------------------------------------

class _Server:
    """`disclose serve -j 1` in a session and temporary folder of its own, driven over HTTP."""

    def __init__(self, tmp_path: Path, temp: Path):
        self.log, self.temp = tmp_path / "serve.log", temp
        self.process, url = start_serve(["-j", "1", "--data", str(tmp_path / "data")], self.log, _private(temp),
                                        start_new_session=True)
        import httpx2

        self.http = httpx2.Client(base_url=url, timeout=60)
        self.profiles: set[str] = set()  # of the LibreOffices seen running

    def output(self) -> str:
        return self.log.read_text("utf-8")

    def build_pdf(self, uploaded: dict) -> dict:
        response = self.http.post(uploaded["builds"], json={"pdf": True}, headers={"Accept": "application/json"})
        assert response.status_code == 202, response.text
        return response.json()

    def built(self, queued: dict) -> dict:
        return finished(self.http, queued, between=self.look)

    def look(self) -> list[tuple[int, str]]:
        """The tool's LibreOffices running now (their profiles are remembered)."""
        running = [(pid, cmd) for pid, cmd in _ours(str(self.temp)) if "soffice.bin" in cmd]
        self.profiles |= {cmd.split("-env:UserInstallation=")[1].split()[0] for _, cmd in running}
        return running

    def stop(self, how: int) -> None:
        """Ctrl+C in the server's terminal (SIGINT to its whole group) or kill -9 of the server."""
        self.http.close()
        if how == signal.SIGINT:
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def none_left(self) -> bool:
        deadline = time.monotonic() + 30
        while _ours(str(self.temp)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return not _ours(str(self.temp))


@pytest.fixture
def server(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = _Server(tmp_path, temp)
    yield server
    if server.process.poll() is None:  # the test failed before it stopped the server
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


@needs_uno
@needs_proc
def test_a_web_server_worker_keeps_one_libreoffice_and_ctrl_c_leaves_none(server):
    uploaded = upload(server.http, XINZHOU).json()
    first = server.built(server.build_pdf(uploaded))
    second = server.built(server.build_pdf(uploaded))
    assert first["status"] == second["status"] == "done", (first, second)
    assert len(server.profiles) == 1, server.profiles  # the second build's LibreOffice is the first's
    assert server.look(), "the worker's LibreOffice is kept running between builds"
    pdfs = [server.http.get(done["files"]["pdf"]["url"]).content for done in (first, second)]
    assert pdfs[0].startswith(b"%PDF") and pdfs[0] == pdfs[1]
    server.stop(signal.SIGINT)
    assert server.none_left(), server.output()
    assert "Traceback" not in server.output()
    assert _leftovers(server.temp) == []


@needs_uno
@needs_proc
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_a_web_server_stopped_during_a_pdf_build_leaves_no_libreoffice(server, how):
    server.build_pdf(upload(server.http, JINCHENG).json())
    deadline = time.monotonic() + 120
    while not server.look():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    time.sleep(1)  # LibreOffice is at work
    server.stop(how)
    assert server.none_left(), server.output()
    assert "Traceback" not in server.output()
    if how == signal.SIGINT:
        assert _leftovers(server.temp) == []


@needs_uno
@needs_proc
def test_a_web_workers_libreoffice_that_died_is_not_given_the_next_report(server):
    uploaded = upload(server.http, XINZHOU).json()
    assert server.built(server.build_pdf(uploaded))["status"] == "done"
    [(pid, died)] = server.look()
    os.kill(pid, signal.SIGKILL)  # LibreOffice crashes between two builds
    after = server.built(server.build_pdf(uploaded))
    assert after["status"] == "done", after  # laid out by a fresh LibreOffice, not failed
    [(_, fresh)] = server.look()
    assert fresh != died and len(server.profiles) == 2
    server.stop(signal.SIGINT)
    assert server.none_left(), server.output()
