"""Lesson 03: when shapes change (options A/B/C, v1 Table 3) and bottleneck blocks (v1 Fig. 5, Table 1)."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 03 · When dimensions change: shortcut options and bottlenecks

**The question.** $y = F(x) + x$ needs $F(x)$ and $x$ to have the same shape. But every few blocks
a network halves the feature map and doubles the channels. What should the shortcut do there? And
how do you make a 152-layer network affordable?

**The paper's answers.**

- Why the shape changes at all: v1 §3.3 designs its plain baseline (after VGG) by two rules.
  (i) Layers with the same output map size have the same number of filters; (ii) where the map
  size is halved (a stride-2 convolution), the number of filters is doubled, "so as to preserve
  the time complexity per layer". The residual nets keep those rules, so at every halving the
  shortcut meets a map with half the size and twice the channels.
- v1 §3.3 (Eq. 2) and Table 3 compare three **shortcut options** on ImageNet ResNet-34:
  **A**, zero-padding shortcuts where the shape changes (no parameters);
  **B**, projection shortcuts $W_s x$ (a 1×1 convolution) only where the shape changes;
  **C**, projections on every block. Top-1 / top-5 error (%, ImageNet validation, 10-crop):

  | plain-34 | ResNet-34 A | ResNet-34 B | ResNet-34 C |
  |---|---|---|---|
  | 28.54 / 10.02 | 25.03 / 7.76 | 24.52 / 7.46 | 24.19 / 7.40 |

  All three options beat the plain net by a lot; B and C are only a little better than A. v1
  concludes projections "are not essential for addressing the degradation problem", and uses
  identity shortcuts (plus B where the shape changes) to keep the deeper nets cheap.
- v1 §4.1 and Fig. 5 introduce the **bottleneck** block: 1×1 (reduce the channels), 3×3, 1×1
  (restore them). ResNet-50/101/152 are built from it (v1 Table 1).
""",
        zh=r"""
# 03 · 维度改变时：捷径选项与瓶颈块

**问题：** $y = F(x) + x$ 要求 $F(x)$ 和 $x$ 形状相同。可是每隔若干个块，网络就会把特征图的尺寸减半、通道数翻倍。这时捷径连接该怎么办？另外，怎样才能让一个 152 层的网络在计算上负担得起？

**论文的回答：**

- 形状为什么会变：v1 §3.3 按两条规则设计它的普通网络基线（借鉴 VGG）：(i) 输出特征图尺寸相同的层，滤波器个数相同；(ii) 特征图尺寸减半时（步幅为 2 的卷积），滤波器个数翻倍，"以保持每层的时间复杂度"。残差网络沿用这两条规则，所以每次尺寸减半，捷径面对的都是尺寸减半、通道翻倍的特征图。
- v1 §3.3（式 2）和表 3 在 ImageNet 的 ResNet-34 上比较了三种**捷径选项**：**A**，在形状改变处用补零捷径（没有参数）；**B**，只在形状改变处用投影捷径 $W_s x$（一个 1×1 卷积）；**C**，每个块都用投影捷径。Top-1 / top-5 错误率（%，ImageNet 验证集，10-crop 测试）：

  | plain-34 | ResNet-34 A | ResNet-34 B | ResNet-34 C |
  |---|---|---|---|
  | 28.54 / 10.02 | 25.03 / 7.76 | 24.52 / 7.46 | 24.19 / 7.40 |

  三种选项都大幅领先普通网络；B 和 C 只比 A 好一点点。v1 的结论是：投影捷径对于解决退化问题"并不是必需的"。为了让更深的网络保持轻量，v1 采用恒等捷径（形状改变处用 B）。
- v1 §4.1 和图 5 提出了**瓶颈**块：1×1（压缩通道）、3×3、1×1（恢复通道）。ResNet-50/101/152 都由它搭成（v1 表 1）。
""",
    ),
    code(r"""
import inspect

import matplotlib.pyplot as plt

from resnet_edu.models import (BasicBlock, Bottleneck, ZeroPadShortcut, build_model, count_macs, count_params, make_shortcut)
from resnet_edu.models.imagenet import IMAGENET_LAYERS
from resnet_edu.training.notebook import pick

print(inspect.getsource(make_shortcut))
print(inspect.getsource(ZeroPadShortcut.forward))
"""),
    md(
        en=r"""
`make_shortcut` is the whole of v1 §3.3 in a dozen lines: `None` gives a plain block, A keeps the
identity and pads zeros where the shape changes, B projects only there, C projects everywhere.

## Counting what each option costs

Count parameters for each option on the CIFAR nets (v1 §4.2 uses option A there) and on ImageNet
ResNet-34 (v1 Table 3).
""",
        zh=r"""
`make_shortcut` 用十几行代码就把 v1 §3.3 讲完了：`None` 得到普通块；A 保持恒等映射，只在形状改变处补零；B 只在形状改变处做投影；C 处处都做投影。

## 数一数每个选项的代价

分别在 CIFAR 网络（v1 §4.2 在 CIFAR 上用的是选项 A）和 ImageNet 的 ResNet-34（v1 表 3）上，统计每个选项的参数量。
""",
    ),
    code(r"""
rows = {}
for depth in (20, 56):
    plain = count_params(build_model(f"plain{depth}"))
    rows[f"CIFAR {depth}"] = [plain] + [count_params(build_model(f"resnet{depth}", shortcut=o)) for o in "ABC"]
plain34 = count_params(build_model("imagenet_plain34"))
rows["ImageNet 34"] = [plain34] + [count_params(build_model("imagenet_resnet34", shortcut=o)) for o in "ABC"]

say("                    plain            A            B            C")
for name, counts in rows.items():
    print(f"{name:>12} " + " ".join(f"{c:>12,}" for c in counts))

fig, ax = plt.subplots(figsize=(7, 3.3))
for i, option in enumerate("ABC"):
    extra = [100 * (counts[i + 1] / counts[0] - 1) for counts in rows.values()]
    ax.bar([j + 0.27 * (i - 1) for j in range(len(rows))], extra, width=0.27, label=f"{T('option')} {option}")
ax.set_xticks(range(len(rows)), list(rows))
ax.set_ylabel(T("extra parameters vs plain (%)"))
ax.legend()
plt.show()
extra = {option: [100 * (counts[i + 1] / counts[0] - 1) for counts in rows.values()] for i, option in enumerate("ABC")}
check(max(extra["A"]) == 0 and 0 < min(extra["B"]) and max(extra["B"]) < 2 and min(extra["C"]) > 3,
      "option A adds no parameter, B under 2%, C several percent (over 3%) in every row",
      "extra parameters: A {a}, B {b}, C {c}", a=", ".join(f"{v:.2f}%" for v in extra["A"]),
      b=", ".join(f"{v:.2f}%" for v in extra["B"]), c=", ".join(f"{v:.2f}%" for v in extra["C"]))
"""),
    md(
        en=r"""
## What it means

Option A costs nothing, B almost nothing (there are only a few blocks where the shape changes),
and C adds a projection to every block: several percent more parameters. In v1 Table 3 that extra
buys only 0.84 points of top-1 error over A (25.03 → 24.19), while going from plain to residual
with A buys 3.51 points (28.54 → 25.03) for free. The lesson: the *identity* is what matters; the
projections are a small extra. v1 attributes B's gain over A to the zero-padded channels having no
residual learning, and C's small gain over B to the extra parameters.

## The bottleneck block

For ImageNet nets of 50 layers and more, v1 replaces the two 3×3 layers of a block by three
layers: a 1×1 that reduces the channels 4×, a 3×3 on the narrow representation, and a 1×1 that
restores the width (v1 Fig. 5, right). Compare a bottleneck on 256 channels with a basic block on
64 channels, on a 56×56 feature map:
""",
        zh=r"""
## 这说明了什么

选项 A 不花任何代价；B 几乎不花代价（形状改变的块只有少数几个）；C 给每个块都加了投影，参数多出好几个百分点。在 v1 表 3 中，C 相比 A 只换来 0.84 个百分点的 top-1 错误率下降（25.03 → 24.19）；而从普通网络换成选项 A 的残差网络，不增加任何参数就降了 3.51 个百分点（28.54 → 25.03）。结论是：真正起作用的是**恒等映射**，投影只是锦上添花。v1 对此的解释是：B 比 A 好，是因为 A 补零的那些通道没有做残差学习；C 比 B 略好，则归功于投影带来的额外参数。

## 瓶颈块

对 50 层及以上的 ImageNet 网络，v1 把块里的两个 3×3 层换成三层：先用 1×1 把通道数压缩为 1/4，在窄的表示上做 3×3，再用 1×1 把宽度恢复（v1 图 5 右图）。在 56×56 的特征图上，比较一个 256 通道的瓶颈块与一个 64 通道的基本块：
""",
    ),
    code(r"""
print(inspect.getsource(Bottleneck.forward))

blocks = {
    "basic block, 64-d (ResNet-34)": BasicBlock(64, 64, shortcut="A"),
    "bottleneck, 256-d (ResNet-50)": Bottleneck(256, 256, shortcut="B"),
    "bottleneck, 256-d, projection shortcut": Bottleneck(256, 256, shortcut="C"),
}
cost = {}
for name, block in blocks.items():
    channels = block.conv1.in_channels
    cost[name] = (count_params(block), count_macs(block, input_size=(1, channels, 56, 56)))
    say("{name:>40}: {params:>7,} parameters, {macs:6.1f} M multiply-adds", name=name, params=cost[name][0],
        macs=cost[name][1] / 1e6)
(basic_p, basic_m), (neck_p, neck_m), (proj_p, proj_m) = cost.values()
check(abs(neck_p / basic_p - 1) < 0.1 and abs(neck_m / basic_m - 1) < 0.1 and 1.8 < proj_p / neck_p < 2,
      "the 256-d bottleneck costs within 10% of the 64-d basic block, and a projection shortcut nearly doubles it",
      "bottleneck / basic: {p:.2f}× parameters, {m:.2f}× multiply-adds; with the projection {d:.2f}×",
      p=neck_p / basic_p, m=neck_m / basic_m, d=proj_p / neck_p)
"""),
    md(
        en=r"""
The bottleneck works on a 4× wider representation (256 channels in and out) for about the same
parameters and multiply-adds as the basic block on 64 channels: v1 says the two designs "have
similar time complexity". Notice the third row: with a projection on *this* shortcut (256 → 256,
1×1), the block's size nearly doubles. That is why v1 §4.1 stresses that parameter-free identity
shortcuts are particularly important for bottlenecks.

## ImageNet ResNet-18 to 152, layer by layer

v1 Table 1 lists five ImageNet nets, with their blocks per stage and their cost in FLOPs
(multiply-adds) at 224×224. Each has a 7×7 convolutional layer, four stages of blocks, and a fully
connected layer; the depth counts the weight layers on the main path. Count the layers and the
multiply-adds and compare with the table. Table 1 has no parameter row (v1 quotes few parameter
counts at all); the exact counts below are the reference ones, the same as torchvision's
ImageNet ResNets, which the package reproduces to the last parameter.
""",
        zh=r"""
瓶颈块处理的是宽 4 倍的表示（输入输出都是 256 通道），参数量和乘加运算量却与 64 通道的基本块差不多：v1 说这两种设计"时间复杂度相近"。再看第三行：如果**这条**捷径也用投影（256 → 256 的 1×1 卷积），块的大小几乎翻倍。所以 v1 §4.1 特别强调，无参数的恒等捷径对瓶颈结构尤其重要。

## ImageNet ResNet-18 到 152，逐层数一数

v1 表 1 列出了五个 ImageNet 网络：每个阶段有几个块，以及 224×224 输入下的计算量（FLOPs，即乘加运算次数）。每个网络都有一个 7×7 卷积层、四个由块组成的阶段，以及一个全连接层；深度指主路径上权重层的数目。下面数出层数和乘加运算量，与表 1 对照。表 1 没有参数量这一行（v1 几乎不报参数量）；下面的精确参数量是参考值，与 torchvision 的 ImageNet ResNet 相同，本项目的包逐个参数地复现了它们。
""",
    ),
    code(r"""
PAPER = {  # (reference parameters = torchvision's counts, not in v1; v1 Table 1's FLOPs x10^9 at 224x224)
    18: (11_689_512, 1.8), 34: (21_797_672, 3.6), 50: (25_557_032, 3.8),
    101: (44_549_160, 7.6), 152: (60_192_808, 11.3)}
# Multiply-adds need a forward pass at 224x224: seconds for the big nets on a CPU.
MACS_FOR = pick(full=(18, 34, 50, 101, 152), smoke=(18,))

table = {}
for depth, (paper_params, paper_gmacs) in PAPER.items():
    blocks = IMAGENET_LAYERS[depth]
    per_block = 2 if depth < 50 else 3  # basic: two 3x3; bottleneck: 1x1, 3x3, 1x1
    layers = 1 + per_block * sum(blocks) + 1  # 7x7 conv + blocks + fc
    net = build_model(f"imagenet_resnet{depth}")
    params = count_params(net)
    gmacs = count_macs(net, (1, 3, 224, 224)) / 1e9 if depth in MACS_FOR else None
    table[depth] = (params, gmacs)
    assert layers == depth and params == paper_params
    say("ResNet-{depth:<3} blocks {blocks}: 1 + {per_block}×{n_blocks:>2} + 1 = {layers:>3} layers, {params:>10,} "
        "parameters (reference {reference:,})", depth=depth, blocks=blocks, per_block=per_block,
        n_blocks=sum(blocks), layers=layers, params=params, reference=paper_params)
    if gmacs is not None:
        say("    multiply-adds ×10⁹: {counted:5.2f} (v1 Table 1: {paper})", counted=gmacs, paper=paper_gmacs)
    del net
counted = {d: g for d, (p, g) in table.items() if g is not None}
check(all(abs(g / PAPER[d][1] - 1) < 0.02 and int(10 * g) / 10 <= PAPER[d][1] <= round(g, 1) for d, g in counted.items()),
      "every counted multiply-add figure is within 2% of v1 Table 1, which rounds or truncates it to one decimal",
      "{pairs}", pairs=", ".join(f"ResNet-{d}: {g:.2f} vs {PAPER[d][1]}" for d, g in counted.items()))
"""),
    code(r"""
depths = list(PAPER)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
ax1.plot(depths, [PAPER[d][0] / 1e6 for d in depths], "s--", color="gray", label=T("reference (torchvision)"))
ax1.plot(depths, [table[d][0] / 1e6 for d in depths], "o", label=T("counted here"))
ax1.set(xlabel=T("depth"), ylabel=T("parameters (millions)"), title=T("parameters"))
ax2.plot(depths, [PAPER[d][1] for d in depths], "s--", color="gray", label=T("v1 Table 1"))
measured = [d for d in depths if table[d][1] is not None]
ax2.plot(measured, [table[d][1] for d in measured], "o", label=T("counted here"))
ax2.set(xlabel=T("depth"), ylabel=T("multiply-adds (×10⁹)"), title=T("multiply-adds at 224×224"))
for ax in (ax1, ax2):
    ax.legend()
plt.show()
"""),
    md(
        en=r"""
## What it means

The layer counts match v1 Table 1 and the parameters match the reference counts to the last
parameter. The multiply-adds agree with Table 1 to its one decimal, but not always by rounding:
ResNet-18, -101 and -152 count 1.81, 7.57 and 11.28 ×10⁹ (the table: 1.8, 7.6, 11.3, rounded),
while ResNet-34 and -50 count 3.66 and 3.86 ×10⁹ where the table says 3.6 and 3.8: there it
*truncates* (rounding would give 3.7 and 3.9). The differences are below 2 %. Two things stand
out:

- ResNet-34 → ResNet-50 adds 16 layers but barely any compute (3.6 → 3.8 ×10⁹): each basic block
  became a bottleneck of similar cost, and the net got deeper almost for free.
- ResNet-152 has 60 million parameters and 11.3 ×10⁹ multiply-adds, and v1 §4.1 notes it is
  still of lower complexity than the VGG nets it compares with. Depth here is cheap because the
  3×3 layers work on narrow, reduced representations.

Only the bottleneck's 3×3 layer sees the 4× narrower width; the 1×1 layers and the identity
shortcuts carry the wide representation. Keep the shortcuts identities, and the cost stays there.

## Summary

- Where the shape changes, the shortcut either pads zeros (A, free) or projects with a 1×1
  convolution (B there only, C everywhere) (v1 §3.3, Eq. 2).
- v1 Table 3 on ResNet-34: A 25.03, B 24.52, C 24.19 top-1 error vs plain-34 28.54: the identity
  does the heavy lifting, projections add a little.
- A bottleneck (1×1, 3×3, 1×1) on 256 channels costs about as much as a basic block on 64 (v1 Fig. 5);
  it depends on identity shortcuts to stay cheap.
- ResNet-18/34/50/101/152 have 1.8/3.6/3.8/7.6/11.3 ×10⁹ multiply-adds (v1 Table 1; 34 and 50 truncated) and
  11.7/21.8/25.6/44.5/60.2 M parameters (the reference counts; v1 gives none); the package
  reproduces both.
""",
        zh=r"""
## 这说明了什么

层数与 v1 表 1 一致，参数量与参考值一个不差。乘加运算量在一位小数的精度上与表 1 一致，但并不都是四舍五入：ResNet-18、-101、-152 数出来是 1.81、7.57、11.28 ×10⁹（表中为 1.8、7.6、11.3，是四舍五入），而 ResNet-34 和 -50 数出来是 3.66 和 3.86 ×10⁹，表中却是 3.6 和 3.8：这两处是直接**截断**（四舍五入应为 3.7 和 3.9）。差别都在 2% 以内。有两点值得注意：

- 从 ResNet-34 到 ResNet-50，多了 16 层，计算量却几乎没变（3.6 → 3.8 ×10⁹）：每个基本块都换成了代价相近的瓶颈块，网络几乎不花代价就变深了。
- ResNet-152 有 6000 万参数、11.3 ×10⁹ 次乘加；v1 §4.1 指出，它的复杂度仍然低于论文所比较的 VGG 网络。在这里，深度之所以便宜，是因为 3×3 层都在压缩过的窄表示上工作。

瓶颈块里只有 3×3 层面对的是窄了 4 倍的宽度；1×1 层和恒等捷径负责传递宽的表示。只要捷径保持为恒等映射，代价就只花在这些地方。

## 小结

- 在形状改变处，捷径要么补零（A，零代价），要么用 1×1 卷积做投影（B 只在这些位置，C 处处都用）（v1 §3.3、式 2）。
- v1 表 3（ResNet-34）：top-1 错误率 A 25.03、B 24.52、C 24.19，普通网络 plain-34 为 28.54：出大力的是恒等映射，投影只添了一点点。
- 256 通道的瓶颈块（1×1、3×3、1×1）与 64 通道的基本块代价相当（v1 图 5）；瓶颈块要靠恒等捷径才能保持轻量。
- ResNet-18/34/50/101/152 的乘加运算量为 1.8/3.6/3.8/7.6/11.3 ×10⁹（v1 表 1；34 和 50 两项是截断的），参数量为 11.7/21.8/25.6/44.5/60.2 M（参考值；v1 没有给出）；本项目的包两者都能复现。
""",
    ),
    md(
        en=r"""
## Exercises

1. **Where are the projections?** For `build_model("imagenet_resnet50")` (option B), list the
   blocks whose shortcut is a projection (`list_units` and `unit.module.shortcut`). How many are
   there, and where?
2. **Option C on ResNet-50.** How many parameters does `build_model("imagenet_resnet50", shortcut="C")`
   have, compared with B? Relate it to the third row of the bottleneck comparison.
3. **Multiply-adds of the CIFAR nets.** Use `count_macs(net)` (default input 1×3×32×32) for
   `resnet20`, `resnet56` and `resnet110`. How does the cost grow with depth, and why linearly?
4. **Stride placement.** The library's `Bottleneck` puts the stride on the first 1×1 layer (read its
   docstring). Estimate how many more multiply-adds a stride on the 3×3 layer would cost in the
   first block of a stage, then check the docstring's numbers.
""",
        zh=r"""
## 练习

1. **投影捷径在哪里？** 对 `build_model("imagenet_resnet50")`（选项 B），用 `list_units` 和 `unit.module.shortcut` 列出捷径是投影的那些块。一共有几个？分别在哪里？
2. **ResNet-50 用选项 C。** `build_model("imagenet_resnet50", shortcut="C")` 有多少参数？与 B 相比呢？把它和上面瓶颈块对比表的第三行联系起来想一想。
3. **CIFAR 网络的乘加运算量。** 用 `count_macs(net)`（默认输入为 1×3×32×32）计算 `resnet20`、`resnet56` 和 `resnet110` 的乘加运算量。代价随深度如何增长？为什么是线性的？
4. **步幅放在哪里。** 库里的 `Bottleneck` 把步幅放在第一个 1×1 层上（读一读它的 docstring）。估算一下，如果把步幅放在 3×3 层上，每个阶段第一个块要多花多少乘加运算，再对照 docstring 里的数字。
""",
    ),
    hint(
        en=r"""
1. ```python
   net = build_model("imagenet_resnet50")
   for u in list_units(net):
       if not isinstance(u.module.shortcut, torch.nn.Identity):
           print(u.name, u.in_channels, "->", u.out_channels, "stride", u.stride)
   ```
   Four: the first block of each stage. In stage 1 the stride is 1 but the width changes
   (64 → 256), so it needs a projection too.
2. 25,557,032 with B, 40,128,552 with C: more than half as much again. C adds a 1×1 projection
   (with BN) to each of the other 12 blocks, and on the wide 4× representation a projection is
   about as big as the bottleneck block itself. This is why v1 says a projection on a bottleneck's
   shortcut doubles its time complexity and model size.
3. Each stage's blocks cost the same (the feature map halves as channels double, so 3×3 convs
   cost the same per block), so the multiply-adds grow linearly with n: about 41 M for ResNet-20,
   125 M for ResNet-56, 253 M for ResNet-110.
4. With the stride on the 3×3 layer, the first 1×1 runs at full resolution (4× the positions) and
   so does the 3×3's input; the docstring reports 4.1 ×10⁹ instead of 3.8 for ResNet-50.
""",
        zh=r"""
1. ```python
   net = build_model("imagenet_resnet50")
   for u in list_units(net):
       if not isinstance(u.module.shortcut, torch.nn.Identity):
           print(u.name, u.in_channels, "->", u.out_channels, "stride", u.stride)
   ```
   共 4 个：每个阶段的第一个块。第一阶段虽然步幅为 1，但宽度从 64 变为 256，所以也需要投影。
2. 选项 B 为 25,557,032，选项 C 为 40,128,552：多出一半还不止。C 给其余 12 个块各加了一个 1×1 投影（带 BN），而在宽 4 倍的表示上，一个投影差不多和瓶颈块本身一样大。这正是 v1 所说的：瓶颈块的捷径如果用投影，时间复杂度和模型大小都会翻倍。
3. 同一阶段内每个块的代价相同；而特征图尺寸减半时通道数翻倍，3×3 卷积每块的代价在各阶段之间也相同。所以乘加运算量随 n 线性增长：ResNet-20 约 41 M，ResNet-56 约 125 M，ResNet-110 约 253 M。
4. 步幅放在 3×3 层上时，第一个 1×1 层要在全分辨率上运行（位置数是原来的 4 倍），3×3 的输入也是全分辨率的；docstring 报告 ResNet-50 会从 3.8 ×10⁹ 变为 4.1 ×10⁹。
""",
    ),
    code(r"""
# Checking the answers to exercises 1-3 with the solutions' own code (seconds).
import torch

from resnet_edu.models import list_units

net = build_model("imagenet_resnet50")
projected = [u.name for u in list_units(net) if not isinstance(u.module.shortcut, torch.nn.Identity)]
check(projected == ["stage1.0", "stage2.0", "stage3.0", "stage4.0"],
      "ResNet-50 (option B) has 4 projection shortcuts: the first block of each stage", "{names}", names=projected)
b_params, c_params = count_params(net), count_params(build_model("imagenet_resnet50", shortcut="C"))
check((b_params, c_params) == (25_557_032, 40_128_552), "ResNet-50 has 25,557,032 parameters with B and 40,128,552 with C",
      "B {b:,}, C {c:,}", b=b_params, c=c_params)
cifar_macs = [count_macs(build_model(f"resnet{d}")) / 1e6 for d in (20, 56, 110)]
check([round(m) for m in cifar_macs] == [41, 125, 253],
      "ResNet-20, -56 and -110 cost about 41, 125 and 253 M multiply-adds",
      "{values} M", values=", ".join(f"{m:.1f}" for m in cifar_macs))
"""),
]

LABELS_ZH = {
    "option": "选项",
    "extra parameters vs plain (%)": "比普通网络多出的参数 (%)",
    "reference (torchvision)": "参考值（torchvision）",
    "counted here": "本课数出",
    "depth": "深度",
    "parameters (millions)": "参数量（百万）",
    "parameters": "参数量",
    "v1 Table 1": "v1 表 1",
    "multiply-adds (×10⁹)": "乘加运算量（×10⁹）",
    "multiply-adds at 224×224": "224×224 输入的乘加运算量",
}

TEXTS_ZH = {
    "option A adds no parameter, B under 2%, C several percent (over 3%) in every row":
        "每一行中，选项 A 不增加参数，B 增加不到 2%，C 增加好几个百分点（超过 3%）",
    "extra parameters: A {a}, B {b}, C {c}": "多出的参数：A {a}，B {b}，C {c}",
    "{name:>40}: {params:>7,} parameters, {macs:6.1f} M multiply-adds": "{name:>40}：{params:>7,} 个参数，{macs:6.1f} M 次乘加",
    "the 256-d bottleneck costs within 10% of the 64-d basic block, and a projection shortcut nearly doubles it":
        "256 维瓶颈块的代价与 64 维基本块相差不到 10%，而投影捷径使它几乎翻倍",
    "bottleneck / basic: {p:.2f}× parameters, {m:.2f}× multiply-adds; with the projection {d:.2f}×":
        "瓶颈块 / 基本块：参数 {p:.2f} 倍，乘加 {m:.2f} 倍；加上投影捷径后为 {d:.2f} 倍",
    "ResNet-{depth:<3} blocks {blocks}: 1 + {per_block}×{n_blocks:>2} + 1 = {layers:>3} layers, {params:>10,} "
    "parameters (reference {reference:,})":
        "ResNet-{depth:<3} 各阶段块数 {blocks}：1 + {per_block}×{n_blocks:>2} + 1 = {layers:>3} 层，{params:>10,} "
        "个参数（参考值 {reference:,}）",
    "    multiply-adds ×10⁹: {counted:5.2f} (v1 Table 1: {paper})": "    乘加运算量 ×10⁹：{counted:5.2f}（v1 表 1：{paper}）",
    "every counted multiply-add figure is within 2% of v1 Table 1, which rounds or truncates it to one decimal":
        "数出的每个乘加运算量都与 v1 表 1 相差不到 2%，表中的数字是它四舍五入或截断到一位小数的结果",
    "{pairs}": "{pairs}",
    "                    plain            A            B            C": "                  普通网络            A            B            C",
    "ResNet-50 (option B) has 4 projection shortcuts: the first block of each stage":
        "ResNet-50（选项 B）有 4 条投影捷径：每个阶段的第一个块",
    "{names}": "{names}",
    "ResNet-50 has 25,557,032 parameters with B and 40,128,552 with C": "ResNet-50 用选项 B 时有 25,557,032 个参数，用 C 时有 40,128,552 个",
    "B {b:,}, C {c:,}": "B {b:,}，C {c:,}",
    "ResNet-20, -56 and -110 cost about 41, 125 and 253 M multiply-adds": "ResNet-20、-56、-110 的乘加运算量约为 41、125、253 M",
    "{values} M": "{values} M",
}
