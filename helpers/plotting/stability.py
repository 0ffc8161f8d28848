"""Chapter 4 figures: which learning rates and depths train, how the others fail, and curvature."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from .. import failure
from ..stats import geo_mean
from ..store import Results
from .style import colour, label, panels, use_style

MARKERS = {"converged": ("o", True), "stalled": ("s", False), "oscillating": ("D", False),
           "plateau": ("o", False), "dead layer": ("X", True), "diverged": ("^", True)}
LOSS_NORM = LogNorm(1e-2, 1e2)


def lr_label(lr: float) -> str:
    """Compact tick label: 0.000316 -> 3e-4, 1.0 -> 1."""
    return f"{lr:.0e}".replace("e-0", "e-").replace("e+00", "")


def mode_grid(ax, final: np.ndarray, modes: np.ndarray, div: np.ndarray, rows: list[str], cols: list[str],
              xlabel: str, ylabel: str):
    """One heatmap cell per (row, col): colour = median final loss over seeds (log), text = majority
    mode and its count, plus the earliest divergence epoch when a run went non-finite."""
    with np.errstate(all="ignore"):
        med = np.nanmedian(np.where(np.isfinite(final), final, 1e30), -1)
    mesh = ax.imshow(np.clip(med, LOSS_NORM.vmin, LOSS_NORM.vmax), norm=LOSS_NORM, cmap="cividis_r",
                     aspect="auto")
    maj, cnt = failure.majority(modes)
    n = modes.shape[-1]
    for i in range(len(rows)):
        for j in range(len(cols)):
            text = f"{failure.SHORT[failure.MODES[maj[i, j]]]}\n{cnt[i, j]}/{n}"
            d = div[i, j][div[i, j] >= 0]
            if d.size:
                text += f"\nep {d.min()}"
            dark = np.log10(np.clip(med[i, j], 1e-2, 1e2)) > 0.3
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set(xticks=range(len(cols)), xticklabels=cols, yticks=range(len(rows)), yticklabels=rows,
           xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    return mesh


def lr_mode_maps(results: dict[str, Results]) -> plt.Figure:
    """Activation x learning rate, one panel per optimizer (or any labelled grid result)."""
    use_style()
    fig, axes = panels(len(results), 2 if len(results) > 1 else 1, (6.2, 3.6), layout="constrained")
    for ax, (title, res) in zip(axes, results.items()):
        modes = failure.modes_of(res)
        mesh = mode_grid(ax, failure.final_loss(res["loss"]), modes, res["diverged_epoch"],
                         [label(a) for a in res.coords["activation"]], [f"{lr:g}" for lr in res.coords["lr"]],
                         "learning rate", "")
        ax.set_title(title)
    fig.colorbar(mesh, ax=list(axes), label="median final train MSE (clipped to [0.01, 100])", shrink=0.8)
    return fig


def depth_maps(by_activation: Results, by_lr: Results) -> plt.Figure:
    """Left: activation x depth at one learning rate; right: depth x learning rate per activation."""
    use_style()
    names = by_lr.coords["activation"]
    fig, axes = panels(1 + len(names), 3, (4.3, 3.6), layout="constrained")
    depths = [str(d) for d in by_activation.coords["depth"]]
    a = by_activation
    modes = np.moveaxis(failure.modes_of(a)[:, :, 0], 0, 1)          # [activation, depth, seed]
    mode_grid(axes[0], np.moveaxis(failure.final_loss(a["loss"])[:, :, 0], 0, 1), modes,
              np.moveaxis(a["diverged_epoch"][:, :, 0], 0, 1), [label(n) for n in a.coords["activation"]],
              depths, "depth L", "")
    axes[0].set_title(f"all activations, Adam lr {a.coords['lr'][0]:g}")
    all_modes = failure.modes_of(by_lr)                                 # [depth, activation, lr, seed]
    for ax, name in zip(axes[1:], names):
        k = by_lr.index("activation", name)
        mesh = mode_grid(ax, failure.final_loss(by_lr["loss"])[:, k], all_modes[:, k],
                         by_lr["diverged_epoch"][:, k], [str(d) for d in by_lr.coords["depth"]],
                         [lr_label(lr) for lr in by_lr.coords["lr"]], "learning rate (Adam)", "depth L")
        ax.set_title(label(name), color=colour(name))
    fig.colorbar(mesh, ax=list(axes), label="median final train MSE", shrink=0.8)
    return fig


def failure_examples(res: Results, picks: dict[str, tuple[str, float, int]]) -> plt.Figure:
    """One column per failure mode: loss, the backpropagated signal of layers 1 and L, and the
    fraction of units off (mean and largest over layers) over training, for one representative run."""
    use_style()
    fig, axes = plt.subplots(3, len(picks), figsize=(3.1 * len(picks), 7.2), sharex=True, squeeze=False)
    off_i = res.coords["unit_state"].index("off")
    for c, (mode, (name, lr, seed)) in enumerate(picks.items()):
        where = dict(activation=name, lr=lr, seed=seed)
        col = colour(name)
        loss = res.sel("loss", **where)
        axes[0, c].plot(res.coords["epoch"], loss, color=col)
        axes[0, c].set(yscale="log", title=f"{mode}\n{label(name)}, lr {lr:g}")
        gh = res.sel("grad_h", **where)                                   # [grad epoch, layer]
        axes[1, c].plot(res.coords["grad_epoch"], gh[:, 0], color=col, label="layer 1")
        axes[1, c].plot(res.coords["grad_epoch"], gh[:, -1], color=col, ls="--", label=f"layer {gh.shape[1]}")
        axes[1, c].set_yscale("log")
        off = res.sel("unit_states", **where)[:, :, off_i]               # [state epoch, layer]
        axes[2, c].plot(res.coords["state_epoch"], off.mean(1), "o-", color=col, ms=3, label="mean")
        axes[2, c].plot(res.coords["state_epoch"], off.max(1), "s:", color=col, ms=3, label="largest layer")
        axes[2, c].set(ylim=(-0.05, 1.05), xlabel="epoch")
    axes[0, 0].set_ylabel("train MSE")
    axes[1, 0].set_ylabel(r"$\|\partial L/\partial h_l\|$")
    axes[2, 0].set_ylabel("fraction of units off")
    axes[1, 0].legend(frameon=False, fontsize=8)
    axes[2, 0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def sharpness_vs_sgd(sharp: dict[str, np.ndarray], sgd: Results) -> plt.Figure:
    """For each activation: the SGD outcome at each learning rate (marker = majority mode) and the
    stability bound 2 / lambda_max of the Hessian at initialisation (vertical bar, seed range)."""
    use_style()
    names = sgd.coords["activation"]
    fig, ax = plt.subplots(figsize=(8, 0.7 * len(names) + 1.4))
    lrs = np.asarray(sgd.coords["lr"])
    maj, _ = failure.majority(failure.modes_of(sgd))
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        bound = 2 / np.asarray(sharp[name])
        ax.plot([bound.min(), bound.max()], [y, y], color=colour(name), lw=8, alpha=0.35, solid_capstyle="butt")
        ax.plot([geo_mean(bound)] * 2, [y - 0.3, y + 0.3], color=colour(name), lw=2)
        for j, lr in enumerate(lrs):
            marker, filled = MARKERS[failure.MODES[maj[i, j]]]
            ax.plot(lr, y, marker, ms=8, color="0.15", mfc="0.15" if filled else "white")
    handles = [plt.Line2D([], [], marker=m, ls="", color="0.15", mfc="0.15" if f else "white", label=k)
               for k, (m, f) in MARKERS.items()]
    handles.append(plt.Line2D([], [], color="0.4", lw=2, label=r"$2/\lambda_{max}$ at init"))
    ax.legend(handles=handles, frameon=False, fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.set(xscale="log", yticks=range(len(names)), yticklabels=[label(n) for n in names][::-1],
           xlabel="learning rate (plain full-batch gradient descent)",
           title="Where gradient descent breaks, against the curvature bound 2 / sharpness")
    for t, n in zip(ax.get_yticklabels(), names[::-1]):
        t.set_color(colour(n))
    return fig
