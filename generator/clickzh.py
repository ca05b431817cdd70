"""click, speaking Chinese: help pages, usage errors and crashes as the clerk reads them.

click writes its help headings, help-option text and usage errors in English through gettext,
which has no Chinese catalogue and follows the machine's locale (absent on most Windows
machines). Rather than patching click, these classes override the few methods that produce
that text; every usage error becomes one Chinese line and exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from .errors import DiscloseError, Interrupted
from .text import for_terminal

# How to write each command, for the line that follows a usage error.
EXAMPLES = {
    "build": "disclose build 本单位2022.xlsx",
    "check": "disclose check 本单位2022.xlsx",
    "init": "disclose init --from 本单位2022.xlsx",
}


class Problem(click.UsageError):
    """A usage error whose message is already the Chinese line to print."""


class ExistingPath(click.ParamType):
    """A file (or, with ``dir_okay``, a folder) that must exist, refused in Chinese."""

    def __init__(self, dir_okay: bool = False):
        self.dir_okay = dir_okay
        self.name = "工作簿"

    def convert(self, value: Any, param, ctx):
        from pathlib import Path

        path = Path(value)
        if not path.exists():
            raise Problem(f"{path}：找不到这个文件；请检查文件名和所在文件夹"
                          "（可以把文件拖进命令窗口，得到完整路径）")
        if path.is_dir() and not self.dir_okay:
            raise Problem(f"{path}：这是文件夹，不是工作簿；请给出 .xlsx、.xls 或 .ods 文件")
        return path


class Count(click.ParamType):
    """A whole number of at least 1 (click's IntRange shows its range in English)."""

    name = "进程数"

    def convert(self, value: Any, param, ctx):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise Problem(f"选项 {param.opts[-1]} 应为不小于 1 的整数，实际为“{value}”")
        return number


def _wants_json(args: list[str]) -> bool:
    """``check --format json`` promises JSON on standard output, even when it cannot begin."""
    if "check" not in args:
        return False
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in zip(args, args[1:]))


def _usage_line(exc: click.UsageError) -> str:
    """The Chinese line for a usage error click raised, naming what to type instead."""
    ctx = exc.ctx
    command = ctx.command.name if ctx is not None and ctx.parent is not None else None
    helper = f"disclose {command} --help" if command else "disclose --help"
    commands = "build（审核并生成报告）、check（只审核）、init（生成工作簿）"
    if isinstance(exc, Problem):
        return exc.message
    if isinstance(exc, click.NoSuchOption):
        maybe = f"，是不是要用 {'、'.join(sorted(exc.possibilities))}" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{maybe}；可用的选项见 {helper}"
    if isinstance(exc, click.exceptions.NoSuchCommand):
        return f"没有命令“{exc.command_name}”；可用的命令：{commands}"
    if isinstance(exc, click.MissingParameter):
        example = EXAMPLES.get(command or "", "disclose build 本单位2022.xlsx")
        return f"缺少{_label(exc.param)}；例如：{example}"
    if isinstance(exc, click.BadOptionUsage):
        flags = [p for p in (ctx.command.params if ctx else ()) if exc.option_name in getattr(p, "opts", ())]
        if flags and getattr(flags[0], "is_flag", False):
            return f"选项 {exc.option_name} 不带取值；请去掉“=”及其后的内容"
        return f"选项 {exc.option_name} 后面缺少取值；用法见 {helper}"
    if isinstance(exc, click.BadParameter):
        return f"{_label(exc.param)}的值不对{_allowed(exc.param)}；用法见 {helper}"
    if ctx is not None and isinstance(ctx.command, click.Group):
        return f"缺少命令；可用的命令：{commands}；例如：{EXAMPLES['build']}"
    return f"命令的写法不对；用法见 {helper}"


def _label(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return f"选项 {param.opts[-1]} "
    return f"参数“{param.human_readable_name}”"


def _allowed(param: click.Parameter | None) -> str:
    kind = getattr(param, "type", None)
    if isinstance(kind, click.Choice):
        return f"：只能是 {'、'.join(map(str, kind.choices))}"
    return ""


class _Chinese:
    """Help pages with Chinese headings (用法/选项/命令) and a Chinese help option."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx  # click's parser raises without it; the message names the command
            raise

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), "用法：")

    def format_options(self, ctx, formatter) -> None:
        rows = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)) if r is not None]
        _section(formatter, "选项", rows)


def _section(formatter, heading: str, rows: list[tuple[str, str]]) -> None:
    if rows:
        formatter.write_paragraph()
        formatter.write(f"{heading}：\n")
        width = max(_columns(term) for term, _ in rows) + 2
        for term, text in rows:
            formatter.write(f"  {term}{' ' * (width - _columns(term))}{text}\n")


def _columns(text: str) -> int:
    """Terminal columns: a Chinese character takes two (click counts one, misaligning the help)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Command(_Chinese, click.Command):
    """A command whose help and usage errors are Chinese."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return ["[选项]", *(p.get_usage_pieces(ctx)[0] for p in self.get_params(ctx) if isinstance(p, click.Argument))]

    def parse_args(self, ctx, args):
        # click refuses extra arguments in English; let them through and refuse them here.
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        given = list(args)  # click's parser consumes the list
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError:
            self._unquoted(ctx, given)
            raise
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed:
            self._unquoted(ctx, given)
            raise Problem(f"多余的参数：{' '.join(rest)}；一个命令只给一个工作簿（要一次生成整个文件夹，用 disclose build 文件夹）；"
                          f"文件名里有空格时，要用英文双引号把整个文件名括起来，例如 disclose {self.name} \"本单位 2023.xlsx\""
                          if self.name != "init" else f"多余的参数：{' '.join(rest)}；只能给一个新工作簿的文件名；"
                          "文件名里有空格时，要用英文双引号把整个文件名括起来", ctx=ctx)
        return rest

    def _unquoted(self, ctx, args) -> None:
        """A file name with spaces typed without quotes arrives in pieces: say so when some
        consecutive pieces, put back together, name a file that is there."""
        from pathlib import Path

        for first in range(len(args)):
            for last in range(first + 1, len(args)):
                joined = " ".join(args[first:last + 1])
                if not args[first].startswith("-") and Path(joined).exists():
                    raise Problem(f"文件名“{joined}”里有空格，要用英文双引号把整个文件名括起来："
                                  f"disclose {self.name} \"{joined}\"", ctx=ctx)


class Group(_Chinese, click.Group):
    """The ``disclose`` group: Chinese help, usage errors and crashes, one line each."""

    command_class = Command

    def collect_usage_pieces(self, ctx) -> list[str]:
        return ["[选项]", "命令", "[参数]…"]

    def format_options(self, ctx, formatter) -> None:
        super().format_options(ctx, formatter)
        limit = formatter.width - 6 - max(map(len, self.commands))
        _section(formatter, "命令", [(name, cmd.get_short_help_str(limit))
                                    for name, cmd in self.commands.items() if not cmd.hidden])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = sys.argv[1:] if args is None else list(args)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        as_json = _wants_json(args)
        extra.setdefault("obj", {})["json"] = as_json
        try:
            code = super().main(args, prog_name or "disclose", complete_var, False, **extra)
        except NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            code = 0
        except click.UsageError as exc:
            code = _fail(_usage_line(exc), exc.exit_code, as_json)
        except click.Abort:  # Ctrl+C: every output is written atomically, so none is half-made
            code = _fail("已中断（Ctrl+C），报告没有生成", Interrupted.exit_code, as_json)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except DiscloseError as exc:
            if ctx.meta.get("debug"):
                raise
            ctx.exit(_fail(exc.message, exc.exit_code, ctx.obj["json"]))
        except BrokenPipeError:
            # The reader went away (``disclose check … | head``): nothing left to tell it.
            sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
            ctx.exit(1)
        except OSError as exc:
            if ctx.meta.get("debug"):
                raise
            from .files import os_problem

            where = f"{exc.filename}：" if exc.filename else ""
            ctx.exit(_fail(f"{where}{os_problem(exc)}", 2, ctx.obj["json"]))
        except Exception as exc:  # noqa: BLE001 - a fault of the tool is still one Chinese line
            if ctx.meta.get("debug"):
                raise
            ctx.exit(_fail(f"程序内部出错（{type(exc).__name__}），没有写入任何报告；请把工作簿和这一行发给维护人员"
                           "（加 --debug 可看到详细信息）", 2, ctx.obj["json"]))


def _fail(message: str, code: int, as_json: bool) -> int:
    if as_json:
        click.echo(json.dumps({"error": message, "exit_code": code}, ensure_ascii=False, indent=2))
    else:
        click.echo(for_terminal(f"错误：{message}"), err=True)
    return code


def debug_option(command):
    """``--debug`` on every command, so that it works after the command as well as before."""

    def remember(ctx: click.Context, _param, value: bool) -> None:
        if value:
            ctx.meta["debug"] = True

    return click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=remember,
                        help="出错时显示完整的 Python 调用栈（开发人员用）。")(command)
