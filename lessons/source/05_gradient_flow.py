"""Lesson 05: gradient flow and signal propagation, derived (v2 Eqs. 4-5) and measured."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 05 · Gradient flow and signal propagation

**The question.** Why does an identity shortcut make a deep net easier to train? The papers give
two answers, and this lesson keeps them apart:

- **v1 §4.1** is careful: its *plain* nets have batch normalization (BN), and the authors checked
  that "forward propagated signals have non-zero variances" and "backward propagated gradients
  exhibit healthy norms". So the degradation problem of deeper plain nets — *higher training
  error* — is **not** caused by vanishing gradients; v1 reads it as an optimization difficulty.
- **v2 §2** (He et al. 2016, "Identity Mappings") then derives what an identity shortcut does to
  the backward signal: Eq. 5, $\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\big(1 + \frac{\partial}{\partial x_l}\sum_i F\big)$.
  The "1" is a path that no weight layer can shrink.

We derive Eq. 4–5, then *measure* per-unit gradient norms along depth, plain against residual, at
initialization and during training, and the layer response std along depth as in v1 Fig. 7.
""",
        zh=r"""
# 05 · 梯度流与信号传播

**问题：** 为什么恒等的捷径连接能让深层网络更容易训练？两篇论文给出了两个层面的回答，本课要把它们分清楚：

- **v1 §4.1** 说得很谨慎：论文里的*普通网络*每层都有批归一化（BN），作者专门检查过——前向传播的信号方差不为零，反向传播的梯度范数也"健康"。所以更深的普通网络出现的退化问题（*训练误差*反而更高）**并不是**梯度消失造成的，v1 把它解释为一种优化困难。
- **v2 §2**（He 等 2016，《Identity Mappings》）进一步推导了恒等捷径对反向信号的作用，即式 5：$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\big(1 + \frac{\partial}{\partial x_l}\sum_i F\big)$。式中的"1"是一条任何权重层都无法把它缩小的通路。

本课先推导式 4–5，再动手*测量*：普通网络与残差网络在初始化时和训练过程中，沿深度逐个单元的梯度范数；以及仿照 v1 图 7，各层响应的标准差沿深度的变化。
""",
    ),
    code(r"""
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from resnet_edu.training.config import preset
from resnet_edu.data import dataset_mean_std, normalize
from resnet_edu.models import build_model
from resnet_edu.models.blocks import BasicBlock
from resnet_edu.training.notebook import find_data_dir, lesson_data, pick, train
from resnet_edu.training.probes import Probe

# CIFAR-10 when it is in data/ (not in smoke mode), else the synthetic set; tiny in smoke mode.
DATASET, data = lesson_data(n_train=pick(full=10_000, smoke=128), n_test=pick(full=2_000, smoke=64))
WIDTHS = pick(full=(8, 16, 32), smoke=(4, 8, 8))  # channels per stage (the paper: 16, 32, 64)
DEPTH = pick(full=56, smoke=20)  # 6n + 2
PLAIN, RESNET = f"plain{DEPTH}", f"resnet{DEPTH}"
print(f"{PLAIN} vs {RESNET}, widths {WIDTHS}")
"""),
    md(
        en=r"""
## 1. The derivation (v2 §2, Eqs. 1–5)

A residual unit computes $y_l = h(x_l) + F(x_l, W_l)$ and $x_{l+1} = f(y_l)$ (v2 Eq. 1–2).
Here is the package's v1 block; its last line is exactly that, with $h(x) = x$ and $f = \mathrm{ReLU}$:
""",
        zh=r"""
## 1. 推导（v2 §2，式 1–5）

一个残差单元计算 $y_l = h(x_l) + F(x_l, W_l)$，再令 $x_{l+1} = f(y_l)$（v2 式 1–2）。下面是本项目里 v1 的残差块，它的最后一行正是这个式子，其中 $h(x) = x$，$f = \mathrm{ReLU}$：
""",
    ),
    code(r"""
print(inspect.getsource(BasicBlock.forward))
"""),
    md(
        en=r"""
v2 asks: what if *both* $h$ and $f$ are identities? Then $x_{l+1} = x_l + F(x_l, W_l)$ (Eq. 3),
and applying it recursively from any shallower unit $l$ to any deeper unit $L$:

$$x_L = x_l + \sum_{i=l}^{L-1} F(x_i, W_i) \qquad \text{(v2 Eq. 4)}$$

The deep feature is the shallow one *plus* a sum of residual functions — not a *product* of
matrices, as in a plain net, where $x_L = \prod_i W_i \, x_l$ (ignoring BN and ReLU).
Differentiate the loss $E$ with the chain rule:

$$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\frac{\partial x_L}{\partial x_l}
= \frac{\partial E}{\partial x_L}\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1} F(x_i, W_i)\Big) \qquad \text{(v2 Eq. 5)}$$

Two terms: $\frac{\partial E}{\partial x_L}$ travels to unit $l$ **directly**, through no weight
layer at all; the second term goes through the residual branches. v2 §2: the gradient "is unlikely
to be canceled out for a mini-batch, because in general the term $\frac{\partial}{\partial x_l}\sum F$
cannot be always −1 for all samples". In a plain net every path goes through every layer, so the
gradient at unit $l$ is a product of $L - l$ Jacobians, and its size depends on all of them.

Two cautions before we measure:

- v1's units have $f = \mathrm{ReLU}$ after the addition, so Eq. 4–5 hold only approximately for
  them; v2's *full pre-activation* unit (lesson 06) makes them exact.
- Eq. 5 says the gradient *cannot vanish through the shortcut*. It does not say a BN plain net
  *has* vanishing gradients: v1 §4.1 says it does not. What differs is the *shape* of the
  gradient along depth. Let us look.
""",
        zh=r"""
v2 追问：如果 $h$ 和 $f$ *都*是恒等映射会怎样？那么 $x_{l+1} = x_l + F(x_l, W_l)$（式 3），从任意较浅的单元 $l$ 递推到任意较深的单元 $L$：

$$x_L = x_l + \sum_{i=l}^{L-1} F(x_i, W_i) \qquad \text{（v2 式 4）}$$

深层特征等于浅层特征*加上*一串残差函数之和。对比普通网络：忽略 BN 和 ReLU 时，$x_L = \prod_i W_i \, x_l$，是一串矩阵的*连乘*。对损失 $E$ 用链式法则求导：

$$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\frac{\partial x_L}{\partial x_l}
= \frac{\partial E}{\partial x_L}\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1} F(x_i, W_i)\Big) \qquad \text{（v2 式 5）}$$

括号里有两项：第一项让 $\frac{\partial E}{\partial x_L}$ **直接**传回第 $l$ 个单元，中间不经过任何权重层；第二项经过各个残差分支。v2 §2 的原话是：对一个小批量而言，$\frac{\partial}{\partial x_l}\sum F$ 一般不可能对所有样本都恰好等于 −1，所以梯度不太可能被抵消掉。而在普通网络里，每一条通路都要穿过每一层，第 $l$ 个单元收到的梯度是 $L - l$ 个雅可比矩阵的乘积，它的大小取决于其中每一个。

动手测量之前，先记住两点：

- v1 的单元在相加之后还有 $f = \mathrm{ReLU}$，所以式 4–5 对它只是近似成立；v2 的*完全预激活*单元（第 06 课）才让它严格成立。
- 式 5 说的是：梯度*沿捷径传回时不会消失*。它并没有说带 BN 的普通网络*存在*梯度消失——v1 §4.1 恰恰说不存在。两者真正的区别在于梯度沿深度分布的*形状*。下面来看数据。
""",
    ),
    md(
        en=r"""
## 2. The probe

`resnet_edu.Probe` hooks every unit and every weight layer of a model. Per unit it records
$\|\partial E/\partial x_{l+1}\|$, the gradient arriving at the unit's output on the way back; per layer,
the std of its response (v1 Fig. 7: after BN, before ReLU or addition). It attaches to output
tensors only and removes its hooks on exit:
""",
        zh=r"""
## 2. 探针

`resnet_edu.Probe` 会挂在模型的每个单元和每个权重层上。对每个单元，它记录反向传播时到达该单元输出端的梯度 $\|\partial E/\partial x_{l+1}\|$；对每一层，它记录该层响应的标准差（v1 图 7 的口径：BN 之后、ReLU 或相加之前）。它只挂在输出张量上，退出 `with` 时自动移除：
""",
    ),
    code(r"""
print(Probe.__doc__.split("Hooks are")[0])
print(inspect.getsource(Probe._on_unit_output))
"""),
    md(
        en=r"""
## 3. At initialization: one batch, three nets

The same batch of training images through three freshly initialized nets of the same depth:
the plain net and the ResNet of v1 (both with BN), and — v1 §4.1's contrast — the plain net
*without* BN. Same seed, so the plain and residual nets start from identical weights.
""",
        zh=r"""
## 3. 初始化时：同一批数据，三个网络

把同一批训练图像送进三个刚初始化、深度相同的网络：v1 的普通网络和残差网络（都带 BN），以及作为 v1 §4.1 对照的*不带 BN* 的普通网络。随机种子相同，所以普通网络和残差网络的初始权重完全一样。
""",
    ),
    code(r"""
train_split, _ = data
batch = pick(full=128, smoke=16)
x = normalize(train_split.images[:batch], *dataset_mean_std(train_split.name))  # (B, 3, 32, 32)
y = train_split.labels[:batch]  # (B,)


def probe_once(model, x, y):
    # One forward and backward pass with the probe armed; returns a ProbeRecord.
    with Probe(model) as probe:
        probe.arm()
        F.cross_entropy(model(x), y).backward()
        return probe.read()


nets = {PLAIN: dict(), RESNET: dict(), f"{PLAIN} {T('without BN')}": dict(batchnorm=False)}
at_init = {}
for label, options in nets.items():
    torch.manual_seed(0)
    model = build_model(label.split()[0], widths=WIDTHS, **options)
    at_init[label] = probe_once(model, x, y)

fig, ax = plt.subplots(figsize=(7, 3.5))
for label, record in at_init.items():
    ax.semilogy(record.unit_output_grad_norm, marker=".", label=label)
ax.set_xlabel(T("unit l (input side → output side)"))
ax.set_ylabel("‖∂E/∂x_{l+1}‖")
ax.set_title(T("Gradient reaching each unit, at initialization"))
ax.legend()
plt.show()
for label, record in at_init.items():
    g = record.unit_output_grad_norm
    print(f"{label:>22}: first unit / last unit = {g[0] / g[-1]:10.1f}")
"""),
    md(
        en=r"""
**What it means.** Read each curve from right (the output) to left (the input):

- The **BN plain net**'s gradient does *not* vanish on the way back: at initialization it
  usually *grows* towards the input, by orders of magnitude over a deep net. This is v1 §4.1's
  point in numbers — "healthy" is not the same as "useful". The gradient at a shallow unit is a
  product of many Jacobians, so it is large, and it changes wildly whenever any layer changes.
- The **ResNet**'s curve is much flatter: the first-to-last ratio is far smaller. That is Eq. 5:
  the "1" term hands every unit the top gradient directly, and the branch terms add to it instead of
  multiplying it.
- The **plain net without BN** is, at initialization, the *flattest* of the three: its ratio is
  below 1 but of order one (about 0.3 in full mode on real CIFAR-10 images), no vanishing and no
  explosion. That is what He initialization was designed for ("Delving deep into rectifiers",
  He et al. 2015, the init v1 §3.4 uses): weights drawn with variance $2/\text{fan-in}$ keep the
  size of the signal, forward and backward, roughly constant from layer to layer through ReLUs.
  The growth in the BN plain net comes from BN itself, not from depth alone. Vanishing or
  exploding gradients in nets without BN appear with other inits (too small or too large weights),
  or as training moves the weights; a fresh He-initialised net is the well-behaved case. Either
  way it is a different problem from v1's degradation, which v1 showed *with* BN.

So the honest sentence is: ResNets make the gradient reaching each unit well-conditioned along
depth; they are not a cure for a vanishing gradient that v1's BN plain nets did not have.
""",
        zh=r"""
**这说明了什么？** 请把每条曲线从右（输出端）往左（输入端）读：

- **带 BN 的普通网络**，梯度在反向传播中*并没有*消失：初始化时它往往朝输入端*越变越大*，深层网络里能差出几个数量级。这正是 v1 §4.1 的观点，只不过换成了数字——梯度"健康"不等于梯度"好用"。浅层单元收到的梯度是许多雅可比矩阵的乘积，所以数值很大，而且任何一层一变，它就跟着剧烈变化。
- **残差网络**的曲线平坦得多，首尾比值小得多。这就是式 5：那个"1"把顶层梯度直接交给每一个单元，各分支的贡献是*加*上去的，而不是*乘*上去的。
- **不带 BN 的普通网络**在初始化时反而是三者中*最平坦*的：它的比值小于 1，但仍在 1 的量级（完整模式、真实 CIFAR-10 图像上约为 0.3），既没有消失也没有爆炸。这正是 He 初始化的设计目标（He 等 2015，《Delving deep into rectifiers》，v1 §3.4 采用的初始化）：按方差 $2/\text{fan-in}$ 抽取权重，使信号在前向和反向经过 ReLU 层时，大小逐层大致保持不变。带 BN 的普通网络里梯度的增长来自 BN 本身，而不只是深度。不带 BN 的网络出现梯度消失或爆炸，要么是用了别的初始化（权重太小或太大），要么是在训练把权重推开之后；刚用 He 初始化的网络恰恰是表现良好的情形。无论哪种，这都和 v1 的退化问题是两回事，v1 的退化是在*有* BN 的情况下观察到的。

所以准确的说法是：残差网络让每个单元收到的梯度沿深度分布得更均衡、更好控制；它并不是在"治疗"一个 v1 带 BN 的普通网络本来就没有的梯度消失。
""",
    ),
    md(
        en=r"""
## 4. During training: gradients and responses

Now train the plain net and the ResNet in lockstep on the same batches, with the probe recording
every `probe_every` steps (the trainer does it; the records arrive in the metric events). We use the
`quick` preset, with a warm-up at lr 0.01 until training error < 80% (v1 §4.2's ResNet-110 trick).
""",
        zh=r"""
## 4. 训练过程中：梯度与响应

接下来让普通网络和残差网络在相同的小批量上同步训练，并让探针每隔 `probe_every` 步记录一次（由训练器完成，记录随指标事件一起返回）。这里用 `quick` 预设，并带预热：学习率先用 0.01，直到训练误差低于 80%（这是 v1 §4.2 训练 ResNet-110 时的做法）。
""",
    ),
    code(r"""
steps = pick(full=600, smoke=6)
config = preset("quick", models=(PLAIN, RESNET), dataset=DATASET, data_dir=str(find_data_dir()),
                widths=WIDTHS, steps=steps, milestones=(int(steps * 0.75),),
                batch_size=pick(full=64, smoke=16), log_every=pick(full=25, smoke=3),
                eval_every=steps, probe_every=pick(full=50, smoke=3), device="auto")
events = train(config, data=data)
probes = {}  # model -> list of probe dicts, in step order
for e in events:
    if getattr(e, "probes", None):
        probes.setdefault(e.model, []).append(e.probes)
for name, records in probes.items():
    print(f"{name}: {len(records)} probe records at steps {[r['step'] for r in records]}")
"""),
    code(r"""
grids = {name: np.log10(np.array([r["unit_output_grad_norm"] for r in probes[name]]))  # (records, units)
         for name in (PLAIN, RESNET)}
low = min(g.min() for g in grids.values())  # one colour scale for both panels, so colours compare
high = max(g.max() for g in grids.values())
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True, layout="constrained")
for ax, (name, grid) in zip(axes, grids.items()):
    records = probes[name]
    im = ax.imshow(grid.T, aspect="auto", origin="lower", cmap="viridis", vmin=low, vmax=high,
                   extent=(0, len(records), -0.5, grid.shape[1] - 0.5))
    ax.set_xticks(np.arange(len(records)) + 0.5, [r["step"] for r in records], rotation=90, fontsize=7)
    ax.set_title(f"{name}: log10 ‖∂E/∂x_(l+1)‖")
    ax.set_xlabel(T("training step"))
fig.colorbar(im, ax=axes, label="log10 ‖∂E/∂x_(l+1)‖ " + T("(one scale for both)"))
axes[0].set_ylabel(T("unit l"))
plt.show()
for name, grid in grids.items():
    first, last = grid[0], grid[-1]
    print(f"{name}: first/last unit ratio at step {probes[name][0]['step']}: {10 ** (first[0] - first[-1]):.1f}, "
          f"at step {probes[name][-1]['step']}: {10 ** (last[0] - last[-1]):.2f}")
"""),
    md(
        en=r"""
Each column is one probe record; each row a unit (input at the bottom). Both panels share one
colour scale, so a colour means the same gradient norm in both. Compare how much the colour
changes *along a column* (along depth) in the two panels, and how it evolves as training goes on
(the printed ratios give the first and the last column in numbers).
At the start (the first column) the plain net's input-side units get gradients orders of magnitude
larger than its output-side ones, while the ResNet's column stays closer to one colour; watch whether
that gap persists as training moves the weights.

Now v1 Fig. 7: the std of each 3×3 layer's response (after BN, before ReLU/addition), at the end of
training. At initialization BN makes every one of them exactly 1 — so this is a property of *trained*
nets. v1 §4.2 (Fig. 7) reports that ResNets have "generally smaller responses than their plain
counterparts", supporting the idea that residual functions are closer to zero than
non-residual ones.
""",
        zh=r"""
热力图的每一列是一次探针记录，每一行是一个单元（输入端在下）。两幅图共用一个色标，同一种颜色在两幅图里代表同样大小的梯度范数。请比较两幅图里*同一列内*（沿深度方向）颜色变化有多大，以及随训练进行它如何演变（打印出来的比值给出了第一列和最后一列的具体数字）。训练刚开始时（第一列），普通网络靠近输入端的单元收到的梯度比靠近输出端的大好几个数量级，而残差网络的一列颜色更接近一致；请观察随着训练推进、权重改变，这个差距是否依然存在。

再来看 v1 图 7：训练结束时每个 3×3 层响应（BN 之后、ReLU 或相加之前）的标准差。初始化时 BN 让它们全都恰好等于 1，所以这是*训练后*网络才有的性质。v1 §4.2（图 7）报告说，残差网络的响应"总体上比对应的普通网络更小"，这支持了"残差函数比非残差函数更接近零"的看法。
""",
    ),
    code(r"""
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for name in (PLAIN, RESNET):
    std = np.array(probes[name][-1]["layer_response_std"])
    axes[0].plot(std, marker=".", label=name)
    axes[1].plot(np.sort(std)[::-1], marker=".", label=name)
axes[0].set_title(T("response std, original layer order (v1 Fig. 7 top)"))
axes[1].set_title(T("response std, sorted by magnitude (v1 Fig. 7 bottom)"))
for ax in axes:
    ax.set_xlabel(T("layer index"))
    ax.set_ylabel(T("std"))
    ax.legend()
plt.tight_layout()
plt.show()
for name in (PLAIN, RESNET):
    print(f"{name}: mean response std {np.mean(probes[name][-1]['layer_response_std']):.3f}"
          f" (step {probes[name][-1]['step']})")
"""),
    md(
        en=r"""
**What it means.** After a short run the gap may be small (in smoke mode, with a handful of steps,
expect almost nothing): BN's scale parameters have to move away from 1 first. With the full run, and
even more with the `classroom` preset, the ResNet's responses tend to sit below the plain net's,
as in v1 Fig. 7. Treat one short run as a hint, not a result: seed variance is large.

## Summary

- v2 Eq. 4: with identity $h$ and $f$, $x_L = x_l + \sum_{i=l}^{L-1} F(x_i)$ — a sum, not a product.
- v2 Eq. 5: $\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}(1 + \frac{\partial}{\partial x_l}\sum F)$;
  the "1" carries the top gradient to every unit untouched.
- Measured: a BN plain net's gradient does not vanish at initialization (v1 §4.1); it varies by
  orders of magnitude along depth. A ResNet's is far more even. Without BN, a He-initialised plain
  net is the flattest of the three at initialization: He init keeps the signal's size per layer.
- Degradation is an optimization difficulty seen in *training* error; better-conditioned gradients
  along depth are one reading of why shortcuts help, not a claim that v1's plain nets had vanishing
  gradients.
- Trained ResNets have smaller layer responses than plain nets (v1 Fig. 7).
""",
        zh=r"""
**这说明了什么？** 训练时间短的话，差距可能不明显（运行测试用的 smoke 模式下只训练几步，基本看不出什么）：BN 的缩放参数得先从 1 变开才行。用完整设置，尤其是 `classroom` 预设训练时，残差网络的响应通常会低于普通网络，和 v1 图 7 一致。一次短训练只能算线索，不能算结论：随机种子带来的波动很大。

## 小结

- v2 式 4：当 $h$ 和 $f$ 都是恒等映射时，$x_L = x_l + \sum_{i=l}^{L-1} F(x_i)$——是求和，而不是连乘。
- v2 式 5：$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}(1 + \frac{\partial}{\partial x_l}\sum F)$；其中的"1"把顶层梯度原封不动地送到每个单元。
- 实测：带 BN 的普通网络在初始化时梯度并不消失（v1 §4.1），但它沿深度相差好几个数量级；残差网络的梯度分布则均匀得多。不带 BN、用 He 初始化的普通网络在初始化时是三者中最平坦的：He 初始化让信号逐层保持大小。
- 退化问题是在*训练误差*上看到的优化困难；"梯度沿深度分布更均衡"是理解捷径连接为何有效的一种角度，而不是说 v1 的普通网络存在梯度消失。
- 训练后的残差网络各层响应比普通网络更小（v1 图 7）。
""",
    ),
    md(
        en=r"""
## Exercises

1. Repeat section 3 with depths 20, 56 and 110 (use `list_units` to count the units). How does the
   first-to-last gradient ratio grow with depth for the plain net, and for the ResNet?
2. Section 3 uses BN in training mode (batch statistics). Put the models in `eval()` mode before the
   probe (BN then uses its running statistics, which at initialization are mean 0, variance 1).
   Does the plain net's profile change? Why?
3. Build `resnet{DEPTH}` with `design="full_preact"` (v2's unit, for which Eq. 4–5 are exact) and add
   it to the plot of section 3. Is its profile flatter than the original ResNet's?
4. Eq. 5 has two terms. Give a one-line argument why the first one alone guarantees that
   $\|\partial E/\partial x_l\|$ cannot be *much* smaller than $\|\partial E/\partial x_L\|$ for every sample in a batch
   at once, and say which assumption of Eq. 4 breaks for v1's units.
""",
        zh=r"""
## 练习

1. 用深度 20、56 和 110 重做第 3 节（可以用 `list_units` 数一数单元个数）。普通网络和残差网络的首尾梯度比值分别随深度怎样增长？
2. 第 3 节中 BN 处于训练模式（用当前批次的统计量）。在探针测量之前把模型切到 `eval()` 模式（此时 BN 用滑动统计量，初始化时均值为 0、方差为 1），普通网络的曲线有变化吗？为什么？
3. 用 `design="full_preact"` 构建 `resnet{DEPTH}`（v2 的单元，式 4–5 对它严格成立），把它加到第 3 节的图里。它的曲线比原始残差网络更平坦吗？
4. 式 5 有两项。用一句话说明：为什么单凭第一项，就能保证 $\|\partial E/\partial x_l\|$ 不可能对一个批次里的所有样本同时比 $\|\partial E/\partial x_L\|$ 小*很多*？再指出式 4 的哪个假设对 v1 的单元不成立。
""",
    ),
    hint(
        en=r"""
1. Loop over `for d in (20, 56, 110)` and reuse `probe_once` with `build_model(f"plain{d}", widths=WIDTHS)`.
   The plain net's ratio grows roughly geometrically with depth (a product of Jacobians); the ResNet's
   grows far more slowly.
2. Call `model.eval()` before `probe_once` (the probe works in either mode). With running statistics
   equal to (0, 1) BN does not normalise at all at initialization, so the net behaves much more like
   the plain net *without* BN: the picture changes, which is why BN's train-mode normalisation matters.
3. `build_model(RESNET, widths=WIDTHS, design="full_preact")`. Full pre-activation leaves the shortcut
   path free of BN and ReLU, so the sum of Eq. 4 is exact; expect a profile at least as flat.
4. The first term contributes $\partial E/\partial x_L$ itself; for the whole batch's gradient to shrink,
   $\frac{\partial}{\partial x_l}\sum F$ would have to be close to −1 (as a matrix, along the gradient's direction)
   for every sample. For v1's units $f = \mathrm{ReLU}$ after the addition, so $x_{l+1} \ne y_l$ where
   $y_l < 0$: the "1" is multiplied by ReLU's 0/1 mask.
""",
        zh=r"""
1. 写一个 `for d in (20, 56, 110)` 循环，用 `build_model(f"plain{d}", widths=WIDTHS)` 建模并复用 `probe_once`。普通网络的比值大致随深度按几何级数增长（雅可比矩阵连乘）；残差网络增长得慢得多。
2. 在 `probe_once` 之前调用 `model.eval()`（探针在两种模式下都能用）。初始化时滑动统计量是 (0, 1)，BN 实际上不做任何归一化，网络的表现更像*不带 BN* 的普通网络：曲线会变。这也说明训练模式下 BN 的归一化作用有多重要。
3. `build_model(RESNET, widths=WIDTHS, design="full_preact")`。完全预激活让捷径通路上没有 BN 和 ReLU，式 4 的求和严格成立；预期曲线至少一样平坦。
4. 第一项贡献的就是 $\partial E/\partial x_L$ 本身；要让整个批次的梯度都变小，$\frac{\partial}{\partial x_l}\sum F$（作为矩阵，沿梯度方向）必须对每个样本都接近 −1。v1 的单元在相加之后有 $f = \mathrm{ReLU}$，所以在 $y_l < 0$ 的位置 $x_{l+1} \ne y_l$：那个"1"要乘上 ReLU 的 0/1 掩码。
""",
    ),
]

LABELS_ZH = {
    "without BN": "不带 BN",
    "unit l (input side → output side)": "单元 l（输入端 → 输出端）",
    "Gradient reaching each unit, at initialization": "到达每个单元的梯度（初始化时）",
    "training step": "训练步",
    "(one scale for both)": "（两图共用一个色标）",
    "unit l": "单元 l",
    "response std, original layer order (v1 Fig. 7 top)": "响应标准差，按原来的层顺序（v1 图 7 上）",
    "response std, sorted by magnitude (v1 Fig. 7 bottom)": "响应标准差，按大小排序（v1 图 7 下）",
    "layer index": "层序号",
    "std": "标准差",
}
