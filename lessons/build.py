"""Build the bilingual notebooks from one source per lesson, so their code cells are identical.

    lessons/source/NN_topic.py  ->  lessons/en/NN_topic.ipynb  and  lessons/zh/NN_topic.ipynb

A source file defines CELLS, a list of cells in order:
    md(en="...", zh="...")      a markdown cell, written in each language (not translated word for word)
    code("...")                 a code cell, the same in both notebooks
    hint(en="...", zh="...")    an exercise hint or solution, collapsed (<details>) in both notebooks
and LABELS_ZH, {English plot label: Chinese label} for the labels its code writes as T("..."),
and TEXTS_ZH, {English template: Chinese template} for what its code prints through
say("...", **values) and check(ok, "claim", "instead", **values) (resnet_edu.training.notebook).
Every notebook starts with SETUP (below, after the title cell); the labels of all lessons go to
lessons/zh/plot_labels.json, which T reads in the Chinese notebooks, and the printed templates
(with the package's own, notebook.TEXTS_ZH) to lessons/zh/texts.json, which say and check read
there: the code stays identical in both languages.

Run `python lessons/build.py` after editing a source; the tests check that the committed
notebooks are what the sources build (and carry no outputs).
"""

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # this checkout's package (texts_zh reads its TEXTS_ZH), not another install
    sys.path.insert(0, str(HERE.parent))
LANGS = ("en", "zh")
SUMMARY = {"en": "Hint / solution", "zh": "提示 / 参考答案"}

# The first code cell of every lesson. After `pip install -r requirements.txt` it only picks CPU
# threads and returns T; in a bare kernel (Colab) it installs the package from the checkout first.
SETUP = r"""
# Set-up, the same in every lesson: on Colab or a bare kernel, install this project from its
# checkout (and captum); then pick CPU threads, and get T, the plot labels in this notebook's language.
import importlib, importlib.util, subprocess, sys
from pathlib import Path

if importlib.util.find_spec("resnet_edu") is None:
    here = Path.cwd()
    roots = [p for p in (here, *here.parents, *sorted(Path("/content").glob("*")))
             if (p / "resnet_edu").is_dir() and (p / "pyproject.toml").is_file()]
    if not roots:
        raise RuntimeError("resnet_edu is not installed: run `pip install -r requirements.txt` in the "
                           "repository (on Colab, first clone or upload the repository into /content).")
    colab = "google.colab" in sys.modules  # keep Colab's own torch: --no-deps
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *(["--no-deps"] if colab else []),
                           "-e", str(roots[0])])
    sys.path.insert(0, str(roots[0]))
    importlib.invalidate_caches()
if importlib.util.find_spec("captum") is None:  # lesson 07's attributions
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "captum"])

from resnet_edu.training.notebook import check, lesson_setup, say  # check: ✓/✗ a claim; say: print in this language

T = lesson_setup()  # on Colab this also downloads CIFAR-10 (163 MB) into find_data_dir()
"""


def md(en: str, zh: str) -> dict:
    return {"kind": "md", "en": en.strip("\n"), "zh": zh.strip("\n")}


def code(src: str) -> dict:
    return {"kind": "code", "src": src.strip("\n")}


def hint(en: str, zh: str) -> dict:
    return {"kind": "hint", "en": en.strip("\n"), "zh": zh.strip("\n")}


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def notebook(cells: list[dict], lang: str) -> dict:
    out = []
    for i, cell in enumerate(cells):
        cid = f"c{i:02d}"
        if cell["kind"] == "code":
            out.append({"cell_type": "code", "execution_count": None, "id": cid, "metadata": {},
                        "outputs": [], "source": _lines(cell["src"])})
        else:
            text = cell[lang]
            if cell["kind"] == "hint":
                text = f"<details><summary>{SUMMARY[lang]}</summary>\n\n{text}\n\n</details>"
            out.append({"cell_type": "markdown", "id": cid, "metadata": {}, "source": _lines(text)})
    return {"cells": out, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"lesson_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build", sys.modules[__name__])  # sources do `from build import md, code, hint`
    spec.loader.exec_module(module)
    return module


def load_source(path: Path) -> list[dict]:
    """The lesson's cells: its title cell, SETUP, then the rest."""
    cells = _module(path).CELLS
    return [cells[0], code(SETUP), *cells[1:]]


def labels_zh() -> str:
    """lessons/zh/plot_labels.json: every lesson's LABELS_ZH, merged (a label must not differ)."""
    table: dict[str, str] = {}
    for path in sources():
        for en, zh in getattr(_module(path), "LABELS_ZH", {}).items():
            if table.setdefault(en, zh) != zh:
                raise ValueError(f"{path.name}: {en!r} is {zh!r} here but {table[en]!r} elsewhere")
    return json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=1) + "\n"


def texts_zh() -> str:
    """lessons/zh/texts.json: the package's and every lesson's TEXTS_ZH, merged (a template must
    not differ, and must fill the same names in both languages)."""
    from resnet_edu.training.notebook import TEXTS_ZH, template_fields

    table: dict[str, str] = dict(TEXTS_ZH)
    for path in sources():
        for en, zh in getattr(_module(path), "TEXTS_ZH", {}).items():
            if table.setdefault(en, zh) != zh:
                raise ValueError(f"{path.name}: {en!r} is {zh!r} here but {table[en]!r} elsewhere")
    for en, zh in table.items():
        if template_fields(en) != template_fields(zh):
            raise ValueError(f"{en!r} and {zh!r} fill different names")
    return json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=1) + "\n"


def render(path: Path, lang: str) -> str:
    return json.dumps(notebook(load_source(path), lang), ensure_ascii=False, indent=1) + "\n"


def sources() -> list[Path]:
    return sorted(p for p in (HERE / "source").glob("[0-9][0-9]_*.py"))


def main() -> int:
    for path in sources():
        for lang in LANGS:
            target = HERE / lang / (path.stem + ".ipynb")
            target.parent.mkdir(exist_ok=True)
            target.write_text(render(path, lang), encoding="utf-8")
            print(f"wrote {target.relative_to(HERE.parent)}")
    (HERE / "zh" / "plot_labels.json").write_text(labels_zh(), encoding="utf-8")
    print("wrote lessons/zh/plot_labels.json")
    (HERE / "zh" / "texts.json").write_text(texts_zh(), encoding="utf-8")
    print("wrote lessons/zh/texts.json")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
