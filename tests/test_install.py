"""A plain (non-editable) install works: what the guide tells a clerk to do on a fresh machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wheel(tmp_path: Path, change=lambda source: None) -> Path:
    # Built from a copy: setuptools would reuse a build/ folder left in the checkout.
    source = tmp_path / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source)
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    change(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True)
    return next(tmp_path.glob("disclose-*.whl"))


def test_the_wheel_carries_the_templates(tmp_path):
    names = set(zipfile.ZipFile(_wheel(tmp_path)).namelist())
    for name in ("report.docx", "narrative.j2", "workbook-guide.txt"):
        assert f"generator/templates/shanxi/{name}" in names
    assert "generator/formats/shanxi/format.py" in names
    for name in ("templates/page.html", "templates/base.html", "static/page.js", "static/page.css"):
        assert f"generator/web/{name}" in names  # disclose serve's page


def test_a_new_format_folder_is_packaged_without_naming_it(tmp_path):
    """A format shipped as a copy of Shanxi's folder is in the wheel: the packages are found."""
    def add(source: Path) -> None:
        shutil.copytree(source / "generator" / "formats" / "shanxi", source / "generator" / "formats" / "shanxi2024")
        shutil.copytree(source / "templates" / "shanxi", source / "templates" / "shanxi2024")

    names = set(zipfile.ZipFile(_wheel(tmp_path, add)).namelist())
    assert {"generator/formats/shanxi2024/format.py", "generator/formats/shanxi2024/tables.py",
            "generator/templates/shanxi2024/report.docx"} <= names


def test_an_installed_copy_writes_a_workbook_and_a_report(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(_wheel(tmp_path / "wheel"))], check=True, capture_output=True)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = [sys.executable, "-c", "from generator.cli import main; main()"]
    init = subprocess.run([*run, "init", "新.xlsx"], cwd=work, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    assert (work / "新.xlsx").exists()
    built = subprocess.run([*run, "build", str(ROOT / "sample_inputs" / "xinzhou-2022.xlsx"), "-o", "报告"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert list((work / "报告").glob("*单位决算公开.docx"))
