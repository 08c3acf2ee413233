"""The shape of the code: imports run one way (faces -> service and
rendering -> pipeline -> stages), with no circle anywhere, and no library
module grows past what a reader takes in at once.

Imports are read from the source (every `import`, including those inside
functions, which is where the heavy and the late ones live)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "ui", "eval")
MAX_LINES = 350  # a module of rag/ a newcomer reads in one sitting

FACES = {"rag.cli", "rag.server", "ui.app"}  # what users and programs talk to
ABOVE_PIPELINE = FACES | {"rag.service", "rag.render", "rag.client"}
ENTRY = "rag.cli"  # dispatches `rag serve`, `rag ui`, `rag eval`, `rag bench` to their faces


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).glob("*.py")):
            name = pkg if f.stem == "__init__" else f"{pkg}.{f.stem}"
            out[name] = f
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, anywhere in its source."""
    pkg = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}  # `from rag import pipeline`
    return {m for m in found if m in known and m != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (a -> b -> a), or None.

    >>> find_cycle({"a": {"b"}, "b": {"a"}})
    ['a', 'b', 'a']
    >>> find_cycle({"a": {"b"}, "b": set()}) is None
    True
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_the_graph_is_read(graph):
    """The walk sees the imports it must judge (a broken walk passes everything)."""
    assert "rag.pipeline" in graph["rag.service"]
    assert "rag.render" in graph["rag.cli"] and "rag.client" in graph["rag.cli"]
    assert "eval.harness" in graph["eval.bench"]


def test_no_import_circle(graph):
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_imports_run_one_way(graph):
    """Stages never reach up to the service, the rendering or a face; faces
    never import each other (but the CLI, which dispatches to them); the
    library never imports the eval harness (but the CLI's `rag eval`/`bench`)."""
    bad = []
    for m, deps in graph.items():
        for d in deps:
            if m.startswith("rag.") and m not in ABOVE_PIPELINE and d in ABOVE_PIPELINE:
                bad.append(f"stage {m} imports {d}")
            if m in FACES - {ENTRY} and d in FACES:
                bad.append(f"face {m} imports face {d}")
            if m.startswith("rag.") and m != ENTRY and d.split(".")[0] in {"eval", "ui"}:
                bad.append(f"library {m} imports {d}")
            if m.startswith("eval.") and d in FACES:
                bad.append(f"harness {m} imports face {d}")
    assert not bad, "\n".join(sorted(bad))


def test_library_modules_stay_small():
    big = {name: n for name, path in modules().items()
           if name.startswith("rag") and (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert not big, f"over {MAX_LINES} lines: {big}"
