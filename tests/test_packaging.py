"""A wheel built from the checkout carries every file the package reads at run time.

`pip install -e .` reads the checkout, so only a real build shows what a non-editable
install (`pip install .`, a wheel) would lose: non-.py files need a package-data entry.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "resnet_edu"


def _runtime_data_files() -> set[str]:
    """Every non-Python file under resnet_edu/ that the package needs, as a wheel path.

    Documentation (*.md) is the only kind left out: nothing imports or opens it.
    """
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".py", ".pyc", ".md"}}


def test_the_recorded_run_is_a_runtime_data_file():
    # Guards the walk below: if the recording moved or the filter broke, the wheel check would pass empty.
    assert "resnet_edu/runs/recordings/quick-cifar10-plain20-plain56.json" in _runtime_data_files()


@pytest.mark.slow  # a setuptools build: 13 s on the loaded 2-core development machine
def test_wheel_contains_the_package_data(tmp_path):
    # Build from a copy so the shared checkout gets no build/ or *.egg-info folders; offline:
    # no index, and --no-build-isolation uses the installed setuptools instead of fetching one.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "resnet_edu", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "wheel"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(out), str(src)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("resnet_edu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    missing = _runtime_data_files() - names
    assert not missing, f"not in the wheel (add them to [tool.setuptools.package-data]): {sorted(missing)}"
    # The recorded run must also be the file the app replays, not an empty placeholder.
    with zipfile.ZipFile(wheel) as z:
        shipped = z.read("resnet_edu/runs/recordings/quick-cifar10-plain20-plain56.json")
    assert shipped == (PACKAGE / "runs/recordings/quick-cifar10-plain20-plain56.json").read_bytes()
    assert "resnet_edu/runs/recorded.py" in names  # and the code that reads it
