"""The nets against the papers' own numbers (v1 §4.2, Table 1, Table 6; v2 Tables 1-3)."""

import io
import pickle

import pytest
import torch

from resnet_edu.models import (DESIGNS, PAPER_MODELS, VARIANTS, BasicBlock, ResidualUnit, build_model,
                               count_macs, count_params, list_units, parse_model_name)

# v1 §4.2 / Table 6, option A (= plain).
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962, 1202: 19_421_274}
# v1 Table 1 (and torchvision's counts): parameters, and FLOPs (multiply-adds) ×10⁹.
IMAGENET = {18: (11_689_512, 1.8), 34: (21_797_672, 3.6), 50: (25_557_032, 3.8),
            101: (44_549_160, 7.6), 152: (60_192_808, 11.3)}


@pytest.mark.parametrize("depth", sorted(CIFAR_PARAMS))
def test_cifar_parameter_table(depth):
    assert count_params(build_model(f"resnet{depth}")) == CIFAR_PARAMS[depth]


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_option_a_adds_no_parameters(depth):
    assert count_params(build_model(f"plain{depth}")) == CIFAR_PARAMS[depth]


@pytest.mark.parametrize("depth", sorted(IMAGENET))
def test_imagenet_table1(depth):
    params, gflops = IMAGENET[depth]
    model = build_model(f"imagenet_resnet{depth}")
    assert count_params(model) == params
    # Table 1 gives one decimal; its rounding is not uniform (3.66 is printed 3.6), so
    # we ask for agreement within the table's own precision.
    assert abs(count_macs(model, (1, 3, 224, 224)) / 1e9 - gflops) < 0.07


# The released pre-activation code (KaimingHe/resnet-1k-layers, resnet-pre-act.lua), counted from
# its layer list: stem conv; bottleneck units whose projections are bare 1×1 convs; no conv biases
# (its ConvInit drops them); a final BN-ReLU; FC. v2 rounds these to 1.7M and 10.2M (Table 3's
# "10.2M" is not what the released ResNet-1001 has).
PREACT_PARAMS = {164: 1_703_258, 1001: 10_327_706}


@pytest.mark.parametrize("depth", sorted(PREACT_PARAMS))
def test_v2_pre_activation_sizes_match_the_released_code(depth):
    assert count_params(build_model(f"preact_resnet{depth}")) == PREACT_PARAMS[depth]


def test_v2_basic_pre_activation_110_has_v1_size():
    # Basic pre-activation 110 (option A): the same convs as v1's; its BNs move before the convs,
    # the first unit reuses the stem's BN (-16 γβ pairs), the net gains a final BN (+64), and the
    # two downsampling units normalise their narrower inputs (-16, -32): the count is unchanged.
    assert count_params(build_model("preact_resnet110")) == CIFAR_PARAMS[110]


@pytest.mark.parametrize("design, preact", [("full_preact", "relu1"), ("relu_preact", "relu1")])
def test_preact_projection_reads_the_pre_activated_input(design, preact):
    """v2 appendix: "when pre-activation is used, these projection shortcuts are also with
    pre-activation"; resnet-pre-act.lua: one "common BN, ReLU" feeds the convs and the shortcut."""
    model = build_model("resnet20", design=design, shortcut="B").train()
    unit = model.stage2[0]  # 16 -> 32, stride 2: a projection
    assert isinstance(unit.shortcut, torch.nn.Conv2d)  # bare 1×1 conv, no BN (as released)
    seen = {}
    unit.branch.get_submodule(preact).register_forward_hook(lambda m, i, o: seen.__setitem__("act", o))
    unit.shortcut.register_forward_pre_hook(lambda m, i: seen.__setitem__("proj_in", i[0]))
    unit.register_forward_pre_hook(lambda m, i: seen.__setitem__("x", i[0]))
    model(torch.randn(4, 3, 32, 32))
    assert seen["proj_in"] is seen["act"]  # the very tensor the branch's first conv reads
    assert (seen["act"] >= 0).all() and (seen["x"] < 0).any()  # activated, unlike the raw x_l


def test_preact_bottleneck_stride_on_the_first_1x1():
    # resnet-pre-act.lua: Convolution(nInputPlane, nBottleneckPlane, 1, 1, stride, stride, 0, 0).
    unit = build_model("preact_resnet164").stage2[0]
    assert unit.branch.conv1.kernel_size == (1, 1) and unit.branch.conv1.stride == (2, 2)
    assert unit.branch.conv2.stride == (1, 1) and unit.branch.conv3.stride == (1, 1)
    assert unit.shortcut.stride == (2, 2)


def test_preact_designs_end_with_their_activation():
    """v2 appendix: (d) and (e) both get an extra activation after the last addition."""
    full = build_model("resnet20", design="full_preact")
    assert isinstance(full.head_bn, torch.nn.BatchNorm2d) and isinstance(full.head_relu, torch.nn.ReLU)
    relu_only = build_model("resnet20", design="relu_preact")  # (d): ReLU is its whole activation
    assert relu_only.head_bn is None and isinstance(relu_only.head_relu, torch.nn.ReLU)
    assert (relu_only.forward_features(torch.randn(4, 3, 32, 32)) >= 0).all()
    for design in ("original", "bn_after_add", "relu_before_add"):
        m = build_model("resnet20", design=design)
        assert m.head_bn is None and m.head_relu is None


def _projection_params(c_in, c_out):
    return c_in * c_out + 2 * c_out  # 1×1 conv + BN(γ, β)


def test_option_b_and_c_add_exactly_the_projections():
    base = count_params(build_model("resnet20"))
    # B: projections only where the shape changes (stage2.0: 16->32, stage3.0: 32->64).
    b = base + _projection_params(16, 32) + _projection_params(32, 64)
    assert count_params(build_model("resnet20", shortcut="B")) == b
    # C: a projection on every block: 3 per stage, first stage 16->16.
    c = base + 3 * _projection_params(16, 16) + _projection_params(16, 32) + 2 * _projection_params(32, 32) \
        + _projection_params(32, 64) + 2 * _projection_params(64, 64)
    assert count_params(build_model("resnet20", shortcut="C")) == c
    # ImageNet plain-34 is ResNet-34 (option B) without its three projections.
    proj = _projection_params(64, 128) + _projection_params(128, 256) + _projection_params(256, 512)
    assert count_params(build_model("imagenet_plain34")) == IMAGENET[34][0] - proj


@pytest.mark.parametrize("name", [n for n in PAPER_MODELS if n not in ("resnet1202", "preact_resnet1001")
                                  and not n.startswith("imagenet")])
def test_cifar_builders_forward(name):
    model = build_model(name)
    out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["imagenet_resnet18", "imagenet_resnet50", "imagenet_plain18"])
def test_imagenet_builders_forward(name):
    out = build_model(name)(torch.randn(1, 3, 64, 64))  # any size ≥ 32 works: global pooling
    assert out.shape == (1, 1000) and torch.isfinite(out).all()


def test_very_deep_builders_forward():
    for name in ("resnet1202", "preact_resnet1001"):
        # Train mode: at init the BN running statistics are (0, 1), and in eval mode the
        # unnormalised residual stream of 600 units overflows; batch statistics keep it finite.
        out = build_model(name)(torch.randn(2, 3, 32, 32))
        assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_cifar_structure_follows_section_4_2():
    model = build_model("resnet56")
    units = list_units(model)
    assert len(units) == 27  # 3 stages × n = 9
    assert [u.out_channels for u in units[::9]] == [16, 32, 64]
    assert [u.stride for u in units] == [1] * 9 + [2] + [1] * 8 + [2] + [1] * 8
    assert all(u.kind == "residual" for u in units)
    assert all(u.kind == "plain" for u in list_units(build_model("plain56")))
    # 6n+2 weight layers: stem + 2 per block + FC.
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) + 1 == 56


def _one_training_step(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


@pytest.mark.parametrize("design", DESIGNS)
def test_every_v2_unit_design_trains_one_step(design):
    _one_training_step(build_model("resnet20", design=design))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_v2_shortcut_variant_trains_one_step(variant):
    _one_training_step(build_model("resnet20", variant=variant, gate_bias=-6.0))


def _zero_branch(unit):
    """F(x) = 0 for every x: the last BN's γ and β at 0 (design "original")."""
    last = unit.response_layers()[-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)


def test_dropout_variant_is_v2s_scale_with_expectation_one_half():
    """v2 §3.1: dropout on the shortcut "imposes a scale of λ with an expectation of 0.5"."""
    torch.manual_seed(0)
    unit = ResidualUnit(8, 8, variant="dropout").train()  # default: the paper's, no rescale
    _zero_branch(unit)
    x = torch.rand(64, 8, 16, 16) + 0.5  # > 0, so the ReLU after the addition keeps h'
    ratios = [(unit(x).mean() / x.mean()).item() for _ in range(50)]  # 50 × 131k masks
    assert abs(sum(ratios) / len(ratios) - 0.5) < 0.005
    assert abs((unit.eval()(x).mean() / x.mean()).item() - 0.5) < 1e-6  # test time: × keep rate
    inverted = ResidualUnit(8, 8, variant="dropout", dropout_rescale=True).train()  # PyTorch's
    _zero_branch(inverted)
    ratios = [(inverted(x).mean() / x.mean()).item() for _ in range(50)]
    assert abs(sum(ratios) / len(ratios) - 1.0) < 0.01
    assert build_model("resnet20", variant="dropout").stage1[1].drop.p == 0.5


@pytest.mark.parametrize("span", [1, 2, 3, 4])
def test_span_k_layers(span):
    model = build_model("resnet38", span=span)  # 36 = 3·n·k for k = 1, 2, 3, 4
    assert len(list_units(model)) == 36 // span  # 3 stages × n units, n = 36 / (3k)
    assert count_params(model) == count_params(build_model("plain38", span=span))
    _one_training_step(model)


def test_bottleneck_highway_and_no_bn_train_one_step():
    _one_training_step(build_model("preact_resnet164", widths=(4, 8, 16)))
    _one_training_step(build_model("resnet164", block="bottleneck", widths=(4, 8, 16)))
    _one_training_step(build_model("highway20"))
    _one_training_step(build_model("plain20", batchnorm=False))


def test_generic_unit_equals_basic_block():
    """ResidualUnit(original, identity, span 2) is BasicBlock, tensor for tensor."""
    torch.manual_seed(0)
    for shortcut in ("A", "B", "C", None):
        a = BasicBlock(16, 32, stride=2, shortcut=shortcut).eval()
        b = ResidualUnit(16, 32, stride=2, shortcut=shortcut).eval()
        b.load_state_dict(dict(zip(b.state_dict(), a.state_dict().values())))
        x = torch.randn(2, 16, 8, 8)
        torch.testing.assert_close(a(x), b(x))


def test_tensor_order_is_natural():
    """Stem conv, stem BN, the blocks in order, the classifier: a peer checkpoint maps 1:1."""
    names = list(build_model("resnet20").state_dict())
    assert names[0] == "conv1.weight" and names[1].startswith("bn1.")
    assert names[-2:] == ["fc.weight", "fc.bias"]
    assert names.index("stage1.0.conv1.weight") < names.index("stage1.0.conv2.weight") \
        < names.index("stage2.0.conv1.weight") < names.index("stage3.2.bn2.weight")


def test_zero_init_last_is_an_explicit_option():
    default = build_model("resnet20")
    assert all(float(m.bn2.weight.detach().min()) == 1.0 for m in default.modules() if isinstance(m, BasicBlock))
    zeroed = build_model("resnet20", zero_init_last=True)
    blocks = [m for m in zeroed.modules() if isinstance(m, BasicBlock)]
    assert all(float(m.bn2.weight.detach().abs().max()) == 0.0 for m in blocks)
    # At γ=0 every residual block starts as the identity (after ReLU), v1 §3.1's easy solution.


def test_he_init_scale():
    conv = build_model("resnet56").stage2[3].conv1  # 3×3, 32 -> 32
    expected = (2 / (3 * 3 * 32)) ** 0.5
    assert abs(conv.weight.std().item() / expected - 1) < 0.05


def test_no_inplace_ops():
    for m in build_model("resnet20", design="relu_before_add").modules():
        assert not getattr(m, "inplace", False)


def test_models_pickle_and_save():
    for name, opts in [("resnet20", {}), ("highway20", {}), ("resnet20", {"variant": "dropout"}),
                       ("preact_resnet110", {})]:
        model = build_model(name, **opts).eval()
        x = torch.randn(2, 3, 32, 32)
        again = pickle.loads(pickle.dumps(model))
        torch.testing.assert_close(again(x), model(x))
        buf = io.BytesIO()
        torch.save(model, buf)
        buf.seek(0)
        loaded = torch.load(buf, weights_only=False)
        torch.testing.assert_close(loaded(x), model(x))


@pytest.mark.parametrize("bad, words", [
    ("resnet21", ["6n+2", "20", "26"]),
    ("resnet57", ["6n+2"]),
    ("vgg16", ["unknown model", "resnet20"]),
    ("imagenet_resnet20", ["18, 34, 50, 101, 152"]),
])
def test_invalid_names_say_what_is_allowed(bad, words):
    with pytest.raises(ValueError) as err:
        build_model(bad)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("opts, words", [
    ({"shortcut": "D"}, ["A, B, C"]),
    ({"design": "post"}, ["full_preact"]),
    ({"variant": "gates"}, ["exclusive_gate"]),
    ({"depthh": 3}, ["unknown model option", "shortcut"]),
    ({"block": "bottleneck"}, ["9n+2", "20 and 29"]),
])
def test_invalid_options_say_what_is_allowed(opts, words):
    with pytest.raises(ValueError) as err:
        build_model("resnet26", **opts)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_spec_is_hashable_and_names_parse():
    spec = parse_model_name("preact_resnet1001")
    assert spec.block == "bottleneck" and spec.n == 111 and spec.design == "full_preact"
    assert parse_model_name("preact_resnet110").block == "basic"
    assert hash(parse_model_name("resnet56")) == hash(parse_model_name("RESNET56"))


def test_table1_rows_and_labels_say_which_experiment_a_variant_is():
    """v2 Table 1 (ResNet-110): λ=0.5 on h and F 12.35, on h only fails; exclusive gating fails for
    b_g = 0 to -5, 8.70 at -6, 9.81 at -7; shortcut-only gating 12.86 at 0, 6.91 at -6; 1×1 conv
    12.22; dropout 0.5 fails."""
    from resnet_edu.models import table1_row
    from resnet_edu.viz.plots import model_label
    rows = {"": "6.61", "variant=scaling": "12.35", "variant=scaling,scale_branch=false": "fails",
            "variant=exclusive_gate": "fails", "variant=exclusive_gate,gate_bias=-5": "fails",
            "variant=exclusive_gate,gate_bias=-6": "8.70", "variant=exclusive_gate,gate_bias=-7": "9.81",
            "variant=shortcut_gate": "12.86", "variant=shortcut_gate,gate_bias=-6": "6.91",
            "variant=conv1x1": "12.22", "variant=dropout": "fails",
            "variant=dropout,dropout_rescale=true": None, "variant=scaling,scale=0.9": None}
    for opts, row in rows.items():
        options = dict(kv.split("=") for kv in filter(None, opts.split(",")))
        options = {k: {"true": True, "false": False}.get(v, v) for k, v in options.items()}
        for k in ("gate_bias", "scale"):
            if k in options:
                options[k] = float(options[k])
        assert table1_row(parse_model_name("resnet110", **options)) == row, opts
    assert model_label("resnet110:variant=scaling") == \
        "ResNet-110 (constant scaling: λ=0.5 on h, 1−λ on F, v2 Table 1: 12.35 %)"
    assert model_label("resnet110:variant=scaling,scale_branch=false") == \
        "ResNet-110 (constant scaling: λ=0.5 on h only, v2 Table 1: fails)"
    # Gated nets name their gate-bias init, the default one too.
    assert "b_g=0" in model_label("resnet110:variant=exclusive_gate")
    assert "b_g=-6, v2 Table 1: 6.91 %" in model_label("resnet110:variant=shortcut_gate,gate_bias=-6")
    assert "b_g=-1" in model_label("highway20")
    assert model_label("resnet56:variant=dropout") == "ResNet-56 (dropout 0.5 on h, no rescale, v2 Table 1: fails)"
