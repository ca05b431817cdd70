"""Regenerate sample_inputs/*.xlsx from their transcripts in sample_inputs/source/.

A transcript may be split in several files (``name.json`` plus ``name-*.json``); their
keys are merged. Run from the repository root: ``python sample_inputs/make_samples.py`` (``--check`` compares
instead of writing: the committed workbooks hold what the writer writes).
"""

import json
import pathlib
import sys
import tempfile

from openpyxl import load_workbook

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.catalog import load_format  # noqa: E402
from generator.template_workbook import write_workbook  # noqa: E402


SOURCE = ROOT / "sample_inputs" / "source"


def _values(path: pathlib.Path) -> dict:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in load_workbook(path)}


for main in sorted(SOURCE.glob("*.json")):
    if main.stem.count("-") > 1:
        continue  # a part of another transcript
    data = json.loads(main.read_text(encoding="utf-8"))
    for part in sorted(SOURCE.glob(f"{main.stem}-*.json")):
        for key, value in json.loads(part.read_text(encoding="utf-8")).items():
            if value:
                data[key] = value
    fmt = load_format(data.pop("format", "shanxi"))  # a transcript of another format names it
    target = ROOT / "sample_inputs" / f"{main.stem}.xlsx"
    if "--check" in sys.argv:
        with tempfile.TemporaryDirectory() as work:
            written = pathlib.Path(work) / target.name
            write_workbook(data, str(written), fmt)
            same = _values(target) == _values(written)
        print(target.relative_to(ROOT), "same" if same else "DIFFERENT")
        continue
    write_workbook(data, str(target), fmt)
    print(target.relative_to(ROOT))
