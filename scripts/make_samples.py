"""Regenerate sample_inputs/*.xlsx from their transcripts in sample_inputs/source/.

A transcript may be split in several files (``name.json`` plus ``name-*.json``); their
keys are merged. Run from the repository root: ``python scripts/make_samples.py``.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.template_workbook import write_workbook  # noqa: E402

SOURCE = ROOT / "sample_inputs" / "source"

for main in sorted(SOURCE.glob("*.json")):
    if main.stem.count("-") > 1:
        continue  # a part of another transcript
    data = json.loads(main.read_text(encoding="utf-8"))
    for part in sorted(SOURCE.glob(f"{main.stem}-*.json")):
        for key, value in json.loads(part.read_text(encoding="utf-8")).items():
            if value:
                data[key] = value
    target = ROOT / "sample_inputs" / f"{main.stem}.xlsx"
    write_workbook(data, str(target))
    print(target.relative_to(ROOT))
