"""The shape every module keeps (issue 10; docs/architecture.md), read from the source.

- Feature packages (everything under gvo/ but the web layer) import nothing from Flask,
  Flask-Login, Flask-WTF, WTForms or Werkzeug, nor from the web layer itself: the CLI and
  background work use the same services as the web.
- Blueprint modules hold no SQL: no `execute(` and no SQL in a string; queries and rules
  live in the services.
- No import cycles among gvo modules (imports at module level).
- A blueprint never imports another blueprint.
"""

import ast
import re
from pathlib import Path

import gvo

ROOT = Path(gvo.__file__).parent
WEB_ONLY = {"flask", "flask_login", "flask_wtf", "wtforms", "werkzeug"}
# The web layer: the only code that may import Flask (the app factory, the Flask session
# interface, the shared web wiring and the blueprints).
WEB_LAYER = ("gvo", "gvo.security.sessions", "gvo.web", "gvo.blueprints")
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
                 r"|\bDELETE\s+FROM\b|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW|TRIGGER)\b"
                 r"|\bPRAGMA\b|\bWITH\s+RECURSIVE\b")


def _modules() -> dict[str, Path]:
    """Every gvo module by dotted name (a package by its own name, for its __init__)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), str(MODULES[name]))


def _imported(name: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement in module `name` reaches, as dotted names: for
    `from package import thing`, the submodule when `thing` is one, else the package."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the module's own package
        package = name.split(".") if MODULES[name].name == "__init__.py" else name.split(
            ".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
               for alias in node.names]
    return list(dict.fromkeys(targets))


def _imports(name: str, *, module_level_only: bool) -> list[tuple[int, str]]:
    """(line, imported module) for each import in the module, everywhere or at module level
    only (in the module's body, or in an `if`/`try` there)."""
    tree = _tree(name)
    if module_level_only:
        nodes, todo = [], list(tree.body)
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                nodes.append(node)
            elif isinstance(node, (ast.If, ast.Try)):
                todo.extend(ast.iter_child_nodes(node))
            elif isinstance(node, ast.ExceptHandler):
                todo.extend(node.body)
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return [(node.lineno, target) for node in nodes for target in _imported(name, node)]


def _in(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _blueprint(name: str) -> str | None:
    """The blueprint a module belongs to (gvo.blueprints.<name>), or None."""
    parts = name.split(".")
    return ".".join(parts[:3]) if name.startswith("gvo.blueprints.") else None


def test_the_modules_are_found():
    assert {"gvo.core.identity", "gvo.core.audit", "gvo.people.accounts", "gvo.web.app",
            "gvo.blueprints.meetings.agenda", "gvo.cli"} <= MODULES.keys()


def test_feature_packages_import_nothing_from_flask_or_the_web_layer():
    wrong = []
    for name in MODULES:
        if name in WEB_LAYER[:2] or _in(name, WEB_LAYER[2:]):
            continue
        for line, target in _imports(name, module_level_only=False):
            top = target.split(".")[0]
            if top in WEB_ONLY or (_in(target, WEB_LAYER[2:]) and target != "gvo"):
                wrong.append(f"{MODULES[name].relative_to(ROOT.parent)}:{line} imports {target}")
    assert wrong == []


def test_blueprints_hold_no_sql():
    wrong = []
    for name, path in MODULES.items():
        if not _in(name, ["gvo.blueprints"]):
            continue
        for node in ast.walk(_tree(name)):
            where = f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executemany", "executescript")):
                wrong.append(f"{where} calls {node.func.attr}(")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and SQL.search(node.value)):
                wrong.append(f"{where} has SQL: {node.value[:60]!r}")
    assert wrong == []


def test_the_sql_check_finds_sql():
    # The check above would see a query if one came back.
    assert SQL.search("SELECT count(*) FROM sessions WHERE user_id = ?")
    assert SQL.search("UPDATE users SET role = ? WHERE id = ?")
    assert not SQL.search("Select the meeting from the list")


def test_no_import_cycles_among_gvo_modules():
    graph = {name: sorted({t for _, t in _imports(name, module_level_only=True)
                           if t in MODULES and t != name}) for name in MODULES}
    # Tarjan's strongly connected components: any with more than one module is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


def test_a_blueprint_never_imports_another():
    wrong = []
    for name in MODULES:
        own = _blueprint(name)
        if own is None:
            continue
        for line, target in _imports(name, module_level_only=False):
            other = _blueprint(target)
            if other is not None and other != own:
                wrong.append(f"{MODULES[name].relative_to(ROOT.parent)}:{line} imports {target}")
    assert wrong == []
