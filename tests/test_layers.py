"""The engine is handed its format: no module outside generator/formats/ imports one, every stage
takes ``fmt: Format`` from its caller, and the package's imports run one way (no circle)."""

import ast

from conftest import ROOT

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
