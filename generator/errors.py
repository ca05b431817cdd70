"""The exceptions a user can see. Each carries the exit code the CLI uses."""

from .text import quoted


class DiscloseError(Exception):
    """Base of every error the tool reports to a user as one Chinese line."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WorkbookError(DiscloseError):
    """The workbook cannot be read: wrong file, missing sheet or label, bad cell."""


class CellError(WorkbookError):
    """One cell holds something other than what its label asks for."""

    def __init__(self, ref: str, expected: str, got: object):
        if getattr(got, "excel_error", False):
            message = (f"{ref}：这一格是 Excel 的错误值 {got}（公式出错或引用的单元格已不存在），"
                       f"应为{expected}；请在 Excel 中改正公式或填入数字后保存再试")
        else:
            message = f"{ref}：应为{expected}，实际为“{quoted(got)}”"
        super().__init__(message)
        self.ref = ref


class FormatError(DiscloseError):
    """The report format cannot be used: a wrong --spec name or folder, a folder that does not load,
    or a format whose parts read a table it does not declare."""


def undeclared(key: str) -> FormatError:
    """A rule or a 情况说明 computation of the format reads a table the format does not declare."""
    return FormatError(f"报告格式用到了表“{key}”，但格式中没有声明这张表：请在格式的 tables.py 中声明它，"
                       "或去掉用到它的规则和报告文字部分")


class AuditFailed(DiscloseError):
    """The audit found 错误 (or 警告 under --strict); no report was written (``review``: the
    review draft that was, under --review)."""

    exit_code = 1

    def __init__(self, message: str, findings: list, review=None):
        super().__init__(message)
        self.findings = findings
        self.review = review


class OutputError(DiscloseError):
    """The report cannot be written where it was asked to go."""


class ReportEdited(OutputError):
    """The report to be replaced was edited by hand since it was built; --overwrite replaces it."""


class TemplateMismatch(DiscloseError):
    """The report template does not fit the program: a tag without data, or a malformed tag."""


class Interrupted(DiscloseError):
    """Ctrl+C: the tool stopped at once; what it says was or was not written."""

    exit_code = 130
