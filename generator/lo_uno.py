"""Runs in LibreOffice's own Python (the one that can ``import uno``), not in the tool's: it
starts one ``soffice``, holds it for as long as its parent (:class:`generator.pdf.Office`) keeps
its stdin open, and lays reports out on request. Self-contained (the tool's package is not
importable from that Python) and Python 3.8-compatible (LibreOffice's bundled Python on Windows).

The layout itself runs inside soffice: this file is copied into the private profile's
``Scripts/python`` folder and :func:`lay_out_here` is called through LibreOffice's Python script
provider, so that its thousands of calls on the document are in-process calls, not round trips
over the pipe, made in soffice's main thread (see :func:`_on_main_thread`). Where the script
provider is not installed (Debian's ``libreoffice-script-provider-python``) the same code drives
the document over the pipe.

Protocol, one JSON object per line. It first answers ``{"ready": pid, "inside": bool, "why":
text or null}`` (the soffice process, a process group of its own; whether the layout runs inside
it, and if not, why) or ``{"error": text}``. Then for each request ``{"docx": path,
"pdf": path, "headings": [text, ...]}`` it loads the document once, fits its tables, finds the
printed page of each heading in LibreOffice's layout and writes those numbers into the
document's 目录 (the paragraphs of its table of contents that end in a tab), and answers
``{"pages": [n or null, ...], "fixes": [...]}``; then it exports the PDF and answers
``{"exported": true}``. Either step may answer ``{"error": text}`` instead (after an error in the
first, there is no second answer). When stdin closes (the parent ended,
however it ended) it stops soffice and exits.

Usage: python lo_uno.py SOFFICE PROFILE_URL PIPE_NAME TEMP_DIR [in-process|pipe]
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import uno
import unohelper
from com.sun.star.awt import XCallback
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
    # The Python inside soffice (its script provider's; Debian's is the system's) finds its
    # standard library by the first python3 on the PATH: that must be this one (the Python
    # LibreOffice goes with), not a virtualenv's or pyenv's of another build, which it could not
    # start with ("can't import __main__ module").
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
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
            return context, context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:  # NoConnectException until soffice listens
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


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
        document.getCurrentController().getPropertyValue("PageCount")  # laid out completely first
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


# ---- tables fitted to the pages ----------------------------------------------------------------

TAIL = 0.2  # a page holding only a table's tail (its last rows and notes) holds at least this share
SMALLER = (0.9, 0.8)  # the scales of a table's text tried, to take in a short tail


def _blocks(document):
    """Each body table, in document order (as a .docx lists its tables), with the paragraphs
    that follow it up to the next table, heading or page break (its notes), whether it
    continues a table before it (nothing but blank paragraphs between), the blank paragraph
    just before it, if any (where a page break before it goes), and the paragraph just before
    it (None after a table)."""
    blocks, current, after_table, blank, previous = [], None, False, None, None
    elements = document.getText().createEnumeration()
    while elements.hasMoreElements():
        element = elements.nextElement()
        if element.supportsService("com.sun.star.text.TextTable"):
            current = (element, [], after_table, blank, previous)
            blocks.append(current)
            after_table, blank, previous = True, None, None
            continue
        previous = element
        if not after_table and current is None:
            blank = None
            continue
        text = element.getString().strip()
        blank = None if text else element
        after_table = after_table and not text
        if current is not None:
            level, kind, page_style = element.getPropertyValues(("OutlineLevel", "BreakType", "PageDescName"))
            if level or page_style or kind.value != "NONE":
                current = None
            elif text:
                current[1].append(element)
    return blocks


def _rows(table):
    """The name of the last cell of each row (… I1, A2, B2 …: merged cells leave gaps); the last
    is the one least often merged with the rows below."""
    last = {}
    for name in table.getCellNames():
        last[int("".join(ch for ch in name if ch.isdigit()))] = name
    return [last[row] for row in sorted(last)]


class _Pages:
    """Where things fall in the layout: the page, and the share of its body above a point."""

    def __init__(self, document):
        self.controller = document.getCurrentController()
        self.cursor = self.controller.getViewCursor()
        self.styles = document.getStyleFamilies().getByName("PageStyles")
        self.changed = True  # since the document was last laid out completely

    def at(self, text_range):
        # The top of the page is looked up each time, not kept: the pages before it move while
        # LibreOffice goes on laying the document out, and when a table is moved or fitted.
        self.cursor.gotoRange(text_range, False)
        page, y = self.cursor.getPage(), self.cursor.getPosition().Y
        self.cursor.jumpToPage(page)
        self.cursor.jumpToStartOfPage()
        style = self.styles.getByName(self.cursor.PageStyleName)
        body = style.Height - style.TopMargin - style.BottomMargin
        body -= (style.HeaderHeight if style.HeaderIsOn else 0) + (style.FooterHeight if style.FooterIsOn else 0)
        return page, (y - self.cursor.getPosition().Y) / body

    def settle(self):
        """Lay the whole document out, now, if it changed since it was last: LibreOffice lays out
        lazily, also while it is being measured, and a table not yet laid out to its end can
        show its rows where they will not stay. (Its view's page count is counted once the
        document is laid out completely.)"""
        if self.changed:
            self.controller.getPropertyValue("PageCount")
            self.changed = False


def _span(pages, table, notes, rows, first_row, before):
    """(first page, share of it above the table, last page, share of it above the block's end),
    once the layout is settled. The table's first page is that of its row ``first_row`` (the
    first one not repeated as a heading: the view cursor may go into a repeated copy of a
    heading row), and the share above it is where the paragraph ``before`` it ends, if that is
    on the same page."""
    end_of_block = (notes[-1] if notes else table.getCellByName(rows[-1]).getText()).getEnd()
    pages.settle()
    first, start = pages.at(table.getCellByName(rows[first_row]).getStart())
    if before is not None:
        page, share = pages.at(before.getEnd())
        start = share if page == first else 0.0
    last, end = pages.at(end_of_block)
    return first, start, last, end


_SIZES = ("CharHeight", "CharHeightAsian", "ParaLineSpacing")


def _scaled(table, factor, original):
    """Every paragraph of ``table`` at ``factor`` of its ``original`` size (rounded to half points,
    as a .docx holds it) and exact line height; ``original`` is filled on the first call. The
    whole table at once where all its cells are alike (one call), else paragraph by paragraph."""
    if not original:
        whole = table.createCursorByCellName(table.getCellNames()[0])
        whole.gotoEnd(True)
        values = tuple(whole.getPropertyValue(name) for name in _SIZES)
        if None not in values:
            original.append((whole, values))
        else:
            for name in table.getCellNames():
                paragraphs = table.getCellByName(name).getText().createEnumeration()
                while paragraphs.hasMoreElements():
                    paragraph = paragraphs.nextElement()
                    original.append((paragraph, paragraph.getPropertyValues(_SIZES)))
    for target, (size, asian, spacing) in original:
        names = ["CharHeight", "CharHeightAsian"]
        values = [round(size * factor * 2) / 2, round(asian * factor * 2) / 2]  # float-ok: points
        if spacing.Mode == 3:  # FIX: an exact height, in 1/100 mm
            names.append("ParaLineSpacing")
            values.append(type(spacing)(3, round(spacing.Height * factor)))  # float-ok
        if target.supportsService("com.sun.star.text.Paragraph"):
            target.setPropertyValues(tuple(names), tuple(values))  # one change to lay out, not three
        else:  # the table's cursor
            for name, value in zip(names, values):
                target.setPropertyValue(name, value)


# Marks that may follow a last character on its line without making it less alone.
_TRAILING = set("，。、；：！？）)】」』”’%％,.;:!?")
CLOSER = (-4, -8, -12, -16, -20)  # character spacing tried, in twips (a .docx's w:spacing)
# A figure's column is fitted so that it never wraps: smaller, it stays on its one line.
_FIGURE = re.compile(r"[-+−]?[\d,，.]+%?")


def _alone(line):
    """Whether a line holds one character (and perhaps a mark after it)."""
    letters = [ch for ch in line.strip() if ch not in _TRAILING]
    return len(letters) == 1


def _last_line(cursor, paragraph):
    """The text of the last line of ``paragraph`` as laid out (the view cursor finds where it
    starts; its own selection does not work in table cells)."""
    cursor.gotoRange(paragraph.getEnd(), False)
    cursor.gotoStartOfLine(False)
    line = paragraph.getText().createTextCursorByRange(cursor.getStart())
    line.gotoRange(paragraph.getEnd(), True)
    return line.getString()


def _set_closer(pages, table, index, done):
    """Set the text of a paragraph of ``table`` whose last line holds a single character closer
    (as little as takes it in, down to ``CLOSER[-1]``), or else further apart, so that more
    than one character goes onto its last line without a line more (the same height): smaller
    text wraps anew. Each one set is ``[index, "closer", its number among the table's
    paragraphs with text, twips]``."""
    number = -1
    for name in table.getCellNames():
        paragraphs = table.getCellByName(name).getText().createEnumeration()
        while paragraphs.hasMoreElements():
            paragraph = paragraphs.nextElement()
            text = paragraph.getString()
            if not text.strip():
                continue
            number += 1
            if len(text.strip()) <= 2 or _FIGURE.fullmatch(text.strip()):
                continue
            line = _last_line(pages.cursor, paragraph)
            if len(line) >= len(text) or not _alone(line):
                continue
            pages.cursor.gotoRange(paragraph.getEnd(), False)
            bottom = pages.cursor.getPosition().Y
            kerning = paragraph.getPropertyValue("CharKerning") or 0  # the .docx's own, if any
            own = round(kerning * 72 / 127)  # float-ok: back in twips, as the .docx has it
            pages.changed = True
            for twips in CLOSER + tuple(-step for step in CLOSER):
                # As LibreOffice reads the .docx's spacing then: a closer fit is at the very edge.
                paragraph.setPropertyValue("CharKerning", round((own + twips) * 127 / 72))  # float-ok: 1/100 mm
                line = _last_line(pages.cursor, paragraph)
                if (len(line) >= len(text) or not _alone(line)) and (
                        twips < 0 or pages.cursor.getPosition().Y == bottom):
                    done.append([index, "closer", number, twips])
                    break
            else:  # no spacing takes it in
                paragraph.setPropertyValue("CharKerning", kerning)


def fit_tables(document):
    """Move or fit the tables whose layout a clerk would not publish; returns what was done,
    ``[[index of the table among the body's tables, "break" | "scale", factor], …]``:
    a table whose first page holds only its header and one row starts on the next page
    ("break"); a table whose last page holds only its tail (its last rows and notes, under a
    fifth of the page) starts on that page if it continues a table before it (the last part of
    a form, as a 自评表's 偏差原因 rows: "break"), else its text is made smaller (down to the
    smallest of ``SMALLER``) if that takes the tail in ("scale"), else it starts on the next page
    if its tail is long enough then ("break"); a table on two pages that
    would fit on the first with its text made smaller is kept on it so ("scale"). In a table
    made smaller, a paragraph that wraps anew to leave one character on its last line is set
    closer ("closer", see :func:`_set_closer`)."""
    from com.sun.star.style.BreakType import PAGE_BEFORE

    pages = _Pages(document)
    done = []
    for index, (table, notes, continued, blank, previous) in enumerate(_blocks(document)):
        def page_break(breaking=blank if blank is not None else table, index=index):
            breaking.BreakType = PAGE_BEFORE  # .docx: a page break before that paragraph
            pages.changed = True
            done.append([index, "break", 1])

        rows = _rows(table)
        header = table.HeaderRowCount if table.RepeatHeadline else 0
        body = min(header, len(rows) - 1)  # its first row not repeated on the pages it goes on to
        first, start, last, end = _span(pages, table, notes, rows, body, previous)
        if first == last:
            continue
        second = table.getCellByName(rows[min(body + 1, len(rows) - 1)]).getStart()
        if len(rows) > header + 2 and start > 0.05 and pages.at(second)[0] > first:
            page_break()
            first, start, last, end = _span(pages, table, notes, rows, body, previous)
        if first == last:
            continue
        tail = end < TAIL
        if tail and continued and start > 0.05:  # the rest of a form: on a page of its own with its notes
            page_break()
            continue
        if not tail and last > first + 1:
            continue  # a long table ending on a good part of its last page
        # Its height in pages; made smaller by a factor it is a little taller than that factor of
        # it (the cells' margins stay): the largest factor that could save its last page is
        # tried first.
        height, pages_before = (1 - start) + (last - first - 1) + end, last
        fitting = [factor for factor in SMALLER if start + height * factor <= last - first]
        if not (tail or fitting):
            continue
        original = []
        for factor in fitting or SMALLER:
            _scaled(table, factor, original)
            pages.changed = True
            first, start, last, end = _span(pages, table, notes, rows, body, previous)
            if last < pages_before:
                done.append([index, "scale", factor])
                _set_closer(pages, table, index, done)
                break
        else:  # smaller text would not save the page: left as it was, and started on a page
            _scaled(table, 1, original)  # of its own if its tail is long enough there
            pages.changed = True
            if tail and start > 0.05 and height % 1 >= TAIL:
                page_break()
    return done


_LAID_OUT = []  # the document laid out by lay_out() and not yet exported by export()


def lay_out(desktop, request):
    """Load the report, fit its tables, find its headings' pages and write them into its 目录;
    the document stays open for :func:`export`."""
    while _LAID_OUT:  # one a previous request failed to export
        _LAID_OUT.pop().close(True)
    url = uno.systemPathToFileUrl(os.path.abspath(request["docx"]))
    document = desktop.loadComponentFromURL(url, "_blank", 0, (_property("Hidden", True),))
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        fixes = fit_tables(document)
        entries = _entries(document)
        pages = _printed_pages(document, request["headings"])
        for _ in range(3):  # numbers in the 目录 could make it longer and move what follows
            _fill(document, entries, pages)
            again = _printed_pages(document, request["headings"])
            if again == pages:
                break
            pages = again
    except BaseException:
        document.close(True)
        raise
    _LAID_OUT.append(document)
    return {"pages": pages, "fixes": fixes}


def export(request):
    """Export the document :func:`lay_out` left open to the PDF the request names, and close it."""
    document = _LAID_OUT.pop()
    try:
        document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(request["pdf"])),
                            (_property("FilterName", "writer_pdf_Export"),))
    finally:
        document.close(True)
    return {"exported": True}


class _Call(unohelper.Base, XCallback):
    """A function that LibreOffice's main thread calls back (see :func:`_on_main_thread`)."""

    def __init__(self, function):
        self.function, self.done, self.result, self.error = function, threading.Event(), None, None

    def notify(self, data):
        try:
            self.result = self.function()
        except BaseException as exc:  # raised again in the thread that waits for it
            self.error = exc
        finally:
            self.done.set()


def _on_main_thread(function):
    """``function()`` run by soffice's main thread, which meanwhile does nothing else. A script
    is called in a thread of its own, and every call it makes on the document then waits for
    the main thread to let go of the document and takes it back: run in the main thread, the
    layout takes half the time, and no layout is done in the background between two of its
    measurements."""
    context = XSCRIPTCONTEXT.getComponentContext()  # noqa: F821 (the script provider's global)
    call = _Call(function)
    context.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", context).addCallback(call, None)
    call.done.wait()
    if call.error is not None:
        raise call.error
    return call.result


def lay_out_here(request):
    """:func:`lay_out` run inside soffice by its script provider: a JSON request in, a JSON answer out."""
    desktop = XSCRIPTCONTEXT.getDesktop()  # noqa: F821
    return json.dumps(_on_main_thread(lambda: lay_out(desktop, json.loads(request))))


def export_here(request):
    """:func:`export` run inside soffice."""
    return json.dumps(_on_main_thread(lambda: export(json.loads(request))))


_SCRIPT = "vnd.sun.star.script:%s$%s?language=Python&location=user"


def _in_process(context, profile):
    """The two steps run inside soffice (this file, copied into the profile), as functions of a
    request line that answer a JSON text, and why not (None, the reason) when LibreOffice has no
    usable Python script provider."""
    folder = os.path.join(uno.fileUrlToSystemPath(profile), "user", "Scripts", "python")
    name = os.path.basename(__file__)
    try:
        os.makedirs(folder, exist_ok=True)
        with open(__file__, "rb") as source, open(os.path.join(folder, name), "wb") as copy:
            copy.write(source.read())
        factory = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", context)
        provider = factory.createScriptProvider("")
        scripts = [provider.getScript(_SCRIPT % (name, step)) for step in ("lay_out_here", "export_here")]
    except Exception as exc:  # the layout is then driven over the pipe
        return None, "%s: %s" % (type(exc).__name__, exc)
    return [lambda line, script=script: json.loads(script.invoke((line,), (), ())[0]) for script in scripts], None


def main(soffice, profile, pipe, temp, where="in-process"):
    process = _start(soffice, profile, pipe, temp)
    desktop = None
    try:
        try:
            context, desktop = _connect(process, pipe)
        except Exception as exc:
            _answer({"error": "LibreOffice did not start: %s" % exc})
            return
        inside, why = _in_process(context, profile) if where == "in-process" else (None, where)
        steps = inside or [lambda line: lay_out(desktop, json.loads(line)), lambda line: export(json.loads(line))]
        _answer({"ready": process.pid, "inside": bool(inside), "why": why})
        for line in sys.stdin:
            for step in steps:  # the parent rewrites the .docx while the PDF is exported
                try:
                    _answer(step(line))
                except Exception as exc:  # one report's failure is answered; the next may succeed
                    _answer({"error": "%s: %s" % (type(exc).__name__, exc)})
                    break
    finally:
        _stop(process, desktop)


if __name__ == "__main__":
    if os.name != "nt":
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; its stdin closing ends this
    main(*sys.argv[1:6])
