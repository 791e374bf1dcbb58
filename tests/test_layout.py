"""The package's shape: a cheap face, imports that flow one way between layers, no circles."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "resnet_edu"

# Each layer may import itself and the layers listed for it (DESIGN: models/data at the bottom,
# the CLI on top; the app is outside the package and never imported by it).
ALLOWED = {
    "models": set(),
    "data": set(),
    "training": {"models", "data"},
    "runs": {"training", "models", "data"},
    "analysis": {"runs", "training", "models", "data"},
    "viz": {"training", "models", "data"},
    "perf": {"training", "models", "data"},
    "launch": set(),  # starts the app as a child process; imports nothing of the package
    "cli": {"launch", "perf", "runs", "training", "models", "data"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The resnet_edu modules a file imports, at any depth of the file (lazy imports count)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "resnet_edu":
                # "from . import checkpoint" names a module; "from .x import f" names a function.
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if _exists(sub) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "resnet_edu"}
    return found


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and not parts[1].startswith("_") else None


def test_the_face_is_what_a_notebook_types_first_and_stays_cheap():
    code = ("import sys; from resnet_edu import build_model, load_cifar10, preset, train, Trainer, Probe; "
            "import resnet_edu; assert set(resnet_edu.__all__) >= {'build_model', 'load_cifar10', 'preset', 'train'}; "
            "heavy = [m for m in ('streamlit', 'captum', 'plotly', 'pandas') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"importing resnet_edu loaded {out.stdout.strip()}"


def test_no_import_circle_in_the_package():
    graph = _graph()
    # The package face (resnet_edu/__init__) imports everything by design; cycles through it are
    # the only ones Python tolerates, so leave it out and look for any other cycle.
    graph = {m: {t for t in targets if t != "resnet_edu"} for m, targets in graph.items() if m != "resnet_edu"}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            # An import of a package runs its __init__: follow it as an edge to that module.
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if t in graph and state.get(t) != 2:
                visit(t)
        stack.pop()
        state[m] = 2

    for module in sorted(graph):
        if state.get(module) != 2:
            visit(module)


def test_imports_flow_down_the_layers():
    wrong = []
    for module, targets in _graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        for target in targets:
            other = _layer(target)
            if other is None and target != "resnet_edu._version":
                wrong.append(f"{module} imports the package face {target}")
            elif other not in (None, layer) and other not in ALLOWED[layer]:
                wrong.append(f"{module} ({layer}) imports {target} ({other})")
    assert not wrong, "\n".join(wrong)


def test_the_app_is_never_imported_by_the_package():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n.split(".")[0] in ("app", "streamlit") for n in names), f"{path} imports {names}"
