"""The ``disclose`` command: thin wrappers around :mod:`generator.report`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .audit import audit
from .auditlog import grouped, summary_line
from .errors import AuditFailed, DiscloseError
from .reader import read_workbook
from .report import build as build_report


class _Group(click.Group):
    """Turns every DiscloseError into one Chinese line and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DiscloseError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"错误：{exc.message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="出错时显示完整的 Python 调用栈（开发人员用）。")
@click.version_option(package_name="disclose")
def main(debug: bool) -> None:
    """把单位决算工作簿（.xlsx）生成单位决算公开报告（.docx）。"""


def _print_findings(findings) -> None:
    for table, items in grouped(findings).items():
        click.echo(f"[{table}]")
        for f in items:
            click.echo(f"  {f.severity} {f.rule}：{f.message}（{'、'.join(f.cells)}）")


WORKBOOK = click.argument("workbook", type=click.Path(exists=True, dir_okay=False))


@main.command()
@WORKBOOK
@click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="报告写入的文件夹。")
@click.option("--force", is_flag=True, help="有错误也生成报告：每页标“草稿”，文末列出问题。")
@click.option("--strict", is_flag=True, help="警告也视为错误。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF（目录带页码）。")
def build(workbook: str, outdir: Path, force: bool, strict: bool, pdf: bool) -> None:
    """审核 WORKBOOK 并生成决算公开报告。

    \b
    Example:
        disclose build sample_inputs/jincheng-2022.xlsx -o output
    """
    try:
        result = build_report(workbook, outdir, force=force, strict=strict, pdf=pdf)
    except AuditFailed as exc:
        _print_findings(exc.findings)
        raise
    audit_result = result.result
    if audit_result.findings:
        _print_findings(audit_result.findings)
    click.echo(f"已读取公开01–10表，{result.projects} 张项目绩效自评表；审核{summary_line(audit_result)}。")
    if audit_result.errors or (strict and audit_result.warnings):
        click.echo("报告为草稿（--force）：问题已列在报告末尾。")
    click.echo(f"报告：{result.report}")
    if result.pdf:
        click.echo(f"PDF：{result.pdf}")
    if result.pdf_note:
        click.echo(result.pdf_note)
    click.echo(f"审核报告：{result.audit_report}")


@main.command()
@WORKBOOK
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式；json 供程序读取。")
def check(workbook: str, fmt: str) -> None:
    """只审核 WORKBOOK，不生成报告。无错误时退出码为 0，有错误为 1。

    \b
    Example:
        disclose check sample_inputs/xinzhou-2022.xlsx --format json
    """
    result = audit(read_workbook(workbook))
    if fmt == "json":
        click.echo(json.dumps({
            "workbook": workbook, "errors": len(result.errors), "warnings": len(result.warnings),
            "findings": [{"severity": f.severity, "rule": f.rule, "message": f.message, "cells": list(f.cells)}
                         for f in result.findings],
        }, ensure_ascii=False, indent=2))
    else:
        _print_findings(result.findings)
        click.echo(f"审核完成：{summary_line(result)}。")
    sys.exit(1 if result.errors else 0)
