"""Lesson 00: the story. Why depth, why deeper plain nets got worse, and the idea of adding the input back."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 00 · The story: why deeper got worse, and the fix of adding the input back

**The question.** If a 20-layer network is good, a 56-layer network should be at least as good:
it could copy the 20 layers and make the other 36 do nothing. In 2015 He, Zhang, Ren and Sun
trained exactly these two networks on CIFAR-10 and found the opposite.

**The paper's claim** (He et al. 2015, "Deep Residual Learning for Image Recognition", we call it
*v1*; §1 and Fig. 1): the 56-layer *plain network* has **higher training error** and higher test
error than the 20-layer one. It is not overfitting (the training error is higher too), and v1 §4.1
argues it is not vanishing gradients either (the nets have batch normalization, and the authors
checked the gradients). The paper calls it the **degradation problem** and reads it as an
*optimization difficulty*: the solver fails to find a solution that provably exists.

The remedy is one line of code. Each block computes a small change and **adds its input back**:
$y = F(x) + x$. With that, v1 trained nets of 152 layers on ImageNet, and an ensemble of such
residual networks won ILSVRC 2015 classification with **3.57 % top-5 error** on the test set.

**In this lesson** you will build a 20-layer plain net, a 56-layer plain net and a 56-layer
residual net, count their parameters, push one batch through them, and *see* what adding the
input back does to the signal. Lesson 01 then trains the two plain nets against each other;
ResNet-56 trains beside plain-56 in lesson 05 and beside ResNet-20 in lesson 04.
""",
        zh=r"""
# 00 · 故事：为什么更深反而更差，以及"把输入加回去"

**问题。** 如果一个 20 层的网络效果不错，那么 56 层的网络至少不该更差：它完全可以照抄那 20 层，再让多出来的 36 层什么都不做。2015 年，何恺明、张祥雨、任少卿和孙剑就在 CIFAR-10 上训练了这样两个网络，结果却恰恰相反。

**论文的结论**（He 等 2015，《Deep Residual Learning for Image Recognition》，下文简称 *v1*；见 §1 和图 1）：56 层的*普通网络*，**训练误差**和测试误差都比 20 层的更高。这不是过拟合——过拟合的网络训练误差会更低，而这里连训练误差都更高；v1 §4.1 还指出，这也不是梯度消失——这些网络都用了批归一化（BN），作者专门检查过梯度。论文把这个现象称为**退化问题**，并把它解释为一种*优化困难*：明明存在一个不比浅层网络差的解，优化器却找不到它。

解决办法只有一行代码：每个块只计算一个小小的改动，然后**把输入加回去**：$y = F(x) + x$。靠这一点，v1 在 ImageNet 上训练出了 152 层的网络；由这类残差网络组成的集成模型赢得了 ILSVRC 2015 分类比赛，测试集 **top-5 错误率为 3.57 %**。

**本课要做的事：** 搭建 20 层普通网络、56 层普通网络和 56 层残差网络，数一数它们的参数，让一批图像从中流过，并亲眼*看到*"把输入加回去"对信号有什么影响。第 01 课让两个普通网络同台训练；ResNet-56 则在第 05 课与 plain-56、在第 04 课与 ResNet-20 一起训练。
""",
    ),
    md(
        en=r"""
## The picture to keep: tracing paper

Think of a drawing and a stack of tracing paper. A **plain network** redraws the picture on every
sheet, from the sheet below: after 56 redrawings, small errors pile up and the original is lost.
A **residual network** lays each transparent sheet *over* the drawing and pencils in only a small
correction. Look down through the stack and the original is always there, with all corrections on
top. If a sheet has nothing useful to add, it stays blank, and nothing is lost.

That is $y = F(x) + x$: the block's layers compute the correction $F(x)$ (the **residual**), and the
**shortcut connection** carries $x$ through untouched. A blank sheet is $F(x) = 0$, and then the
block is an **identity mapping**, which is exactly what the deeper net needed in order to be at
least as good as the shallow one.
""",
        zh=r"""
## 记住这个画面：描图纸

想象桌上有一幅画和一摞描图纸。**普通网络**就像在每一张新纸上照着下面那张重新画一遍：描了 56 遍之后，小误差层层累积，原画早已走样。**残差网络**则是把每张透明的描图纸*覆盖*在原画上，只用铅笔补上一点点修改。从上往下看穿整摞纸，原画始终都在，所有修改叠在它上面；哪张纸没什么可补的，就让它空着，什么也不会丢。

这就是 $y = F(x) + x$：块里的各层只负责算出修改量 $F(x)$（即**残差**），而**捷径连接**把 $x$ 原封不动地送过去。空白的描图纸对应 $F(x) = 0$，这时整个块就是一个**恒等映射**——而这恰恰是更深的网络"至少不比浅层网络差"所需要的。
""",
    ),
    md(
        en=r"""
## Why depth at all?

Picture three contestants copying a detailed drawing. The first has **too few sheets**: a
couple of tracings cannot build up the detail, however careful each one is. That is the shallow
net: each layer turns the features below into slightly more abstract ones (edges → textures →
parts → objects), and a few layers cannot go far up that ladder. So networks got deeper, and
better: AlexNet had 8 weight layers (2012), VGG-19 had 19 and GoogLeNet 22 (2014), and v1 §1 notes
that the leading ImageNet results of the time all used "very deep" models of sixteen to thirty
layers. The second contestant has **many sheets but redraws on each** (the plain net, above): past
some depth the stack gets *worse*. The third **overlays** (the residual net) and can use every
sheet.

Why should depth help at all, in principle? Think of the functions a network architecture can
represent as a class $\mathcal{F}$, and of the best function in it as the one training looks for.
A bigger class is only guaranteed to contain a better (or equally good) function if it *contains*
the smaller one: nested classes $\mathcal{F}_1 \subseteq \mathcal{F}_2 \subseteq \dots$ (the
picture in d2l's ResNet chapter). A deeper plain net is in principle nested (its extra layers
*could* be identities), but SGD does not find that solution, as lesson 01 shows. A residual
block makes the nesting easy to reach: $F = 0$ is the identity, so adding blocks starts from the
smaller net's function and can only add to it.
""",
        zh=r"""
## 为什么要加深？

想象三位选手比赛临摹一幅细节丰富的画。第一位**纸太少**：只描两三遍，无论每一遍多认真，细节都堆不起来。这就是浅层网络：每一层把下面的特征变得更抽象一点（边缘 → 纹理 → 部件 → 物体），层数太少就爬不了多高。所以网络越做越深，效果也越来越好：AlexNet 有 8 个权重层（2012 年），VGG-19 有 19 层、GoogLeNet 有 22 层（2014 年）；v1 §1 也指出，当时 ImageNet 上领先的结果都用了十六到三十层的"非常深"的模型。第二位选手**纸很多，但每张都重画**（上面说的普通网络）：超过某个深度，整摞纸反而*更差*。第三位**叠加修改**（残差网络），每一张纸都用得上。

从原理上说，加深为什么会有帮助？把一种网络结构能表示的所有函数看成一个函数类 $\mathcal{F}$，训练要找的是其中最好的那个函数。更大的函数类只有在*包含*较小的函数类时，才保证能找到不差于原来的函数：嵌套的函数类 $\mathcal{F}_1 \subseteq \mathcal{F}_2 \subseteq \dots$（d2l 残差网络一章里的那张图）。更深的普通网络在原理上是嵌套的（多出的层*可以*是恒等映射），但第 01 课会看到，SGD 找不到这个解。残差块让这种嵌套变得容易达到：$F = 0$ 就是恒等映射，所以新加的块从较浅网络的函数出发，只会在它上面做加法。
""",
    ),
    code(r"""
import inspect

import matplotlib.pyplot as plt
import torch

from resnet_edu.models import BasicBlock, build_model, count_params, list_units, unit_output_shapes
from resnet_edu.training.notebook import pick, smoke_mode

torch.manual_seed(0)
print("smoke mode:", smoke_mode())
"""),
    md(
        en=r"""
## Three networks, one line apart

The package builds the CIFAR-10 nets of v1 §4.2 by name. `plain56` and `resnet56` use the same
`BasicBlock`; the only difference is whether the block has a shortcut. Here is its `forward`:
""",
        zh=r"""
## 三个网络，只差一行

本项目的包可以按名字搭建 v1 §4.2 中的 CIFAR-10 网络。`plain56` 和 `resnet56` 用的是同一个 `BasicBlock`，唯一的区别在于这个块有没有捷径连接。来看它的 `forward`：
""",
    ),
    code(r"""
print(inspect.getsource(BasicBlock.forward))
"""),
    md(
        en=r"""
Two `return` lines: the plain block returns $\mathrm{ReLU}(F(x))$, the residual block returns
$\mathrm{ReLU}(F(x) + x)$ (v1 Eq. 1). Now count parameters. v1 §3.3 says the identity shortcut
adds *no* parameters; where the number of channels grows (16 → 32 → 64), "option A" pads the extra
channels with zeros, which has no parameters either. So plain-56 and ResNet-56 should have
**exactly** the same count.
""",
        zh=r"""
两个 `return`：普通块返回 $\mathrm{ReLU}(F(x))$，残差块返回 $\mathrm{ReLU}(F(x) + x)$（v1 式 1）。下面数一数参数。v1 §3.3 指出，恒等捷径*不增加*任何参数；在通道数增加的地方（16 → 32 → 64），"选项 A"用零来填补多出来的通道，同样没有参数。所以 plain-56 和 ResNet-56 的参数量应该**完全相同**。
""",
    ),
    code(r"""
nets = {name: build_model(name) for name in ("plain20", "plain56", "resnet56")}
for name, net in nets.items():
    print(f"{name:>9}: {count_params(net):>9,} parameters, {len(list_units(net))} blocks")

assert count_params(nets["plain56"]) == count_params(nets["resnet56"]) == 853_018  # v1 §4.2, option A
assert count_params(nets["plain20"]) == 269_722
"""),
    md(
        en=r"""
Depth is $6n + 2$: a first 3×3 convolutional layer, $3n$ blocks of two layers each, and a fully
connected layer. For $n = 9$ that is $2 + 54 = 56$ weight layers and 27 blocks. The parameters of
ResNet-56 and plain-56 are equal to the last digit: any difference you will see between them when
they train side by side (lesson 05) comes from the shortcuts alone, not from a bigger model.

## A first forward pass

Let a batch of two random 32×32 images flow through ResNet-56 and read the shape after each
stage. The feature map is halved in size and doubled in channels twice (v1 §4.2):
32×32×16 → 16×16×32 → 8×8×64, then global average pooling and 10 class scores.
""",
        zh=r"""
深度是 $6n + 2$：最前面一个 3×3 卷积层，中间 $3n$ 个块、每块两层，最后一个全连接层。取 $n = 9$，就是 $2 + 54 = 56$ 个权重层、27 个块。ResNet-56 与 plain-56 的参数量连个位数都一样：当它们同台训练时（第 05 课），你看到的两者差别只能来自捷径连接本身，而不是因为模型更大。

## 第一次前向传播

让两张随机的 32×32 图像流过 ResNet-56，看看每个阶段之后的形状。特征图的尺寸减半、通道数翻倍，一共发生两次（v1 §4.2）：32×32×16 → 16×16×32 → 8×8×64，然后是全局平均池化，最后输出 10 个类别的分数。
""",
    ),
    code(r"""
net = nets["resnet56"]
x = torch.randn(2, 3, 32, 32)  # (N, C, H, W)
print("logits:", tuple(net(x).shape))  # (N, 10)

shapes = unit_output_shapes(net, input_size=(2, 3, 32, 32))
for unit in list_units(net):
    if unit.stride == 2 or unit.index in (0, len(shapes) - 1):
        print(f"block {unit.index:2d} ({unit.name:>9}): stride {unit.stride}, output {shapes[unit.name]}")
"""),
    md(
        en=r"""
## Something to look at: is the original still there?

Back to the tracing paper. If each residual block only *adds* to its input, the signal after
block $l$ should still look a lot like the signal before it. For a plain block, nothing forces
that. Measure it: for every block whose input and output have the same shape, compute the
**cosine similarity** between input and output over one batch (1 = same direction, 0 = unrelated).
The nets are freshly initialised, nothing is trained yet.
""",
        zh=r"""
## 动手看一看：原画还在吗？

回到描图纸的比喻。如果每个残差块只是在输入上*叠加*一点修改，那么第 $l$ 个块之后的信号应该仍然和它之前的信号很像；而对普通块来说，没有任何机制保证这一点。我们来测一测：对每个输入、输出形状相同的块，在一批图像上计算输入与输出之间的**余弦相似度**（1 表示方向完全相同，0 表示毫不相关）。这里的网络都是刚初始化的，还没有经过任何训练。
"""),
    code(r"""
def block_similarity(net, x):
    '''Cosine similarity between each same-shape block's input and output, in depth order.'''
    sims, hooks = [], []

    def hook(module, inputs, output):
        a, b = inputs[0].flatten(1), output.flatten(1)  # (N, C*H*W)
        if a.shape == b.shape:
            sims.append(torch.nn.functional.cosine_similarity(a, b, dim=1).mean().item())

    for unit in list_units(net):
        hooks.append(unit.module.register_forward_hook(hook))
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return sims


x = torch.randn(pick(full=64, smoke=8), 3, 32, 32)
plt.figure(figsize=(7, 3.5))
for name in ("plain56", "resnet56"):
    sims = block_similarity(nets[name], x)
    plt.plot(sims, marker=".", label=name)
    print(f"{name}: mean similarity between a block's input and output = {sum(sims) / len(sims):.2f}")
plt.xlabel(T("block (same-shape blocks, in depth order)"))
plt.ylabel("cos(input, output)")
plt.ylim(0, 1.05)
plt.legend()
plt.title(T("Does a block keep its input? (at initialization)"))
plt.show()
"""),
    md(
        en=r"""
## What it means

In the residual net each block's output points almost the same way as its input: the block wrote
its correction on a transparent sheet, and the original shows through. The similarity even rises
with depth: the carried signal accumulates, so each new correction is small next to it. In the
plain net the similarity sits near 0.32, which is what two *unrelated* signals give after a ReLU
(for independent half-rectified Gaussians, $\mathbb{E}[a]\,\mathbb{E}[b]/\sqrt{\mathbb{E}[a^2]\,\mathbb{E}[b^2]} = 1/\pi \approx 0.32$):
every plain block redraws the picture from scratch, and what reaches the classifier has been
redrawn 27 times.

This is *not* yet a statement about training, only about the starting point. Lesson 01 trains
plain-20 against plain-56 and shows the degradation problem itself; lesson 02 looks at why
"learn a correction, starting from zero" is an easier problem than "learn the whole mapping".

A word of care, which every lesson here keeps: it is tempting to say "ResNets work because they
stop gradients from vanishing". v1 does **not** say that about its own nets: its plain nets have
BN, and §4.1 reports that their gradients have healthy norms. Degradation shows up as higher
*training* error, an optimization difficulty. The clean gradient path through identity shortcuts
is derived later, in v2 (lesson 05).

## Summary

- Deeper plain nets have *higher training error* than shallower ones (v1 Fig. 1): the degradation
  problem, not overfitting.
- A residual block computes $y = F(x) + x$; the shortcut adds no parameters (option A pads zeros
  where the width grows), so plain-56 and ResNet-56 have the same 853,018 parameters.
- At initialization a residual block's output stays close to its input; a plain block's does not.
- v1's ResNets reached 152 layers on ImageNet; an ensemble won ILSVRC 2015 with 3.57 % top-5 error.
""",
        zh=r"""
## 这说明了什么

在残差网络里，每个块的输出和输入几乎指向同一个方向：块把修改写在透明的描图纸上，原画依然透得过来。而且越往深处相似度越高：一路传下来的信号不断累积，每一张新纸上的修改相对它来说就显得很小。普通网络的相似度则一直停在 0.32 左右——这正是两个*毫不相关*的信号经过 ReLU 之后的相似度（对相互独立、经过半波整流的高斯变量，$\mathbb{E}[a]\,\mathbb{E}[b]/\sqrt{\mathbb{E}[a^2]\,\mathbb{E}[b^2]} = 1/\pi \approx 0.32$）。也就是说，普通网络的每个块都在从头重画，传到分类器的已经是被重画了 27 遍的东西。

注意，这里说的还不是训练，只是训练的*起点*。第 01 课会让 plain-20 和 plain-56 一起训练，直接展示退化问题；第 02 课再来看，为什么"从零开始学一个修改量"比"从头学出整个映射"容易。

还有一点需要特别小心，本系列每一课都会坚持：很多人喜欢说"ResNet 之所以有效，是因为它防止了梯度消失"。v1 对自己的网络**并没有**这么说：它的普通网络带有 BN，§4.1 报告这些网络的梯度范数是健康的。退化表现为更高的*训练误差*，是一种优化困难。至于恒等捷径带来的那条"干净"的梯度通路，是后来 v2 才推导出来的（见第 05 课）。

## 小结

- 更深的普通网络，*训练误差*反而比浅层的更高（v1 图 1）：这就是退化问题，而不是过拟合。
- 残差块计算 $y = F(x) + x$；捷径连接不增加参数（宽度增加处，选项 A 用零填补），所以 plain-56 与 ResNet-56 的参数量都是 853,018。
- 初始化时，残差块的输出与输入保持相近，普通块则不然。
- v1 的 ResNet 在 ImageNet 上达到了 152 层；由它们组成的集成模型以 3.57 % 的 top-5 错误率赢得了 ILSVRC 2015。
""",
    ),
    md(
        en=r"""
## Exercises

1. Count the parameters of `resnet110` and `resnet1202` and of their plain twins. v1 §4.2 gives
   them rounded, 1.7M and 19.4M; the package counts 1,727,962 and 19,421,274 for the residual nets
   (option A; the same counts as the common reference implementations of v1's CIFAR nets). Do the
   plain twins match?
2. Which blocks of ResNet-56 change the shape of the signal, and what does their shortcut do?
   Use `list_units(net)` and print the shortcut module of those blocks.
3. Instead of comparing each block with the block just before it, compare every block's output
   with the output of the *first* block (same stage only, so the shapes agree). How fast does the
   similarity fall with depth in stage 1, for plain-56 and for ResNet-56?
""",
        zh=r"""
## 练习

1. 数一数 `resnet110`、`resnet1202` 以及它们对应的普通网络的参数量。v1 §4.2 只给出约数 1.7M 和 19.4M；本项目的包数出的残差网络参数量（选项 A）是 1,727,962 和 19,421,274（与 v1 CIFAR 网络常用的参考实现一致）。对应的普通网络一样吗？
2. ResNet-56 中哪些块会改变信号的形状？它们的捷径连接做了什么？用 `list_units(net)` 找出这些块，并打印它们的 shortcut 模块。
3. 不再拿每个块和紧挨着的前一个块比较，而是把每个块的输出和*第一个*块的输出比较（只在同一阶段内比，保证形状一致）。在第一阶段里，plain-56 和 ResNet-56 的相似度随深度下降得有多快？
""",
    ),
    hint(
        en=r"""
1. ```python
   for name in ("resnet110", "plain110", "resnet1202", "plain1202"):
       print(name, f"{count_params(build_model(name)):,}")
   ```
   They match exactly: option A has no parameters, so a plain net and its residual twin are the
   same set of weights wired differently.
2. ```python
   for u in list_units(nets["resnet56"]):
       if u.stride == 2:
           print(u.name, u.in_channels, "->", u.out_channels, u.module.shortcut)
   ```
   Two blocks (`stage2.0`, `stage3.0`) use a `ZeroPadShortcut`: it takes every second pixel
   (stride 2) and pads the new channels with zeros. Lesson 03 compares it with projections.
3. Hook the outputs of the blocks of `stage1` only, keep the first one, and compute the cosine
   similarity of each later output with it. In the residual net the similarity decays slowly,
   because every block keeps its input as part of its output; in the plain net it drops within a
   few blocks.
""",
        zh=r"""
1. ```python
   for name in ("resnet110", "plain110", "resnet1202", "plain1202"):
       print(name, f"{count_params(build_model(name)):,}")
   ```
   完全一致：选项 A 没有参数，所以普通网络和对应的残差网络是同一组权重，只是连接方式不同。
2. ```python
   for u in list_units(nets["resnet56"]):
       if u.stride == 2:
           print(u.name, u.in_channels, "->", u.out_channels, u.module.shortcut)
   ```
   有两个块（`stage2.0` 和 `stage3.0`）用的是 `ZeroPadShortcut`：它每隔一个像素取一个（步幅 2），并把新增的通道补零。第 03 课会把它和投影捷径作比较。
3. 只在 `stage1` 的各个块上挂钩子，记下第一个块的输出，然后计算后面每个块的输出与它的余弦相似度。残差网络里相似度衰减得很慢，因为每个块的输出都包含了它的输入；普通网络则在几个块之内就迅速下降。
""",
    ),
]

LABELS_ZH = {
    "block (same-shape blocks, in depth order)": "块（形状不变的块，按深度排列）",
    "Does a block keep its input? (at initialization)": "块保留了它的输入吗？（初始化时）",
}
