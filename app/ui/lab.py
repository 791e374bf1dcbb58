"""A lab: pick models, data, preset and seeds; see the ETA; predict; start; watch it live.

Pressing start queues one run: every chosen model, for every seed, in lockstep (RunConfig.seeds;
the seeds of one architecture step as one stacked computation, so a band of 3 seeds is one
run, not three queued ones). The group's run ids go into the session and the URL (?runs=), so a
widget click, a reload or a second browser shows the same runs; the prediction goes into the
URL too (?guess=), so a reload mid-run still ends with the reveal.
"""

import streamlit as st

from resnet_edu.runs.store import ACTIVE

from . import context, controls, live, vote
from .i18n import formatter, lkey, model_label, t


def model_picker(key: str, choices: list[str], defaults: list[str]) -> list[str]:
    """A multiselect of model entries, from and into ?models=.

    Streamlit keeps a multiselect's choice as the labels it shows: a label that changes (another
    language: 'plain-56 (no BN)' / 'plain-56（无 BN）') no longer matches and the net is dropped.
    So the key holds the language (lkey): a new widget per language, whose default is the URL.
    """
    wanted = context.url_list("models", defaults)
    choices = list(dict.fromkeys(choices + [m for m in wanted if m not in choices]))
    return st.multiselect(t("lab.models"), choices, default=[m for m in wanted if m in choices],
                          format_func=formatter(model_label, choices), key=lkey(f"{key}_models"))


def lab(key: str, models: list[str], view: str = "errors", predict: bool = True) -> None:
    """Everything below the page's own model controls."""
    c1, c2, c3 = st.columns([3, 2, 1])
    with c1:
        dataset = controls.dataset_picker(key)
    with c2:
        preset_name = controls.preset_picker(key)
    with c3:
        seeds = controls.seeds_input(key)
    controls.dataset_notes(dataset)

    # The session keeps the group (also one reached by a link), so leaving the page and coming back shows it.
    group = st.session_state.get(f"{key}_group") or context.url_list("runs", [])
    if group and f"{key}_group" not in st.session_state:
        st.session_state[f"{key}_group"] = group
        st.session_state[f"{key}_predicted"] = context.url_get("guess") or None  # a reload: the guess made before
    store = context.store()
    busy = any(store.readable(r) and store.status(r).get("status") in ACTIVE for r in group)

    configs, problem = [], None
    if not models:
        problem = t("lab.no_models")
    else:
        try:
            configs = [context.make_config(preset_name, tuple(models), dataset, seeds=seeds,
                                           probe_every=int(view == "gradients"))]
        except ValueError as err:
            problem = str(err)
    if problem:
        st.error(problem, icon=":material/warning:")
    elif not busy:  # during a run its status line says the time left; a second estimate beside it would disagree
        controls.show_eta(configs)

    predicted = None
    voting = predict and vote.student_panel(key, models)  # a student's screen: its prediction is a class vote
    if predict and len(models) >= 2 and not voting:
        options = models + ["?"]
        guess = context.url_get("guess")  # the URL keeps it across a reload and a language switch
        same_net = [m for m in models if m.partition(":")[0] == guess.partition(":")[0]]
        if guess not in options and len(same_net) == 1:
            guess = same_net[0]  # the residual lab's options changed the entry ('resnet20' -> 'resnet20:shortcut=B')
        predicted = st.radio(t("predict.question"), options, index=options.index(guess) if guess in options else None,
                             horizontal=True, key=lkey(f"{key}_predict"),
                             format_func=formatter(lambda m: t("predict.unsure") if m == "?" else model_label(m), options))
        context.url_set(guess=predicted or "")
    guard = context.viewer_guard()  # another machine's session on a shared server: it watches (README "Safety")
    help_text = guard["help"] or (t("lab.busy") if busy else None)
    if st.button(t("lab.start"), type="primary", icon=":material/play_arrow:",
                 disabled=not configs or guard["disabled"] or busy, help=help_text, key=f"{key}_start"):
        # One run per press (a seed band is its config's `seeds`): the label needs no seed.
        ids = [context.runner().submit(c, label=f"{key}: {', '.join(models)}") for c in configs]
        st.session_state[f"{key}_group"] = group = ids
        st.session_state[f"{key}_predicted"] = predicted
    if guard["disabled"]:
        st.caption(guard["help"])
    elif busy:
        st.caption(t("lab.busy"))
    context.url_set(models=models, preset=preset_name, dataset=dataset, seeds=seeds)

    vote.teacher_tally(key, group)  # the class's predictions: how many, and who predicted what once the gap shows
    if group:
        context.url_set(runs=group)
        st.divider()
        live.show_group(group, view, st.session_state.get(f"{key}_predicted"))
    elif not live.watch_active(key):
        st.caption(t("lab.nothing_yet"))
