"""The ``disclose`` command: thin wrappers around :mod:`generator.report`."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path

import click

from .clickzh import Count, ExistingPath, Group, debug_option
from .errors import AuditFailed, DiscloseError, Interrupted, OutputError
from .catalog import DEFAULT, load_format
from .spec import Format
from .text import for_terminal

# Each command imports what it needs inside itself (reader and audit; the report renderer; the
# batch's process pool; openpyxl for init): --version and --help start with click alone, and
# check without the renderer.


@click.group("disclose", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@debug_option
@click.version_option(package_name="disclose", message="%(prog)s %(version)s", help="显示版本号并退出。")
def main() -> None:
    """把单位决算工作簿（.xlsx、.xls、.ods）生成单位决算公开报告（.docx，可选 PDF）。

    \b
    示例：
        disclose init --from 本单位2022.xlsx      由上年工作簿生成本年工作簿
        disclose check 本单位2023.xlsx            只审核，不生成报告
        disclose build 本单位2023.xlsx --pdf      审核并生成报告和 PDF

    每个命令的说明：disclose 命令 --help（例如 disclose build --help）。
    """


def _print_findings(findings, fmt: Format) -> None:
    from .auditlog import cells_text, sections, title

    for section in sections(findings, fmt):
        click.echo(f"[{section.heading}]")
        for f in section.findings:
            click.echo(for_terminal(f"  {f.severity} {title(f.rule, fmt)}：{f.message}（{cells_text(f)}）"))


WORKBOOK = click.argument("workbook", metavar="工作簿", type=ExistingPath())
SPEC = click.option("--spec", default=DEFAULT, metavar="格式",
                    help="报告格式：内置格式的名称（默认 shanxi，即山西省单位决算公开），或格式文件夹的路径。")


@main.command()
@click.argument("workbooks", nargs=-1, required=True, metavar="工作簿…", type=ExistingPath(dir_okay=True))
@click.option("-o", "--outdir", type=click.Path(path_type=Path), default=Path("output"), metavar="文件夹",
              help="报告写入的文件夹（默认 output）。")
@click.option("--force", is_flag=True, help="有错误也生成报告：每页标“草稿”，文末列出问题。")
@click.option("--strict", is_flag=True, help="警告也视为错误。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF（目录带页码）。")
@click.option("--soffice", type=click.Path(path_type=Path), metavar="路径",
              help="与 --pdf 一起用：LibreOffice 的 soffice 程序（默认自动查找；也可设环境变量 DISCLOSE_SOFFICE）。")
@click.option("--overwrite", is_flag=True, help="报告生成后被手工修改过时也覆盖（原文件备份在旁边）。")
@click.option("--review", is_flag=True,
              help="另外生成审阅稿“…（审阅稿）.docx”：报告原样排版，每个错误作为批注标在所涉及的数字、行或句子旁，"
                   "供领导、财政局审阅；有错误时也生成。")
@click.option("-j", "--jobs", type=Count(), default=os.cpu_count() or 1, metavar="进程数",
              help="批量生成时同时运行的进程数（默认为 CPU 核数）。")
@SPEC
@debug_option
def build(workbooks: tuple[Path, ...], outdir: Path, force: bool, strict: bool, pdf: bool, soffice: Path | None,
          overwrite: bool, review: bool, jobs: int, spec: str) -> None:
    """审核并生成决算公开报告。可给一个或多个工作簿，或一个文件夹（批量生成其中所有工作簿）。

    \b
    示例：
        disclose build sample_inputs/jincheng-2022.xlsx -o output
        disclose build 各单位/ -j 4
    """

    load_format(spec)  # a wrong --spec is said once, before any workbook
    if pdf:  # a wrong --soffice too; the batch's workers are given the one found
        from .pdf import find_soffice

        soffice = find_soffice(soffice)
    options = {"force": force, "strict": strict, "pdf": pdf, "overwrite": overwrite, "spec": spec, "review": review,
               "soffice": soffice and str(soffice)}
    if len(workbooks) == 1 and not workbooks[0].is_dir():
        _build_single(workbooks[0], outdir, options)
        return
    from . import batch

    paths = batch.workbooks_in(list(workbooks))
    if not paths:
        raise DiscloseError(f"{'、'.join(map(str, workbooks))}：没有找到工作簿（.xlsx、.xls、.ods）")
    try:
        with click.progressbar(length=len(paths), label="生成报告") as bar:
            outcomes = batch.run(paths, outdir, jobs, options, progress=lambda: bar.update(1))
    except batch.Interrupted as stop:
        click.echo()
        _print_outcomes(stop.outcomes)
        raise Interrupted("已中断（Ctrl+C）：上表中已生成的报告是完整的，其余工作簿没有生成报告") from None
    failed = _print_outcomes(outcomes)
    if failed:
        sys.exit(max(o.exit_code for o in failed))


def _print_outcomes(outcomes) -> list:
    """The batch's table, one row per workbook, and its count; the rows that failed."""
    width = max(map(_width, ["工作簿", *(o.workbook for o in outcomes)]))
    result_width = max(map(_width, ["结果", *(o.result for o in outcomes)]))
    click.echo(f"{_pad('工作簿', width)}  {_pad('结果', result_width)}  报告")
    for o in outcomes:
        click.echo(for_terminal(f"{_pad(o.workbook, width)}  {_pad(o.result, result_width)}  {o.report or o.message}"))
    failed = [o for o in outcomes if o.exit_code]
    click.echo(f"共 {len(outcomes)} 个工作簿：{len(outcomes) - len(failed)} 个已生成，{len(failed)} 个失败。")
    return failed


def _width(text: str) -> int:
    """Columns ``text`` takes in a console: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _build_single(workbook: Path, outdir: Path, options: dict) -> None:
    if options["pdf"] and options["soffice"]:
        from .pdf import Office

        # LibreOffice first: its start, the longest step of a PDF, goes on while the rest of the
        # tool is loaded and the workbook read.
        with Office(options["soffice"]) as office:
            office.start()
            _build_with(workbook, outdir, options, office)
    else:
        _build_with(workbook, outdir, options, None)


def _build_with(workbook: Path, outdir: Path, options: dict, office) -> None:
    from .auditlog import summary_line
    from .report import build as build_report

    fmt = load_format(options["spec"])
    try:
        result = build_report(str(workbook), outdir, office=office, **options)
    except AuditFailed as exc:
        _print_findings(exc.findings, fmt)
        raise
    audit_result = result.result
    if audit_result.findings:
        _print_findings(audit_result.findings, fmt)
    annexes = f"，{result.projects} 张项目绩效自评表" if fmt.sheets.projects else ""
    click.echo(f"已读取{fmt.tables_read}{annexes}；审核{summary_line(audit_result)}。")
    if result.draft:
        click.echo("报告为草稿（--force）：问题已列在报告末尾；草稿文件名带“（草稿）”，不替换正式报告。")
    if result.changes is not None:
        _print_changes(*result.changes)
    if result.record_note:
        click.echo(for_terminal(result.record_note))
    click.echo(f"报告：{result.report}")
    if result.backup:
        click.echo(f"原报告有手工修改，已备份为：{result.backup}")
    if result.pdf:
        click.echo(f"PDF：{result.pdf}")
    else:  # the 目录 has its entries but no page numbers: only Word/WPS can lay the pages out
        click.echo("目录的页码在 Word/WPS 中打开时更新；若未更新，右键目录，选择“更新域”。")
    if result.pdf_note:
        click.echo(result.pdf_note)
    if result.review_backup:
        click.echo(f"原审阅稿有手工修改，已备份为：{result.review_backup}")
    if result.review:
        click.echo(f"审阅稿：{result.review}（{result.review_comments} 条批注）")
    click.echo(f"审核报告：{result.audit_report}")


def _print_changes(figures: list[str], sentences: list[str]) -> None:
    from .changes import described

    for heading, lines in described(figures, sentences):
        click.echo(heading)
        for line in lines:
            click.echo(for_terminal(f"  {line}"))


@main.command()
@click.argument("path", required=False, metavar="[新工作簿]", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "last_year", type=ExistingPath(), metavar="上年工作簿",
              help="上年的工作簿：带入单位的名称等信息、概况和全部上年数，年度加一。")
@SPEC
@debug_option
def init(path: Path | None, last_year: Path | None, spec: str) -> None:
    """生成空白的标准工作簿（新工作簿，默认“决算公开工作簿.xlsx”），或由上年工作簿生成本年工作簿。

    \b
    示例：
        disclose init 本单位2023.xlsx
        disclose init --from 本单位2022.xlsx
    """
    from .carryover import BLANK_NAME, next_year
    from .template_workbook import write_new_workbook

    fmt = load_format(spec)
    source: dict = {}
    if last_year:
        source, name = next_year(str(last_year), fmt)
        path = path or Path(name)
    path = path or Path(BLANK_NAME)
    if path.exists():
        raise OutputError(f"{path}：文件已存在，为免覆盖未写入；请换一个文件名")
    write_new_workbook(source, path, fmt)
    click.echo(f"已生成工作簿：{path}（黄色单元格为填写处，先看“填表说明”）")


@main.command()
@WORKBOOK
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              help="输出格式（默认 text）；json 供程序读取，出错时也输出 JSON。")
@SPEC
@debug_option
def check(workbook: Path, output: str, spec: str) -> None:
    """只审核工作簿，不生成报告。无错误时退出码为 0，有错误为 1。

    \b
    示例：
        disclose check sample_inputs/xinzhou-2022.xlsx --format json
    """
    from .audit import audit
    from .auditlog import sections_json, summary_line
    from .reader import read_workbook

    report_format = load_format(spec)
    result = audit(read_workbook(str(workbook), report_format), report_format)
    if output == "json":
        click.echo(json.dumps({
            "workbook": str(workbook), "errors": len(result.errors), "warnings": len(result.warnings),
            "findings": [{**f, "cause": section["cause"]}
                         for section in sections_json(result.findings, report_format) for f in section["findings"]],
        }, ensure_ascii=False, indent=2))
    else:
        _print_findings(result.findings, report_format)
        click.echo(f"审核完成：{summary_line(result)}。")
    sys.exit(1 if result.errors else 0)


@main.command()
@click.option("--data", type=click.Path(path_type=Path), default=None, metavar="文件夹",
              help="数据文件夹：上传的工作簿、生成的报告和记录都保存在这里（默认为用户主目录下的“决算公开数据”）。")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="端口",
              help="网页的端口（默认自动选一个空闲端口）。")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器。")
@click.option("-j", "--jobs", type=Count(), default=None, metavar="进程数",
              help="同时生成报告的进程数（默认为 CPU 核数，最多 2）；其余的排队。")
@click.option("--bureau", is_flag=True,
              help="财政局模式：各单位用账号登录，只能看到本单位；财政局看到所有单位的进度（见使用说明第九章）。")
@click.option("--host", default="127.0.0.1", metavar="地址",
              help="监听的地址（默认 127.0.0.1，只有本机能访问）；让其他电脑访问时用 0.0.0.0（只能与 --bureau 一起用）。")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), default=None, metavar="证书",
              help="HTTPS 证书文件（PEM）；与 --keyfile 一起用，网页改为 https:// 访问。")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), default=None, metavar="私钥",
              help="HTTPS 证书的私钥文件（PEM）。")
@click.option("--new-admin-password", is_flag=True,
              help="财政局模式：忘记 admin 的密码时，给它一个新的初始密码（启动时显示）。")
@SPEC
@debug_option
def serve(data: Path | None, port: int, no_browser: bool, jobs: int | None, bureau: bool, host: str,
          certfile: str | None, keyfile: str | None, new_admin_password: bool, spec: str) -> None:
    """在本机启动网页：在浏览器中上传工作簿、查看审核结果、生成和下载报告。

    只在本机（127.0.0.1）可以访问；财政局让各单位登录使用时加 --bureau（见使用说明第九章）。
    停止（Ctrl+C）后再启动，以前的工作簿和报告都还在。

    \b
    示例：
        disclose serve
        disclose serve --data D:\\决算公开数据 --port 8000
        disclose serve --bureau --host 0.0.0.0 --port 8000 --data D:\\决算公开 --no-browser
    """
    from .web.serve import default_data, run

    if bool(certfile) != bool(keyfile):
        raise DiscloseError("--certfile 和 --keyfile 要一起给出：证书文件和它的私钥文件")
    if new_admin_password and not bureau:
        raise DiscloseError("--new-admin-password 只用于财政局模式：请同时加 --bureau")
    load_format(spec)
    run(data or default_data(), port, not no_browser, jobs, spec, click.echo, host=host, bureau=bureau,
        tls=(certfile, keyfile) if certfile else None, new_admin_password=new_admin_password)
