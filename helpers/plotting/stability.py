"""Chapter 4 figures: which learning rates and depths train, how the others fail, and curvature."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from .. import failure
from ..stats import geo_mean
from ..store import Results
from .style import colour, label, panels, use_style

# One colour per ending, the same in every map of the book (good: green; slow/stalled: sand; plateau:
# grey; collapsed: purple; diverged: red).
MODE_COLOURS = {"converged": "#4C9A5A", "slow": "#C9D9A5", "stalled": "#E8D8A8", "oscillating": "#E0B050",
                "plateau": "#BBBBBB", "collapsed": "#8E6BB0", "diverged": "#C0392B"}
MARKERS = {"converged": ("o", True), "slow": ("o", False), "stalled": ("s", False), "oscillating": ("D", False),
           "plateau": ("s", True), "collapsed": ("X", True), "diverged": ("^", True)}


def lr_label(lr: float) -> str:
    """Compact tick label: 0.000316 -> 3e-4, 0.0316 -> 3e-2, 1.0 -> 1."""
    m, e = f"{lr:.0e}".split("e")
    return m if int(e) == 0 else f"{m}e{int(e)}"


CMAP = ListedColormap([MODE_COLOURS[m] for m in failure.MODES])


def mode_grid(ax, modes: np.ndarray, final: np.ndarray, rows: list[str], cols: list[str], xlabel: str,
              ylabel: str) -> None:
    """One cell per (row, col) of modes [row, col, seed], coloured by the most common ending over seeds; the
    text gives it with its count and the median final train MSE of the runs that did not diverge
    (final [row, col, seed], NaN where diverged)."""
    maj, cnt = failure.majority(modes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(final, -1)
    ax.imshow(maj, cmap=CMAP, vmin=-0.5, vmax=len(failure.MODES) - 0.5, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            text = f"{failure.SHORT[failure.MODES[maj[i, j]]]} {cnt[i, j]}/{modes.shape[-1]}"
            if np.isfinite(med[i, j]):
                text += f"\n{med[i, j]:.2g}"
            dark = failure.MODES[maj[i, j]] in ("collapsed", "diverged", "converged")
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color="white" if dark else "black")
    ax.set(xticks=range(len(cols)), xticklabels=cols, yticks=range(len(rows)), yticklabels=rows,
           xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)


def mode_legend(fig) -> None:
    fig.legend(handles=[Patch(color=c, label=m) for m, c in MODE_COLOURS.items()], loc="lower center",
               ncol=len(MODE_COLOURS), frameon=False, bbox_to_anchor=(0.5, -0.06), fontsize=8)


def lr_mode_maps(results: dict[str, Results]) -> plt.Figure:
    """Activation x learning rate, one panel per optimizer (or any labelled grid result)."""
    use_style()
    fig, axes = panels(len(results), 2 if len(results) > 1 else 1, (7.0, 4.2))
    for ax, (title, res) in zip(axes, results.items()):
        mode_grid(ax, failure.modes_of(res), failure.finite(failure.final_loss(res["loss"]), res),
                  [label(a) for a in res.coords["activation"]], [lr_label(lr) for lr in res.coords["lr"]],
                  "learning rate", "")
        ax.set_title(title)
        for t, name in zip(ax.get_yticklabels(), res.coords["activation"]):
            t.set_color(colour(name))
    mode_legend(fig)
    fig.tight_layout()
    return fig


def depth_maps(by_activation: Results, by_lr: Results) -> plt.Figure:
    """Depth on the x axis of both panels: left, every activation at one learning rate; right, one
    activation's learning rates (dims of both: depth, activation, lr, seed)."""
    use_style()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    depth_last = lambda a: np.moveaxis(a, 0, -2)  # noqa: E731  [depth, row, seed] -> [row, depth, seed]
    a = by_activation
    mode_grid(ax, depth_last(failure.modes_of(a)[:, :, 0]),
              depth_last(failure.finite(failure.final_loss(a["loss"]), a)[:, :, 0]),
              [label(x) for x in a.coords["activation"]], [str(d) for d in a.coords["depth"]], "depth L", "")
    ax.set_title(f"every activation, Adam lr {a.coords['lr'][0]:g}")
    b = by_lr
    mode_grid(bx, depth_last(failure.modes_of(b)[:, 0]),
              depth_last(failure.finite(failure.final_loss(b["loss"]), b)[:, 0]),
              [lr_label(lr) for lr in b.coords["lr"]], [str(d) for d in b.coords["depth"]], "depth L",
              "Adam learning rate")
    bx.set_title(f"{label(b.coords['activation'][0])}: depth against learning rate")
    mode_legend(fig)
    fig.tight_layout()
    return fig


def failure_examples(res: Results, picks: dict[str, tuple[str, float, int]]) -> plt.Figure:
    """One column per ending: the loss, the backpropagated signal of layers 1 and L, and the fraction
    of units saturated (|phi'| < 1% of max everywhere) in the mean layer and in the worst layer."""
    use_style()
    fig, axes = plt.subplots(3, len(picks), figsize=(2.7 * len(picks), 7.0), sharex=True, squeeze=False)
    sat = res.coords["unit_state"].index("saturated")
    for c, (mode, (name, lr, seed)) in enumerate(picks.items()):
        where = dict(activation=name, lr=lr, seed=seed)
        col = colour(name)
        axes[0, c].plot(res.coords["epoch"], res.sel("loss", **where), color=col)
        axes[0, c].set(yscale="log", title=f"{mode}\n{label(name)}, lr {lr:g}")
        axes[0, c].title.set_bbox(dict(facecolor=MODE_COLOURS[mode], alpha=0.45, edgecolor="none",   # the map's key
                                       boxstyle="round,pad=0.25"))
        gh = res.sel("grad_h", **where)                                   # [grad epoch, layer]
        axes[1, c].plot(res.coords["grad_epoch"], gh[:, 0], color=col, label="layer 1")
        axes[1, c].plot(res.coords["grad_epoch"], gh[:, -1], color=col, ls="--", label=f"layer {gh.shape[1]}")
        axes[1, c].set_yscale("log")
        s = res.sel("unit_states", **where)[:, :, sat]                    # [state epoch, layer]
        axes[2, c].plot(res.coords["state_epoch"], s.mean(1), "o-", color=col, ms=3, label="mean layer")
        axes[2, c].plot(res.coords["state_epoch"], s.max(1), "s:", color=col, ms=3, label="worst layer")
        axes[2, c].set(ylim=(-0.05, 1.05), xlabel="epoch")
    axes[0, 0].set_ylabel("train MSE")
    axes[1, 0].set_ylabel(r"$\|\partial L/\partial h_l\|$")
    axes[2, 0].set_ylabel("fraction of units saturated")
    axes[1, 0].legend(frameon=False, fontsize=8)
    axes[2, 0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def sharpness_vs_gd(sharp: np.ndarray, names: list[str], gd: Results) -> plt.Figure:
    """For each activation: the gradient-descent ending at each learning rate (marker = the most common ending
    over seeds) and the bound 2 / lambda_max of the Hessian at initialisation (bar: seed range);
    sharp [activation, seed]."""
    use_style()
    fig, ax = plt.subplots(figsize=(8.5, 0.6 * len(names) + 1.6))
    lrs = np.asarray(gd.coords["lr"])
    maj, _ = failure.majority(failure.modes_of(gd))
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        bound = 2 / np.asarray(sharp[i])
        ax.plot([bound.min(), bound.max()], [y, y], color=colour(name), lw=8, alpha=0.35, solid_capstyle="butt")
        ax.plot([geo_mean(bound)] * 2, [y - 0.3, y + 0.3], color=colour(name), lw=2)
        for j, lr in enumerate(lrs):
            mode = failure.MODES[maj[gd.index("activation", name), j]]
            marker, filled = MARKERS[mode]
            ax.plot(lr, y, marker, ms=8, color=MODE_COLOURS[mode], mec="0.2",
                    mfc=MODE_COLOURS[mode] if filled else "white")
    handles = [plt.Line2D([], [], marker=m, ls="", color=MODE_COLOURS[k], mec="0.2",
                          mfc=MODE_COLOURS[k] if f else "white", label=k) for k, (m, f) in MARKERS.items()]
    handles.append(plt.Line2D([], [], color="0.4", lw=2, label=r"$2/\lambda_{max}$ at init"))
    ax.legend(handles=handles, frameon=False, fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax.set(xscale="log", yticks=range(len(names)), yticklabels=[label(n) for n in names][::-1],
           xlabel="learning rate (plain full-batch gradient descent)",
           title="Where gradient descent breaks, against the curvature bound 2 / sharpness")
    for t, n in zip(ax.get_yticklabels(), names[::-1]):
        t.set_color(colour(n))
    return fig
