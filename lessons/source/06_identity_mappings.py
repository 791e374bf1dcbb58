"""Lesson 06: v2's identity mappings: shortcut variants (Table 1), unit designs (Table 2), 1001 layers."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 06 · Identity mappings: what the shortcut and the unit should look like

**The question.** Lesson 05 derived v2 Eq. 5 for a unit $x_{l+1} = f(h(x_l) + F(x_l))$ with *both*
$h$ and $f$ identities. v1's unit is not quite that ($f$ = ReLU). So v2 (He et al. 2016, "Identity
Mappings in Deep Residual Networks") asks two questions and answers each with an experiment on
CIFAR-10:

1. **What should the shortcut $h$ be?** v2 §3, Fig. 2, Table 1 (ResNet-110, % test error): the
   identity gives **6.61**; constant scaling by 0.5 **fails** (or **12.35** when $F$ is scaled by
   0.5 too); exclusive gating **fails / 8.70 / 9.81** depending on the gate-bias initialization;
   shortcut-only gating **12.86 / 6.91**; a 1×1 conv shortcut **12.22**; dropout on the shortcut
   (0.5) **fails**. Every "richer" shortcut is worse than doing nothing.
2. **Where should BN and ReLU go?** v2 §4, Fig. 4, Table 2 (ResNet-110 / ResNet-164, % error):

| design (Fig. 4) | ResNet-110 | ResNet-164 |
|---|---|---|
| (a) original | 6.61 | 5.93 |
| (b) BN after addition | 8.17 | 6.50 |
| (c) ReLU before addition | 7.84 | 6.14 |
| (d) ReLU-only pre-activation | 6.71 | 5.91 |
| (e) full pre-activation | **6.37** | **5.46** |

And the payoff, v2 Table 3: **ResNet-1001** goes from 7.61 (original unit) to **4.92** with full
pre-activation (4.62 with batch size 64).

We will read the code of every variant, measure at initialization why scaling and gating the shortcut
hurt (the $\lambda^L$ on the clean path), and build the 1001-layer net.
""",
        zh=r"""
# 06 · 恒等映射：捷径和残差单元应该长什么样

**问题：** 第 05 课对单元 $x_{l+1} = f(h(x_l) + F(x_l))$ 推导了 v2 的式 5，前提是 $h$ 和 $f$ 都是恒等映射。可 v1 的单元并不完全满足（$f$ 是 ReLU）。于是 v2（He 等 2016，《Identity Mappings in Deep Residual Networks》）提出了两个问题，并各用一组 CIFAR-10 实验来回答：

1. **捷径 $h$ 应该是什么？** v2 §3、图 2、表 1（ResNet-110，测试误差 %）：恒等映射是 **6.61**；常数缩放 0.5 **训练失败**（若 $F$ 也乘 0.5，则为 **12.35**）；互斥门控视门偏置的初始化不同，分别为 **失败 / 8.70 / 9.81**；仅捷径门控为 **12.86 / 6.91**；1×1 卷积捷径 **12.22**；捷径 dropout（0.5）**训练失败**。所有"更复杂"的捷径，都不如什么都不做。
2. **BN 和 ReLU 应该放在哪里？** v2 §4、图 4、表 2（ResNet-110 / ResNet-164，误差 %）：

| 单元设计（图 4） | ResNet-110 | ResNet-164 |
|---|---|---|
| (a) 原始设计 | 6.61 | 5.93 |
| (b) BN 放在相加之后 | 8.17 | 6.50 |
| (c) ReLU 放在相加之前 | 7.84 | 6.14 |
| (d) 仅 ReLU 预激活 | 6.71 | 5.91 |
| (e) 完全预激活 | **6.37** | **5.46** |

最后的收获在 v2 表 3：**ResNet-1001** 用原始单元是 7.61，换成完全预激活后降到 **4.92**（批大小取 64 时为 4.62）。

本课先读每一种变体的代码，再在初始化时测量：为什么缩放或门控捷径会带来损害（干净通路上的 $\lambda^L$）；最后搭建 1001 层的网络。
""",
    ),
    code(r"""
import inspect

import matplotlib.pyplot as plt
import numpy as np

from resnet_edu.analysis.signal import signal_at_init
from resnet_edu.models import DESIGNS, VARIANTS, build_model, count_params, list_units
from resnet_edu.models import variants as variants_module
from resnet_edu.models.variants import ResidualUnit
from resnet_edu.training.notebook import pick

WIDTHS = pick(full=(8, 16, 32), smoke=(4, 8, 8))  # channels per stage (the paper: 16, 32, 64)
DEPTH = pick(full=110, smoke=20)  # v2 Table 1 uses ResNet-110
BATCH = pick(full=32, smoke=4)  # one random batch at initialization
say("unit designs (v2 Fig. 4): {designs}", designs=", ".join(DESIGNS))
say("shortcut variants (v2 Fig. 2): {variants}", variants=", ".join(VARIANTS))
"""),
    md(
        en=r"""
## 1. One unit, every variant

`ResidualUnit` computes $x_{l+1} = f(h(x_l) \oplus F(x_l))$ for all of v2's cases. Its `forward`
is the whole of v2 Fig. 2 in a dozen lines: read what each variant does to $x$ before the addition.
""",
        zh=r"""
## 1. 一个单元，全部变体

`ResidualUnit` 用同一段代码实现 v2 的各种情形：$x_{l+1} = f(h(x_l) \oplus F(x_l))$。它的 `forward` 只有十几行，却把 v2 图 2 全部包含在内。请逐一看看每种变体在相加之前对 $x$ 做了什么：
""",
    ),
    code(r"""
print(inspect.getsource(ResidualUnit.forward))
"""),
    md(
        en=r"""
## 2. Why scaling the shortcut hurts: $\lambda^L$ (v2 §3, Eq. 8)

Replace the identity by $h(x_l) = \lambda_l x_l$ and keep $f$ the identity. Unrolling as in Eq. 4:

$$x_L = \Big(\prod_{i=l}^{L-1}\lambda_i\Big)\, x_l + \sum_{i=l}^{L-1} \hat F(x_i),$$

$$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\Big(\prod_{i=l}^{L-1}\lambda_i + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1}\hat F(x_i)\Big) \qquad \text{(v2 Eq. 8)}$$

($\hat F$ absorbs the scalars into the residual functions.) The clean "1" of Eq. 5 becomes a
product. With $\lambda = 0.5$ and the 54 units of ResNet-110, it is $0.5^{54} \approx 5.6\times10^{-17}$:
the shortcut no longer carries anything, and the gradient must go through the weight layers — the
plain net's situation. $\lambda > 1$ would make it explode instead. Gates $1 - g(x)$, 1×1 convs and
dropout are all *multiplicative* on the shortcut, and v2 argues they hamper the signal the same way.

Measure it: for one batch at initialization, `signal_at_init` returns $\|x_l\|$ and $\|\partial E/\partial x_l\|$
at every position $l$ (0 = input of the first unit, $L$ = output of the last).
""",
        zh=r"""
## 2. 为什么缩放捷径有害：$\lambda^L$（v2 §3，式 8）

把恒等映射换成 $h(x_l) = \lambda_l x_l$，$f$ 仍取恒等映射。像式 4 那样展开：

$$x_L = \Big(\prod_{i=l}^{L-1}\lambda_i\Big)\, x_l + \sum_{i=l}^{L-1} \hat F(x_i),$$

$$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\Big(\prod_{i=l}^{L-1}\lambda_i + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1}\hat F(x_i)\Big) \qquad \text{(v2 式 8)}$$

（$\hat F$ 把那些常数系数吸收进了残差函数。）式 5 里干净的"1"变成了一个连乘积。取 $\lambda = 0.5$，ResNet-110 有 54 个单元，这个乘积就是 $0.5^{54} \approx 5.6\times10^{-17}$：捷径实际上什么也传不过去，梯度只能穿过各个权重层——又回到了普通网络的处境。若 $\lambda > 1$，则会变成梯度爆炸。门控 $1 - g(x)$、1×1 卷积、dropout 对捷径来说都是**乘性**操作，v2 认为它们以同样的方式阻碍了信号传播。

下面来测量：对初始化时的一个批次，`signal_at_init` 返回每个位置 $l$ 上的 $\|x_l\|$ 和 $\|\partial E/\partial x_l\|$（0 是第一个单元的输入，$L$ 是最后一个单元的输出）。
""",
    ),
    code(r"""
n_units = len(list_units(build_model(f"resnet{DEPTH}", widths=WIDTHS)))
say("ResNet-{depth}: {n} units; the clean path's factor with λ = 0.5 is 0.5^{n} = {factor:.2e}",
    depth=DEPTH, n=n_units, factor=0.5 ** n_units)

entries = {
    "identity (a)": f"resnet{DEPTH}",
    "scaling λ=0.5 on h and F (Table 1: 12.35)": f"resnet{DEPTH}:variant=scaling",
    "exclusive gate, b_g=0": f"resnet{DEPTH}:variant=exclusive_gate",
    "exclusive gate, b_g=-6": f"resnet{DEPTH}:variant=exclusive_gate,gate_bias=-6",
    "shortcut-only gate, b_g=0": f"resnet{DEPTH}:variant=shortcut_gate",
    "shortcut-only gate, b_g=-6": f"resnet{DEPTH}:variant=shortcut_gate,gate_bias=-6",
    "1×1 conv shortcut": f"resnet{DEPTH}:variant=conv1x1",
    "dropout 0.5 on h, no rescale (Table 1: fails)": f"resnet{DEPTH}:variant=dropout",
    "plain (no shortcut)": f"plain{DEPTH}",
}
profiles = {label: signal_at_init(entry, widths=WIDTHS, batch=BATCH, seed=0) for label, entry in entries.items()}

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for label, p in profiles.items():
    style = "k--" if label.startswith("plain") else "-"
    axes[0].semilogy(p.backward_norm, style, label=label)
axes[0].set_xlabel(T("position l (input side → output side)"))
axes[0].set_ylabel(r"$\|\partial E/\partial x_l\|$")
axes[0].set_title(T("Gradient along depth at initialization") + f", ResNet-{DEPTH}")
axes[0].legend(fontsize=7)
labels = list(profiles)
ratios = [profiles[k].gradient_ratio for k in labels]
axes[1].barh(labels, np.log10(ratios), color=["grey" if k.startswith("plain") else "C0" for k in labels])
axes[1].set_xlabel(r"$\log_{10}\,(\|\partial E/\partial x_0\| \,/\, \|\partial E/\partial x_L\|)$")
axes[1].set_title(T("how far the gradient's size drifts over the whole depth"))
axes[1].invert_yaxis()
plt.tight_layout()
plt.show()

drift = {label: float(np.log10(p.gradient_ratio)) for label, p in profiles.items()}  # orders of magnitude
identity = drift["identity (a)"]
multiplicative = {k: drift[k] for k in ("scaling λ=0.5 on h and F (Table 1: 12.35)", "exclusive gate, b_g=0",
                                        "shortcut-only gate, b_g=0", "1×1 conv shortcut", "plain (no shortcut)")}
check(min(multiplicative.values()) > identity + 3,
      "scaling, gating at b_g = 0, the 1×1 conv and the plain net drift 3 or more orders of magnitude further than the identity",
      "the least drifting of them is {least:.1f} orders of magnitude, the identity {identity:.1f}",
      least=min(multiplicative.values()), identity=identity)
check(drift["exclusive gate, b_g=-6"] < drift["exclusive gate, b_g=0"] - 2
      and drift["shortcut-only gate, b_g=-6"] < drift["shortcut-only gate, b_g=0"] - 2,
      "gates started at b_g = -6 drift 2 or more orders of magnitude less than at b_g = 0",
      "exclusive {e0:.1f} → {e6:.1f}, shortcut-only {s0:.1f} → {s6:.1f}",
      e0=drift["exclusive gate, b_g=0"], e6=drift["exclusive gate, b_g=-6"],
      s0=drift["shortcut-only gate, b_g=0"], s6=drift["shortcut-only gate, b_g=-6"])
dropout = drift["dropout 0.5 on h, no rescale (Table 1: fails)"]
check(identity + 1 < dropout < drift["scaling λ=0.5 on h and F (Table 1: 12.35)"] - 1,
      "dropout on the shortcut drifts like a milder constant scaling: between the identity and λ = 0.5",
      "identity {identity:.1f}, dropout {dropout:.1f}, λ = 0.5 {scaling:.1f}",
      identity=identity, dropout=dropout, scaling=drift["scaling λ=0.5 on h and F (Table 1: 12.35)"])
"""),
    md(
        en=r"""
**What it means.** With BN inside the branches the gradient does not literally shrink like
$0.5^{54}$: BN rescales every branch. What changes is *which* path carries it. With the identity
shortcut the first-to-last ratio stays modest; with scaling, gating at $b_g = 0$ or a 1×1 conv it
drifts by orders of magnitude, like the plain net's (dashed): the clean term is gone, and what is left
is a product through many layers. Compare with Table 1 — those are the variants that fail or reach
12–13% error.

Look at the gates initialized with $b_g = -6$: $\sigma(-6) \approx 0.0025$, so $1 - g \approx 1$ and
the shortcut starts *almost an identity*. Their profiles move back towards the identity's: the
shortcut-only gate to within about an order of magnitude of it, the exclusive gate even past it
(flatter than the identity, since its branch is also multiplied by $g \approx 0$ and the net is
nearly its bare shortcut path). Those are exactly Table 1's better gated numbers (shortcut-only gating: 6.91 instead of 12.86). Dropout on the
shortcut, as v2 §3.1 describes it, is a random scale *with expectation 0.5* (PyTorch's `nn.Dropout`
would multiply the kept half by 2 and keep the expectation at 1: `variant=dropout` here is the
paper's, `dropout_rescale=true` the inverted one). So its profile drifts like a milder constant
scaling (110 layers, widths 8/16/32, seeds 0–2: log10 ratio 4.1–4.2, against 1.9 for the identity and
6.2 for λ = 0.5), and on top of that the shortcut is randomly cut at every training step (Table 1:
fails).

Note what Table 1 also shows: the 1×1 conv shortcut *adds* parameters and representational power, yet
is worse (12.22 vs 6.61). v2 concludes these failures are optimization difficulties, not a lack of
representational ability.
""",
        zh=r"""
**这说明了什么？** 由于分支里有 BN，梯度并不会真的按 $0.5^{54}$ 缩小：BN 会把每个分支的尺度重新拉回来。真正改变的是**由哪条通路**来传递梯度。用恒等捷径时，首尾梯度之比保持在较小的范围；而常数缩放、$b_g = 0$ 的门控、1×1 卷积捷径，都让这个比值漂移好几个数量级，和普通网络（虚线）差不多：干净的那一项没了，剩下的只有穿过许多层的连乘。对照表 1——正是这些变体训练失败或误差高达 12–13%。

再看 $b_g = -6$ 初始化的门控：$\sigma(-6) \approx 0.0025$，于是 $1 - g \approx 1$，捷径一开始**几乎就是恒等映射**。它们的曲线向恒等捷径靠拢：仅捷径门控回到与恒等捷径相差约一个数量级的位置；互斥门控甚至越过了它（比恒等捷径还平，因为它的分支同时乘上了 $g \approx 0$，整个网络几乎只剩下捷径这条通路）。这恰好对应表 1 中门控较好的结果（仅捷径门控：6.91，而不是 12.86）。按 v2 §3.1 的描述，捷径 dropout 是一个**期望为 0.5** 的随机缩放（PyTorch 的 `nn.Dropout` 会把保留下来的一半乘以 2，使期望仍为 1：这里的 `variant=dropout` 是论文的版本，`dropout_rescale=true` 是倒置 dropout）。所以它的曲线像一个温和些的常数缩放那样漂移（110 层、宽度 8/16/32、种子 0–2：log10 比值为 4.1–4.2，恒等捷径约 1.9，λ = 0.5 约 6.2）；此外，训练中每一步捷径都会被随机切断（表 1：训练失败）。

表 1 还告诉我们一件事：1×1 卷积捷径**增加**了参数、表示能力更强，结果却更差（12.22 对 6.61）。v2 的结论是：这些失败源于优化困难，而不是表示能力不足。
""",
    ),
    md(
        en=r"""
## 3. Training them: which shortcut fits the training set best?

Initialization is only the start. v2 Fig. 3 plots training curves (training loss and test error)
of the shortcut variants on ResNet-110, and v2 §3.2 sums them up: the gating and 1×1 conv
shortcuts have *higher training error* than the identity. Do a small version of that: four
shortcuts on the same 32-layer net, trained in lockstep on the same batches for a few hundred steps
(the `quick` preset, narrow widths). In full mode this takes several minutes on a laptop CPU (see
lessons/README.md for what we measured); smoke mode trains a tiny net for six steps.
""",
        zh=r"""
## 3. 训练起来：哪种捷径最能拟合训练集？

初始化只是起点。v2 图 3 画出了 ResNet-110 上各种捷径变体的训练曲线（训练损失和测试误差），v2 §3.2 总结说：门控和 1×1 卷积捷径的**训练误差**都比恒等捷径高。这里做一个缩小版：同一个 32 层网络配上四种捷径，在完全相同的批次上同步训练几百步（`quick` 预设，较窄的宽度）。完整模式下，这在笔记本电脑的 CPU 上要几分钟（实测时间见 lessons/README.zh.md）；smoke 模式只把一个极小的网络训练 6 步。
""",
    ),
    code(r"""
from resnet_edu.training.config import preset
from resnet_edu.training.notebook import curves, lesson_data, train

DATASET, data = lesson_data(n_train=pick(full=5_000, smoke=256), n_test=pick(full=1_000, smoke=64))
TRAIN_DEPTH = pick(full=32, smoke=8)
shortcuts = {  # label -> model entry
    "identity": f"resnet{TRAIN_DEPTH}",
    "scaling λ=0.5": f"resnet{TRAIN_DEPTH}:variant=scaling",
    "exclusive gate, b_g=0": f"resnet{TRAIN_DEPTH}:variant=exclusive_gate",
    "1×1 conv shortcut": f"resnet{TRAIN_DEPTH}:variant=conv1x1",
}
run = preset("quick", dataset=DATASET, models=tuple(shortcuts.values()), widths=WIDTHS,
             steps=pick(full=300, smoke=6), milestones=pick(full=(240,), smoke=(4,)),
             batch_size=pick(full=64, smoke=16), log_every=pick(full=10, smoke=2),
             eval_every=pick(full=300, smoke=6), seed=0)
train_error = curves(train(run, data=data), "train_error")

fig, ax = plt.subplots(figsize=(7, 3.5))
for label, entry in shortcuts.items():
    steps, errors = train_error.get(entry, ([], []))
    ax.plot(steps, 100 * np.asarray(errors), label=label)
    if errors:
        say("{label:>22}: training error over the last 5 logs {err:5.1f}% (step {step})",
            label=label, err=100 * np.mean(errors[-5:]), step=steps[-1])
ax.set(xlabel=T("step"), ylabel=T("training error (%)"), title=T("Shortcut variants in training"))
ax.legend(fontsize=8)
plt.show()

final = {label: 100 * np.mean(train_error[entry][1][-5:]) if entry in train_error else float("nan")
         for label, entry in shortcuts.items()}
others = {label: err for label, err in final.items() if label != "identity"}
check(all(final["identity"] < err for err in others.values()),
      "the identity shortcut ends with the lowest training error of the four",
      "identity {identity:.1f}%, the others {others}",
      identity=final["identity"], others=", ".join(f"{err:.1f}%" for err in others.values()))
steps_id, err_id = train_error.get(shortcuts["identity"], ([], []))
ahead = [all(err_id[i] < train_error[e][1][i] for label, e in shortcuts.items()
             if label != "identity" and i < len(train_error.get(e, ([], []))[1]))
         for i in range(len(err_id))]
lead_from = next((steps_id[i] for i in range(len(ahead)) if all(ahead[i:])), None)
if lead_from is None:
    say("the identity is not ahead of all three at the last log")
else:
    say("the identity is ahead of all three at every log from step {step} on", step=lead_from)
check(all(final["identity"] + 2 < err for err in others.values()),
      "each multiplicative shortcut ends at least 2 points of training error behind the identity",
      "identity {identity:.1f}%, the others {others}",
      identity=final["identity"], others=", ".join(f"{err:.1f}%" for err in others.values()))
"""),
    md(
        en=r"""
**What it means.** Read the order of the curves near the end, and the printed numbers. With one
seed and a few hundred steps on a narrow net, expect noise; the question is whether the
multiplicative shortcuts start *behind* the identity. v2's claim (§3.2) is about optimization:
shortcut-only gating and the 1×1 conv shortcut "cover the solution space of identity shortcuts"
(they could learn to be the identity), yet their training error is *higher*, so the problem is
finding the solution, not representing it. A curve that
stops early means that net diverged (the trainer says so above the plot). In full mode on real
CIFAR-10 images (the real subset, seed 0) we saw the identity end at 63% training error and the
three others at 72.5–72.7%, behind it from the first tens of steps on (the cell prints from which
step); the checks under the plot test the order and a 2-point margin, which held for seeds 0–2 (the
smallest gap: 9.6, 4.4 and 2.8 points).
""",
        zh=r"""
**这说明了什么？** 看各条曲线在末尾的先后顺序，以及打印出来的数字。只用一个随机种子、在窄网络上训练几百步，噪声是免不了的；要问的是：乘性的捷径是否一开始就**落后**于恒等捷径。v2 的论点（§3.2）关乎优化：仅捷径门控和 1×1 卷积捷径的解空间"涵盖了恒等捷径的解空间"（它们可以学成恒等映射），可它们的训练误差却**更高**，所以问题出在找到这个解，而不在于能否表示它。如果某条曲线提前中断，说明那个网络发散了（训练器会在图上方打印出来）。我们在完整模式、真实 CIFAR-10 图像上（真实子集，种子 0）看到：恒等捷径最终的训练误差为 63%，另外三种为 72.5–72.7%，从最初几十步起就一直落后（代码会打印从第几步开始）；图下方的核对检验的是这个先后顺序，以及至少 2 个百分点的差距；种子 0–2 都满足（最小差距分别为 9.6、4.4 和 2.8 个百分点）。
""",
    ),
    md(
        en=r"""
## 4. Where BN and ReLU go: the five designs (v2 Fig. 4)

Here is how the package lays out each weight layer for the five designs; the addition and what
follows it ($f$) are in `ResidualUnit.__init__`: ReLU for (a), BN + ReLU for (b), nothing for (c)–(e).
""",
        zh=r"""
## 4. BN 和 ReLU 放在哪里：五种单元设计（v2 图 4）

下面是本项目为五种设计排布每个权重层的代码；相加以及相加之后的操作 $f$ 在 `ResidualUnit.__init__` 里：(a) 是 ReLU，(b) 是 BN + ReLU，(c)–(e) 什么都没有。
""",
    ),
    code(r"""
print(inspect.getsource(variants_module._layer))
for design in DESIGNS:
    unit = ResidualUnit(16, 16, design=design)
    order = " → ".join(type(m).__name__ for m in unit.branch)
    print(f"{design:>16}: x → [{order}] ⊕ x → {type(unit.after_add).__name__}")
"""),
    md(
        en=r"""
Read the designs against Eq. 4–5:

- **(b) BN after addition** puts BN on the shortcut path itself: the signal that should pass
  untouched is renormalized at every unit. Worst in Table 2 (8.17).
- **(c) ReLU before addition** makes $F \ge 0$, so the signal can only grow along depth; a residual
  function should be able to take any sign (v2 §4.1). 7.84.
- **(d), (e) pre-activation**: move the activation *into* the branch, before the convolutions. Then
  $f$ is the identity and the shortcut path is perfectly clean, so Eq. 4–5 hold exactly. With BN
  first (e), every weight layer also sees a normalized input.

Where does "pre-activation" come from? v2 §4.1 (Fig. 5) looks at the activation $f$ after the
addition and notices it acts on *two* paths: the shortcut to the next unit and the next unit's
branch. Make it **asymmetric**: let $f$ act only on the branch of the next unit,
$x_{l+1} = x_l + F(\hat f(x_l), W_l)$, and leave the shortcut alone. Nothing changes inside the
network except that each activation now sits at the *start* of the following branch: an
asymmetric after-addition activation is the same net as a stack of pre-activation units (only
the very first and last units need their own activation). So pre-activation is not a new trick,
it is the original unit with its activation moved off the shortcut.

Measure the five designs the same way as the variants:
""",
        zh=r"""
对照式 4–5 来理解这几种设计：

- **(b) BN 放在相加之后**，等于把 BN 放到了捷径通路上：本该原样通过的信号在每个单元都被重新归一化。表 2 中它最差（8.17）。
- **(c) ReLU 放在相加之前**，使得 $F \ge 0$，信号沿深度只能增大；而残差函数本应既能取正值也能取负值（v2 §4.1）。结果 7.84。
- **(d)、(e) 预激活**：把激活函数移进分支，放到卷积之前。这样 $f$ 就是恒等映射，捷径通路完全干净，式 4–5 严格成立。(e) 把 BN 放在最前面，每个权重层的输入也都是归一化过的。

"预激活"是怎么来的？v2 §4.1（图 5）注意到，相加之后的激活 $f$ 同时作用在**两条**通路上：通往下一个单元的捷径，以及下一个单元的分支。让它变成**非对称**的：$f$ 只作用于下一个单元的分支，$x_{l+1} = x_l + F(\hat f(x_l), W_l)$，捷径则不受影响。网络内部别的都不变，只是每个激活函数现在位于下一个分支的**开头**：非对称的相加后激活，与一摞预激活单元是同一个网络（只有第一个和最后一个单元需要单独处理激活）。所以预激活并不是一个新花招，而是把原始单元的激活从捷径上挪开。

用同样的方法测量这五种设计：
""",
    ),
    code(r"""
design_profiles = {d: signal_at_init(f"resnet{DEPTH}:design={d}", widths=WIDTHS, batch=BATCH, seed=0)
                   for d in DESIGNS}
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for d, p in design_profiles.items():
    axes[0].semilogy(p.forward_norm, label=d)
    axes[1].semilogy(p.backward_norm, label=d)
axes[0].set_title(T(r"forward: $\|x_l\|$ along depth"))
axes[1].set_title(T(r"backward: $\|\partial E/\partial x_l\|$ along depth"))
for ax in axes:
    ax.set_xlabel(T("position l"))
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
growth = {d: p.forward_norm[-1] / p.forward_norm[0] for d, p in design_profiles.items()}
for d, p in design_profiles.items():
    say("{design:>16}: gradient ratio first/last = {ratio:10.3g}   ‖x_L‖/‖x_0‖ = {growth:6.2f}",
        design=d, ratio=p.gradient_ratio, growth=growth[d])

drift = {d: float(np.log10(p.gradient_ratio)) for d, p in design_profiles.items()}
rest = [drift[d] for d in DESIGNS if d != "bn_after_add"]
check(drift["bn_after_add"] > max(rest) + 1,
      "BN after addition (b) drifts at least an order of magnitude more than every other design",
      "(b) {b:.1f}, the others up to {rest:.1f} orders of magnitude", b=drift["bn_after_add"], rest=max(rest))
f_c = np.asarray(design_profiles["relu_before_add"].forward_norm)
per_stage = (len(f_c) - 1) // 3  # units per stage; positions 0..L
stage_edges = {per_stage, 2 * per_stage}  # the steps from l to l + 1 made by a downsampling unit
drops = [l for l in np.flatnonzero(np.diff(f_c) < 0) if l not in stage_edges]
check(not drops and growth["relu_before_add"] > 2 * max(g for d, g in growth.items() if d != "relu_before_add"),
      "with ReLU before addition (c), ‖x_l‖ never falls within a stage and grows at least twice as much as in any other design",
      "falls within a stage at l = {drops}; ‖x_L‖/‖x_0‖ {c:.1f} against up to {rest:.1f}",
      drops=[int(l) for l in drops], c=growth["relu_before_add"],
      rest=max(g for d, g in growth.items() if d != "relu_before_add"))
alike = [drift[d] for d in ("original", "relu_preact", "full_preact")]
check(max(alike) - min(alike) < 0.5,
      "the original (a) and the pre-activation designs (d), (e) look alike: their drifts differ by less than half an order of magnitude",
      "their drifts: {drifts}", drifts=", ".join(f"{v:.2f}" for v in alike))
"""),
    md(
        en=r"""
**What it means.** BN after addition (b) stands out in the backward plot: normalizing the shortcut
path breaks the clean term, and its profile drifts far more than the others. ReLU before addition
(c) shows up in the *forward* plot: every unit adds a non-negative $F$, so within each stage
$\|x_l\|$ only grows (it drops only at the two stage transitions, where the shortcut subsamples the
map to a quarter of its positions), and it ends about 10× its input, against about 4× for the other
designs (110 layers, widths 8/16/32, seeds 0–2: 10.1 against 0.6–4.1). At initialization the
original and ReLU-only pre-activation units grow within each stage too, only more slowly; what sets
(c) apart is that its $F$ *cannot* be negative, whatever training does (v2 §4.1). The
original (a) and the pre-activation designs (d), (e) look alike at initialization at this depth; the
differences v2 reports for them come from *training*: v2 §4.2 credits full pre-activation with
easier optimization (most visible at 1001 layers, where the original's ReLU after the addition
truncates the signal) and with reduced overfitting (BN normalizes the input of every weight layer).

## 5. A thousand layers (v2 §4.2, Table 3)

`preact_resnet1001` is v2's ResNet-1001: bottleneck units (1×1, 3×3, 1×1; 3 layers each), 9n + 2 = 1001
with n = 111, full pre-activation. Count its units and parameters:
""",
        zh=r"""
**这说明了什么？** 在反向曲线里，(b) BN 放在相加之后最为突出：对捷径通路做归一化破坏了干净的那一项，它的曲线漂移得远比其他设计厉害。(c) ReLU 放在相加之前则体现在**前向**曲线上：每个单元加上的 $F$ 都非负，所以在每个阶段内部 $\|x_l\|$ 只增不减（只有在两个阶段交界处才会下降，因为那里的捷径把特征图隔点采样成原来四分之一的位置），最后变成输入的约 10 倍，而其他设计约为 4 倍（110 层、宽度 8/16/32、种子 0–2：10.1，其他为 0.6–4.1）。初始化时，原始单元和仅 ReLU 预激活单元在阶段内部也在增长，只是慢一些；(c) 的不同之处在于，无论怎么训练，它的 $F$ 都**不可能**取负值（v2 §4.1）。在这个深度、初始化时，(a) 原始设计与 (d)、(e) 预激活设计看起来差不多；v2 报告的它们之间的差距来自**训练**：v2 §4.2 认为完全预激活一方面让优化更容易（在 1001 层时最明显，原始设计相加之后的 ReLU 会截断信号），另一方面减轻了过拟合（BN 对每个权重层的输入做了归一化）。

## 5. 一千层（v2 §4.2，表 3）

`preact_resnet1001` 就是 v2 的 ResNet-1001：瓶颈块（1×1、3×3、1×1，每个 3 层），9n + 2 = 1001，n = 111，完全预激活。数一数它的单元和参数：
""",
    ),
    code(r"""
net1001 = build_model("preact_resnet1001")
units = list_units(net1001)
say("ResNet-1001: {units} units, {params:,} parameters", units=len(units), params=count_params(net1001))
say("first unit: {block}, {c_in} → {c_out} channels", block=units[0].block, c_in=units[0].in_channels,
    c_out=units[0].out_channels)
check(len(units) == 333 and count_params(net1001) == 10_327_706,
      "ResNet-1001 has 333 units and 10,327,706 parameters (the authors' code; v2 rounds to 10.2M)",
      "{units} units, {params:,} parameters", units=len(units), params=count_params(net1001))
"""),
    md(
        en=r"""
About 10.3M parameters in 333 units — a thousand layers fit in the memory of a laptop, because a
bottleneck unit's 3×3 conv works on a 4× narrower map.

Now the two 1001-layer nets at initialization, original unit vs full pre-activation (the forward and
backward pass of a 1001-layer net take a few seconds on a CPU; smoke mode uses a 29-layer one):
""",
        zh=r"""
333 个单元，约 10.3M 参数——一千层的网络在笔记本电脑的内存里也放得下，因为瓶颈块中的 3×3 卷积只作用在窄了 4 倍的特征图上。

再看初始化时的两个 1001 层网络：原始单元与完全预激活对比（1001 层网络的一次前向和反向传播在 CPU 上要几秒钟；运行测试用的 smoke 模式下改用 29 层的网络）：
""",
    ),
    code(r"""
DEEP = pick(full=1001, smoke=29)  # 9n + 2 with bottleneck units
bottleneck = f"resnet{DEEP}:block=bottleneck,shortcut=B"  # = preact_resnet{DEEP} once design=full_preact
deep = {label: signal_at_init(entry, widths=pick(full=(16, 32, 64), smoke=WIDTHS), batch=pick(full=8, smoke=4), seed=0)
        for label, entry in (("original (a)", bottleneck),
                             ("full pre-activation (e)", bottleneck + ",design=full_preact"))}
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, p in deep.items():
    ax.semilogy(p.backward_norm, label=f"{label}: ratio {p.gradient_ratio:.3g}")
ax.set_xlabel(T("position l"))
ax.set_ylabel(r"$\|\partial E/\partial x_l\|$")
ax.set_title(f"ResNet-{DEEP}, " + T("at initialization"))
ax.legend()
plt.show()
for label, p in deep.items():
    say("{label:>24}: first-to-last gradient ratio {ratio:.3g}", label=label, ratio=p.gradient_ratio)
ratio = deep["original (a)"].gradient_ratio / deep["full pre-activation (e)"].gradient_ratio
check(ratio > 10, "the original unit's first-to-last gradient ratio is at least 10× full pre-activation's",
      "{ratio:.2g}×", ratio=ratio)
"""),
    md(
        en=r"""
**What it means.** Over 333 units both profiles drift (BN in training mode makes the gradient grow
towards the input in any deep net at initialization), but the original unit's drifts more: with the
paper's widths at 1001 layers we measured a first-to-last ratio about 20× larger than full
pre-activation's (3.6×10⁷ against 1.7×10⁶, printed below the plot; seeds 0–2: 19–21×). The original unit's ReLU after every addition sits on the main path, 333 times; the
pre-activation path has nothing on it. v2 Table 3's 7.61 → 4.92 is the trained result of that difference.

## 6. Beyond CIFAR-10: v2's other results

v2 also reports ImageNet (v2 Table 5: top-1 error on the validation set, one 320×320 crop per
image at test time), next to the CIFAR-10 results above (% error):

| net | CIFAR-10 | ImageNet top-1 |
|---|---|---|
| ResNet-164, original unit | 5.93 | |
| ResNet-164, full pre-activation | 5.46 | |
| ResNet-1001, original unit | 7.61 | |
| ResNet-1001, full pre-activation | **4.92** | |
| ResNet-152, original unit | | 21.3 |
| ResNet-200, original unit | | 21.8 |
| ResNet-200, full pre-activation | | **20.7** |

The gain grows with depth: small at 164 layers, large at 1001 on CIFAR-10, and on ImageNet the
original ResNet-200 is *worse* than the original ResNet-152, while with pre-activation the deeper
net is the better one again. v2 Table 4 repeats the CIFAR comparison on CIFAR-100; this lesson
quotes only the figures it could check against a copy of the paper's tables, so look those up in
the paper itself.

## Summary

- v2 Table 1: every multiplicative change to the shortcut — scaling, gating, 1×1 conv, dropout — is
  worse than the identity (6.61). The product $\prod\lambda_i$ replaces Eq. 5's "1".
- Gates that start near the identity ($b_g = -6$) are the gates that work best — the identity is
  what they do well.
- In training (v2 Fig. 3, §3.2), gating and 1×1 conv shortcuts reach *higher training error* than
  the identity although they can represent it: an optimization problem.
- Pre-activation is the original unit with its after-addition activation made asymmetric, acting
  only on the next branch (v2 Fig. 5).
- v2 Table 2: full pre-activation (BN → ReLU → conv inside the branch, nothing after the addition)
  is best: 6.37 / 5.46 on ResNet-110 / 164. BN after the addition is worst; ReLU before the addition
  makes $F \ge 0$.
- v2 Table 3: ResNet-1001 (10.3M parameters here) reaches 4.92% with full pre-activation (4.62 at
  batch 64), against 7.61 with the original unit.
- Measurements at initialization show *why* the shortcut must stay clean; the error rates come from
  training, which is where v1's degradation was seen — in training error — in the first place.
""",
        zh=r"""
**这说明了什么？** 经过 333 个单元，两条曲线都有漂移（初始化时，训练模式下的 BN 会让任何深层网络的梯度朝输入端变大），但原始单元漂移得更厉害：我们用论文的宽度测量 1001 层网络，它的首尾梯度比值约为完全预激活的 20 倍（3.6×10⁷ 对 1.7×10⁶，打印在图下方；种子 0–2：19–21 倍）。原始单元每次相加之后的 ReLU 都位于主通路上，一共 333 次；预激活的主通路上则什么都没有。v2 表 3 中 7.61 → 4.92 的差距，正是这一区别经过训练之后的结果。

## 6. CIFAR-10 之外：v2 的其他结果

v2 还报告了 ImageNet 上的结果（v2 表 5：验证集上的 top-1 错误率，测试时每张图像取一个 320×320 的裁剪），这里和上面的 CIFAR-10 结果放在一起（错误率 %）：

| 网络 | CIFAR-10 | ImageNet top-1 |
|---|---|---|
| ResNet-164，原始单元 | 5.93 | |
| ResNet-164，完全预激活 | 5.46 | |
| ResNet-1001，原始单元 | 7.61 | |
| ResNet-1001，完全预激活 | **4.92** | |
| ResNet-152，原始单元 | | 21.3 |
| ResNet-200，原始单元 | | 21.8 |
| ResNet-200，完全预激活 | | **20.7** |

网络越深，收益越大：在 CIFAR-10 上，164 层时收益很小，1001 层时很大；在 ImageNet 上，原始单元的 ResNet-200 甚至**不如**原始单元的 ResNet-152，换成预激活之后，更深的网络又重新更好了。v2 表 4 在 CIFAR-100 上重复了这组比较；本课只引用能对照论文表格副本核实过的数字，那些数字请直接查阅论文。

## 小结

- v2 表 1：任何对捷径的乘性改动——缩放、门控、1×1 卷积、dropout——都比恒等映射（6.61）差。连乘积 $\prod\lambda_i$ 取代了式 5 中的"1"。
- 初始化时接近恒等映射（$b_g = -6$）的门控，恰恰是效果最好的门控——它们擅长的正是恒等映射。
- 训练中（v2 图 3、§3.2），门控捷径和 1×1 卷积捷径虽然能表示恒等映射，**训练误差**却比恒等捷径高：这是优化问题。
- 预激活就是把原始单元相加之后的激活改成非对称的、只作用于下一个分支（v2 图 5）。
- v2 表 2：完全预激活（分支内 BN → ReLU → 卷积，相加之后什么也不做）最好：ResNet-110 / 164 上为 6.37 / 5.46。BN 放在相加之后最差；ReLU 放在相加之前使 $F \ge 0$。
- v2 表 3：ResNet-1001（这里为 10.3M 参数）用完全预激活达到 4.92%（批大小 64 时为 4.62%），原始单元为 7.61%。
- 初始化时的测量说明了捷径**为什么**必须保持干净；而误差数字来自训练——v1 最初也正是在训练误差上看到退化问题的。
""",
    ),
    md(
        en=r"""
## Exercises

1. Constant scaling has two rows in Table 1: $F$ unscaled (fails) and $F$ scaled by $1-\lambda$ (12.35).
   Measure both (`variant=scaling` with `scale_branch=true` / `false`). Then try $\lambda = 0.9$ and
   $\lambda = 1.1$ (`scale=0.9`). What does $\lambda^{54}$ predict, and what do you see?
2. Sweep the exclusive gate's bias: $b_g \in \{0, -2, -4, -6, -8\}$. Plot the gradient ratio against $b_g$.
   Why can a very negative $b_g$ (Table 1: 9.81) again be worse than −6 (8.70)?
   Hint: what does $g \approx 0$ do to the *branch*?
3. Train the five designs in lockstep for a few hundred steps
   (`preset("quick", models=tuple(f"resnet56:design={d}" for d in DESIGNS), ...)` with `train`, as in
   section 3; about 3× the compute of section 3's run, so well over ten minutes on a laptop CPU)
   and plot their training error. Expect noise: Table 2's gaps come from full training runs (64k iterations in v1 §4.2's schedule), not minutes.
4. Why must a *plain* net's first units of stages 2 and 3 stay when you remove everything else, while a
   residual net can route around any unit? (You will use this in lesson 07.)
""",
        zh=r"""
## 练习

1. 常数缩放在表 1 里有两行：$F$ 不缩放（训练失败）和 $F$ 乘以 $1-\lambda$（12.35）。分别测量这两种情形（`variant=scaling` 配合 `scale_branch=true` / `false`）。再试试 $\lambda = 0.9$ 和 $\lambda = 1.1$（`scale=0.9`）。$\lambda^{54}$ 预测的是什么？你看到的又是什么？
2. 扫描互斥门控的偏置：$b_g \in \{0, -2, -4, -6, -8\}$，画出梯度比值随 $b_g$ 的变化。为什么 $b_g$ 过于负（表 1：9.81）反而又不如 −6（8.70）？提示：$g \approx 0$ 对**分支**意味着什么？
3. 把五种设计放在一起同步训练几百步（像第 3 节那样用 `train` 运行 `preset("quick", models=tuple(f"resnet56:design={d}" for d in DESIGNS), ...)`；计算量约为第 3 节的 3 倍，在笔记本电脑的 CPU 上要十几分钟以上），画出它们的训练误差。预期会有噪声：表 2 的差距来自完整的训练（按 v1 §4.2 的方案要 64k 次迭代），而不是几分钟。
4. 为什么**普通网络**中第 2、3 阶段的第一个单元无论如何都不能去掉，而残差网络可以绕过任意一个单元？（第 07 课会用到。）
""",
    ),
    hint(
        en=r"""
1. `signal_at_init(f"resnet{DEPTH}:variant=scaling,scale_branch=false", widths=WIDTHS, batch=BATCH)`; for λ add
   `,scale=0.9`. $0.9^{54} \approx 0.003$, $1.1^{54} \approx 170$: the clean path is damped or amplified, by
   2–3 orders of magnitude. BN in the branches hides most of it at initialization, but with $F$ unscaled
   the drift still grows with $|\log\lambda|$ (110 layers, widths 8/16/32, seeds 0–2: log10 ratio about 3.3
   for λ = 0.9, 2.8 for 1.1, 6.5 for 0.5, against 1.9 for the identity). With $F$ scaled by $1-\lambda$
   (`scale_branch=true`) λ = 0.9 leaves only $0.1\,F$ in each branch, and the profile is *flatter* than
   the identity's (about 1.5). The cell after this one checks the answer.
2. `[signal_at_init(f"resnet{DEPTH}:variant=exclusive_gate,gate_bias={b}", widths=WIDTHS, batch=BATCH).gradient_ratio for b in (0, -2, -4, -6, -8)]`.
   The drift collapses between $b_g = -2$ and $-4$: 5–8 orders of magnitude at 0 and −2, less than one
   from −4 on (the profile is then even flatter than the identity's). In exclusive gating the branch is
   multiplied by $g$: with $g \approx 0$ the shortcut is clean but the residual functions are switched off
   and learn slowly — the net starts as a shallow one, which initialization cannot show and Table 1's 9.81
   at $b_g = -7$ does.
3. `events = train(preset("quick", models=..., dataset=..., widths=(8, 16, 32)))`, then
   `curves(events, "train_error")`; plot one line per design. Use several seeds before concluding.
4. Those units downsample (stride 2) and change the width: a plain net has no other way from a 32×32×16
   map to a 16×16×32 one. A residual unit always keeps its shortcut $h(x)$, so deleting its branch
   leaves a path.
""",
        zh=r"""
1. `signal_at_init(f"resnet{DEPTH}:variant=scaling,scale_branch=false", widths=WIDTHS, batch=BATCH)`；改 λ 就加上 `,scale=0.9`。$0.9^{54} \approx 0.003$，$1.1^{54} \approx 170$：干净通路分别被衰减或放大 2–3 个数量级。初始化时分支里的 BN 掩盖了其中大部分，但在 $F$ 不缩放时，漂移程度仍随 $|\log\lambda|$ 增大（110 层、宽度 8/16/32、种子 0–2：log10 比值在 λ = 0.9 时约 3.3，1.1 时约 2.8，0.5 时约 6.5，恒等捷径约 1.9）。若 $F$ 也乘以 $1-\lambda$（`scale_branch=true`），λ = 0.9 时每个分支只剩 $0.1\,F$，曲线反而比恒等捷径还**平**（约 1.5）。下一个代码单元会核对这个答案。
2. `[signal_at_init(f"resnet{DEPTH}:variant=exclusive_gate,gate_bias={b}", widths=WIDTHS, batch=BATCH).gradient_ratio for b in (0, -2, -4, -6, -8)]`。漂移在 $b_g = -2$ 与 $-4$ 之间骤然消失：$b_g$ 为 0 和 −2 时有 5–8 个数量级，从 −4 起不到一个数量级（曲线甚至比恒等捷径还平）。互斥门控里分支要乘以 $g$：$g \approx 0$ 时捷径虽然干净，但残差函数几乎被关掉，学得很慢——网络一开始相当于一个浅层网络。这一点初始化时看不出来，表 1 中 $b_g = -7$ 的 9.81 才显示出来。
3. `events = train(preset("quick", models=..., dataset=..., widths=(8, 16, 32)))`，再用 `curves(events, "train_error")`，每种设计画一条线。下结论之前要多换几个随机种子。
4. 这些单元负责下采样（步幅 2）并改变宽度：普通网络没有别的办法把 32×32×16 的特征图变成 16×16×32。残差单元始终保留捷径 $h(x)$，删掉它的分支之后仍有通路。
""",
    ),
    code(r"""
# Checking the answers to exercises 1 and 2 with the solutions' own code (seconds).
unscaled = {lam: float(np.log10(signal_at_init(f"resnet{DEPTH}:variant=scaling,scale_branch=false,scale={lam}",
                                                widths=WIDTHS, batch=BATCH).gradient_ratio)) for lam in (0.5, 0.9, 1.1)}
flat = float(np.log10(profiles["identity (a)"].gradient_ratio))
check(unscaled[0.5] > max(unscaled[0.9], unscaled[1.1]) and min(unscaled[0.9], unscaled[1.1]) > flat
      and unscaled[0.5] - flat < 54 * np.log10(2),
      "with F unscaled the drift grows with |log λ| (0.5 most, then 0.9 and 1.1, the identity least), far less than λ^54 says",
      "λ = 0.5: {a:.1f}, 0.9: {b:.1f}, 1.1: {c:.1f}, identity {flat:.1f} orders of magnitude",
      a=unscaled[0.5], b=unscaled[0.9], c=unscaled[1.1], flat=flat)
gate_drift = {b: float(np.log10(signal_at_init(f"resnet{DEPTH}:variant=exclusive_gate,gate_bias={b}",
                                               widths=WIDTHS, batch=BATCH).gradient_ratio)) for b in (0, -2, -4, -6, -8)}
check(min(gate_drift[0], gate_drift[-2]) > 4 and all(abs(gate_drift[b]) < 1 for b in (-4, -6, -8)),
      "the exclusive gate drifts more than 4 orders of magnitude at b_g = 0 and -2, less than one from b_g = -4 on",
      "{drifts}", drifts=", ".join(f"b_g = {b}: {v:.1f}" for b, v in gate_drift.items()))
"""),
]

LABELS_ZH = {
    "position l (input side → output side)": "位置 l（输入端 → 输出端）",
    "Gradient along depth at initialization": "初始化时梯度沿深度的分布",
    "how far the gradient's size drifts over the whole depth": "梯度大小在整个深度上漂移了多少",
    "step": "步",
    "training error (%)": "训练误差 (%)",
    "Shortcut variants in training": "训练中的各种捷径变体",
    r"forward: $\|x_l\|$ along depth": r"前向：$\|x_l\|$ 沿深度的变化",
    r"backward: $\|\partial E/\partial x_l\|$ along depth": r"反向：$\|\partial E/\partial x_l\|$ 沿深度的变化",
    "position l": "位置 l",
    "at initialization": "初始化时",
}

TEXTS_ZH = {
    "unit designs (v2 Fig. 4): {designs}": "单元设计（v2 图 4）：{designs}",
    "shortcut variants (v2 Fig. 2): {variants}": "捷径变体（v2 图 2）：{variants}",
    "ResNet-{depth}: {n} units; the clean path's factor with λ = 0.5 is 0.5^{n} = {factor:.2e}":
        "ResNet-{depth}：{n} 个单元；λ = 0.5 时干净通路上的系数为 0.5^{n} = {factor:.2e}",
    "scaling, gating at b_g = 0, the 1×1 conv and the plain net drift 3 or more orders of magnitude further than the identity":
        "常数缩放、b_g = 0 的门控、1×1 卷积捷径和普通网络的漂移，都比恒等捷径多 3 个数量级以上",
    "the least drifting of them is {least:.1f} orders of magnitude, the identity {identity:.1f}":
        "其中漂移最小的是 {least:.1f} 个数量级，恒等捷径为 {identity:.1f}",
    "gates started at b_g = -6 drift 2 or more orders of magnitude less than at b_g = 0":
        "从 b_g = -6 开始的门控，漂移比 b_g = 0 时少 2 个数量级以上",
    "exclusive {e0:.1f} → {e6:.1f}, shortcut-only {s0:.1f} → {s6:.1f}":
        "互斥门控 {e0:.1f} → {e6:.1f}，仅捷径门控 {s0:.1f} → {s6:.1f}",
    "dropout on the shortcut drifts like a milder constant scaling: between the identity and λ = 0.5":
        "捷径 dropout 的漂移像一个温和些的常数缩放：介于恒等捷径和 λ = 0.5 之间",
    "identity {identity:.1f}, dropout {dropout:.1f}, λ = 0.5 {scaling:.1f}":
        "恒等捷径 {identity:.1f}，dropout {dropout:.1f}，λ = 0.5 为 {scaling:.1f}",
    "{label:>22}: training error over the last 5 logs {err:5.1f}% (step {step})":
        "{label:>22}：最后 5 次记录的平均训练误差 {err:5.1f}%（第 {step} 步）",
    "the identity shortcut ends with the lowest training error of the four":
        "四种捷径中，恒等捷径最终的训练误差最低",
    "identity {identity:.1f}%, the others {others}": "恒等捷径 {identity:.1f}%，其余 {others}",
    "each multiplicative shortcut ends at least 2 points of training error behind the identity":
        "每一种乘性捷径最终的训练误差都比恒等捷径高至少 2 个百分点",
    "{design:>16}: gradient ratio first/last = {ratio:10.3g}   ‖x_L‖/‖x_0‖ = {growth:6.2f}":
        "{design:>16}：首尾梯度之比 = {ratio:10.3g}   ‖x_L‖/‖x_0‖ = {growth:6.2f}",
    "BN after addition (b) drifts at least an order of magnitude more than every other design":
        "(b) BN 放在相加之后，漂移比其他每种设计都多至少一个数量级",
    "(b) {b:.1f}, the others up to {rest:.1f} orders of magnitude": "(b) 为 {b:.1f}，其他设计最多 {rest:.1f} 个数量级",
    "with ReLU before addition (c), ‖x_l‖ never falls within a stage and grows at least twice as much as in any other design":
        "(c) ReLU 放在相加之前时，‖x_l‖ 在阶段内部从不下降，增长幅度至少是其他任何设计的两倍",
    "falls within a stage at l = {drops}; ‖x_L‖/‖x_0‖ {c:.1f} against up to {rest:.1f}":
        "在阶段内部 l = {drops} 处下降；‖x_L‖/‖x_0‖ 为 {c:.1f}，其他最多 {rest:.1f}",
    "the original (a) and the pre-activation designs (d), (e) look alike: their drifts differ by less than half an order of magnitude":
        "原始设计 (a) 与预激活设计 (d)、(e) 看起来差不多：漂移相差不到半个数量级",
    "their drifts: {drifts}": "它们的漂移：{drifts}",
    "ResNet-1001: {units} units, {params:,} parameters": "ResNet-1001：{units} 个单元，{params:,} 个参数",
    "first unit: {block}, {c_in} → {c_out} channels": "第一个单元：{block}，{c_in} → {c_out} 个通道",
    "ResNet-1001 has 333 units and 10,327,706 parameters (the authors' code; v2 rounds to 10.2M)":
        "ResNet-1001 有 333 个单元、10,327,706 个参数（与作者代码一致；v2 记作 10.2M）",
    "{units} units, {params:,} parameters": "{units} 个单元，{params:,} 个参数",
    "the original unit's first-to-last gradient ratio is at least 10× full pre-activation's":
        "原始单元的首尾梯度之比至少是完全预激活的 10 倍",
    "{ratio:.2g}×": "{ratio:.2g} 倍",
    "with F unscaled the drift grows with |log λ| (0.5 most, then 0.9 and 1.1, the identity least), far less than λ^54 says":
        "F 不缩放时，漂移随 |log λ| 增大（0.5 最大，其次是 0.9 和 1.1，恒等捷径最小），但远小于 λ^54 的预测",
    "λ = 0.5: {a:.1f}, 0.9: {b:.1f}, 1.1: {c:.1f}, identity {flat:.1f} orders of magnitude":
        "λ = 0.5：{a:.1f}，0.9：{b:.1f}，1.1：{c:.1f}，恒等捷径 {flat:.1f} 个数量级",
    "the exclusive gate drifts more than 4 orders of magnitude at b_g = 0 and -2, less than one from b_g = -4 on":
        "互斥门控在 b_g = 0 和 -2 时漂移超过 4 个数量级，从 b_g = -4 起不到一个数量级",
    "{drifts}": "{drifts}",
    "{label:>24}: first-to-last gradient ratio {ratio:.3g}": "{label:>24}：首尾梯度之比 {ratio:.3g}",
    "the identity is not ahead of all three at the last log": "最后一次记录时，恒等捷径并没有领先于另外三种",
    "the identity is ahead of all three at every log from step {step} on": "从第 {step} 步起，每次记录时恒等捷径都领先于另外三种",
}
