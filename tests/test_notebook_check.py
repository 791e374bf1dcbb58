"""check / say / tr: a lesson's claims checked in code and its printed words in the notebook's
language (resnet_edu.training.notebook; lessons/zh/texts.json built by lessons/build.py)."""

import ast
import json
import re
import sys
from pathlib import Path

import pytest

from resnet_edu.training import notebook

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
sys.path.insert(0, str(LESSONS))
import build  # noqa: E402

# (function, index of each template among its positional arguments, keyword holding a template)
TEMPLATE_ARGS = {"check": ((1, 2), "instead"), "say": ((0,), None), "tr": ((0,), None)}


@pytest.fixture
def language(monkeypatch):
    """language("zh") / language("en"): the table say/check/tr read, as lesson_setup sets it."""
    def use(lang):
        monkeypatch.setattr(notebook, "_TEXTS", notebook.texts_table(LESSONS / lang))
    return use


def _templates(tree: ast.AST, where: str, literal_only: bool = True) -> set[str]:
    """The templates a piece of code passes to check/say/tr; in a lesson they must be literals,
    so that this test can make sure each has a translation (the helpers themselves pass theirs on)."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TEMPLATE_ARGS):
            continue
        positions, keyword = TEMPLATE_ARGS[node.func.id]
        args = [node.args[i] for i in positions if i < len(node.args)]
        args += [k.value for k in node.keywords if k.arg in (keyword, "claim", "text")]
        for arg in args:
            if not literal_only and not isinstance(arg, ast.Constant):
                continue
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), \
                f"{where}: {node.func.id}() takes literal templates: {ast.unparse(arg)}"
            if arg.value:
                found.add(arg.value)
    return found


def _lesson_templates(name: str) -> set[str]:
    """Templates in a lesson's code cells and in the Python blocks of its hints (solutions)."""
    found = set()
    for cell in build.load_source(LESSONS / "source" / f"{name}.py"):
        blocks = [cell["src"]] if cell["kind"] == "code" else re.findall(r"```python\n(.*?)```", cell["en"], re.S)
        for block in blocks:
            try:
                tree = ast.parse(block)
            except SyntaxError:  # a fragment inside a hint: nothing this test can read
                continue
            found |= _templates(tree, name)
    return found


def test_texts_json_is_built():
    committed = (LESSONS / "zh" / "texts.json").read_text(encoding="utf-8")
    assert committed == build.texts_zh(), "zh/texts.json is stale: run `python lessons/build.py`"


def test_every_printed_template_has_a_chinese_translation():
    """So a Chinese notebook never falls back to English silently."""
    table = json.loads((LESSONS / "zh" / "texts.json").read_text(encoding="utf-8"))
    used = set().union(*(_lesson_templates(p.stem) for p in build.sources()))
    used |= _templates(ast.parse(Path(notebook.__file__).read_text(encoding="utf-8")), "notebook.py", False)
    assert used, "nothing is printed through say/check/tr"
    assert not used - set(table), f"templates without a Chinese entry: {sorted(used - set(table))}"
    for en, zh in table.items():
        assert notebook.template_fields(en) == notebook.template_fields(zh), (en, zh)
        assert zh == en or re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", zh), f"not Chinese: {zh}"
        assert not re.search(r"[\d}] %", zh) and "**" not in zh, f"no space before % and no bold in printed Chinese: {zh}"


def test_check_prints_a_tick_or_a_cross_in_english(language, capsys, monkeypatch):
    monkeypatch.delenv("RESNET_EDU_SMOKE", raising=False)
    language("en")
    assert notebook.check(3 > 2, "plain-56 ends above plain-20", "plain-56 {p56:.1f} % vs plain-20 {p20:.1f} %",
                          p56=3.0, p20=2.0) is True
    assert notebook.check(2 > 3, "plain-56 ends above plain-20", "plain-56 {p56:.1f} % vs plain-20 {p20:.1f} %",
                          p56=2.0, p20=3.04) is False
    assert capsys.readouterr().out.splitlines() == [
        "✓ plain-56 ends above plain-20", "✗ plain-56 ends above plain-20: plain-56 2.0 % vs plain-20 3.0 %"]


def test_check_and_say_speak_chinese_in_a_chinese_notebook(language, capsys, monkeypatch):
    monkeypatch.delenv("RESNET_EDU_SMOKE", raising=False)
    language("zh")
    table = notebook._TEXTS
    claim = next(k for k in table if k[0].isalpha() and not notebook.template_fields(k))
    assert notebook.check(True, claim) is True
    notebook.say("Using CIFAR-10 from {folder}.", folder="/data")
    assert notebook.check(False, claim, "CIFAR-10 is not in {folder}", folder="/x") is False
    assert capsys.readouterr().out.splitlines() == [
        f"✓ {table[claim]}", "使用 /data 中的 CIFAR-10。", f"✗ {table[claim]}：/x 中没有 CIFAR-10"]


def test_smoke_mode_announces_a_check_without_judging(language, capsys, monkeypatch):
    monkeypatch.setenv("RESNET_EDU_SMOKE", "1")
    language("en")
    assert notebook.check(False, "plain-56 ends above plain-20", "{x}", x=1) is False  # still counts
    language("zh")
    notebook.check(True, "smoke mode")
    out = capsys.readouterr().out.splitlines()
    assert out == ["· plain-56 ends above plain-20 (checked in full mode)", "· 冒烟模式（完整模式下检查）"]
    assert not any("✓" in line or "✗" in line for line in out)


def test_text_without_a_translation_stays_english_and_a_template_is_filled(language):
    language("zh")
    assert notebook.tr("no such text {n:,}", n=5170) == "no such text 5,170"
    language("en")
    assert notebook.tr("Using CIFAR-10 from {folder}.", folder="d") == "Using CIFAR-10 from d."
