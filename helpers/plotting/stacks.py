"""Chapters 9 and 10 figures: inits trained, Jacobian spectra, self-normalisation, normalisation and residual variants.
The activation is the panel (its title in the activation's colour); inside a panel the colour is the init or the
layer type (style.INIT_COLOUR, style.VARIANT_COLOUR), with a line style and a marker as well."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np

from ..analysis import failure
from ..analysis.measures import layer_ratio
from ..analysis.stats import geo_mean
from ..core.store import Results
from ..findings import stacks
from .gradients import CASE_MARKER
from .stability import mode_grid, mode_legend
from .style import (
    CASE_LABEL,
    COLUMN,
    INIT_COLOUR,
    VARIANT_COLOUR,
    VARIANT_LABEL,
    at_bottom,
    colour,
    label,
    legend_below,
    panels,
    per_activation_axes,
    suptitle,
    use_style,
)

CASE_STYLE = {"torch_default": ":", "lecun": (0, (5, 2)), "kaiming": "--", "edge": "-.", "orthogonal": "-"}
CASE_LINE = {c: (ls, CASE_MARKER[c]) for c, ls in CASE_STYLE.items()}       # (line style, marker)
VARIANT_LINE = {"plain": (":", "o"), "layernorm": ("--", "s"), "batchnorm": ("-.", "^"),
                "residual": ((0, (5, 2)), "D"), "residual_layernorm": ("-", "*")}


def _curves(res: Results, dim: str, values, styles, labels, colours, where: dict, title: str,
            ylim=(1e-3, 30)) -> plt.Figure:
    """Train loss per epoch (geometric mean over seeds), one panel per activation, one line per `dim` value;
    markers every 100 epochs, staggered so that lines on top of each other stay distinguishable."""
    use_style()
    names = res.coords["activation"]
    fig, axes = panels(len(names), None, 0.95, sharey=True, sharex=True)
    epochs = np.asarray(res.coords["epoch"])
    floor = stacks.FLOOR
    for ax, name in zip(axes, names):
        for i, v in enumerate(values):
            loss = res.sel("loss", **where, **{dim: v}, activation=name)               # [seed, epoch]
            ls, marker = styles[v]
            ax.plot(epochs, geo_mean(loss, 0), color=colours[v], ls=ls, marker=marker, markevery=(10 + 18 * i, 100),
                    ms=4, lw=1.3, label=labels[v])
        ax.axhline(floor, color="k", lw=0.7, ls=(0, (1, 2)))
        per_activation_axes(ax, name, yscale="log", ylim=ylim, xticks=[0, 250, 500],
                            xlabel="epoch" if at_bottom(ax) else "")
    axes[0].set_ylabel("train MSE (geometric mean, 5 seeds)")
    handles = [plt.Line2D([], [], color=colours[v], ls=styles[v][0], marker=styles[v][1], label=labels[v])
               for v in values]
    handles.append(plt.Line2D([], [], color="k", lw=0.7, ls=(0, (1, 2)), label="2 x noise floor (0.02)"))
    suptitle(fig, f"{title} (y axis cut at {ylim[1]:g})", y=1.0)
    fig.tight_layout()
    legend_below(fig, handles=handles, ncol=3)
    return fig


def init_curves(grid: Results, depth: int = 20) -> plt.Figure:
    return _curves(grid, "case", grid.coords["case"], CASE_LINE, CASE_LABEL, INIT_COLOUR, {"depth": depth},
                   f"Training from each init, depth {depth}, Adam 1e-3")


def variant_curves(blk: Results, setting: str = "depth 20, lr 1e-3") -> plt.Figure:
    return _curves(blk, "variant", blk.coords["variant"], VARIANT_LINE, VARIANT_LABEL, VARIANT_COLOUR,
                   {"setting": setting},
                   f"Normalisation and residual connections, PyTorch's default init, {setting}")


def spectra(at0: Results, depth: int = 50, cases=("kaiming", "edge", "orthogonal"), zero: float = 1e-12) -> plt.Figure:
    """The singular values of dh_L/dh_1 at initialisation, sorted from the largest (pooled over seeds and
    inputs, rank as a share of all of them), one panel per activation, one line per init; the share that is
    numerically zero (below `zero`, dead directions) is written in the panel rather than drawn."""
    use_style()
    names = at0.coords["activation"]
    fig, axes = panels(len(names), None, 0.95, sharex=True, sharey=True)
    for ax, name in zip(axes, names):
        zeros = []
        for c in cases:
            sv = np.sort(at0.sel("sv", case=c, depth=depth, activation=name).ravel())[::-1]
            rank = (np.arange(sv.size) + 0.5) / sv.size
            keep = sv > zero
            ax.plot(rank[keep], sv[keep], color=INIT_COLOUR[c], ls=CASE_STYLE[c], lw=1.6)
            if (~keep).mean() >= 0.005:
                zeros.append((f"{(~keep).mean():.0%} zero", INIT_COLOUR[c]))
        for j, (text, col) in enumerate(zeros):
            ax.text(0.97, 0.95 - 0.14 * j, text, transform=ax.transAxes, fontsize=9, color=col, ha="right", va="top")
        ax.axhline(1, color="k", lw=0.6)
        per_activation_axes(ax, name, yscale="log", ylim=(1e-12, 1e12), yticks=[1e-12, 1e-6, 1, 1e6, 1e12],
                            xticks=[0, 0.5, 1], xlabel="rank (share)" if at_bottom(ax) else "")
    axes[0].set_ylabel("singular value")
    handles = [plt.Line2D([], [], color=INIT_COLOUR[c], ls=CASE_STYLE[c], lw=1.6, label=CASE_LABEL[c]) for c in cases]
    suptitle(fig, f"Singular values of the Jacobian dh_{depth}/dh_1 at initialisation, largest first (isometry: "
             f"all at 1; 'zero': below {zero:g})", y=1.0)
    fig.tight_layout()
    legend_below(fig, handles=handles, ncol=3)
    return fig


def speed_vs_width(at0: Results, grid: Results, depth: int = 20) -> plt.Figure:
    """Per activation and init: the spread of the Jacobian's singular values at init (kappa) against the median
    epochs to 2x the noise floor in training (runs that never reach it drawn at 'never')."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN * 0.8, 3.8))
    ep = stacks.epochs_to_floor(grid)
    top = grid.coords["epoch"][-1] * 1.25
    for name in grid.coords["activation"]:
        for c in grid.coords["case"]:
            w = stacks.anisotropy(at0.sel("sv", case=c, depth=depth, activation=name)).mean()
            e = ep[grid.index("case", c), grid.index("depth", depth), grid.index("activation", name)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y = np.nanmedian(e) if np.isfinite(e).sum() * 2 > e.size else top
            ax.plot(w, y, marker=CASE_MARKER[c], color=colour(name), mec=INIT_COLOUR[c], mew=1.2, ms=7, ls="none",
                    alpha=0.85)
    ax.axhline(top, color="0.5", lw=0.6)
    ax.text(1.02, top * 0.97, "never (most seeds)", fontsize=9, color="0.4", va="top")
    ax.set(xscale="log", xlabel=f"kappa of dh_{depth}/dh_1 at init (1: isometry)",
           ylabel=f"epochs to 2x noise floor (median), depth {depth}")
    acts = [plt.Line2D([], [], color=colour(n), marker="o", ls="none", label=label(n))
            for n in grid.coords["activation"]]
    cases = [plt.Line2D([], [], color="0.85", mec=INIT_COLOUR[c], mew=1.2, marker=CASE_MARKER[c], ls="none",
                        label=CASE_LABEL[c]) for c in grid.coords["case"]]
    ax.set_title("Does a well-conditioned Jacobian at init train faster?")
    fig.tight_layout()
    legend_below(fig, handles=acts + cases, ncol=4)
    return fig


def self_normalisation(at0: Results, case: str = "lecun") -> plt.Figure:
    """Left: the mean of h_l^2 per layer (measured, 5 seeds) against the mean-field q_l, every activation, LeCun
    init. Right: SELU's mean and variance of a_l across units under three inits."""
    use_style()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(COLUMN, 3.4))
    layers = np.asarray(at0.coords["layer"])
    for name in at0.coords["activation"]:
        q = at0.sel("q", case=case, activation=name)
        a0.plot(layers, geo_mean(q, 0), color=colour(name), lw=1.4, label=label(name))
        a0.plot(layers, at0.sel("theory_q", case=case, activation=name), color="k", lw=0.7, ls=(0, (3, 2)))
    a0.set(yscale="log", xlabel="hidden layer l", ylabel="mean of h_l^2 (q_l)",
           title=f"{CASE_LABEL[case]}: measured, mean field (dashed)")
    a0.set_ylim(1e-8, 1e8)
    for c in ("lecun", "torch_default", "kaiming"):
        for key, ls in (("var_a", "-"), ("mean_a", "--")):
            v = at0.sel(key, case=c, activation="selu").mean(0)
            a1.plot(layers, v, color=INIT_COLOUR[c], ls=ls, marker=CASE_MARKER[c], markevery=5, ms=4, lw=1.4,
                    label=CASE_LABEL[c] if key == "var_a" else None)
    a1.axhline(1, color="k", lw=0.6)
    a1.axhline(0, color="k", lw=0.6)
    a1.plot([], [], color="0.3", label="variance of a_l")
    a1.plot([], [], color="0.3", ls="--", label="mean of a_l")
    a1.set(xlabel="hidden layer l", title="SELU: mean and variance of a_l", ylim=(-0.5, 2.5))
    a1.legend(frameon=False, loc="upper right")
    fig.tight_layout()
    legend_below(fig, [a0])
    return fig


def variant_modes(blk: Results, setting: str = "depth 10, lr 0.1") -> plt.Figure:
    """Most common ending over seeds per activation x variant at a large learning rate (chapter 4's colours)."""
    use_style()
    i = blk.index("setting", setting)
    codes = failure.modes_of(blk, ("setting", "variant"))[i].transpose(1, 0, 2)            # [activation, variant, seed]
    final = failure.finite(blk["final_test_mse"], blk)[i].transpose(1, 0, 2)
    fig, ax = plt.subplots(figsize=(COLUMN * 0.9, 0.42 * len(blk.coords["activation"]) + 1.2))
    mode_grid(ax, codes, final, [label(a) for a in blk.coords["activation"]],
                     [VARIANT_LABEL[v] for v in blk.coords["variant"]], "", "", floor=stacks.FLOOR / 2)
    for t, name in zip(ax.get_yticklabels(), blk.coords["activation"]):
        t.set_color(colour(name))
    ax.set_title(f"How each run ends, {setting} (5 seeds)")
    fig.tight_layout()
    mode_legend(fig, "number: median final test MSE in units of the noise variance (0.01)")
    return fig


def predicted_vs_measured(at0: Results, depths=(20, 50), cases=("torch_default", "lecun", "kaiming", "edge",
                                                                  "orthogonal")) -> plt.Figure:
    """||dL/dh_1|| / ||dL/dh_L|| at initialisation, measured (geometric mean over seeds) against the mean field's
    prediction, every activation (colour) and init (marker), one panel per depth; on the diagonal the theory is
    exact, inside the band within 10x."""
    use_style()
    fig, axes = plt.subplots(1, len(depths), figsize=(COLUMN, 3.5), sharex=True, sharey=True, squeeze=False)
    lo, hi = np.inf, -np.inf
    for ax, depth in zip(axes[0], depths):
        for name in at0.coords["activation"]:
            for c in cases:
                g = at0.sel("grad_h", case=c, activation=name, depth=depth)[:, :depth]       # [seed, layer]
                measured = geo_mean(layer_ratio(g))
                predicted = at0.sel("theory_h", case=c, activation=name, depth=depth)[0]
                ax.plot(predicted, measured, marker=CASE_MARKER[c], color=colour(name), mec=INIT_COLOUR[c], mew=1.2,
                        ms=7, ls="none", alpha=0.9)
                lo, hi = min(lo, predicted, measured), max(hi, predicted, measured)
        ax.set(xscale="log", yscale="log", title=f"depth {depth}", xlabel="mean-field prediction")
    span = np.array([lo / 10, hi * 10])
    for ax in axes[0]:
        ax.plot(span, span, color="k", lw=0.8)
        ax.fill_between(span, span / 10, span * 10, color="0.9", lw=0, zorder=0)
        ax.set(xlim=span, ylim=span)
        ticks = 10.0 ** np.arange(np.ceil(np.log10(span[0]) / 10) * 10, np.log10(span[1]) + 1, 10)
        ax.set(xticks=ticks, yticks=ticks)
    axes[0, 0].set_ylabel("measured (5 seeds)")
    acts = [plt.Line2D([], [], color=colour(n), marker="o", ls="none", label=label(n))
            for n in at0.coords["activation"]]
    inits = [plt.Line2D([], [], color="0.85", mec=INIT_COLOUR[c], mew=1.2, marker=CASE_MARKER[c], ls="none",
                        label=CASE_LABEL[c]) for c in cases]
    suptitle(fig, "Layer 1 / last layer of the backpropagated signal at initialisation: measured against predicted "
             "(grey band: within 10x)", y=1.0)
    fig.tight_layout()
    legend_below(fig, handles=acts + inits, ncol=4)
    return fig
