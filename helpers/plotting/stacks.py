"""Chapter 9 figures: inits trained, Jacobian spectra, self-normalisation, normalisation and residual variants.
Colour is the activation (as everywhere in the book); an init or a variant is a line style and a marker."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np

from .. import failure
from ..findings import stacks
from ..stats import geo_mean
from ..store import Results
from .gradients import CASE_MARKER
from .stability import mode_grid, mode_legend
from .style import CASE_LABEL, VARIANT_LABEL, colour, label, panels, per_activation_axes, use_style

CASE_STYLE = {"torch_default": ":", "lecun": (0, (5, 2)), "kaiming": "--", "edge": "-.", "orthogonal": "-"}
CASE_LINE = {c: (ls, CASE_MARKER[c]) for c, ls in CASE_STYLE.items()}       # (line style, marker)
VARIANT_LINE = {"plain": (":", "o"), "layernorm": ("--", "s"), "batchnorm": ("-.", "^"),
                "residual": ((0, (5, 2)), "D"), "residual_layernorm": ("-", "*")}


def _curves(res: Results, dim: str, values, styles, labels, where: dict, title: str,
            ylim=(1e-3, 30)) -> plt.Figure:
    """Train loss per epoch (geometric mean over seeds), one panel per activation, one line per `dim` value;
    markers every 100 epochs, staggered so that lines on top of each other stay distinguishable."""
    use_style()
    names = res.coords["activation"]
    fig, axes = panels(len(names), 3, (3.4, 2.6), sharey=True, sharex=True)
    epochs = np.asarray(res.coords["epoch"])
    floor = stacks.FLOOR
    for ax, name in zip(axes, names):
        for i, v in enumerate(values):
            loss = res.sel("loss", **where, **{dim: v}, activation=name)               # [seed, epoch]
            ls, marker = styles[v]
            ax.plot(epochs, geo_mean(loss, 0), color=colour(name), ls=ls, marker=marker, markevery=(10 + 18 * i, 100),
                    ms=4.5, lw=1.1, label=labels[v])
        ax.axhline(floor, color="k", lw=0.7, ls=(0, (1, 2)))
        per_activation_axes(ax, name, yscale="log", xlabel="epoch", ylim=ylim)
    axes[0].set_ylabel("train MSE (geometric mean, 5 seeds)")
    handles = [plt.Line2D([], [], color="0.3", ls=styles[v][0], marker=styles[v][1], label=labels[v]) for v in values]
    handles.append(plt.Line2D([], [], color="k", lw=0.7, ls=(0, (1, 2)), label="2 x noise floor (0.02)"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle(f"{title} (y axis cut at {ylim[1]:g})", y=1.0)
    fig.tight_layout()
    return fig


def init_curves(grid: Results, depth: int = 20) -> plt.Figure:
    return _curves(grid, "case", grid.coords["case"], CASE_LINE, CASE_LABEL, {"depth": depth},
                   f"Training from each init, depth {depth}, Adam 1e-3")


def variant_curves(blk: Results, setting: str = "depth 20, lr 1e-3") -> plt.Figure:
    return _curves(blk, "variant", blk.coords["variant"], VARIANT_LINE, VARIANT_LABEL, {"setting": setting},
                   f"Normalisation and residual connections, PyTorch's default init, {setting}")


def spectra(at0: Results, depth: int = 50, cases=("kaiming", "edge", "orthogonal")) -> plt.Figure:
    """Histogram of log10 singular values of dh_L/dh_1 (pooled over seeds and inputs), one panel per activation,
    one step line per init; zeros (dead units) are counted at the left edge."""
    use_style()
    names = at0.coords["activation"]
    fig, axes = panels(len(names), 3, (3.4, 2.5), sharex=True)
    lo, hi = -12, 12
    bins = np.linspace(lo, hi, 97)
    for ax, name in zip(axes, names):
        for c in cases:
            sv = at0.sel("sv", case=c, depth=depth, activation=name).ravel()
            with np.errstate(divide="ignore"):
                x = np.clip(np.log10(sv), lo, hi)
            ax.hist(x, bins=bins, histtype="step", color=colour(name), ls=CASE_STYLE[c], lw=1.3,
                    density=True, label=CASE_LABEL[c])
        ax.axvline(0, color="k", lw=0.6)
        per_activation_axes(ax, name, xlabel="log10 singular value")
        ax.set_yticks([])
    handles = [plt.Line2D([], [], color="0.3", ls=CASE_STYLE[c], label=CASE_LABEL[c]) for c in cases]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle(f"Singular values of the Jacobian dh_{depth}/dh_1 at initialisation (isometry: all at 0)", y=1.0)
    fig.tight_layout()
    return fig


def speed_vs_width(at0: Results, grid: Results, depth: int = 20) -> plt.Figure:
    """Per activation and init: the spread of the Jacobian's singular values at init (kappa) against the median
    epochs to 2x the noise floor in training (runs that never reach it drawn at 'never')."""
    use_style()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ep = stacks.epochs_to_floor(grid)
    top = grid.coords["epoch"][-1] * 1.25
    for name in grid.coords["activation"]:
        for c in grid.coords["case"]:
            w = stacks.anisotropy(at0.sel("sv", case=c, depth=depth, activation=name)).mean()
            e = ep[grid.index("case", c), grid.index("depth", depth), grid.index("activation", name)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y = np.nanmedian(e) if np.isfinite(e).sum() * 2 > e.size else top
            ax.plot(w, y, marker=CASE_MARKER[c], color=colour(name), ms=7, ls="none", alpha=0.85)
    ax.axhline(top, color="0.5", lw=0.6)
    ax.text(1.02, top * 0.97, "never (most seeds)", fontsize=8, color="0.4", va="top")
    ax.set(xscale="log", xlabel=f"kappa = mean sigma^4 / (mean sigma^2)^2 of dh_{depth}/dh_1 at init (1: isometry)",
           ylabel=f"epochs to 2x noise floor (median), depth {depth}")
    acts = [plt.Line2D([], [], color=colour(n), marker="o", ls="none", label=label(n))
            for n in grid.coords["activation"]]
    cases = [plt.Line2D([], [], color="0.3", marker=CASE_MARKER[c], ls="none", label=CASE_LABEL[c])
             for c in grid.coords["case"]]
    fig.legend(handles=acts + cases, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    ax.set_title("Does a well-conditioned Jacobian at init train faster?")
    fig.tight_layout()
    return fig


def self_normalisation(at0: Results, case: str = "lecun") -> plt.Figure:
    """Left: the mean of h_l^2 per layer (measured, 5 seeds) against the mean-field q_l, every activation, LeCun
    init. Right: SELU's mean and variance of a_l across units under three inits."""
    use_style()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 3.8))
    layers = np.asarray(at0.coords["layer"])
    for name in at0.coords["activation"]:
        q = at0.sel("q", case=case, activation=name)
        a0.plot(layers, geo_mean(q, 0), color=colour(name), lw=1.4, label=label(name))
        a0.plot(layers, at0.sel("theory_q", case=case, activation=name), color="k", lw=0.7, ls=(0, (3, 2)))
    a0.set(yscale="log", xlabel="hidden layer l", ylabel="mean of h_l^2 (q_l)",
           title=f"{CASE_LABEL[case]} init: measured (colour) and mean field (dashed)")
    a0.set_ylim(1e-8, 1e8)
    for c in ("lecun", "torch_default", "kaiming"):
        for key, ls in (("var_a", "-"), ("mean_a", "--")):
            v = at0.sel(key, case=c, activation="selu").mean(0)
            a1.plot(layers, v, color=colour("selu"), ls=ls, marker=CASE_MARKER[c], markevery=5, ms=4, lw=1.2,
                    label=f"{'variance' if key == 'var_a' else 'mean'} of a_l, {CASE_LABEL[c]}")
    a1.axhline(1, color="k", lw=0.6)
    a1.axhline(0, color="k", lw=0.6)
    a1.set(xlabel="hidden layer l", title="SELU: mean and variance across a layer's units", ylim=(-0.5, 2.5))
    a1.legend(frameon=False, fontsize=7.5, loc="upper right")
    a0.legend(frameon=False, fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    return fig


def variant_modes(blk: Results, setting: str = "depth 10, lr 0.1") -> plt.Figure:
    """Most common ending over seeds per activation x variant at a large learning rate (chapter 4's colours)."""
    use_style()
    i = blk.index("setting", setting)
    codes = failure.modes_of(blk, ("setting", "variant"))[i].transpose(1, 0, 2)            # [activation, variant, seed]
    final = failure.finite(blk["final_test_mse"], blk)[i].transpose(1, 0, 2)
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    mode_grid(ax, codes, final, blk.coords["activation"], [VARIANT_LABEL[v] for v in blk.coords["variant"]],
              "", "activation")
    ax.set_title(f"How each run ends, {setting} (5 seeds; number: median final test MSE)")
    mode_legend(fig)
    fig.tight_layout()
    return fig
