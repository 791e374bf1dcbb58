"""A recorded run on real CIFAR-10 images, replayed instantly and labelled as recorded (never as live)."""

import streamlit as st

from resnet_edu.runs import recorded
from resnet_edu.viz import gap, plots

from . import live, moment
from .i18n import model_label, t


def show(key: str, name: str = recorded.DEFAULT) -> None:
    """A toggle; when on, the recording's label, its charts, its "now visible" step and its final numbers."""
    if not st.toggle(t("recorded.show"), key=f"{key}_recorded", help=t("recorded.help")):
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
                  wall=moment.duration(rec.wall_s)), icon=":material/history:")
        st.caption(t("recorded.command", command=rec.command))
        df = plots.metrics_frame(rec.events, run_id=rec.name, seed=config.seed)
        moment.gap_message(df, models, labels, gap.run_start(rec.events), active=False)
        live.error_charts(df, models, labels, config, key=f"{key}_rec_")
        moment.final_lines(df, models, labels, config.steps, rec.wall_s)
