"""Issue 22's smaller items, page by page (AppTest): Home's figure and demo button, the block explorer's
notes and table, Chinese units, the analyses following their training run, the recorded run's command."""

import pytest

from app_helpers import app_env, no_failures, open_page, plotly_specs
from test_app_moment import texts, write_run

from resnet_edu.runs.store import RunStore


def test_home_shows_the_recorded_result_and_a_button_to_the_demo(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    for lang, what in (("en", "does **not** promise"), ("zh", "**并不**承诺")):
        at = open_page("home", lang)
        no_failures(at)
        specs = plotly_specs(at)
        assert specs and {tr.get("meta") for tr in specs[0]["data"]} >= {"plain20", "plain56"}
        caption = " ".join(c.value for c in at.caption)
        assert "plain-56" in caption and "%" in caption  # what the figure shows, in its own numbers
        assert what in texts(at)  # the identity argument: what it promises and what it does not
    at = open_page("home")
    at.button(key="home_demo").click().run()
    no_failures(at)
    assert at.title[0].value == "Degradation lab"


@pytest.mark.parametrize("shortcut, note", [("A", "exactly the same parameters"), ("C", "parameters more than the plain one")])
def test_block_explorer_says_what_its_counts_show(shortcut, note, monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("blocks", shortcut=shortcut, depth="20")
    no_failures(at)
    captions = " ".join(c.value for c in at.caption)
    assert note in captions, captions
    assert ("exactly the same parameters" in captions) == (shortcut == "A")  # the option-A note only for A
    table = at.table[0].value
    assert list(table.iloc[:, 0]) == ["plain20", "resnet20" + ("" if shortcut == "A" else f":shortcut={shortcut}")]
    assert not at.code[0].proto.wrap_lines  # the source is not wrapped mid-expression
    # The equation is the unit drawn: option C adds the projection W_s x_l (v1 Eq. 2), A the identity.
    assert ("W_s x_l +" in at.latex[0].value) == (shortcut == "C")


def test_chinese_units_and_the_recorded_command(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.5] * 20, "plain32": [0.9] * 20})
    at = open_page("degradation", "zh", models="plain8;plain32", preset="tiny", runs=run_id, recorded="1")
    no_failures(at)
    shown = texts(at)
    assert "用时 40 秒" in shown and " min" not in shown and "40 s" not in shown, shown
    assert at.toggle(key="degradation_recorded").value, "?recorded=1 opens the recorded run"
    command = next(c.value for c in at.caption if "--preset quick" in c.value)
    assert "shared/data" not in command and "/tmp/" not in command and "--data-dir 你的_CIFAR10_文件夹" in command
    eta = next(c.value for c in at.caption if "预计用时" in c.value)
    assert "秒" in eta or "分钟" in eta


def test_the_analyses_follow_the_run_they_wait_for(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    run_id = write_run(runs, ["plain20", "resnet20"], {"plain20": [0.9] * 3, "resnet20": [0.9] * 3}, status="running")
    with RunStore(runs).lock(run_id):  # its trainer is alive
        at = open_page("analyses")
    no_failures(at)
    progress = " ".join(p.proto.text for p in at.get("progress"))
    assert run_id in progress and "updates when it ends" in progress, progress
