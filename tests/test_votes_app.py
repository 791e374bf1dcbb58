"""The class vote in the app (issue 22): students' screens predict, the teacher's lab counts, the gap reveals.

Each AppTest is one browser session with its own st.session_state (its own voting token). A
session is a student's screen (a viewer) when Streamlit's client address is another machine's:
here a patched `st.context.ip_address`, switched per session. The teacher's run is written
straight into the run store (as in test_app_moment) while the test holds the run's lock, as a
trainer would: every page state, and the moment the gap shows, is exact and fast.
"""

import json
import sys
import time
from pathlib import Path

import pytest
import streamlit as st

from app_helpers import app_env, no_failures, open_page, plotly_specs
from resnet_edu.runs import votes
from resnet_edu.runs.store import RunStore
from resnet_edu.training.config import preset
from resnet_edu.viz.theme import TEMPLATE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
MODELS = ("plain8", "plain32")
STUDENT, TEACHER = "192.168.1.23", "127.0.0.1"
N_LOGS = 20  # 10 for the noise, 4 in a row beyond it: "now visible" at log 14 (as in test_app_moment)


@pytest.fixture
def who(monkeypatch):
    """who["ip"]: the client address of the next session run (a student's machine or the teacher's)."""
    seat = {"ip": TEACHER}
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: seat["ip"]))
    return seat


def start_run(runs: Path) -> str:
    """A run of plain-8 and plain-32, 'running', with its first logs: both curves together, no gap yet."""
    store = RunStore(runs)
    run_id = store.create(preset("tiny", models=MODELS, dataset="synthetic", steps=2 * N_LOGS))
    now = time.time()
    store.append(run_id, {"kind": "status", "model": "*", "step": 0, "status": "running", "message": "", "time": now})
    store.set_status(run_id, "running", step=0)
    log(store, run_id, range(3), now)
    return run_id


def log(store: RunStore, run_id: str, logs, t0: float) -> None:
    """Logs 2 steps apart: plain-8 learns (0.9 - 0.02 i), plain-32 barely (0.9 - 0.002 i): degradation."""
    for i in logs:
        for model, err in (("plain8", 0.9 - 0.02 * i), ("plain32", 0.9 - 0.002 * i)):
            store.append(run_id, {"kind": "metrics", "model": model, "step": 2 * (i + 1), "lr": 0.1,
                                  "train_loss": 2.0, "train_error": err, "images_per_s": 100.0, "time": t0 + i})


def show_gap(store: RunStore, run_id: str) -> None:
    """The rest of the logs, stamped from now on: the gap rule speaks at log 14."""
    log(store, run_id, range(3, N_LOGS), time.time())


def texts(at) -> str:
    return " ".join(e.value for kind in ("success", "info", "warning", "markdown", "caption") for e in getattr(at, kind))


def on_disk(runs: Path, run_id: str) -> dict:
    return json.loads((runs / run_id / "votes.json").read_text())["votes"]


WORDS = {
    "en": dict(sent="Your prediction was sent: plain-8", count="predictions so far: **{n}**",
               split="3 of 3 predicted plain-8", closed="Voting on this run is closed",
               mine="You predicted plain-8"),
    "zh": dict(sent="你的预测已发送：plain-8", count="目前共有 **{n}** 个预测",
               split="3 人中 3 人预测 plain-8", closed="这个训练任务的投票已结束", mine="你预测的是 plain-8"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_three_students_vote_the_teacher_counts_and_the_gap_reveals(monkeypatch, tmp_path, who, lang):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    run_id = start_run(runs)
    words = WORDS[lang]
    page = dict(models=";".join(MODELS), preset="tiny")
    with store.lock(run_id):  # a trainer holds the run: listings keep it "running"
        who["ip"] = STUDENT
        students = [open_page("degradation", lang, **page) for _ in range(3)]
        radio = f"vote_{run_id}.{lang}"
        for k, at in enumerate(students):
            no_failures(at)
            assert at.button(key="degradation_start").disabled  # a student still cannot start anything
            assert not [r for r in at.radio if r.key.startswith("degradation_predict")]  # one question, not two
            assert at.radio(key=radio).options == ["plain-8", "plain-32", "I can't tell" if lang == "en" else "我说不准"]
            students[k] = at.radio(key=radio).set_value("plain32" if k == 2 else "plain8").run()
            sent = words["sent"].replace("plain-8", "plain-32") if k == 2 else words["sent"]
            assert sent in texts(students[k]), texts(students[k])
        students[2] = students[2].radio(key=radio).set_value("plain8").run()  # changes their mind: replaced
        assert words["sent"] in texts(students[2])
        assert sorted(v["choice"] for v in on_disk(runs, run_id).values()) == ["plain8"] * 3  # 3 tokens, no names
        # A reload is a new session with the same URL: the screen keeps its one vote (?voter=), not a second.
        voter = students[0].query_params["voter"]
        voter = voter[0] if isinstance(voter, list) else voter
        reloaded = open_page("degradation", lang, voter=voter, **page)
        assert reloaded.radio(key=radio).value == "plain8" and words["sent"] in texts(reloaded)
        assert len(on_disk(runs, run_id)) == 3 and voter in on_disk(runs, run_id)
        forged = open_page("degradation", lang, voter="../../etc", **page)  # not a token: a fresh one
        assert forged.radio(key=radio).value is None and votes.is_token(forged.session_state["vote.token"])

        who["ip"] = TEACHER
        teacher = open_page("degradation", lang, runs=run_id, **page)
        no_failures(teacher)
        assert at_least_one(teacher, words["count"].format(n=3))
        assert words["split"] not in texts(teacher) and not bars(teacher)  # the count only: nobody is swayed
        assert teacher.radio(key=f"degradation_predict.{lang}")  # the teacher's own question stays

        show_gap(store, run_id)
        teacher.run()  # the page's next poll
        no_failures(teacher)
        assert words["split"] in texts(teacher), texts(teacher)
        assert "now training worse" in texts(teacher) or "训练得更差了" in texts(teacher)  # beside the gap message
        assert bars(teacher) == {"x": [3, 0, 0], "colours": 3}

        # Voting closed with the gap: a latecomer sees the result, not the question.
        who["ip"] = STUDENT
        late = open_page("degradation", lang, **page)
        no_failures(late)
        assert radio not in [r.key for r in late.radio] and words["closed"] in texts(late)
        assert words["split"] in texts(late)
        students[0].run()
        assert words["mine"] in texts(students[0])
        assert len(on_disk(runs, run_id)) == 3


def at_least_one(at, phrase: str) -> bool:
    return any(phrase in e.value for e in at.info)


def bars(at) -> dict | None:
    """The vote's bar chart, if drawn: the counts and how many colours."""
    for spec in plotly_specs(at):
        for trace in spec["data"]:
            if trace.get("type") == "bar":
                # Drawn in the app's one chart template, like every other chart.
                assert spec["layout"]["template"]["layout"]["font"] == TEMPLATE.layout.font.to_plotly_json()
                return {"x": trace["x"], "colours": len(trace["marker"]["color"])}
    return None


@pytest.fixture
def shared(monkeypatch):
    """The server listens on every interface (`--host 0.0.0.0`), and this machine's address is 192.168.1.5."""
    from ui import vote
    monkeypatch.setattr(vote, "_address", lambda: "0.0.0.0")
    monkeypatch.setattr(vote, "_lan_address", lambda: "192.168.1.5")


def test_predictions_made_before_start_are_counted_then_become_the_runs_votes(monkeypatch, tmp_path, who, shared):
    """Predict, then Start: the teacher sees how many have predicted before pressing it, and the run keeps them."""
    runs = app_env(monkeypatch, tmp_path)
    page = dict(models=";".join(MODELS), preset="tiny")
    who["ip"] = TEACHER
    teacher = open_page("degradation", **page)
    no_failures(teacher)
    assert any("Students open `http://192.168.1.5:8501/degradation`" in c.value for c in teacher.caption)

    who["ip"] = STUDENT
    early, also_early = open_page("degradation", **page), open_page("degradation", **page)
    for at, choice, shown in ((early, "plain8", "plain-8"), (also_early, "?", "I can't tell")):
        no_failures(at)
        assert "the teacher has not started a run yet" in texts(at)
        # A student's screen cannot press Start: it is not told to.
        assert "the teacher's run appears here" in texts(at) and "press Start training" not in texts(at)
        at.radio(key="vote_next.en").set_value(choice).run()
        assert f"Your prediction was sent: {shown}. It counts for the teacher's next run" in texts(at)
    chosen = time.time()
    who["ip"] = TEACHER
    teacher.run()
    assert at_least_one(teacher, "predictions for your next run: **2**")
    assert "predicted plain-8" not in texts(teacher) and not bars(teacher)

    store = RunStore(runs)
    run_id = start_run(runs)  # the teacher presses Start (here: the run written as a trainer would)
    with store.lock(run_id):
        teacher = open_page("degradation", runs=run_id, **page)
        no_failures(teacher)  # the page that shows the new run adopts the early predictions at once
        assert at_least_one(teacher, "predictions so far: **2**")
        got = votes.read(runs / run_id)
        assert sorted(v.choice for v in got.values()) == ["?", "plain8"] and all(v.at <= chosen for v in got.values())
        who["ip"] = STUDENT
        early.run()  # its next poll: the vote is in the run, and the question is now the run's
        assert "Your prediction was sent: plain-8. You can change it" in texts(early)
        assert early.radio(key=f"vote_{run_id}.en").value == "plain8"
        show_gap(store, run_id)
        who["ip"] = TEACHER
        teacher.run()
        assert "1 of 2 predicted plain-8; 1 of 2 could not tell" in texts(teacher)
    store.set_status(run_id, "done", step=2 * N_LOGS)
    who["ip"] = STUDENT
    early.run()  # the run has ended: the next question waits for the teacher's next run
    assert "Last run: you predicted plain-8. The class: 1 of 2 predicted plain-8; 1 of 2 could not tell." in texts(early)
    assert early.radio(key="vote_next.en").value is None
    # The run keeps its class's votes: opened later (a recorded run, on a server nobody else reaches), the split.
    who["ip"] = TEACHER
    from ui import vote
    monkeypatch.setattr(vote, "_address", lambda: "127.0.0.1")
    later = open_page("degradation", runs=run_id, **page)
    no_failures(later)
    assert "1 of 2 predicted plain-8; 1 of 2 could not tell" in texts(later)


def test_an_early_prediction_counts_if_the_gap_shows_before_the_screen_polls(monkeypatch, tmp_path, who):
    """No teacher's page adopts it (a run started elsewhere) and the gap comes first: made before, it counts."""
    runs = app_env(monkeypatch, tmp_path)
    page = dict(models=";".join(MODELS), preset="tiny")
    who["ip"] = STUDENT
    slow = open_page("degradation", **page)
    slow.radio(key="vote_next.en").set_value("plain32").run()
    store = RunStore(runs)
    run_id = start_run(runs)
    with store.lock(run_id):
        show_gap(store, run_id)
        slow.run()
        assert "You predicted plain-32. Voting on this run is closed." in texts(slow)
        assert [v.choice for v in votes.read(runs / run_id).values()] == ["plain32"]
        late = open_page("degradation", **page)  # a screen that opens only now cannot vote on this run
        assert f"vote_{run_id}.en" not in [r.key for r in late.radio] and "Voting on this run is closed" in texts(late)
        late.run()
        assert len(votes.read(runs / run_id)) == 1


def test_the_teacher_is_told_where_students_open_the_lab(monkeypatch, tmp_path, who):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    run_id = start_run(runs)
    from ui import vote
    with store.lock(run_id):
        at = open_page("degradation", runs=run_id, models=";".join(MODELS), preset="tiny")
        no_failures(at)  # 127.0.0.1 (the checked-in config): no student can vote, so the lab says nothing of it
        assert "Class vote" not in texts(at)
        monkeypatch.setattr(vote, "_address", lambda: "0.0.0.0")
        monkeypatch.setattr(vote, "_lan_address", lambda: "192.168.1.5")
        at = open_page("degradation", runs=run_id, models=";".join(MODELS), preset="tiny")
        assert any("Students open `http://192.168.1.5:8501/degradation`" in c.value for c in at.caption), \
            [c.value for c in at.caption]
        monkeypatch.setattr(vote, "_lan_address", lambda: None)  # no route: the address in words
        at = open_page("degradation", runs=run_id, models=";".join(MODELS), preset="tiny", lang="zh")
        assert any("`http://（本机地址）:8501/degradation`" in c.value for c in at.caption), [c.value for c in at.caption]


def test_a_broken_or_hostile_votes_file_is_no_votes_and_students_can_still_vote(monkeypatch, tmp_path, who):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    run_id = start_run(runs)
    page = dict(models=";".join(MODELS), preset="tiny")
    with store.lock(run_id):
        (runs / run_id / "votes.json").write_text("[" * 50_000)
        teacher = open_page("degradation", runs=run_id, **page)
        no_failures(teacher)
        assert not at_least_one(teacher, "predictions so far")
        # Votes for nets this run does not have (an edited file) are not counted.
        (runs / run_id / "votes.json").write_text(json.dumps({"version": 1, "votes": {
            "a" * 32: {"choice": "resnet110", "at": 1.0}, "b" * 32: {"choice": "plain8", "at": 1.0}}}))
        teacher.run()
        assert at_least_one(teacher, "predictions so far: **1**")
        (runs / run_id / "votes.json").unlink()
        (runs / run_id / "votes.json").symlink_to("/dev/zero")
        who["ip"] = STUDENT
        student = open_page("degradation", **page)
        no_failures(student)
        student.radio(key=f"vote_{run_id}.en").set_value("plain32").run()
        no_failures(student)
        assert "Your prediction was sent: plain-32" in texts(student)
        assert not (runs / run_id / "votes.json").is_symlink()
        assert [v.choice for v in votes.read(runs / run_id).values()] == ["plain32"]


def test_only_the_degradation_lab_takes_a_class_vote(monkeypatch, tmp_path, who):
    app_env(monkeypatch, tmp_path)
    who["ip"] = STUDENT
    at = open_page("residual")
    no_failures(at)
    assert not [r for r in at.radio if r.key.startswith("vote_")]
    assert "Class vote" not in texts(at)
