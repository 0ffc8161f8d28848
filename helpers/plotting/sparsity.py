"""Chapter 3 figures: dead and sleeping units, at initialisation (theory vs measurement) and in training."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap, Normalize

from .. import activations
from ..stats import mean_sd as mean_std
from ..store import Results
from .style import band, colour, label, layer_epoch_heatmap, legend_outside, use_style


def dead_at_init(init: Results, predicted: dict[str, np.ndarray]) -> plt.Figure:
    """Fraction of dead ReLU units per layer at initialisation, per init: measured (mean over seeds,
    error bar: standard error) against the infinite-width prediction (line)."""
    use_style()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    c = colour("relu")
    layers = np.asarray(init.coords["layer"])
    for name, marker in zip(init.coords["init"], ("o", "^")):
        dead = init.sel("unit_states", init=name, activation="relu", unit_state="dead")       # [seed, layer]
        m, s = mean_std(dead.T)
        ax.errorbar(layers, m, yerr=s / np.sqrt(dead.shape[0]), fmt=marker, color=c, ms=6, capsize=2,
                    mfc=c if marker == "o" else "white", label=f"{name}: measured ({dead.shape[0]} networks)")
        ax.plot(layers, predicted[name], "--", color="0.2", lw=1)
    ax.plot([], [], "--", color="0.2", label="prediction (infinite width)")
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set(xlabel="hidden layer l", ylabel="fraction of ReLU units dead", ylim=(-0.02, 0.6),
           xticks=layers, title="Dead ReLU units at initialisation (on the input interval [-pi, pi])")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def born_dead(res: Results, formula: np.ndarray) -> plt.Figure:
    """P(dead at birth) of narrow zero-bias ReLU networks against depth, one line per width:
    simulated born-dead (solid), simulated and exact single-input death (markers, dashed)."""
    use_style()
    fig, ax = plt.subplots(figsize=(7, 4))
    depths = np.asarray(res.coords["depth"])
    shades = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(res.coords["width"])))
    for i, (w, col) in enumerate(zip(res.coords["width"], shades)):
        ax.plot(depths, res["born_dead"][i], "-", color=col, lw=2, label=f"width {w}")
        ax.plot(depths, res["point_dead"][i], "o", color=col, ms=4, mfc="white")
        ax.plot(depths, formula[i], "--", color=col, lw=1)
    ax.plot([], [], "k-", label="born dead (simulated)")
    ax.plot([], [], "ko", mfc="white", label="one input dead (simulated)")
    ax.plot([], [], "k--", label=r"one input dead: $1-(1-2^{-n})^L$")
    ax.set(xscale="log", xlabel="depth L", ylabel="probability",
           title=f"Narrow ReLU networks dead at birth ({res.meta['config']['samples']} networks per point)")
    ax.legend(frameon=False, fontsize=8, ncol=2, loc="upper left")
    return fig


def states_over_training(res: Results) -> plt.Figure:
    """Active fraction and off fraction (mean over all layers) against epoch, per activation."""
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs = np.asarray(res.coords["state_epoch"])
    for ax, state, title in zip(axes, ("active", "off"),
                                ("active fraction: (input, unit) pairs that are on",
                                 "off fraction: units on for no input")):
        for name in res.coords["activation"]:
            v = res.sel("unit_states", activation=name, unit_state=state).mean(-1)   # [seed, epoch]
            band(ax, epochs, v.T, name, marker="o", ms=3)
        ax.set(xlabel="epoch", ylabel="fraction (mean over the 10 layers)", title=title)
    axes[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def off_heatmap(res: Results) -> plt.Figure:
    """Fraction of units off for every input, per layer and epoch (mean over seeds)."""
    off = {n: res.sel("unit_states", activation=n, unit_state="off").mean(0).T for n in res.coords["activation"]}
    return layer_epoch_heatmap(off, res.coords["state_epoch"], Normalize(0, 0.6), "fraction of units off",
                               "Units off for every input, per layer over training (mean over seeds)",
                               cmap="magma")


def lr_effect(sweep: Results, lrs: list[float] | None = None) -> plt.Figure:
    """After training, against the learning rate: fraction of units off (mean over layers) and the
    final train MSE, per activation (line: mean, band: min..max over seeds; diverged runs left out)."""
    from ..failure import finite
    use_style()
    lrs = lrs or sweep.coords["lr"]
    idx = [sweep.index("lr", lr) for lr in lrs]
    off_all = finite(sweep.sel("unit_states", unit_state="off")[..., -1, :].mean(-1), sweep)   # [act, lr, seed]
    mse_all = finite(sweep["final_train_mse"], sweep)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 3.8))
    for a, name in enumerate(sweep.coords["activation"]):
        band(ax, lrs, off_all[a, idx], name, marker="o", ms=3)
        band(bx, lrs, mse_all[a, idx], name, log=True, marker="o", ms=3)
    ax.set(xscale="log", xlabel="learning rate (Adam)", ylabel="fraction of units off, end of training",
           title="How many units end up off")
    bx.set(xscale="log", yscale="log", xlabel="learning rate (Adam)", ylabel="final train MSE",
           title="Does the fit survive? (diverged runs left out)")
    for key, ls in (("constant", ":"), ("noise_floor", "-.")):
        bx.axhline(sweep.meta["config"]["landmarks"][key], color="0.5", ls=ls, lw=1)
    bx.text(lrs[0], sweep.meta["config"]["landmarks"]["constant"] * 1.15, "best constant", fontsize=7, color="0.4")
    bx.text(lrs[0], sweep.meta["config"]["landmarks"]["noise_floor"] * 1.15, "noise floor", fontsize=7, color="0.4")
    legend_outside(fig, [ax])
    fig.tight_layout()
    return fig


def unit_raster(res: Results, seed: int = 0) -> plt.Figure:
    """Which units are on for which input: unit x input maps of the probe layers, at init and trained."""
    use_style()
    import torch

    from ..probes import is_on
    names, probe_layers = res.coords["activation"], res.coords["probe_layer"]
    x = np.asarray(res.coords["x_hidden"])
    cols = [(p, e) for p in range(len(probe_layers)) for e in (0, -1)]
    fig, axes = plt.subplots(len(names), len(cols), figsize=(1.9 * len(cols), 1.6 * len(names)),
                             squeeze=False, sharex=True)
    for r, name in enumerate(names):
        act = activations.get(name)
        pre = res.sel("hidden_pre", activation=name, seed=seed)                   # [epoch, probe, x, unit]
        cmap = ListedColormap(["#f4f4f4", act.colour])
        for c, (p, e) in enumerate(cols):
            on = is_on(act, torch.from_numpy(pre[e, p])).numpy().T               # [unit, x]
            order = np.lexsort((-on.sum(1), on.argmax(1) + (~on.any(1)) * len(x)))  # by first-on input
            ax = axes[r, c]
            ax.imshow(on[order], aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
                      extent=(x[0], x[-1], on.shape[0], 0))
            ax.grid(False)
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"layer {probe_layers[p]}, {'init' if e == 0 else 'trained'}", fontsize=9)
            if c == 0:
                ax.set_ylabel(label(name), color=colour(name), fontsize=9)
            if r == len(names) - 1:
                ax.set_xlabel("x")
    fig.suptitle(f"Which of the 64 units are on (coloured) for which input x (seed {seed}; units sorted "
                 "by the first input that turns them on)", y=1.0)
    fig.tight_layout()
    return fig


def preactivation_histograms(pre: dict[str, dict[str, list[np.ndarray]]], layers: tuple[int, ...]) -> plt.Figure:
    """Histograms of the pre-activations h_l of chosen layers, at init and trained, per activation;
    the shaded band is where |phi'(h)| < 1% of its max (a unit there passes almost no gradient).

    pre[name][when] is the list of h_l arrays (any shape) of every hidden layer; when: init, trained."""
    use_style()
    import torch

    from ..probes import SATURATION_THRESHOLD, relative_slope
    names = list(pre)
    fig, axes = plt.subplots(len(names), 2, figsize=(9, 1.9 * len(names)), squeeze=False)
    styles = ["-", "--", ":", "-."]
    for r, name in enumerate(names):
        act = activations.get(name)
        for c, when in enumerate(("init", "trained")):
            ax = axes[r, c]
            values = [pre[name][when][l - 1].ravel() for l in layers]
            lim = np.percentile(np.abs(np.concatenate(values)), 99.5) * 1.1
            grid = torch.linspace(-lim, lim, 2001, dtype=torch.float64)
            flat = (relative_slope(act, grid) < SATURATION_THRESHOLD).numpy()
            ax.fill_between(grid.numpy(), 0, 1, where=flat, color="0.85", transform=ax.get_xaxis_transform(),
                            lw=0, label="|phi'| < 1% of max")
            for v, l, ls in zip(values, layers, styles):
                ax.hist(np.clip(v, -lim, lim), bins=80, range=(-lim, lim), density=True, histtype="step",
                        color=act.colour, ls=ls, lw=1.4, label=f"layer {l}")
            ax.set_yticks([])
            ax.set_xlim(-lim, lim)
            if r == 0:
                ax.set_title(f"pre-activations h, {when}")
            if c == 0:
                ax.set_ylabel(label(name), color=colour(name))
        axes[r, 1].legend(frameon=False, fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("h")
    axes[-1, 1].set_xlabel("h")
    fig.tight_layout()
    return fig
