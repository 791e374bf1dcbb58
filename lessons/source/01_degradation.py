"""Lesson 01: the degradation problem. Plain-20 vs plain-56 side by side; not overfitting, not vanishing gradients."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 01 · The degradation problem

**The question.** Does a deeper plain network train worse than a shallower one, and if so, why?

**The paper's claim** (v1 §1, Fig. 1; §4.2, Fig. 6 left): on CIFAR-10, a 56-layer plain network
has **higher training error** than a 20-layer plain network throughout training, and therefore
higher test error too. Two easy explanations do not fit:

- **Overfitting?** No. Overfitting means low training error and high test error. Here the deeper
  net is worse *on the training set itself*.
- **Vanishing gradients?** v1 §4.1 says no, for these nets: they use batch normalization (BN),
  which keeps forward signals at non-zero variance, and the authors verified that backward
  gradients have healthy norms. They conjecture instead that deep plain nets "may have
  exponentially low convergence rates": an **optimization difficulty**.

In this lesson you train plain-20 and plain-56 on the same batches, plot training and test error,
and measure the gradient norm that reaches every block.
""",
        zh=r"""
# 01 · 退化问题

**本课的问题：** 更深的普通网络真的比浅的训练得更差吗？如果是，原因是什么？

**论文的结论**（v1 §1、图 1；§4.2、图 6 左图）：在 CIFAR-10 上，56 层普通网络在整个训练过程中的**训练误差**都比 20 层普通网络高，测试误差自然也更高。两种最容易想到的解释都说不通：

- **过拟合？** 不是。过拟合的特征是训练误差低、测试误差高；而这里更深的网络在训练集上就已经更差了。
- **梯度消失？** v1 §4.1 明确说，对这些网络而言不是：它们用了批归一化（BN），前向传播的信号方差不会趋于零；作者还验证过，反向传播的梯度范数也是健康的。作者推测，深层普通网络的收敛速度可能低到指数级：这是一种**优化困难**。

本课让 plain-20 和 plain-56 在完全相同的批次上一起训练，画出训练误差和测试误差曲线，并测量反向传播到达每个块的梯度范数。
""",
    ),
    code(r"""
import matplotlib.pyplot as plt
import numpy as np

from resnet_edu.training.config import preset
from resnet_edu.training.notebook import curves, lesson_data, pick, train

# CIFAR-10 when it is in data/, else procedural shapes generated in memory (same shapes as CIFAR-10).
DATASET, data = lesson_data(n_train=pick(full=5_000, smoke=256), n_test=pick(full=1_000, smoke=128))
print(data[0])
"""),
    md(
        en=r"""
## The smallest experiment

One config describes the run. The `quick` preset is a scaled-down version of the paper's recipe
that fits a laptop: narrower stages (8, 16, 32 filters instead of 16, 32, 64), 5,000 training
images, 450 steps of batch 64, lr 0.1 divided by 10 near the end, and a short warm-up at lr 0.01
(v1 §4.2 uses it for ResNet-110). Both models see **exactly the same batches** in the same order
and start from the same seed: they differ by depth, and by one thing that follows from it: each
net leaves the warm-up on its own, when its training error falls below 80 % (at step 100 at the
latest), so one may switch to lr 0.1 a few steps before the other (printed below the run).
`probe_every` asks the trainer to record, every so many steps, the gradient norm that arrives at
each block.

**Time.** In full mode this lesson took 6.5 to 7.5 min on this project's 2-core CPU at a load
average of about 7, nearly all of it in this run (12 min at a load of about 20; lessons/README.md
lists the measured times).

In smoke mode (the test suite), everything shrinks to a few steps on tiny nets; the curves then
show nothing, they only prove the code runs.
""",
        zh=r"""
## 最小的实验

一次训练任务由一个配置描述。`quick` 预设是论文训练方案的缩小版，笔记本电脑也能跑：各阶段更窄（8、16、32 个滤波器，而不是 16、32、64），5,000 张训练图像，批大小 64 训练 450 步，学习率 0.1、临近结束时除以 10，开头还有一段学习率 0.01 的短暂预热（v1 §4.2 在 ResNet-110 上用过这个办法）。两个模型看到的是**完全相同的批次**、顺序也相同，而且从同一个随机种子开始：它们的区别在于深度；另有一点由此而来的不同：每个网络各自结束预热（训练误差降到 80% 以下时，最迟第 100 步），所以两者切换到学习率 0.1 的时间可能相差几步（训练结束后会打印出来）。`probe_every` 让训练器每隔若干步记录一次到达每个块的梯度范数。

**耗时。** 在完整模式下，本课在本项目的 2 核 CPU 上、平均负载约 7 时用了 6.5 到 7.5 分钟，几乎全花在这次训练上（负载约 20 时为 12 分钟；实测耗时见 lessons/README.zh.md）。

在冒烟模式下（测试时使用），一切都缩小为几步、极小的网络；那时的曲线说明不了任何问题，只是证明代码能跑通。
""",
    ),
    code(r"""
config = preset(
    "quick", dataset=DATASET, models=("plain20", "plain56"),
    widths=pick(full=(8, 16, 32), smoke=(4, 8, 8)),
    batch_size=pick(full=64, smoke=16), steps=pick(full=450, smoke=6),
    milestones=pick(full=(350,), smoke=(4,)), log_every=pick(full=10, smoke=2),
    eval_every=pick(full=150, smoke=3), probe_every=pick(full=150, smoke=3), seed=0,
    fast=pick(full=True, smoke=False))  # bf16 on a CPU pays off for full-size nets only
print(config)
events = train(config, data=data)
for model in config.models:  # the step at which each net left the warm-up (lr 0.01 -> 0.1)
    warm_end = next((e.step for e in events if getattr(e, "model", None) == model
                     and getattr(e, "lr", 0) >= config.lr), None)
    if warm_end is None:
        say("{model}: warm-up (lr 0.01) to the end of the run", model=model)
    else:
        say("{model}: warm-up (lr 0.01) over by step {step}", model=model, step=warm_end)
"""),
    md(
        en=r"""
## Something to look at: training error *and* test error

Training error is measured on the augmented training batches as the run goes (averaged over each
logging window); test error on the held-out images, in eval mode, every `eval_every` steps.
""",
        zh=r"""
## 动手看一看：训练误差和测试误差

训练误差是在训练过程中、在经过数据增强的训练批次上统计的（每个记录窗口内取平均）；测试误差则每隔 `eval_every` 步，在评估模式下、在留出的测试图像上计算。
""",
    ),
    code(r"""
def smooth(values, k=5):
    '''Moving average over k logged points: training error per window is noisy.'''
    values = np.asarray(values, dtype=float)
    k = max(1, min(k, len(values)))
    return np.convolve(values, np.ones(k) / k, mode="valid")


train_err, test_err = curves(events, "train_error"), curves(events, "test_error")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for model, (steps, errors) in train_err.items():
    k = 5 if len(errors) > 10 else 1
    ax1.plot(steps[k - 1:], 100 * smooth(errors, k), label=model)
for model, (steps, errors) in test_err.items():
    ax2.plot(steps, 100 * np.asarray(errors), marker="o", label=model)
ax1.set(title=T("training error (smoothed)"), xlabel=T("step"), ylabel=T("error (%)"))
ax2.set(title=T("test error"), xlabel=T("step"))
for ax in (ax1, ax2):
    ax.legend()
plt.show()

final_train = {m: 100 * np.mean(train_err[m][1][-5:]) for m in config.models}  # %, last 5 logs
final_test = {m: 100 * test_err[m][1][-1] for m in config.models}  # %, the last evaluation
for model in config.models:
    say("{model}: final training error {train:.1f} %, test error {test:.1f} %",
        model=model, train=final_train[model], test=final_test[model])
p20, p56 = final_train["plain20"], final_train["plain56"]
check(p56 > p20, "degradation: plain-56's final training error is above plain-20's",
      "plain-56 {p56:.1f} % vs plain-20 {p20:.1f} %", p56=p56, p20=p20)
gap = max(final_test[m] - final_train[m] for m in config.models)
check(gap < 5, "neither net overfits: its test error is at most 5 points above its training error",
      "test error exceeds training error by {gap:.1f} points", gap=gap)
if DATASET == "cifar10":  # the levels the next cell quotes hold for real images only
    check(all(55 < v < 88 for v in final_train.values()),
          "on CIFAR-10 both nets end between 55 and 88 % training error: learning, but far above the paper's",
          "plain-20 {p20:.1f} %, plain-56 {p56:.1f} %", p20=p20, p56=p56)
"""),
    md(
        en=r"""
## What it means

Compare the *left* panel first. If plain-56 sits above plain-20 there, the deeper net is worse at
fitting the very images it trains on: that is degradation, and it rules out overfitting as the
cause. The test error (right) follows the training error, as in v1 Fig. 1.

Be careful with one short run: this is a narrow net, a few hundred steps and one seed. The gap
between neighbouring depths can be as large as the noise from the seed, so the honest way to read
it is over several seeds (exercise 1). In v1 Fig. 6 (left), with the full recipe (64k iterations,
full width), plain nets get steadily worse with depth: 20 < 32 < 44 < 56 in training error. v1
gives plain nets only as these curves: its Table 6 lists ResNets alone (ResNet-56: 6.97 % test
error), so no plain-net number in this lesson is the paper's.

> **Not from the paper.** An independent reproduction of v1's CIFAR-10 runs with the paper's
> recipe, [nabla0001/resnet](https://github.com/nabla0001/resnet) (mean ± std over 5 runs),
> measured plain-20 at 9.78 ± 0.13 % and plain-56 at 12.95 ± 0.22 % test error.

**What error to expect here.** Far above those 10–13 %, and that is not a bug. Random guessing is
90 % error on ten classes. With real CIFAR-10 images, the `quick` run above ends somewhere around
60–85 % for both nets (the numbers printed under the plot; we saw 66 % training error for plain-20
and 77 % for plain-56, with test errors no higher). The nets are **undertrained**: the run sees
about 30,000 images in all (450 steps × 64, about six passes over 5,000 images) where the paper's
run sees 8.2 million (64k steps × 128, about 180 passes over 45,000 images), and its nets are half
as wide, with about a quarter of the parameters. It is not that they fit the small training set
and fail on new images: their test error is no higher than their training error (the check
above). The training error can even sit above the test error, because it is measured on augmented
batches, in training mode, averaged over a window while the net is still improving. The question
this run answers is not "how good can a net get" but
"which of two nets, trained the same way, fits its training images better". On the synthetic
set (the fallback without CIFAR-10) the numbers mean even less: compare the curves, not the levels.

## The same on ImageNet (v1 Table 2, Fig. 4)

v1 §1 shows degradation with CIFAR-10 (Fig. 1) and notes that earlier work had already reported
it (its refs. [11, 42]); §4.1 finds the same on ImageNet. Top-1 error on the validation set
(v1 Table 2, 10-crop testing):

| | 18 layers | 34 layers |
|---|---|---|
| plain | 27.94 % | 28.54 % |
| ResNet | 27.88 % | 25.03 % |

The 34-layer plain net is *worse* than the 18-layer one, and v1 Fig. 4 (left) shows it has higher
training error throughout training; with shortcuts the order flips, and 34 layers beat 18 by
almost 3 points. At 18 layers the two are about equally accurate, but the ResNet converges faster
early on (v1 §4.1: "ResNet eases the optimization by providing faster convergence at the early
stage"). The sudden steps down in every curve of Fig. 4 are where the learning rate is divided by
10 (v1 §3.4: when the error plateaus); the `quick` preset's single drop at step 350 makes the same
kind of step in the plot above.

## Are the gradients vanishing?

The trainer recorded, at several steps, $\lVert \partial E / \partial x_{l+1} \rVert$, the norm
of the gradient of the loss with respect to the output of every block $l$. If the gradients
vanished, this norm would fall off exponentially as we move from the last block back to the first.
""",
        zh=r"""
## 这说明了什么

先看左边的图。如果 plain-56 的曲线在 plain-20 之上，就说明更深的网络连它自己训练用的图像都拟合得更差：这就是退化，也排除了过拟合这个解释。右边的测试误差跟着训练误差走，和 v1 图 1 一致。

对一次短训练要保持谨慎：网络很窄，只训练了几百步，而且只用了一个随机种子。相邻深度之间的差距，可能和换一个随机种子带来的波动差不多大，所以稳妥的做法是比较多个随机种子的结果（练习 1）。在 v1 图 6（左图）中，用完整的训练方案（64k 次迭代、完整宽度），普通网络的训练误差随深度稳定地变差：20 < 32 < 44 < 56。v1 只以这些曲线给出普通网络的结果：它的表 6 只列了残差网络（ResNet-56 的测试误差为 6.97%），所以本课中普通网络的数字都不是论文里的。

> **以下不是论文的数字。** 一项用论文训练方案对 v1 的 CIFAR-10 实验所做的独立复现 [nabla0001/resnet](https://github.com/nabla0001/resnet)（5 次运行的均值 ± 标准差）测得：plain-20 的测试误差为 9.78 ± 0.13%，plain-56 为 12.95 ± 0.22%。

**这里该看到多大的误差。** 远高于上面的 10–13%，这不是程序出错。十个类别随机猜，误差是 90%。用真实的 CIFAR-10 图像，上面的 `quick` 训练结束时，两个网络的误差大约都在 60–85% 之间（见图下打印的数字；我们看到的训练误差是 plain-20 约 66%、plain-56 约 77%，测试误差都不比它们高）。这两个网络是**训练不足**：这次训练总共只看了约 30,000 张图像（450 步 × 64，约为 5,000 张图像过 6 遍），而论文的训练看了 820 万张（64k 步 × 128，约为 45,000 张图像过 180 遍）；它的网络宽度只有一半，参数约为四分之一。并不是它们记住了这一小份训练集、却在新图像上失手：它们的测试误差并不比训练误差高（见上面的核对）。训练误差甚至可能高于测试误差，因为它是在经过增强的批次上、在训练模式下、在网络仍在进步的一段窗口内取平均得到的。这次训练要回答的不是"网络最好能做到多好"，而是"用同样方式训练的两个网络，谁能把训练图像拟合得更好"。在合成数据集上（没有 CIFAR-10 时的替代），这些数字的意义更小：比较曲线的相对位置，而不是数值高低。

## 在 ImageNet 上也一样（v1 表 2、图 4）

v1 §1 用 CIFAR-10 展示退化（图 1），并指出此前的工作已经报告过这一现象（其参考文献 [11, 42]）；§4.1 在 ImageNet 上看到了同样的情况。验证集上的 top-1 错误率（v1 表 2，10-crop 测试）：

| | 18 层 | 34 层 |
|---|---|---|
| 普通网络 | 27.94% | 28.54% |
| ResNet | 27.88% | 25.03% |

34 层的普通网络比 18 层的**更差**，而且 v1 图 4（左）显示它在整个训练过程中训练误差都更高；加上捷径连接后顺序反了过来，34 层比 18 层好了将近 3 个百分点。18 层时两者精度相当，但 ResNet 在训练初期收敛得更快（v1 §4.1：ResNet 在训练早期收敛更快，从而让优化更容易）。图 4 中每条曲线上那些突然的下台阶，都出现在学习率除以 10 的地方（v1 §3.4：误差停滞时降低学习率）；`quick` 预设在第 350 步的那一次下降，也会在上面的图里造成同样的台阶。

## 梯度消失了吗？

训练器在若干步记录了 $\lVert \partial E / \partial x_{l+1} \rVert$，即损失对每个块 $l$ 的输出的梯度范数。如果梯度消失，那么从最后一个块往回走到第一个块，这个范数应该按指数衰减。
""",
    ),
    code(r"""
probe_events = [e for e in events if getattr(e, "probes", None)]
ratio = {model: {} for model in config.models}  # {model: {step: first block / last block}}
fig, axes = plt.subplots(1, len(config.models), figsize=(11, 3.6), sharey=True)
for ax, model in zip(axes, config.models):
    records = [e for e in probe_events if e.model == model]
    for e in records:
        norms = e.probes["unit_output_grad_norm"]
        ratio[model][e.step] = norms[0] / norms[-1]
        ax.semilogy(range(len(norms)), norms, marker=".", label=T("step {n}").format(n=e.step))
        say("{model}, step {step:>3}: first block / last block gradient norm = {ratio:9.2f}  "
            "(min {low:.2e}, max {high:.2e})", model=model, step=e.step, ratio=ratio[model][e.step],
            low=min(norms), high=max(norms))
    ax.set(title=model, xlabel=T("block (input side → output side)"))
    ax.legend(fontsize=8)
axes[0].set_ylabel(r"$\|\partial E/\partial x_{l+1}\|$")
plt.show()

first = {model: r[min(r)] for model, r in ratio.items()}  # at the first probe (step 1)
check(first["plain56"] > 100, "at step 1, plain-56's first/last gradient ratio is far from 1 (above 100)",
      "it is {r:.3g}", r=first["plain56"])
check(first["plain20"] < first["plain56"], "at step 1, plain-20's ratio is smaller than plain-56's",
      "plain-20 {r20:.3g}, plain-56 {r56:.3g}", r20=first["plain20"], r56=first["plain56"])
lowest = min(min(r.values()) for r in ratio.values())
check(lowest > 1e-2, "no gradient vanishes: every ratio of both nets, at every probed step, is above 0.01",
      "the lowest is {low:.2e}", low=lowest)
later = [v for r in ratio.values() for step, v in r.items() if step >= pick(full=300, smoke=3)]
check(all(0.1 < v < 10 for v in later),
      "from step 300 on, every ratio lies between 0.1 and 10",
      "the ratios run from {low:.2f} to {high:.2f}", low=min(later), high=max(later))
"""),
    md(
        en=r"""
## What it means

Read the ratio "first block / last block" at each probed step. Vanishing gradients would make it
tiny (say $10^{-5}$ for 27 blocks). It is not tiny at any step, but it is not constant either:

- **At the start** (the first probe) the ratio of plain-56 is *large*: in full mode on real
  CIFAR-10 images we saw 2,825 at step 1 (plain-20: 18). The gradient *grows* as it goes back towards the
  input. That is a known property of deep plain nets with BN at initialization: each BN layer
  divides the backward signal by the standard deviation of its input batch, and at random
  weights the product over many layers grows with depth (Yang et al. 2019 proved such a gradient
  explosion for deep BN nets at random initialization). Plain-20 has fewer layers to multiply
  over, so its ratio starts much smaller.
- **From step 150 on** the ratio of both nets stays within a factor of about 20 of 1: training
  has rescaled the weights and BN's scales. It is not the same in every run. At step 150, just
  after the warm-up, it is still unsettled: runs with seed 0 have given plain-56 anything from
  0.15 to 15 (small changes to the setup, such as a third net trained beside, move it; on our
  machine this notebook gave 15), and seeds 1 and 2 gave 0.3 and 2.8. At steps 300 and 450, over
  seeds 0–2, it lies between 0.7 and 5.6 (the check above asks for 0.1 to 10 from step 300 on). So the curve is not flat, and its tilt can point either way: 0.15
  means the gradient falls about 7× from the last block to the first. But vanishing would be an
  *exponential* fall-off over 27 blocks, thousands of times or more, and nothing like it appears.

So the per-block gradients never vanish: early on they do the opposite. That is what
v1 §4.1 checked, on its ImageNet plain-34 with BN: the backward signals "exhibit healthy norms",
meaning they do not vanish; it did not claim they are equal across depth. The extra depth does
not stop gradients from arriving; it makes the loss harder to *optimize*: SGD gets usable
gradients and still reaches a worse training error.

This is why we keep the wording precise in every lesson: ResNets make deep nets *easier to
optimize*. That they do it by giving the gradient a clean additive path is v2's analysis (lesson 05),
and it matters most where signals would otherwise degrade (very deep nets, or nets without BN).

## Summary

- Degradation: the deeper plain net has *higher training error* (v1 Fig. 1, Fig. 6 left).
- It is not overfitting: the training error is higher, not only the test error.
- With BN it is not vanishing gradients either (v1 §4.1): the measured per-block gradient norms
  never fall off exponentially towards the input. At initialization they even grow (by thousands
  in plain-56); right after the warm-up the first block's norm can still be 15 times above or 7 times
  below the last block's, and after a few hundred steps it is within a small factor (0.7 to 5.6
  at steps 300 and 450 over seeds 0–2).
- Expect 60–85 % error from this short, narrow run: the nets are undertrained, not overfit. With
  the full recipe plain nets reach about 10–13 % test error (the reproduction quoted above; v1
  plots them only as curves), and ResNet-56 6.97 % (v1 Table 6).
- v1 reads it as an optimization difficulty; lesson 02 shows the residual reformulation that
  removes it.
""",
        zh=r"""
## 这说明了什么

看每个记录步上"第一个块 / 最后一个块"这个比值。如果梯度消失，经过 27 个块之后，这个比值会非常小（比如 $10^{-5}$）。它在任何一步都不小，但也不是一成不变：

- **刚开始时**（第一次记录），plain-56 的比值**很大**：我们在完整模式、真实 CIFAR-10 图像上看到第 1 步为 2,825（plain-20 为 18）。梯度在往输入方向回传时反而变大了。这是带 BN 的深层普通网络在初始化时的已知性质：每个 BN 层都会把反向信号除以它输入批次的标准差，在随机权重下，许多层连乘起来的结果随深度增长（Yang 等 2019 证明了深层 BN 网络在随机初始化时的这种梯度爆炸）。plain-20 要连乘的层少，比值起点也小得多。
- **从第 150 步起**，两个网络的比值都与 1 相差不到 20 倍左右：训练已经重新调整了权重和 BN 的缩放。这个比值每次运行并不相同。第 150 步刚结束预热，比值还不稳定：随机种子 0 的几次运行中，plain-56 的比值从 0.15 到 15 都出现过（对设置稍作改动，比如旁边再训练一个网络，它就会变；本笔记本在我们的机器上给出 15），种子 1 和 2 分别为 0.3 和 2.8。到第 300 步和第 450 步，种子 0–2 的比值都在 0.7 到 5.6 之间（上面的核对要求从第 300 步起在 0.1 到 10 之间）。所以曲线并不平，而且倾斜方向可正可反：0.15 意味着梯度从最后一个块到第一个块下降了约 7 倍。但梯度消失指的是经过 27 个块的**指数级**衰减，会差出几千倍甚至更多，这里完全看不到。

所以逐块的梯度从来没有消失；在训练初期甚至正好相反。这才是 v1 §4.1 检查的内容：在 ImageNet 上带 BN 的 plain-34 里，反向传播的信号"梯度范数健康"，意思是梯度没有消失；它并没有说梯度在各个深度都相等。多出来的深度并没有让梯度传不回来，而是让损失更难**优化**：SGD 拿到的梯度是可用的，可训练误差照样更高。

所以每一课都坚持这样精确的说法：ResNet 让深层网络**更容易优化**。至于它是通过给梯度提供一条干净的"加法通路"做到这一点的，那是 v2 的分析（第 05 课）；在信号本来就容易衰减的情况下（极深的网络，或者没有 BN 的网络），这条通路尤其重要。

## 小结

- 退化：更深的普通网络**训练误差**更高（v1 图 1、图 6 左图）。
- 这不是过拟合：更高的是训练误差，而不只是测试误差。
- 有 BN 时，这也不是梯度消失（v1 §4.1）：实测的逐块梯度范数从不向输入方向按指数衰减。初始化时它们甚至会增长（plain-56 中增长几千倍）；刚结束预热时，第一个块的范数仍可能是最后一个块的 15 倍，或者只有它的七分之一；训练几百步后，两者只相差一个很小的倍数（种子 0–2 在第 300 步和第 450 步为 0.7 到 5.6）。
- 这次又短又窄的训练，误差在 60–85% 左右是正常的：网络是训练不足，而不是过拟合。用完整的训练方案，普通网络的测试误差约为 10–13%（上面引用的复现；v1 只以曲线给出），ResNet-56 为 6.97%（v1 表 6）。
- v1 把它解释为优化困难；第 02 课介绍消除它的残差改写。
""",
    ),
    md(
        en=r"""
## Exercises

**Time.** Exercise 1 trains the lesson's config twice more (about twice the lesson's run: 15 min
at a load of about 7 on this project's 2-core CPU); exercise 2 trains it once more with a third,
56-layer net (about 1.7× the lesson's run); exercise 3 is one batch, seconds.

1. **Seeds.** Train the same config with `seed=1` and `seed=2` (`dataclasses.replace(config, seed=s)`);
   with the lesson's run (seed 0) that makes three. Print the final training error of each model as
   mean ± std over the three seeds. Is the gap between plain-20 and plain-56 larger than the spread
   between seeds?
2. **Add the residual net.** Put `"resnet56"` in `models` next to the two plain nets. Where does
   its training error curve sit? (Lesson 02 explains why.)
3. **Take BN away.** v1 §4.1's argument rests on BN. Build `plain56` without BN (the model entry
   `"plain56:batchnorm=false"`, the same grammar as a config's) and measure the per-block gradient
   norms of one batch at initialization with `resnet_edu.Probe`. Compare the first/last ratio with
   the BN net's.
""",
        zh=r"""
## 练习

**耗时。** 练习 1 把本课的配置再训练两遍（约为本课那次训练的两倍：在本项目的 2 核 CPU 上、平均负载约 7 时约 15 分钟）；练习 2 再训练一遍，多加第三个 56 层网络（约为本课那次的 1.7 倍）；练习 3 只算一个批次，几秒钟。

1. **随机种子。** 用 `seed=1` 和 `seed=2` 再训练同一个配置（`dataclasses.replace(config, seed=s)`），加上本课那次（种子 0）一共三次。打印每个模型最终训练误差在三个种子上的"均值 ± 标准差"。plain-20 与 plain-56 之间的差距，比随机种子带来的波动更大吗？
2. **加入残差网络。** 在 `models` 中把 `"resnet56"` 和两个普通网络放在一起。它的训练误差曲线落在哪里？（第 02 课会解释原因。）
3. **去掉 BN。** v1 §4.1 的论证建立在 BN 之上。搭建不带 BN 的 `plain56`（模型名写作 `"plain56:batchnorm=false"`，与配置中的写法相同），用 `resnet_edu.Probe` 测量初始化时一个批次上的逐块梯度范数，并把首尾比值与带 BN 的网络比较。
""",
    ),
    hint(
        en=r"""
1. ```python
   import dataclasses
   runs = {0: events}  # seed 0 is the lesson's run: two more
   for s in (1, 2):
       runs[s] = train(dataclasses.replace(config, seed=s), data=data)
   finals = {m: np.array([100 * np.mean(curves(ev, "train_error")[m][1][-5:]) for ev in runs.values()])
             for m in config.models}  # % per seed
   for m, v in finals.items():
       say("{model}: {mean:.1f} ± {std:.1f} % over seeds 0-2", model=m, mean=v.mean(), std=v.std())
   gaps = finals["plain56"] - finals["plain20"]  # points, per seed
   check(gaps.min() > 0, "plain-56 ends above plain-20 for every seed", "the gaps per seed: {gaps}",
         gaps=np.round(gaps, 1).tolist())
   spread = max(finals["plain20"].std(), finals["plain56"].std())
   check(gaps.mean() > 2 * spread, "the mean gap is more than twice the larger spread between seeds",
         "gap {gap:.1f} points, spread {spread:.1f}", gap=gaps.mean(), spread=spread)
   ```
   Yes, by far, on real images. Over seeds 0–2 plain-20 ended at 66.1 ± 0.7 % and plain-56 at
   80.2 ± 2.5 % final training error (our runs): plain-56 was 11 to 17 points behind in every seed,
   several times the spread. Note that plain-56's spread is about four times plain-20's: the
   deeper plain net is also the less predictable one. With neighbouring depths (plain-20 against
   plain-32) or on the synthetic set the gap can shrink to the size of the spread; that is why v1's
   curves and the reproduction above use the full schedule, and why the reproduction reports five
   runs.
2. ```python
   ev = train(dataclasses.replace(config, models=("plain20", "plain56", "resnet56")), data=data)
   final = {m: 100 * np.mean(errs[-5:]) for m, (steps, errs) in curves(ev, "train_error").items()}
   say("final training error: plain-20 {p20:.1f} %, plain-56 {p56:.1f} %, ResNet-56 {r56:.1f} %",
       p20=final["plain20"], p56=final["plain56"], r56=final["resnet56"])
   check(final["resnet56"] < final["plain56"], "ResNet-56 ends below plain-56",
         "ResNet-56 {r56:.1f} % vs plain-56 {p56:.1f} %", r56=final["resnet56"], p56=final["plain56"])
   ```
   With the same parameters as plain-56, ResNet-56 ends far below it: in our seed-0 run on real
   images, 65.9 % against 77.4 % final training error. Against plain-20 (66.0 %) it is level after
   these 450 steps: the deeper residual net has caught up with the shallow plain one, not yet
   passed it. With the full schedule v1 Fig. 6 shows deeper ResNets ending lower (lesson 04 has
   the same trap of short runs).
3. ```python
   import torch, torch.nn.functional as F
   from resnet_edu.models import build_model
   from resnet_edu.training.probes import Probe
   from resnet_edu.data import normalize, dataset_mean_std
   x = normalize(data[0].images[:64], *dataset_mean_std(data[0].name))
   y = data[0].labels[:64]
   first_last = {}
   for entry in ("plain56", "plain56:batchnorm=false"):
       torch.manual_seed(0)
       net = build_model(entry, widths=config.widths)
       with Probe(net) as probe:
           probe.arm()
           F.cross_entropy(net(x), y).backward()
           g = probe.read().unit_output_grad_norm
       first_last[entry] = g[0] / g[-1]
       say("{entry}: first/last = {r:.3g}", entry=entry, r=first_last[entry])
   bn, no_bn = first_last["plain56"], first_last["plain56:batchnorm=false"]
   check(bn > 100, "with BN the gradient grows toward the input: first/last above 100", "it is {r:.3g}", r=bn)
   check(0.01 < no_bn < 1, "without BN it shrinks a little toward the input: first/last between 0.01 and 1",
         "it is {r:.3g}", r=no_bn)
   ```
   With BN the ratio at initialization is in the thousands (we saw 2,200 to 9,000 over seeds 0–4 on
   real images): the BN net's gradient *grows* towards the input, as the lesson's step-1 probe
   showed. Without BN it is 0.05 to 0.4: the gradient shrinks a little over 27 blocks, nothing like
   vanishing. That is He initialization at work (He et al. 2015, the init v1 uses): weights drawn
   with variance 2/fan-in keep the size of the signal, forward and backward, about constant through
   ReLU layers. So at initialization BN is what makes the gradient *uneven*, not what keeps it from
   vanishing; v1 §4.1's point about BN is that forward signals keep non-zero variance and backward
   gradients keep healthy norms in its nets, which all have BN. Lesson 05 measures the same three
   kinds of nets side by side.
""",
        zh=r"""
1. ```python
   import dataclasses
   runs = {0: events}  # seed 0 is the lesson's run: two more
   for s in (1, 2):
       runs[s] = train(dataclasses.replace(config, seed=s), data=data)
   finals = {m: np.array([100 * np.mean(curves(ev, "train_error")[m][1][-5:]) for ev in runs.values()])
             for m in config.models}  # % per seed
   for m, v in finals.items():
       say("{model}: {mean:.1f} ± {std:.1f} % over seeds 0-2", model=m, mean=v.mean(), std=v.std())
   gaps = finals["plain56"] - finals["plain20"]  # points, per seed
   check(gaps.min() > 0, "plain-56 ends above plain-20 for every seed", "the gaps per seed: {gaps}",
         gaps=np.round(gaps, 1).tolist())
   spread = max(finals["plain20"].std(), finals["plain56"].std())
   check(gaps.mean() > 2 * spread, "the mean gap is more than twice the larger spread between seeds",
         "gap {gap:.1f} points, spread {spread:.1f}", gap=gaps.mean(), spread=spread)
   ```
   是的，在真实图像上差距大得多。在种子 0–2 上，plain-20 的最终训练误差为 66.1 ± 0.7%，plain-56 为 80.2 ± 2.5%（我们的运行）：每个种子下 plain-56 都落后 11 到 17 个百分点，是波动的好几倍。注意 plain-56 的波动约为 plain-20 的四倍：更深的普通网络也更难预测。比较相邻的深度（例如 plain-20 与 plain-32），或者在合成数据集上，差距可能缩小到与波动相当；这就是为什么 v1 的曲线和上面提到的复现都用完整的训练方案，而且复现报告了 5 次运行的结果。
2. ```python
   ev = train(dataclasses.replace(config, models=("plain20", "plain56", "resnet56")), data=data)
   final = {m: 100 * np.mean(errs[-5:]) for m, (steps, errs) in curves(ev, "train_error").items()}
   say("final training error: plain-20 {p20:.1f} %, plain-56 {p56:.1f} %, ResNet-56 {r56:.1f} %",
       p20=final["plain20"], p56=final["plain56"], r56=final["resnet56"])
   check(final["resnet56"] < final["plain56"], "ResNet-56 ends below plain-56",
         "ResNet-56 {r56:.1f} % vs plain-56 {p56:.1f} %", r56=final["resnet56"], p56=final["plain56"])
   ```
   ResNet-56 与 plain-56 参数量相同，最终训练误差却低得多：我们在真实图像上、随机种子 0 的那次训练中为 65.9%，plain-56 为 77.4%。与 plain-20（66.0%）相比，训练 450 步后两者持平：更深的残差网络追上了较浅的普通网络，但还没有超过它。用完整的训练方案，v1 图 6 显示更深的残差网络最终误差更低（第 04 课也会遇到短训练的这个陷阱）。
3. ```python
   import torch, torch.nn.functional as F
   from resnet_edu.models import build_model
   from resnet_edu.training.probes import Probe
   from resnet_edu.data import normalize, dataset_mean_std
   x = normalize(data[0].images[:64], *dataset_mean_std(data[0].name))
   y = data[0].labels[:64]
   first_last = {}
   for entry in ("plain56", "plain56:batchnorm=false"):
       torch.manual_seed(0)
       net = build_model(entry, widths=config.widths)
       with Probe(net) as probe:
           probe.arm()
           F.cross_entropy(net(x), y).backward()
           g = probe.read().unit_output_grad_norm
       first_last[entry] = g[0] / g[-1]
       say("{entry}: first/last = {r:.3g}", entry=entry, r=first_last[entry])
   bn, no_bn = first_last["plain56"], first_last["plain56:batchnorm=false"]
   check(bn > 100, "with BN the gradient grows toward the input: first/last above 100", "it is {r:.3g}", r=bn)
   check(0.01 < no_bn < 1, "without BN it shrinks a little toward the input: first/last between 0.01 and 1",
         "it is {r:.3g}", r=no_bn)
   ```
   带 BN 时，初始化时的比值是几千（在真实图像上，种子 0–4 为 2,200 到 9,000）：带 BN 的网络的梯度朝输入端**变大**，与本课第 1 步的探针结果一致。不带 BN 时比值为 0.05 到 0.4：梯度经过 27 个块只减小了一点，远谈不上消失。这是 He 初始化的作用（He 等 2015，v1 采用的初始化）：按方差 2/fan-in 抽取权重，使信号在前向和反向经过 ReLU 层时大小大致不变。所以在初始化时，让梯度沿深度**不均匀**的恰恰是 BN，而不是 BN 阻止了梯度消失；v1 §4.1 关于 BN 的论点是：在它那些都带 BN 的网络里，前向信号的方差不为零，反向梯度的范数是健康的。第 05 课会把这三类网络放在一起测量。
""",
    ),
]

LABELS_ZH = {
    "training error (smoothed)": "训练误差（平滑后）",
    "step": "步",
    "error (%)": "误差 (%)",
    "test error": "测试误差",
    "block (input side → output side)": "块（输入端 → 输出端）",
    "step {n}": "第 {n} 步",
}

# What the code prints (say) and checks (check), in Chinese: lessons/build.py -> lessons/zh/texts.json.
TEXTS_ZH = {
    "{model}: warm-up (lr 0.01) over by step {step}": "{model}：预热（学习率 0.01）在第 {step} 步之前结束",
    "{model}: warm-up (lr 0.01) to the end of the run": "{model}：预热（学习率 0.01）一直持续到训练结束",
    "{model}: final training error {train:.1f} %, test error {test:.1f} %":
        "{model}：最终训练误差 {train:.1f}%，测试误差 {test:.1f}%",
    "degradation: plain-56's final training error is above plain-20's":
        "退化：plain-56 的最终训练误差高于 plain-20",
    "plain-56 {p56:.1f} % vs plain-20 {p20:.1f} %": "plain-56 为 {p56:.1f}%，plain-20 为 {p20:.1f}%",
    "neither net overfits: its test error is at most 5 points above its training error":
        "两个网络都没有过拟合：测试误差比训练误差至多高 5 个百分点",
    "test error exceeds training error by {gap:.1f} points": "测试误差比训练误差高 {gap:.1f} 个百分点",
    "on CIFAR-10 both nets end between 55 and 88 % training error: learning, but far above the paper's":
        "在 CIFAR-10 上，两个网络最终的训练误差都在 55% 到 88% 之间：学到了东西，但远高于论文中的数字",
    "plain-20 {p20:.1f} %, plain-56 {p56:.1f} %": "plain-20 为 {p20:.1f}%，plain-56 为 {p56:.1f}%",
    "{model}, step {step:>3}: first block / last block gradient norm = {ratio:9.2f}  "
    "(min {low:.2e}, max {high:.2e})":
        "{model}，第 {step:>3} 步：第一个块 / 最后一个块的梯度范数 = {ratio:9.2f}（最小 {low:.2e}，最大 {high:.2e}）",
    "at step 1, plain-56's first/last gradient ratio is far from 1 (above 100)":
        "第 1 步时，plain-56 的首尾梯度比值远离 1（大于 100）",
    "it is {r:.3g}": "实际为 {r:.3g}",
    "at step 1, plain-20's ratio is smaller than plain-56's": "第 1 步时，plain-20 的比值小于 plain-56",
    "plain-20 {r20:.3g}, plain-56 {r56:.3g}": "plain-20 为 {r20:.3g}，plain-56 为 {r56:.3g}",
    "no gradient vanishes: every ratio of both nets, at every probed step, is above 0.01":
        "梯度没有消失：两个网络在每个记录步的比值都大于 0.01",
    "the lowest is {low:.2e}": "最小值为 {low:.2e}",
    "from step 300 on, every ratio lies between 0.1 and 10": "从第 300 步起，每个比值都在 0.1 到 10 之间",
    "the ratios run from {low:.2f} to {high:.2f}": "比值的范围是 {low:.2f} 到 {high:.2f}",
    # exercises
    "{model}: {mean:.1f} ± {std:.1f} % over seeds 0-2": "{model}：种子 0–2 上为 {mean:.1f} ± {std:.1f}%",
    "plain-56 ends above plain-20 for every seed": "每个种子下 plain-56 的最终训练误差都高于 plain-20",
    "the gaps per seed: {gaps}": "各种子的差距：{gaps}",
    "the mean gap is more than twice the larger spread between seeds":
        "平均差距超过种子间波动（取两者中较大的标准差）的两倍",
    "gap {gap:.1f} points, spread {spread:.1f}": "差距 {gap:.1f} 个百分点，波动 {spread:.1f}",
    "final training error: plain-20 {p20:.1f} %, plain-56 {p56:.1f} %, ResNet-56 {r56:.1f} %":
        "最终训练误差：plain-20 为 {p20:.1f}%，plain-56 为 {p56:.1f}%，ResNet-56 为 {r56:.1f}%",
    "ResNet-56 ends below plain-56": "ResNet-56 的最终训练误差低于 plain-56",
    "ResNet-56 {r56:.1f} % vs plain-56 {p56:.1f} %": "ResNet-56 为 {r56:.1f}%，plain-56 为 {p56:.1f}%",
    "{entry}: first/last = {r:.3g}": "{entry}：首尾比值 = {r:.3g}",
    "with BN the gradient grows toward the input: first/last above 100": "带 BN 时梯度朝输入端变大：首尾比值大于 100",
    "without BN it shrinks a little toward the input: first/last between 0.01 and 1":
        "不带 BN 时梯度朝输入端略有减小：首尾比值在 0.01 到 1 之间",
}
