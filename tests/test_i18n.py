"""The two catalogs: same keys, same placeholders, every key the app uses, the glossary's terms."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EN = json.loads((ROOT / "app/i18n/en.json").read_text(encoding="utf-8"))
ZH = json.loads((ROOT / "app/i18n/zh.json").read_text(encoding="utf-8"))
GLOSSARY = (ROOT / "lessons/GLOSSARY.md").read_text(encoding="utf-8")

# English terms too common to demand their Chinese term in every string ("run" as a verb, "step" ...).
LOOSE = {"run", "iteration / step", "depth", "width", "channel", "stage", "parameter", "gate / gating", "ensemble",
         "residual", "epoch", "preset", "seed"}


def glossary_tables() -> tuple[list[tuple[str, list[str]]], list[str]]:
    """([(english term, [chinese alternatives])], [chinese synonyms to avoid])."""
    main, _, avoid_part = GLOSSARY.partition("## Synonyms to avoid")
    terms = []
    for row in re.findall(r"^\| ([^|]+) \| ([^|]+) \|", main, flags=re.M):
        english, chinese = row[0].strip(), row[1].strip()
        if english in ("English", "---") or chinese.startswith("-"):
            continue
        alternatives = [re.sub(r"（.*?）", "", c).strip() for c in chinese.split(" / ")]
        terms.append((english, [a for a in alternatives if a]))
    avoid = [r[0].strip() for r in re.findall(r"^\| ([^|]+) \| ([^|]+) \|", avoid_part, flags=re.M)
             if not r[0].startswith(("avoid", "---"))]
    return terms, avoid


def test_same_keys():
    assert set(EN) == set(ZH), set(EN) ^ set(ZH)


@pytest.mark.parametrize("key", sorted(EN))
def test_same_placeholders(key):
    assert set(re.findall(r"{(\w+)}", EN[key])) == set(re.findall(r"{(\w+)}", ZH[key])), key


def test_every_key_the_app_uses_exists():
    used = set()
    for path in (ROOT / "app").rglob("*.py"):
        used |= set(re.findall(r"\bt\(\"([a-z_]+\.[a-z_0-9]+)\"", path.read_text(encoding="utf-8")))
    assert not used - set(EN), sorted(used - set(EN))


def test_chinese_avoids_the_glossarys_rejected_synonyms():
    _, avoid = glossary_tables()
    assert len(avoid) > 10
    bad = {key: word for key, text in ZH.items() for word in avoid if word in text}
    assert not bad, bad


def test_chinese_uses_the_glossary_term_where_english_uses_the_concept():
    terms, _ = glossary_tables()
    assert len(terms) > 40
    missing = []
    for english, chinese in terms:
        if english in LOOSE:
            continue
        variants = [v.strip() for v in re.sub(r"\(.*?\)", "", english).split(" / ") if v.strip()]
        for key, text in EN.items():
            hit = any(re.search(rf"\b{re.escape(v)}", text, flags=re.I) for v in variants)
            if hit and not any(c in ZH[key] for c in chinese):
                missing.append((key, english, chinese))
    assert not missing, missing


def test_chinese_catalog_is_chinese():
    for key, text in ZH.items():
        if re.search(r"[A-Za-z]{4,}", EN[key]) and not key.startswith(("data.cifar10", "design.")):
            assert re.search(r"[\u4e00-\u9fff]", text) or text == EN[key], key


def _emphasis_that_does_not_close(text: str) -> list[str]:
    """`**` / `*` runs that CommonMark (Streamlit's markdown) would print as literal asterisks.

    An opener must be left-flanking and a closer right-flanking (CommonMark 0.31 §6.2, punctuation
    = Unicode P and S). Chinese trips on it: in "**一半。**在" the closing run follows "。" and
    precedes a character, so it is not right-flanking and the page shows "**一半。**在" as typed.
    """
    import unicodedata

    def punct(c):
        return c == "" or unicodedata.category(c)[0] in "PS"

    def space(c):
        return c == "" or c.isspace()

    bad = []
    for delim in ("**", "*"):
        runs = [m for m in re.finditer(r"\*+", text) if len(m.group()) == len(delim)]
        for i, m in enumerate(runs):
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            left = not space(after) and (not punct(after) or space(before) or punct(before))
            right = not space(before) and (not punct(before) or space(after) or punct(after))
            if not (left if i % 2 == 0 else right):
                bad.append(text[max(0, m.start() - 10):m.end() + 10])
    return bad


def test_bold_and_italics_render_in_both_catalogs():
    assert _emphasis_that_does_not_close("**一半。**在") and not _emphasis_that_does_not_close("**一半**。在")
    bad = {f"{lang} {key}": found for lang, catalog in (("en", EN), ("zh", ZH)) for key, text in catalog.items()
           if (found := _emphasis_that_does_not_close(text))}
    assert not bad, bad
