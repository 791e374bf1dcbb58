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
def test_lessons_keep_the_vanishing_gradient_guardrail(name):
    """v1 §4.1: never teach 'ResNets fix vanishing gradients' without the qualifier."""
    for lang in build.LANGS:
        text = "".join("".join(c["source"]) for c in _nb(lang, name)["cells"]).lower()
        assert not re.search(r"resnets? (fix|solve)s? (the )?vanishing gradient", text), f"{lang}/{name}"
        assert "残差网络解决了梯度消失" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_lesson_runs_top_to_bottom_in_smoke_mode(name, tmp_path):
    """Execute the English notebook (the Chinese one has the same code, checked above)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSONS / "en" / f"{name}.ipynb", as_version=4)
    env_before = dict(os.environ)
    os.environ["RESNET_EDU_SMOKE"] = "1"
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        NotebookClient(nb, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": str(LESSONS / "en")}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
