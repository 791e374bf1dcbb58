"""A recorded run on real CIFAR-10 images, replayed instantly and labelled as recorded (never as live)."""

import shlex

import streamlit as st

from resnet_edu.runs import recorded
from resnet_edu.viz import gap, plots

from . import context, live, moment
from .i18n import duration, model_label, t

# Options of the recording command that name folders of the machine it was made on: the data
# folder becomes a placeholder a reader replaces with their own, the runs folder is dropped
# (the default serves). The command is for copying; those paths were never the reader's.
PATH_OPTIONS = ("--data-dir", "--runs-dir")


def command_shown(command: str, data_dir: str = "DATA_DIR") -> str:
    """The recording command a reader can copy: no development paths ('--data-dir ../shared/...')."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        option, eq, _ = word.partition("=")
        if option in PATH_OPTIONS:
            skip = not eq  # "--data-dir X": X is the next word
            out += [option, data_dir] if option == "--data-dir" else []
            continue
        out.append(word)
    return " ".join(out)


def show(key: str, name: str = recorded.DEFAULT) -> None:
    """A toggle (in the URL: ?recorded=1); when on, the recording's label, charts, gap step and final numbers."""
    on = st.toggle(t("recorded.show"), key=f"{key}_recorded", help=t("recorded.help"),
                   value=context.url_get("recorded") == "1")
    context.url_set(recorded="1" if on else "")
    if not on:
        return
    try:
        rec = recorded.load(name)
    except (ValueError, OSError, KeyError) as err:
        st.warning(t("recorded.missing", error=str(err)), icon=":material/folder_off:")
        return
    config, machine = rec.config, rec.machine
    models = list(config.models)
    labels = {m: model_label(m) for m in models}
    with st.container(border=True):
        st.info(t("recorded.label", models=", ".join(labels.values()), preset=config.preset, steps=f"{config.steps:,}",
                  train=f"{config.train_size or 0:,}", test=f"{config.test_size or 0:,}", date=rec.recorded_at,
                  cpu=machine.get("cpu", "?"), cores=machine.get("cores", "?"),
                  threads=machine.get("torch_threads", "?"),
                  load=" / ".join(f"{v:.1f}" for v in machine.get("load_average") or []) or "?",
                  wall=duration(rec.wall_s)), icon=":material/history:")
        st.caption(t("recorded.command", command=command_shown(rec.command, t("recorded.data_dir"))))
        df = plots.metrics_frame(rec.events, run_id=rec.name, seed=config.seed)
        moment.gap_message(df, models, labels, gap.run_start(rec.events), active=False)
        live.error_charts(df, models, labels, config, key=f"{key}_rec_")
        moment.final_lines(df, models, labels, config.steps, rec.wall_s)
