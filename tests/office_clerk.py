"""Do in LibreOffice what a clerk does, through UNO (run with Debian's python3, which has
python3-uno): fill a workbook in Calc — insert rows above the 注 row and paste, type, merge — and
save it as .xlsx and .xls with the values Calc computed; open a report in Writer, update its
fields and 目录 or change a word, and save it again.

    /usr/bin/python3 tests/office_clerk.py SOFFICE JOBS.json

JOBS.json is a list of jobs: {"source": workbook, "ops": [...], "saves": [[path, filter], ...]}.
Each op is a dict with "op" and "sheet":
  paste_rows  — select the row whose column A starts with 注：, insert len(rows) rows above it, and
                paste ``rows`` (lists of values) into them from column A;
  insert_rows — insert ``count`` empty rows above ``row``;
  set         — type ``value`` into ``cell`` (a number, or text when ``text`` is true);
  formula     — type ``formula`` into ``cell``;
  merge       — merge ``range`` as Excel does: only the first cell keeps its content.
A report's ops have no "sheet":
  update      — update every index (the 目录) and field, as Word does on opening;
  replace     — replace the text ``old`` by ``new`` once.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.table.CellContentType import EMPTY


def _props(**values):
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def _connect(soffice: str, profile: str):
    pipe = f"disclose-clerk-{os.getpid()}"
    process = subprocess.Popen([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                                "--invisible", "--norestore", "--nologo", "--nodefault",
                                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            time.sleep(0.5)
    else:
        process.kill()
        raise SystemExit("LibreOffice did not start")
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return process, desktop


def _note_row(sheet) -> int:
    """The 0-based row of the 注： line under the table."""
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    for r in range(cursor.RangeAddress.EndRow + 1):
        if sheet.getCellByPosition(0, r).getString().startswith("注："):
            return r
    raise SystemExit(f"{sheet.Name}: no 注： row")


def _apply(doc, op: dict) -> None:
    kind = op["op"]
    if kind == "update":
        for i in range(doc.DocumentIndexes.Count):
            doc.DocumentIndexes.getByIndex(i).update()
        doc.TextFields.refresh()
        return
    if kind == "replace":
        search = doc.createReplaceDescriptor()
        search.SearchString, search.ReplaceString = op["old"], op["new"]
        found = doc.findFirst(search)
        if found is None:
            raise SystemExit(f"text {op['old']!r} not found")
        found.setString(op["new"])
        return
    sheet = doc.Sheets.getByName(op["sheet"])
    if kind == "paste_rows":
        rows = op["rows"]
        at = _note_row(sheet)
        sheet.Rows.insertByIndex(at, len(rows))
        width = max(len(r) for r in rows)
        data = tuple(tuple("" if v is None else v for v in (list(r) + [""] * width)[:width]) for r in rows)
        sheet.getCellRangeByPosition(0, at, width - 1, at + len(rows) - 1).setDataArray(data)
    elif kind == "insert_rows":
        sheet.Rows.insertByIndex(op["row"] - 1, op["count"])
    elif kind == "set":
        cell = sheet.getCellRangeByName(op["cell"])
        if op.get("text"):
            cell.setString(str(op["value"]))
        else:
            cell.setValue(op["value"])
    elif kind == "formula":
        sheet.getCellRangeByName(op["cell"]).setFormula(op["formula"])
    elif kind == "merge":
        cells = sheet.getCellRangeByName(op["range"])
        address = cells.RangeAddress
        for r in range(address.StartRow, address.EndRow + 1):
            for c in range(address.StartColumn, address.EndColumn + 1):
                cell = sheet.getCellByPosition(c, r)
                if (r, c) != (address.StartRow, address.StartColumn) and cell.Type != EMPTY:
                    cell.setString("")
        cells.merge(True)
    else:
        raise SystemExit(f"unknown op {kind}")


def main(soffice: str, jobs_file: str) -> None:
    jobs = json.loads(Path(jobs_file).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="disclose-clerk-") as profile:
        process, desktop = _connect(soffice, profile)
        try:
            for job in jobs:
                doc = desktop.loadComponentFromURL(Path(job["source"]).resolve().as_uri(), "_blank", 0,
                                                   _props(Hidden=True))
                for op in job["ops"]:
                    _apply(doc, op)
                if doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
                    doc.calculateAll()
                for path, filter_name in job["saves"]:
                    doc.storeToURL(Path(path).resolve().as_uri(), _props(FilterName=filter_name, Overwrite=True))
                doc.close(True)
        finally:
            try:
                desktop.terminate()
            except Exception:  # noqa: BLE001 - the bridge goes down with the office
                pass
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
