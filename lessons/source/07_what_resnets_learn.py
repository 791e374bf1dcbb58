"""Lesson 07: what trained ResNets learn: lesion study, attributions, a loss-landscape slice."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 07 · What do ResNets learn? Lesions, attributions, loss landscapes

**The question.** A trained ResNet and a trained plain net of the same depth have exactly the same
layers and parameters (option A shortcuts). Do they compute in the same way? Three later papers looked
inside, and we repeat a small version of each:

1. **Lesion study** — Veit, Wilber & Belongie 2016, "Residual networks behave like ensembles of
   relatively shallow networks". Unroll $n$ residual units and you get $2^n$ paths from input to output;
   the number of paths that pass through exactly $k$ residual branches is $\binom{n}{k}$, a binomial
   distribution centred on $n/2$. Their experiment: *delete one unit at test time*. A plain net
   collapses; a ResNet barely notices — as an ensemble would when it loses a few members.
2. **Attributions** — which pixels does each net's decision depend on? Saliency, Integrated Gradients
   and Grad-CAM, computed with Captum.
3. **Loss landscape** — Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets": along random
   filter-normalized directions around the trained weights, deep plain nets look chaotic, and skip
   connections make the surface much smoother.

All three need *trained* models, so we start by training a plain net and a ResNet briefly, in lockstep.
""",
        zh=r"""
# 07 · 残差网络学到了什么？损伤实验、归因与损失曲面

**问题：** 训练好的残差网络和同样深度的普通网络，层和参数完全相同（选项 A 的捷径没有参数）。那么它们的计算方式也一样吗？后来有三篇论文往网络内部看了看，我们把每一篇都缩小规模重做一遍：

1. **损伤实验**——Veit、Wilber 和 Belongie 2016，《Residual networks behave like ensembles of relatively shallow networks》。把 $n$ 个残差单元展开，从输入到输出共有 $2^n$ 条通路；恰好经过 $k$ 个残差分支的通路有 $\binom{n}{k}$ 条，服从以 $n/2$ 为中心的二项分布。他们的实验是：**在测试时删掉一个单元**。普通网络会崩溃，残差网络却几乎不受影响——就像一个集成模型少了几个成员一样。
2. **归因**——两个网络的判断分别依赖哪些像素？用 Captum 计算显著图、积分梯度和 Grad-CAM。
3. **损失曲面**——Li 等 2018，《Visualizing the Loss Landscape of Neural Nets》：沿着训练好的权重附近、经过滤波器归一化的随机方向看，深层普通网络的损失曲面杂乱无章，而捷径连接让曲面平滑得多。

这三件事都需要**训练好的**模型，所以我们先把一个普通网络和一个残差网络同步训练一小会儿。
""",
    ),
    code(r"""
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch

from resnet_edu.analysis import (compare_attributions, eval_tensors, lesion_random, lesion_single,
                                 load_trained, path_length_distribution, random_line, surface)
from resnet_edu.training.config import preset
from resnet_edu.data import dataset_mean_std
from resnet_edu.models import list_units
from resnet_edu.training.notebook import curves, find_data_dir, lesson_data, pick, train

# CIFAR-10 when it is in data/ (not in smoke mode), else the synthetic set; tiny in smoke mode.
DATASET, data = lesson_data(n_train=pick(full=10_000, smoke=128), n_test=pick(full=2_000, smoke=64))
DEPTH = pick(full=32, smoke=20)  # 6n + 2: n = 5 units per stage (3 in smoke mode)
PLAIN, RESNET = f"plain{DEPTH}", f"resnet{DEPTH}"
steps = pick(full=600, smoke=4)
config = preset("quick", models=(PLAIN, RESNET), dataset=DATASET, data_dir=str(find_data_dir()),
                widths=pick(full=(8, 16, 32), smoke=(4, 8, 8)), steps=steps,
                milestones=(int(steps * 0.75),), batch_size=pick(full=64, smoke=16),
                log_every=pick(full=25, smoke=2), eval_every=steps, device="auto")
run_dir = tempfile.mkdtemp(prefix="resnet_edu_lesson07_")
events = train(config, data=data, run_dir=run_dir)  # the trainer saves a checkpoint there at the end
models = {name: load_trained(run_dir, name) for name in (PLAIN, RESNET)}  # eval mode, on the CPU
x, y = eval_tensors(config, n=pick(full=1000, smoke=32), data=data)  # normalised test images, labels
test_error = {name: 100 * err[-1] for name, (s, err) in curves(events, "test_error").items()}
for name, err in test_error.items():
    say("{name:>9}: test error {err:.1f}% after {steps} steps", name=name, err=err, steps=steps)
say("the data holds {n_train:,} training and {n_test:,} test images; the run trained on {used_train:,} and tested "
    "on {used_test:,} (the preset's sizes); the analyses below use {n_eval:,} test images",
    n_train=len(data[0]), n_test=len(data[1]), used_train=min(len(data[0]), config.train_size or len(data[0])),
    used_test=min(len(data[1]), config.test_size or len(data[1])), n_eval=len(y))
check(test_error[RESNET] < test_error[PLAIN], "the ResNet ends with a lower test error than the plain net of the same depth",
      "{resnet}: {r:.1f}%, {plain}: {p:.1f}%", resnet=RESNET, plain=PLAIN, r=test_error[RESNET], p=test_error[PLAIN])
"""),
    md(
        en=r"""
## 1. The unrolled view: $2^n$ paths

Write three units as Veit et al. do: $x_3 = x_2 + f_3(x_2)$, $x_2 = x_1 + f_2(x_1)$, $x_1 = x_0 + f_1(x_0)$.
Expanding gives $x_3 = x_0 + f_1(x_0) + f_2(x_0 + f_1(x_0)) + \dots$ — eight paths, each one choosing, at
every unit, either the shortcut or the branch. A path through $k$ branches has $k$ units' worth of
layers; the counts are $\binom{n}{k}$:
""",
        zh=r"""
## 1. 展开视角：$2^n$ 条通路

像 Veit 等人那样写出三个单元：$x_3 = x_2 + f_3(x_2)$，$x_2 = x_1 + f_2(x_1)$，$x_1 = x_0 + f_1(x_0)$。展开得到 $x_3 = x_0 + f_1(x_0) + f_2(x_0 + f_1(x_0)) + \dots$——共八条通路，每条通路在每个单元都要做一次选择：走捷径，还是走分支。经过 $k$ 个分支的通路就有 $k$ 个单元那么多的层；这样的通路有 $\binom{n}{k}$ 条：
""",
    ),
    code(r"""
n_units = len(list_units(models[RESNET]))
fig, ax = plt.subplots(figsize=(7, 3))
for n in sorted({n_units, 54}):  # this net, and ResNet-110's 54 units
    dist = path_length_distribution(n)
    ax.plot(np.arange(n + 1), dist, marker=".", label=f"n = {n} units: mean {n / 2:g}, std {np.sqrt(n) / 2:.1f}")
ax.set_xlabel(T("k = residual branches on the path"))
ax.set_ylabel(T("fraction of the 2ⁿ paths"))
ax.set_title(T("Path lengths in an unrolled ResNet (Binomial(n, 1/2))"))
ax.legend()
plt.show()
middle = float(np.sum(path_length_distribution(54)[20:35]))
check(0.94 < middle < 0.96, "about 95% of ResNet-110's 2^54 paths go through between 20 and 34 branches",
      "{share:.1%}", share=middle)
"""),
    md(
        en=r"""
Most paths are of medium length: in ResNet-110 (54 units) about 95% of the $2^{54}$ paths go through
between 20 and 34 branches — far fewer layers than the full depth. That is the sense of
"ensembles of *relatively shallow* networks". (Veit et al. go further and show that the gradient during
training comes mostly from even shorter paths.)

## 2. The lesion study: delete one unit at test time

`lesion_single` deletes each unit in turn and measures the test error. A residual unit is deleted by
keeping only its shortcut, $x_{l+1} = h(x_l)$; a plain unit with equal input and output shape is replaced
by the identity. A plain unit that downsamples cannot be deleted at all — the plain net has no other
way from one stage to the next — and is reported as such.
""",
        zh=r"""
大多数通路长度居中：ResNet-110（54 个单元）的 $2^{54}$ 条通路里，约 95% 只经过 20 到 34 个分支——远少于整个网络的深度。这就是"**相对较浅的**网络的集成"的含义。（Veit 等人还进一步说明，训练时的梯度主要来自更短的通路。）

## 2. 损伤实验：在测试时删掉一个单元

`lesion_single` 依次删掉每个单元并测量测试误差。删除残差单元的做法是只保留它的捷径，$x_{l+1} = h(x_l)$；输入输出形状相同的普通单元则换成恒等映射。负责下采样的普通单元根本删不掉——普通网络没有别的路径从一个阶段走到下一个阶段——结果中会如实标出。
""",
    ),
    code(r"""
studies = {name: lesion_single(model, x, y) for name, model in models.items()}
fig, ax = plt.subplots(figsize=(9, 3.5))
for k, (name, study) in enumerate(studies.items()):
    idx = np.array([u.index for u in study.units])
    err = np.array([np.nan if u.error is None else u.error * 100 for u in study.units])
    ax.bar(idx + (k - 0.5) * 0.4, err, width=0.4, color=f"C{k}", label=f"{name}, one unit deleted")
    ax.axhline(study.baseline_error * 100, color=f"C{k}", ls="--", label=f"{name}, intact")
    for u in study.units:
        if u.error is None:
            ax.text(u.index + (k - 0.5) * 0.4, 2, "×", ha="center", color=f"C{k}")
ax.set_xlabel(T("deleted unit (× = cannot be deleted: a plain downsampling unit)"))
ax.set_ylabel(T("test error (%)"))
ax.set_title(T("Veit et al. 2016, Fig. 3 in miniature"))
ax.legend(fontsize=8)
plt.show()

rise = {name: [100 * (u.error - study.baseline_error) for u in study.units if u.error is not None]
        for name, study in studies.items()}  # points of test error added by deleting one unit
for name, study in studies.items():
    say("{name:>9}: intact {base:.1f}%, one unit deleted {low:.1f}–{high:.1f}% (median {median:.1f}%)",
        name=name, base=100 * study.baseline_error,
        low=100 * study.baseline_error + min(rise[name]), high=100 * study.baseline_error + max(rise[name]),
        median=100 * study.baseline_error + float(np.median(rise[name])))
check(np.median(rise[PLAIN]) > 2 * np.median(rise[RESNET]) and np.median(rise[PLAIN]) > 10,
      "deleting one unit hurts the plain net far more: its median rise is over 10 points and over twice the ResNet's",
      "median rise: {plain} {p:.1f} points, {resnet} {r:.1f}", plain=PLAIN, resnet=RESNET,
      p=float(np.median(rise[PLAIN])), r=float(np.median(rise[RESNET])))
check(min(rise[PLAIN]) > 0, "every deletable unit of the plain net raises its test error",
      "the smallest rise is {low:.1f} points", low=min(rise[PLAIN]))
"""),
    md(
        en=r"""
**What it means.** Compare each bar with its own dashed line. Deleting a unit of the plain net sends the
error towards chance (90% for 10 classes): a plain net has a single path, through every layer, so
removing one unit breaks it. Deleting a residual unit removes only the paths through *its* branch — half of them — and
leaves the other half intact; most of the error survives. The downsampling units of the ResNet (the
first of stages 2 and 3) can hurt more: there the shortcut is a zero-padded subsample, not a clean
identity. After a short training run the contrast is smaller than in Veit's fully trained nets, and in
smoke mode both nets are still near chance, so there is nothing to see yet. (In our full-mode run
on the real CIFAR-10 subset, seed 0: deleting one unit of plain-32 raised its error from 67% to
77–93%, median 90%; deleting one unit of ResNet-32 raised it from 53% to 55–75%, median 58%; the
first units of stages 2 and 3 (60% and 62%) were among the more harmful deletions, and the very
first unit hurt most, 75%.)

Veit et al. also delete *several* units at once: the ResNet's error then rises smoothly with the
number deleted, as an ensemble's would (their Fig. 5a). With five random draws per count and a
short-trained net, expect a rising but bumpy curve: in our run the mean went 62, 60, 67, 76, 73% for
1, 2, 3, 4, 6 units deleted (the check below compares only the most deletions with one). `lesion_random` draws them from the
*same-shape units* only — units whose input and output shapes match, so not the first unit of
stages 2 and 3 — because deleting a downsampling unit is another regime that would blur the curve
(`include_downsampling=True` mixes them in):
""",
        zh=r"""
**这说明了什么？** 把每根柱子和同色的虚线比较。删掉普通网络的一个单元，误差会逼近随机猜测（10 类即 90%）：普通网络只有一条通路，它经过每一层，去掉一个单元就把它切断了。删掉一个残差单元，只是去掉了经过**它的**分支的那一半通路，另一半完好无损，大部分性能得以保留。残差网络中负责下采样的单元（第 2、3 阶段的第一个单元）可能影响更大：那里的捷径是带补零的下采样，而不是干净的恒等映射。（我们在完整模式、真实 CIFAR-10 子集上、种子 0 的那次运行里：删掉 plain-32 的一个单元，误差从 67% 升到 77–93%，中位数 90%；删掉 ResNet-32 的一个单元，误差从 53% 只升到 55–75%，中位数 58%；第 2、3 阶段的第一个单元（60% 和 62%）属于影响较大的，影响最大的是最前面的那个单元，75%。）训练时间短的话，对比没有 Veit 那些充分训练的网络那么明显；运行测试用的 smoke 模式下两个网络都还接近随机猜测，暂时看不出什么。

Veit 等人还一次删掉**多个**单元：残差网络的误差随删除个数平滑上升，就像集成模型那样（他们的图 5a）。每个个数只随机抽 5 次、网络又训练得不久，预期看到的是一条总体上升但有起伏的曲线：我们那次运行中，删掉 1、2、3、4、6 个单元时的平均误差依次为 62%、60%、67%、76%、73%（下面的核对只比较删得最多时与只删一个时）。`lesion_random` 只从**形状不变的单元**里抽取——输入和输出形状相同的单元，所以不包括第 2、3 阶段的第一个单元——因为删掉下采样单元是另一种情形，会把曲线搅乱（`include_downsampling=True` 会把它们也算进来）：
""",
    ),
    code(r"""
ks = pick(full=(1, 2, 3, 4, 6), smoke=(1, 2))
trials = pick(full=5, smoke=2)
random_lesions = lesion_random(models[RESNET], x, y, ks=ks, trials=trials)
fig, ax = plt.subplots(figsize=(6, 3))
ax.errorbar([r.k for r in random_lesions], [r.mean * 100 for r in random_lesions],
            yerr=[r.std * 100 for r in random_lesions], marker="o", capsize=3)
ax.axhline(studies[RESNET].baseline_error * 100, ls="--", color="grey", label="intact")
ax.set_xlabel(T("same-shape units deleted at random"))
ax.set_ylabel(T("test error (%)"))
ax.set_title(f"{RESNET}: " + T("deleting several same-shape units") + f" ({trials})")
ax.legend()
plt.show()
means = [100 * r.mean for r in random_lesions]
say("{resnet}: mean test error with k units deleted: {errs}", resnet=RESNET,
    errs=", ".join(f"k = {r.k}: {m:.1f}%" for r, m in zip(random_lesions, means)))
check(means[-1] > means[0] > 100 * studies[RESNET].baseline_error,
      "the ResNet's error with the most units deleted is above its error with one, which is above the intact net's",
      "intact {base:.1f}%, then {errs}", base=100 * studies[RESNET].baseline_error,
      errs=", ".join(f"{m:.1f}%" for m in means))
"""),
    md(
        en=r"""
## 3. Attributions: where does each net look?

`compare_attributions` runs Captum's Saliency ($|\partial f_c / \partial x|$), Integrated Gradients
(summed over colour channels) and Grad-CAM (on the last unit's 8×8 output) for the class each net
predicts. Integrated Gradients starts from the baseline $\bar x = 0$ in *normalised* units: every
pixel at the dataset's mean colour (for CIFAR-10 a flat mid grey, RGB ≈ 125, 123, 114), not black (black would be
$-\text{mean}/\text{std}$ after normalisation). The cell prints that colour. Show a few test images:
""",
        zh=r"""
## 3. 归因：两个网络分别在看哪里？

`compare_attributions` 用 Captum 计算三种归因，解释的是每个网络各自预测的类别：显著图（$|\partial f_c / \partial x|$）、积分梯度（对颜色通道求和）和 Grad-CAM（作用在最后一个单元 8×8 的输出上）。积分梯度的基线是**归一化之后**的 $\bar x = 0$：每个像素都是数据集的平均颜色（CIFAR-10 是一张均匀的中灰色图像，RGB ≈ 125, 123, 114），而不是全黑图像（全黑在归一化之后是 $-\text{mean}/\text{std}$）。代码会打印出这个颜色。取几张测试图像来看：
""",
    ),
    code(r"""
N_SHOW = 4
maps = compare_attributions(models, x[:N_SHOW], y[:N_SHOW], ig_steps=pick(full=32, smoke=4))
mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in dataset_mean_std(config.dataset))
images = (x[:N_SHOW] * std + mean).clamp(0, 1).permute(0, 2, 3, 1).numpy()  # back to (N, H, W, RGB)
classes = data[1].classes

rows = [("image", None)] + [(f"{name}\n{m}", (name, m)) for name in maps
                            for m in ("saliency", "integrated_gradients", "grad_cam")]
fig, axes = plt.subplots(len(rows), N_SHOW, figsize=(2 * N_SHOW, 1.9 * len(rows)))
for r, (label, key) in enumerate(rows):
    for i in range(N_SHOW):
        ax = axes[r, i]
        if key is None:
            ax.imshow(images[i])
            ax.set_title(classes[int(y[i])], fontsize=8)
        else:
            name, method = key
            m = getattr(maps[name], method)[i].numpy()
            if method == "integrated_gradients":  # signed: red for evidence for the class, blue against
                a = np.abs(m).max() + 1e-12
                ax.imshow(m, cmap="RdBu_r", vmin=-a, vmax=a)
            else:
                ax.imshow(m, cmap="magma")
            if r % 3 == 1:
                ax.set_title(f"says {classes[int(maps[name].predicted[i])]}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        if i == 0:
            ax.set_ylabel(label, fontsize=7)
plt.tight_layout()
plt.show()
say("IG baseline: 0 in normalised units = the mean colour, RGB 0-255: {rgb}",
    rgb=[round(255 * v) for v in mean.flatten().tolist()])
for name, m in maps.items():
    say("{name:>9}: IG completeness error (mean |delta|) {delta:.3g}", name=name, delta=float(m.ig_delta.abs().mean()))
"""),
    md(
        en=r"""
**What it means.** Attribution maps are a way to *ask* a net, not a ground truth; read them with care.
Things to look for: whether the maps concentrate on the object or scatter over the background, whether
the two nets agree, and whether Integrated Gradients passes its own check — by *completeness* its
attributions sum to $f_c(x) - f_c(\bar x)$, and the printed delta measures how far off the numerical
integral is. Grad-CAM is coarse by construction: it is an 8×8 map upsampled to 32×32.

## 4. A slice of the loss landscape (Li et al. 2018)

Pick a random direction $\delta$ in weight space, rescaled *filter by filter* to the norm of the trained
filters (Li §4's filter normalization, so that nets of different scale can be compared), and evaluate
$L(\theta^* + \alpha\delta)$. Then a 2-D slice $L(\theta^* + \alpha\delta + \beta\eta)$, as in Li Fig. 5:
""",
        zh=r"""
**这说明了什么？** 归因图是向网络**提问**的一种方式，而不是标准答案，解读时要谨慎。可以看这几点：归因是集中在物体上还是散落在背景里；两个网络是否一致；积分梯度能否通过自身的检验——按照**完备性**，它的归因之和应等于 $f_c(x) - f_c(\bar x)$，打印出来的 delta 就是数值积分偏离这个值的程度。Grad-CAM 本身就很粗糙：它是把 8×8 的图放大到 32×32。

## 4. 损失曲面的一个切片（Li 等 2018）

在权重空间里取一个随机方向 $\delta$，并**逐个滤波器**地把它缩放到训练后对应滤波器的范数（即 Li §4 的滤波器归一化，这样不同尺度的网络才能相互比较），然后计算 $L(\theta^* + \alpha\delta)$。再仿照 Li 图 5 做一个二维切片 $L(\theta^* + \alpha\delta + \beta\eta)$：
""",
    ),
    code(r"""
n_land = pick(full=500, smoke=32)  # test images per loss evaluation
res_1d, res_2d = pick(full=21, smoke=5), pick(full=11, smoke=3)
lines = {name: random_line(m, x[:n_land], y[:n_land], resolution=res_1d, span=1.0) for name, m in models.items()}
surfaces = {name: surface(m, x[:n_land], y[:n_land], resolution=res_2d, span=1.0) for name, m in models.items()}

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for name, l1 in lines.items():
    axes[0].plot(l1.alphas, l1.loss, marker=".", label=name)
axes[0].set_xlabel(T("α (filter-normalized direction δ)"))
axes[0].set_ylabel(T("test loss"))
axes[0].set_title(T("1-D slice L(θ* + αδ)"))
axes[0].legend()
for ax, (name, s2) in zip(axes[1:], surfaces.items()):
    z = np.log(np.array(s2.loss))
    cs = ax.contourf(s2.alphas, s2.betas, z, levels=15, cmap="viridis")
    ax.contour(s2.alphas, s2.betas, z, levels=15, colors="white", linewidths=0.4)
    ax.set_title(f"{name}: log L(θ* + αδ + βη)")
    ax.set_xlabel("α")
    ax.set_ylabel("β")
    fig.colorbar(cs, ax=ax)
plt.tight_layout()
plt.show()
centre = {name: l1.loss[len(l1.loss) // 2] for name, l1 in lines.items()}
edge_rise = {name: (l1.loss[0] + l1.loss[-1]) / 2 - centre[name] for name, l1 in lines.items()}  # at α = ±1
for name in lines:
    say("{name:>9}: test loss {centre:.2f} at the centre, {rise:+.2f} on average at α = ±1",
        name=name, centre=centre[name], rise=edge_rise[name])
check(centre[RESNET] < centre[PLAIN], "the ResNet's loss at the centre (its trained weights) is lower than the plain net's",
      "{resnet} {r:.2f}, {plain} {p:.2f}", resnet=RESNET, plain=PLAIN, r=centre[RESNET], p=centre[PLAIN])
"""),
    md(
        en=r"""
**What it means.** Li et al. report that at depth 56 and more the plain net's surface becomes chaotic
(many local bumps, no clear basin), while the ResNet's stays smooth and bowl-like around the minimum.
At the shallow depth and short training of this lesson, expect a milder version: compare how quickly
the loss rises away from the centre and how regular the contours are. Two random directions in a space
of ~10⁵ dimensions are a tiny sample — a picture, not a proof. In our full-mode run on the real
CIFAR-10 subset (32 layers, 600 steps, seed 0) the short run did *not* show Li's contrast: both
slices were smooth, the ResNet's loss was lower at the centre (1.46 against 1.71) but rose *faster*
towards the edges (by 16.4 on average at α = ±1, against 1.3), and the plain net sat in a wider, flatter, higher basin. Li's chaotic plain surfaces
are for deeper, fully trained nets (exercise 2 points the way).

## Summary

- Unrolled, a ResNet of $n$ units is a collection of $2^n$ paths whose lengths follow Binomial$(n, 1/2)$:
  mostly paths much shorter than the full depth (Veit et al. 2016).
- Deleting one unit at test time ruins a plain net and only dents a ResNet; deleting several raises the
  ResNet's error smoothly in Veit et al.'s fully trained nets — ensemble-like behaviour (bumpier here).
- Attributions (saliency, Integrated Gradients, Grad-CAM via Captum) show where each net's decision
  comes from; Integrated Gradients can check itself by completeness.
- Filter-normalized slices of the loss (Li et al. 2018) show shortcuts making the landscape around the
  trained weights of *deep, fully trained* nets smoother — another view of "easier to optimize", the
  reading v1 gives of degradation. A 32-layer net after 600 steps is too shallow and too short to
  show it: our run did not.
""",
        zh=r"""
**这说明了什么？** Li 等人报告：深度达到 56 及以上时，普通网络的损失曲面变得杂乱（到处是小起伏，没有清晰的盆地），而残差网络在极小值附近依然平滑、呈碗状。本课网络较浅、训练时间也短，预期看到的是一个温和一些的版本：比较离开中心时损失上升得有多快、等高线是否规整。在约 10⁵ 维的空间里只取两个随机方向，样本非常有限——这只是一幅图景，而不是证明。我们在完整模式、真实 CIFAR-10 图像上的那次运行（32 层、600 步）**没有**显示出 Li 所说的对比：两个切片都很平滑，残差网络在中心处的损失更低（1.46 对 1.71），但往边缘走时上升得**更快**（α = ±1 处平均高出 16.4，普通网络为 1.3）；普通网络则处在一个更宽、更平、也更高的盆地里。Li 描述的杂乱的普通网络曲面，针对的是更深、充分训练的网络（练习 2 指明了方向）。

## 小结

- 展开来看，$n$ 个单元的残差网络是 $2^n$ 条通路的集合，通路长度服从二项分布 Binomial$(n, 1/2)$：大多数通路比整个网络浅得多（Veit 等 2016）。
- 测试时删掉一个单元，普通网络会崩溃，残差网络只是略受影响；删掉多个单元时，Veit 等人那些充分训练的网络误差平滑上升——表现得像一个集成模型（这里的曲线起伏更大）。
- 归因（用 Captum 计算的显著图、积分梯度、Grad-CAM）显示每个网络的判断依据来自哪里；积分梯度可以用完备性来自检。
- 经过滤波器归一化的损失切片（Li 等 2018）显示，对**很深、充分训练**的网络，捷径连接让训练后权重附近的损失曲面更平滑——这是"更容易优化"的另一个视角，而 v1 正是把退化问题解读为优化困难。32 层、600 步的网络太浅、训练也太短，显示不出这一点：我们的那次运行就没有。
""",
    ),
    md(
        en=r"""
## Exercises

**Time.** Exercise 2's `classroom` preset (3,000 steps of batch 128 at full width, two 56-layer
nets) is about 80× the compute of lesson 01's run by our estimate (not measured): many hours on a
laptop CPU, minutes on a GPU. The other exercises reuse the trained nets: seconds to minutes.

1. Swap two neighbouring units instead of deleting one (`lesion_swap(models[RESNET], x, y)`; Veit Fig. 5b).
   Is reordering less or more harmful than deleting? What does that say about how specialised each unit is?
2. Train with `preset("classroom", ...)` on CIFAR-10 (a GPU helps) at depth 56 and repeat section 2. Does
   the gap between plain and residual lesions grow with training and depth?
3. Integrated Gradients depends on its baseline. Pass a blurred copy of the image instead of zeros
   (call Captum's `IntegratedGradients(model).attribute(..., baselines=...)` directly). How do the maps change?
4. Re-draw the 1-D slice with three different seeds (`random_line(..., seed=s)`). Which features of the
   curves are stable across directions and which are not?
""",
        zh=r"""
## 练习

**耗时。** 练习 2 的 `classroom` 预设（完整宽度、批大小 128、3,000 步、两个 56 层网络）按我们的估算约为第 01 课那次训练的 80 倍计算量（未实测）：在笔记本 CPU 上要好几个小时，在 GPU 上几分钟。其他练习复用已经训练好的网络：几秒到几分钟。

1. 不删单元，而是交换两个相邻单元（`lesion_swap(models[RESNET], x, y)`；Veit 图 5b）。重新排序比删除危害更小还是更大？这说明每个单元的分工有多专门？
2. 用 `preset("classroom", ...)` 在 CIFAR-10 上训练（有 GPU 会快很多），深度取 56，再做一遍第 2 节。随着训练时间和深度增加，普通网络和残差网络在损伤实验中的差距是否变大？
3. 积分梯度依赖于基线的选择。把全零基线换成图像的模糊版本（直接调用 Captum 的 `IntegratedGradients(model).attribute(..., baselines=...)`）。归因图有什么变化？
4. 用三个不同的随机种子重画一维切片（`random_line(..., seed=s)`）。曲线的哪些特征在不同方向上是稳定的，哪些不是？
""",
    ),
    hint(
        en=r"""
1. `swaps = lesion_swap(models[RESNET], x, y, ks=(1, 2, 4))`, then plot `[s.mean for s in swaps]` next to
   `random_lesions`. Veit et al. found that the error also rises smoothly with the number of swaps: units within a
   stage are not rigidly ordered, another sign that the paths act somewhat independently.
2. `preset("classroom", models=("plain56", "resnet56"), dataset="cifar10", data_dir=str(find_data_dir()))`
   with `run_dir=...`, then the same cells. Expect the plain net's lesions to stay near chance and the
   ResNet's to move closer to its intact error.
3. `from captum.attr import IntegratedGradients`; `blur = torch.nn.functional.avg_pool2d(x[:4], 5, 1, 2)`;
   `IntegratedGradients(models[RESNET]).attribute(x[:4], baselines=blur, target=y[:4])`. The attributions now
   explain the difference from the blurred image, so flat regions get little credit.
4. `for s in (0, 1, 2): random_line(models[RESNET], x[:n_land], y[:n_land], resolution=res_1d, seed=s)`.
   The value at α = 0 is the same by construction; everything else depends on the direction. In our
   full-mode run (ResNet-32, seed 0) even the basin's width did: the loss rose by 16.4, 4.3 and 7.2 on
   average at α = ±1 along directions 0, 1 and 2. One slice is one sample of a ~10⁵-dimensional
   space: compare nets over several directions, never on one.
""",
        zh=r"""
1. `swaps = lesion_swap(models[RESNET], x, y, ks=(1, 2, 4))`，再把 `[s.mean for s in swaps]` 和 `random_lesions` 画在一起。Veit 等人发现，误差同样随交换次数平滑上升：同一阶段内的单元并没有严格的先后顺序，这也说明各条通路在一定程度上是相互独立地起作用的。
2. `preset("classroom", models=("plain56", "resnet56"), dataset="cifar10", data_dir=str(find_data_dir()))`，加上 `run_dir=...`，再运行同样的代码。预期普通网络被损伤后仍接近随机猜测，而残差网络被损伤后的误差会更接近它完好时的误差。
3. `from captum.attr import IntegratedGradients`；`blur = torch.nn.functional.avg_pool2d(x[:4], 5, 1, 2)`；`IntegratedGradients(models[RESNET]).attribute(x[:4], baselines=blur, target=y[:4])`。此时归因解释的是与模糊图像之间的差异，所以平坦区域得到的归因很少。
4. `for s in (0, 1, 2): random_line(models[RESNET], x[:n_land], y[:n_land], resolution=res_1d, seed=s)`。α = 0 处的值按定义都一样；其余的一切都取决于方向。在我们完整模式的运行中（ResNet-32，种子 0），连盆地的宽度也是如此：沿方向 0、1、2，α = ±1 处的损失平均分别高出 16.4、4.3 和 7.2。一个切片只是约 10⁵ 维空间中的一个样本：比较网络要看多个方向，不能只看一个。
""",
    ),
    code(r"""
# Checking the answer to exercise 4 with the solution's own code (a minute or so on a CPU).
slices = [random_line(models[RESNET], x[:n_land], y[:n_land], resolution=res_1d, seed=s) for s in (0, 1, 2)]
centres = [l1.loss[len(l1.loss) // 2] for l1 in slices]
rises = [(l1.loss[0] + l1.loss[-1]) / 2 - c for l1, c in zip(slices, centres)]
check(max(centres) - min(centres) < 1e-4, "the loss at α = 0 is the same along every direction",
      "{values}", values=", ".join(f"{c:.4f}" for c in centres))
say("the rise at α = ±1 along the three directions: {values}", values=", ".join(f"{r:+.2f}" for r in rises))
"""),
]

LABELS_ZH = {
    "k = residual branches on the path": "k = 通路上经过的残差分支数",
    "fraction of the 2ⁿ paths": "占全部 2ⁿ 条通路的比例",
    "Path lengths in an unrolled ResNet (Binomial(n, 1/2))": "展开后的残差网络中的通路长度（Binomial(n, 1/2)）",
    "deleted unit (× = cannot be deleted: a plain downsampling unit)": "被删除的单元（× = 无法删除：普通网络的下采样单元）",
    "test error (%)": "测试误差 (%)",
    "Veit et al. 2016, Fig. 3 in miniature": "Veit 等 2016 图 3 的缩小版",
    "same-shape units deleted at random": "随机删除的形状不变的单元数",
    "deleting several same-shape units": "删除多个形状不变的单元",
    "α (filter-normalized direction δ)": "α（按滤波器归一化的方向 δ）",
    "test loss": "测试损失",
    "1-D slice L(θ* + αδ)": "一维切片 L(θ* + αδ)",
}

TEXTS_ZH = {
    "{name:>9}: test error {err:.1f}% after {steps} steps": "{name:>9}：训练 {steps} 步后测试误差为 {err:.1f}%",
    "the data holds {n_train:,} training and {n_test:,} test images; the run trained on {used_train:,} and tested "
    "on {used_test:,} (the preset's sizes); the analyses below use {n_eval:,} test images":
        "数据中有训练图像 {n_train:,} 张、测试图像 {n_test:,} 张；这次训练用了其中 {used_train:,} 张训练、{used_test:,} 张测试"
        "（预设的大小）；下面的分析使用 {n_eval:,} 张测试图像",
    "the ResNet ends with a lower test error than the plain net of the same depth": "残差网络最终的测试误差低于同样深度的普通网络",
    "{resnet}: {r:.1f}%, {plain}: {p:.1f}%": "{resnet}：{r:.1f}%，{plain}：{p:.1f}%",
    "about 95% of ResNet-110's 2^54 paths go through between 20 and 34 branches":
        "ResNet-110 的 2^54 条通路中，约 95% 经过 20 到 34 个分支",
    "{share:.1%}": "{share:.1%}",
    "{name:>9}: intact {base:.1f}%, one unit deleted {low:.1f}–{high:.1f}% (median {median:.1f}%)":
        "{name:>9}：完好时 {base:.1f}%，删掉一个单元后 {low:.1f}–{high:.1f}%（中位数 {median:.1f}%）",
    "deleting one unit hurts the plain net far more: its median rise is over 10 points and over twice the ResNet's":
        "删掉一个单元对普通网络的伤害大得多：误差上升的中位数超过 10 个百分点，且是残差网络的两倍以上",
    "median rise: {plain} {p:.1f} points, {resnet} {r:.1f}": "上升的中位数：{plain} {p:.1f} 个百分点，{resnet} {r:.1f}",
    "every deletable unit of the plain net raises its test error": "普通网络每个可删除的单元被删掉后，测试误差都会上升",
    "the smallest rise is {low:.1f} points": "最小的上升为 {low:.1f} 个百分点",
    "{resnet}: mean test error with k units deleted: {errs}": "{resnet}：删掉 k 个单元后的平均测试误差：{errs}",
    "the ResNet's error with the most units deleted is above its error with one, which is above the intact net's":
        "残差网络删掉最多单元时的误差高于只删一个时，而后者又高于完好时",
    "intact {base:.1f}%, then {errs}": "完好时 {base:.1f}%，然后依次为 {errs}",
    "IG baseline: 0 in normalised units = the mean colour, RGB 0-255: {rgb}":
        "积分梯度的基线：归一化之后的 0 = 平均颜色，RGB（0–255）：{rgb}",
    "{name:>9}: IG completeness error (mean |delta|) {delta:.3g}": "{name:>9}：积分梯度的完备性误差（|delta| 的均值）{delta:.3g}",
    "{name:>9}: test loss {centre:.2f} at the centre, {rise:+.2f} on average at α = ±1":
        "{name:>9}：中心处的测试损失 {centre:.2f}，α = ±1 处平均高出 {rise:+.2f}",
    "the ResNet's loss at the centre (its trained weights) is lower than the plain net's":
        "残差网络在中心（训练后的权重）处的损失低于普通网络",
    "{resnet} {r:.2f}, {plain} {p:.2f}": "{resnet} {r:.2f}，{plain} {p:.2f}",
    "the loss at α = 0 is the same along every direction": "沿每个方向，α = 0 处的损失都相同",
    "{values}": "{values}",
    "the rise at α = ±1 along the three directions: {values}": "三个方向上 α = ±1 处的上升幅度：{values}",
}
