"""The seed experiment's figures (chapter 1 and activation_functions/) and the activation gallery."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .. import activations
from ..data import Dataset, on_training_interval
from ..store import Results
from .style import LANDMARK_STYLE, band, colour, label, note_diverged, use_style


def activation_gallery(names: tuple[str, ...] = tuple(activations.ACTIVATIONS)) -> plt.Figure:
    """phi(x) (solid) and phi'(x) (dashed) of every registered activation, one panel each."""
    use_style()
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.5 * rows), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        act = activations.get(name)
        ax.plot(x, act.fn(x), color=act.colour, lw=2, label=r"$\phi(x)$")
        ax.plot(x, act.derivative(x), color=act.colour, lw=1.5, ls="--", label=r"$\phi'(x)$")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(act.label, color=act.colour)
        ax.set_ylim(-1.5, 2.5)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("x")
    axes[0, 0].legend(loc="upper left", frameon=False)
    fig.suptitle("The activations (solid) and their derivatives (dashed)", y=1.01)
    fig.tight_layout()
    return fig


def learned_functions(res: Results, data: Dataset) -> plt.Figure:
    """One panel per activation: noisy data, the clean sine, the fitted function (mean, seed band)."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    fig, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 3.0), sharey=True,
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        pred = res.sel("pred", activation=name)[..., -1, :]  # [seed, x] at the last record epoch
        ax.scatter(data.x[:, 0], data.y[:, 0], s=5, color="0.6", label="noisy data")
        ax.plot(x[inside], np.sin(x[inside]), "k--", lw=1, label="sin(x)")
        band(ax, x[inside], pred[:, inside].T, name, lw=2)
        test = res.sel("final_test_mse", activation=name)
        ax.set_title(f"{label(name)}\ntest MSE {np.nanmean(test):.4f}", color=colour(name))
        ax.set_xlabel("x")
        note_diverged(ax, res, name)
    axes[0, 0].set_ylabel("y")
    axes[0, 0].legend(loc="upper left", frameon=False)
    fig.suptitle(f"Learned functions after {res.coords['record_epoch'][-1]} epochs "
                 f"(line: mean over {len(res.coords['seed'])} seeds, band: min..max)", y=1.08)
    return fig


def loss_curves(res: Results) -> plt.Figure:
    """Train loss per epoch (log scale), every activation, seeds as a min..max band, landmarks."""
    use_style()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    epochs = np.asarray(res.coords["epoch"])
    for name in res.coords["activation"]:
        band(ax, epochs, res.sel("loss", activation=name).T, name, log=True)
    for key, value in res.meta["config"]["landmarks"].items():
        text, ls = LANDMARK_STYLE[key]
        ax.axhline(value, color="0.35", ls=ls, lw=1)
        ax.text(epochs[-1], value, f" {text} {value:.3f}", va="center", fontsize=8, color="0.3")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE (noisy targets)",
           title="Training loss (line: geometric mean over seeds, band: min..max)")
    ax.legend(loc="lower left", frameon=False, ncol=2)
    return fig


def gradient_flow(res: Results, epochs: tuple = (100, 200, "end")) -> plt.Figure:
    """Gradient magnitude per hidden layer (log scale): first batches, then the chosen epochs.

    Top row: mean |dL/dW_l|; bottom row: ||dL/dh_l||. Line: geometric mean over seeds, band: min..max.
    """
    use_style()
    grad_epochs = res.coords["grad_epoch"]
    cols = [("steps", f"first {len(res.coords['step'])} steps (mean)")]
    for e in epochs:
        e = grad_epochs[-1] if e == "end" else e
        if e in grad_epochs and ("epoch", e) not in cols:
            cols.append(("epoch", e))
    layers = np.asarray(res.coords["layer"])
    fig, axes = plt.subplots(2, len(cols), figsize=(3.2 * len(cols), 6.2), sharex=True, sharey="row",
                             squeeze=False)
    for row, (kind, ylabel) in enumerate((("grad_w", "mean |dL/dW_l|"), ("grad_h", "||dL/dh_l||"))):
        for ax, (what, when) in zip(axes[row], cols):
            for name in res.coords["activation"]:
                if what == "steps":
                    g = np.nanmean(res.sel(kind + "_steps", activation=name), axis=-2)  # [seed, layer]
                else:
                    g = res.sel(kind, activation=name, grad_epoch=when)
                band(ax, layers, g.T, name, log=True, marker="o", ms=3)
            ax.set_yscale("log")
            ax.set_title(when if what == "steps" else f"after epoch {when}")
            if row == 1:
                ax.set_xlabel("hidden layer l (1 = next to the input)")
        axes[row, 0].set_ylabel(ylabel)
    axes[0, 0].set_xticks(layers)
    axes[0, -1].legend(loc="best", frameon=False, fontsize=8)
    fig.suptitle("Gradient flow: per-layer gradient magnitude of the full-batch loss", y=1.0)
    fig.tight_layout()
    return fig


def hidden_activations(res: Results, seed: int = 0, units: int = 16) -> plt.Figure:
    """a_l(x) of `units` units of each probe layer, at init and after training (one seed)."""
    use_style()
    names, probe_layers = res.coords["activation"], res.coords["probe_layer"]
    x = np.asarray(res.coords["x_hidden"])
    when = [(0, "init"), (len(res.coords["record_epoch"]) - 1, "trained")]
    fig, axes = plt.subplots(len(names), 2 * len(probe_layers),
                             figsize=(2.2 * 2 * len(probe_layers), 1.9 * len(names)), squeeze=False)
    states = res.coords["unit_state"]
    for r, name in enumerate(names):
        hidden = res.sel("hidden", activation=name, seed=seed)      # [epoch, probe, x, unit]
        st = res.sel("unit_states", activation=name, seed=seed)     # [state epoch, layer, state]
        at = [res.coords["state_epoch"].index(res.coords["record_epoch"][ei]) for ei, _ in when]
        for c, (pi, (ei, tag)) in enumerate([(p, w) for p in range(len(probe_layers)) for w in when]):
            ax = axes[r, c]
            ax.plot(x, hidden[ei, pi, :, :units], color=colour(name), lw=0.8, alpha=0.8)
            off = st[at[when.index((ei, tag))], probe_layers[pi] - 1, states.index("off")]
            ax.text(0.03, 0.92, f"off: {off:.0%}", transform=ax.transAxes, fontsize=7, va="top")
            if r == 0:
                ax.set_title(f"layer {probe_layers[pi]}, {tag}")
            if c == 0:
                ax.set_ylabel(label(name), color=colour(name))
            if r == len(names) - 1:
                ax.set_xlabel("x")
            ax.tick_params(labelsize=7)
    fig.suptitle(f"Hidden activations a_l(x) of {units} units (seed {seed}); "
                 "'off': units on for no input of the grid", y=1.0)
    fig.tight_layout()
    return fig
