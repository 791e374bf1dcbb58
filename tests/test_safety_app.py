"""The app over a hostile or broken run store (issue 10): pages keep working, nothing planted runs."""

import time

import pytest

from app_helpers import app_env, no_failures, open_page
from resnet_edu.runs.store import RunStore
from test_safety import plant_malicious_run


def test_malicious_checkpoint_does_not_run_when_the_analyses_page_opens(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    marker = tmp_path / "pwned"
    plant_malicious_run(runs, marker, models=("plain20", "resnet20"))
    at = open_page("analyses")
    assert not marker.exists(), "the page ran the checkpoint's code"
    no_failures(at)


def test_malformed_run_folders_are_shown_with_delete_and_other_pages_work(monkeypatch, tmp_path, tiny_config):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    good = store.create(tiny_config)
    store.set_status(good, "done", step=12)
    bad_status = store.create(tiny_config)
    (runs / bad_status / "status.json").write_text('"done"')
    bad_config = store.create(tiny_config)
    (runs / bad_config / "config.json").write_text('{"config": {"models": 7}}')
    binary = store.create(tiny_config)
    store.set_status(binary, "done", step=12)
    with open(runs / binary / "metrics.jsonl", "ab") as f:
        f.write(b"\x80\x81 not text\n")

    at = open_page("runs")
    no_failures(at)
    warnings = [w.value for w in at.warning]
    assert any(f"Unreadable run {bad_status}: status.json: not a JSON object" in w for w in warnings), warnings
    assert any(f"Unreadable run {bad_config}: config.json:" in w for w in warnings), warnings
    assert len(at.dataframe[0].value) == 2  # the good run and the one with a binary metrics line
    at.checkbox(key=f"sure_{bad_status}").check().run()
    at.button(key=f"delete_{bad_status}").click().run()
    assert not (runs / bad_status).exists()
    for page, params in (("home", {}), ("degradation", {}), ("analyses", {}),
                         ("runs", {"runs": f"{binary};{bad_config}"})):
        no_failures(open_page(page, **params))


def test_huge_depth_in_the_url_is_one_line_and_builds_nothing(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    start = time.perf_counter()
    at = open_page("degradation", models="resnet99999998")
    no_failures(at)
    assert time.perf_counter() - start < 60
    shown = [e.value for e in at.error] + [w.value for w in at.warning]
    assert any("too deep" in s for s in shown), shown


def test_viewer_sessions_cannot_start_or_delete(monkeypatch, tmp_path):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    import streamlit as st
    from ui import context
    app_env(monkeypatch, tmp_path)
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: "192.168.1.23"))
    assert context.viewer()
    with pytest.raises(ValueError, match="viewer mode"):
        context.runner().submit(context.make_config("tiny", ("plain8",), "synthetic"))
    monkeypatch.setenv("RESNET_EDU_REMOTE_CONTROL", "1")
    assert not context.viewer()


def _as_viewer(monkeypatch) -> None:
    """This session comes from another machine (Streamlit's client address), as on a classroom LAN."""
    import streamlit as st
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: "192.168.1.23"))


def _note(lang: str) -> str:
    from pathlib import Path
    import json
    return json.loads((Path(__file__).resolve().parents[1] / f"app/i18n/{lang}.json").read_text("utf-8"))["viewer.note"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_viewer_sees_why_start_and_delete_are_off(monkeypatch, tmp_path, tiny_config, lang):
    runs = app_env(monkeypatch, tmp_path)
    _as_viewer(monkeypatch)
    note = _note(lang)
    assert "RESNET_EDU_REMOTE_CONTROL=1" in note  # it says how the teacher allows it

    at = open_page("degradation", lang=lang)
    no_failures(at)
    start = at.button(key="degradation_start")
    assert start.disabled and start.help == note
    assert note in [c.value for c in at.caption]

    # A click on a page drawn before the session became a viewer: no error, nothing queued.
    monkeypatch.setenv("RESNET_EDU_REMOTE_CONTROL", "1")
    at = open_page("degradation", lang=lang)
    monkeypatch.delenv("RESNET_EDU_REMOTE_CONTROL")
    at = at.button(key="degradation_start").click().run()
    assert not at.exception and not at.error, [e.value for e in list(at.exception) + list(at.error)]
    assert at.button(key="degradation_start").disabled
    assert not runs.exists() or not any(runs.iterdir()), "a viewer's click queued a run"

    done = RunStore(runs).create(tiny_config)
    RunStore(runs).set_status(done, "done", step=12)
    at = open_page("runs", lang=lang, runs=done)
    no_failures(at)
    assert note in [i.value for i in at.info]
    keys = {b.key for b in at.button}
    assert f"delete_{done}" not in keys and f"runs_resume_{done}" not in keys, keys
    assert (runs / done).exists()

    at = open_page("analyses", lang=lang)
    no_failures(at)
    train = [b for b in at.button if b.key and b.key.endswith("_train")]  # "train these first" offers
    assert len(train) >= 2 and all(b.disabled and b.help == note for b in train), [(b.key, b.disabled) for b in train]


def test_a_viewer_cannot_make_the_server_download_cifar10(monkeypatch, tmp_path):
    # The data folder is empty (app_env): the lab offers the CIFAR-10 download, ~163 MiB on the server's disk.
    app_env(monkeypatch, tmp_path)
    at = open_page("degradation", dataset="cifar10")
    no_failures(at)
    assert not at.button(key="download_start").disabled  # the host machine may
    _as_viewer(monkeypatch)
    at = open_page("degradation", dataset="cifar10")
    no_failures(at)
    button = at.button(key="download_start")
    assert button.disabled and button.help == _note("en")


def test_remote_control_gives_other_machines_the_start_button(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    _as_viewer(monkeypatch)
    monkeypatch.setenv("RESNET_EDU_REMOTE_CONTROL", "1")
    at = open_page("degradation")
    no_failures(at)
    assert not at.button(key="degradation_start").disabled
    assert _note("en") not in [c.value for c in at.caption]


def test_a_refusal_that_reaches_the_router_is_the_note_not_a_page_error(monkeypatch, tmp_path):
    """The guard behind the disabled buttons: a page that asks the runner anyway gets the note."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from ui import context
    from views import home
    app_env(monkeypatch, tmp_path)
    _as_viewer(monkeypatch)
    monkeypatch.setattr(home, "render", lambda: context.runner().submit(context.make_config("tiny", ("plain8",), "synthetic")))
    at = open_page("home", lang="zh")
    assert not at.exception and not at.error, [e.value for e in list(at.exception) + list(at.error)]
    assert _note("zh") in [i.value for i in at.info]
