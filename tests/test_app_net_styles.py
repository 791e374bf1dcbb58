"""Issue 22: one colour and one dash per net on every page: the labs, the gradient page, the Runs page's
compare chart and the analyses. Reads the figures' JSON that AppTest receives (what the browser draws).

Runs are written straight into a run store (no training, as tests/test_app_moment.py); the lesion
chart, which needs trained weights, is checked in tests/test_app_analyses.py against the same table.
"""

from app_helpers import app_env, net_lines, no_failures, open_page, plotly_specs
from test_app_moment import write_run

from resnet_edu.viz.style import net_style
from resnet_edu.viz.theme import TICK_SIZE


def expected(entry: str) -> tuple[str, str]:
    return net_style(entry).colour, "dash" if net_style(entry).plain else "solid"


def test_every_page_draws_a_net_in_its_own_colour_and_dash(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    falling = [0.9 - 0.02 * i for i in range(12)]
    # The same nets in different orders and company: a colour must follow the net, not its place.
    lab = write_run(runs, ["plain20", "plain56", "resnet20"], {m: falling for m in ("plain20", "plain56", "resnet20")})
    residual = write_run(runs, ["resnet56", "resnet20", "plain56"], {m: falling for m in ("resnet56", "resnet20", "plain56")})
    grads = write_run(runs, ["plain56", "resnet56"], {m: falling[:4] for m in ("plain56", "resnet56")},
                      probes={"plain56": 1e-2, "resnet56": 1e-2})
    seen: dict[str, set] = {}
    pages = [("degradation", dict(models="plain20;plain56;resnet20", runs=lab)),
             ("residual", dict(models="resnet56;resnet20;plain56", runs=residual)),
             ("gradients", dict(models="plain56;resnet56", runs=grads)),
             ("runs", dict(runs=f"{lab};{residual}"))]  # two runs, other nets: one curve per (run, net)
    for page, params in pages:
        at = open_page(page, preset="tiny", **params)
        no_failures(at)
        specs = plotly_specs(at)
        assert specs, page
        for spec in specs:  # one template: legend text never larger than the axis text
            template = spec["layout"]["template"]["layout"]
            assert template["legend"]["font"]["size"] <= template["xaxis"]["tickfont"]["size"] == TICK_SIZE
        for entry, styles in net_lines(specs).items():
            seen.setdefault(entry, set()).update(styles)
    at = open_page("analyses")  # the signal-propagation sweep: plain and residual nets at depths 20, 56, 110
    at.button(key="signal_run").click().run()
    no_failures(at)
    for entry, styles in net_lines(plotly_specs(at)).items():
        seen.setdefault(entry, set()).update(styles)

    assert {"plain20", "plain56", "resnet20", "resnet56", "plain110", "resnet110"} <= set(seen), sorted(seen)
    wrong = {entry: styles for entry, styles in seen.items() if styles != {expected(entry)}}
    assert not wrong, wrong
    # Plain dashed, residual solid; a plain net and a residual net of one depth share its colour (v1 Fig. 6).
    assert expected("plain56") == (net_style("resnet56").colour, "dash") and expected("resnet56")[1] == "solid"
    assert len({expected(e)[0] for e in ("plain20", "plain56", "resnet110")}) == 3
