"""Lessons: built from their sources, identical code in both languages, glossary terms, and they run."""

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
sys.path.insert(0, str(LESSONS))
import build  # noqa: E402

SOURCES = build.sources()
NAMES = [p.stem for p in SOURCES]


def _nb(lang: str, name: str) -> dict:
    return json.loads((LESSONS / lang / f"{name}.ipynb").read_text(encoding="utf-8"))


def _avoid_table() -> dict[str, str]:
    """The 'synonyms to avoid' table of lessons/GLOSSARY.md: {avoid: use}."""
    text = (LESSONS / "GLOSSARY.md").read_text(encoding="utf-8").split("## Synonyms to avoid", 1)[1]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", text, flags=re.M)
    return {a.strip(): b.strip() for a, b in rows if not a.startswith(("avoid", "---"))}


def test_there_are_lessons_zero_to_eight():
    numbers = sorted(int(n[:2]) for n in NAMES)
    assert numbers[:9] == list(range(9)), NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_are_built_from_sources_without_outputs(name):
    for lang in build.LANGS:
        committed = (LESSONS / lang / f"{name}.ipynb").read_text(encoding="utf-8")
        assert committed == build.render(LESSONS / "source" / f"{name}.py", lang), \
            f"{lang}/{name}.ipynb is stale: run `python lessons/build.py`"
        for cell in json.loads(committed)["cells"]:
            assert not cell.get("outputs")


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_are_identical_in_both_languages(name):
    code = {lang: ["".join(c["source"]) for c in _nb(lang, name)["cells"] if c["cell_type"] == "code"]
            for lang in build.LANGS}
    assert code["en"] == code["zh"] and code["en"]


@pytest.mark.parametrize("name", NAMES)
def test_chinese_lesson_uses_glossary_terms(name):
    avoid = _avoid_table()
    assert avoid, "the glossary's table of synonyms to avoid is empty"
    text = "".join("".join(c["source"]) for c in _nb("zh", name)["cells"] if c["cell_type"] == "markdown")
    found = {a: u for a, u in avoid.items() if a in text}
    assert not found, f"zh/{name}: use the glossary's terms: {found}"
    assert re.search(r"[\u4e00-\u9fff]", text), "the Chinese lesson has no Chinese prose"


@pytest.mark.parametrize("name", NAMES)
def test_chinese_prose_names_figures_tables_and_equations_in_chinese(name):
    """lessons/GLOSSARY.md: Fig. -> 图, Table -> 表, Eq. -> 式 in the Chinese lessons' prose."""
    text = "".join("".join(c["source"]) for c in _nb("zh", name)["cells"] if c["cell_type"] == "markdown")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code inside hints may say anything
    found = re.findall(r"\b(?:Figs?\.|Tables?|Eqs?\.)\s*\(?\d", text)
    assert not found, f"zh/{name}: write 图/表/式 in Chinese prose: {found}"


@pytest.mark.parametrize("name", NAMES)
def test_lessons_keep_the_vanishing_gradient_guardrail(name):
    """v1 §4.1: never teach 'ResNets fix vanishing gradients' without the qualifier."""
    for lang in build.LANGS:
        text = "".join("".join(c["source"]) for c in _nb(lang, name)["cells"]).lower()
        assert not re.search(r"resnets? (fix|solve)s? (the )?vanishing gradient", text), f"{lang}/{name}"
        assert "残差网络解决了梯度消失" not in text


def _plot_label_literals(name: str) -> set[str]:
    """The string literals a lesson's code passes to T(...)."""
    import ast

    found = set()
    for cell in _nb("en", name)["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "T" and node.args:
                arg = node.args[0]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), \
                    f"{name}: T() takes a literal label, so the table can be checked: {ast.unparse(arg)}"
                found.add(arg.value)
    return found


def test_chinese_plot_labels_are_built_and_complete():
    committed = (LESSONS / "zh" / "plot_labels.json").read_text(encoding="utf-8")
    assert committed == build.labels_zh(), "zh/plot_labels.json is stale: run `python lessons/build.py`"
    table = json.loads(committed)
    used = set().union(*(_plot_label_literals(n) for n in NAMES))
    assert used, "no lesson writes its plot labels through T(...)"
    assert not used - set(table), f"labels without a Chinese entry: {sorted(used - set(table))}"
    assert not set(table) - used, f"unused entries in zh/plot_labels.json: {sorted(set(table) - used)}"
    assert all(re.search(r"[\u4e00-\u9fff]", v) or v == k for k, v in table.items())


def test_plot_labels_follow_the_notebook_folder(tmp_path):
    from resnet_edu.training.notebook import plot_labels

    assert plot_labels(LESSONS / "en")("step") == "step"
    T = plot_labels(LESSONS / "zh")
    from matplotlib import font_manager
    if any("CJK" in f.name for f in font_manager.fontManager.ttflist):
        assert T("step") != "step" and T("no such label") == "no such label"
    else:  # without a CJK font the labels stay English rather than render as boxes
        assert T("step") == "step"


def test_one_data_folder_for_every_lesson(tmp_path, monkeypatch):
    """Lessons, hints and exercises all read CIFAR-10 from find_data_dir(), whatever the kernel's folder."""
    from resnet_edu.training import notebook

    monkeypatch.delenv("RESNET_EDU_DATA_DIR", raising=False)
    assert notebook.find_data_dir(LESSONS / "zh") == ROOT / "data"
    assert notebook.find_data_dir(ROOT) == ROOT / "data"
    assert notebook.find_data_dir(tmp_path) == ROOT / "data"  # an editable install: the checkout's data/
    monkeypatch.setenv("RESNET_EDU_DATA_DIR", str(tmp_path))
    assert notebook.find_data_dir(LESSONS / "en") == tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("lang", build.LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_lesson_runs_top_to_bottom_in_smoke_mode(name, lang):
    """Execute the notebook as a student would: a kernel started in its own folder, with no
    PYTHONPATH (the package is installed by requirements.txt's `-e .`)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSONS / lang / f"{name}.ipynb", as_version=4)
    env_before = dict(os.environ)
    os.environ["RESNET_EDU_SMOKE"] = "1"
    os.environ.pop("PYTHONPATH", None)
    os.environ.pop("RESNET_EDU_DATA_DIR", None)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # beside the other tests on a small machine
    try:
        NotebookClient(nb, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": str(LESSONS / lang)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


def test_torch_threads_never_exceed_free_cores_or_the_limits(monkeypatch):
    """Lessons, the CLI and the app's worker pick threads this way: on busy cores extra OpenMP
    threads made a lesson step several times slower (lessons/README.md)."""
    import torch

    from resnet_edu.training import device

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        monkeypatch.setattr(device.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        idle = device.free_cores()
        assert idle == len(os.sched_getaffinity(0))
        assert device.pick_cpu_threads() == idle == torch.get_num_threads()
        assert device.pick_cpu_threads(limit=1) == 1 == torch.get_num_threads()
        monkeypatch.setattr(device.os, "getloadavg", lambda: (1000.0, 0.0, 0.0))
        assert device.free_cores() == 1 and device.pick_cpu_threads() == 1
        monkeypatch.setattr(device.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert device.pick_cpu_threads() == 1
    finally:
        torch.set_num_threads(before)
