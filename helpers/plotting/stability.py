"""Chapter 4 figures: which learning rates and depths train, how the others fail, and curvature."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch

from ..analysis import failure
from ..analysis.stats import geo_mean
from ..core.store import Results
from .style import COLUMN, MIN_FONT, colour, label, margin_labels, use_style

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


# The same endings as lines (the pale map colours would vanish on white)
MODE_LINE = {"converged": "#2E7D3E", "slow": "#8AA34A", "stalled": "#B8860B", "oscillating": "#E07B00",
             "plateau": "#666666", "collapsed": "#6A3D9A", "diverged": "#C0392B"}


def _fit_number(v: float) -> str:
    return "" if not np.isfinite(v) else (f"{v:.2g}" if v < 100 else f"{v:.0e}".replace("e+0", "e"))


def mode_grid(ax, modes: np.ndarray, final: np.ndarray, rows: list[str], cols: list[str], xlabel: str,
              ylabel: str, floor: float | None = None) -> str:
    """One cell per (row, col) of modes [row, col, seed]. The hue is the most common ending over seeds (its
    short name in the cell, with the count when the seeds split); the number is the median final loss of the
    runs that did not diverge (final [row, col, seed], NaN where diverged) in units of `floor` (the noise
    floor; None: the best cell of the map), and the cell fades toward white as that number grows (pale: a
    poor fit, whatever its ending); a cell whose modes are -1 was not run (left blank). Returns what the number
    means, for the legend."""
    blank = (modes < 0).all(-1)
    maj, cnt = failure.majority(np.where(modes < 0, 0, modes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(final, -1)
    ref = floor if floor is not None else np.nanmin(med)
    fit = med / ref
    fade = np.clip(np.log10(np.where(np.isfinite(fit), fit, 1.0)) / 2, 0, 1) * 0.75    # 100 x the floor: 75% white
    rgb = np.array([[to_rgb(MODE_COLOURS[failure.MODES[m]]) for m in row] for row in maj])
    rgb[blank] = 1.0
    ax.imshow(rgb + (1 - rgb) * fade[..., None], aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if blank[i, j]:
                continue
            text = failure.SHORT[failure.MODES[maj[i, j]]]
            if cnt[i, j] < modes.shape[-1]:
                text += f" {cnt[i, j]}/{modes.shape[-1]}"
            text += "\n" + _fit_number(fit[i, j])
            lum = np.dot(rgb[i, j] + (1 - rgb[i, j]) * fade[i, j], (0.3, 0.59, 0.11))
            ax.text(j, i, text.strip(), ha="center", va="center", fontsize=MIN_FONT, linespacing=1.1,
                    color="white" if lum < 0.5 else "black")
    ax.set(xticks=range(len(cols)), xticklabels=cols, yticks=range(len(rows)), yticklabels=rows,
           xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    return ("number: median final loss in units of the noise floor" if floor is not None else
            "number: median final loss in units of the map's best")


def mode_legend(fig, note: str = "") -> None:
    """The endings' colours under the figure, and what the cells' number means."""
    handles = [Patch(color=c, label=m) for m, c in MODE_COLOURS.items()]
    fig.legend(handles=handles, loc="upper center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 0.0),
               title=f"{note}; pale: a poor fit" if note else None, title_fontsize=MIN_FONT)


UNIT = {True: "number: final loss / noise floor", False: "number: final loss / the map's best"}


def _floor(res: Results):
    return res.meta["config"].get("landmarks", {}).get("noise_floor")


def lr_mode_maps(results: dict[str, Results]) -> plt.Figure:
    """Activation x learning rate, one map per row (one per optimizer, task, or any labelled grid result),
    the learning-rate columns aligned where the grids share them."""
    use_style()
    all_lrs = sorted({lr for res in results.values() for lr in res.coords["lr"]})
    rows = [len(res.coords["activation"]) for res in results.values()]
    fig, axes = plt.subplots(len(results), 1, figsize=(COLUMN, 0.42 * sum(rows) + 0.9 * len(rows)), squeeze=False,
                             gridspec_kw={"height_ratios": rows})
    mixed = len({_floor(r) is not None for r in results.values()}) > 1   # maps against different references
    for ax, (title, res) in zip(axes[:, 0], results.items()):
        lrs = list(res.coords["lr"])
        modes, final = failure.modes_of(res), failure.finite(failure.final_loss(res["loss"]), res)
        pad = [all_lrs.index(lr) for lr in lrs]                          # columns on the common axis
        full_m = np.full(modes.shape[:1] + (len(all_lrs),) + modes.shape[2:], -1)
        full_f = np.full(full_m.shape, np.nan)
        full_m[:, pad], full_f[:, pad] = modes, final
        note = mode_grid(ax, full_m, full_f,
                         [label(a) for a in res.coords["activation"]], [lr_label(lr) for lr in all_lrs],
                         "learning rate", "", floor=_floor(res))
        ax.set_title(f"{title} ({UNIT[_floor(res) is not None]})" if mixed else title)
        for t, name in zip(ax.get_yticklabels(), res.coords["activation"]):
            t.set_color(colour(name))
    fig.tight_layout()
    mode_legend(fig, "number: median final loss in the unit each map's title gives" if mixed else note)
    return fig


def depth_maps(by_activation: Results, by_lr: Results) -> plt.Figure:
    """Depth on the x axis of both maps: top, every activation at one learning rate; bottom, one activation's
    learning rates (dims of both: depth, activation, lr, seed)."""
    use_style()
    a, b = by_activation, by_lr
    rows = [len(a.coords["activation"]), len(b.coords["lr"])]
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(COLUMN * 0.8, 0.42 * sum(rows) + 1.8),
                                 gridspec_kw={"height_ratios": rows})
    depth_last = lambda v: np.moveaxis(v, 0, -2) # [depth, row, seed] -> [row, depth, seed]
    note = mode_grid(ax, depth_last(failure.modes_of(a)[:, :, 0]),
                     depth_last(failure.finite(failure.final_loss(a["loss"]), a)[:, :, 0]),
                     [label(x) for x in a.coords["activation"]], [str(d) for d in a.coords["depth"]], "", "",
                     floor=_floor(a))
    ax.set_title(f"every activation, Adam lr {a.coords['lr'][0]:g}")
    mode_grid(bx, depth_last(failure.modes_of(b)[:, 0]),
              depth_last(failure.finite(failure.final_loss(b["loss"]), b)[:, 0]),
              [lr_label(lr) for lr in b.coords["lr"]], [str(d) for d in b.coords["depth"]], "depth L",
              "Adam learning rate", floor=_floor(b))
    bx.set_title(f"{label(b.coords['activation'][0])}: depth against learning rate")
    fig.tight_layout()
    mode_legend(fig, note)
    return fig


def failure_examples(res: Results, picks: dict[str, tuple[str, float, int]]) -> plt.Figure:
    """One run per ending on shared axes, in the ending's colour and labelled in the margin: the loss (top),
    the backpropagated signal of layer 1 (solid) and of the last layer (dashed) (middle), and the fraction of
    units saturated (|phi'| < 1% of max for every input) in the worst layer (bottom)."""
    use_style()
    fig, axes = plt.subplots(3, 1, figsize=(COLUMN * 0.82, 6.4), sharex=True)
    sat = res.coords["unit_state"].index("saturated")
    ends = []
    for mode, (name, lr, seed) in picks.items():
        where = dict(activation=name, lr=lr, seed=seed)
        col = MODE_LINE[mode]
        loss = res.sel("loss", **where)
        axes[0].plot(res.coords["epoch"], loss, color=col, lw=1.4)
        ends.append((loss[np.isfinite(loss)][-1], f"{mode}: {label(name)}, lr {lr:g}", col))
        gh = res.sel("grad_h", **where)                                   # [grad epoch, layer]
        axes[1].plot(res.coords["grad_epoch"], gh[:, 0], color=col, lw=1.4)
        axes[1].plot(res.coords["grad_epoch"], gh[:, -1], color=col, lw=1.2, ls="--")
        s = res.sel("unit_states", **where)[:, :, sat]                    # [state epoch, layer]
        axes[2].plot(res.coords["state_epoch"], s.max(1), "o-", color=col, ms=3, lw=1.2)
    axes[0].set(yscale="log", ylabel="train MSE")
    margin_labels(axes[0], ends, log=True)
    axes[1].set(yscale="log", ylabel=r"$\|\partial L/\partial h_l\|$",
                title=f"solid: layer 1, dashed: layer {res['grad_h'].shape[-1]}")
    axes[2].set(ylim=(-0.05, 1.05), xlabel="epoch", ylabel="saturated units,\nworst layer")
    fig.tight_layout()
    return fig


def sharpness_vs_gd(sharp: np.ndarray, names: list[str], gd: Results) -> plt.Figure:
    """For each activation: the gradient-descent ending at each learning rate (marker = the most common ending
    over seeds) and the bound 2 / lambda_max of the Hessian at initialisation (bar: seed range);
    sharp [activation, seed]."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN, 0.5 * len(names) + 1.4))
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
    ax.legend(handles=handles, frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.set(xscale="log", yticks=range(len(names)), yticklabels=[label(n) for n in names][::-1],
           xlabel="learning rate (plain full-batch gradient descent)",
           title="Where gradient descent breaks, against the bound 2 / sharpness")
    for t, n in zip(ax.get_yticklabels(), names[::-1]):
        t.set_color(colour(n))
    return fig
