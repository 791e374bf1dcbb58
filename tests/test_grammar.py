"""One model grammar (issue 25): build_model takes every entry a run config takes, with the same errors."""

import pytest

from resnet_edu.models import build_model, count_params, parse_model_name, split_entry, split_models
from resnet_edu.training.config import RunConfig, model_spec, preset


@pytest.mark.parametrize("entry", ["plain56:batchnorm=false", "resnet20:shortcut=B,design=full_preact",
                                   "resnet29:span=3", "highway20:gate_bias=-2", "resnet20:widths=8/16/32"])
def test_build_model_takes_what_a_run_config_takes(entry):
    RunConfig(models=(entry,)).validate()  # the config accepts it ...
    spec = model_spec(entry)
    assert parse_model_name(entry) == spec  # ... and build_model reads it the same way
    assert count_params(build_model(entry)) == count_params(spec.build())


def test_entry_options_match_keyword_options():
    assert parse_model_name("plain56:batchnorm=false") == parse_model_name("plain56", batchnorm=False)
    assert (parse_model_name("resnet20:shortcut=B,design=full_preact")
            == parse_model_name("resnet20", shortcut="B", design="full_preact"))
    # a keyword wins over the entry's own option
    assert parse_model_name("resnet20:shortcut=B", shortcut="C").shortcut == "C"
    assert parse_model_name("plain56:batchnorm=false").batchnorm is False


def test_no_bn_plain56_has_fewer_parameters_than_with_bn():
    # 853,018 with BN (v1 Table 6 row, option A = plain); without BN the 2x(16+32+64)x9 + 2x16 BN
    # parameters (gamma, beta) of the 55 BN layers are gone.
    assert count_params(build_model("plain56")) == 853_018
    assert count_params(build_model("plain56:batchnorm=false")) < 853_018


def test_default_widths_apply_only_where_the_entry_names_none():
    assert parse_model_name("resnet20", default_widths=(8, 16, 32)).widths == (8, 16, 32)
    assert parse_model_name("resnet20:widths=4/8/8", default_widths=(8, 16, 32)).widths == (4, 8, 8)
    assert parse_model_name("imagenet_resnet18", default_widths=(8, 16, 32)).family == "imagenet"
    assert preset("tiny", models=("resnet20",)).widths == model_spec("resnet20", (4, 8, 8)).widths


@pytest.mark.parametrize("entry, words", [
    ("plain56:batchnorm", "must look like key=value"),
    ("resnet57", "nearest allowed depths are 56 and 62"),
    ("plain56:colour=red", "unknown model option(s) colour"),
    ("resnet20:gate_bias=abc", "must be a finite number"),
    ("vgg16", "unknown model"),
])
def test_the_same_errors_everywhere(entry, words):
    with pytest.raises(ValueError, match=None) as in_build:
        build_model(entry)
    with pytest.raises(ValueError) as in_config:
        RunConfig(models=(entry,)).validate()
    assert words in str(in_build.value)
    assert str(in_build.value) == str(in_config.value)


def test_split_helpers():
    assert split_entry("resnet56:shortcut=B,span=3") == ("resnet56", {"shortcut": "B", "span": 3})
    assert split_entry("plain20:shortcut=none") == ("plain20", {"shortcut": None})
    assert split_models("plain56, resnet56:shortcut=B,span=3;resnet20") == (
        "plain56", "resnet56:shortcut=B,span=3", "resnet20")


def test_a_net_keeps_its_style_wherever_it_appears():
    from resnet_edu.viz.style import net_style
    assert net_style("plain56") == net_style("plain56@seed2") == net_style("plain56:widths=8/16/32")
    assert net_style("plain56").plain and not net_style("resnet56").plain
    assert net_style("plain56").colour == net_style("resnet56").colour  # one depth, two dashes (v1 Fig. 6)
    assert net_style("plain20").colour != net_style("plain56").colour
    assert net_style("resnet56:shortcut=B").colour != net_style("resnet56").colour
    assert net_style("highway20").colour != net_style("resnet20").colour
    assert net_style("plain56").plotly_line["dash"] == "dash" and net_style("resnet56").mpl["linestyle"] == "-"
