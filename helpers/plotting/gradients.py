"""Chapter 2 figures: gradient flow at initialisation (theory against measurement) and in training."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize

from ..stats import geo_mean
from ..store import Results
from .style import band, colour, label, layer_epoch_heatmap, panels, use_style

CASE_STYLE = {"torch_default": ("o", "-"), "xavier": ("s", "-"), "kaiming": ("^", "-"),
              "kaiming x1.5": ("v", "-")}
CASE_LABEL = {"torch_default": "PyTorch default", "xavier": "Xavier", "kaiming": "He (kaiming)",
              "kaiming x1.5": "He x 1.5 (above critical)"}


def gain_profiles(sweep: Results, depth: int = 10, cases: tuple[str, ...] = ("torch_default", "kaiming"),
                  activations: list[str] | None = None) -> plt.Figure:
    """||dL/dh_l|| / ||dL/dh_L|| at initialisation per layer: measured (markers: geometric mean over
    seeds, band: min..max) against the mean-field prediction (dashed), for each init in `cases`."""
    use_style()
    names = activations or sweep.coords["activation"]
    fig, axes = panels(len(names), 3, (3.6, 3.0), sharey=True)
    layers = np.arange(1, depth + 1)
    for i, (ax, name) in enumerate(zip(axes, names)):
        for case in cases:
            g = sweep.sel("grad_h", case=case, activation=name, depth=depth)[:, :depth]  # [seed, layer]
            marker, _ = CASE_STYLE[case]
            filled = case == cases[0]
            band(ax, layers, (g / g[:, -1:]).T, name, log=True, marker=marker, ms=4, lw=1,
                 mfc=colour(name) if filled else "white")
            ax.plot(layers, sweep.sel("theory_h", case=case, activation=name, depth=depth)[:depth], "--",
                    color="0.2", lw=1)
        ax.set(yscale="log", title=label(name), xlabel="hidden layer l" if i >= len(names) - 3 else None)
        ax.title.set_color(colour(name))
        ax.set_xticks(layers[::3])
        if i % 3 == 0:
            ax.set_ylabel(r"$\|\partial L/\partial h_l\| \,/\, \|\partial L/\partial h_L\|$")
    handles = [plt.Line2D([], [], color="0.3", marker=CASE_STYLE[c][0], ls="-",
                          mfc="0.3" if c == cases[0] else "white", label=f"{CASE_LABEL[c]}, measured")
               for c in cases] + [plt.Line2D([], [], color="0.2", ls="--", label="mean-field prediction")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, -0.05))
    fig.suptitle(f"Backpropagated signal at initialisation, depth {depth}: measurement (5 seeds) vs theory",
                 y=1.02)
    fig.tight_layout()
    return fig


def depth_sweep(sweep: Results, activations: list[str] | None = None) -> plt.Figure:
    """Layer 1 / layer L ratio of ||dL/dh_l|| at initialisation against depth, one panel per init."""
    use_style()
    names = activations or sweep.coords["activation"]
    cases, depths = sweep.coords["case"], np.asarray(sweep.coords["depth"])
    fig, axes = panels(len(cases), 2, (4.6, 3.4), sharey=True)
    for i, (ax, case) in enumerate(zip(axes, cases)):
        for name in names:
            g = sweep.sel("grad_h", case=case, activation=name)                    # [depth, seed, layer]
            ratio = np.stack([g[d, :, 0] / g[d, :, L - 1] for d, L in enumerate(depths)])
            band(ax, depths, ratio, name, log=True, marker="o", ms=3)
            theory = sweep.sel("theory_h", case=case, activation=name)[:, 0]
            ax.plot(depths, theory, "--", color=colour(name), lw=1)
        ax.axhline(1, color="0.4", lw=0.8)
        ax.set(yscale="log", xlabel="depth L (hidden layers)", title=CASE_LABEL[case])
        if i % 2 == 0:
            ax.set_ylabel(r"$\|\partial L/\partial h_1\| \,/\, \|\partial L/\partial h_L\|$")
    axes[-1].legend(loc="lower left", frameon=False, fontsize=8)
    fig.suptitle("Vanishing (below 1) and exploding (above 1) gradients at initialisation: "
                 "measured (solid, 5 seeds) and mean field (dashed)", y=1.02)
    fig.tight_layout()
    return fig


def gradient_heatmap(res: Results, kind: str = "grad_h") -> plt.Figure:
    """log10 of a gradient magnitude (geometric mean over seeds) per hidden layer and epoch."""
    names, epochs = res.coords["activation"], res.coords["grad_epoch"]
    logs = {n: np.log10([[geo_mean(res.sel(kind, activation=n)[:, e, l]) for e in range(len(epochs))]
                         for l in range(len(res.coords["layer"]))]) for n in names}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()])
    what = {"grad_h": r"$\log_{10}\|\partial L/\partial h_l\|$",
            "grad_w": r"$\log_{10}$ mean $|\partial L/\partial W_l|$"}
    return layer_epoch_heatmap(logs, epochs, Normalize(np.floor(finite.min()), np.ceil(finite.max())),
                               what[kind], "Gradient magnitude per layer over training "
                               "(geometric mean over seeds)")


def optimizer_runs(runs: dict[str, Results], landmarks: dict[str, float], change: dict[str, np.ndarray],
                   activation: str = "sigmoid") -> plt.Figure:
    """Left: train loss of `activation` under several optimizer settings (seed bands).
    Right: how far each hidden layer moved, ||W_l(end) - W_l(0)|| / ||W_l(0)|| (geometric mean)."""
    use_style()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1))]
    shades = np.linspace(1.0, 0.35, len(runs))
    c = np.array(plt.matplotlib.colors.to_rgb(colour(activation)))
    for (name, res), ls, shade in zip(runs.items(), styles, shades):
        loss = res["loss"].reshape(-1, res["loss"].shape[-1])
        col = tuple(c * shade + (1 - shade) * 0.15)
        centre = np.exp(np.nanmean(np.log(np.where(loss > 0, loss, np.nan)), 0))
        ax.plot(np.arange(1, loss.shape[1] + 1), centre, color=col, ls=ls, lw=1.8, label=name)
        ax.fill_between(np.arange(1, loss.shape[1] + 1), np.nanmin(loss, 0), np.nanmax(loss, 0),
                        color=col, alpha=0.12, lw=0)
        ch = change[name].reshape(-1, change[name].shape[-1])
        bx.plot(np.arange(1, ch.shape[1] + 1), [geo_mean(ch[:, l]) for l in range(ch.shape[1])],
                color=col, ls=ls, marker="o", ms=3, label=name)
    for key, value in landmarks.items():
        ax.axhline(value, color="0.5", lw=0.8, ls=":")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE", ylim=(0.5 * landmarks["noise_floor"], None),
           title=f"{label(activation)}: loss under different optimizers (5 seeds)")
    ax.legend(frameon=False, fontsize=8)
    bx.set(yscale="log", xlabel="hidden layer l", ylabel=r"$\|W_l^{end} - W_l^{0}\| \,/\, \|W_l^{0}\|$",
           title="how far training moved each layer")
    fig.tight_layout()
    return fig
