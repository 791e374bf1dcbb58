"""The analyses page: both languages, the offer to train when nothing is trained, and each analysis on a tiny run."""

import pytest

from app_helpers import app_env, net_lines, no_failures, open_page, plotly_specs, wait_for

from resnet_edu.viz.style import net_style


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_analyses_page_without_trained_models(lang, monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("analyses", lang)
    no_failures(at)
    if lang == "zh":
        assert "论文之外" in at.title[0].value
    # No trained run: the tabs say so and offer to train one; the signal tab needs none.
    assert any("plain-20" in i.value for i in at.info)  # nets by their names, not raw ids
    assert any(b.label.startswith(("Train plain-20", "训练 plain-20")) for b in at.button)
    # The signal sweep runs on demand, not on every visit to the page (st.tabs renders every tab).
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    assert not any("radient" in s or "梯度" in s for s in titles), titles
    at.button(key="signal_run").click().run()
    no_failures(at)
    specs = [s for s in plotly_specs(at) if "radient" in s["layout"]["title"]["text"] or "梯度" in s["layout"]["title"]["text"]]
    assert specs, "the signal-propagation charts after the click"
    names = [trace["name"] for trace in specs[0]["data"]]
    assert any(n.startswith("ResNet-") for n in names) and not any(":" in n.split("(")[0] for n in names), names
    assert specs[0]["layout"]["yaxis"].get("exponentformat") == "power", "log axes read 10⁻³, not 1m"
    names = [trace.get("name", "") for spec in plotly_specs(at) for trace in spec["data"]]
    scaling = "constant scaling: λ=0.5 on h, 1−λ on F" if lang == "en" else "常数缩放：捷径乘 λ=0.5，F 乘 1−λ"
    assert any(scaling in n and "12.35" in n for n in names), names  # the variant names its Table 1 row


def test_analyses_train_then_lesion_attributions_landscape(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path, steps=8)
    at = open_page("analyses")
    at.button(key="lesion_train").click().run()
    no_failures(at)
    wait_for(runs, 1)
    at.run()
    no_failures(at)
    charts_before = len(plotly_specs(at))
    at.button(key="lesion_run").click().run()
    at.button(key="attr_run").click().run()
    at.select_slider(key="land_res").set_value(5).run()
    at.select_slider(key="land_n").set_value(128).run()
    at.button(key="land_run").click().run()
    no_failures(at)
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    assert len(titles) >= charts_before + 5, titles
    assert any("one unit deleted" in s for s in titles)
    # The lesion chart in the app's colours: plain-20 dashed and ResNet-20 solid in the one colour of depth 20
    # (they were two shades of blue); each intact-net baseline dotted, in its net's colour; no line across the
    # units a plain net cannot lose (its downsampling units: no point there, the line breaks).
    lesion_spec = next(s for s in plotly_specs(at) if "one unit deleted" in s["layout"]["title"]["text"])
    colour = net_style("plain20").colour
    assert net_lines([lesion_spec]) == {"plain20": {(colour, "dash")}, "resnet20": {(colour, "solid")}}
    baselines = [tr for tr in lesion_spec["data"] if tr["line"].get("dash") == "dot"]
    assert len(baselines) == 2 and {tr["line"]["color"] for tr in baselines} == {colour}
    plain_line = next(tr for tr in lesion_spec["data"] if tr.get("meta") == "plain20")
    assert plain_line["y"].count(None) == 2 and len(lesion_spec["layout"]["shapes"]) == 2
    assert any("Attributions" in s for s in titles)
    assert any("Loss surface" in s for s in titles)
    # Log scales: one far-off spike must not flatten the basin (the 1-D line and the 3-D surface).
    specs = {spec["layout"]["title"]["text"]: spec for spec in plotly_specs(at)}
    surface = next(v for k, v in specs.items() if k.startswith("Loss surface"))
    assert surface["layout"]["scene"]["zaxis"]["title"]["text"].startswith("log")
    line = next(v for k, v in specs.items() if "one filter-normalised random direction" in k)
    assert line["layout"]["yaxis"]["type"] == "log"
    # Results stay in the session: another click elsewhere does not recompute or lose them.
    at.radio(key="signal_bn.en").set_value("eval").run()
    no_failures(at)
    assert any("one unit deleted" in spec["layout"]["title"]["text"] for spec in plotly_specs(at))
    # The choice survives the language switch (a widget per language, from the choice the session keeps).
    at.query_params["lang"] = "zh"
    at.run()
    no_failures(at)
    assert at.radio(key="signal_bn.zh").value == "eval"
    assert at.multiselect(key="signal_variants.zh").value == ["identity", "scaling"]
