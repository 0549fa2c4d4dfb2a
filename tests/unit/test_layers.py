"""The engine's modules form no import cycle, and imports sit at the top of each module (a
function-local import that breaks a cycle hides code on the wrong floor; in the engine only the
command line imports late, to start fast). Read from the source with `ast`, so nothing is imported."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "web")
# The command line imports each command's modules when the command runs (start-up time), and the
# script sandbox belongs to the sandbox work (issue 16).
# engine.supervision.ledgers is registered into engine.reports.ledgers and uses its sheet helpers
# (a cycle broken late; to move to a registration from above both).
LATE_ALLOWED = {"engine.cli", "engine.workflow.scripting", "engine.supervision.ledgers"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imported(node: ast.AST, name: str, known: dict[str, Path]) -> set[str]:
    """The project modules an import statement names (`from a import b` names a.b if b is a
    module, else a)."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in known:
                found.add(alias.name)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            if full in known:
                found.add(full)
            elif node.module in known:
                found.add(node.module)
    return found


def top_level_imports(tree: ast.Module) -> list[ast.stmt]:
    """Imports run at import time: the module body, also inside if/try blocks there (but not
    under `if TYPE_CHECKING:`)."""
    out: list[ast.stmt] = []
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(node)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                todo.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody
                        + [s for h in node.handlers for s in h.body])
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in top_level_imports(tree):
            targets |= imported(node, name, known)
        # Importing a.b.c runs a/__init__ and a/b/__init__ first.
        for target in list(targets):
            parts = target.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts))} & known.keys()
        # A package importing its own modules at its end (a Flask blueprint's routes) is no cycle.
        edges[name] = {t for t in targets if t != name and not t.startswith(name + ".")}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_project_modules():
    edges = graph()
    assert len(edges) > 100
    assert cycles(edges) == []


def test_no_function_local_imports_of_project_modules():
    known = modules()
    late = []
    for name, path in known.items():
        if name in LATE_ALLOWED or not name.startswith("engine"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, top_level_imports(tree)))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
                    and imported(node, name, known)):
                late.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert late == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_unit_of_work_commits():
    """Outside `engine/uow.py` nothing commits a session: a use case commits by returning from
    `Runtime.transact`, workers by `uow.commit()` (the unit of work runs the commit steps)."""
    found = []
    for name, path in modules().items():
        if name == "engine.uow":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "commit"
                    and ast.unparse(node.func.value) not in ("uow", "self.uow")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []
