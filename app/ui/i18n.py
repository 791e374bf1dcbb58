"""Every UI string goes through `t(key)`: one catalog per language, app/i18n/<lang>.json.

Language: ?lang= in the URL, else the browser's locale (st.context.locale), else English.
The sidebar toggle writes ?lang=, so a shared link opens in the same language.
"""

import json
import math
from functools import lru_cache
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}
CATALOG_DIR = Path(__file__).resolve().parents[1] / "i18n"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    return json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def detect_language() -> str:
    lang = st.query_params.get("lang", "")
    if lang in LANGUAGES:
        return lang
    if "lang" in st.session_state:
        return st.session_state["lang"]
    locale = (getattr(st.context, "locale", None) or "").lower()
    return "zh" if locale.startswith("zh") else "en"


def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **fmt) -> str:
    """The string for `key` in the current language (English if missing; the key if both are)."""
    text = catalog(lang()).get(key) or catalog("en").get(key) or key
    return text.format(**fmt) if fmt else text


def language_toggle() -> None:
    """Sidebar control; the choice goes into the session and the URL."""
    current = detect_language()
    st.session_state["lang"] = current
    choice = st.sidebar.segmented_control(
        "🌐", options=list(LANGUAGES), format_func=LANGUAGES.get, default=current,
        key=f"lang_toggle_{current}", label_visibility="collapsed")
    if choice and choice != current:
        st.session_state["lang"] = choice
        st.query_params["lang"] = choice
        st.rerun()
    if st.query_params.get("lang") != current:
        st.query_params["lang"] = current


def formatter(label, options) -> "callable":
    """A widget's format_func with every label translated now (it may be called outside this run)."""
    labels = {option: label(option) for option in options}
    return lambda option: labels.get(option, str(option))


def lkey(name: str) -> str:
    """A widget key per language: a widget whose option labels are translated starts afresh
    when the language changes (the browser would otherwise keep showing the old labels)."""
    return f"{name}.{lang()}"


def label_words() -> dict[str, str]:
    """English parts of a model label ('no BN', 'option B', 'full_preact') -> the current language."""
    from resnet_edu.models import DESIGNS, SHORTCUT_OPTIONS
    from resnet_edu.viz.plots import VARIANT_TEMPLATES

    words = {"no BN": t("label.no_bn"), "BN": t("label.bn")}
    words.update({f"option {o}": t("label.option", option=o) for o in SHORTCUT_OPTIONS})
    words.update({d: t(f"design_short.{d}") for d in DESIGNS})
    words.update({text: t(f"label.variant.{key}") for key, text in VARIANT_TEMPLATES.items()})  # λ, b_g, Table 1 row
    return words


def model_label(entry: str) -> str:
    """plots.model_label in the current language: 'plain-56 (no BN)' -> 'plain-56（无 BN）'."""
    from resnet_edu.viz.plots import model_label as label

    return label(entry, words=label_words())


def seeds_label(config) -> str:
    """'seed 0', or 'seeds 0–2 (one run)' for a seed band trained as one run (RunConfig.seeds)."""
    seeds = config.seeds or (config.seed,)
    if len(seeds) == 1:
        return t("live.seed", seed=seeds[0])
    return t("live.seeds", first=seeds[0], last=seeds[-1], n=len(seeds))


def duration(seconds: float | None) -> str:
    """A time a teacher reads out, in the current language: '48 s', '3 min 05 s' / '48 秒', '3 分 05 秒'."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 120:
        return t("unit.s", s=seconds)
    return t("unit.min_s", m=seconds // 60, s=f"{seconds % 60:02d}")


def rough_duration(seconds: float) -> str:
    """An estimate, rounded as runs.eta.format_duration rounds it: '45 s', '12 min', '3.5 h' / '12 分钟'."""
    if seconds < 90:
        return t("unit.s", s=max(1, round(seconds)))
    if seconds < 90 * 60:
        return t("unit.min", m=round(seconds / 60))
    return t("unit.h", h=f"{seconds / 3600:.1f}")


def listing(items) -> str:
    """'a, b, c' in English, 'a、b、c' in Chinese."""
    return ("、" if lang() == "zh" else ", ").join(items)
