"""Start-up: a command imports only what it uses (a clerk waits for every import)."""

import json
import subprocess
import sys

import pytest

from conftest import JINCHENG

HEAVY = ("docx", "docxtpl", "jinja2", "lxml", "openpyxl", "generator.pdf", "generator.render",
         "generator.context")
BATCH = ("generator.batch", "concurrent.futures", "multiprocessing")

_PROBE = """
import json, sys
sys.argv = ["disclose", *json.loads(sys.argv[1])]
from generator.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(args):
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                         check=True).stdout
    result = json.loads(out.splitlines()[-1])
    return result["code"], set(result["modules"])


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", str(JINCHENG)]],
                         ids=["version", "help", "check"])
def test_version_help_and_check_import_no_renderer_and_no_libreoffice_helpers(args):
    code, modules = _imported(args)
    assert code == 0
    assert sorted(modules & set(HEAVY + BATCH)) == []


def test_building_one_workbook_imports_no_batch_machinery(tmp_path):
    code, modules = _imported(["build", str(JINCHENG), "-o", str(tmp_path)])
    assert code == 0 and list(tmp_path.glob("*.docx"))
    assert sorted(modules & set(BATCH + ("generator.pdf", "openpyxl"))) == []
    assert "docxtpl" in modules  # it did render
