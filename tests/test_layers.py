"""The engine is handed its format: no module outside generator/formats/ imports one, every stage
takes ``fmt: Format`` from its caller, and the package's imports run one way (no circle)."""

import ast
import dataclasses

from conftest import ROOT
from generator.catalog import load_format

PACKAGE = ROOT / "generator"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text("utf-8"))
    return found


MODULES = _modules()


def _imports(name: str, tree: ast.Module) -> set[str]:
    """The package's modules ``name`` imports, at its top or inside a function."""
    package = name if name in MODULES and (PACKAGE / "/".join(name.split(".")[1:]) / "__init__.py").exists() \
        else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, tree) for name, tree in MODULES.items()}
ENGINE = [name for name in MODULES if not name.startswith("generator.formats")]


def test_no_engine_module_imports_a_format():
    assert sorted((m, t) for m in ENGINE for t in GRAPH[m] if t.startswith("generator.formats")) == []


def test_the_imports_run_one_way():
    """No circle, counting the imports inside functions (the CLI imports each command's modules lazily)."""
    circles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_every_stage_is_handed_its_format():
    """A parameter ``fmt`` is a Format, never optional: no stage falls back on a format of its own."""
    loose = []
    for name in ENGINE:
        for node in ast.walk(MODULES[name]):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
                defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
                for arg in (*positional, *args.kwonlyargs):
                    if arg.arg == "fmt" and (ast.unparse(arg.annotation or ast.Constant(None)) != "Format"
                                             or arg.arg in defaults):
                        loose.append(f"{name}.{node.name}")
    assert loose == []


def _declared_labels(value, found: set[str]) -> set[str]:
    """Every text a declaration holds (Chinese ones: roles and keys are English)."""
    if isinstance(value, str):
        if any("\u4e00" <= ch <= "\u9fff" for ch in value):
            found.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _declared_labels(key, found)
            _declared_labels(item, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _declared_labels(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _declared_labels(getattr(value, f.name), found)
    return found


# The words of the 决算 tables' own layout, which the engine's table kinds are read and written by
# (a function table's 合计 row, an economic table's 金额 | 其中：基本支出, a line table's 项目 | 行次,
# the 栏次 row): every format's tables have them, so they are the kinds', not a format's.
KIND_WORDS = frozenset(("合计", "金额", "基本支出", "其中：基本支出", "项目", "行次", "栏次"))
# The bureau's own spreadsheet, its list of units (单位名称 | 单位编码, imported and exported), names
# a unit in words that Shanxi's 单位信息 sheet happens to use too: they are the bureau's, not a format's.
OWN_WORDS = {"generator.bureau": frozenset(("单位名称", "预算单位"))}


def _literals(tree: ast.Module):
    """(text, whole) of every string in the code, docstrings left out; ``whole`` is False for a
    piece of an f-string."""
    docstrings, pieces = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        if isinstance(node, ast.JoinedStr):
            pieces.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value, id(node) not in pieces, node.lineno


def test_the_engine_holds_no_label_the_shanxi_format_declares():
    """No sheet name, label, grade or threshold of Shanxi's workbook is written in the engine: a
    string equal to one, or holding one of four characters or more, is a place that should read
    the format's declaration instead."""
    shanxi = load_format("shanxi")
    labels = _declared_labels((shanxi.sheets, shanxi.tables), set()) - KIND_WORDS
    labels |= {t.name for t in shanxi.tables}
    hits = []
    for name in ENGINE:
        own = next((words for package, words in OWN_WORDS.items() if name.startswith(package)), frozenset())
        for text, whole, line in _literals(MODULES[name]):
            found = [label for label in labels - own if (whole and text == label) or (len(label) >= 4 and label in text)]
            hits += [f"{name}:{line} {label!r} in {text[:40]!r}" for label in found]
    assert hits == []


def test_the_scan_sees_a_label_where_it_is():
    """The scan above can fail: Shanxi's labels are among the literals of its own declaration."""
    tree = ast.parse((PACKAGE / "formats" / "shanxi" / "sheets.py").read_text("utf-8"))
    texts = {text for text, _, _ in _literals(tree)}
    assert {"单位信息", "类编码", "项目支出绩效自评表", "执行率"} <= texts
