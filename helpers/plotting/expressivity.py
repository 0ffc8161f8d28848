"""Chapter 5 figures: linear pieces, depth separation, fixed budgets, extrapolation, spectral bias."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LogNorm

from ..analysis import rebuild
from ..analysis.stats import cosine_components, mean_sd
from ..core.data import Dataset, on_training_interval, target_fn
from ..core.models import tent_mlp
from ..core.store import Results
from .style import (
    COLUMN,
    at_bottom,
    band,
    colour,
    display_name,
    label,
    legend_below,
    panels,
    per_activation_axes,
    suptitle,
    use_style,
)


def pieces_vs_neurons(init: Results, seed_counts: dict[str, dict], budget: list[tuple[int, np.ndarray]]) -> plt.Figure:
    """Exact linear pieces on [-pi, pi] against the number of hidden units L x n: at initialisation
    (markers by depth, one line per width, mean over seeds), after training (stars: the seed run, one
    per seed; diamonds: ReLU shapes of the fixed budget on sin 6x); the one-layer bound n + 1."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN * 0.9, 4.2))
    c = colour("relu")
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, init_name in enumerate(init.coords["init"]):
        for d, depth in enumerate(init.coords["depth"]):
            units = depth * np.asarray(init.coords["width"])
            m, _ = mean_sd(init["pieces"][i, d].astype(float))
            ax.plot(units, m, markers[d % len(markers)], color=c if i == 0 else "0.55", ms=5,
                    mfc=c if i == 0 else "white", ls="-", lw=0.6,
                    label=f"{display_name(init_name)} init, depth {depth}" if i == 0
                    else (f"{display_name(init_name)} init" if d == 0 else None))
    for name, v in seed_counts.items():
        ax.plot(np.full(len(v["pieces"]), v["units"]), v["pieces"], "*", ms=10, color=colour(name), alpha=0.8,
                label=f"trained 10 x 64 {label(name)} (per seed)")
    for k, (units, counts) in enumerate(budget):
        ax.plot(np.full(len(counts), units), counts, "D", ms=5, color="0.2", mfc="none",
                label="trained ReLU, ~2,100 parameters, sin(6x)" if k == 0 else None)
    n = np.logspace(0.5, 3.2, 50)
    ax.plot(n, n + 1, "k:", lw=1, label="n + 1: the most one layer of n units can have")
    lo, hi = ax.get_ylim()
    lo = max(lo, 0.8)                      # a log axis: never at or below 0
    m = np.linspace(2, 2 * np.log2(hi * 10), 100)
    ax.plot(m, 2 ** (m / 2), "k--", lw=1, label=r"$2^{n/2}$: what depth can reach (tent maps, width 2)")
    ax.set(xscale="log", yscale="log", xlabel="hidden units n (depth x width)", ylabel="linear pieces on [-pi, pi]",
           title="Linear pieces of ReLU networks, counted exactly", ylim=(lo, hi))
    fig.tight_layout()
    legend_below(fig, [ax], ncol=2)
    return fig


def tent_functions(tent: Results, seed: int = 0) -> plt.Figure:
    """The tent map target, the hand-built deep-narrow network that computes it exactly, and what
    gradient training found for each shape, for one seed (its own test MSE and pieces in the title)."""
    from ..engine.probes import linear_pieces
    use_style()
    k = tent.meta["config"]["compositions"]
    x = torch.linspace(-np.pi, np.pi, 2001, dtype=torch.float64).unsqueeze(1)
    nets = {"hand-built 4 x 2": (tent_mlp(k), None)}
    for depth, width in tent.meta["config"]["shapes"]:
        tag = f"L{depth}_W{width}"
        nets[f"trained {depth} x {width}"] = (
            rebuild.trained(tent, params=f"params_{tag}", depth=depth, width=width, activation="relu", seed=seed),
            float(tent[f"test_mse_{tag}"][tent.index("seed", seed)]))
    fig, axes = panels(len(nets), 3, 0.85, sharey=True)
    truth = target_fn("tent", k)(x)[:, 0]
    for ax, (name, (net, mse)) in zip(axes, nets.items()):
        ax.plot(x[:, 0], truth, color="0.6", lw=3, label="target")
        with torch.no_grad():
            ax.plot(x[:, 0], net(x)[0][0, :, 0], color=colour("relu"), lw=1.2, label="network")
        extra = "exact" if mse is None else f"test MSE {mse:.3f}"
        ax.set_title(f"{name}\n{int(linear_pieces(net)[0])} pieces, {extra}")
        ax.set(xlabel="x", xticks=[-3, 0, 3])
    suptitle(fig, f"The tent map composed {k} times ({2 ** k} pieces): built by hand, and found by training "
             f"(seed {seed})", y=1.02)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig


def budget_maps(res: Results) -> plt.Figure:
    """Test MSE (median over seeds) per shape and target, one panel per activation."""
    use_style()
    names = res.coords["activation"]
    fig, axes = panels(len(names), 2, 0.55, layout="constrained", sharex=True, sharey=True)
    med = np.median(res["final_test_mse"], -1)                         # [shape, target, activation]
    norm = LogNorm(1e-3, 1)
    for ax, name in zip(axes, names):
        v = med[:, :, res.index("activation", name)]
        mesh = ax.imshow(np.clip(v, 1e-3, 1), norm=norm, cmap="cividis_r", aspect="auto")
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                ax.text(j, i, f"{v[i, j]:.3f}", ha="center", va="center", fontsize=9,
                        color="white" if v[i, j] > 0.03 else "black")
        ax.set(xticks=range(v.shape[1]), xticklabels=[t.replace("(1x)", "(x)") for t in res.coords["target"]],
               yticks=range(v.shape[0]), yticklabels=res.coords["shape"])
        ax.tick_params(axis="x", labelrotation=20)
        ax.set_title(label(name), color=colour(name))
        ax.grid(False)
    fig.colorbar(mesh, ax=list(axes), label="test MSE (clean target), median over seeds", shrink=0.8)
    suptitle(fig, "About 2,100 parameters, four shapes (depth x width): test MSE Adam reached in 500 epochs")
    return fig


def extrapolation(res: Results, data: Dataset) -> plt.Figure:
    """Learned functions on [-2 pi, 2 pi] (training interval shaded), mean over seeds with band."""
    use_style()
    names = res.coords["activation"]
    x = np.asarray(res.coords["x_wide"])
    clean = data.y_wide[:, 0].numpy()
    fig, axes = panels(len(names), None, 0.85, sharey=True, sharex=True)
    for ax, name in zip(axes, names):
        ax.axvspan(-np.pi, np.pi, color="0.93", lw=0)
        ax.plot(x, clean, color="k", ls=(0, (4, 2)), lw=1)
        band(ax, x, res.sel("pred", activation=name)[:, -1, :].T, name, lw=2, ls="-")
        per_activation_axes(ax, name, ylim=(-3, 3), xticks=[-6, 0, 6])
        if at_bottom(ax):
            ax.set_xlabel("x")
    suptitle(fig, "Outside the training interval (shaded): how each activation extrapolates "
             "(dashed: the clean target)", y=1.0)
    fig.tight_layout()
    return fig


def spectral_bias(res: Results, freqs=(1, 3, 5), amplitudes=(1.0, 0.5, 0.25)) -> plt.Figure:
    """Fraction of each cosine component of the target that the network has learned, over epochs,
    for the activations that learn it at all (the others are flat at 0: see the table)."""
    use_style()
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    epochs = np.asarray(res.coords["record_epoch"])
    comps = {n: cosine_components(res.sel("pred", activation=n)[..., inside], x[inside], freqs)
             for n in res.coords["activation"]}                                     # [seed, epoch, k]
    names = [n for n, c in comps.items() if np.nanmax(c[:, -1, 0]) > 0.5]
    fig, axes = panels(len(names), 3, 0.85, sharey=True, sharex=True)
    styles = ["-", "--", ":"]
    for ax, name in zip(axes, names):
        for i, (k, amp, ls) in enumerate(zip(freqs, amplitudes, styles)):
            band(ax, epochs, comps[name][..., i].T / amp, name, ls=ls, lw=1.6, label=f"cos({k}x)")
        ax.axhline(1, color="0.5", lw=0.8)
        per_activation_axes(ax, name, xlabel="epoch", ylim=(-0.2, 1.2))
    axes[0].set_ylabel("learned fraction")
    suptitle(fig, "Spectral bias: target cos(x) + cos(3x)/2 + cos(5x)/4, which frequency is learned when", y=1.0)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig
