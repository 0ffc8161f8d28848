"""Chapter 5 figures: linear pieces, depth separation, fixed budgets, extrapolation, spectral bias."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LogNorm

from ..data import Dataset, on_training_interval, target_fn
from ..models import StackedMLP
from ..stats import cosine_components, mean_std
from ..store import Results
from .style import band, colour, finish, label, panels, per_activation_axes, use_style


def pieces_vs_neurons(init: Results, trained: dict[str, np.ndarray]) -> plt.Figure:
    """Exact linear pieces on [-pi, pi] against the number of hidden units L x n, at initialisation
    (markers by depth, line per width) and after training (stars); the shallow bound n + 1 and 2^L."""
    use_style()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    c = colour("relu")
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, init_name in enumerate(init.coords["init"]):
        for d, depth in enumerate(init.coords["depth"]):
            units = depth * np.asarray(init.coords["width"])
            m, _ = mean_std(init["pieces"][i, d].astype(float))
            ax.plot(units, m, markers[d % len(markers)], color=c if i == 0 else "0.55", ms=5,
                    mfc=c if i == 0 else "white", ls="-", lw=0.6,
                    label=f"init {init_name}, depth {depth}" if i == 0 else (f"init {init_name}" if d == 0 else None))
    for name, (units, pieces) in trained.items():
        ax.plot(units, pieces, "*", ms=12, color=colour(name), label=f"trained {label(name)}")
    n = np.logspace(0.5, 3.2, 50)
    ax.plot(n, n + 1, "k:", lw=1, label="n + 1: most a one-layer net of n units can have")
    ax.set(xscale="log", yscale="log", xlabel="hidden units (depth x width)", ylabel="linear pieces on [-pi, pi]",
           title="Linear pieces of ReLU networks: counted exactly")
    ax.legend(frameon=False, fontsize=7, ncol=2, loc="upper left")
    return fig


def tent_functions(nets: dict[str, StackedMLP], compositions: int, pieces: dict[str, np.ndarray],
                   mse: dict[str, np.ndarray]) -> plt.Figure:
    """The tent map target, the hand-built deep-narrow network that computes it exactly, and what
    gradient training found for each shape (seed 0)."""
    use_style()
    x = torch.linspace(-np.pi, np.pi, 2001, dtype=torch.float64).unsqueeze(1)
    fig, axes = panels(len(nets), 3, (3.6, 2.7), sharey=True)
    truth = target_fn("tent", compositions)(x)[:, 0]
    for ax, (name, net) in zip(axes, nets.items()):
        ax.plot(x[:, 0], truth, color="0.6", lw=3, label="target")
        with torch.no_grad():
            ax.plot(x[:, 0], net(x)[0][0, :, 0], color=colour("relu"), lw=1.2, label="network")
        extra = f", test MSE {np.median(mse[name]):.3f}" if name in mse else ""
        ax.set_title(f"{name}\npieces: {int(np.median(pieces[name]))}{extra}", fontsize=9)
        ax.set_xlabel("x")
    axes[0].legend(frameon=False, fontsize=8, loc="lower left")
    fig.suptitle(f"The tent map composed {compositions} times ({2 ** compositions} pieces): "
                 "built by hand vs found by training (median over seeds)", y=1.02)
    fig.tight_layout()
    return fig


def budget_maps(res: Results) -> plt.Figure:
    """Test MSE (median over seeds) per shape and target, one panel per activation."""
    use_style()
    names = res.coords["activation"]
    fig, axes = panels(len(names), 3, (3.9, 2.8), layout="constrained")
    med = np.median(res["final_test_mse"], -1)                         # [shape, target, activation]
    norm = LogNorm(1e-3, 1)
    for ax, name in zip(axes, names):
        v = med[:, :, res.index("activation", name)]
        mesh = ax.imshow(np.clip(v, 1e-3, 1), norm=norm, cmap="cividis_r", aspect="auto")
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                ax.text(j, i, f"{v[i, j]:.3f}", ha="center", va="center", fontsize=7,
                        color="white" if v[i, j] > 0.03 else "black")
        ax.set(xticks=range(v.shape[1]), xticklabels=res.coords["target"], yticks=range(v.shape[0]),
               yticklabels=res.coords["shape"])
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_title(label(name), color=colour(name))
        ax.grid(False)
    fig.colorbar(mesh, ax=list(axes), label="test MSE (clean target)", shrink=0.8)
    fig.suptitle("Same parameter budget, different shapes (depth x width): which fits which target")
    return fig


def extrapolation(res: Results, data: Dataset) -> plt.Figure:
    """Learned functions on [-2 pi, 2 pi] (training interval shaded), mean over seeds with band."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    fig, axes = panels(len(names), 3, (3.8, 2.9), sharey=True)
    for ax, name in zip(axes, names):
        ax.axvspan(-np.pi, np.pi, color="0.93", lw=0)
        ax.plot(x, np.sin(x), "k--", lw=1)
        band(ax, x, res.sel("pred", activation=name)[:, -1, :].T, name, lw=2)
        per_activation_axes(ax, name, xlabel="x", ylim=(-3, 3))
    fig.suptitle("Outside the training interval (shaded): how each activation extrapolates", y=1.0)
    fig.tight_layout()
    return fig


def spectral_bias(res: Results, freqs=(1, 3, 5), amplitudes=(1.0, 0.5, 0.25)) -> plt.Figure:
    """Fraction of each sine component of the target that the network has learned, over epochs."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    epochs = np.asarray(res.coords["record_epoch"])
    fig, axes = panels(len(names), 3, (3.8, 2.9), sharey=True)
    styles = ["-", "--", ":"]
    for ax, name in zip(axes, names):
        pred = res.sel("pred", activation=name)[..., inside]                 # [seed, epoch, x]
        comps = cosine_components(pred, x[inside], freqs)                       # [seed, epoch, k]
        for i, (k, amp, ls) in enumerate(zip(freqs, amplitudes, styles)):
            band(ax, epochs, comps[..., i].T / amp, name, ls=ls, lw=1.6)
            ax.lines[-1].set_label(f"cos({k}x)")
        ax.axhline(1, color="0.5", lw=0.8)
        per_activation_axes(ax, name, xlabel="epoch", ylim=(-0.2, 1.2))
    return finish(fig, axes, "learned fraction of the component",
                  "Spectral bias: target cos(x) + cos(3x)/2 + cos(5x)/4, which frequency is learned when")
