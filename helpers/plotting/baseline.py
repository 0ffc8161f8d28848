"""The seed experiment's figures (chapter 1 and activation_functions/) and the activation gallery."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .. import activations
from ..data import Dataset, on_training_interval
from ..store import Results
from .style import LANDMARK_STYLE, band, colour, label, legend_outside, note_diverged, panels, use_style


def activation_gallery(names: tuple[str, ...] = tuple(activations.ACTIVATIONS)) -> plt.Figure:
    """phi(x) (solid) and phi'(x) (dashed) of every registered activation, one panel each."""
    use_style()
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    fig, axes = panels(len(names), 4, (3.0, 2.5), sharex=True)
    for ax, name in zip(axes, names):
        act = activations.get(name)
        ax.plot(x, act.fn(x), color=act.colour, lw=2, label=r"$\phi(x)$")
        ax.plot(x, act.derivative(x), color=act.colour, lw=1.5, ls="--", label=r"$\phi'(x)$")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(act.label, color=act.colour)
        ax.set(ylim=(-1.5, 2.5), xlabel="x")
    axes[0].legend(loc="upper left", frameon=False)
    fig.suptitle("The activations (solid) and their derivatives (dashed)", y=1.01)
    fig.tight_layout()
    return fig


def learned_functions(res: Results, data: Dataset) -> plt.Figure:
    """One panel per activation: noisy data, the clean target, the fitted function (mean, seed band)."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    clean = data.y_wide[:, 0].numpy()
    fig, axes = panels(len(names), 4, (3.1, 2.8), sharey=True)
    for ax, name in zip(axes, names):
        pred = res.sel("pred", activation=name)[..., -1, :]  # [seed, x] at the last record epoch
        ax.scatter(data.x[:, 0], data.y[:, 0], s=4, color="0.7", label="noisy data")
        ax.plot(x[inside], clean[inside], color="k", ls=(0, (4, 2)), lw=1, label="clean target")
        band(ax, x[inside], pred[:, inside].T, name, lw=2, ls="-", label="fit (mean, min..max band)")
        ax.set_title(label(name), color=colour(name))
        ax.set_xlabel("x")
        note_diverged(ax, res, name)
    axes[0].set_ylabel("y")
    legend_outside(fig, axes)
    fig.suptitle(f"What each network learned in {res.coords['record_epoch'][-1]} epochs "
                 f"({len(res.coords['seed'])} seeds)", y=1.0)
    fig.tight_layout()
    return fig


def loss_curves(res: Results) -> plt.Figure:
    """Train loss per epoch (log scale), every activation, seeds as a min..max band, landmarks."""
    use_style()
    fig, ax = plt.subplots(figsize=(8, 4.4))
    epochs = np.asarray(res.coords["epoch"])
    for name in res.coords["activation"]:
        band(ax, epochs, res.sel("loss", activation=name).T, name, log=True)
    for key, value in res.meta["config"]["landmarks"].items():
        text, ls = LANDMARK_STYLE[key]
        ax.axhline(value, color="0.35", ls=ls, lw=1)
        ax.text(epochs[-1] * 1.01, value, f"{text} {value:.3f}", va="center", fontsize=8, color="0.3")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE (noisy targets)",
           title="Training loss (line: geometric mean over seeds, band: min..max)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.22, 1.0), frameon=False)
    return fig


def gradient_flow(res: Results, epochs: tuple = (1, 100, 200, "end")) -> plt.Figure:
    """Gradient magnitude per hidden layer (log scale): first steps, then the chosen epochs.

    Top row: mean |dL/dW_l|; bottom row: ||dL/dh_l||. Line: geometric mean over seeds, band: min..max."""
    use_style()
    grad_epochs = res.coords["grad_epoch"]
    cols = [("steps", f"first {len(res.coords['step'])} steps (mean)")]
    for e in epochs:
        e = grad_epochs[-1] if e == "end" else e
        if e in grad_epochs and ("epoch", e) not in cols:
            cols.append(("epoch", e))
    layers = np.asarray(res.coords["layer"])
    fig, axes = plt.subplots(2, len(cols), figsize=(3.0 * len(cols), 5.8), sharex=True, sharey="row",
                             squeeze=False)
    for row, (kind, ylabel) in enumerate((("grad_w", "mean |dL/dW_l|"), ("grad_h", "||dL/dh_l||"))):
        for ax, (what, when) in zip(axes[row], cols):
            for name in res.coords["activation"]:
                g = (np.nanmean(res.sel(kind + "_steps", activation=name), axis=-2) if what == "steps"
                     else res.sel(kind, activation=name, grad_epoch=when))                     # [seed, layer]
                band(ax, layers, g.T, name, log=True, marker="o", ms=2.5)
            ax.set_yscale("log")
            ax.set_title(when if what == "steps" else f"after epoch {when}")
            if row == 1:
                ax.set_xlabel("hidden layer l (1 = input side)")
        axes[row, 0].set_ylabel(ylabel)
    axes[0, 0].set_xticks(layers[::3])
    legend_outside(fig, axes[0])
    fig.suptitle("Per-layer gradient of the full-batch loss (line: geometric mean over seeds, band: min..max)",
                 y=1.0)
    fig.tight_layout()
    return fig


def hidden_activations(res: Results, seed: int = 0, units: int = 12,
                       names: tuple[str, ...] = activations.SEED_ACTIVATIONS) -> plt.Figure:
    """a_l(x) of `units` units of the first and last hidden layer, at init and after training (one
    seed); one row per activation, y shared down each column, units off in the title."""
    use_style()
    names = [n for n in names if n in res.coords["activation"]]
    first, last = res.coords["probe_layer"][0], res.coords["probe_layer"][-1]
    x = np.asarray(res.coords["x_hidden"])
    cols = [(first, 0, "init"), (first, -1, "trained"), (last, 0, "init"), (last, -1, "trained")]
    fig, axes = plt.subplots(len(names), len(cols), figsize=(2.6 * len(cols), 1.7 * len(names)),
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
            ax.set_title(f"{label(name)}: layer {layer}, {tag}, {off:.0%} off", fontsize=8, color=colour(name))
            ax.tick_params(labelsize=7)
            if r == len(names) - 1:
                ax.set_xlabel("x")
    fig.suptitle(f"Hidden activations a_l(x) of {units} units (seed {seed}); 'off': share of the 64 units "
                 "that are on for no input", y=1.0)
    fig.tight_layout()
    return fig
