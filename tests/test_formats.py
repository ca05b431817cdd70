"""The clerk's own files: .xls and .ods copies of a workbook, and one re-saved by a spreadsheet
program, build the same report as the .xlsx."""

import pytest

from conftest import JINCHENG, XINZHOU, docx_lines, save_as
from generator.cli import main


@pytest.fixture(scope="session")
def copies(tmp_path_factory):
    """{format: [晋城 copy, 忻州 copy]} saved by LibreOffice Calc."""
    root = tmp_path_factory.mktemp("formats")
    return {fmt: save_as([JINCHENG, XINZHOU], fmt, root / fmt) for fmt in ("xls", "ods", "xlsx")}


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """The report text of each sample built from its .xlsx."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("reference")
    texts = []
    for sample in (JINCHENG, XINZHOU):
        result = CliRunner().invoke(main, ["build", str(sample), "-o", str(out / sample.stem)])
        assert result.exit_code == 0, result.output
        [report] = (out / sample.stem).glob("*.docx")
        texts.append(docx_lines(report))
    return texts


@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
@pytest.mark.parametrize("index", [0, 1], ids=["jincheng", "xinzhou"])
def test_a_copy_in_another_format_builds_the_same_report(runner, tmp_path, copies, reference, fmt, index):
    workbook = copies[fmt][index]
    result = runner.invoke(main, ["build", str(workbook), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [report] = tmp_path.glob("*.docx")
    assert docx_lines(report) == reference[index]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_check_and_a_folder_batch_read_the_other_formats(runner, tmp_path, copies, fmt):
    checked = runner.invoke(main, ["check", str(copies[fmt][1])])
    assert checked.exit_code == 0, checked.output
    folder = tmp_path / "各单位"
    folder.mkdir()
    for copy in copies[fmt]:
        (folder / copy.name).write_bytes(copy.read_bytes())
    result = runner.invoke(main, ["build", str(folder), "-o", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("*.docx"))) == 2
