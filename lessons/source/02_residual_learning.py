"""Lesson 02: residual learning. H(x) = F(x) + x, identity at F = 0, a basic block from scratch, Highway contrast."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 02 · Residual learning: $H(x) = F(x) + x$

**The question.** Lesson 01 showed that a deeper plain net trains worse, although it could in
principle copy the shallower net and make its extra layers identity mappings. So the solver has
trouble finding identity mappings with a stack of nonlinear layers. What if we make the identity
the *default*?

**The paper's idea** (v1 §3.1–3.2, Fig. 2, Eq. 1). Let $H(x)$ be the mapping a few stacked layers
should fit. Instead of asking the layers for $H(x)$, ask them for the **residual**
$F(x) = H(x) - x$, and add $x$ back through a **shortcut connection**:

$$y = F(x, \{W_i\}) + x.$$

Both forms can express the same functions, but they are not equally easy to learn. v1's
hypothesis: "if identity mappings are optimal, it would be easier to push the residual to zero
than to fit an identity mapping by a stack of nonlinear layers." And if the optimum is *close* to
an identity, it is easier to learn a small correction to it than to learn it from scratch.

In this lesson you will: read the library's block, check that $F = 0$ really gives the identity,
watch a plain block and a residual block learn the identity, write a basic block yourself and
check it against the library's, count the (zero) parameters of shortcuts, and compare with the
gated shortcuts of Highway Networks.
""",
        zh=r"""
# 02 · 残差学习：$H(x) = F(x) + x$

**问题：** 第 01 课表明，更深的普通网络反而训练得更差，尽管原则上它完全可以照抄浅层网络、再把多出来的层变成恒等映射。可见，用一摞非线性层去拟合恒等映射，对优化器来说并不容易。那么，如果我们让恒等映射成为**默认状态**呢？

**论文的思路**（v1 §3.1–3.2、图 2、式 1）。设 $H(x)$ 是若干堆叠层需要拟合的映射。不让这些层直接去学 $H(x)$，而是让它们学**残差** $F(x) = H(x) - x$，再通过一条**捷径连接**把 $x$ 加回去：

$$y = F(x, \{W_i\}) + x.$$

两种写法能表示的函数是一样的，但学起来的难易程度不同。v1 的假设是：如果最优解就是恒等映射，那么把残差推向零，要比用一摞非线性层去拟合恒等映射容易得多。而如果最优解只是**接近**恒等映射，那么学习在它上面的一个小修正，也比从零开始学整个映射容易。

本课要做的事：阅读库里的残差块；验证 $F = 0$ 时确实得到恒等映射；观察普通块和残差块各自学习恒等映射的过程；亲手写一个基本块，并与库里的实现对照；数一数捷径连接的参数（答案是零）；最后与 Highway Networks 带门控的捷径作比较。
""",
    ),
    code(r"""
import inspect

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F

from resnet_edu.models import BasicBlock, ResidualUnit, build_model, count_params, list_units
from resnet_edu.models.layers import he_init
from resnet_edu.training.notebook import pick

torch.manual_seed(0)
WIDTHS = pick(full=(16, 32, 64), smoke=(4, 8, 8))  # filters per stage; the paper's are 16, 32, 64
print(inspect.getsource(BasicBlock))
"""),
    md(
        en=r"""
Read `forward` against v1 Fig. 2: weight layer, ReLU, weight layer gives $F(x)$ (`f`), then the
addition and a final ReLU. Two details: v1 §3.4 puts BN "right after each convolution and before
activation"; and the convolutions have no bias, which is this package's choice, not something v1
states: a bias just before BN would be cancelled by BN's mean subtraction, and BN's own shift
$\beta$ plays that role.

## $F = 0$ gives the identity

If the last BN of the branch has scale $\gamma = 0$, then $F(x) = 0$ for every input and the block
returns $\mathrm{ReLU}(0 + x) = x$, since $x$ comes out of a ReLU and is non-negative already. The
option `zero_init_last=True` starts every residual block that way. (This initialization is a later
trick, not part of v1 or v2, which use He initialization everywhere; here it lets us *see* the
"default identity".) We measure, for every block, how far its output is from what the shortcut
alone carries: $\lVert y - x \rVert / \lVert x \rVert$.
""",
        zh=r"""
对照 v1 图 2 来读 `forward`：权重层、ReLU、权重层，得到 $F(x)$（代码里的 `f`），然后相加，最后再过一次 ReLU。还要注意两个细节：v1 §3.4 把 BN 放在"每个卷积之后、激活之前"；卷积层本身不带偏置，这是本项目的包的选择，v1 并没有这么写：紧接在 BN 之前的偏置会被 BN 减去均值时抵消掉，BN 自己的平移参数 $\beta$ 起了偏置的作用。

## $F = 0$ 就是恒等映射

如果残差分支最后一个 BN 的缩放系数 $\gamma = 0$，那么对任何输入都有 $F(x) = 0$，块的输出就是 $\mathrm{ReLU}(0 + x) = x$——因为 $x$ 本来就是上一个 ReLU 的输出，已经是非负的了。选项 `zero_init_last=True` 就让每个残差块以这种状态开始。（这种初始化是后来才出现的技巧，不属于 v1 或 v2，两篇论文都只用 He 初始化；这里用它是为了让"默认就是恒等映射"变得看得见。）我们对每个块测量它的输出与捷径连接单独送过去的信号相差多少：$\lVert y - x \rVert / \lVert x \rVert$。
""",
    ),
    code(r"""
def distance_from_shortcut(net, x):
    '''For every block: ||y - shortcut(x)|| / ||shortcut(x)||, on one batch.'''
    out, hooks = [], []

    def hook(module, inputs, y):
        h = module.shortcut(inputs[0])  # what the shortcut alone carries: x, or x padded with zeros
        out.append(((y - h).norm() / h.norm()).item())

    for unit in list_units(net):
        hooks.append(unit.module.register_forward_hook(hook))
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return out


x = torch.randn(pick(full=32, smoke=4), 3, 32, 32)
plt.figure(figsize=(7, 3.3))
distance = {}
for zero in (False, True):
    net = build_model("resnet20", widths=WIDTHS, zero_init_last=zero)
    distance[zero] = distance_from_shortcut(net, x)
    plt.plot(distance[zero], marker="o", label=f"zero_init_last={zero}")
    say("zero_init_last={zero}: largest ‖y - x‖ / ‖x‖ = {d:.2e}", zero=zero, d=max(distance[zero]))
plt.xlabel(T("block"))
plt.ylabel(r"$\|y - x\| \,/\, \|x\|$")
plt.legend()
plt.title(T("How far is each block from an identity mapping? (ResNet-20, at init)"))
plt.show()
check(max(distance[True]) < 1e-6 and min(distance[False]) > 0.1,
      "with γ = 0 every block, downsampling ones included, is the identity (up to rounding); with He init none is",
      "largest distance with γ = 0: {zero:.2e}; smallest with He init: {he:.2e}",
      zero=max(distance[True]), he=min(distance[False]))
"""),
    md(
        en=r"""
With $\gamma = 0$ every block is *exactly* the identity (the distance is 0, up to float rounding),
including the two blocks that downsample: their shortcut subsamples and pads zeros, and the block
then returns exactly that. A 20-layer or a 1000-layer residual net starts as "stem + classifier",
and each block can learn to depart from the identity only as far as the data asks.

A plain block cannot do this: with $\gamma = 0$ it outputs $\mathrm{ReLU}(0) = 0$ and erases the
signal. To be the identity, it must *learn* weights whose composition, through two ReLUs and two
BNs, reproduces its input.

## Something to look at: learning the identity

Make that concrete with a one-block race. Both blocks (He-initialised, as in the paper, so the
residual block does *not* start at the identity) are trained with SGD to output their own input.
""",
        zh=r"""
当 $\gamma = 0$ 时，每个块都**严格**等于恒等映射（距离为 0，只差浮点舍入），连那两个做下采样的块也不例外：它们的捷径连接先隔点采样、再补零，而整个块的输出正好就是它。因此，一个 20 层甚至 1000 层的残差网络，起步时就相当于"第一个卷积层 + 分类器"，每个块只在数据需要的范围内偏离恒等映射。

普通块做不到这一点：$\gamma = 0$ 时它输出 $\mathrm{ReLU}(0) = 0$，信号被直接抹掉了。普通块想成为恒等映射，就必须学出一组权重，使得经过两个 ReLU 和两个 BN 复合之后，恰好能把输入还原出来。

## 动手看一看：学习恒等映射

用一个只有一个块的"比赛"把这件事说清楚。两个块都用 He 初始化（和论文一样，所以残差块**并不是**从恒等映射出发的），然后用 SGD 训练它们输出自己的输入。
""",
    ),
    code(r"""
x = F.relu(torch.randn(32, 16, 8, 8))  # a batch of non-negative feature maps, as after a ReLU
steps = pick(full=150, smoke=10)
plt.figure(figsize=(7, 3.3))
final_loss = {}
for name, shortcut in ((T("plain block"), None), (T("residual block"), "A")):
    torch.manual_seed(1)  # the same initial weights for both
    block = BasicBlock(16, 16, shortcut=shortcut)
    he_init(block)
    opt = torch.optim.SGD(block.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(steps):
        loss = F.mse_loss(block(x), x)  # target: the input itself
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    plt.semilogy(losses, label=name)
    final_loss[shortcut] = losses[-1]
    say("{name:>14}: loss {first:.3f} → {last:.4f} after {steps} steps", name=name, first=losses[0], last=losses[-1],
        steps=steps)
plt.xlabel(T("step"))
plt.ylabel(T("mean squared error to the identity"))
plt.legend()
plt.show()
check(final_loss["A"] < final_loss[None] / 10,
      "after the same steps the residual block is over ten times closer to the identity than the plain block",
      "residual {res:.4f}, plain {plain:.4f}", res=final_loss["A"], plain=final_loss[None])
"""),
    md(
        en=r"""
## What it means

The residual block only has to shrink $F$; the plain block has to *build* an identity out of
convolutions, BN and ReLUs. Same weights at the start, same optimizer, and the residual block gets
much closer to the identity in the same number of steps. Stack 27 such blocks and the difference is
what you saw in lesson 01: the extra layers of a plain net are hard to make harmless, while a
residual net gets "harmless" almost for free and spends its effort on useful corrections.

v1 §4.2 (Fig. 7) backs the "small corrections" picture with a measurement on trained nets: the
responses of the residual functions (each 3×3 layer's output after BN, before the ReLU or the addition) are
*generally* smaller than those of the plain nets, and smaller in the deeper ResNets. Lesson 05
measures that, and lesson 07 looks further inside trained nets.

## Your turn: a basic block from scratch

Write a residual basic block yourself, with option A shortcuts, before reading the next cell.
It needs: `conv1` (3×3, stride $s$, no bias), `bn1`, `conv2` (3×3, no bias), `bn2`; and a
shortcut that is $x$ when the shape is unchanged, otherwise $x$ subsampled with stride 2 and padded
with zero channels. To load the library's weights, use the same attribute names. One detail to
find in the library's `ZeroPadShortcut`: where do the zero channels go?
""",
        zh=r"""
## 这说明了什么

残差块只需要把 $F$ 缩小；普通块却得用卷积、BN 和 ReLU 搭出一个恒等映射来。起始权重相同、优化器相同、步数相同，残差块离恒等映射近得多。把 27 个这样的块堆起来，差别就是第 01 课里看到的那样：普通网络多出来的层很难变得"无害"，而残差网络几乎不费力气就能做到"无害"，可以把力气花在有用的修正上。

v1 §4.2（图 7）用训练好的网络给"小修正"这个图景提供了实测证据：残差函数的响应（每个 3×3 层在 BN 之后、ReLU 或相加之前的输出）**总体上**比普通网络的小，而且残差网络越深，响应越小。第 05 课会测量这一点，第 07 课则更深入地观察训练好的网络内部。

## 轮到你了：从零写一个基本块

在看下一个代码单元之前，先自己写一个带选项 A 捷径连接的残差基本块。它需要：`conv1`（3×3，步幅 $s$，无偏置）、`bn1`、`conv2`（3×3，无偏置）、`bn2`；以及一条捷径：形状不变时就是 $x$，否则把 $x$ 以步幅 2 隔点采样、再补上全零的通道。为了能加载库里的权重，属性名要保持一致。还有一个细节需要你去库里的 `ZeroPadShortcut` 里找答案：补的零通道放在哪里？
""",
    ),
    hint(
        en=r"""
`inspect.getsource(ZeroPadShortcut.forward)` (from `resnet_edu.models`) shows it: half of the new
channels go before the existing ones and half after, `F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))`.
Any placement gives a valid option A net, but to reproduce the library's output channel for
channel you must pad the same way.
""",
        zh=r"""
`inspect.getsource(ZeroPadShortcut.forward)`（从 `resnet_edu.models` 导入）里有答案：新增通道一半放在原有通道之前，一半放在之后，即 `F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))`。放在哪里都能构成合法的选项 A 网络，但要和库的输出逐通道一致，就必须用同样的补法。
""",
    ),
    code(r"""
class MyBasicBlock(nn.Module):
    '''y = ReLU(F(x) + x), F = BN(conv(ReLU(BN(conv(x))))), option A shortcut (v1 Fig. 2, §3.3).'''

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride, self.extra = stride, out_channels - in_channels

    def shortcut(self, x):  # (N, C_in, H, W) -> (N, C_out, H/s, W/s), no parameters
        if self.stride == 1 and self.extra == 0:
            return x
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

    def forward(self, x):
        f = F.relu(self.bn1(self.conv1(x)))
        f = self.bn2(self.conv2(f))  # F(x)
        return F.relu(f + self.shortcut(x))
"""),
    md(
        en=r"""
Now the check: build the library's `BasicBlock`, give its BN layers non-trivial statistics (so the
test is not passed by accident), load its state dict into yours, and compare outputs on the same
input, in training mode and in eval mode. `strict=True` also checks that the names and shapes of
all weights match.
""",
        zh=r"""
接下来检验：搭一个库里的 `BasicBlock`，先把它的 BN 层的缩放、平移和滑动统计量都设成随机值（而不是默认的 1 和 0，免得检验"碰巧"通过），再把它的 state dict 加载到你的块里，在同一个输入上比较两者的输出，训练模式和评估模式各比一次。`strict=True` 还会顺带检查所有权重的名字和形状是否一致。
""",
    ),
    code(r"""
def check_against_library(in_channels, out_channels, stride):
    torch.manual_seed(0)
    ref = BasicBlock(in_channels, out_channels, stride, shortcut="A")
    with torch.no_grad():  # random BN scales, shifts and running statistics
        for bn in (ref.bn1, ref.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    mine = MyBasicBlock(in_channels, out_channels, stride)
    mine.load_state_dict(ref.state_dict(), strict=True)

    x = F.relu(torch.randn(4, in_channels, 16, 16))
    for mode in ("train", "eval"):
        ref.train(mode == "train")
        mine.train(mode == "train")
        with torch.no_grad():
            diff = (ref(x) - mine(x)).abs().max().item()
        say("{c_in:>2} → {c_out:>2}, stride {stride}, {mode:>5} mode: max |difference| = {diff:.1e}",
            c_in=in_channels, c_out=out_channels, stride=stride, mode=mode, diff=diff)
        assert diff < 1e-5, "your block differs from the library's"


check_against_library(16, 16, 1)  # identity shortcut
check_against_library(16, 32, 2)  # downsampling: subsample + zero-padded channels
"""),
    md(
        en=r"""
Same weights, same output: your block *is* v1's basic block.

## Shortcuts add no parameters

Option A shortcuts are parameter-free, so a residual net and its plain twin have identical
parameter counts (v1 §3.3, "the identity shortcuts introduce neither extra parameter nor
computation complexity"). Projection shortcuts (options B and C, lesson 03) do add some:
""",
        zh=r"""
权重相同，输出也相同：你写的块**就是** v1 的基本块。

## 捷径连接不增加参数

选项 A 的捷径连接没有参数，所以残差网络和对应的普通网络参数量完全一样（v1 §3.3：恒等捷径既不引入额外参数，也不增加计算复杂度）。投影捷径（选项 B 和 C，见第 03 课）则会增加一些参数：
""",
    ),
    code(r"""
params = {name: count_params(build_model(name)) for name in ("plain20", "resnet20", "resnet20:shortcut=B", "resnet20:shortcut=C",
                                                             "plain56", "resnet56", "resnet56:shortcut=B")}
for name, n in params.items():
    say("{name:>20}: {n:>9,} parameters", name=name, n=n)
check(params["resnet20"] == params["plain20"] == 269_722 and params["resnet56"] == params["plain56"] == 853_018
      and params["resnet20"] < params["resnet20:shortcut=B"] < params["resnet20:shortcut=C"],
      "option A adds no parameter (269,722 and 853,018 as in v1's nets); B adds some, C more",
      "{counts}", counts=", ".join(f"{k} {v:,}" for k, v in params.items()))
"""),
    md(
        en=r"""
## A contrast: Highway Networks

Highway Networks (Srivastava et al. 2015) also carry $x$ past a block, but through a **gate**:
$y = (1 - g(x)) \odot x + g(x) \odot F(x)$, with $g(x) = \sigma(W_g x + b_g)$ learned from the data.
v1 §2 points out the differences: the gates have parameters and depend on the data, and when a gate
closes the block is no longer residual. ResNet's identity shortcut is always open, with no
parameters. v2 §3.1 tested this "exclusive gating" on ResNet-110 (v2 Table 1): it fails to train,
or reaches 8.70 % or 9.81 % test error depending on how the gate bias is initialised, against
6.61 % for the plain identity shortcut.

`highway20` builds the CIFAR net with such gates (bias $b_g = -1$, so the shortcut starts mostly
open). Look at its extra parameters and at the gate values at initialization:
""",
        zh=r"""
## 对照：Highway Networks

Highway Networks（Srivastava 等 2015）同样把 $x$ 绕过一个块送到后面，但中间隔着一个**门**：$y = (1 - g(x)) \odot x + g(x) \odot F(x)$，其中 $g(x) = \sigma(W_g x + b_g)$ 是从数据中学出来的。v1 §2 指出了区别：门有参数、依赖于数据，而且门一旦关上，这个块就不再是残差块了；ResNet 的恒等捷径则永远敞开，也没有任何参数。v2 §3.1 在 ResNet-110 上测试了这种"互斥门控"（v2 表 1）：视门的偏置如何初始化，它要么训练失败，要么测试误差为 8.70% 或 9.81%，而用普通的恒等捷径是 6.61%。

`highway20` 搭建的就是带这种门的 CIFAR 网络（偏置 $b_g = -1$，所以捷径一开始大部分是敞开的）。看看它多出来的参数，以及初始化时门的取值：
""",
    ),
    code(r"""
highway = build_model("highway20", widths=WIDTHS)
resnet = build_model("resnet20", widths=WIDTHS)
say("resnet20:  {n:,} parameters", n=count_params(resnet))
say("highway20: {n:,} parameters (a 1×1 gate conv per block)", n=count_params(highway))
print(inspect.getsource(ResidualUnit.forward))

gates, hooks = [], []
for unit in list_units(highway):
    hooks.append(unit.module.gate.register_forward_hook(
        lambda m, inputs, out: gates.append(torch.sigmoid(out).detach().flatten())))
with torch.no_grad():
    highway(torch.randn(pick(full=32, smoke=4), 3, 32, 32))
for h in hooks:
    h.remove()

plt.figure(figsize=(7, 3.3))
plt.bar(range(len(gates)), [1 - g.mean().item() for g in gates], label=T("highway20: mean 1 - g (shortcut weight)"))
plt.axhline(1.0, color="k", linestyle="--", label=T("resnet20: shortcut weight is always 1"))
plt.xlabel(T("block"))
plt.ylabel(T("weight on x"))
plt.ylim(0, 1.4)
plt.legend(loc="upper right")
plt.show()
all_g = torch.cat(gates)
say("gate g at init: mean {mean:.2f}, from {low:.2f} to {high:.2f}", mean=float(all_g.mean()), low=float(all_g.min()),
    high=float(all_g.max()))
check(abs(float(all_g.mean()) - float(torch.sigmoid(torch.tensor(-1.0)))) < 0.05,
      "at init the gates average about σ(-1) ≈ 0.27: the shortcut passes about 0.73 of x",
      "mean gate {mean:.2f}", mean=float(all_g.mean()))
"""),
    md(
        en=r"""
## What it means

At initialization the highway shortcut already passes only part of $x$ (about $1 - \sigma(-1)
\approx 0.73$ of it on average, varying per position and channel), and the branch gets the rest.
Over 9 blocks those factors multiply. Training can also close the gates. The ResNet shortcut passes
all of $x$, always, and costs nothing. v2 turns this observation into an argument (lesson 06): any
scaling or gating of the shortcut gets in the way of the signal, which is why the plain identity
wins in v2 Table 1.

## Summary

- Residual learning: layers fit $F(x) = H(x) - x$ and the block outputs $F(x) + x$ (v1 Eq. 1).
- With $F = 0$ a block is exactly an identity mapping, even where it downsamples (option A).
- Learning the identity is easy for a residual block and hard for a plain block.
- A basic block written from scratch matches the library's output for the same weights.
- Identity shortcuts have no parameters; Highway gates have parameters and start partly closed.
""",
        zh=r"""
## 这说明了什么

初始化时，Highway 的捷径就只传过去 $x$ 的一部分（平均约为 $1 - \sigma(-1) \approx 0.73$，并且随位置和通道而变），剩下的份额给了残差分支。经过 9 个块，这些系数层层相乘；训练过程中门还可能被关上。ResNet 的捷径则永远把 $x$ 整个传过去，而且不花任何代价。v2 把这个观察发展成了一个论证（第 06 课）：对捷径做任何缩放或门控，都会妨碍信号的传递，这就是 v2 表 1 中最简单的恒等捷径胜出的原因。

## 小结

- 残差学习：各层拟合 $F(x) = H(x) - x$，块输出 $F(x) + x$（v1 式 1）。
- 当 $F = 0$ 时，块严格等于恒等映射，连下采样的块也是如此（选项 A）。
- 对残差块来说学习恒等映射很容易，对普通块则很难。
- 从零写出的基本块，在权重相同的情况下，与库里的实现输出一致。
- 恒等捷径没有参数；Highway 的门有参数，而且一开始就是半关的。
""",
    ),
    md(
        en=r"""
## Exercises

**Time.** Exercises 1–3 take seconds. Exercise 4 trains two 20-layer nets with the `quick`
preset: about half the compute of lesson 01's run, so a few minutes on a 2-core laptop CPU.

1. **Plain version.** Add a `residual=True` argument to `MyBasicBlock` that, when `False`, drops the
   shortcut (returns $\mathrm{ReLU}(F(x))$). Check it against `BasicBlock(..., shortcut=None)`.
2. **Option B.** Give `MyBasicBlock` a projection shortcut (1×1 conv with stride, then BN) where the
   shape changes, and check it against `BasicBlock(16, 32, 2, shortcut="B")`. Which attribute names
   does the library use for the projection?
3. **Gate bias.** v2 §3.1 initialises the gate bias very negative so that gates start almost fully
   open for $x$. Build `build_model("highway20", gate_bias=-6.0)` and repeat the gate measurement.
4. **Train it.** Use the `quick` preset of lesson 01 with `models=("resnet20", "highway20")` and
   compare the training error curves.
""",
        zh=r"""
## 练习

**耗时。** 练习 1–3 只要几秒。练习 4 用 `quick` 预设训练两个 20 层网络，计算量约为第 01 课那次训练的一半，在 2 核笔记本 CPU 上要几分钟。

1. **普通版本。** 给 `MyBasicBlock` 加一个参数 `residual=True`，为 `False` 时去掉捷径连接（返回 $\mathrm{ReLU}(F(x))$），并与 `BasicBlock(..., shortcut=None)` 对照检验。
2. **选项 B。** 在形状改变的地方给 `MyBasicBlock` 换上投影捷径（带步幅的 1×1 卷积，后接 BN），并与 `BasicBlock(16, 32, 2, shortcut="B")` 对照检验。库里的投影捷径用的是什么属性名？
3. **门的偏置。** v2 §3.1 把门的偏置初始化为很大的负数，让门一开始几乎把 $x$ 全部放行。搭建 `build_model("highway20", gate_bias=-6.0)`，重做一次门取值的测量。
4. **训练一下。** 用第 01 课的 `quick` 预设，设置 `models=("resnet20", "highway20")`，比较两者的训练误差曲线。
""",
    ),
    hint(
        en=r"""
1. In `forward`: `return F.relu(f + self.shortcut(x)) if self.residual else F.relu(f)`; in
   `check_against_library` build `BasicBlock(..., shortcut=None)` and `MyBasicBlock(..., residual=False)`.
   The state dicts are the same: the plain block has exactly the residual block's weights.
2. `print(BasicBlock(16, 32, 2, shortcut="B").shortcut)` shows a `Projection` with children `conv`
   and `bn`, so the state dict keys are `shortcut.conv.weight` and `shortcut.bn.*`. Make
   `self.shortcut = nn.Sequential(OrderedDict(conv=nn.Conv2d(16, 32, 1, stride=2, bias=False),
   bn=nn.BatchNorm2d(32)))` when the shape changes, and `nn.Identity()` otherwise.
3. With $b_g = -6$, $g \approx \sigma(-6) \approx 0.0025$: the shortcut weight $1 - g$ is almost 1
   and the branch is almost switched off. That starts close to a ResNet with a tiny $F$, but the
   gates are still multiplicative and learned: v2 Table 1 shows exclusive gating stays worse than
   the identity shortcut whatever the bias.
4. ```python
   from resnet_edu.training.config import preset
   from resnet_edu.training.notebook import lesson_dataset, train, curves
   events = train(preset("quick", dataset=lesson_dataset(), models=("resnet20", "highway20")))
   for m, (s, e) in curves(events, "train_error").items():
       plt.plot(s, e, label=m)
   plt.legend(); plt.show()
   ```
""",
        zh=r"""
1. 在 `forward` 中写 `return F.relu(f + self.shortcut(x)) if self.residual else F.relu(f)`；在 `check_against_library` 中分别搭建 `BasicBlock(..., shortcut=None)` 和 `MyBasicBlock(..., residual=False)`。两者的 state dict 完全相同：普通块的权重和残差块一模一样。
2. `print(BasicBlock(16, 32, 2, shortcut="B").shortcut)` 显示的是一个 `Projection`，子模块名为 `conv` 和 `bn`，所以 state dict 的键是 `shortcut.conv.weight` 和 `shortcut.bn.*`。形状改变时令 `self.shortcut = nn.Sequential(OrderedDict(conv=nn.Conv2d(16, 32, 1, stride=2, bias=False), bn=nn.BatchNorm2d(32)))`，否则令它为 `nn.Identity()`。
3. 当 $b_g = -6$ 时，$g \approx \sigma(-6) \approx 0.0025$：捷径上的权重 $1 - g$ 几乎为 1，残差分支几乎被关掉。这样的起点很接近一个 $F$ 很小的 ResNet，但门仍然是乘性的、需要学习的：v2 表 1 表明，无论偏置取多少，互斥门控都不如恒等捷径。
4. ```python
   from resnet_edu.training.config import preset
   from resnet_edu.training.notebook import lesson_dataset, train, curves
   events = train(preset("quick", dataset=lesson_dataset(), models=("resnet20", "highway20")))
   for m, (s, e) in curves(events, "train_error").items():
       plt.plot(s, e, label=m)
   plt.legend(); plt.show()
   ```
""",
    ),
    code(r"""
# Checking the answer to exercise 3 with the solution's own code (seconds).
gates_6, hooks = [], []
highway_6 = build_model("highway20", widths=WIDTHS, gate_bias=-6.0)
for unit in list_units(highway_6):
    hooks.append(unit.module.gate.register_forward_hook(
        lambda m, inputs, out: gates_6.append(torch.sigmoid(out).detach().flatten())))
with torch.no_grad():
    highway_6(torch.randn(pick(full=32, smoke=4), 3, 32, 32))
for h in hooks:
    h.remove()
g6 = float(torch.cat(gates_6).mean())
check(g6 < 0.01, "with b_g = -6 the gates start near σ(-6) ≈ 0.0025: the shortcut weight 1 - g is almost 1",
      "mean gate {g:.4f}", g=g6)
"""),
]

LABELS_ZH = {
    "block": "块",
    "How far is each block from an identity mapping? (ResNet-20, at init)": "每个块离恒等映射有多远？（ResNet-20，初始化时）",
    "plain block": "普通块",
    "residual block": "残差块",
    "step": "步",
    "mean squared error to the identity": "与恒等映射的均方误差",
    "highway20: mean 1 - g (shortcut weight)": "highway20：1 - g 的均值（捷径上的权重）",
    "resnet20: shortcut weight is always 1": "resnet20：捷径上的权重恒为 1",
    "weight on x": "x 上的权重",
}

TEXTS_ZH = {
    "zero_init_last={zero}: largest ‖y - x‖ / ‖x‖ = {d:.2e}": "zero_init_last={zero}：‖y - x‖ / ‖x‖ 的最大值 = {d:.2e}",
    "with γ = 0 every block, downsampling ones included, is the identity (up to rounding); with He init none is":
        "γ = 0 时每个块（包括下采样的块）都是恒等映射（只差舍入误差）；用 He 初始化时没有一个是",
    "largest distance with γ = 0: {zero:.2e}; smallest with He init: {he:.2e}":
        "γ = 0 时的最大距离：{zero:.2e}；He 初始化时的最小距离：{he:.2e}",
    "{name:>14}: loss {first:.3f} → {last:.4f} after {steps} steps": "{name:>14}：损失 {first:.3f} → {last:.4f}（{steps} 步之后）",
    "after the same steps the residual block is over ten times closer to the identity than the plain block":
        "相同步数之后，残差块离恒等映射的距离不到普通块的十分之一",
    "residual {res:.4f}, plain {plain:.4f}": "残差块 {res:.4f}，普通块 {plain:.4f}",
    "{c_in:>2} → {c_out:>2}, stride {stride}, {mode:>5} mode: max |difference| = {diff:.1e}":
        "{c_in:>2} → {c_out:>2}，步幅 {stride}，{mode:>5} 模式：最大 |差值| = {diff:.1e}",
    "{name:>20}: {n:>9,} parameters": "{name:>20}：{n:>9,} 个参数",
    "option A adds no parameter (269,722 and 853,018 as in v1's nets); B adds some, C more":
        "选项 A 不增加参数（269,722 和 853,018，与 v1 的网络相同）；B 增加一些，C 更多",
    "{counts}": "{counts}",
    "resnet20:  {n:,} parameters": "resnet20：{n:,} 个参数",
    "highway20: {n:,} parameters (a 1×1 gate conv per block)": "highway20：{n:,} 个参数（每个块多一个 1×1 的门卷积）",
    "gate g at init: mean {mean:.2f}, from {low:.2f} to {high:.2f}": "初始化时的门 g：均值 {mean:.2f}，范围 {low:.2f} 到 {high:.2f}",
    "at init the gates average about σ(-1) ≈ 0.27: the shortcut passes about 0.73 of x":
        "初始化时门的均值约为 σ(-1) ≈ 0.27：捷径传过去约 0.73 的 x",
    "mean gate {mean:.2f}": "门的均值 {mean:.2f}",
    "with b_g = -6 the gates start near σ(-6) ≈ 0.0025: the shortcut weight 1 - g is almost 1":
        "b_g = -6 时门一开始接近 σ(-6) ≈ 0.0025：捷径上的权重 1 - g 几乎为 1",
    "mean gate {g:.4f}": "门的均值 {g:.4f}",
}
