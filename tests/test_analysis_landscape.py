"""Loss landscape: centre = the model's loss, filter norms match the weights', weights restored."""

import pytest
import torch

from resnet_edu.analysis.landscape import grid, interpolate, random_direction, random_line, surface
from resnet_edu.analysis.loading import evaluate
from resnet_edu.models import build_model


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _net(seed: int = 0):
    torch.manual_seed(seed)
    return build_model("resnet8", widths=(4, 8, 8)).eval()


def _data(n: int = 16):
    g = torch.Generator().manual_seed(2)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_filter_normalisation_and_ignored_bn():
    model = _net()
    direction = random_direction(model, seed=3)
    for (name, p), d in zip(model.named_parameters(), direction):
        assert d.shape == p.shape
        if p.dim() <= 1:  # BN γ, β and biases get no direction (Li §4)
            assert not d.any(), name
        else:
            for j in range(p.shape[0]):  # every filter (output channel / FC row)
                assert d[j].norm().item() == pytest.approx(p[j].norm().item(), rel=1e-5)


def test_centre_of_the_surface_is_the_models_loss_and_weights_are_restored():
    model, (x, y) = _net(), _data()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss, error = evaluate(model, x, y)
    s = surface(model, x, y, resolution=3, span=0.5)
    assert s.alphas == (-0.5, 0.0, 0.5) == s.betas
    assert s.loss[1][1] == pytest.approx(loss, abs=1e-6) and s.error[1][1] == error
    assert len(s.loss) == 3 and all(len(r) == 3 for r in s.loss)
    assert s.loss[0][0] != s.loss[1][1]  # the corners moved the weights
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_lines_through_and_between_models():
    a, b, (x, y) = _net(0), _net(1), _data()
    seen = []
    ln = random_line(b, x, y, resolution=5, on_progress=lambda d, t: seen.append(d))
    assert ln.loss[2] == pytest.approx(evaluate(b, x, y)[0], abs=1e-6) and seen == [1, 2, 3, 4, 5]
    inter = interpolate(a, b, x, y, alphas=(0.0, 0.5, 1.0))
    # Fresh nets share BN statistics (mean 0, var 1), so α=0 is exactly model a, α=1 model b.
    assert inter.loss[0] == pytest.approx(evaluate(a, x, y)[0], abs=1e-5)
    assert inter.loss[2] == pytest.approx(evaluate(b, x, y)[0], abs=1e-6)
    assert grid(9)[4] == 0.0 and grid(9)[0] == -1.0
