"""Chapter 3 figures: dead and sleeping units, at initialisation (theory vs measurement) and in training."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap, Normalize

from ..analysis.stats import mean_sd as mean_std
from ..core import activations
from ..core.store import Results
from .style import COLUMN, band, colour, display_name, label, layer_epoch_heatmap, legend_below, panels, use_style


def dead_at_init(init: Results, predicted: dict[str, np.ndarray]) -> plt.Figure:
    """Fraction of dead ReLU units per layer at initialisation, per init: measured (mean over seeds,
    error bar: standard error) against the infinite-width prediction (line)."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN * 0.85, 3.4))
    c = colour("relu")
    layers = np.asarray(init.coords["layer"])
    for name, marker in zip(init.coords["init"], ("o", "^")):
        dead = init.sel("unit_states", init=name, activation="relu", unit_state="dead")       # [seed, layer]
        m, s = mean_std(dead.T)
        ax.errorbar(layers, m, yerr=s / np.sqrt(dead.shape[0]), fmt=marker, color=c, ms=6, capsize=2,
                    mfc=c if marker == "o" else "white",
                    label=f"{display_name(name)}: measured ({dead.shape[0]} networks)")
        ax.plot(layers, predicted[name], "--", color="0.2", lw=1)
    ax.plot([], [], "--", color="0.2", label="prediction (infinite width)")
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set(xlabel="hidden layer l", ylabel="fraction of ReLU units dead", ylim=(-0.02, 0.6),
           xticks=layers, title="Dead ReLU units at initialisation (inputs in [-pi, pi])")
    ax.legend(frameon=False, loc="lower right")
    return fig


def born_dead(res: Results, formula: np.ndarray) -> plt.Figure:
    """P(dead at birth) of narrow zero-bias ReLU networks against depth, one line per width:
    simulated born-dead (solid), simulated and exact single-input death (markers, dashed)."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN * 0.85, 3.6))
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
    ax.legend(frameon=False, ncol=2, loc="upper left")
    return fig


def states_over_training(res: Results) -> plt.Figure:
    """Active fraction and off fraction (mean over all layers) against epoch, per activation."""
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN, 3.2))
    epochs = np.asarray(res.coords["state_epoch"])
    for ax, state, title in zip(axes, ("active", "off"),
                                ("active: (input, unit) pairs on", "off: units on for no input")):
        for name in res.coords["activation"]:
            v = res.sel("unit_states", activation=name, unit_state=state).mean(-1)   # [seed, epoch]
            band(ax, epochs, v.T, name, marker="o", ms=3)
        ax.set(xlabel="epoch", ylabel="fraction (mean over the 10 layers)", title=title)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig


def off_heatmap(res: Results) -> plt.Figure:
    """Fraction of units off for every input, per layer and epoch (mean over seeds), for the activations that
    have any; the others are named in the title (a panel that is all zero carries no picture)."""
    off = {n: res.sel("unit_states", activation=n, unit_state="off").mean(0).T for n in res.coords["activation"]}
    none = [label(n) for n, v in off.items() if v.max() < 0.005]
    shown = {n: v for n, v in off.items() if v.max() >= 0.005}
    title = "Units off for every input, per layer over training (mean over seeds)"
    if none:
        title += f"; fewer than 0.5% off at every epoch: {', '.join(none)}"
    return layer_epoch_heatmap(shown, res.coords["state_epoch"], Normalize(0, 0.6), "fraction of units off", title,
                               cmap="magma_r")


def lr_effect(sweep: Results, lrs: list[float] | None = None) -> plt.Figure:
    """After training, against the learning rate: fraction of units off (mean over layers) and the
    final train MSE, per activation (line: mean, band: min..max over seeds; diverged runs left out)."""
    from ..analysis.failure import finite
    use_style()
    lrs = lrs or sweep.coords["lr"]
    idx = [sweep.index("lr", lr) for lr in lrs]
    off_all = finite(sweep.sel("unit_states", unit_state="off")[..., -1, :].mean(-1), sweep)   # [act, lr, seed]
    mse_all = finite(sweep["final_train_mse"], sweep)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(COLUMN, 3.3))
    for a, name in enumerate(sweep.coords["activation"]):
        band(ax, lrs, off_all[a, idx], name, marker="o", ms=3)
        band(bx, lrs, mse_all[a, idx], name, log=True, marker="o", ms=3)
    ax.set(xscale="log", xlabel="learning rate (Adam)", ylabel="fraction of units off, end",
           title="How many units end up off")
    bx.set(xscale="log", yscale="log", xlabel="learning rate (Adam)", ylabel="final train MSE",
           title="Does the fit survive?")
    for key, ls in (("constant", ":"), ("noise_floor", "-.")):
        bx.axhline(sweep.meta["config"]["landmarks"][key], color="0.5", ls=ls, lw=1)
    bx.text(lrs[0], sweep.meta["config"]["landmarks"]["constant"] * 1.15, "best constant", fontsize=9, color="0.4")
    bx.text(lrs[0], sweep.meta["config"]["landmarks"]["noise_floor"] * 1.15, "noise floor", fontsize=9, color="0.4")
    fig.tight_layout()
    legend_below(fig, [ax])
    return fig


def unit_raster(res: Results, seed: int = 0, names: tuple[str, ...] = ("sigmoid", "relu", "leaky_relu", "gelu")
                ) -> plt.Figure:
    """Which units are on for which input: unit x input maps of the probe layers, at init and trained, for the
    activations in `names` (one row each)."""
    use_style()
    import torch

    from ..engine.probes import is_on
    names = [n for n in names if n in res.coords["activation"]]
    probe_layers = res.coords["probe_layer"]
    x = np.asarray(res.coords["x_hidden"])
    cols = [(p, e) for p in range(len(probe_layers)) for e in (0, -1)]
    fig, axes = plt.subplots(len(names), len(cols), figsize=(COLUMN, 1.3 * len(names) + 0.5),
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
                ax.set_title(f"layer {probe_layers[p]}, {'init' if e == 0 else 'trained'}")
            if c == 0:
                ax.set_ylabel(label(name), color=colour(name))
            if r == len(names) - 1:
                ax.set(xlabel="x", xticks=[-3, 0, 3])
    fig.suptitle(f"Which of the 64 units (rows) are on, coloured, for which input x (seed {seed})", y=1.0)
    fig.tight_layout()
    return fig


def preactivation_histograms(pre: dict[str, dict[str, list[np.ndarray]]], layers: tuple[int, ...],
                             names: tuple[str, ...] = ("sigmoid", "tanh", "relu", "gelu")) -> plt.Figure:
    """Histograms of the pre-activations h_l of chosen layers (shaded light to dark: input side to output
    side), at init (top row) and trained (bottom row), one column per activation in `names`, the h range
    shared down a column; the grey band is where |phi'(h)| < 1% of its max (almost no gradient passes).

    pre[name][when] is the list of h_l arrays (any shape) of every hidden layer; when: init, trained."""
    use_style()
    import torch
    from matplotlib.colors import to_rgb

    from ..engine.probes import SATURATION_THRESHOLD, relative_slope
    names = [n for n in names if n in pre]
    fig, axes = plt.subplots(2, len(names), figsize=(COLUMN, 3.6), squeeze=False, sharex="col")
    for c, name in enumerate(names):
        act = activations.get(name)
        lim = np.percentile(np.abs(np.concatenate([pre[name][w][l - 1].ravel() for w in ("init", "trained")
                                                   for l in layers])), 99.5) * 1.1
        grid = torch.linspace(-lim, lim, 2001, dtype=torch.float64)
        flat = (relative_slope(act, grid) < SATURATION_THRESHOLD).numpy()
        for r, when in enumerate(("init", "trained")):
            ax = axes[r, c]
            ax.fill_between(grid.numpy(), 0, 1, where=flat, color="0.85", transform=ax.get_xaxis_transform(),
                            lw=0, label="|phi'| < 1% of max")
            for k, l in enumerate(layers):
                shade = 0.4 + 0.6 * k / max(1, len(layers) - 1)               # light: input side; dark: output side
                rgb = tuple(1 - shade * (1 - v) for v in to_rgb(act.colour))
                ax.hist(np.clip(pre[name][when][l - 1].ravel(), -lim, lim), bins=60, range=(-lim, lim), density=True,
                        histtype="step", color=rgb, lw=1.6, label=f"layer {l}")
            ax.set(yticks=[], xlim=(-lim, lim))
            if r == 0:
                ax.set_title(label(name), color=colour(name))
            if c == 0:
                ax.set_ylabel(when)
        axes[1, c].set_xlabel("h")
    fig.tight_layout()
    handles = [plt.Line2D([], [], color=str(0.75 - 0.6 * k / max(1, len(layers) - 1)), lw=1.6, label=f"layer {l}")
               for k, l in enumerate(layers)]
    handles.append(plt.matplotlib.patches.Patch(color="0.85", label="|phi'| < 1% of max"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), frameon=False)
    return fig


def unit_states_explained(names: tuple[str, ...] = ("relu", "sigmoid", "gelu")) -> plt.Figure:
    """What a unit's state means, read off its activation's slope: |phi'(h)| relative to its largest value
    (probes.relative_slope, the one definition), with the bands a unit's inputs fall in. On at an input: at least
    ON_THRESHOLD; off: on at no input; saturated: below SATURATION_THRESHOLD at every input; dead: exactly 0 at every
    input (only a flat half-line, ReLU's, allows it)."""
    import torch

    from ..engine import probes
    use_style()
    fig, axes = panels(len(names), cols=len(names), aspect=1.0, sharey=True, layout="constrained")
    h = torch.linspace(-9, 9, 3601, dtype=torch.float64)
    on, sat = probes.ON_THRESHOLD, probes.SATURATION_THRESHOLD
    for ax, name in zip(axes, names):
        act = activations.get(name)
        s = probes.relative_slope(act, h).numpy()
        x = h.numpy()
        ax.axhspan(on, 1.15, color="#DCEFD9", lw=0)                  # on
        ax.axhspan(sat, on, color="#F3F3F3", lw=0)                     # neither on nor saturated
        ax.axhspan(1e-4, sat, color="#F6E3C8", lw=0)                   # saturated
        ax.plot(x, np.where(s > 0, s, np.nan), color=colour(name), lw=2.2)
        dead = s == 0
        if dead.any():
            ax.plot(x[dead], np.full(dead.sum(), 1.3e-4), color=colour(name), lw=4, solid_capstyle="butt")
            ax.text(x[dead].mean(), 2.2e-4, "exactly 0:\ndead zone", ha="center", va="bottom", fontsize=9)
        ax.set(yscale="log", ylim=(1e-4, 1.15), xlim=(-9, 9), title=display_name(name), xlabel="pre-activation h")
    axes[0].set_ylabel("|phi'(h)| / its maximum")
    for y, text in ((0.5, f"on\n(≥ {on:.0%})"), (0.05, "not on"), (1e-3, f"saturated\n(< {sat:.0%})")):
        axes[-1].text(1.04, y, text, transform=axes[-1].get_yaxis_transform(), va="center", fontsize=9)
    return fig
