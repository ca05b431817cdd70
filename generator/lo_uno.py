"""Runs in LibreOffice's own Python (the one that can ``import uno``), not in the tool's: it
starts one ``soffice``, holds it for as long as its parent (:class:`generator.pdf.Office`) keeps
its stdin open, and lays reports out on request. Self-contained (the tool's package is not
importable from that Python) and Python 3.8-compatible (LibreOffice's bundled Python on Windows).

Protocol, one JSON object per line. It first answers ``{"ready": pid}`` (the soffice process,
a process group of its own) or ``{"error": text}``. Then for each request ``{"docx": path,
"pdf": path, "headings": [text, ...]}`` it loads the document once, finds the printed page of
each heading in LibreOffice's layout, writes those numbers into the document's 目录 (the
paragraphs of its table of contents that end in a tab), exports the PDF, and answers
``{"pages": [n or null, ...]}`` or ``{"error": text}``. When stdin closes (the parent ended,
however it ended) it stops soffice and exits.

Usage: python lo_uno.py SOFFICE PROFILE_URL PIPE_NAME TEMP_DIR
"""

import json
import os
import signal
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

START_SECONDS = 120  # soffice must accept connections within this


def _property(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _answer(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _start(soffice, profile, pipe, temp):
    # LibreOffice's own temporary files (lu*.tmp) go to the parent's work folder, removed with it.
    env = dict(os.environ, TMPDIR=temp, TMP=temp, TEMP=temp)
    options = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
               else {"start_new_session": True})
    return subprocess.Popen(
        [soffice, "-env:UserInstallation=" + profile, "--headless", "--invisible", "--nologo",
         "--norestore", "--nodefault", "--nolockcheck", "--accept=pipe,name=%s;urp;" % pipe],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, **options)


def _connect(process, pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            context = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:  # NoConnectException until soffice listens
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(process, desktop):
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:  # the bridge closes as soffice quits
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    if os.name == "nt":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass  # already ended
    process.wait()


def _squeezed(text):
    return "".join(text.split())


def _printed_pages(document, headings):
    """The printed page number of each heading (None where not found), from a table of contents
    LibreOffice makes of the laid-out document at its end and removes again: it numbers the
    pages as the footers do, whatever page styles restart the numbering."""
    text = document.getText()
    scratch = document.createInstance("com.sun.star.text.ContentIndex")
    scratch.CreateFromOutline = True
    scratch.Level = 10
    text.insertTextContent(text.getEnd(), scratch, False)
    try:
        scratch.update()
        lines = [line.rsplit("\t", 1) for line in scratch.getAnchor().getString().splitlines() if "\t" in line]
    finally:
        scratch.dispose()
    pages, found = [], 0
    for heading in map(_squeezed, headings):
        at = next((i for i in range(found, len(lines)) if _squeezed(lines[i][0]) == heading), None)
        if at is None or not lines[at][1].strip().isdigit():
            pages.append(None)
            continue
        pages.append(int(lines[at][1]))
        found = at + 1
    return pages


def _entries(document):
    """The paragraphs of the document's own 目录 (its first table of contents) that end in a
    page number: an entry, a tab, the number (still blank)."""
    indexes = document.getDocumentIndexes()
    if indexes.getCount() == 0:
        return []
    anchor = indexes.getByIndex(0).getAnchor()
    paragraphs = anchor.getText().createTextCursorByRange(anchor).createEnumeration()
    found = []
    while paragraphs.hasMoreElements():
        paragraph = paragraphs.nextElement()
        if "\t" in paragraph.getString():
            found.append(paragraph)
    return found


def _fill(document, entries, pages):
    text = document.getText()
    for paragraph, page in zip(entries, pages):
        tail = paragraph.getString().rsplit("\t", 1)[1]
        cursor = text.createTextCursorByRange(paragraph.getEnd())
        cursor.goLeft(len(tail), True)
        cursor.setString("" if page is None else str(page))


def lay_out(desktop, request):
    url = uno.systemPathToFileUrl(os.path.abspath(request["docx"]))
    document = desktop.loadComponentFromURL(url, "_blank", 0, (_property("Hidden", True),))
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        entries = _entries(document)
        pages = _printed_pages(document, request["headings"])
        for _ in range(3):  # numbers in the 目录 could make it longer and move what follows
            _fill(document, entries, pages)
            again = _printed_pages(document, request["headings"])
            if again == pages:
                break
            pages = again
        document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(request["pdf"])),
                            (_property("FilterName", "writer_pdf_Export"),))
        return pages
    finally:
        document.close(True)


def main(soffice, profile, pipe, temp):
    process = _start(soffice, profile, pipe, temp)
    desktop = None
    try:
        try:
            desktop = _connect(process, pipe)
        except Exception as exc:
            _answer({"error": "LibreOffice did not start: %s" % exc})
            return
        _answer({"ready": process.pid})
        for line in sys.stdin:
            try:
                _answer({"pages": lay_out(desktop, json.loads(line))})
            except Exception as exc:  # one report's failure is answered; the next may succeed
                _answer({"error": "%s: %s" % (type(exc).__name__, exc)})
    finally:
        _stop(process, desktop)


if __name__ == "__main__":
    if os.name != "nt":
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; its stdin closing ends this
    main(*sys.argv[1:5])
