"""Lesson 08: open questions as experiments: shortcut span, gates vs identity, residuals through time."""

from build import code, hint, md

CELLS = [
    md(
        en=r"""
# 08 · Open questions, as experiments

Reading the two papers leaves questions they answer only in passing. This lesson turns three of them
into small experiments you can run and extend:

1. **How many layers should a shortcut skip?** v1 §3.2 uses residual functions of 2 or 3 layers and
   notes: "if $F$ has only a single layer, Eq. (1) is similar to a linear layer: $y = W_1 x + x$, for
   which we have not observed advantages." What about 3 or 4 at the *same* depth?
2. **Gates or identity?** Highway Networks (Srivastava et al. 2015) gate the shortcut:
   $y = (1 - T(x)) \odot x + T(x) \odot F(x)$. v2 Table 1 tried such exclusive gating on ResNet-110:
   it fails or reaches 8.70 / 9.81% depending on the gate's bias initialization, against 6.61% for the
   identity. Does a small gated net train like a residual one?
3. **Are residuals a vision trick?** The cell state of an LSTM is updated additively,
   $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ — a gated shortcut through *time*. Does v2's
   analysis carry over?

None of these has a final answer here: short runs on small data are noisy. Treat each plot as a
hypothesis to test with more steps and seeds.
""",
        zh=r"""
# 08 · 开放问题：动手做实验

读完两篇论文，会留下一些它们只是顺带提及的问题。本课把其中三个变成小实验，你可以直接运行，也可以在此基础上继续扩展：

1. **一条捷径应该跨越几层？** v1 §3.2 用的残差函数是 2 层或 3 层，并指出："如果 $F$ 只有一层，式 (1) 就类似于一个线性层 $y = W_1 x + x$，我们没有观察到它有什么优势。"那么在**相同**深度下，跨 3 层、4 层又会怎样？
2. **用门控还是用恒等映射？** Highway Networks（Srivastava 等 2015）给捷径加了门：$y = (1 - T(x)) \odot x + T(x) \odot F(x)$。v2 表 1 在 ResNet-110 上试过这种互斥门控：视门偏置的初始化不同，训练失败或误差为 8.70 / 9.81%，而恒等映射是 6.61%。一个小型门控网络训练起来像残差网络吗？
3. **残差只是视觉领域的技巧吗？** LSTM 的细胞状态按加法更新：$c_t = f_t \odot c_{t-1} + i_t \odot g_t$——这是一条沿**时间**方向、带门控的捷径。v2 的分析在这里还成立吗？

这些问题本课都不会给出最终答案：小数据上的短时间训练噪声很大。请把每张图都当作一个有待验证的假设，用更多的步数和随机种子去检验。
""",
    ),
    code(r"""
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn

from resnet_edu.analysis import span_config, span_entries, span_param_counts, summarize_spans
from resnet_edu.training.config import model_spec, preset
from resnet_edu.models import ResidualUnit, count_params, list_units, parse_model_name
from resnet_edu.training.notebook import curves, find_data_dir, lesson_data, pick, train

# CIFAR-10 when it is in data/ (not in smoke mode), else the synthetic set; tiny in smoke mode.
DATASET, data = lesson_data(n_train=pick(full=10_000, smoke=128), n_test=pick(full=2_000, smoke=64))
WIDTHS = pick(full=(8, 16, 32), smoke=(4, 8, 8))  # channels per stage (the paper: 16, 32, 64)
STEPS = pick(full=600, smoke=3)
# The quick preset's recipe, shortened in smoke mode; every run below uses these settings.
SETTINGS = dict(dataset=DATASET, data_dir=str(find_data_dir()), widths=WIDTHS, steps=STEPS,
                milestones=(int(STEPS * 0.75),), batch_size=pick(full=64, smoke=8),
                log_every=pick(full=20, smoke=1), eval_every=pick(full=200, smoke=STEPS), device="auto")


def lockstep(models, seed=0):
    # One run, every model on the same batches (same order, same crops and flips).
    return train(preset("quick", models=tuple(models), seed=seed, **SETTINGS), data=data)


def plot_errors(events, title):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, (steps, err) in curves(events, "train_error").items():
        ax.plot(steps, np.array(err) * 100, label=name)
    ax.set_xlabel(T("step"))
    ax.set_ylabel(T("training error (%)"))
    ax.set_title(title)
    ax.legend(fontsize=8)
    plt.show()
    for name, (steps, err) in curves(events, "test_error").items():
        say("{name:>18}: test error {err:5.1f}% at step {step}", name=name, err=err[-1] * 100, step=steps[-1])
"""),
    md(
        en=r"""
## 1. How many layers should a shortcut skip?

`span` is the number of weight layers in a residual branch. Hold the depth fixed at 38 and change
only the span: $38 = 3 \cdot k \cdot n + 2$ gives $n = 12, 6, 4, 3$ units per stage for spans
$k = 1, 2, 3, 4$. The layers are the same; only where the shortcuts land changes:
""",
        zh=r"""
## 1. 一条捷径应该跨越几层？

`span` 是一个残差分支里权重层的个数。把深度固定为 38，只改变跨度：由 $38 = 3 \cdot k \cdot n + 2$，跨度 $k = 1, 2, 3, 4$ 时每个阶段分别有 $n = 12, 6, 4, 3$ 个单元。各层本身完全相同，变的只是捷径连接落在哪里：
""",
    ),
    code(r"""
SPANS = span_entries(depth=38)  # ("resnet38:span=1", ..., "resnet38:span=4")
span_run = span_config(depth=38, preset="quick", **SETTINGS)
say("the data holds {n_train:,} training and {n_test:,} test images; every run here trains on {used_train:,} and tests "
    "on {used_test:,} (the quick preset's sizes)", n_train=len(data[0]), n_test=len(data[1]),
    used_train=min(len(data[0]), span_run.train_size or len(data[0])),
    used_test=min(len(data[1]), span_run.test_size or len(data[1])))
span_params = span_param_counts(span_run)
for entry, params in span_params.items():
    spec = model_spec(entry, WIDTHS)
    say("{entry:>16}: {n:2d} units per stage, {units:2d} units, {params:,} parameters",
        entry=entry, n=spec.n, units=len(list_units(spec.build())), params=params)
print(ResidualUnit(8, 8, span=1).branch)  # a span-1 branch: one conv and its BN
check(len(set(span_params.values())) == 1, "the four spans have exactly the same number of parameters",
      "{counts}", counts=", ".join(f"{p:,}" for p in span_params.values()))
"""),
    md(
        en=r"""
The parameter counts are identical: with option A shortcuts, the span moves the shortcuts and
nothing else. A span-1 unit is $\mathrm{ReLU}(\mathrm{BN}(W_1 x) + x)$ — v1's "linear layer plus
$x$" (with BN and a ReLU). Train the four in lockstep:
""",
        zh=r"""
四个网络的参数量完全相同：使用选项 A 的捷径时，改变跨度只是挪动了捷径的位置，别的什么都没变。跨度为 1 的单元就是 $\mathrm{ReLU}(\mathrm{BN}(W_1 x) + x)$——也就是 v1 说的"线性层加上 $x$"（外加 BN 和 ReLU）。把这四个网络同步训练：
""",
    ),
    code(r"""
span_events = train(span_run, data=data)
plot_errors(span_events, T("ResNet-38, shortcut span 1, 2, 3, 4 (same layers, same batches)"))
spans = {r.span: r for r in summarize_spans(span_events)}
for r in spans.values():
    say("span {span}: training error {err:5.1f}%, training loss {loss:.3f}", span=r.span, err=r.train_error * 100,
        loss=r.train_loss)
    if r.status == "diverged":
        say("span {span} diverged", span=r.span)
last = {k: 100 * float(np.mean(curves(span_events, "train_error")[r.entry][1][-5:])) for k, r in spans.items()}
check(last[1] > max(last[k] for k in (2, 3, 4)),
      "span 1 ends with the highest training error of the four (mean of the last 5 logs)",
      "spans 1, 2, 3, 4: {errs}", errs=", ".join(f"{last[k]:.1f}%" for k in sorted(last)))
"""),
    md(
        en=r"""
**What to look for.** Whether span 1 lags behind spans 2–4 in *training* error (v1's remark is that
it shows no advantage, not that it fails), and whether 3 and 4 differ from 2 at all. With one seed
and a few hundred steps, differences of a point or two are within noise — exercise 1 asks for seeds.
(Our full-mode run on the real CIFAR-10 subset, seed 0: training error 68.0% for span 1 against
56.1 / 56.1 / 56.2% for spans 2 / 3 / 4; test error 67.9% against 55.7 / 56.5 / 54.7%. Span 1
lagged by 12 points; 2–4 were within noise of each other. The check under the plot tests only that
span 1 ends last.)

One way to think about it: with span $k$, the ResNet-38 has $36/k$ shortcuts, so $2^{36/k}$ paths
through the net (lesson 07's unrolled view). Span 1 gives the most paths but makes each branch a
single, nearly linear layer; span 4 gives each branch more to learn but fewer shortcuts.

## 2. Gates or identity: highway20 vs resnet20

`highway20` is the 20-layer net with exclusive gating, $(1 - g) \odot x + g \odot F(x)$ with
$g = \sigma(W_g x + b_g)$ from a 1×1 conv; the package starts it at $b_g = -1$
(Highway Networks suggest a negative bias so the unit first carries $x$ through).
""",
        zh=r"""
**看什么？** 看跨度 1 在**训练误差**上是否落后于跨度 2–4（v1 的说法是它"没有优势"，并不是说它训练失败），再看跨度 3、4 与跨度 2 到底有没有差别。只用一个随机种子、训练几百步，一两个百分点的差距都在噪声范围之内——练习 1 要求你多换几个随机种子。（我们在完整模式、真实 CIFAR-10 子集上、种子 0 的运行：跨度 1 的训练误差为 68.0%，跨度 2 / 3 / 4 为 56.1 / 56.1 / 56.2%；测试误差为 67.9%，对 55.7 / 56.5 / 54.7%。跨度 1 落后 12 个百分点；跨度 2–4 彼此相差在噪声范围之内。图下方的核对只检验跨度 1 是否排在最后。）

一种理解方式：跨度为 $k$ 时，ResNet-38 有 $36/k$ 条捷径，网络里就有 $2^{36/k}$ 条通路（见第 07 课的展开视角）。跨度 1 通路最多，但每个分支只是一个近似线性的单层；跨度 4 让每个分支能学更多东西，但捷径更少。

## 2. 门控还是恒等映射：highway20 对 resnet20

`highway20` 是 20 层的互斥门控网络：$(1 - g) \odot x + g \odot F(x)$，其中 $g = \sigma(W_g x + b_g)$ 由一个 1×1 卷积算出；本项目把它初始化为 $b_g = -1$（Highway Networks 建议用负的偏置，让单元一开始主要把 $x$ 传过去）。
""",
    ),
    code(r"""
print(parse_model_name("highway20"))  # the spec behind the name
gate_params = {entry: count_params(model_spec(entry, WIDTHS).build()) for entry in ("resnet20", "highway20", "plain20")}
for entry, params in gate_params.items():
    say("{entry:>10}: {params:,} parameters", entry=entry, params=params)
check(gate_params["highway20"] > gate_params["resnet20"] == gate_params["plain20"],
      "highway20 has more parameters than resnet20, which has exactly plain20's",
      "{counts}", counts=", ".join(f"{e} {p:,}" for e, p in gate_params.items()))
gate_events = lockstep(("plain20", "resnet20", "highway20"))
plot_errors(gate_events, T("plain20, resnet20 and highway20 (same batches)"))
gate_test = {name: 100 * err[-1] for name, (steps, err) in curves(gate_events, "test_error").items()}
check(gate_test["resnet20"] < min(gate_test["plain20"], gate_test["highway20"]),
      "resnet20 ends with the lowest test error of the three",
      "{errs}", errs=", ".join(f"{name} {err:.1f}%" for name, err in gate_test.items()))
"""),
    md(
        en=r"""
**What to look for.** The gated net has *more* parameters (the gate convolutions), but it cannot
simply copy the ResNet: in exclusive gating the same $g$ scales both paths, so $g \to 0$ makes the
shortcut an identity *and switches the residual branch off*, and $g \to 1$ does the reverse. A
ResNet's unit, $x + F(x)$, sits at neither end. So do not read highway20 as "a ResNet plus extra
freedom". v2 makes the "richer yet worse" argument (§3.2) only for *shortcut-only* gating, where
$g$ multiplies the shortcut alone, and for the 1×1 conv shortcut: those two can be optimized into
identity shortcuts, so they cover the ResNet's solution space, and their higher training error
shows an optimization problem, not a lack of representation. Compare also with the plain net:
one might expect a gated shortcut, still a shortcut, to put highway20 near resnet20 from the start.
In our full-mode run on the real CIFAR-10 subset it did not: highway20's training error sat above
plain20's for the first ~100 steps and tracked it until about step 450 (its gates start partly
closed), and only then moved between the two, ending at 56.8% test error against 62.4% for plain20
and 52.3% for resnet20 (seed 0; the check under the plot tests only that resnet20 ends lowest).

## 3. Residuals through time: the LSTM cell as a gated shortcut

Unroll a recurrent net over $T$ steps and it is a $T$-layer deep net with shared weights. A plain
tanh recurrence $h_t = \tanh(W h_{t-1} + U x_t)$ multiplies Jacobians through time — the classic
vanishing gradient of recurrent nets (unlike v1's BN plain nets, it really does vanish here). The
LSTM's cell state is additive instead:

$$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad \frac{\partial c_t}{\partial c_{t-1}} \approx \mathrm{diag}(f_t)$$

That is v2's Eq. 6 with $\lambda$ replaced by the forget gate $f_t = \sigma(\cdot + b_f)$: the clean path
through time carries $\prod_t f_t$. The original LSTM (Hochreiter & Schmidhuber, 1997) had no forget
gate at all — $f = 1$, an identity shortcut through time, its "constant error carousel". With
$b_f = 0$, $f \approx 0.5$: v2's failed constant scaling by 0.5. Practitioners initialize $b_f$ to 1 or
more, which is the same move as v2's $b_g = -6$: start the gate near the identity.

Measure $\|\partial E/\partial s_t\|$ for the state $s_t$ at every step, with $E$ a function of the last state,
in pure PyTorch:
""",
        zh=r"""
**看什么？** 门控网络的参数**更多**（多了门的卷积），但它并不能简单地照搬残差网络：在互斥门控里，同一个 $g$ 同时缩放两条通路，$g \to 0$ 让捷径成为恒等映射，**同时也关掉了残差分支**；$g \to 1$ 则正好相反。残差单元 $x + F(x)$ 不在这两个极端中的任何一端。所以不要把 highway20 理解成"残差网络再加一些自由度"。v2 的"表示能力更强、结果却更差"的论证（§3.2）只针对**仅捷径门控**（$g$ 只乘在捷径上）和 1×1 卷积捷径：这两者可以被优化成恒等捷径，因而涵盖了残差网络的解空间，它们更高的训练误差说明的是优化问题，而不是表示能力不足。再和普通网络比一比：带门的捷径仍然是捷径，人们也许会以为 highway20 一开始就接近 resnet20。我们在完整模式、真实 CIFAR-10 子集上的那次运行并非如此：最初约 100 步 highway20 的训练误差比 plain20 还高，此后一直跟着 plain20 走到约第 450 步（它的门一开始是部分关闭的），之后才移到两者之间，最终测试误差为 56.8%，plain20 为 62.4%，resnet20 为 52.3%（种子 0；图下方的核对只检验 resnet20 是否最低）。

## 3. 沿时间的残差：把 LSTM 单元看作带门控的捷径

把循环神经网络沿时间展开 $T$ 步，它就是一个共享权重的 $T$ 层深度网络。普通的 tanh 递推 $h_t = \tanh(W h_{t-1} + U x_t)$ 会沿时间把雅可比矩阵连乘起来——这就是循环网络中经典的梯度消失（和 v1 带 BN 的普通网络不同，这里的梯度是真的会消失）。LSTM 的细胞状态则是加法更新：

$$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad \frac{\partial c_t}{\partial c_{t-1}} \approx \mathrm{diag}(f_t)$$

这正是 v2 的式 6，只不过把 $\lambda$ 换成了遗忘门 $f_t = \sigma(\cdot + b_f)$：沿时间的干净通路上传递的是 $\prod_t f_t$。最初的 LSTM（Hochreiter 和 Schmidhuber，1997）根本没有遗忘门——$f = 1$，相当于一条沿时间的恒等捷径，也就是它所谓的"常数误差传送带"（constant error carousel）。若 $b_f = 0$，则 $f \approx 0.5$：这就是 v2 中失败的常数缩放 0.5。实践中人们把 $b_f$ 初始化为 1 或更大，与 v2 中 $b_g = -6$ 的做法如出一辙：让门一开始接近恒等映射。

下面用纯 PyTorch 测量每一步状态 $s_t$ 上的 $\|\partial E/\partial s_t\|$，其中 $E$ 只依赖最后一步的状态：
""",
    ),
    code(r"""
HIDDEN, STEPS_T, B = 32, pick(full=200, smoke=40), 8  # STEPS_T is the T of the text
torch.manual_seed(0)
xs = torch.randn(STEPS_T, B, HIDDEN)  # (T, B, HIDDEN) a random input sequence


def grad_through_time(step):
    # step(x_t, state) -> (new state, the tensor s_t to measure). E = ‖s_T‖²; returns ‖∂E/∂s_t‖, t = 1..T.
    state, kept = None, []
    for t in range(STEPS_T):
        state, s = step(xs[t], state)
        s.retain_grad()
        kept.append(s)
    kept[-1].pow(2).sum().backward()
    g = np.array([s.grad.norm().item() for s in kept])
    return g / g[-1]  # relative to the gradient at the last step


def tanh_rnn():
    torch.manual_seed(1)
    cell = nn.RNNCell(HIDDEN, HIDDEN)  # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
    return lambda x, h: (lambda h_new: (h_new, h_new))(cell(x, h))


def lstm(forget_bias):
    torch.manual_seed(1)
    cell = nn.LSTMCell(HIDDEN, HIDDEN)  # gates in the order i, f, g, o
    with torch.no_grad():
        cell.bias_ih[HIDDEN:2 * HIDDEN] = forget_bias  # b_f
        cell.bias_hh[HIDDEN:2 * HIDDEN] = 0.0

    def step(x, state):
        h, c = cell(x, state)  # c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
        return (h, c), c
    return step


runs, lstm_label = {"tanh RNN (plain)": tanh_rnn()}, {}
for b in (0.0, 1.0, 3.0, 6.0):
    lstm_label[b] = f"LSTM cell state, b_f = {b:g} (f≈{1 / (1 + np.exp(-b)):.3f})"
    runs[lstm_label[b]] = lstm(b)
grads = {label: grad_through_time(step) for label, step in runs.items()}
fig, ax = plt.subplots(figsize=(8, 4))
for label, g in grads.items():
    ax.semilogy(np.arange(1, STEPS_T + 1), np.maximum(g, 1e-30), label=label)
ax.set_xlabel(T("time step t (E is computed at t = T)"))
ax.set_ylabel(r"$\|\partial E/\partial s_t\| \,/\, \|\partial E/\partial s_T\|$")
ax.set_ylim(1e-30, 1e4)
ax.set_title(T("Gradient through time: plain recurrence vs gated additive cell state"))
ax.legend(fontsize=8)
plt.show()

at_step_1 = {label: g[0] for label, g in grads.items()}  # ‖∂E/∂s_1‖ / ‖∂E/∂s_T‖
for label, g1 in at_step_1.items():
    say("{label:>36}: gradient at step 1, relative to step T: {g:.2g}", label=label, g=g1)
tanh_g, lstm0_g, lstm6_g = at_step_1["tanh RNN (plain)"], at_step_1[lstm_label[0.0]], at_step_1[lstm_label[6.0]]
check(tanh_g < 1e-10 and lstm0_g < 1e-10,
      "the tanh recurrence and the LSTM with b_f = 0 lose the gradient: less than 1e-10 of it reaches step 1",
      "tanh {a:.2g}, LSTM b_f = 0 {b:.2g}", a=tanh_g, b=lstm0_g)
check(1e-2 < lstm6_g < 1e3, "with b_f = 6 the gradient reaches step 1 at a comparable size (within 2-3 orders of magnitude)",
      "{g:.2g}", g=lstm6_g)
"""),
    md(
        en=r"""
**What it means.** Read from right to left (back in time). The tanh recurrence loses the gradient
geometrically; the LSTM with $b_f = 0$ ($f \approx 0.5$) does too — a gated shortcut that starts
half-closed behaves like v2's constant scaling. As $b_f$ grows and $f \to 1$, the cell state becomes
an identity path through time and the gradient reaches step 1 at a comparable size. Same lesson as
v2 Table 1, in a different architecture: *keep the shortcut close to the identity*.

The same structure runs through much of modern deep learning. The original Transformer (Vaswani et
al. 2017) computes $\mathrm{LayerNorm}(x + \mathrm{Sublayer}(x))$ — normalization *after* the addition,
like v2's design (b); the "pre-LN" form $x + \mathrm{Sublayer}(\mathrm{LayerNorm}(x))$, common in later
models, is v2's full pre-activation idea: normalize inside the branch, keep the addition clean.

## Still open: questions this lesson does not settle

- **Stacked and recursive residuals.** Every shortcut here skips one branch. What if shortcuts
  were nested: a shortcut over a whole stage of residual units (a residual of residuals), or the
  same residual branch applied again and again with shared weights (a recursion, like the LSTM
  above, but in depth)? Lesson 07's unrolled view says a net of $n$ units is $2^n$ paths; nesting
  changes which paths exist. Try it: wrap a stage of `ResidualUnit`s in one more shortcut, or
  apply one unit several times, and train against `resnet20` with `lockstep`.
- **Coarser or different gates.** Section 2 and exercise 3 only vary the gate's *bias*. The gate
  itself could be coarser (one value per channel, or one scalar per unit, instead of one per
  position and channel), or not a sigmoid at all: a learned scalar on the *branch* that starts at
  0, $x + \alpha F(x)$, keeps the shortcut an exact identity and still lets each unit start as one
  (ReZero, Bachlechner et al. 2020, is one such design). Which of these keeps v2's clean path and
  which breaks it?
- **How far the span result carries.** Section 1 is one depth, narrow widths and a few hundred
  steps on small data. Whether the best span changes with width, depth or the bottleneck design is
  not answered here.

## Summary

- Span: at matched depth (38), spans 1–4 have identical parameters; v1 §3.2 saw no advantage for a
  single-layer residual ($y = W_1 x + x$). Short runs are noisy: use seeds before concluding.
- Gates vs identity: a highway net has more parameters, but exclusive gating cannot make both the
  shortcut and the branch fully open at once; v2 Table 1 shows it at 8.70 / 9.81% or failing,
  against 6.61% for the identity on ResNet-110. v2's "covers the identity's solution space yet
  trains worse" argument is for shortcut-only gating and 1×1 conv shortcuts.
- Through time: an LSTM's cell state $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ is a gated shortcut; its
  clean path carries $\prod f_t$, just as v2's scaled shortcut carries $\prod \lambda_i$. Forget gates
  initialized near 1 play the role of v2's gates initialized near the identity.
""",
        zh=r"""
**这说明了什么？** 从右往左读（沿时间往回）。tanh 递推的梯度按几何级数衰减；$b_f = 0$（$f \approx 0.5$）的 LSTM 也一样——一开始就半关着的门控捷径，表现和 v2 的常数缩放如出一辙。随着 $b_f$ 增大、$f \to 1$，细胞状态变成一条沿时间的恒等通路，梯度传回第 1 步时仍保持相当的大小。这和 v2 表 1 是同一个道理，只是换了一种网络结构：**让捷径保持接近恒等映射**。

同样的结构贯穿了当今深度学习的很多地方。最初的 Transformer（Vaswani 等 2017）计算的是 $\mathrm{LayerNorm}(x + \mathrm{Sublayer}(x))$——归一化放在相加**之后**，相当于 v2 的设计 (b)；后来的模型普遍改用"pre-LN"形式 $x + \mathrm{Sublayer}(\mathrm{LayerNorm}(x))$，这正是 v2 完全预激活的思路：把归一化放进分支，让相加这条通路保持干净。

## 仍未解决：本课回答不了的问题

- **堆叠的与递归的残差。** 本课的每条捷径都只跨过一个分支。如果捷径是嵌套的呢：一条捷径跨过整整一个阶段的残差单元（残差的残差），或者同一个残差分支用共享的权重反复套用多次（像上面的 LSTM 那样递归，只不过是沿深度方向）？第 07 课展开的视角告诉我们，$n$ 个单元的网络有 $2^n$ 条通路；嵌套会改变存在哪些通路。动手试试：给一个阶段的 `ResidualUnit` 外面再包一条捷径，或者把一个单元重复套用几次，然后用 `lockstep` 和 `resnet20` 一起训练。
- **更粗的门，或别的门。** 第 2 节和练习 3 只改变了门的**偏置**。门本身可以更粗（每个通道一个值，或者每个单元一个标量，而不是每个位置、每个通道各一个），也可以根本不用 sigmoid：在**分支**上乘一个从 0 开始学习的标量，$x + \alpha F(x)$，捷径保持严格的恒等映射，每个单元一开始也都是恒等映射（ReZero，Bachlechner 等 2020，就是这样的设计）。这些做法中，哪些保住了 v2 的干净通路，哪些破坏了它？
- **跨度的结论能推广多远。** 第 1 节只试了一个深度、较窄的宽度，在小数据上训练了几百步。最好的跨度是否随宽度、深度或瓶颈设计而变，这里没有回答。

## 小结

- 跨度：在相同深度（38 层）下，跨度 1–4 的参数量完全相同；v1 §3.2 没有观察到单层残差（$y = W_1 x + x$）有什么优势。短时间训练噪声大，下结论前要多换随机种子。
- 门控还是恒等映射：Highway 网络参数更多，但互斥门控无法让捷径和分支同时完全打开；v2 表 1 中，ResNet-110 上的互斥门控误差为 8.70 / 9.81% 或训练失败，而恒等映射为 6.61%。v2 的"涵盖恒等捷径的解空间、训练却更差"的论证针对的是仅捷径门控和 1×1 卷积捷径。
- 沿时间方向：LSTM 的细胞状态 $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ 是一条带门控的捷径；它的干净通路传递的是 $\prod f_t$，正如 v2 中缩放后的捷径传递的是 $\prod \lambda_i$。把遗忘门初始化为接近 1，相当于 v2 中把门初始化为接近恒等映射。
""",
    ),
    md(
        en=r"""
## Exercises

**Time.** Each `lockstep` call trains its nets for 600 steps, as the lesson's runs do (together
the whole lesson took 26 min on a busy 2-core CPU; see lessons/README.md): exercise 1 is three span runs,
exercises 2 and 3 one run of four nets each; exercise 4 takes seconds.

1. Rerun section 1 with seeds 0, 1, 2 (`lockstep(SPANS, seed=s)`) and plot the mean and spread of the
   final test error per span. Is any difference larger than the spread?
2. Span changes *where* shortcuts are, and so how many there are. Design a fairer comparison in which
   the number of shortcuts is fixed and the depth changes instead (e.g. 3 units per stage: spans 1, 2, 3, 4
   give depths 11, 20, 29, 38). What does it measure that section 1 does not?
3. Rebuild highway20 with the gate bias at 0 and at −6 (`"highway20:gate_bias=-6"`) and train the three
   gated nets in lockstep with resnet20. Relate what you see to v2 Table 1.
4. In section 3, replace the LSTM by a *pure* additive recurrence $c_t = c_{t-1} + \tanh(W c_{t-1} + U x_t)$
   (no gates). Does the gradient still reach step 1? What can go wrong with the forward signal
   that the forget gate prevents?
""",
        zh=r"""
## 练习

**耗时。** 每次调用 `lockstep` 都像本课的训练一样把网络训练 600 步（整课在繁忙的 2 核 CPU 上用了 26 分钟；见 lessons/README.zh.md）：练习 1 是三次跨度训练，练习 2 和 3 各是一次四个网络的训练；练习 4 只要几秒。

1. 用随机种子 0、1、2 重做第 1 节（`lockstep(SPANS, seed=s)`），画出每种跨度最终测试误差的均值和波动范围。有没有哪个差距比波动还大？
2. 跨度不仅改变捷径的**位置**，也改变捷径的**数量**。设计一个更公平的对比：固定捷径数量，改为让深度变化（例如每个阶段 3 个单元：跨度 1、2、3、4 分别对应深度 11、20、29、38）。它测量的是第 1 节没有测到的什么东西？
3. 把 highway20 的门偏置分别设为 0 和 −6（`"highway20:gate_bias=-6"`），与 resnet20 一起同步训练这三个门控网络。把你看到的现象和 v2 表 1 联系起来。
4. 在第 3 节中，把 LSTM 换成纯加法递推 $c_t = c_{t-1} + \tanh(W c_{t-1} + U x_t)$（不带门）。梯度还能传回第 1 步吗？前向信号可能出什么问题，而遗忘门恰好能防止它？
""",
    ),
    hint(
        en=r"""
1. `final = {e: [] for e in SPANS}`; for each seed, `ev = lockstep(SPANS, seed=s)` and append
   `curves(ev, "test_error")[e][1][-1]` for each entry; then `np.mean`/`np.std`. Expect the spread to be as large as
   the gaps: even on full CIFAR-10, seed variance is about as large as the gap between neighbouring depths.
2. `lockstep(("resnet11:span=1", "resnet20", "resnet29:span=3", "resnet38:span=4"))`: all have 3 units per
   stage, 9 in all. That comparison asks whether deeper branches help when the path structure ($2^9$ paths) is
   fixed; it changes the parameter count, so report that too.
3. `lockstep(("resnet20", "highway20:gate_bias=0", "highway20", "highway20:gate_bias=-6"))`. Gates
   started near the identity ($b_g = -6$, $1 - g \approx 1$) should behave most like resnet20, as in v2
   Table 1, where $b_g = -6$ gave the best gated results.
4. With `W, U = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN)`, define
   `def additive(x, c): c = torch.zeros(B, HIDDEN) if c is None else c; c = c + torch.tanh(W(c) + U(x)); return c, c`
   and add `runs["additive"] = additive`. The Jacobian is $I + \mathrm{diag}(1 - \tanh^2)\,W$, so the "1" is there and the gradient does not
   vanish — but nothing bounds $c_t$: it can drift and grow with $t$, and so can the gradient. The forget
   gate lets the cell *reset*, the price being $\prod f_t < 1$ on the clean path. With `torch.manual_seed(1)`
   before the two layers (the check below), the gradient at step 1 is about 1,800× the last step's (600–1,100× with seeds 0, 2, 3) and
   $\|c_t\|$ grows from about 7 at $t = 1$ to about 2,600 at $t = 200$.
""",
        zh=r"""
1. 先建 `final = {e: [] for e in SPANS}`；对每个随机种子运行 `ev = lockstep(SPANS, seed=s)`，对每个模型把 `curves(ev, "test_error")[e][1][-1]` 追加进去；最后用 `np.mean`/`np.std`。预期波动和差距一样大：即使在完整的 CIFAR-10 上，随机种子带来的波动也和相邻深度之间的差距相当。
2. `lockstep(("resnet11:span=1", "resnet20", "resnet29:span=3", "resnet38:span=4"))`：每个阶段都是 3 个单元，共 9 个。这个对比问的是：在通路结构固定（$2^9$ 条通路）时，更深的分支有没有帮助。它会改变参数量，所以也要把参数量报告出来。
3. `lockstep(("resnet20", "highway20:gate_bias=0", "highway20", "highway20:gate_bias=-6"))`。初始化时接近恒等映射的门（$b_g = -6$，$1 - g \approx 1$）应当最像 resnet20，这和 v2 表 1 一致：$b_g = -6$ 给出了门控变体中最好的结果。
4. 先建 `W, U = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN)`，再定义 `def additive(x, c): c = torch.zeros(B, HIDDEN) if c is None else c; c = c + torch.tanh(W(c) + U(x)); return c, c`，并加入 `runs["additive"] = additive`。雅可比矩阵是 $I + \mathrm{diag}(1 - \tanh^2)\,W$，那个"1"还在，梯度不会消失——但没有任何东西约束 $c_t$：它会随 $t$ 漂移、增长，梯度也可能跟着变大。遗忘门让细胞状态可以"清零重来"，代价是干净通路上多了 $\prod f_t < 1$。在这两层之前加上 `torch.manual_seed(1)`（即下面的核对）时，第 1 步的梯度约为最后一步的 1,800 倍（种子 0、2、3 时为 600–1,100 倍），$\|c_t\|$ 从 $t = 1$ 时的约 7 增长到 $t = 200$ 时的约 2,600。
""",
    ),
    code(r"""
# Checking the answer to exercise 4 with the solution's own code (seconds).
torch.manual_seed(1)
W, U = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN)


def additive(x, c):
    c = torch.zeros(B, HIDDEN) if c is None else c
    c = c + torch.tanh(W(c) + U(x))  # c_t = c_{t-1} + tanh(W c_{t-1} + U x_t): no gates
    return c, c


g_additive = grad_through_time(additive)
c, sizes = None, []
with torch.no_grad():
    for t in range(STEPS_T):
        c, _ = additive(xs[t], c)
        sizes.append(c.norm().item())
say("pure additive recurrence: gradient at step 1, relative to step T: {g:.3g}; ‖c_1‖ = {c1:.1f}, ‖c_T‖ = {cT:.1f}",
    g=g_additive[0], c1=sizes[0], cT=sizes[-1])
check(g_additive[0] > 1 and sizes[-1] > 10 * sizes[0],
      "without gates the gradient does not vanish (it reaches step 1 larger than at step T) and ‖c_t‖ grows more than tenfold",
      "gradient at step 1: {g:.3g}; ‖c_1‖ = {c1:.1f}, ‖c_T‖ = {cT:.1f}", g=g_additive[0], c1=sizes[0], cT=sizes[-1])
"""),
]

LABELS_ZH = {
    "step": "步",
    "training error (%)": "训练误差 (%)",
    "ResNet-38, shortcut span 1, 2, 3, 4 (same layers, same batches)": "ResNet-38，捷径跨度 1、2、3、4（相同的层，相同的批次）",
    "plain20, resnet20 and highway20 (same batches)": "plain20、resnet20 和 highway20（相同的批次）",
    "time step t (E is computed at t = T)": "时间步 t（E 在 t = T 处计算）",
    "Gradient through time: plain recurrence vs gated additive cell state": "沿时间的梯度：普通递推 vs 带门控的加法细胞状态",
}

TEXTS_ZH = {
    "the data holds {n_train:,} training and {n_test:,} test images; every run here trains on {used_train:,} and tests "
    "on {used_test:,} (the quick preset's sizes)":
        "数据中有训练图像 {n_train:,} 张、测试图像 {n_test:,} 张；这里每次训练用其中 {used_train:,} 张训练、{used_test:,} 张测试"
        "（quick 预设的大小）",
    "{name:>18}: test error {err:5.1f}% at step {step}": "{name:>18}：第 {step} 步的测试误差 {err:5.1f}%",
    "{entry:>16}: {n:2d} units per stage, {units:2d} units, {params:,} parameters":
        "{entry:>16}：每个阶段 {n:2d} 个单元，共 {units:2d} 个单元，{params:,} 个参数",
    "the four spans have exactly the same number of parameters": "四种跨度的参数量完全相同",
    "{counts}": "{counts}",
    "span {span}: training error {err:5.1f}%, training loss {loss:.3f}": "跨度 {span}：训练误差 {err:5.1f}%，训练损失 {loss:.3f}",
    "span {span} diverged": "跨度 {span} 发散了",
    "span 1 ends with the highest training error of the four (mean of the last 5 logs)":
        "四种跨度中，跨度 1 最终的训练误差最高（最后 5 次记录的平均）",
    "spans 1, 2, 3, 4: {errs}": "跨度 1、2、3、4：{errs}",
    "{entry:>10}: {params:,} parameters": "{entry:>10}：{params:,} 个参数",
    "highway20 has more parameters than resnet20, which has exactly plain20's":
        "highway20 的参数比 resnet20 多，而 resnet20 的参数与 plain20 完全相同",
    "resnet20 ends with the lowest test error of the three": "三个网络中，resnet20 最终的测试误差最低",
    "{errs}": "{errs}",
    "{label:>36}: gradient at step 1, relative to step T: {g:.2g}": "{label:>36}：第 1 步的梯度（相对于第 T 步）：{g:.2g}",
    "the tanh recurrence and the LSTM with b_f = 0 lose the gradient: less than 1e-10 of it reaches step 1":
        "tanh 递推和 b_f = 0 的 LSTM 都丢掉了梯度：传回第 1 步的不到 1e-10",
    "tanh {a:.2g}, LSTM b_f = 0 {b:.2g}": "tanh 为 {a:.2g}，b_f = 0 的 LSTM 为 {b:.2g}",
    "with b_f = 6 the gradient reaches step 1 at a comparable size (within 2-3 orders of magnitude)":
        "b_f = 6 时，梯度传回第 1 步时大小相当（相差在 2–3 个数量级以内）",
    "{g:.2g}": "{g:.2g}",
    "pure additive recurrence: gradient at step 1, relative to step T: {g:.3g}; ‖c_1‖ = {c1:.1f}, ‖c_T‖ = {cT:.1f}":
        "纯加法递推：第 1 步的梯度（相对于第 T 步）为 {g:.3g}；‖c_1‖ = {c1:.1f}，‖c_T‖ = {cT:.1f}",
    "without gates the gradient does not vanish (it reaches step 1 larger than at step T) and ‖c_t‖ grows more than tenfold":
        "不带门时梯度不会消失（传回第 1 步时比第 T 步还大），‖c_t‖ 增长到十倍以上",
    "gradient at step 1: {g:.3g}; ‖c_1‖ = {c1:.1f}, ‖c_T‖ = {cT:.1f}": "第 1 步的梯度：{g:.3g}；‖c_1‖ = {c1:.1f}，‖c_T‖ = {cT:.1f}",
}
