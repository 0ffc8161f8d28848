"""Chapter 2 figures: gradient flow at initialisation (theory against measurement), during training,
and under other optimizers."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize

from ..analysis.measures import layer_ratio
from ..analysis.stats import geo_mean
from ..core.store import Results
from .style import (
    CASE_LABEL,
    COLUMN,
    INIT_COLOUR,
    LANDMARK_STYLE,
    at_bottom,
    band,
    colour,
    dash,
    decade_ticks,
    label,
    layer_epoch_heatmap,
    legend_below,
    panels,
    suptitle,
    use_style,
)

CASE_MARKER = {"torch_default": "o", "xavier": "s", "kaiming": "^", "edge": "D", "edge x 2.25": "v", "lecun": "P",
               "orthogonal": "*"}
RATIO = r"$\|\partial L/\partial h_l\| \,/\, \|\partial L/\partial h_L\|$"


def gain_profiles(sweep: Results, depth: int = 10, cases: tuple[str, ...] = ("torch_default", "kaiming"),
                  task: str = "") -> plt.Figure:
    """||dL/dh_l|| / ||dL/dh_L|| at initialisation per layer, one panel per activation, one colour per init:
    measured (markers and line: geometric mean over seeds, band: min..max) against the mean-field prediction
    (dashed, same colour); `task` prefixes the title (e.g. "Digits: ")."""
    use_style()
    names = sweep.coords["activation"]
    fig, axes = panels(len(names), None, 1.05, sharey=True, sharex=True)
    layers = np.arange(1, depth + 1)
    for ax, name in zip(axes, names):
        for case in cases:
            c = INIT_COLOUR[case]
            g = sweep.sel("grad_h", case=case, activation=name, depth=depth)[:, :depth]  # [seed, layer]
            band(ax, layers, (g / g[:, -1:]).T, name, log=True, ls="-", lw=1.3, color=c, marker=CASE_MARKER[case],
                 ms=3.5, markevery=max(1, depth // 10), label=f"{CASE_LABEL[case]}: measured")
            ax.plot(layers, sweep.sel("theory_h", case=case, activation=name, depth=depth)[:depth], color=c,
                    lw=1.1, ls=(0, (3, 2)))
        ax.set(yscale="log", title=label(name))
        ax.title.set_color(colour(name))
        ax.set_xticks(layers[::3] if depth <= 20 else np.r_[1, layers[9::10]])
        if at_bottom(ax):
            ax.set_xlabel("hidden layer l")
    axes[0].set_ylabel(RATIO)
    decade_ticks(axes[0])
    handles = [plt.Line2D([], [], color=INIT_COLOUR[c], marker=CASE_MARKER[c], label=CASE_LABEL[c]) for c in cases]
    handles.append(plt.Line2D([], [], color="0.3", lw=1.1, ls=(0, (3, 2)), label="dashed: mean field"))
    suptitle(fig, f"{task}Backpropagated signal at initialisation, depth {depth}: measured (5 seeds) and predicted "
             "(the activation is the panel; the colour is the init)", y=1.0)
    fig.tight_layout()
    legend_below(fig, handles=handles, ncol=3)
    return fig


def depth_sweep(sweep: Results) -> plt.Figure:
    """Layer 1 / layer L ratio of ||dL/dh_l|| at initialisation against depth L, one panel per init:
    measured (the activation's colour and line style, markers) and mean field (thin black); at 1: no change."""
    use_style()
    names = sweep.coords["activation"]
    cases, depths = sweep.coords["case"], np.asarray(sweep.coords["depth"])
    fig, axes = panels(len(cases), 3, 0.95, sharey=True, sharex=True)
    for i, (ax, case) in enumerate(zip(axes, cases)):
        for name in names:
            g = sweep.sel("grad_h", case=case, activation=name)                    # [depth, seed, layer]
            ratio = layer_ratio(g)                                                  # [depth, seed]
            band(ax, depths, ratio, name, log=True, marker="o", ms=3)
            ax.plot(depths, sweep.sel("theory_h", case=case, activation=name)[:, 0], color="k", lw=0.7, alpha=0.7,
                    zorder=1)
        ax.axhline(1, color="k", lw=0.8)
        ax.set(yscale="log", title=CASE_LABEL[case], ylim=(1e-45, 1e15), yticks=10.0 ** np.arange(-40, 11, 10))
        if at_bottom(ax):
            ax.set_xlabel("depth L")
        if i % 3 == 0:
            ax.set_ylabel(r"$\|\partial L/\partial h_1\| \,/\, \|\partial L/\partial h_L\|$")
    suptitle(fig, "At initialisation: measured (colour, 5 seeds) and mean field (thin black). "
             "Below 1: vanishing toward the input; above: exploding", y=1.0)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig


def ratio_over_training(res: Results) -> plt.Figure:
    """Layer 1 / layer L of both gradient measures at every logged epoch (geometric mean over seeds, band:
    min..max); the epochs at which sigmoid's seeds leave their plateau (findings.seed.escape_epochs) are shaded."""
    from ..findings.seed import escape_epochs
    use_style()
    escape = escape_epochs(res)["sigmoid"] if "sigmoid" in res.coords["activation"] else None
    epochs = np.asarray(res.coords["grad_epoch"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN, 3.3), sharex=True, sharey=True)
    for ax, (kind, what) in zip(axes, (("grad_h", "||dL/dh_l||"), ("grad_w", "mean |dL/dW_l|"))):
        for name in res.coords["activation"]:
            band(ax, epochs, layer_ratio(res.sel(kind, activation=name)).T, name, log=True)  # [seed, epoch]
        ax.axhline(1, color="k", lw=0.8)
        if escape is not None and (escape > 0).any():
            e = escape[escape > 0]
            ax.axvspan(e.min(), max(e.max(), e.min() * 1.05), color=colour("sigmoid"), alpha=0.15, lw=0)
            if ax is axes[0]:
                ax.text(e.min() * 0.93, 0.42, "sigmoid\nescapes", transform=ax.get_xaxis_transform(), ha="right",
                        va="center", fontsize=9, color=colour("sigmoid"))
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set(yscale="log", xlabel="epoch", title=f"{what}: layer 1 / layer {res.coords['layer'][-1]}")
        ax.set_xlim(0, epochs[-1])
        ax.set_xticks([0, 10, 100, int(epochs[-1])], ["0", "10", "100", str(int(epochs[-1]))])
    axes[0].set_ylabel("layer 1 / last layer")
    fig.tight_layout()
    legend_below(fig, axes)
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
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(COLUMN, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
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
        ax.text(2, value * 1.08, text, fontsize=9, color="0.3")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE", ylim=(0.5 * landmarks["noise_floor"], 5),
           title="Sigmoid: loss per optimizer (5 seeds)")
    bx.set(yscale="log", xlabel="hidden layer l", ylabel=r"$\|W_l^{end} - W_l^{0}\| \,/\, \|W_l^{0}\|$",
           title="how far training moved each layer")
    fig.tight_layout()
    legend_below(fig, [ax], ncol=3)
    return fig


def _chi1_curve(name: str, sw2: np.ndarray) -> np.ndarray:
    """chi_1 at the fixed point reached from q0 = 1 (no bias) for many sigma_w^2 at once: the fixed point is where
    sigma_w^2 E[phi(h)^2] / q crosses 1, found on one grid of q per activation (theory.fixed_point does it
    exactly for one sigma_w^2, so a curve of 60 costs 60 root searches). Plain quadrature on 401 variances: building
    theory.gauss_moments' splines for this one curve cost about seven times as much when measured."""
    from ..core import activations
    from ..theory.criticality import gauss_mean
    act = activations.get(name)
    qs = np.logspace(-10, 10, 401)
    g = np.array([gauss_mean(lambda h: act.fn(h) ** 2, q) for q in qs]) / qs
    d = np.array([gauss_mean(lambda h: act.derivative(h) ** 2, q) for q in qs])
    start = int(np.searchsorted(qs, 1.0))
    out = []
    for s in sw2:
        r = s * g - 1
        path = np.arange(start, -1, -1) if r[start] < 0 else np.arange(start, len(qs))
        cross = np.flatnonzero(np.sign(r[path]) != np.sign(r[start]))
        if cross.size == 0:
            out.append(s * d[path[-1]])                 # q* = 0 or inf: the limit at the grid's end
            continue
        i, j = path[cross[0] - 1], path[cross[0]]
        t = r[i] / (r[i] - r[j])                         # linear in log q between the two grid points
        out.append(s * np.exp(np.log(d[i]) + t * (np.log(d[j]) - np.log(d[i]))))
    return np.array(out)


def chi1_map(names, inits=("torch_default", "xavier", "kaiming"), width: int = 64) -> plt.Figure:
    """chi_1 at the deep-layer fixed point against sigma_w^2 (no bias) per activation, the line chi_1 = 1 (below:
    gradients vanish with depth; above: they grow), and each init's own point (its sigma_w^2 and sigma_b^2)."""
    from .. import theory
    use_style()
    sw2 = np.geomspace(0.2, 5, 80)
    fig, ax = plt.subplots(figsize=(COLUMN * 0.82, 3.8))
    for name in names:
        ax.plot(sw2, _chi1_curve(name, sw2), color=colour(name), ls=dash(name), lw=1.6, label=label(name))
        for init in inits:
            vw, vb = theory.weight_variance(init, width, width)
            ax.plot(width * vw, theory.chi_1(name, width * vw, vb)[1], marker=CASE_MARKER[init], ms=6, ls="none",
                    color=colour(name), mec=INIT_COLOUR[init], mew=1.5)
    ax.axhline(1, color="k", lw=0.8)
    for init in inits:
        s = width * theory.weight_variance(init, width, width)[0]
        ax.axvline(s, color=INIT_COLOUR[init], lw=0.8, ls=":")
        ax.text(s, 1.02, CASE_LABEL[init], transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                color=INIT_COLOUR[init], fontsize=9)
    ax.set(xscale="log", yscale="log", xlabel=r"$\sigma_w^2$ (n Var(W))", ylabel=r"$\chi_1$ at the fixed point",
           xticks=[0.25, 0.5, 1, 2, 4], xticklabels=["1/4", "1/2", "1", "2", "4"])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    fig.tight_layout()
    legend_below(fig, [ax])
    return fig
