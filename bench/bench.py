"""Benchmarks of ``disclose`` on the machine it runs on (not a test: nothing asserts).

    python bench/bench.py [--runs 5]

Measures, as whole processes including Python's start-up, the median wall time of N runs
after one warm-up, all in one run so that the ratios hold while the machine's speed drifts:
- the 晋城 sample's full build (CLI) from its .xlsx, and from .xls and .ods copies saved by
  LibreOffice Calc (skipped without LibreOffice);
- the floor: the same Python only loading that workbook with openpyxl and saving a
  600-paragraph .docx with python-docx; every build is also given as its ratio to the floor;
- ``disclose --version`` against ``python -c "import click"``;
- synthetic workbooks with 10, 200 and 1,000 project sheets and 500-row 公开02/03/05 tables,
  made here, to show how the time grows;
- with LibreOffice: ``build --pdf`` of the 晋城 sample against its .docx build plus one cold
  ``soffice --convert-to pdf`` of the same .docx (fresh profile), run in turn so that the ratio
  holds while the machine drifts; and a batch of 8 workbooks ``--pdf -j 2``, its wall time per
  report against that one cold conversion;
and each command's peak memory (Linux/macOS). Prints a table and writes bench/results.md.
Byte-code is written and used, as in an installed tool (PYTHONDONTWRITEBYTECODE is unset).
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
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.catalog import load_format  # noqa: E402
from generator.formats.shanxi.tables import EXPENSE_CLASSES, T01, T04  # noqa: E402
from generator.template_workbook import write_workbook  # noqa: E402

SAMPLE = ROOT / "sample_inputs" / "jincheng-2022.xlsx"
SOURCE = ROOT / "sample_inputs" / "source" / "xinzhou-2022.json"
DISCLOSE = [sys.executable, "-c", "from generator.cli import main; main()"]
TARGETS = {"sample": 0.35, "ratio": 1.0, "version": 3.0, "1000": 10.0, "memory": 300.0, "pdf": 1.2, "batch": 0.6}
WEB_SECTION = "## Web page (disclose serve)"  # written by bench/serve.py, kept here
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

# Runs a command and reports its peak resident memory (KiB on Linux, bytes on macOS).
_PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
         "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(command: list[str], runs: int) -> tuple[float, float | None]:
    """(median wall seconds over ``runs`` after a warm-up, peak MiB or None)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)
        walls.append(time.perf_counter() - start)
    peak = None
    if os.name == "posix":
        out = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, check=True,
                             env=ENV)
        raw = int(out.stdout.strip())
        peak = raw / 1024 / 1024 if sys.platform == "darwin" else raw / 1024
    return statistics.median(walls), peak


def floor_command(workdir: Path) -> list[str]:
    """Load the workbook with openpyxl and save a 600-paragraph .docx with python-docx."""
    script = (
        "from openpyxl import load_workbook; from docx import Document\n"
        f"load_workbook({str(SAMPLE)!r}, data_only=True)\n"
        "doc = Document()\n"
        "for _ in range(600): doc.add_paragraph('决算' * 60)\n"
        f"doc.save({str(workdir / 'floor.docx')!r})\n"
    )
    return [sys.executable, "-c", script]


def saved_as(fmt: str, workdir: Path) -> Path | None:
    """The sample saved by LibreOffice Calc as ``fmt``; None without LibreOffice."""
    from generator.pdf import convert_files, find_soffice

    soffice = find_soffice()
    if soffice is None:
        return None
    convert_files(soffice, [SAMPLE], fmt, workdir)
    made = workdir / f"{SAMPLE.stem}.{fmt}"
    return made if made.exists() else None


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - start


def pdf_figures(workdir: Path, runs: int) -> dict | None:
    """Medians of: ``build --pdf`` of the sample, its .docx build, one cold conversion of that
    .docx, and a batch of 8 workbooks with --pdf -j 2 (None without LibreOffice)."""
    import shutil

    from generator.pdf import find_soffice

    soffice = find_soffice()
    if soffice is None:
        return None
    docx_out, pdf_out = workdir / "docx", workdir / "pdf"
    build_docx = [*DISCLOSE, "build", str(SAMPLE), "-o", str(docx_out)]
    build_pdf = [*DISCLOSE, "build", str(SAMPLE), "-o", str(pdf_out), "--pdf"]
    subprocess.run(build_docx, stdout=subprocess.DEVNULL, check=True, env=ENV)
    [report] = docx_out.glob("*.docx")

    def cold() -> float:
        with tempfile.TemporaryDirectory(prefix="disclose-bench-lo-") as profile:
            return _wall([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                          "--convert-to", "pdf", "--outdir", str(workdir / "cold"), str(report)])

    folder = workdir / "batch"
    folder.mkdir()
    for i in range(4):
        shutil.copy(SAMPLE, folder / f"jincheng-{i}.xlsx")
        shutil.copy(SAMPLE.with_name("xinzhou-2022.xlsx"), folder / f"xinzhou-{i}.xlsx")
    batch = [*DISCLOSE, "build", str(folder), "-o", str(workdir / "batch-out"), "--pdf", "-j", "2"]
    _wall(build_pdf), cold(), _wall(batch)  # warm-up
    figures = {"pdf": [], "docx": [], "cold": [], "batch": []}
    for _ in range(runs):  # in turn: each run's figures are taken at the same speed of the machine
        figures["pdf"].append(_wall(build_pdf))
        figures["docx"].append(_wall(build_docx))
        figures["cold"].append(cold())
    for _ in range(max(3, runs // 2)):
        figures["batch"].append(_wall(batch))
        figures["cold"].append(cold())
    return {key: statistics.median(values) for key, values in figures.items()}


def _amount(i: int) -> Decimal:
    return Decimal(1000 + (i * 7919) % 90000) + Decimal(i % 100) / 100


def synthetic(projects: int) -> dict:
    """忻州's transcript with ``projects`` 自评表 and 500-row 02/03/05 tables that add up."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    data = copy.deepcopy(source)
    leaves = []
    n = 0
    for code, _ in EXPENSE_CLASSES[:10]:
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
    for code, name in EXPENSE_CLASSES:
        if code in rows:
            value = str(sum(rows[code]))
            t01[str(T01.row(name).line)] = value
            t04[str(T04.row(name).line)] = [value, value, "", ""]
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
    rows = []  # (what, wall, peak, ratio to the floor)
    with tempfile.TemporaryDirectory(prefix="disclose-bench-") as work:
        workdir = Path(work)
        floor_wall, floor_peak = timed(floor_command(workdir), runs)
        builds = [("晋城 sample build (13 projects), .xlsx", SAMPLE)]
        for fmt in ("xls", "ods"):
            copy = saved_as(fmt, workdir)
            if copy is not None:
                builds.append((f"晋城 sample build, .{fmt} saved by LibreOffice", copy))
        walls = {}
        for name, path in builds:
            wall, peak = timed([*DISCLOSE, "build", str(path), "-o", str(workdir / path.suffix[1:])], runs)
            walls[path.suffix] = wall
            rows.append((name, wall, peak, wall / floor_wall))
        rows.append(("floor: openpyxl load + python-docx save (600 paragraphs)", floor_wall, floor_peak, 1.0))
        version_wall, version_peak = timed([*DISCLOSE, "--version"], runs)
        click_wall, click_peak = timed([sys.executable, "-c", "import click"], runs)
        rows.append(("disclose --version", version_wall, version_peak, None))
        rows.append(('python -c "import click"', click_wall, click_peak, None))
        sizes = {}
        for projects in (10, 200, 1000):
            path = workdir / f"synthetic-{projects}.xlsx"
            write_workbook(synthetic(projects), str(path), load_format("shanxi"))
            cmd = [*DISCLOSE, "build", str(path), "-o", str(workdir / f"out{projects}")]
            wall, peak = timed(cmd, runs if projects < 1000 else 3)
            sizes[projects] = (wall, peak)
            rows.append((f"synthetic: {projects} projects, 500-row 02/03/05", wall, peak, wall / floor_wall))
        pdf = pdf_figures(workdir, runs)

    sample_wall = walls[".xlsx"]
    ratio = sample_wall / floor_wall
    version_ratio = version_wall / click_wall
    big_wall, big_peak = sizes[1000]
    per_project = (sizes[1000][0] - sizes[10][0]) / 990

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    lines = [
        "# Benchmark results", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        f"Date: {date.today().isoformat()}. Median wall time of {runs} runs after one warm-up (1,000 "
        "projects: 3 runs), whole process including Python's start-up, all measured in this one run; "
        "peak = largest resident set of the process; ratio = wall time / the floor's.", "",
        "| what | median wall (s) | peak memory (MiB) | ratio to floor |", "|---|---:|---:|---:|",
        *[f"| {name} | {wall:.3f} | {'' if peak is None else f'{peak:.0f}'} | "
          f"{'' if r is None else f'{r:.2f}×'} |" for name, wall, peak, r in rows],
        "", "## Targets", "",
        f"- Sample build ≤ the floor: **{ratio:.2f}×** — {verdict(ratio <= TARGETS['ratio'])}.",
        f"- Sample build ≤ {TARGETS['sample']} s: **{sample_wall:.3f} s** — {verdict(sample_wall <= TARGETS['sample'])}.",
        f"- `disclose --version` ≤ {TARGETS['version']:g}× `import click`: **{version_ratio:.2f}×** — "
        f"{verdict(version_ratio <= TARGETS['version'])}.",
        f"- 1,000 project sheets ≤ {TARGETS['1000']:g} s: **{big_wall:.3f} s** — {verdict(big_wall <= TARGETS['1000'])}.",
        f"- 1,000 project sheets ≤ {TARGETS['memory']:g} MiB: **{big_peak:.0f} MiB** — "
        f"{verdict(big_peak <= TARGETS['memory'])}." if big_peak is not None else "- Peak memory: not measured here.",
        f"- Linear growth: about {per_project * 1000:.1f} ms per additional project sheet "
        f"(10 → 200 → 1,000: {sizes[10][0]:.2f} s, {sizes[200][0]:.2f} s, {big_wall:.2f} s; "
        f"{(sizes[200][0] - sizes[10][0]) / 190 * 1000:.1f} ms per sheet from 10 to 200, "
        f"{(big_wall - sizes[200][0]) / 800 * 1000:.1f} ms from 200 to 1,000).",
        "",
    ]
    if pdf is None:
        lines += ["PDF: not measured (no LibreOffice).", ""]
    else:
        floor = pdf["docx"] + pdf["cold"]
        per_report = pdf["batch"] / 8
        lines[lines.index("## Targets") - 1:lines.index("## Targets") - 1] = [
            "", "PDF (LibreOffice, measured in turn in this run, medians):", "",
            "| what | median wall (s) |", "|---|---:|",
            f"| `build --pdf`, 晋城 sample | {pdf['pdf']:.3f} |",
            f"| its .docx build | {pdf['docx']:.3f} |",
            f"| one cold `soffice --convert-to pdf` of that .docx | {pdf['cold']:.3f} |",
            f"| batch of 8 workbooks, `--pdf -j 2` | {pdf['batch']:.3f} ({per_report:.3f} per report) |",
        ]
        lines += [
            f"- `build --pdf` ≤ {TARGETS['pdf']:g}× (.docx build + one cold conversion): "
            f"**{pdf['pdf'] / floor:.2f}×** ({pdf['pdf']:.2f} s against {floor:.2f} s) — "
            f"{verdict(pdf['pdf'] / floor <= TARGETS['pdf'])}.",
            f"- Batch of 8 with `--pdf -j 2`: wall time per report ≤ {TARGETS['batch']:g}× one cold conversion: "
            f"**{per_report / pdf['cold']:.2f}×** ({per_report:.2f} s against {pdf['cold']:.2f} s) — "
            f"{verdict(per_report / pdf['cold'] <= TARGETS['batch'])}.",
            "",
        ]
    text = "\n".join(lines)
    results = ROOT / "bench" / "results.md"
    previous = results.read_text(encoding="utf-8") if results.exists() else ""
    web = previous[previous.index(WEB_SECTION):] if WEB_SECTION in previous else ""  # bench/serve.py's figures
    results.write_text(text + ("\n" + web if web else ""), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
