"""The slim installs (issue 25): `pip install -e ".[lessons]"` is enough for the lessons.

The lessons extra has no streamlit, pyarrow or playwright (nor plotly or pandas): a kernel where
those cannot be imported must still run the lessons. The measured sizes are in docs/install.md.
"""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
APP_ONLY = ("streamlit", "pyarrow", "playwright", "plotly", "pandas")

# Started before anything else in a kernel (PYTHONPATH's sitecustomize): any of APP_ONLY is
# missing, to import and to importlib.util.find_spec, as where only the lessons extra is installed.
BLOCKER = '''
import sys
from importlib.machinery import PathFinder

class _LessonsInstall(PathFinder):
    """sys.path's finder, blind to the app's packages: find_spec gives None, import fails."""
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            return None
        return PathFinder.find_spec(name, path, target)

sys.meta_path[:] = [_LessonsInstall if f is PathFinder else f for f in sys.meta_path]
'''


def _requirement_names(requirements: list[str]) -> set[str]:
    return {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
            for r in requirements}


def test_the_extras_split_the_install_as_documented():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not _requirement_names(extras["lessons"]) & set(APP_ONLY)
    assert {"streamlit", "plotly", "pandas"} <= _requirement_names(extras["app"])
    assert "torch==2.13.0" in project["dependencies"]  # every set gets this torch, never a CUDA download
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()


def _blocker_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons_install"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BLOCKER.format(blocked=set(APP_ONLY)))
    return folder


def _package_imports_of_lessons() -> set[str]:
    """Every resnet_edu module a lesson's code imports (cells, hints and solutions)."""
    found = set()
    for source in (LESSONS / "source").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "resnet_edu" in node.value:
                try:  # cell code is held in strings: parse each one that imports the package
                    tree = ast.parse(node.value)
                except SyntaxError:
                    continue
                for inner in ast.walk(tree):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("resnet_edu"):
                        found.add(inner.module)
                    elif isinstance(inner, ast.Import):
                        found |= {a.name for a in inner.names if a.name.startswith("resnet_edu")}
    return found


def test_every_module_the_lessons_import_loads_without_the_app_packages(tmp_path):
    modules = _package_imports_of_lessons()
    assert "resnet_edu.training.notebook" in modules, modules
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in sorted(modules))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_blocker_dir(tmp_path)), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code + "import captum.attr, matplotlib, tqdm"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    check = subprocess.run([sys.executable, "-c", "import streamlit"], capture_output=True, text=True, env=env)
    assert check.returncode != 0, "the blocker did not block: this test would prove nothing"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["00_story", "01_degradation"])
def test_lessons_run_in_a_kernel_without_the_app_packages(name, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSONS / "en" / f"{name}.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import importlib.util, sys\n"
        f"assert all(m not in sys.modules for m in {APP_ONLY!r})\n"
        "try:\n    import streamlit\nexcept ImportError:\n    pass\n"
        "else:\n    raise AssertionError('streamlit imported: the kernel is not a lessons-only install')\n"))
    env_before = dict(os.environ)
    os.environ.update(RESNET_EDU_SMOKE="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1",
                      PYTHONPATH=os.pathsep.join([str(_blocker_dir(tmp_path)), str(ROOT)]))
    os.environ.pop("RESNET_EDU_DATA_DIR", None)
    try:
        NotebookClient(nb, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": str(LESSONS / "en")}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, [e.get("evalue") for e in errors]
