"""Benchmarks of ``disclose build`` on the machine it runs on (not a test: nothing asserts).

    python bench/bench.py [--runs 5]

Measures, as whole processes including Python's start-up, the median wall time of N runs
after one warm-up:
- the 晋城 sample's full build (CLI);
- the floor: the same Python only loading that workbook with openpyxl and saving a .docx of
  the report's size with python-docx;
- synthetic workbooks with 10, 50 and 200 project sheets and 500-row 公开02/03/05 tables,
  made here, to show how the time grows;
and each command's peak memory (Linux/macOS). Prints a table and writes bench/results.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import layout  # noqa: E402
from generator.template_workbook import write_workbook  # noqa: E402

SAMPLE = ROOT / "sample_inputs" / "jincheng-2022.xlsx"
SOURCE = ROOT / "sample_inputs" / "source" / "xinzhou-2022.json"
DISCLOSE = [sys.executable, "-c", "from generator.cli import main; main()"]
TARGETS = {"sample": 1.0, "ratio": 3.0, "200": 10.0, "memory": 300.0}

# Runs a command and reports its peak resident memory (KiB on Linux, bytes on macOS).
_PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
         "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(command: list[str], runs: int) -> tuple[float, float | None]:
    """(median wall seconds over ``runs`` after a warm-up, peak MiB or None)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    peak = None
    if os.name == "posix":
        out = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, check=True)
        raw = int(out.stdout.strip())
        peak = raw / 1024 / 1024 if sys.platform == "darwin" else raw / 1024
    return statistics.median(walls), peak


def floor_command(report: Path, workdir: Path) -> list[str]:
    """Load the workbook with openpyxl and save a .docx whose body is as large as the report's."""
    with zipfile.ZipFile(report) as z:
        size = len(z.read("word/document.xml"))
    script = (
        "import sys; from openpyxl import load_workbook; from docx import Document\n"
        f"load_workbook({str(SAMPLE)!r}, data_only=True)\n"
        "doc = Document()\n"
        f"for _ in range({size // 600}): doc.add_paragraph('决算' * 60)\n"
        f"doc.save({str(workdir / 'floor.docx')!r})\n"
    )
    return [sys.executable, "-c", script]


def _amount(i: int) -> Decimal:
    return Decimal(1000 + (i * 7919) % 90000) + Decimal(i % 100) / 100


def synthetic(projects: int) -> dict:
    """忻州's transcript with ``projects`` 自评表 and 500-row 02/03/05 tables that add up."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    data = copy.deepcopy(source)
    leaves = []
    n = 0
    for code, _ in layout.EXPENSE_CLASSES[:10]:
        for k in range(1, 6):
            for x in range(1, 10):
                n += 1
                leaves.append((f"{code}{k:02d}{x:02d}", _amount(n), _amount(n + 1)))
    rows = {}
    for code, basic, project in leaves:
        for key in (code[:3], code[:5], code):
            b, p = rows.get(key, (Decimal(0), Decimal(0)))
            rows[key] = (b + basic, p + project)
    total_b = sum(b for _, b, _ in leaves)
    total_p = sum(p for _, _, p in leaves)
    total = total_b + total_p
    ordered = sorted(rows)

    def table(cols):
        return [["", "合计", cols(total_b, total_p)]] + [
            [c, f"科目{c}", cols(*rows[c])] for c in ordered]

    data["t02"] = table(lambda b, p: [str(b + p), str(b + p), "", "", "", "", ""])
    data["t03"] = table(lambda b, p: [str(b + p), str(b), str(p), "", "", ""])
    data["t05"] = table(lambda b, p: [str(b + p), str(b), str(p)])
    t01 = {"1": str(total), "27": str(total), "31": str(total), "58": str(total), "62": str(total)}
    t04 = {"1": str(total), "27": str(total), "32": str(total)}
    for i, (code, _) in enumerate(layout.EXPENSE_CLASSES):
        if code in rows:
            value = str(sum(rows[code]))
            t01[str(layout.T01_EXPENSE_FIRST + i)] = value
            t04[str(layout.T04_EXPENSE_FIRST + i)] = [value, value, "", ""]
    t04["59"] = t04["64"] = [str(total), str(total), "", ""]
    data["t01"], data["t04"] = t01, t04
    data["t06"] = {"30101": [str(total), str(total_b)], "301": [str(total), str(total_b)],
                   "人员经费合计": [str(total), str(total_b)], "公用经费合计": ["", ""]}
    data["t07"] = {"预算数": [""] * 6, "决算数": [""] * 6}
    data["t10"] = {}
    data["inputs"]["授予中小企业合同金额"] = data["inputs"]["授予小微企业合同金额"] = "0"
    data["class_budget"] = []
    base = source["projects"]
    data["projects"] = []
    for i in range(projects):
        project = copy.deepcopy(base[i % len(base)])
        project["项目名称"] = f"{project['项目名称']}（{i + 1}）"
        data["projects"].append(project)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs per figure (≥ 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    rows = []
    with tempfile.TemporaryDirectory(prefix="disclose-bench-") as work:
        workdir = Path(work)
        sample_cmd = [*DISCLOSE, "build", str(SAMPLE), "-o", str(workdir / "sample")]
        sample_wall, sample_peak = timed(sample_cmd, runs)
        report = next((workdir / "sample").glob("*.docx"))
        floor_wall, floor_peak = timed(floor_command(report, workdir), runs)
        rows.append(("晋城 sample build (13 projects)", sample_wall, sample_peak))
        rows.append(("floor: openpyxl load + python-docx save", floor_wall, floor_peak))
        sizes = {}
        for projects in (10, 50, 200):
            path = workdir / f"synthetic-{projects}.xlsx"
            write_workbook(synthetic(projects), str(path))
            cmd = [*DISCLOSE, "build", str(path), "-o", str(workdir / f"out{projects}")]
            wall, peak = timed(cmd, runs if projects < 200 else max(3, runs // 2) + 2)
            sizes[projects] = wall
            rows.append((f"synthetic: {projects} projects, 500-row 02/03/05", wall, peak))

    ratio = sample_wall / floor_wall
    peak_max = max((p for _, _, p in rows if p is not None), default=None)
    per_project = (sizes[200] - sizes[10]) / 190
    lines = [
        "# Benchmark results", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        f"Date: {date.today().isoformat()}. Median wall time of {runs} runs after one warm-up, whole "
        "process including Python's start-up; peak = largest resident set of the process.", "",
        "| what | median wall (s) | peak memory (MiB) |", "|---|---:|---:|",
        *[f"| {name} | {wall:.3f} | {'' if peak is None else f'{peak:.0f}'} |" for name, wall, peak in rows],
        "", "## Targets", "",
        f"- Sample build ≤ {TARGETS['sample']} s: **{sample_wall:.3f} s** — "
        f"{'met' if sample_wall <= TARGETS['sample'] else 'missed'}.",
        f"- Sample build ≤ {TARGETS['ratio']:g}× the floor: **{ratio:.2f}×** — "
        f"{'met' if ratio <= TARGETS['ratio'] else 'missed'}.",
        f"- 200 project sheets ≤ {TARGETS['200']:g} s: **{sizes[200]:.3f} s** — "
        f"{'met' if sizes[200] <= TARGETS['200'] else 'missed'}.",
        f"- Linear growth: about {per_project * 1000:.0f} ms per additional project sheet "
        f"(10 → 50 → 200: {sizes[10]:.2f} s, {sizes[50]:.2f} s, {sizes[200]:.2f} s; "
        f"from 50 to 200 the time per sheet is {(sizes[200] - sizes[50]) / 150 * 1000:.0f} ms, "
        f"from 10 to 50 it is {(sizes[50] - sizes[10]) / 40 * 1000:.0f} ms).",
        f"- Peak memory ≤ {TARGETS['memory']:g} MiB: **{peak_max:.0f} MiB** — "
        f"{'met' if peak_max is not None and peak_max <= TARGETS['memory'] else 'missed'}."
        if peak_max is not None else "- Peak memory: not measured on this platform.",
        "",
    ]
    text = "\n".join(lines)
    (ROOT / "bench" / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
