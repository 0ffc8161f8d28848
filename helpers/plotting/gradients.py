"""Chapter 2 figures: gradient flow at initialisation (theory against measurement), during training,
and under other optimizers."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize

from ..analysis import layer_ratio
from ..stats import geo_mean
from ..store import Results
from .style import (
    CASE_LABEL,
    LANDMARK_STYLE,
    band,
    colour,
    label,
    layer_epoch_heatmap,
    legend_outside,
    panels,
    use_style,
)

CASE_MARKER = {"torch_default": "o", "xavier": "s", "kaiming": "^", "edge": "D", "edge x 2.25": "v", "lecun": "P",
               "orthogonal": "*"}
RATIO = r"$\|\partial L/\partial h_l\| \,/\, \|\partial L/\partial h_L\|$"


def gain_profiles(sweep: Results, depth: int = 10, cases: tuple[str, ...] = ("torch_default", "kaiming"),
                  task: str = "") -> plt.Figure:
    """||dL/dh_l|| / ||dL/dh_L|| at initialisation per layer: measured (markers and line: geometric mean
    over seeds, band: min..max) against the mean-field prediction (thin black), for each init in `cases`;
    `task` prefixes the title (e.g. "Digits: ")."""
    use_style()
    names = sweep.coords["activation"]
    fig, axes = panels(len(names), 4, (3.0, 2.7), sharey=True)
    layers = np.arange(1, depth + 1)
    for i, (ax, name) in enumerate(zip(axes, names)):
        for case in cases:
            g = sweep.sel("grad_h", case=case, activation=name, depth=depth)[:, :depth]  # [seed, layer]
            band(ax, layers, (g / g[:, -1:]).T, name, log=True, ls="-", lw=1.2, marker=CASE_MARKER[case], ms=4,
                 mfc=colour(name) if case == cases[0] else "white", label=f"{CASE_LABEL[case]}: measured")
            ax.plot(layers, sweep.sel("theory_h", case=case, activation=name, depth=depth)[:depth], color="k",
                    lw=0.9, ls=(0, (3, 2)), label=f"{CASE_LABEL[case]}: mean field" if i == 0 else None)
        ax.set(yscale="log", title=label(name), xlabel="hidden layer l")
        ax.title.set_color(colour(name))
        ax.set_xticks(layers[::3] if depth <= 20 else np.r_[1, layers[9::10]])
    axes[0].set_ylabel(RATIO)
    handles = [plt.Line2D([], [], color="0.3", marker=CASE_MARKER[c], mfc="0.3" if c == cases[0] else "white",
                          label=f"{CASE_LABEL[c]}, measured") for c in cases]
    handles.append(plt.Line2D([], [], color="k", lw=0.9, ls=(0, (3, 2)), label="mean-field prediction"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle(f"{task}Backpropagated signal at initialisation, depth {depth}: measured (5 seeds) and predicted",
                 y=1.0)
    fig.tight_layout()
    return fig


def depth_sweep(sweep: Results) -> plt.Figure:
    """Layer 1 / layer L ratio of ||dL/dh_l|| at initialisation against depth L, one panel per init:
    measured (solid, markers) and mean field (dotted, same colour); the line at 1 is 'no change'."""
    use_style()
    names = sweep.coords["activation"]
    cases, depths = sweep.coords["case"], np.asarray(sweep.coords["depth"])
    fig, axes = panels(len(cases), 3, (3.8, 3.2), sharey=True)
    for ax, case in zip(axes, cases):
        for name in names:
            g = sweep.sel("grad_h", case=case, activation=name)                    # [depth, seed, layer]
            ratio = layer_ratio(g)                                                  # [depth, seed]
            band(ax, depths, ratio, name, log=True, ls="-", marker="o", ms=3)
            ax.plot(depths, sweep.sel("theory_h", case=case, activation=name)[:, 0], ls=":", color=colour(name), lw=1.2)
        ax.axhline(1, color="k", lw=0.8)
        ax.set(yscale="log", xlabel="depth L (hidden layers)", title=CASE_LABEL[case], ylim=(1e-45, 1e15))
    axes[0].set_ylabel(r"$\|\partial L/\partial h_1\| \,/\, \|\partial L/\partial h_L\|$")
    legend_outside(fig, axes)
    fig.suptitle("At initialisation: measured (solid, 5 seeds) and mean field (dotted). "
                 "Below 1: vanishing toward the input; above: exploding", y=1.0)
    fig.tight_layout()
    return fig


def gradient_heatmap(res: Results, kind: str = "grad_h") -> plt.Figure:
    """log10 of a gradient measure (geometric mean over seeds) per hidden layer and logged epoch."""
    names, epochs = res.coords["activation"], res.coords["grad_epoch"]
    logs = {n: np.log10([[geo_mean(res.sel(kind, activation=n)[:, e, l]) for e in range(len(epochs))]
                         for l in range(len(res.coords["layer"]))]) for n in names}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()])
    what = {"grad_h": (r"$\log_{10}\|\partial L/\partial h_l\|$", "Backpropagated signal"),
            "grad_w": (r"$\log_{10}$ mean $|\partial L/\partial W_l|$", "Gradient magnitude")}[kind]
    return layer_epoch_heatmap(logs, epochs, Normalize(np.floor(finite.min()), np.ceil(finite.max())),
                               what[0], f"{what[1]} per layer over training (geometric mean over seeds)")


def optimizer_runs(opt: Results, landmarks: dict[str, float], change: dict[str, np.ndarray]) -> plt.Figure:
    """Left: the sigmoid network's train loss under each optimizer setting (seed bands), with the
    landmarks; right: how far training moved each hidden layer, ||W_l(end) - W_l(0)|| / ||W_l(0)||."""
    use_style()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.0), gridspec_kw={"width_ratios": [1.5, 1]})
    palette = ["#1F4E9C", "#6A9BD8", "#9BBCE6", "#E08A00", "#C0392B"]   # Adam: blues; gradient descent: warm
    styles = ["-", "--", ":", "-", "--"]
    epochs = np.arange(1, opt["loss"].shape[-1] + 1)
    for i, setting in enumerate(opt.coords["setting"]):
        loss = opt["loss"][i, 0]                                                   # [seed, epoch]
        ax.plot(epochs, geo_mean(loss, 0), color=palette[i], ls=styles[i], lw=1.8, label=setting)
        ax.fill_between(epochs, np.nanmin(loss, 0), np.nanmax(loss, 0), color=palette[i], alpha=0.12, lw=0)
        ch = change[setting]                                                       # [seed, layer]
        bx.plot(np.arange(1, ch.shape[1] + 1), [geo_mean(ch[:, l]) for l in range(ch.shape[1])],
                color=palette[i], ls=styles[i], marker="o", ms=3, label=setting)
    for key, value in landmarks.items():
        text, ls = LANDMARK_STYLE[key]
        ax.axhline(value, color="0.4", lw=0.8, ls=ls)
        ax.text(2, value * 1.08, text, fontsize=7, color="0.3")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE", ylim=(0.5 * landmarks["noise_floor"], 5),
           title="Sigmoid: loss under each optimizer (5 seeds; off the top: diverged)")
    ax.legend(frameon=False, fontsize=8, loc="center right")
    bx.set(yscale="log", xlabel="hidden layer l", ylabel=r"$\|W_l^{end} - W_l^{0}\| \,/\, \|W_l^{0}\|$",
           title="how far training moved each layer")
    fig.tight_layout()
    return fig
