"""The seed experiment's figures (chapter 1 and activation_functions/) and the activation gallery."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..core import activations
from ..core.data import Dataset, on_training_interval
from ..core.store import Results
from .style import (
    COLUMN,
    LANDMARK_STYLE,
    at_bottom,
    band,
    colour,
    dash,
    label,
    legend_below,
    margin_labels,
    note_diverged,
    panels,
    suptitle,
    use_style,
)


def activation_gallery(names: tuple[str, ...] = tuple(activations.ACTIVATIONS)) -> plt.Figure:
    """phi(x) (solid) and phi'(x) (dashed) of every registered activation, one panel each."""
    use_style()
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    fig, axes = panels(len(names), None, 0.7 if len(names) > 4 else 0.9, sharex=True, sharey=True)
    for ax, name in zip(axes, names):
        act = activations.get(name)
        ax.plot(x, act.fn(x), color=act.colour, lw=2, label=r"$\phi(x)$")
        ax.plot(x, act.derivative(x), color=act.colour, lw=1.5, ls="--", label=r"$\phi'(x)$")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(act.label, color=act.colour)
        ax.set(ylim=(-1.5, 2.5), xticks=[-4, -2, 0, 2, 4])
        if at_bottom(ax):
            ax.set_xlabel("x")
    suptitle(fig, "The activations (solid) and their derivatives (dashed)", y=1.0)
    fig.tight_layout()
    legend_below(fig, axes, ncol=2)
    return fig


def learned_functions(res: Results, data: Dataset) -> plt.Figure:
    """One panel per activation: noisy data, the clean target, the fitted function (mean, seed band)."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    clean = data.y_wide[:, 0].numpy()
    fig, axes = panels(len(names), None, 0.85, sharey=True, sharex=True)
    for ax, name in zip(axes, names):
        pred = res.sel("pred", activation=name)[..., -1, :]  # [seed, x] at the last record epoch
        ax.scatter(data.x[:, 0], data.y[:, 0], s=3, color="0.72", label="noisy data")
        ax.plot(x[inside], clean[inside], color="k", ls=(0, (4, 2)), lw=1, label="clean target")
        band(ax, x[inside], pred[:, inside].T, name, lw=2, ls="-", label="fit (mean; band: min..max)")
        ax.set_title(label(name), color=colour(name))
        ax.set_xticks([-3, 0, 3])
        if at_bottom(ax):
            ax.set_xlabel("x")
        note_diverged(ax, res, name)
    axes[0].set_ylabel("y")
    suptitle(fig, f"What each network learned in {res.coords['record_epoch'][-1]} epochs "
             f"({len(res.coords['seed'])} seeds)", y=1.0)
    fig.tight_layout()
    legend_below(fig, axes, ncol=3)
    return fig


def loss_curves(res: Results) -> plt.Figure:
    """Train loss per epoch (log scale) of every activation, labelled in the right margin, with the landmarks.
    Where the seeds agree (within x/3 for most of training) one line is their geometric mean with a min..max
    band; where they do not (sigmoid's escape comes at a different epoch in each seed), every seed is a thin
    line, since an average of escapes at different times is a staircase no run follows."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN * 0.8, 4.0))
    epochs = np.asarray(res.coords["epoch"])
    ends = []
    for name in res.coords["activation"]:
        loss = res.sel("loss", activation=name)                            # [seed, epoch]
        with np.errstate(divide="ignore", invalid="ignore"):
            apart = np.mean(np.nanmax(loss, 0) > 3 * np.nanmin(loss, 0))     # share of epochs the seeds disagree
        if apart > 0.25:
            ax.plot(epochs, loss.T, color=colour(name), ls=dash(name), lw=0.9, alpha=0.9)
        else:
            band(ax, epochs, loss.T, name, log=True)
        ends.append((np.exp(np.nanmean(np.log(loss[:, -1]))), label(name), colour(name)))
    for key, value in res.meta["config"]["landmarks"].items():
        text, ls = LANDMARK_STYLE[key]
        ax.axhline(value, color="0.55", ls=ls, lw=0.9)
        ends.append((value, text, "0.4"))
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE (noisy targets)", xlim=(0, epochs[-1]))
    margin_labels(ax, ends, log=True)
    ax.set_title("Training loss: every activation and the three landmarks (grey)")
    return fig


def gradient_flow(res: Results, epochs: tuple = (1, 100, 200, "end"), kind: str = "grad_w") -> plt.Figure:
    """Gradient magnitude per hidden layer (log scale) at the chosen epochs, one panel each (kind: grad_w for
    mean |dL/dW_l|, grad_h for ||dL/dh_l||). Line: geometric mean over seeds, band: min..max."""
    use_style()
    grad_epochs = res.coords["grad_epoch"]
    chosen = []
    for e in epochs:
        e = grad_epochs[-1] if e == "end" else e
        if e in grad_epochs and e not in chosen:
            chosen.append(e)
    layers = np.asarray(res.coords["layer"])
    fig, axes = panels(len(chosen), 2, 0.72, sharex=True, sharey=True)
    for ax, when in zip(axes, chosen):
        for name in res.coords["activation"]:
            band(ax, layers, res.sel(kind, activation=name, grad_epoch=when).T, name, log=True, marker="o", ms=2.5)
        ax.set(yscale="log", title=f"after epoch {when}", xticks=layers[::3])
        if at_bottom(ax):
            ax.set_xlabel("hidden layer l (1 = input side)")
        if ax.get_subplotspec().colspan.start == 0:
            ax.set_ylabel({"grad_w": "mean |dL/dW_l|", "grad_h": "||dL/dh_l||"}[kind])
    suptitle(fig, "Per-layer gradient of the full-batch loss (line: geometric mean over seeds, band: min..max)",
             y=1.0)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig


def hidden_activations(res: Results, seed: int = 0, units: int = 12,
                       names: tuple[str, ...] = activations.SEED_ACTIVATIONS) -> plt.Figure:
    """a_l(x) of `units` units of the first and last hidden layer, at init and after training (one
    seed); one row per activation, y shared down each column, the share of units off in each panel."""
    use_style()
    names = [n for n in names if n in res.coords["activation"]]
    first, last = res.coords["probe_layer"][0], res.coords["probe_layer"][-1]
    x = np.asarray(res.coords["x_hidden"])
    cols = [(first, 0, "init"), (first, -1, "trained"), (last, 0, "init"), (last, -1, "trained")]
    fig, axes = plt.subplots(len(names), len(cols), figsize=(COLUMN, 1.15 * len(names) + 0.6),
                             squeeze=False, sharex=True, sharey="col")
    off_i = res.coords["unit_state"].index("off")
    for r, name in enumerate(names):
        hidden = res.sel("hidden", activation=name, seed=seed)      # [epoch, probe, x, unit]
        st = res.sel("unit_states", activation=name, seed=seed)     # [state epoch, layer, state]
        for c, (layer, e, tag) in enumerate(cols):
            ax = axes[r, c]
            p = res.coords["probe_layer"].index(layer)
            ax.plot(x, hidden[e, p, :, :units], color=colour(name), lw=0.8, alpha=0.85)
            off = st[0 if e == 0 else -1, layer - 1, off_i]
            ax.text(0.03, 0.95, f"{off:.0%} off", transform=ax.transAxes, va="top", fontsize=9, color="0.25")
            if r == 0:
                ax.set_title(f"layer {layer}, {tag}")
            if c == 0:
                ax.set_ylabel(label(name), color=colour(name))
            if r == len(names) - 1:
                ax.set(xlabel="x", xticks=[-3, 0, 3])
    suptitle(fig, f"Hidden activations a_l(x) of {units} units (seed {seed}); off: share of the 64 units "
             "on for no input", y=1.0)
    fig.tight_layout()
    return fig
