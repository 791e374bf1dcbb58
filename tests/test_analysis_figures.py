"""Figure builders: each returns a plotly Figure carrying the data and the caller's labels."""

import torch

from resnet_edu.analysis import figures
from resnet_edu.analysis.attribution import AttributionMaps
from resnet_edu.analysis.landscape import Landscape1D, Landscape2D
from resnet_edu.analysis.lesion import LesionStudy, RandomLesion, UnitLesion
from resnet_edu.analysis.signal import SignalProfile
from resnet_edu.analysis.span import SpanResult


def test_every_builder_draws_its_data_with_the_given_labels():
    study = LesionStudy(0.1, (UnitLesion(0, "stage1.0", "residual", 1, 0.2),
                              UnitLesion(1, "stage2.0", "plain", 2, None)))
    fig = figures.lesion_figure({"resnet": study}, title="删除", x_label="单元")
    assert fig.layout.title.text == "删除" and fig.layout.xaxis.title.text == "单元"
    assert list(fig.data[0].y) == [20.0, None]  # the undeletable unit breaks the line: nothing drawn across it
    assert fig.data[1].y == (10.0, 10.0) and fig.data[1].legendgroup == "resnet"  # the intact net, in its group
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0.5, 1.5)]  # the undeletable unit shaded

    fig = figures.random_lesion_figure({"r": [RandomLesion(1, (0.1, 0.3))]})
    assert list(fig.data[0].y) == [20.0]
    assert list(figures.path_length_figure(4).data[0].y) == [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16]

    prof = SignalProfile("resnet8", 8, "train", (1.0, 2.0, 4.0, 8.0), (8.0, 4.0, 2.0, 1.0))
    assert list(figures.signal_figure([prof]).data[0].y) == [8.0, 4.0, 2.0, 1.0]
    assert list(figures.signal_figure([prof], which="forward").data[0].y) == [1.0, 2.0, 4.0, 8.0]
    gated = SignalProfile("resnet20:variant=exclusive_gate", 20, "train", (1.0,), (1.0,))
    from resnet_edu.viz.plots import model_label
    assert figures.signal_figure([gated], label=model_label).data[0].name == \
        "ResNet-20 (exclusive gating, b_g=0, v2 Table 1: fails)"  # the gate-bias init is named

    z = torch.rand(2, 32, 32)
    maps = AttributionMaps(z, z - 0.5, z, torch.tensor([1, 2]), torch.tensor([1, 0]), torch.zeros(2))
    fig = figures.attribution_figure(torch.zeros(2, 3, 32, 32, dtype=torch.uint8), {"plain8": maps, "resnet8": maps},
                                     torch.tensor([1, 2]), [f"c{i}" for i in range(10)])
    assert len(fig.data) == 2 * (1 + 3 * 2)
    assert "true: c2 · plain8: c0" in [a.text for a in fig.layout.annotations]

    line = Landscape1D((0.0, 1.0), (2.0, 1.0), (0.9, 0.5))
    assert list(figures.landscape_line_figure({"a": line}).data[0].y) == [2.0, 1.0]
    surf = Landscape2D((-1.0, 0.0, 1.0), (-1.0, 0.0, 1.0), ((1.0, 10.0, 100.0),) * 3, ((0.5,) * 3,) * 3)
    contour = figures.landscape_contour_figure({"plain56": surf, "resnet56": surf})
    assert len(contour.data) == 2 and list(contour.data[0].z[0]) == [0.0, 1.0, 2.0]  # log10 loss
    assert figures.landscape_surface_figure(surf, z_label="损失").layout.scene.zaxis.title.text == "损失"

    spans = [SpanResult("resnet38:span=1", 1, True, 10, 0.5, 1.2, 0.6, "done")]
    assert list(figures.span_figure(spans).data[1].y) == [60.0]
