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

- **v1 §4.1** 说得很谨慎：论文里的普通网络每层都有批归一化（BN），作者专门检查过——前向传播的信号方差不为零，反向传播的梯度范数也"健康"。所以更深的普通网络出现的退化问题（训练误差反而更高）**并不是**梯度消失造成的，v1 把它解释为一种优化困难。
- **v2 §2**（He 等 2016，《Identity Mappings》）进一步推导了恒等捷径对反向信号的作用，即式 5：$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\big(1 + \frac{\partial}{\partial x_l}\sum_i F\big)$。式中的"1"是一条任何权重层都无法把它缩小的通路。

本课先推导式 4–5，再动手测量：普通网络与残差网络在初始化时和训练过程中，沿深度逐个单元的梯度范数；以及仿照 v1 图 7，各层响应的标准差沿深度的变化。
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
from resnet_edu.training.notebook import curves, find_data_dir, lesson_data, pick, train
from resnet_edu.training.probes import Probe

# CIFAR-10 when it is in data/ (not in smoke mode), else the synthetic set; tiny in smoke mode.
DATASET, data = lesson_data(n_train=pick(full=5_000, smoke=128), n_test=pick(full=1_000, smoke=64))
WIDTHS = pick(full=(8, 16, 32), smoke=(4, 8, 8))  # channels per stage (the paper: 16, 32, 64)
DEPTH = pick(full=56, smoke=20)  # 6n + 2
PLAIN, RESNET = f"plain{DEPTH}", f"resnet{DEPTH}"
say("{n_train:,} training and {n_test:,} test images; {plain} vs {resnet}, widths {widths}",
    n_train=len(data[0]), n_test=len(data[1]), plain=PLAIN, resnet=RESNET, widths=WIDTHS)
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
cannot be always −1 for all samples". A plain net has a single path, through every layer, so the
gradient at unit $l$ is a product of $L - l$ Jacobians, and its size depends on all of them.

Two cautions before we measure:

- v1's units have $f = \mathrm{ReLU}$ after the addition, so Eq. 4–5 hold only approximately for
  them; v2's *full pre-activation* unit (lesson 06) makes them exact.
- Eq. 5 says the gradient *cannot vanish through the shortcut*. It does not say a BN plain net
  *has* vanishing gradients: v1 §4.1 says it does not. What differs is the *shape* of the
  gradient along depth. Let us look.
""",
        zh=r"""
v2 追问：如果 $h$ 和 $f$ 都是恒等映射会怎样？那么 $x_{l+1} = x_l + F(x_l, W_l)$（式 3），从任意较浅的单元 $l$ 递推到任意较深的单元 $L$：

$$x_L = x_l + \sum_{i=l}^{L-1} F(x_i, W_i) \qquad \text{（v2 式 4）}$$

深层特征等于浅层特征加上一串残差函数之和。对比普通网络：忽略 BN 和 ReLU 时，$x_L = \prod_i W_i \, x_l$，是一串矩阵的连乘。对损失 $E$ 用链式法则求导：

$$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}\frac{\partial x_L}{\partial x_l}
= \frac{\partial E}{\partial x_L}\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1} F(x_i, W_i)\Big) \qquad \text{（v2 式 5）}$$

括号里有两项：第一项让 $\frac{\partial E}{\partial x_L}$ **直接**传回第 $l$ 个单元，中间不经过任何权重层；第二项经过各个残差分支。v2 §2 指出：对一个小批量而言，$\frac{\partial}{\partial x_l}\sum F$ 一般不可能对所有样本都恰好等于 −1，所以梯度不太可能被抵消掉。而普通网络只有一条通路，它穿过每一层，所以第 $l$ 个单元收到的梯度是 $L - l$ 个雅可比矩阵的乘积，它的大小取决于其中每一个。

动手测量之前，先记住两点：

- v1 的单元在相加之后还有 $f = \mathrm{ReLU}$，所以式 4–5 对它只是近似成立；v2 的完全预激活单元（第 06 课）才让它严格成立。
- 式 5 说的是：梯度沿捷径传回时不会消失。它并没有说带 BN 的普通网络存在梯度消失——v1 §4.1 恰恰说不存在。两者真正的区别在于梯度沿深度分布的形状。下面来看数据。
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
the plain net and the ResNet of v1 (both with BN), and, as a contrast of this lesson's own (v1
trained no plain net without BN), the plain net *without* BN. Same seed, so the plain and residual
nets start from identical weights.
""",
        zh=r"""
## 3. 初始化时：同一批数据，三个网络

把同一批训练图像送进三个刚初始化、深度相同的网络：v1 的普通网络和残差网络（都带 BN），以及本课自己加的对照（v1 并没有训练过不带 BN 的普通网络）：不带 BN 的普通网络。随机种子相同，所以普通网络和残差网络的初始权重完全一样。
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
ax.set_ylabel(r"$\|\partial E/\partial x_{l+1}\|$")
ax.set_title(T("Gradient reaching each unit, at initialization"))
ax.legend()
plt.show()
init_ratio = {}  # first unit / last unit, per net
for label, record in at_init.items():
    g = record.unit_output_grad_norm
    init_ratio[label] = g[0] / g[-1]
    say("{label:>22}: first unit / last unit = {ratio:10.2f}", label=label, ratio=init_ratio[label])
plain, resnet, no_bn = init_ratio.values()
check(plain > 100, "at initialization the BN plain net's gradient grows toward the input: first/last above 100",
      "it is {r:.3g}", r=plain)
check(resnet < plain / 10, "the ResNet's ratio is at least 10 times smaller than the BN plain net's",
      "ResNet {r:.3g}, plain {p:.3g}", r=resnet, p=plain)
check(0.01 < no_bn < 1, "without BN the ratio lies between 0.01 and 1: it neither explodes nor vanishes",
      "it is {r:.3g}", r=no_bn)
"""),
    md(
        en=r"""
**What it means.** Read each curve from right (the output) to left (the input):

- The **BN plain net**'s gradient does *not* vanish on the way back: at initialization it
  usually *grows* towards the input, by orders of magnitude over a deep net. v1 §4.1 says only
  that its BN plain nets' gradients "exhibit healthy norms", i.e. do not vanish; the growth is
  what we measure here, not something v1 reports. A gradient that does not vanish is not
  necessarily a useful one: at a shallow unit it is a product of many Jacobians, so it is large,
  and it changes wildly whenever any layer changes.
- The **ResNet**'s curve is much flatter: the first-to-last ratio is far smaller. That is Eq. 5:
  the "1" term hands every unit the top gradient directly, and the branch terms add to it instead of
  multiplying it.
- The **plain net without BN** is, at initialization, the *flattest* of the three here: its
  ratio is below 1 but not far from it (0.26 in full mode on real CIFAR-10 images; 0.09 to 0.5
  for other seeds), no vanishing and no explosion. That is what He initialization was designed for ("Delving deep into rectifiers",
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

- **带 BN 的普通网络**，梯度在反向传播中并没有消失：初始化时它往往朝输入端越变越大，深层网络里能差出几个数量级。v1 §4.1 只说它那些带 BN 的普通网络的梯度范数"健康"，也就是没有消失；这种增长是我们在这里测到的，并不是 v1 报告的内容。没有消失的梯度不一定好用：浅层单元收到的梯度是许多雅可比矩阵的乘积，所以数值很大，而且任何一层一变，它就跟着剧烈变化。
- **残差网络**的曲线平坦得多，首尾比值小得多。这就是式 5：那个"1"把顶层梯度直接交给每一个单元，各分支的贡献是加上去的，而不是乘上去的。
- **不带 BN 的普通网络**在初始化时反而是这里三者中最平坦的：它的比值小于 1，但离 1 不远（完整模式、真实 CIFAR-10 图像上为 0.26；换其他随机种子为 0.09 到 0.5），既没有消失也没有爆炸。这正是 He 初始化的设计目标（He 等 2015，《Delving deep into rectifiers》，v1 §3.4 采用的初始化）：按方差 $2/\text{fan-in}$ 抽取权重，使信号在前向和反向经过 ReLU 层时，大小逐层大致保持不变。带 BN 的普通网络里梯度的增长来自 BN 本身，而不只是深度。不带 BN 的网络出现梯度消失或爆炸，要么是用了别的初始化（权重太小或太大），要么是在训练把权重推开之后；刚用 He 初始化的网络恰恰是表现良好的情形。无论哪种，这都和 v1 的退化问题是两回事，v1 的退化是在有 BN 的情况下观察到的。

所以准确的说法是：残差网络让每个单元收到的梯度沿深度分布得更均衡、更好控制；它并不是在"治疗"一个 v1 带 BN 的普通网络本来就没有的梯度消失。
""",
    ),
    md(
        en=r"""
## 4. During training: gradients and responses

Now train the plain net and the ResNet in lockstep on the same batches, with the probe recording
every `probe_every` steps (the trainer does it; the records arrive in the metric events). We use the
`quick` preset, with a warm-up at lr 0.01 until training error < 80% (v1 §4.2's ResNet-110 trick).
In full mode this run is most of the lesson's time: 14 min on this project's 2-core CPU at a load
average of about 8 (lessons/README.md lists the measured times).
""",
        zh=r"""
## 4. 训练过程中：梯度与响应

接下来让普通网络和残差网络在相同的小批量上同步训练，并让探针每隔 `probe_every` 步记录一次（由训练器完成，记录随指标事件一起返回）。这里用 `quick` 预设，并带预热：学习率先用 0.01，直到训练误差低于 80%（这是 v1 §4.2 训练 ResNet-110 时的做法）。在完整模式下，本课的时间大多花在这次训练上：在本项目的 2 核 CPU 上、平均负载约 8 时为 14 分钟（实测耗时见 lessons/README.zh.md）。
""",
    ),
    code(r"""
steps = pick(full=600, smoke=6)
config = preset("quick", models=(PLAIN, RESNET), dataset=DATASET, data_dir=str(find_data_dir()),
                widths=WIDTHS, steps=steps, milestones=(int(steps * 0.75),),
                batch_size=pick(full=64, smoke=16), log_every=pick(full=25, smoke=3),
                eval_every=steps, probe_every=pick(full=50, smoke=3), device="auto")
say("training on {used:,} images", used=min(config.train_size, len(data[0])))
events = train(config, data=data)
probes = {}  # model -> list of probe dicts, in step order
for e in events:
    if getattr(e, "probes", None):
        probes.setdefault(e.model, []).append(e.probes)
for name, records in probes.items():
    say("{name}: {n} probe records at steps {steps}", name=name, n=len(records), steps=[r["step"] for r in records])
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
    ax.set_title(name + r": $\log_{10} \|\partial E/\partial x_{l+1}\|$")
    ax.set_xlabel(T("training step"))
fig.colorbar(im, ax=axes, label=r"$\log_{10} \|\partial E/\partial x_{l+1}\|$ " + T("(one scale for both)"))
axes[0].set_ylabel(T("unit l"))
plt.show()
start, end = {}, {}  # first/last unit ratio at the first and at the last probe
for name, grid in grids.items():
    start[name], end[name] = 10 ** (grid[0][0] - grid[0][-1]), 10 ** (grid[-1][0] - grid[-1][-1])
    say("{name}: first/last unit ratio at step {s0}: {r0:.1f}, at step {s1}: {r1:.2f}", name=name,
        s0=probes[name][0]["step"], r0=start[name], s1=probes[name][-1]["step"], r1=end[name])
final_error = {m: 100 * np.mean(e[-4:]) for m, (_, e) in curves(events, "train_error").items()}  # %
say("final training error: {plain} {p:.1f} %, {resnet} {r:.1f} %", plain=PLAIN, resnet=RESNET,
    p=final_error[PLAIN], r=final_error[RESNET])
check(start[PLAIN] > 10 * start[RESNET], "at the first probe the plain net's ratio is over 10 times the ResNet's",
      "plain {p:.3g}, ResNet {r:.3g}", p=start[PLAIN], r=start[RESNET])
check(all(0.1 < end[m] < 10 for m in end), "the gap does not persist: at the last probe both ratios lie between 0.1 and 10",
      "plain {p:.3g}, ResNet {r:.3g}", p=end[PLAIN], r=end[RESNET])
check(final_error[PLAIN] > final_error[RESNET], "the plain net still ends with the higher training error",
      "plain {p:.1f} %, ResNet {r:.1f} %", p=final_error[PLAIN], r=final_error[RESNET])
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

**It does not.** In our full-mode runs on real CIFAR-10 images the plain net's ratio fell from
2,825 at step 1 to about 1 by step 600 (1.36 in one run, 0.45 in another), while the ResNet's
went from 14 to about 1 (1.00; 1.17): the printed ratios above are your run's. After a few
hundred steps the plain net's gradient is about as even along depth as the ResNet's, sometimes
more, and still the plain net ends with the higher training error (79.9 against 62.8 % in our
run; the checks above). So the early explosion is not what makes a deep plain net train worse:
it is gone long before training ends, and the gap in training error stays. This is v1 §4.1's
reading again: degradation is an optimization difficulty, not a gradient that fails to arrive.

Now v1 Fig. 7: the std of each 3×3 layer's response (after BN, before ReLU/addition), at the end of
training. At initialization BN makes every one of them exactly 1 — so this is a property of *trained*
nets. v1 §4.2 (Fig. 7) reports that ResNets have "generally smaller responses than their plain
counterparts", supporting the idea that residual functions are closer to zero than
non-residual ones.
""",
        zh=r"""
热力图的每一列是一次探针记录，每一行是一个单元（输入端在下）。两幅图共用一个色标，同一种颜色在两幅图里代表同样大小的梯度范数。请比较两幅图里同一列内（沿深度方向）颜色变化有多大，以及随训练进行它如何演变（打印出来的比值给出了第一列和最后一列的具体数字）。训练刚开始时（第一列），普通网络靠近输入端的单元收到的梯度比靠近输出端的大好几个数量级，而残差网络的一列颜色更接近一致；请观察随着训练推进、权重改变，这个差距是否依然存在。

**差距并没有保持下去。** 我们在完整模式、真实 CIFAR-10 图像上的几次训练里，普通网络的比值从第 1 步的 2,825 降到第 600 步的 1 左右（一次为 1.36，另一次为 0.45），残差网络则从 14 变为 1 左右（1.00；1.17）：上面打印的是你这次运行自己的比值。训练几百步后，普通网络的梯度沿深度的分布和残差网络差不多均匀，有时还更均匀，可普通网络最终的训练误差仍然更高（我们这次为 79.9% 对 62.8%；见上面的核对）。所以，让深层普通网络训练得更差的并不是初期的梯度爆炸：它早在训练结束之前就消失了，训练误差的差距却还在。这又回到了 v1 §4.1 的解读：退化是一种优化困难，而不是梯度传不回来。

再来看 v1 图 7：训练结束时每个 3×3 层响应（BN 之后、ReLU 或相加之前）的标准差。初始化时 BN 让它们全都恰好等于 1，所以这是训练后网络才有的性质。v1 §4.2（图 7）报告说，残差网络的响应"总体上比对应的普通网络更小"，这支持了"残差函数比非残差函数更接近零"的看法。
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
second = {}  # the mean std of each unit's second layer, the one right before the addition
for name in (PLAIN, RESNET):
    std = np.array(probes[name][-1]["layer_response_std"])  # (2 per unit,): layer 1, layer 2, ...
    second[name] = std[1::2].mean()
    say("{name}: mean response std, first layer of each unit {a:.3f}, second layer {b:.3f} (step {step})",
        name=name, a=std[0::2].mean(), b=second[name], step=probes[name][-1]["step"])
check(second[RESNET] < second[PLAIN], "the ResNet's second-layer responses are smaller than the plain net's",
      "ResNet {r:.3f}, plain {p:.3f}", r=second[RESNET], p=second[PLAIN])
"""),
    md(
        en=r"""
**What it means.** The clear difference is at each unit's second layer, the one whose output is
added to the shortcut: there the ResNet's responses sit below the plain net's, as v1 Fig. 7 shows
("generally smaller responses"): 0.91 against 0.99 in our run. At the first layer of each unit
the two nets are closer (0.97 against 1.01), and another run may order them either way. That fits v1's reading: a residual branch only has to add a correction
to its input, so its output can stay small, while a plain layer must carry the whole signal.
After a short run the gap is modest (in smoke mode, a handful of steps, expect nothing): BN's
scale parameters start at 1 and have to move first. Treat one short run as a hint, not a result.

## Summary

- v2 Eq. 4: with identity $h$ and $f$, $x_L = x_l + \sum_{i=l}^{L-1} F(x_i)$ — a sum, not a product.
- v2 Eq. 5: $\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}(1 + \frac{\partial}{\partial x_l}\sum F)$;
  the "1" carries the top gradient to every unit untouched.
- Measured: a BN plain net's gradient does not vanish at initialization (as v1 §4.1 says); it
  grows by orders of magnitude towards the input. A ResNet's is far more even. Without BN, a
  He-initialised plain net is the flattest of the three at initialization: He init keeps the
  signal's size per layer.
- During training the plain net's early growth disappears within a few hundred steps, and it
  still trains worse: the explosion at initialization is not the cause of degradation.
- Degradation is an optimization difficulty seen in *training* error; better-conditioned gradients
  along depth are one reading of why shortcuts help, not a claim that v1's plain nets had vanishing
  gradients.
- Trained ResNets have generally smaller layer responses than plain nets (v1 Fig. 7); in this
  short run the clear difference is at the layer right before each addition.
""",
        zh=r"""
**这说明了什么？** 明显的差别出现在每个单元的第二层，也就是输出要与捷径相加的那一层：在这里，残差网络的响应低于普通网络，与 v1 图 7 一致（"总体上更小"）：我们这次为 0.91 对 0.99。每个单元的第一层，两个网络更接近（0.97 对 1.01），换一次运行谁高谁低都有可能。这符合 v1 的解读：残差分支只需要在输入上加一点修正，输出可以保持很小；而普通网络的每一层都要承载整个信号。短训练之后差距不大（冒烟模式只训练几步，什么也看不出来）：BN 的缩放参数从 1 开始，要先偏离 1 才行。一次短训练只能算线索，不能算结论。

## 小结

- v2 式 4：当 $h$ 和 $f$ 都是恒等映射时，$x_L = x_l + \sum_{i=l}^{L-1} F(x_i)$——是求和，而不是连乘。
- v2 式 5：$\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}(1 + \frac{\partial}{\partial x_l}\sum F)$；其中的"1"把顶层梯度原封不动地送到每个单元。
- 实测：带 BN 的普通网络在初始化时梯度并不消失（与 v1 §4.1 所说一致），而是朝输入端增长好几个数量级；残差网络的梯度分布则均匀得多。不带 BN、用 He 初始化的普通网络在初始化时是三者中最平坦的：He 初始化让信号逐层保持大小。
- 训练过程中，普通网络初期的增长在几百步内就消失了，可它仍然训练得更差：初始化时的梯度爆炸并不是退化的原因。
- 退化问题是在训练误差上看到的优化困难；"梯度沿深度分布更均衡"是理解捷径连接为何有效的一种角度，而不是说 v1 的普通网络存在梯度消失。
- 训练后的残差网络各层响应总体上比普通网络更小（v1 图 7）；在这次短训练中，明显的差别出现在每次相加之前的那一层。
""",
    ),
    md(
        en=r"""
## Exercises

1. Repeat section 3 with depths 20, 56 and 110 (`from resnet_edu.models.anatomy import list_units`;
   `len(list_units(model))` counts the units). How does the first-to-last gradient ratio grow with
   depth for the plain net, and for the ResNet?
2. Section 3 uses BN in training mode (batch statistics). Put the models in `eval()` mode before the
   probe (BN then uses its running statistics, which at initialization are mean 0, variance 1).
   Does the plain net's profile change? And the ResNet's? Why?
3. Build `resnet{DEPTH}` with `design="full_preact"` (v2's unit, for which Eq. 4–5 are exact) and add
   it to the plot of section 3. Is its profile flatter than the original ResNet's?
4. Eq. 5 has two terms. Give a one-line argument why, with the first term there, it is unlikely
   that $\|\partial E/\partial x_l\|$ is *much* smaller than $\|\partial E/\partial x_L\|$ for every sample in a
   batch at once (v2 §2 says "unlikely", not "impossible"), and say which assumption of Eq. 4 breaks
   for v1's units.
""",
        zh=r"""
## 练习

1. 用深度 20、56 和 110 重做第 3 节（`from resnet_edu.models.anatomy import list_units`，`len(list_units(model))` 就是单元个数）。普通网络和残差网络的首尾梯度比值分别随深度怎样增长？
2. 第 3 节中 BN 处于训练模式（用当前批次的统计量）。在探针测量之前把模型切到 `eval()` 模式（此时 BN 用滑动统计量，初始化时均值为 0、方差为 1），普通网络的曲线有变化吗？残差网络的呢？为什么？
3. 用 `design="full_preact"` 构建 `resnet{DEPTH}`（v2 的单元，式 4–5 对它严格成立），把它加到第 3 节的图里。它的曲线比原始残差网络更平坦吗？
4. 式 5 有两项。用一句话说明：有了第一项，为什么 $\|\partial E/\partial x_l\|$ 不太可能对一个批次里的所有样本同时比 $\|\partial E/\partial x_L\|$ 小很多（v2 §2 说的是"不太可能"，不是"不可能"）？再指出式 4 的哪个假设对 v1 的单元不成立。
""",
    ),
    hint(
        en=r"""
1. ```python
   from resnet_edu.models.anatomy import list_units
   by_depth = {}
   for d in (20, 56, 110):
       torch.manual_seed(0)
       plain_net = build_model(f"plain{d}", widths=WIDTHS)
       torch.manual_seed(0)
       res_net = build_model(f"resnet{d}", widths=WIDTHS)
       rp, rr = (probe_once(m, x, y).unit_output_grad_norm for m in (plain_net, res_net))
       by_depth[d] = (rp[0] / rp[-1], rr[0] / rr[-1])
       say("depth {d} ({units} units): plain {p:.3g}, ResNet {r:.3g}", d=d, units=len(list_units(res_net)),
           p=by_depth[d][0], r=by_depth[d][1])
   plain_growth = by_depth[110][0] / by_depth[56][0]
   res_growth = by_depth[110][1] / by_depth[56][1]
   check(plain_growth > 100, "from 56 to 110 layers the plain net's ratio grows over 100-fold",
         "it grows {g:.3g}-fold", g=plain_growth)
   check(res_growth < 10, "from 56 to 110 layers the ResNet's ratio grows less than 10-fold",
         "it grows {g:.3g}-fold", g=res_growth)
   ```
   The plain net's ratio grows geometrically with depth (a product of Jacobians): with seed 0 on
   real images, 14 at 20 layers, 2,400 at 56 and 3.4·10⁷ at 110: ×14,000 from 56 to 110 layers.
   The ResNet's grows far more slowly, 3.9, 12.6 and 63: ×5 from 56 to 110 layers, because each
   unit *adds* its branch's term of Eq. 5 to the gradient instead of multiplying it.
2. ```python
   eval_ratio = {}
   for name in (PLAIN, RESNET):
       torch.manual_seed(0)
       model = build_model(name, widths=WIDTHS).eval()  # BN with its running statistics (0, 1)
       g = probe_once(model, x, y).unit_output_grad_norm
       eval_ratio[name] = g[0] / g[-1]
       say("{name} in eval mode: first/last = {r:.3g}", name=name, r=eval_ratio[name])
   check(0.01 < eval_ratio[PLAIN] < 10, "in eval mode the plain net behaves like the one without BN: ratio between 0.01 and 10",
         "it is {r:.3g}", r=eval_ratio[PLAIN])
   check(eval_ratio[RESNET] > 1000, "in eval mode the ResNet's gradient explodes toward the input: ratio above 1000",
         "it is {r:.3g}", r=eval_ratio[RESNET])
   ```
   Call `model.eval()` before `probe_once` (the probe works in either mode). With running
   statistics (0, 1) and its initial scale 1 and shift 0, BN does nothing at initialization, so
   both nets behave like nets *without* BN. The plain net's ratio drops to order one (0.05 to 2.4
   over seeds 0–2), like the no-BN net of section 3: He init keeps its signal's size. The ResNet's
   explodes instead (1.2·10⁴ for seed 0, 4·10³ to 5·10⁴ over seeds 0–2). Without normalisation,
   each unit adds to its input a branch of about the same size (He init keeps the branch's size),
   so going back through a unit multiplies the gradient by about √2 (the identity plus an
   independent term of the same size): 27 units give about $\sqrt{2}^{27} \approx 10^4$. That
   is why a residual net without normalisation needs its branches to start small (a zero-initialised
   last BN scale, or Fixup), and why BN's train-mode normalisation matters here.
3. ```python
   torch.manual_seed(0)
   preact = probe_once(build_model(RESNET, widths=WIDTHS, design="full_preact"), x, y).unit_output_grad_norm
   r_pre, r_v1 = preact[0] / preact[-1], init_ratio[RESNET]
   say("first/last at initialization: full pre-activation {a:.3g}, original ResNet {b:.3g}, plain {c:.3g}",
       a=r_pre, b=r_v1, c=init_ratio[PLAIN])
   check(r_pre > r_v1, "at initialization full pre-activation is less flat than the original ResNet",
         "full pre-activation {a:.3g}, original {b:.3g}", a=r_pre, b=r_v1)
   check(r_pre < init_ratio[PLAIN] / 10, "and still at least 10 times flatter than the BN plain net",
         "full pre-activation {a:.3g}, plain {c:.3g}", a=r_pre, c=init_ratio[PLAIN])
   ```
   `build_model(RESNET, widths=WIDTHS, design="full_preact")`. It is *less* flat than the
   original ResNet at initialization: 19 against 12.6 for seed 0, and in each of seeds 0–4
   (14.8 to 36.8 against 11.3 to 26.2). Both stay far flatter than the BN plain net (2,400). Why:
   in v1's unit a ReLU follows the addition and zeroes the gradient wherever $y_l < 0$, which trims
   what each branch adds on the way back; the full pre-activation unit has nothing after the
   addition, so every branch's term of Eq. 5 is added in full, and the gradient grows a little
   (additively) towards the input. A flat profile at initialization is not what v2's design buys:
   its gain is a shortcut path that is an exact identity, which shows when training very deep nets
   (ResNet-1001, lesson 06).
4. The first term contributes $\partial E/\partial x_L$ itself; for the whole batch's gradient to shrink much,
   $\frac{\partial}{\partial x_l}\sum F$ would have to be close to −1 (as a matrix, along the gradient's direction)
   for every sample. For v1's units $f = \mathrm{ReLU}$ after the addition, so $x_{l+1} \ne y_l$ where
   $y_l < 0$: the "1" is multiplied by ReLU's 0/1 mask.
""",
        zh=r"""
1. ```python
   from resnet_edu.models.anatomy import list_units
   by_depth = {}
   for d in (20, 56, 110):
       torch.manual_seed(0)
       plain_net = build_model(f"plain{d}", widths=WIDTHS)
       torch.manual_seed(0)
       res_net = build_model(f"resnet{d}", widths=WIDTHS)
       rp, rr = (probe_once(m, x, y).unit_output_grad_norm for m in (plain_net, res_net))
       by_depth[d] = (rp[0] / rp[-1], rr[0] / rr[-1])
       say("depth {d} ({units} units): plain {p:.3g}, ResNet {r:.3g}", d=d, units=len(list_units(res_net)),
           p=by_depth[d][0], r=by_depth[d][1])
   plain_growth = by_depth[110][0] / by_depth[56][0]
   res_growth = by_depth[110][1] / by_depth[56][1]
   check(plain_growth > 100, "from 56 to 110 layers the plain net's ratio grows over 100-fold",
         "it grows {g:.3g}-fold", g=plain_growth)
   check(res_growth < 10, "from 56 to 110 layers the ResNet's ratio grows less than 10-fold",
         "it grows {g:.3g}-fold", g=res_growth)
   ```
   普通网络的比值随深度按几何级数增长（雅可比矩阵连乘）：在真实图像上、随机种子 0，20 层为 14，56 层为 2,400，110 层为 3.4·10⁷：从 56 层到 110 层增长了 14,000 倍。残差网络增长得慢得多，依次为 3.9、12.6 和 63：从 56 层到 110 层只增长了 5 倍，因为每个单元是把自己分支在式 5 中的那一项**加**到梯度上，而不是乘上去。
2. ```python
   eval_ratio = {}
   for name in (PLAIN, RESNET):
       torch.manual_seed(0)
       model = build_model(name, widths=WIDTHS).eval()  # BN with its running statistics (0, 1)
       g = probe_once(model, x, y).unit_output_grad_norm
       eval_ratio[name] = g[0] / g[-1]
       say("{name} in eval mode: first/last = {r:.3g}", name=name, r=eval_ratio[name])
   check(0.01 < eval_ratio[PLAIN] < 10, "in eval mode the plain net behaves like the one without BN: ratio between 0.01 and 10",
         "it is {r:.3g}", r=eval_ratio[PLAIN])
   check(eval_ratio[RESNET] > 1000, "in eval mode the ResNet's gradient explodes toward the input: ratio above 1000",
         "it is {r:.3g}", r=eval_ratio[RESNET])
   ```
   在 `probe_once` 之前调用 `model.eval()`（探针在两种模式下都能用）。滑动统计量为 (0, 1)、缩放初始为 1、平移初始为 0 时，BN 在初始化时什么也不做，所以两个网络都像**不带 BN** 的网络。普通网络的比值降到 1 的量级（种子 0–2 上为 0.05 到 2.4），和第 3 节不带 BN 的网络一样：He 初始化让信号保持大小。残差网络则相反，梯度爆炸（种子 0 为 1.2·10⁴，种子 0–2 上为 4·10³ 到 5·10⁴）。没有归一化时，每个单元都在输入上加一个大小相当的分支（He 初始化让分支保持大小），所以梯度每往回经过一个单元，大约乘以 √2（恒等项加上一个大小相同、互相独立的项）：27 个单元就是约 $\sqrt{2}^{27} \approx 10^4$。这就是为什么不带归一化的残差网络需要让分支从很小开始（把最后一个 BN 的缩放初始化为零，或者 Fixup），也说明了训练模式下 BN 的归一化在这里有多重要。
3. ```python
   torch.manual_seed(0)
   preact = probe_once(build_model(RESNET, widths=WIDTHS, design="full_preact"), x, y).unit_output_grad_norm
   r_pre, r_v1 = preact[0] / preact[-1], init_ratio[RESNET]
   say("first/last at initialization: full pre-activation {a:.3g}, original ResNet {b:.3g}, plain {c:.3g}",
       a=r_pre, b=r_v1, c=init_ratio[PLAIN])
   check(r_pre > r_v1, "at initialization full pre-activation is less flat than the original ResNet",
         "full pre-activation {a:.3g}, original {b:.3g}", a=r_pre, b=r_v1)
   check(r_pre < init_ratio[PLAIN] / 10, "and still at least 10 times flatter than the BN plain net",
         "full pre-activation {a:.3g}, plain {c:.3g}", a=r_pre, c=init_ratio[PLAIN])
   ```
   `build_model(RESNET, widths=WIDTHS, design="full_preact")`。初始化时它反而**不如**原始残差网络平坦：种子 0 为 19 对 12.6，种子 0–4 每一个都是如此（14.8 到 36.8 对 11.3 到 26.2）。两者都比带 BN 的普通网络（2,400）平坦得多。原因是：v1 的单元在相加之后有 ReLU，在 $y_l < 0$ 的位置把梯度置零，削掉了每个分支在反向传播中加进来的一部分；完全预激活单元在相加之后什么也没有，所以式 5 中每个分支的项都完整地加上去，梯度朝输入端（以相加的方式）略有增长。初始化时曲线平坦并不是 v2 的设计带来的好处：它的好处是捷径通路是严格的恒等映射，这在训练极深的网络时才显现出来（ResNet-1001，第 06 课）。
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

# What the code prints (say) and checks (check), in Chinese: lessons/build.py -> lessons/zh/texts.json.
TEXTS_ZH = {
    "{n_train:,} training and {n_test:,} test images; {plain} vs {resnet}, widths {widths}":
        "{n_train:,} 张训练图像、{n_test:,} 张测试图像；{plain} 对比 {resnet}，各阶段宽度 {widths}",
    "{label:>22}: first unit / last unit = {ratio:10.2f}": "{label:>22}：第一个单元 / 最后一个单元 = {ratio:10.2f}",
    "at initialization the BN plain net's gradient grows toward the input: first/last above 100":
        "初始化时，带 BN 的普通网络的梯度朝输入端变大：首尾比值大于 100",
    "it is {r:.3g}": "实际为 {r:.3g}",
    "the ResNet's ratio is at least 10 times smaller than the BN plain net's": "残差网络的比值比带 BN 的普通网络小至少 10 倍",
    "ResNet {r:.3g}, plain {p:.3g}": "残差网络 {r:.3g}，普通网络 {p:.3g}",
    "without BN the ratio lies between 0.01 and 1: it neither explodes nor vanishes":
        "不带 BN 时比值在 0.01 到 1 之间：既没有爆炸，也没有消失",
    "training on {used:,} images": "用 {used:,} 张图像训练",
    "{name}: {n} probe records at steps {steps}": "{name}：{n} 次探针记录，所在步数：{steps}",
    "{name}: first/last unit ratio at step {s0}: {r0:.1f}, at step {s1}: {r1:.2f}":
        "{name}：首尾单元比值，第 {s0} 步为 {r0:.1f}，第 {s1} 步为 {r1:.2f}",
    "final training error: {plain} {p:.1f} %, {resnet} {r:.1f} %": "最终训练误差：{plain} 为 {p:.1f}%，{resnet} 为 {r:.1f}%",
    "at the first probe the plain net's ratio is over 10 times the ResNet's": "第一次记录时，普通网络的比值是残差网络的 10 倍以上",
    "plain {p:.3g}, ResNet {r:.3g}": "普通网络 {p:.3g}，残差网络 {r:.3g}",
    "the gap does not persist: at the last probe both ratios lie between 0.1 and 10":
        "差距没有保持下去：最后一次记录时，两个比值都在 0.1 到 10 之间",
    "the plain net still ends with the higher training error": "普通网络最终的训练误差仍然更高",
    "plain {p:.1f} %, ResNet {r:.1f} %": "普通网络 {p:.1f}%，残差网络 {r:.1f}%",
    "{name}: mean response std, first layer of each unit {a:.3f}, second layer {b:.3f} (step {step})":
        "{name}：响应标准差的均值，每个单元第一层 {a:.3f}，第二层 {b:.3f}（第 {step} 步）",
    "the ResNet's second-layer responses are smaller than the plain net's": "残差网络每个单元第二层的响应比普通网络小",
    "ResNet {r:.3f}, plain {p:.3f}": "残差网络 {r:.3f}，普通网络 {p:.3f}",
    # exercises
    "depth {d} ({units} units): plain {p:.3g}, ResNet {r:.3g}": "深度 {d}（{units} 个单元）：普通网络 {p:.3g}，残差网络 {r:.3g}",
    "from 56 to 110 layers the plain net's ratio grows over 100-fold": "从 56 层到 110 层，普通网络的比值增长 100 倍以上",
    "it grows {g:.3g}-fold": "实际增长 {g:.3g} 倍",
    "from 56 to 110 layers the ResNet's ratio grows less than 10-fold": "从 56 层到 110 层，残差网络的比值增长不到 10 倍",
    "{name} in eval mode: first/last = {r:.3g}": "{name}（评估模式）：首尾比值 = {r:.3g}",
    "in eval mode the plain net behaves like the one without BN: ratio between 0.01 and 10":
        "评估模式下，普通网络的表现像不带 BN 的网络：比值在 0.01 到 10 之间",
    "in eval mode the ResNet's gradient explodes toward the input: ratio above 1000":
        "评估模式下，残差网络的梯度朝输入端爆炸：比值大于 1000",
    "first/last at initialization: full pre-activation {a:.3g}, original ResNet {b:.3g}, plain {c:.3g}":
        "初始化时的首尾比值：完全预激活 {a:.3g}，原始残差网络 {b:.3g}，普通网络 {c:.3g}",
    "at initialization full pre-activation is less flat than the original ResNet": "初始化时，完全预激活不如原始残差网络平坦",
    "full pre-activation {a:.3g}, original {b:.3g}": "完全预激活 {a:.3g}，原始 {b:.3g}",
    "and still at least 10 times flatter than the BN plain net": "但仍比带 BN 的普通网络平坦至少 10 倍",
    "full pre-activation {a:.3g}, plain {c:.3g}": "完全预激活 {a:.3g}，普通网络 {c:.3g}",
}
