"""Build the bilingual notebooks from one source per lesson, so their code cells are identical.

    lessons/source/NN_topic.py  ->  lessons/en/NN_topic.ipynb  and  lessons/zh/NN_topic.ipynb

A source file defines CELLS, a list of cells in order:
    md(en="...", zh="...")      a markdown cell, written in each language (not translated word for word)
    code("...")                 a code cell, the same in both notebooks
    hint(en="...", zh="...")    an exercise hint or solution, collapsed (<details>) in both notebooks

Run `python lessons/build.py` after editing a source; the tests check that the committed
notebooks are what the sources build (and carry no outputs).
"""

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("en", "zh")
SUMMARY = {"en": "Hint / solution", "zh": "提示 / 参考答案"}


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


def load_source(path: Path) -> list[dict]:
    spec = importlib.util.spec_from_file_location(f"lesson_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build", sys.modules[__name__])  # sources do `from build import md, code, hint`
    spec.loader.exec_module(module)
    return module.CELLS


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
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
