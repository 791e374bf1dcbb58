"""The nets of both papers, exactly as published, and tools to look inside them."""

from .anatomy import UnitInfo, count_macs, count_params, list_units, response_layers, unit_output_shapes
from .blocks import BasicBlock, Bottleneck
from .cifar import CifarNet
from .imagenet import ImageNetNet
from .grammar import split_entry, split_models
from .registry import PAPER_MODELS, ModelSpec, build_model, parse_model_name, table1_row
from .shortcuts import SHORTCUT_OPTIONS, Projection, ShortcutDropout, ZeroPadShortcut, make_shortcut
from .variants import DESIGNS, VARIANTS, ResidualUnit

__all__ = [
    "BasicBlock", "Bottleneck", "CifarNet", "DESIGNS", "ImageNetNet", "ModelSpec", "PAPER_MODELS",
    "Projection", "ResidualUnit", "SHORTCUT_OPTIONS", "ShortcutDropout", "UnitInfo", "VARIANTS", "ZeroPadShortcut",
    "build_model", "count_macs", "count_params", "list_units", "make_shortcut", "parse_model_name",
    "response_layers", "split_entry", "split_models", "table1_row", "unit_output_shapes",
]
