"""Lesson 04: the CIFAR-10 ResNets and their training recipe (v1 §4.2, Table 6, Fig. 6), flip testing, ResNet-1202."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 04 · CIFAR-10 ResNets and the recipe

**The question.** What exactly did v1 train on CIFAR-10, and how? Which parts of the result come
from the architecture, and which from the recipe around it?

**The paper's setup** (v1 §4.2). Depth $6n + 2$: a 3×3 convolutional layer with 16 filters, three
stages of $n$ basic blocks on 32×32, 16×16 and 8×8 feature maps with 16, 32 and 64 filters, global
average pooling and a 10-way fully connected layer. Option A shortcuts everywhere, so each
residual net has exactly the parameters of its plain twin. The recipe:

- batch size 128, SGD with momentum 0.9, weight decay $10^{-4}$;
- learning rate 0.1, divided by 10 at 32k and 48k iterations, stop at 64k (45k/5k train/validation
  split used to choose the schedule);
- He initialization, BN after every convolution, **no dropout**;
- data augmentation: pad 4 pixels on each side, take a random 32×32 crop, random horizontal flip;
  test on the single original 32×32 view;
- ResNet-110 only: a **warm-up** at learning rate 0.01 until the training error is below 80 %
  (about 400 iterations), then back to 0.1.

**The paper's results** (v1 Table 6, test error %, CIFAR-10):

| ResNet-20 | ResNet-32 | ResNet-44 | ResNet-56 | ResNet-110 | ResNet-1202 |
|---|---|---|---|---|---|
| 8.75 | 7.51 | 7.17 | 6.97 | 6.43 (6.61 ± 0.16) | 7.93 |

(For ResNet-110, 6.43 is the best of 5 runs, 6.61 ± 0.16 the mean ± std.)
""",
        zh=r"""
# 04 · CIFAR-10 上的 ResNet 与训练方案

**本课的问题：** v1 在 CIFAR-10 上到底训练了什么网络、是怎么训练的？结果中哪些来自网络结构，哪些来自结构之外的训练方案？

**论文的设置**（v1 §4.2）。深度为 $6n + 2$：一个 16 个滤波器的 3×3 卷积层；三个阶段，每个阶段 $n$ 个基本块，特征图分别为 32×32、16×16、8×8，滤波器数分别为 16、32、64；然后是全局平均池化和一个 10 路的全连接层。所有捷径都用选项 A，因此每个残差网络与对应的普通网络参数量完全相同。训练方案如下：

- 批大小 128，带动量 0.9 的 SGD，权重衰减 $10^{-4}$；
- 学习率 0.1，在第 32k 和 48k 次迭代时各除以 10，第 64k 次迭代时停止（这个训练时长是在 45k/5k 的训练/验证划分上选定的）；
- He 初始化，每个卷积层后都接 BN，**不用 dropout**；
- 数据增强：四周各补 4 个像素，随机裁剪出 32×32，再随机水平翻转；测试时只用原始的 32×32 单张图像；
- 仅对 ResNet-110：先用学习率 0.01 **预热**，直到训练误差降到 80% 以下（约 400 次迭代），再回到 0.1。

**论文的结果**（v1 表 6，CIFAR-10 测试误差 %）：

| ResNet-20 | ResNet-32 | ResNet-44 | ResNet-56 | ResNet-110 | ResNet-1202 |
|---|---|---|---|---|---|
| 8.75 | 7.51 | 7.17 | 6.97 | 6.43（6.61 ± 0.16） | 7.93 |

（ResNet-110 的 6.43 是 5 次训练中最好的一次，6.61 ± 0.16 是均值 ± 标准差。）
""",
    ),
    code(r"""
import inspect
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn

from resnet_edu.training import checkpoint
from resnet_edu.training.config import model_spec, preset
from resnet_edu.data import dataset_mean_std, normalize, random_crop, random_flip
from resnet_edu.models import build_model, count_params
from resnet_edu.training.notebook import curves, lesson_data, pick, train
from resnet_edu.training.trainer import Trainer

# CIFAR-10 when it is in data/, else procedural shapes generated in memory (same shapes as CIFAR-10).
DATASET, data = lesson_data(n_train=pick(full=5_000, smoke=256), n_test=pick(full=1_000, smoke=128))
train_split, test_split = data
print(train_split)
"""),
    md(
        en=r"""
## $6n + 2$: the family and its parameters

Build the six nets of Table 6 and count their parameters. (ResNet-1202 has 19.4 million
parameters; building it takes a moment.)
""",
        zh=r"""
## $6n + 2$：整个网络家族及其参数量

搭建表 6 中的六个网络，并统计它们的参数量。（ResNet-1202 有 1940 万个参数，搭建它需要稍等片刻。）
""",
    ),
    code(r"""
TABLE6 = {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43, 1202: 7.93}  # v1 Table 6, test error %
params = {}
for depth in TABLE6:
    n = (depth - 2) // 6
    params[depth] = count_params(build_model(f"resnet{depth}"))
    say("n = {n:>3}: ResNet-{depth:<4} {params:>11,} parameters, paper test error {err} %",
        n=n, depth=depth, params=params[depth], err=TABLE6[depth])
check(params[56] == 853_018 and params[1202] == 19_421_274,
      "ResNet-56 has 853,018 parameters and ResNet-1202 19,421,274, as v1's option A nets",
      "{p56:,} and {p1202:,}", p56=params[56], p1202=params[1202])
plain56 = count_params(build_model("plain56"))
check(plain56 == params[56], "plain-56 has exactly ResNet-56's parameters: option A shortcuts add none",
      "plain-56 {p:,}, ResNet-56 {r:,}", p=plain56, r=params[56])
"""),
    md(
        en=r"""
## The recipe, checked on the model itself

Three parts of the recipe live in the model: BN after every convolution (v1 §3.4), He
initialization, no dropout; and one choice of this package that v1 does not state: no conv bias
(BN right after the convolution would cancel it, and has its own shift). Check them on ResNet-20 instead of trusting the
text. He initialization draws each conv weight from $\mathcal{N}(0, 2/(k^2 C_\text{in}))$.
""",
        zh=r"""
## 训练方案：直接在模型上检验

训练方案中有三项体现在模型本身：每个卷积层之后都有 BN（v1 §3.4）、He 初始化、不用 dropout；另外还有一项是本项目的包的选择，v1 并没有写：卷积层不带偏置（紧跟在卷积之后的 BN 会把它抵消掉，而且 BN 自带平移）。与其相信文字描述，不如直接在 ResNet-20 上检验。He 初始化让每个卷积层的权重服从 $\mathcal{N}(0, 2/(k^2 C_\text{in}))$。
""",
    ),
    code(r"""
net = build_model("resnet20")
convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
biases, dropouts = sum(c.bias is not None for c in convs), sum(isinstance(m, nn.Dropout) for m in net.modules())
say("{convs} conv layers, {bns} BN layers, conv biases: {biases}, dropout layers: {dropouts}",
    convs=len(convs), bns=len(bns), biases=biases, dropouts=dropouts)
off = []  # how far each conv's weight std is from He's, as a fraction
for conv in convs:
    k, c_in = conv.kernel_size[0], conv.in_channels
    he = (2 / (k * k * c_in)) ** 0.5
    off.append(abs(conv.weight.std().item() / he - 1))
    if conv in convs[:2] + convs[-1:]:
        say("  conv {c_in:>2} -> {c_out:>2}: weight std {std:.4f}, He: sqrt(2 / ({k}*{k}*{c_in})) = {he:.4f}",
            c_in=c_in, c_out=conv.out_channels, std=conv.weight.std().item(), k=k, he=he)
check(len(bns) == len(convs) and biases == 0 and dropouts == 0,
      "a BN layer for every conv, no conv bias, no dropout", "{bns} BN for {convs} convs, {biases} biases, {dropouts} dropouts",
      bns=len(bns), convs=len(convs), biases=biases, dropouts=dropouts)
check(max(off) < 0.15, "every conv's weight std is within 15 % of He initialization's",
      "up to {off:.0f} % off", off=100 * max(off))
"""),
    md(
        en=r"""
## Data augmentation: pad, crop, flip

The trainer augments every batch with two pure functions of (images, random generator):
`random_crop` pads 4 zero pixels on each side and cuts a random 32×32 window (a shift of up to
±4 pixels), `random_flip` mirrors half of the images left–right. Same generator state, same
augmentation, which is how the trainer shows a plain and a residual net the *same* augmented
batches. Look at eight training images before and after:
""",
        zh=r"""
## 数据增强：补边、裁剪、翻转

训练器用两个纯函数对每个批次做数据增强，输入都是（图像，随机数生成器）：`random_crop` 在四周各补 4 个像素的零，再随机裁出一个 32×32 的窗口（相当于最多 ±4 像素的平移）；`random_flip` 把一半的图像左右镜像，即水平翻转。生成器状态相同，增强结果就相同——训练器正是靠这一点，让普通网络和残差网络看到完全相同的增强批次。下面看看八张训练图像增强前后的样子：
""",
    ),
    code(r"""
images = train_split.images[:8]  # (8, 3, 32, 32) uint8
g = torch.Generator().manual_seed(0)
augmented = random_flip(random_crop(images, g, padding=4), g)

fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
for i in range(8):
    for row, batch in enumerate((images, augmented)):
        axes[row, i].imshow(batch[i].permute(1, 2, 0).numpy())  # (H, W, C) for imshow
        axes[row, i].axis("off")
    axes[0, i].set_title(train_split.classes[train_split.labels[i]], fontsize=8)
axes[0, 0].text(-12, 16, T("original"), rotation=90, va="center")
axes[1, 0].text(-12, 16, T("augmented"), rotation=90, va="center")
plt.show()
"""),
    md(
        en=r"""
## The learning-rate schedule and the warm-up

The `paper` preset holds v1 §4.2's schedule. The trainer computes each step's learning rate with
one short method; the warm-up ends when a model's logged training error first falls below
`warmup_until`, and only models at least `warmup_min_depth` deep warm up (the paper: ResNet-110).
""",
        zh=r"""
## 学习率调度与预热

`paper` 预设保存的就是 v1 §4.2 的调度方案。训练器用一个很短的方法算出每一步的学习率；预热在模型记录到的训练误差第一次低于 `warmup_until` 时结束，而且只有深度不小于 `warmup_min_depth` 的模型才会预热（论文中只有 ResNet-110）。
""",
    ),
    code(r"""
paper = preset("paper")
print({k: getattr(paper, k) for k in ("batch_size", "lr", "milestones", "steps", "momentum",
                                      "weight_decay", "warmup_lr", "warmup_until", "warmup_min_depth")})
print(inspect.getsource(Trainer.lr))


def lr_at(step, warmup_ends=0):
    '''The same rule as Trainer.lr, with the end of the warm-up given (v1: about 400 iterations).'''
    base = paper.warmup_lr if step <= warmup_ends else paper.lr
    return base * 0.1 ** sum(step > m for m in paper.milestones)


steps = np.arange(1, paper.steps + 1, 50)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
for ax, last in ((ax1, paper.steps), (ax2, 2_000)):
    s = steps[steps <= last] if last == paper.steps else np.arange(1, last + 1)
    ax.semilogy(s, [lr_at(t) for t in s], label="ResNet-20 ... 56")
    ax.semilogy(s, [lr_at(t, warmup_ends=400) for t in s], "--", label=T("ResNet-110 and deeper (warm-up)"))
    ax.set(xlabel=T("iteration"), ylabel=T("learning rate"))
ax1.set_title(T("the whole schedule: 64k iterations"))
ax2.set_title(T("the first 2,000 iterations"))
ax1.legend()
plt.show()
"""),
    md(
        en=r"""
Why a warm-up? v1 §4.2 found that for ResNet-110 the initial learning rate of 0.1 is "slightly too
large to start converging", so it starts at 0.01 until training error is below 80 %. A short run
has the same problem in a stronger form: with lr 0.1 from step 0, a deep net's loss can sit above a
shallow net's for the first few hundred steps. That is why the laptop-sized `quick` preset warms up
*every* model.

## Something to look at: Table 6 and a short run of Fig. 6

First the paper's numbers (Table 6, ResNets only: v1 gives plain nets as curves, not numbers).
Beside them, numbers that are **not the paper's**: an independent reproduction of the recipe,
[nabla0001/resnet](https://github.com/nabla0001/resnet), mean ± std over 5 runs: plain-20
9.78 ± 0.13, plain-56 12.95 ± 0.22, ResNet-20 8.51 ± 0.22, ResNet-56 7.40 ± 0.27 (% test error).
Note the seed spread: it is as large as the gap between neighbouring depths.
""",
        zh=r"""
为什么要预热？v1 §4.2 发现，对 ResNet-110 来说，0.1 的初始学习率"稍大了一点，难以开始收敛"，所以先用 0.01，直到训练误差低于 80%。短时间的训练会把这个问题放大：如果从第 0 步就用 0.1，深层网络的损失在最初几百步里可能一直高于浅层网络。所以为笔记本电脑设计的 `quick` 预设让所有模型都预热。

## 动手看一看：表 6 与图 6 的简短重现

先看论文的数字（表 6 只有残差网络：v1 只以曲线给出普通网络，没有数字）。旁边是**不属于论文**的数字：一项用论文训练方案所做的独立复现 [nabla0001/resnet](https://github.com/nabla0001/resnet)，5 次运行的均值 ± 标准差：plain-20 9.78 ± 0.13，plain-56 12.95 ± 0.22，ResNet-20 8.51 ± 0.22，ResNet-56 7.40 ± 0.27（测试误差，单位为 %）。注意随机种子带来的波动：它和相邻深度之间的差距一样大。
""",
    ),
    code(r"""
REPRO = {"plain": {20: (9.78, 0.13), 56: (12.95, 0.22)},  # github.com/nabla0001/resnet: 5 runs, not the paper's
         "resnet": {20: (8.51, 0.22), 56: (7.40, 0.27)}}
plt.figure(figsize=(7, 3.6))
depths = list(TABLE6)
plt.semilogx(depths, list(TABLE6.values()), "o-", label=T("ResNet, v1 Table 6"))
plt.errorbar([110], [6.61], yerr=[0.16], fmt="none", capsize=4, color="C0")
for kind, marker in (("resnet", "s"), ("plain", "^")):
    d = list(REPRO[kind])
    plt.errorbar(d, [REPRO[kind][k][0] for k in d], yerr=[REPRO[kind][k][1] for k in d],
                 fmt=marker, capsize=4, label=f"{kind}, " + T("reproduction (5 seeds)"))
plt.xticks(depths, [str(d) for d in depths])
plt.xlabel(T("depth"))
plt.ylabel(T("CIFAR-10 test error (%)"))
plt.legend()
plt.show()
"""),
    md(
        en=r"""
Now a short version of v1 Fig. 6 (middle) on this machine: ResNet-20 and ResNet-56 in lockstep,
with the `quick` preset (in full mode the whole lesson took about 10 min on this project's 2-core
CPU; lessons/README.md lists the measured times). The trainer keeps a checkpoint in `run_dir`, so we can load the trained
weights afterwards and evaluate them ourselves. On a GPU, the full recipe is one command
(about 64k iterations per model; run it with several `--seed` values):

```
python -m resnet_edu train --preset paper --models resnet20,resnet56 --dataset cifar10 --seed 0
```
""",
        zh=r"""
下面在本机上重现一个缩短版的 v1 图 6（中图）：用 `quick` 预设让 ResNet-20 和 ResNet-56 同步训练（完整模式下，整课在本项目的 2 核 CPU 上约需 10 分钟；实测耗时见 lessons/README.zh.md）。训练器会在 `run_dir` 里保存检查点，训练完后我们可以加载训练好的权重，自己来评估。如果有 GPU，完整的训练方案只需一条命令（每个模型约 64k 次迭代；请用多个 `--seed` 取值各跑一遍）：

```
python -m resnet_edu train --preset paper --models resnet20,resnet56 --dataset cifar10 --seed 0
```
""",
    ),
    code(r"""
run_dir = tempfile.mkdtemp(prefix="lesson04_")
config = preset(
    "quick", dataset=DATASET, models=("resnet20", "resnet56"),
    widths=pick(full=(8, 16, 32), smoke=(4, 8, 8)),
    batch_size=pick(full=64, smoke=16), steps=pick(full=450, smoke=6),
    milestones=pick(full=(350,), smoke=(4,)), log_every=pick(full=10, smoke=2),
    eval_every=pick(full=150, smoke=3), seed=0,
    fast=pick(full=True, smoke=False))  # bf16 on a CPU pays off for full-size nets only
events = train(config, data=data, run_dir=run_dir)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for model, (s, e) in curves(events, "train_error").items():
    k = 5 if len(e) > 10 else 1
    ax1.plot(s[k - 1:], 100 * np.convolve(e, np.ones(k) / k, mode="valid"), label=model)
for model, (s, e) in curves(events, "test_error").items():
    ax2.plot(s, 100 * np.asarray(e), "o-", label=model)
ax1.set(title=T("training error (smoothed)"), xlabel=T("step"), ylabel=T("error (%)"))
ax2.set(title=T("test error"), xlabel=T("step"))
ax1.legend()
plt.show()
final_train = {m: 100 * np.mean(e[-5:]) for m, (_, e) in curves(events, "train_error").items()}  # %
final_test = {m: 100 * e[-1] for m, (_, e) in curves(events, "test_error").items()}  # %
for m in config.models:
    say("{model}: final training error {train:.1f} %, test error {test:.1f} %", model=m,
        train=final_train[m], test=final_test[m])
check(max(final_test.values()) < 80, "both ResNets learn: test error below 80 %, where chance is 90 %",
      "test errors {errs}", errs={m: round(v, 1) for m, v in final_test.items()})
gap = max(final_test[m] - final_train[m] for m in config.models)
check(gap < 5, "no overfitting yet: test error at most 5 points above training error",
      "test error exceeds training error by {gap:.1f} points", gap=gap)
"""),
    md(
        en=r"""
## Testing with flips

v1 tests its CIFAR nets on the single original view. On ImageNet it uses 10-crop testing (v1 §3.4):
average the predictions over several crops and their mirror images. The cheapest version is
**flip testing**: average the class probabilities of an image and of its horizontal flip. It costs
one extra forward pass and needs no retraining, because the net was trained on flipped images
anyway. Write it, and apply it to the two nets just trained, loaded from their checkpoint:
""",
        zh=r"""
## 测试时加上翻转

v1 在 CIFAR 上测试时只用原始的单张图像；在 ImageNet 上则用 10-crop 测试（v1 §3.4）：对若干裁剪区域及其镜像的预测取平均。最省事的版本是**翻转测试**：把一张图像和它的水平翻转各算一次类别概率，再取平均。它只多一次前向传播，也不需要重新训练，因为网络训练时本来就见过翻转后的图像。把它写出来，并用在刚训练好、从检查点加载的两个网络上：
""",
    ),
    code(r"""
@torch.no_grad()
def test_error(model, x, y, flip=False):
    '''Error (fraction) on (x, y) in eval mode; flip=True averages the probabilities of x and its mirror.'''
    model.eval()
    probs = model(x).softmax(dim=1)  # (N, 10)
    if flip:
        probs = (probs + model(x.flip(dims=(3,))).softmax(dim=1)) / 2  # flip along the width
    return (probs.argmax(dim=1) != y).float().mean().item()


state = checkpoint.load(f"{run_dir}/checkpoint.pt")
test = test_split.subset(config.test_size)
x_test = normalize(test.images, *dataset_mean_std(test.name))
flip_gain = {}  # single-view error minus flip-tested error, points
for name in config.models:
    model = model_spec(name, config.widths).build()
    model.load_state_dict(state["members"][name]["model"])
    single, flipped = test_error(model, x_test, test.labels), test_error(model, x_test, test.labels, flip=True)
    flip_gain[name] = 100 * (single - flipped)  # points
    say("{name}: single view {single:.1f} %, with flip testing {flipped:.1f} % ({n} test images)",
        name=name, single=100 * single, flipped=100 * flipped, n=len(test))
check(all(abs(g) < 3 for g in flip_gain.values()),
      "on these short-run nets flip testing moves the error by less than 3 points, either way",
      "the gains in points: {gains}", gains={m: round(g, 1) for m, g in flip_gain.items()})
"""),
    md(
        en=r"""
## What it means

The curves of the short run are a sketch of Fig. 6, not a reproduction: a narrow net, a few hundred
steps, one seed. Whether ResNet-56 already beats ResNet-20 after so few steps depends on the seed;
in our full-mode runs on real CIFAR-10 images (seed 0) it did not: ResNet-20 ended at 54 % test
error and ResNet-56 at 58 % (56 and 63 % in an earlier run). That is the trap of short runs:
a deeper net needs more steps before its depth pays. With the full recipe and several seeds,
the deeper residual net is better (Table 6 and the reproduction above); compare lesson 01, where
the *plain* 56-layer net ended 11 to 17 points (seeds 0–2) behind the plain 20-layer one after the same 450 steps.

Flip testing did not help these nets: in our run it moved their test errors by about a point, and
upwards (53.8 → 55.0 % and 58.1 → 58.3 %). On 1,000 test images a point is 10 images, so on nets
this far from trained its effect is within the noise. It is a test-time trick and not part of the
numbers in Table 6, so compare like with like.

## Why ResNet-1202 is worse than ResNet-110

v1 §4.2 also trained a 1202-layer ResNet. It optimises without difficulty: its training error is as
low as ResNet-110's. Its test error, 7.93 %, is worse than ResNet-110's 6.43 %. The authors put it
down to **overfitting**: 19.4 million parameters are "unnecessarily large" for a dataset of 50k
training images, and they used no strong regularization such as dropout or maxout. Put the numbers
side by side:
""",
        zh=r"""
## 这说明了什么

这次短训练的曲线只是图 6 的草图，算不上复现：网络很窄，只训练了几百步，只用了一个随机种子。训练这么少的步数时，ResNet-56 能不能胜过 ResNet-20，取决于随机种子；我们在完整模式、真实 CIFAR-10 图像上（随机种子 0）的几次训练里，它都没能胜过：ResNet-20 最终测试误差 54%，ResNet-56 为 58%（之前一次为 56% 和 63%）。这就是短训练的陷阱：更深的网络要多训练一些步数，深度的好处才显现出来。同样训练 450 步，第 01 课里普通的 56 层网络比 20 层的落后 了 11 到 17 个百分点（随机种子 0–2）。用完整的训练方案和多个随机种子，更深的残差网络就会更好（见表 6 和上面的复现结果）。

翻转测试对这两个网络没有帮助：在我们这次运行中，它让测试误差变化了大约一个百分点，而且是变高（53.8% → 55.0%，58.1% → 58.3%）。在 1,000 张测试图像上，一个百分点就是 10 张图像，所以对训练得这么不充分的网络，它的影响淹没在噪声里。它是测试时的技巧，不包含在表 6 的数字里，比较时要保证条件一致。

## 为什么 ResNet-1202 不如 ResNet-110

v1 §4.2 还训练了一个 1202 层的 ResNet。它的优化毫无困难：训练误差和 ResNet-110 一样低。但它的测试误差为 7.93%，比 ResNet-110 的 6.43% 更差。作者把原因归于**过拟合**：对只有 5 万张训练图像的数据集来说，1940 万个参数"大得没有必要"；而且他们没有使用 dropout、maxout 这类强正则化手段。把数字放在一起看：
""",
    ),
    code(r"""
TRAIN_IMAGES = 50_000  # CIFAR-10 (v1 §4.2 trains on 45k when it holds out a validation set)
fig, ax1 = plt.subplots(figsize=(7, 3.6))
ax1.bar([str(d) for d in TABLE6], [params[d] / TRAIN_IMAGES for d in TABLE6], color="C7")
ax1.set_yscale("log")
ax1.set(xlabel=T("ResNet depth"), ylabel=T("parameters per training image"))
ax2 = ax1.twinx()
ax2.plot([str(d) for d in TABLE6], list(TABLE6.values()), "o-", color="C3")
ax2.set_ylabel(T("test error, v1 Table 6 (%)"), color="C3")
plt.show()
for d in (110, 1202):
    say("ResNet-{d}: {params:,} parameters, {per:.0f} per training image", d=d, params=params[d],
        per=params[d] / TRAIN_IMAGES)
check(round(params[1202] / TRAIN_IMAGES) == 388 and round(params[1202] / params[110]) == 11,
      "ResNet-1202 has about 388 parameters per training image, 11 times ResNet-110's",
      "{per:.0f} per image, {times:.1f} times", per=params[1202] / TRAIN_IMAGES, times=params[1202] / params[110])
"""),
    md(
        en=r"""
The error falls with depth while the nets are still small for the data, then turns up at 1202,
where each training image has about 388 parameters to itself, eleven times more than ResNet-110.
The failure is of a different kind from degradation: degradation is a *training* error problem,
and the residual reformulation removed it (ResNet-1202 trains fine); this is a *generalization*
problem, and it needs the tools for generalization (data, regularization), not a different
shortcut. v2 later trained a 1001-layer net to a *lower* error than ResNet-110, by changing the
unit design (lesson 06).

## For comparison: the ImageNet recipe (v1 §3.4)

CIFAR-10 images are 32×32 and the recipe above is small. For ImageNet, v1 §3.4 uses:

- **scale augmentation**: resize each training image so that its shorter side is a random length
  in [256, 480], then take a random 224×224 crop (or of its horizontal flip), with the per-pixel
  mean subtracted, plus the standard colour augmentation of AlexNet;
- BN right after each convolution and before the activation, He initialization, trained from
  scratch; SGD with mini-batch 256, lr 0.1 divided by 10 when the error plateaus, up to 60×10⁴
  iterations, weight decay 0.0001, momentum 0.9, no dropout;
- testing: the standard **10-crop** testing for the comparison studies (Tables 2 and 3); for the
  best results, the **fully-convolutional** form, with scores averaged over **multiple scales**
  (shorter side in {224, 256, 384, 480, 640}).

The same ideas at CIFAR scale are the pad-and-crop augmentation and the flip testing above.

## Summary

- CIFAR ResNets: depth $6n + 2$, 16/32/64 filters, option A: 0.27 M (ResNet-20) to 19.4 M
  (ResNet-1202) parameters.
- Recipe (v1 §4.2): batch 128, SGD momentum 0.9, weight decay $10^{-4}$, lr 0.1 ÷10 at 32k and 48k,
  stop at 64k; He init, BN, no dropout; pad-4 random crop + horizontal flip; a warm-up
  at 0.01 for ResNet-110.
- Table 6: 8.75, 7.51, 7.17, 6.97, 6.43 (6.61 ± 0.16), 7.93 % for depths 20 … 1202. Seed spread is
  as large as the gap between neighbouring depths: compare over seeds.
- Flip testing costs one extra forward pass and is not part of Table 6; on these short-run nets
  it changed the error by about a point, either way.
- ResNet-1202 overfits (v1 §4.2): an optimization problem solved leaves a generalization problem.
""",
        zh=r"""
在网络相对于数据量还算小的时候，误差随深度下降；到了 1202 层却掉头向上——这时每张训练图像要"分摊"约 388 个参数，是 ResNet-110 的 11 倍。这种失败与退化性质不同：退化是训练误差的问题，残差改写已经消除了它（ResNet-1202 训练起来毫无问题）；这里是泛化的问题，需要用解决泛化的办法（更多数据、正则化），而不是换一种捷径连接。后来 v2 通过改变残差单元的设计，把一个 1001 层网络训练到了比 ResNet-110 更低的误差（第 06 课）。

## 作为对照：ImageNet 的训练方案（v1 §3.4）

CIFAR-10 的图像只有 32×32，上面的方案也很小。在 ImageNet 上，v1 §3.4 的做法是：

- **尺度增强**：把每张训练图像缩放到短边为 [256, 480] 之间的随机长度，再随机裁出 224×224 的区域（或从它的水平翻转中裁），减去逐像素均值，并使用 AlexNet 的标准颜色增强；
- 每个卷积之后、激活之前用 BN，He 初始化，从头训练；SGD，小批量 256，学习率 0.1、误差停滞时除以 10，最多训练 60×10⁴ 次迭代，权重衰减 0.0001，动量 0.9，不用 dropout；
- 测试：对比实验（表 2、表 3）用标准的 **10-crop** 测试；追求最好结果时用**全卷积**形式，在**多个尺度**上（短边取 {224, 256, 384, 480, 640}）对分数取平均。

在 CIFAR 的尺度上，对应的做法就是上面的补零后随机裁剪，以及翻转测试。

## 小结

- CIFAR 上的 ResNet：深度 $6n + 2$，滤波器数 16/32/64，选项 A；参数量从 0.27 M（ResNet-20）到 19.4 M（ResNet-1202）。
- 训练方案（v1 §4.2）：批大小 128，SGD 动量 0.9，权重衰减 $10^{-4}$，学习率 0.1、在 32k 和 48k 时除以 10、64k 时停止；He 初始化、BN、不用 dropout；补 4 像素后随机裁剪 + 水平翻转；ResNet-110 先以 0.01 预热。
- 表 6：深度 20 … 1202 的测试误差依次为 8.75、7.51、7.17、6.97、6.43（6.61 ± 0.16）、7.93%。随机种子带来的波动和相邻深度间的差距一样大：要在多个随机种子上比较。
- 翻转测试只多一次前向传播，不包含在表 6 中；对这些短训练的网络，它让误差变化大约一个百分点，可能变好也可能变差。
- ResNet-1202 过拟合了（v1 §4.2）：优化问题解决之后，剩下的是泛化问题。
""",
    ),
    md(
        en=r"""
## Exercises

**Time.** Exercise 1 trains the lesson's two nets twice for 100 steps (about half the lesson's
own run, which is as long as lesson 01's: minutes on a 2-core CPU, see lessons/README.md);
exercise 2 repeats the whole run once; exercises 3–4 take seconds.

1. **The warm-up, measured.** Run the `quick` config above with `warmup_lr=None` (no warm-up) and
   compare the first 100 steps of ResNet-56's training loss (`curves(events, "train_loss")`) with
   the warm-up run.
2. **Augmentation off.** Train with `augment=False` and compare the *gap* between training and test
   error with the augmented run. What does augmentation buy on 5,000 images?
3. **More test-time views.** Extend `test_error` to also average over the image shifted by ±2
   pixels (use `torch.roll` along width and height). Does it help beyond flipping?
4. **How big is the warm-up on the real schedule?** With `preset("paper", models=("resnet110",))`,
   how many epochs is the ~400-iteration warm-up? (`Trainer` computes `steps_per_epoch` from the
   training set size and batch size.)
""",
        zh=r"""
## 练习

**耗时。** 练习 1 把本课的两个网络各训练两次、每次 100 步（约为本课那次训练的一半；本课的训练与第 01 课一样长，在 2 核 CPU 上要几分钟，见 lessons/README.zh.md）；练习 2 把整个训练再跑一遍；练习 3–4 只要几秒。

1. **实测预热的作用。** 用 `warmup_lr=None`（不预热）重跑上面的 `quick` 配置，比较 ResNet-56 前 100 步的训练损失（`curves(events, "train_loss")`）与带预热时的差别。
2. **关掉数据增强。** 用 `augment=False` 训练，比较训练误差与测试误差之间的差距和带增强时有何不同。在 5,000 张图像上，数据增强带来了什么？
3. **测试时用更多视图。** 扩展 `test_error`，再对平移 ±2 像素的图像取平均（沿宽和高方向用 `torch.roll`）。在翻转之外还有帮助吗？
4. **在真实的调度中预热有多长？** 对 `preset("paper", models=("resnet110",))`，约 400 次迭代的预热相当于多少轮（epoch）？（`Trainer` 由训练集大小和批大小算出 `steps_per_epoch`。）
""",
    ),
    hint(
        en=r"""
1. ```python
   import dataclasses
   no_warm = train(dataclasses.replace(config, warmup_lr=None, steps=100), data=data)
   warm = train(dataclasses.replace(config, steps=100), data=data)
   mean_loss = {}
   for label, ev in (("no warm-up", no_warm), ("warm-up", warm)):
       s, loss = curves(ev, "train_loss")["resnet56"]
       mean_loss[label] = np.mean(loss)
       plt.plot(s, loss, label=label)
   plt.legend(); plt.show()
   say("ResNet-56's mean training loss over the first 100 steps: {a:.3f} without warm-up, {b:.3f} with",
       a=mean_loss["no warm-up"], b=mean_loss["warm-up"])
   check(mean_loss["no warm-up"] > mean_loss["warm-up"], "without the warm-up ResNet-56's loss is higher early on",
         "{a:.3f} without, {b:.3f} with", a=mean_loss["no warm-up"], b=mean_loss["warm-up"])
   ```
   Without the warm-up the deep net's loss is higher over the first 100 steps: in our full-mode run
   on real images (seed 0), a mean of 2.46 against 2.32 with the warm-up.
2. ```python
   import dataclasses
   plain_aug = train(dataclasses.replace(config, augment=False), data=data)
   gaps = {}
   for label, ev in (("augmented", events), ("not augmented", plain_aug)):
       tr, te = curves(ev, "train_error")["resnet56"][1], curves(ev, "test_error")["resnet56"][1]
       gaps[label] = 100 * (te[-1] - np.mean(tr[-5:]))  # points
       say("{label}: ResNet-56's test error minus training error = {gap:.1f} points", label=label, gap=gaps[label])
   check(gaps["not augmented"] > gaps["augmented"], "without augmentation the gap between test and training error grows",
         "{a:.1f} points without, {b:.1f} with", a=gaps["not augmented"], b=gaps["augmented"])
   ```
   The gap between test and training error grows without augmentation, but only a little in a run
   this short: in our full-mode run on real images (seed 0), from −0.9 points with augmentation
   to +1.5 without. After about six passes over 5,000 images the net has only begun to fit these
   images themselves rather than what generalises; augmentation keeps each pass a little new.
3. ```python
   views = [x, x.flip(dims=(3,))] + [torch.roll(x, shifts=s, dims=d) for s in (-2, 2) for d in (2, 3)]
   probs = sum(model(v).softmax(dim=1) for v in views) / len(views)
   ```
   Gains beyond flipping are usually small and can be negative (`torch.roll` wraps pixels around).
4. ```python
   steps_per_epoch = 50_000 // preset("paper", models=("resnet110",)).batch_size  # as Trainer computes it
   epochs = 400 / steps_per_epoch
   say("400 iterations = {e:.2f} epochs ({n} steps per epoch)", e=epochs, n=steps_per_epoch)
   check(abs(epochs - 1) < 0.05, "the warm-up is about one epoch", "{e:.2f} epochs", e=epochs)
   ```
   400 iterations × 128 images = 51,200 images: about one epoch of the 50k training set
   (`50_000 // 128 = 390` steps per epoch).
""",
        zh=r"""
1. ```python
   import dataclasses
   no_warm = train(dataclasses.replace(config, warmup_lr=None, steps=100), data=data)
   warm = train(dataclasses.replace(config, steps=100), data=data)
   mean_loss = {}
   for label, ev in (("no warm-up", no_warm), ("warm-up", warm)):
       s, loss = curves(ev, "train_loss")["resnet56"]
       mean_loss[label] = np.mean(loss)
       plt.plot(s, loss, label=label)
   plt.legend(); plt.show()
   say("ResNet-56's mean training loss over the first 100 steps: {a:.3f} without warm-up, {b:.3f} with",
       a=mean_loss["no warm-up"], b=mean_loss["warm-up"])
   check(mean_loss["no warm-up"] > mean_loss["warm-up"], "without the warm-up ResNet-56's loss is higher early on",
         "{a:.3f} without, {b:.3f} with", a=mean_loss["no warm-up"], b=mean_loss["warm-up"])
   ```
   不预热时，深层网络在前 100 步的损失更高：我们在完整模式、真实图像上（随机种子 0）的运行中，平均为 2.46，预热时为 2.32。
2. ```python
   import dataclasses
   plain_aug = train(dataclasses.replace(config, augment=False), data=data)
   gaps = {}
   for label, ev in (("augmented", events), ("not augmented", plain_aug)):
       tr, te = curves(ev, "train_error")["resnet56"][1], curves(ev, "test_error")["resnet56"][1]
       gaps[label] = 100 * (te[-1] - np.mean(tr[-5:]))  # points
       say("{label}: ResNet-56's test error minus training error = {gap:.1f} points", label=label, gap=gaps[label])
   check(gaps["not augmented"] > gaps["augmented"], "without augmentation the gap between test and training error grows",
         "{a:.1f} points without, {b:.1f} with", a=gaps["not augmented"], b=gaps["augmented"])
   ```
   不做数据增强时，测试误差与训练误差之间的差距会变大，但在这么短的训练里只大了一点：我们在完整模式、真实图像上（随机种子 0）的运行中，从带增强时的 −0.9 个百分点变为不带增强时的 +1.5 个百分点。在 5,000 张图像上只过了约 6 遍，网络才刚开始拟合这些图像本身，而不是能推广的规律；数据增强让每一遍看到的图像都略有不同。
3. ```python
   views = [x, x.flip(dims=(3,))] + [torch.roll(x, shifts=s, dims=d) for s in (-2, 2) for d in (2, 3)]
   probs = sum(model(v).softmax(dim=1) for v in views) / len(views)
   ```
   在翻转之外的收益通常很小，甚至可能是负的（`torch.roll` 会把移出边界的像素卷到另一侧）。
4. ```python
   steps_per_epoch = 50_000 // preset("paper", models=("resnet110",)).batch_size  # as Trainer computes it
   epochs = 400 / steps_per_epoch
   say("400 iterations = {e:.2f} epochs ({n} steps per epoch)", e=epochs, n=steps_per_epoch)
   check(abs(epochs - 1) < 0.05, "the warm-up is about one epoch", "{e:.2f} epochs", e=epochs)
   ```
   400 次迭代 × 128 张图像 = 51,200 张：大约是 5 万张训练集的一轮（每轮 `50_000 // 128 = 390` 步）。
""",
    ),
]

LABELS_ZH = {
    "ResNet-110 and deeper (warm-up)": "ResNet-110 及更深（预热）",
    "iteration": "迭代次数",
    "learning rate": "学习率",
    "the whole schedule: 64k iterations": "完整的调度：64k 次迭代",
    "the first 2,000 iterations": "前 2,000 次迭代",
    "ResNet, v1 Table 6": "ResNet，v1 表 6",
    "reproduction (5 seeds)": "复现（5 个随机种子）",
    "depth": "深度",
    "CIFAR-10 test error (%)": "CIFAR-10 测试误差 (%)",
    "training error (smoothed)": "训练误差（平滑后）",
    "step": "步",
    "error (%)": "误差 (%)",
    "test error": "测试误差",
    "ResNet depth": "ResNet 深度",
    "parameters per training image": "每张训练图像分摊的参数量",
    "test error, v1 Table 6 (%)": "测试误差，v1 表 6 (%)",
    "original": "原图",
    "augmented": "增强后",
}

# What the code prints (say) and checks (check), in Chinese: lessons/build.py -> lessons/zh/texts.json.
TEXTS_ZH = {
    "n = {n:>3}: ResNet-{depth:<4} {params:>11,} parameters, paper test error {err} %":
        "n = {n:>3}：ResNet-{depth:<4} {params:>11,} 个参数，论文测试误差 {err}%",
    "ResNet-56 has 853,018 parameters and ResNet-1202 19,421,274, as v1's option A nets":
        "ResNet-56 有 853,018 个参数、ResNet-1202 有 19,421,274 个，与 v1 选项 A 的网络一致",
    "{p56:,} and {p1202:,}": "分别为 {p56:,} 和 {p1202:,}",
    "plain-56 has exactly ResNet-56's parameters: option A shortcuts add none":
        "plain-56 与 ResNet-56 的参数量完全相同：选项 A 的捷径不增加参数",
    "plain-56 {p:,}, ResNet-56 {r:,}": "plain-56 为 {p:,}，ResNet-56 为 {r:,}",
    "{convs} conv layers, {bns} BN layers, conv biases: {biases}, dropout layers: {dropouts}":
        "{convs} 个卷积层，{bns} 个 BN 层，卷积偏置：{biases} 个，dropout 层：{dropouts} 个",
    "  conv {c_in:>2} -> {c_out:>2}: weight std {std:.4f}, He: sqrt(2 / ({k}*{k}*{c_in})) = {he:.4f}":
        "  卷积 {c_in:>2} -> {c_out:>2}：权重标准差 {std:.4f}，He：sqrt(2 / ({k}*{k}*{c_in})) = {he:.4f}",
    "a BN layer for every conv, no conv bias, no dropout": "每个卷积层都有一个 BN 层，卷积不带偏置，没有 dropout",
    "{bns} BN for {convs} convs, {biases} biases, {dropouts} dropouts":
        "{convs} 个卷积配 {bns} 个 BN，{biases} 个偏置，{dropouts} 个 dropout",
    "every conv's weight std is within 15 % of He initialization's": "每个卷积层的权重标准差与 He 初始化的相差不到 15%",
    "up to {off:.0f} % off": "最多相差 {off:.0f}%",
    "{model}: final training error {train:.1f} %, test error {test:.1f} %":
        "{model}：最终训练误差 {train:.1f}%，测试误差 {test:.1f}%",
    "both ResNets learn: test error below 80 %, where chance is 90 %": "两个残差网络都学到了东西：测试误差低于 80%，而随机猜是 90%",
    "test errors {errs}": "测试误差：{errs}",
    "no overfitting yet: test error at most 5 points above training error": "还没有过拟合：测试误差比训练误差至多高 5 个百分点",
    "test error exceeds training error by {gap:.1f} points": "测试误差比训练误差高 {gap:.1f} 个百分点",
    "{name}: single view {single:.1f} %, with flip testing {flipped:.1f} % ({n} test images)":
        "{name}：单张图像 {single:.1f}%，加上翻转测试 {flipped:.1f}%（{n} 张测试图像）",
    "on these short-run nets flip testing moves the error by less than 3 points, either way":
        "对这些短训练的网络，翻转测试对误差的影响不到 3 个百分点，可能变好也可能变差",
    "the gains in points: {gains}": "误差降低的百分点：{gains}",
    "ResNet-{d}: {params:,} parameters, {per:.0f} per training image": "ResNet-{d}：{params:,} 个参数，每张训练图像 {per:.0f} 个",
    "ResNet-1202 has about 388 parameters per training image, 11 times ResNet-110's":
        "ResNet-1202 每张训练图像约有 388 个参数，是 ResNet-110 的 11 倍",
    "{per:.0f} per image, {times:.1f} times": "每张图像 {per:.0f} 个，{times:.1f} 倍",
    # exercises
    "ResNet-56's mean training loss over the first 100 steps: {a:.3f} without warm-up, {b:.3f} with":
        "ResNet-56 前 100 步的平均训练损失：不预热 {a:.3f}，预热 {b:.3f}",
    "without the warm-up ResNet-56's loss is higher early on": "不预热时，ResNet-56 在训练初期的损失更高",
    "{a:.3f} without, {b:.3f} with": "不预热 {a:.3f}，预热 {b:.3f}",
    "{label}: ResNet-56's test error minus training error = {gap:.1f} points":
        "{label}：ResNet-56 的测试误差减训练误差 = {gap:.1f} 个百分点",
    "without augmentation the gap between test and training error grows": "不做数据增强时，测试误差与训练误差之间的差距变大",
    "{a:.1f} points without, {b:.1f} with": "不增强 {a:.1f} 个百分点，增强 {b:.1f} 个百分点",
    "400 iterations = {e:.2f} epochs ({n} steps per epoch)": "400 次迭代 = {e:.2f} 轮（每轮 {n} 步）",
    "the warm-up is about one epoch": "预热大约是一轮",
    "{e:.2f} epochs": "{e:.2f} 轮",
}
