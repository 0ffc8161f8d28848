"""Chapter 8 figures: the digits, their learning curves, and the sine task's measurements next to theirs."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..analysis.failure import diverged, finite
from ..analysis.measures import layer_ratio
from ..core.data import Dataset
from ..core.store import Results
from .style import COLUMN, INIT_LABEL, band, legend_below, use_style

STEPS_PER_EPOCH = {"sine": 1, "digits": 10}


def examples(data: Dataset, per_class: int = 2) -> plt.Figure:
    """The first training images of each class, as the network sees them (standardised pixels)."""
    use_style()
    labels = data.y.argmax(1).numpy()
    fig, axes = plt.subplots(per_class, 10, figsize=(COLUMN, 0.75 * per_class + 0.4))
    for c in range(10):
        for r, i in enumerate(np.flatnonzero(labels == c)[:per_class]):
            ax = axes[r, c]
            ax.imshow(data.x[i].reshape(8, 8).numpy(), cmap="gray_r", vmin=-2, vmax=2)
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
            if r == 0:
                ax.set_title(str(c))
    fig.suptitle("Training images, standardised pixel by pixel (8 x 8)", y=1.02)
    return fig


def accuracy_curves(res: Results, marks: dict[str, float]) -> plt.Figure:
    """Test accuracy against Adam steps per activation (line: mean, band: min..max over seeds), one panel per
    init and depth, with the linear softmax classifier and chance."""
    use_style()
    inits, depths = res.coords["init"], res.coords["depth"]
    fig, axes = plt.subplots(len(inits), len(depths), figsize=(COLUMN, 1.9 * len(inits) + 0.3), sharex=True,
                             sharey=True, squeeze=False)
    steps = np.asarray(res.coords["test_epoch"]) * STEPS_PER_EPOCH["digits"]
    acc = np.where(diverged(res)[..., None], np.nan, res["test_accuracy"])   # [init, depth, act, seed, epoch]
    for i, init in enumerate(inits):
        for j, depth in enumerate(depths):
            ax = axes[i, j]
            for a, name in enumerate(res.coords["activation"]):
                band(ax, steps, 100 * acc[i, j, a].T, name)
            ax.axhline(100 * marks["linear_test_accuracy"], color="k", ls="--", lw=1)
            ax.axhline(100 * marks["chance"], color="0.5", ls=":", lw=1)
            ax.set(title=f"{INIT_LABEL[init]}, depth {depth}", ylim=(0, 102))
            if i == len(inits) - 1:
                ax.set_xlabel("Adam steps")
            if j == 0:
                ax.set_ylabel("test accuracy (%)")
    axes[0, 0].text(steps[-1], 100 * marks["linear_test_accuracy"] + 0.6, "linear softmax", ha="right",
                    va="bottom", fontsize=9)
    axes[0, 0].text(steps[-1], 100 * marks["chance"] + 2, "chance", ha="right", fontsize=9, color="0.4")
    fig.tight_layout()
    legend_below(fig, [axes[0, 0]])
    return fig


def ratio_over_training(sine: Results, dig: Results, steps=(0, 100, 200, 500)) -> plt.Figure:
    """||dL/dh_1|| / ||dL/dh_10|| after 0, 100, 200 and 500 Adam steps, sine task and digits side by side
    (default init, depth 10; geometric mean and min..max over seeds)."""
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN, 3.2), sharey=True)
    for ax, (task, res) in zip(axes, (("sine", sine), ("digits", dig))):
        idx = [res.coords["grad_epoch"].index(s // STEPS_PER_EPOCH[task]) for s in steps]
        g = res["grad_h"][:, :, idx, :]                              # [act, seed, step, layer]
        r = np.where(diverged(res)[..., None], np.nan, layer_ratio(g))
        for a, name in enumerate(res.coords["activation"]):
            band(ax, steps, r[a].T, name, log=True, marker="o", ms=3)
        ax.axhline(1, color="k", lw=0.8)
        ax.set(yscale="log", xlabel="Adam steps", title=f"{task}: layer 1 / layer 10", xticks=list(steps))
    axes[0].set_ylabel(r"$\|\partial L/\partial h_1\| \,/\, \|\partial L/\partial h_{10}\|$")
    fig.tight_layout()
    legend_below(fig, [axes[0]])
    return fig


def off_over_training(sine: Results, dig: Results) -> plt.Figure:
    """Fraction of units off (on for no input; mean over the 10 layers) against Adam steps, both tasks."""
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN, 3.2), sharey=True)
    for ax, (task, res) in zip(axes, (("sine", sine), ("digits", dig))):
        steps = np.asarray(res.coords["state_epoch"]) * STEPS_PER_EPOCH[task]
        for name in res.coords["activation"]:
            band(ax, steps, res.sel("unit_states", activation=name, unit_state="off").mean(-1).T, name,
                 marker="o", ms=3)
        ax.set(xlabel="Adam steps", title=f"{task}: on for no {'input' if task == 'sine' else 'test image'}")
    axes[0].set_ylabel("fraction off (mean over 10 layers)")
    fig.tight_layout()
    legend_below(fig, [axes[0]])
    return fig


def lr_effect(sweep: Results, marks: dict[str, float]) -> plt.Figure:
    """After 500 steps, against the learning rate: units off (mean over layers) and test accuracy, per
    activation (line: mean, band: min..max over seeds; diverged runs left out)."""
    use_style()
    lrs = sweep.coords["lr"]
    off = finite(sweep.sel("unit_states", unit_state="off")[..., -1, :].mean(-1), sweep)     # [act, lr, seed]
    acc = finite(sweep["final_test_accuracy"], sweep)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(COLUMN, 3.3))
    for a, name in enumerate(sweep.coords["activation"]):
        band(ax, lrs, off[a], name, marker="o", ms=3)
        band(bx, lrs, 100 * acc[a], name, marker="o", ms=3)
    ax.set(xscale="log", xlabel="learning rate (Adam)", ylabel="fraction of units off, end",
           title="Units off at the end (digits)")
    bx.set(xscale="log", xlabel="learning rate (Adam)", ylabel="test accuracy (%)", ylim=(0, 100),
           title="Does the classifier survive?")
    bx.axhline(100 * marks["linear_test_accuracy"], color="k", ls="--", lw=1)
    bx.axhline(100 * marks["chance"], color="0.5", ls=":", lw=1)
    fig.tight_layout()
    legend_below(fig, [ax])
    return fig
