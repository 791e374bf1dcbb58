"""Lesion study: scoped deletion and swapping, against hand-built forward passes; Veit's path counts."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from resnet_edu.analysis import lesion as lesion_module
from resnet_edu.analysis.lesion import (deletable, deleted, lesion_random, lesion_single, lesion_swap,
                                        path_length_counts, path_length_distribution, swapped)
from resnet_edu.models import ZeroPadShortcut, build_model, list_units


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # the CI box has 2 shared cores; 1 thread is faster there
    yield
    torch.set_num_threads(old)


def _net(name: str, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(name, widths=(4, 8, 8)).eval()


def _batch(n: int = 8):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_path_counts_match_enumerating_every_path():
    for n in range(0, 9):
        # Oracle: each of the 2^n paths picks, per unit, the branch (1) or the shortcut (0).
        by_length = [0] * (n + 1)
        for path in itertools.product((0, 1), repeat=n):
            by_length[sum(path)] += 1
        assert path_length_counts(n) == by_length
    p = path_length_distribution(54)  # ResNet-110: 54 units
    assert sum(p) == pytest.approx(1.0)
    assert max(range(55), key=p.__getitem__) == 27  # the mode is n/2 (Veit Fig. 6a)


def test_deleting_nothing_changes_nothing_and_the_model_is_restored():
    model, (x, _) = _net("resnet14"), _batch()
    with torch.no_grad():
        before = model(x)
        with deleted(model, []):
            same = model(x)
        with deleted(model, [0, 3]):
            changed = model(x)
        after = model(x)
    assert torch.equal(before, same) and torch.equal(before, after)
    assert not torch.allclose(before, changed)
    assert all("forward" not in u.module.__dict__ for u in list_units(model))


def test_restored_after_an_exception():
    model = _net("resnet14")
    with pytest.raises(RuntimeError):
        with deleted(model, [1, 2]):
            raise RuntimeError("boom")
    assert all("forward" not in u.module.__dict__ for u in list_units(model))


def test_all_branches_deleted_leaves_stem_shortcuts_and_head():
    model, (x, _) = _net("resnet14"), _batch()
    with torch.no_grad(), deleted(model, range(len(list_units(model)))):
        got = model(x)
        # By hand: stem, then option A's subsample-and-pad at the two stage changes, then the head.
        h = F.relu(model.bn1(model.conv1(x)))  # (N, 4, 32, 32)
        h = ZeroPadShortcut(4, 8, 2)(h)  # (N, 8, 16, 16)
        h = ZeroPadShortcut(8, 8, 2)(h)  # (N, 8, 8, 8)
        want = model.fc(h.mean(dim=(2, 3)))
    assert torch.allclose(got, want, atol=1e-6)


def test_plain_downsampling_units_cannot_be_deleted():
    model, (x, y) = _net("plain14"), _batch()
    units = list_units(model)
    assert [deletable(u) for u in units] == [True, True, False, True, False, True]
    with pytest.raises(ValueError, match="cannot be deleted"):
        deleted(model, [2])
    study = lesion_single(model, x, y)
    assert [u.error is None for u in study.units] == [False, False, True, False, True, False]
    # A deleted same-shape plain unit is the identity: the net equals one without it.
    with torch.no_grad(), deleted(model, [1]):
        got = model(x)
        h = F.relu(model.bn1(model.conv1(x)))
        want = model.fc(model.stage3(model.stage2(model.stage1[0](h))).mean(dim=(2, 3)))
    assert torch.allclose(got, want, atol=1e-6)


def test_swap_runs_units_in_the_swapped_order():
    model, (x, _) = _net("resnet14"), _batch()
    with torch.no_grad():
        with swapped(model, 0, 1):
            got = model(x)
        h = F.relu(model.bn1(model.conv1(x)))
        h = model.stage1[0](model.stage1[1](h))  # unit 1 first, then unit 0
        want = model.fc(model.stage3(model.stage2(h)).mean(dim=(2, 3)))
    assert torch.allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match="different shapes"):
        swapped(model, 1, 2)


def test_single_random_and_swap_studies_report_every_case():
    model, (x, y) = _net("resnet14"), _batch(32)
    progress = []
    study = lesion_single(model, x, y, on_progress=lambda d, t: progress.append((d, t)))
    assert len(study.units) == 6 and all(0 <= u.error <= 1 for u in study.units)
    assert progress[-1] == (6, 6)
    rand = lesion_random(model, x, y, ks=(1, 2, 4, 5), trials=2)
    assert [r.k for r in rand] == [1, 2, 4]  # 5 > 4 same-shape units: skipped
    rand = lesion_random(model, x, y, ks=(6, 7), trials=2, include_downsampling=True)
    assert [r.k for r in rand] == [6]  # 7 > 6 deletable units: skipped
    assert all(len(r.errors) == 2 for r in rand)
    swaps = lesion_swap(model, x, y, ks=(1, 2), trials=2)
    assert [s.k for s in swaps] == [1]  # resnet14 has one neighbouring same-shape pair: (0, 1)


def test_random_deletions_draw_same_shape_units_unless_asked(monkeypatch):
    """Veit et al. treat downsampling units apart: the default pool leaves them out."""
    model, (x, y) = _net("resnet14"), _batch()
    drawn, real = [], lesion_module.deleted
    monkeypatch.setattr(lesion_module, "deleted", lambda m, idx: drawn.append(list(idx)) or real(m, idx))
    downsampling = {u.index for u in list_units(model) if u.stride != 1}
    assert downsampling == {2, 4}
    lesion_random(model, x, y, ks=(1, 2, 3), trials=20)
    assert not downsampling & {i for d in drawn for i in d}
    drawn.clear()
    lesion_random(model, x, y, ks=(1, 2, 3), trials=20, include_downsampling=True)
    assert downsampling <= {i for d in drawn for i in d}


def _deleted_output(model, index, x):
    """(the unit's input, its output while deleted) for one forward pass of x."""
    unit, seen = list_units(model)[index].module, {}
    hook = unit.register_forward_hook(lambda m, i, o: seen.update(inp=i[0], out=o))
    with torch.no_grad(), deleted(model, [index]):
        model(x)
    hook.remove()
    return unit, seen["inp"], seen["out"]


@pytest.mark.parametrize("opts", [{"shortcut": "B"}, {"shortcut": "B", "variant": "conv1x1"}])
def test_deleted_v1_projection_unit_keeps_the_relu_after_the_addition(opts):
    model, (x, _) = build_model("resnet14", widths=(4, 8, 8), **opts).eval(), _batch()
    unit, inp, out = _deleted_output(model, 2, x)  # stage2.0: 4 -> 8, stride 2, a projection
    h = unit.shortcut(inp)
    assert (h < 0).any()  # the ReLU matters here
    assert torch.allclose(out, F.relu(h), atol=1e-6)


def test_deleted_preact_projection_unit_is_the_pre_activated_projection_alone():
    model, (x, _) = build_model("resnet14", widths=(4, 8, 8), design="full_preact", shortcut="B").eval(), _batch()
    unit, inp, out = _deleted_output(model, 2, x)
    want = unit.shortcut(F.relu(unit.branch.bn1(inp)))  # shared BN-ReLU, bare 1×1 conv, no ReLU after
    assert (want < 0).any()
    assert torch.allclose(out, want, atol=1e-6)


def test_random_lesion_chart_says_which_units_were_drawn():
    from resnet_edu.analysis import figures
    from resnet_edu.analysis.lesion import RandomLesion
    rows = {"r": [RandomLesion(1, (0.1, 0.3))]}
    assert "same-shape units only" in figures.random_lesion_figure(rows).layout.title.text
    assert "downsampling units included" in figures.random_lesion_figure(
        rows, include_downsampling=True).layout.title.text
