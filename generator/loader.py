"""Open an untrusted workbook file (.xlsx, .xlsm, .xls or .ods) and return its sheets' values.

The file is read into memory once, checked, and only those very bytes are handed to
python-calamine, so nothing can change between the checks and the parse. The checks come first
because the parser trusts the file: an archive that unpacks to gigabytes, XML declaring entities,
a password, or one far cell (calamine builds a dense range from the first to the last cell, so a
single value at XFD1048576 would mean 17 billion cells) are refused with one Chinese line.

Formats are told apart by their content, not their name: WPS and the 决算 software sometimes
save one format under another's extension.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import WorkbookError

# What a 决算 workbook can hold, with room to spare: its tables have a few hundred rows and
# twenty columns; a 1,000-project workbook has 1,000 small sheets.
MAX_ROWS = 20_000
MAX_COLUMNS = 100  # column CV
MAX_CELLS = 20_000_000  # the whole workbook, first to last cell of each sheet
MAX_FILE = 256 * 1024 * 1024
# Limits for an archive (.xlsx, .ods), checked before any XML is parsed.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200  # real workbooks compress 5–20 times
MAX_ENTRIES = 10_000

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .xls, or an encrypted .xlsx
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass
class Sheet:
    title: str
    hidden: str  # "", "hidden" or "veryhidden"
    rows: list[tuple] | None
    uncached: set[str] = field(default_factory=set)  # formulas without a saved result (A1 refs)
    # Every formula (A1 ref → its text with "="; "=" where the file does not spell it: .xls, or a
    # shared formula's copies): the clerk typed a number, the sheet computed these.
    formulas: dict[str, str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, col, last row, col), 1-based
    # Numbers Excel shows as a percentage (A1 ref → decimals shown): 1 in a 0% cell shows 100%.
    percent: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=None)  # a cell reference for every cell read: a few hundred distinct columns
def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _password(path: str) -> WorkbookError:
    return WorkbookError(f"{path}：工作簿设置了打开密码，请在 Excel 中取消密码（文件→信息→保护工作簿）后另存再试")


def _unreadable(path: str, detail: str) -> WorkbookError:
    return WorkbookError(f"{path}：不是可读取的 Excel 工作簿（.xlsx/.xls/.ods），{detail}")


class _Extent:
    """Where a sheet's values reach; refuses a value beyond what a 决算 workbook holds."""

    def __init__(self, path: str):
        self.path = path
        self.cells = 0

    def sheet(self, title: str, rows: int, cols: int, far: tuple[int, int] | None = None) -> None:
        if far is not None:
            r, c = far
            raise WorkbookError(
                f"{title}!{column_letter(c)}{r}：这个单元格超出了决算工作簿的范围（每张工作表最多 {MAX_ROWS} 行、"
                f"{MAX_COLUMNS} 列，即到 {column_letter(MAX_COLUMNS)}{MAX_ROWS}），可能是误输入；"
                "请删除该单元格的内容后保存再试")
        self.cells += rows * cols
        if self.cells > MAX_CELLS:
            raise WorkbookError(f"{self.path}：各工作表合计超过 {MAX_CELLS // 10_000} 万个单元格，"
                                "不像正常的决算工作簿，为安全起见拒绝读取")


def _beyond(row: int, col: int) -> bool:
    return row > MAX_ROWS or col > MAX_COLUMNS


# ---- reading the file -------------------------------------------------------------------

def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as exc:
        raise WorkbookError(f"{path}：无法打开：{exc.strerror}") from None
    if len(data) > MAX_FILE:
        raise WorkbookError(f"{path}：文件超过 {MAX_FILE // 2**20} MB，不像正常的决算工作簿，为安全起见拒绝读取")
    return data


def _archive(path: str, data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(path, "文件可能已损坏或没有下载完整；请用 Excel/WPS 打开后“另存为” .xlsx 再试") from None
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries) or 1
    if len(entries) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or (total > 10 * 2**20 and total / packed > MAX_RATIO):
        raise WorkbookError(f"{path}：文件解压后达 {total // 2**20} MB（压缩比 {total // packed}），"
                            "不像正常的决算工作簿，为安全起见拒绝读取")
    return archive


def _member(path: str, archive: zipfile.ZipFile, name: str) -> bytes:
    """An XML member, refused if it declares a DTD: entities (billion laughs, external files)
    can only be declared there, and no spreadsheet program writes one."""
    try:
        xml = archive.read(name)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise _unreadable(path, f"内容无法解析：{name} {exc}") from None
    text = xml
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:200]:
        text = xml.decode("utf-16", errors="replace").encode()
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        kind = "EntitiesForbidden" if b"<!ENTITY" in text else "DTDForbidden"
        raise WorkbookError(f"{path}：工作簿的 XML 含有实体声明等不安全内容（{kind}），为安全起见拒绝读取")
    return xml


def _kind(path: str, data: bytes) -> tuple[str, object]:
    """("xlsx" | "ods", the archive) or ("xls", the Workbook stream); refuses anything else."""
    if data[:8] == _OLE:
        try:
            streams = _cfb_streams(path, data)
        except WorkbookError:
            if "EncryptedPackage".encode("utf-16-le") not in data:
                raise
            streams = {"EncryptedPackage": b""}  # a damaged directory, but plainly an encrypted .xlsx
        if "EncryptedPackage" in streams:
            raise _password(path)
        stream = streams.get("Workbook") or streams.get("Book")
        if stream is None:
            raise _unreadable(path, "其中没有工作簿数据（Workbook）")
        return "xls", stream
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_a_workbook(path, data)
    archive = _archive(path, data)
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return "xlsx", archive
    if "content.xml" in names and "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIME:
        return "ods", archive
    if "word/document.xml" in names:
        raise WorkbookError(f"{path}：这是 Word 文档，不是 Excel 工作簿；请给出决算公开工作簿（.xlsx、.xls 或 .ods）")
    raise WorkbookError(f"{path}：不是 Excel 工作簿，而是别的文件改了扩展名（可能是别的软件的文件）；"
                        "请用 Excel/WPS 打开真正的决算公开工作簿，“另存为” .xlsx 后再试")


def _not_a_workbook(path: str, data: bytes) -> WorkbookError:
    """Why a file that is neither a Compound File nor a zip archive is no workbook, in the
    clerk's words: the lock file Excel leaves beside an open workbook, a CSV or other text file
    renamed, or a damaged or incomplete download."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith("~$"):
        return WorkbookError(f"{path}：这是 Excel/WPS 打开工作簿时留下的临时文件（文件名以 ~$ 开头），不是工作簿本身；"
                             f"请给出不带 ~$ 的那个文件（{name[2:]}）")
    sample = data[:4096]
    text = next((sample.decode(encoding) for encoding in ("utf-8", "gb18030") if _decodes(sample, encoding)), None)
    if text is not None and "\x00" not in text and text.strip():
        if "<html" in text.lower() or "<table" in text.lower():
            return WorkbookError(f"{path}：这是网页文件改了扩展名，不是 Excel 工作簿；请用 Excel/WPS 打开它，"
                                 "“另存为” .xlsx 工作簿后再试")
        return WorkbookError(f"{path}：这是文本文件（例如 CSV），不是 Excel 工作簿；请用 Excel/WPS 打开它，"
                             "“另存为” .xlsx 工作簿后再试")
    return _unreadable(path, "文件可能已损坏或没有下载完整；请用 Excel/WPS 打开后“另存为” .xlsx 再试")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start > len(data) - 4  # only a character cut at the sample's end
    return True


# ---- .xlsx: one pass over each sheet's XML -------------------------------------------------

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # a namespace prefix: some writers spell <x:c> for <c>
_CELL_AT = re.compile(rb"<" + _P + rb'c r="([A-Z]{1,3})([0-9]{1,7})"')
_ANY_CELL = re.compile(rb"<" + _P + rb"c[\s>/]")
_ROW_R = re.compile(rb'\br="([0-9]+)"')
_CELL_R = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_ROW_TAG = re.compile(rb"<" + _P + rb"row\b([^>]*?)/?>|<" + _P + rb"c\b([^>]*?)(/>|>(.*?)</" + _P + rb"c>)",
                      re.DOTALL)
_HAS_VALUE = re.compile(rb"<" + _P + rb"v>[^<]|<" + _P + rb"t(?:\s[^>]*)?>[^<]|<" + _P + rb"f[\s>]")
_FORMULA = re.compile(rb"<" + _P + rb"f[\s>/]")
_SAVED_VALUE = re.compile(rb"<" + _P + rb"v>[^<]")  # openpyxl writes an empty <v></v> for formulas
_FORMULA_TEXT = re.compile(rb"<" + _P + rb"f(?:\s[^>]*)?>([^<]+)</")


def _xlsx_cells(xml: bytes):
    """(row, col, body) of every cell, placed as a spreadsheet program places them: by its r
    attribute, else after the previous cell (rows likewise)."""
    row, col = 0, 0
    for m in _ROW_TAG.finditer(xml):
        if m.group(1) is not None:
            r = _ROW_R.search(m.group(1) or b"")
            row, col = (int(r.group(1)) if r else row + 1), 0
            continue
        at = _CELL_R.search(m.group(2))
        if at:
            col, row_of_cell = _column_number(at.group(1).decode()), int(at.group(2))
        else:
            col, row_of_cell = col + 1, row
        yield row_of_cell, col, m.group(4) or b""


def _xlsx_sheet(xml: bytes, title: str, extent: _Extent) -> tuple[set[str], dict[str, str]]:
    """Bound the sheet's cells and return its formulas without a saved result, and every formula.

    The usual file (every cell with r first) is bounded from the cell references alone; only a
    sheet that reaches beyond the bounds, or writes cells some other way, is walked cell by cell
    (an empty cell far away only carries a format: calamine skips it, so it is harmless)."""
    refs = _CELL_AT.findall(xml)
    regular = len(refs) == len(_ANY_CELL.findall(xml))
    if regular:
        rows = max((int(r) for _, r in refs), default=0)
        longest = max((c for c, _ in refs), key=lambda c: (len(c), c), default=b"")
        cols = _column_number(longest.decode())
    if not regular or _beyond(rows, cols):
        rows = cols = 0
        for r, c, body in _xlsx_cells(xml):
            if not _HAS_VALUE.search(body):
                continue
            if _beyond(r, c):
                extent.sheet(title, 0, 0, (r, c))
            rows, cols = max(rows, r), max(cols, c)
    extent.sheet(title, rows, cols)
    if not _FORMULA.search(xml):
        return set(), {}
    uncached, formulas = set(), {}
    for r, c, body in _xlsx_cells(xml):
        if _FORMULA.search(body):
            at = f"{column_letter(c)}{r}"
            text = _FORMULA_TEXT.search(body)
            formulas[at] = "=" + (html.unescape(text.group(1).decode("utf-8", "replace")) if text else "")
            if not _SAVED_VALUE.search(body):
                uncached.add(at)
    return uncached, formulas


def _parsed(path: str, archive: zipfile.ZipFile, name: str):
    """An XML member as an element tree (defusedxml, after :func:`_member`'s checks)."""
    from defusedxml.ElementTree import fromstring

    xml = _member(path, archive, name)
    try:
        return fromstring(xml)
    except Exception as exc:  # noqa: BLE001 — any parser failure on an untrusted file is the file's fault
        raise _unreadable(path, f"内容无法解析：{type(exc).__name__} {exc}") from None


def _xlsx_sheet_members(path: str, archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML member, from workbook.xml and its relationships."""
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = _parsed(path, archive, "xl/workbook.xml")
    rels = _parsed(path, archive, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    members = {}
    for sheet in book.iter(f"{ns_main}sheet"):
        target = targets.get(sheet.get(f"{ns_rel}id"), "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        members[sheet.get("name", "")] = re.sub(r"[^/]+/\.\./", "", member)
    return members


def _xlsx_facts(path: str, archive: zipfile.ZipFile,
                want: Callable[[str], bool] | None) -> tuple[dict, dict[str, dict[str, int]]]:
    """Per sheet, (its formulas without a saved result, every formula) and its numbers formatted
    as a percentage (see :class:`Sheet`), each sheet's XML read once."""
    members = _xlsx_sheet_members(path, archive)
    for name in archive.namelist():
        if name.endswith((".xml", ".rels")) and name not in members.values():
            _member(path, archive, name)  # shared strings, styles …: the DTD check only
    styles = _percent_styles(path, archive)
    extent = _Extent(path)
    uncached, percent = {}, {}
    for title, member in members.items():
        if want is not None and not want(title):
            continue
        if member not in archive.namelist():
            continue  # a chart sheet or a broken link: the parser reports what it cannot read
        xml = _member(path, archive, member)
        uncached[title] = _xlsx_sheet(xml, title, extent)  # (without a saved result, every formula)
        if styles and any(int(n) in styles for n in set(_CELL_STYLE.findall(xml))):
            percent[title] = _percent_cells(xml, styles)
    return uncached, percent


_BUILTIN_PERCENT = {9: 0, 10: 2}  # 0% and 0.00%
_CELL_STYLE = re.compile(rb'\bs="([0-9]+)"')
_CELL_TYPE = re.compile(rb'\bt="([a-z]+)"')


def _percent_styles(path: str, archive: zipfile.ZipFile) -> dict[int, int]:
    """Cell style index → decimals, for the styles whose number format is a percentage."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    styles = _parsed(path, archive, "xl/styles.xml")
    formats = dict(_BUILTIN_PERCENT)
    for fmt in styles.iter(f"{ns}numFmt"):
        code = re.sub(r'"[^"]*"|\\.', "", fmt.get("formatCode", ""))
        if "%" in code:
            decimals = re.search(r"0\.(0+)", code)
            formats[int(fmt.get("numFmtId", "-1"))] = len(decimals.group(1)) if decimals else 0
    xfs = next(styles.iter(f"{ns}cellXfs"), None)
    return {i: formats[int(xf.get("numFmtId", "0"))] for i, xf in enumerate(xfs if xfs is not None else ())
            if int(xf.get("numFmtId", "0")) in formats}


def _percent_cells(xml: bytes, styles: dict[int, int]) -> dict[str, int]:
    """A sheet's numbers formatted as a percentage: A1 reference → decimals shown."""
    cells: dict[str, int] = {}
    for m in _ROW_TAG.finditer(xml):
        attrs = m.group(2)
        style = _CELL_STYLE.search(attrs or b"")
        kind = _CELL_TYPE.search(attrs or b"")
        at = _CELL_R.search(attrs or b"")
        if style and at and int(style.group(1)) in styles and (kind is None or kind.group(1) == b"n") \
                and _SAVED_VALUE.search(m.group(4) or b""):
            cells[at.group(1).decode() + at.group(2).decode()] = styles[int(style.group(1))]
    return cells


# ---- .ods: content.xml, with repeated rows and columns -------------------------------------

_ODS_TAG = re.compile(
    rb"<table:table(?=[\s>])([^>]*)>|</table:table>|<table:table-row(?=[\s/>])([^>]*?)/?>|"
    rb"<table:(?:covered-)?table-cell(?=[\s/>])([^>]*?)(/?)>")
_ODS_NAME = re.compile(rb'table:name="([^"]*)"')
_ODS_ROWS = re.compile(rb'table:number-rows-repeated="([0-9]+)"')
_ODS_COLS = re.compile(rb'table:number-columns-repeated="([0-9]+)"')
_ODS_FORMULA = re.compile(rb'table:formula="([^"]*)"')


def _ods_facts(path: str, archive: zipfile.ZipFile) -> dict[str, tuple[set[str], dict[str, str]]]:
    """Bound every table of content.xml (a repeat count makes one element many cells) and
    find its formulas, and those without a value. LibreOffice always stores a formula's result;
    another writer may not, and such a cell must not read as empty."""
    for name in archive.namelist():
        if name.endswith(".xml"):
            _member(path, archive, name)
    xml = archive.read("content.xml")
    extent = _Extent(path)
    uncached: dict[str, tuple[set[str], dict[str, str]]] = {}
    title = None
    next_row = first_row = last_row = col = rows = cols = 0
    for m in _ODS_TAG.finditer(xml):
        token = m.group(0)
        if token.startswith(b"</table:table>"):
            if title is not None:
                extent.sheet(title, rows, cols)
            title = None
        elif m.group(1) is not None:
            found = _ODS_NAME.search(m.group(1))
            title = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
            uncached[title] = (set(), {})
            next_row = 1
            rows = cols = 0
        elif m.group(2) is not None:
            n = _ODS_ROWS.search(m.group(2))
            first_row, last_row = next_row, next_row + (int(n.group(1)) if n else 1) - 1
            next_row, col = last_row + 1, 0
        elif title is not None:
            attrs = m.group(3)
            n = _ODS_COLS.search(attrs)
            first_col, col = col + 1, col + (int(n.group(1)) if n else 1)
            if b"office:value-type=" not in attrs and m.group(4) == b"/":
                continue  # empty (a format at most)
            if _beyond(last_row, col):
                extent.sheet(title, 0, 0, (max(first_row, min(last_row, MAX_ROWS + 1)),
                                           max(first_col, min(col, MAX_COLUMNS + 1))))
            rows, cols = max(rows, last_row), max(cols, col)
            formula = _ODS_FORMULA.search(attrs)
            if formula:
                cells = [f"{column_letter(c)}{r}" for r in range(first_row, last_row + 1)
                         for c in range(first_col, col + 1)]
                text = html.unescape(formula.group(1).decode("utf-8", "replace"))
                uncached[title][1].update((cell, "=" + text.split("=", 1)[-1]) for cell in cells)
                if b"office:value-type=" not in attrs:
                    uncached[title][0].update(cells)
    return uncached


# ---- .xls: the Workbook stream of a Compound File -----------------------------------------

_END_OF_CHAIN = 0xFFFFFFFA  # ≥ this: end of chain, free, FAT or DIFAT sector


def _cfb_streams(path: str, data: bytes) -> dict[str, bytes]:
    """The top-level streams of a Compound File (what an .xls or an encrypted .xlsx is), by
    name. Every chain is bounded by the file's sector count, so a looping chain cannot hang."""
    bad = _unreadable(path, "文件可能已损坏或不完整（OLE 结构无效）")
    if len(data) < 512:
        raise bad
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise bad
    size = 1 << shift
    n_fat, dir_start = struct.unpack_from("<II", data, 0x2C)
    cutoff, minifat_start, _, difat_next, n_difat = struct.unpack_from("<IIIII", data, 0x38)
    n_sectors = max(0, (len(data) - size) // size)

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise bad
        return data[(i + 1) * size:(i + 2) * size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    for _ in range(min(n_difat, n_sectors)):
        if difat_next >= _END_OF_CHAIN:
            break
        entries = struct.unpack(f"<{size // 4}I", sector(difat_next))
        difat += entries[:-1]
        difat_next = entries[-1]
    fat: list[int] = []
    for s in difat[:min(n_fat, n_sectors)]:
        if s < _END_OF_CHAIN:
            fat += struct.unpack(f"<{size // 4}I", sector(s))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out = []
        while start < _END_OF_CHAIN:
            if start >= len(table) or len(out) > limit:
                raise bad
            out.append(start)
            start = table[start]
        return out

    def read(start: int) -> bytes:
        return b"".join(sector(s) for s in chain(start, fat, n_sectors))

    directory = read(dir_start)
    if len(directory) < 128:
        raise bad
    minifat_bytes = read(minifat_start) if minifat_start < _END_OF_CHAIN else b""
    minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes[: len(minifat_bytes) // 4 * 4]))
    root_start = struct.unpack_from("<I", directory, 116)[0]
    mini_stream = None
    streams = {}
    for at in range(0, len(directory) - 127, 128):
        name_len, kind = struct.unpack_from("<HB", directory, at + 64)
        if kind != 2 or not 2 <= name_len <= 64:
            continue
        name = directory[at:at + name_len - 2].decode("utf-16-le", errors="replace")
        start, length = struct.unpack_from("<II", directory, at + 116)
        if name not in ("Workbook", "Book", "EncryptedPackage"):
            continue
        if length < cutoff:
            if mini_stream is None:
                mini_stream = read(root_start) if root_start < _END_OF_CHAIN else b""
            blocks = chain(start, minifat, len(minifat))
            streams[name] = b"".join(mini_stream[b * 64:(b + 1) * 64] for b in blocks)[:length]
        else:
            streams[name] = read(start)[:length]
    return streams


# BIFF record types that place a cell at (row, col) in their first four bytes.
_BIFF_VALUES = {0x0006, 0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x00BD}
_BIFF_BLANKS = {0x0201, 0x00BE}  # formats only, counted too: no telling whether a reader skips them
_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _MULRK, _MULBLANK = 0x0809, 0x000A, 0x0085, 0x002F, 0x00BD, 0x00BE
_FORMULA_RECORD = 0x0006


def _xls_facts(path: str, stream: bytes) -> dict[str, tuple[set[str], dict[str, str]]]:
    """Bound every sheet of a BIFF5/8 stream and find its formulas (where, not what: their
    text is compiled); refuse an encrypted one. An .xls formula always carries its saved
    result, so there is nothing uncalculated to find."""
    extent = _Extent(path)
    formulas: dict[str, dict[str, str]] = {}
    names: dict[int, str] = {}
    open_streams: list[list] = []  # [title, rows, cols]: a sheet, or a chart nested in one
    biff8 = True
    pos = 0
    while pos + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        if rtype == _BOF:
            if not open_streams and not names and len(body) >= 2:
                biff8 = struct.unpack_from("<H", body)[0] == 0x0600
            enclosing = open_streams[-1][0] if open_streams else None
            open_streams.append([names.get(pos, enclosing), 0, 0])
        elif rtype == _EOF and open_streams:
            title, rows, cols = open_streams.pop()
            if open_streams and open_streams[-1][0] == title:  # a chart inside the sheet
                open_streams[-1][1:] = max(open_streams[-1][1], rows), max(open_streams[-1][2], cols)
            elif title is not None:
                extent.sheet(title, rows, cols)
        elif rtype == _FILEPASS:
            raise _password(path)
        elif rtype == _BOUNDSHEET and len(body) >= 8:
            offset, count = struct.unpack_from("<I", body)[0], body[6]
            if biff8:
                wide = body[7] & 1
                names[offset] = body[8:8 + count * (2 if wide else 1)].decode(
                    "utf-16-le" if wide else "latin-1", errors="replace")
            else:
                names[offset] = body[7:7 + count].decode("gbk", errors="replace")
        elif (rtype in _BIFF_VALUES or rtype in _BIFF_BLANKS) and length >= 4 and open_streams \
                and open_streams[-1][0] is not None:
            sheet = open_streams[-1]
            row, col = struct.unpack_from("<HH", body)
            last = struct.unpack_from("<H", body, length - 2)[0] if rtype in (_MULRK, _MULBLANK) else col
            row, col, last = row + 1, col + 1, max(col, last) + 1
            if _beyond(row, last):
                extent.sheet(sheet[0], 0, 0, (row, max(col, min(last, MAX_COLUMNS + 1))))
            sheet[1], sheet[2] = max(sheet[1], row), max(sheet[2], last)
            if rtype == _FORMULA_RECORD:
                formulas.setdefault(sheet[0], {})[f"{column_letter(col)}{row}"] = "="
        pos += 4 + length
    return {title: (set(), cells) for title, cells in formulas.items()}


# ---- the sheets -----------------------------------------------------------------------------

def _visibility(meta) -> str:
    name = str(meta.visible).rsplit(".", 1)[-1].lower()
    return "" if name == "visible" else name


def _cell(value: object) -> object:
    # As openpyxl read them, and as the reader has always seen them: empty is None, and a
    # whole number stored as a binary float is an int (so 1.0 reads as the 栏次 "1").
    if value == "":
        return None
    if type(value) is float and value.is_integer() and -1e15 < value < 1e15:
        return int(value)
    return value


def load(path: str, want: Callable[[str], bool] | None = None) -> list[Sheet]:
    """Every worksheet of ``path`` in workbook order, values as the reader expects them; only
    the sheets whose title ``want`` accepts are read (the others have ``rows`` None). Raises
    :class:`WorkbookError` for an unsafe or unreadable file."""
    data = _read(path)
    kind, container = _kind(path, data)
    from python_calamine import CalamineWorkbook

    # The checks come before calamine opens the file: it parses all of an .ods or .xls at once.
    percent: dict[str, dict[str, int]] = {}
    if kind == "xlsx":
        uncached, percent = _xlsx_facts(path, container, want)
    elif kind == "ods":
        uncached = _ods_facts(path, container)
    else:
        uncached = _xls_facts(path, container)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            metas = [m for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
            sheets = []
            for meta in metas:
                rows, merges = None, []
                if want is None or want(meta.name):
                    sheet = book.get_sheet_by_name(meta.name)
                    rows = [tuple(_cell(v) for v in row) for row in sheet.to_python(skip_empty_area=False)]
                    merges = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()]
                missing, formulas = uncached.get(meta.name, (set(), {}))
                sheets.append(Sheet(meta.name, _visibility(meta), rows, missing, formulas=formulas, merges=merges,
                                    percent=percent.get(meta.name, {})))
        finally:
            book.close()
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 — any parser failure on an untrusted file is the file's fault
        raise parse_failure(path, exc) from None
    return sheets


def parse_failure(path: str, exc: BaseException) -> WorkbookError:
    """One line saying why an untrusted file could not be parsed."""
    root = exc
    while root.__cause__ or root.__context__:
        root = root.__cause__ or root.__context__
    if type(root).__name__ == "PasswordError":
        return _password(path)
    detail = str(root).strip().splitlines()[0] if str(root).strip() else ""
    return _unreadable(path, f"内容无法解析：{type(root).__name__} {detail}")
