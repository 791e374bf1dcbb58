"""A residual unit drawn from the module itself: Graphviz DOT for the app and the lessons.

The boxes are read off a built `ResidualUnit` (its branch, then what follows the
addition), so the picture cannot disagree with the code it shows.
"""

import torch.nn as nn

from ..models import ResidualUnit

# Short lines: a long edge label widens the drawing, and the app then shrinks all of it.
SHORTCUT_TEXT = {
    None: None,
    "A": "identity x\\n(zero-padded\\nwhere the shape\\nchanges)",
    "B": "identity x\\n(1×1 projection\\nwhere the shape\\nchanges)",
    "C": "1×1 projection\\nW_s x\\n(every unit)",
}


def _box(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size[0]
        return f"conv {k}×{k}, {module.out_channels}"
    if isinstance(module, nn.BatchNorm2d):
        return "BN"
    if isinstance(module, nn.ReLU):
        return "ReLU"
    return type(module).__name__


def _x_sub(after_l: str = "") -> str:
    """An HTML-like label: x_l (after_l="") or x_{l+1} (after_l="+1"), italic x and l, smaller subscript."""
    return f'<I>x</I><SUB><FONT POINT-SIZE="15"><I>l</I>{after_l}</FONT></SUB>'


def unit_dot(design: str = "original", shortcut: str | None = "A", channels: int = 16,
             stride: int = 1, in_channels: int | None = None, words: dict[str, str] | None = None) -> str:
    """DOT source of one unit: x -> branch F -> (+ shortcut) -> after-addition -> x_{l+1}.

    words: the shortcut's label in another language, keyed by "A", "B", "C" (lines split by "\\n").
    """
    unit = ResidualUnit(in_channels or channels, channels, stride, design=design, shortcut=shortcut)
    colour = {"conv 3": "#56B4E9", "conv 1": "#56B4E9", "BN": "#F0E442", "ReLU": "#E69F00"}
    lines = ['digraph unit {', 'rankdir=TB; bgcolor="transparent"; ranksep=0.22; nodesep=0.5;',
             'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=22, fillcolor="#FFFFFF",'
             ' height=0.35, margin="0.15,0.04"];', 'edge [fontname="Helvetica, Noto Sans CJK SC", fontsize=20];',
             # HTML-like labels: x_l as in the equation beside it, not the LaTeX source "x_{l+1}" on a
             # classroom screen. Graphviz keeps a <SUB>'s size: the smaller font is set here.
             f'x [label=<{_x_sub()}>, shape=ellipse, fillcolor="#DDDDDD"];']
    prev = "x"
    for i, m in enumerate(unit.branch.children()):
        label = _box(m)
        fill = next((c for key, c in colour.items() if label.startswith(key)), "#FFFFFF")
        lines.append(f'b{i} [label="{label}", fillcolor="{fill}"];')
        lines.append(f"{prev} -> b{i};")
        prev = f"b{i}"
    if shortcut is not None:
        lines.append('add [label="+", shape=circle, fillcolor="#009E73", fontcolor="white", fontsize=22];')
        lines.append(f'{prev} -> add [label=" F(x)"];')
        text = (words or {}).get(shortcut) or SHORTCUT_TEXT[shortcut]
        # A pre-activation projection reads the branch's shared BN-ReLU output, not x (v2 appendix).
        source = f"b{unit.n_preact - 1}" if unit.shares_preact else "x"
        lines.append(f'{source} -> add [label=" {text}", style=bold, color="#0072B2", penwidth=3];')
        prev = "add"
    after = [m for m in (unit.after_add.children() if isinstance(unit.after_add, nn.Sequential)
                         else [unit.after_add]) if not isinstance(m, nn.Identity)]
    for i, m in enumerate(after):
        lines.append(f'a{i} [label="{_box(m)}", fillcolor="{colour.get(_box(m), "#FFFFFF")}"];')
        lines.append(f"{prev} -> a{i};")
        prev = f"a{i}"
    lines.append(f'y [label=<{_x_sub("+1")}>, shape=ellipse, fillcolor="#DDDDDD"];')
    lines.append(f"{prev} -> y;")
    lines.append("}")
    return "\n".join(lines)
