"""Chapter 6 figures: how the update sizes and the pre-activation distributions move in training."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..data import from_description, on_training_interval
from ..stats import geo_mean
from ..store import Results
from .style import colour, finish, label, panels, per_activation_axes, use_style

LAYER_STYLES = ("-", "--", ":")


def update_ratios(res: Results, layers: tuple[int, ...] = (1, 5, 10)) -> plt.Figure:
    """||dW_l|| / ||W_l|| of one optimizer step over training (geometric mean over seeds), per activation;
    the grey band marks the 1e-3 that practitioners aim for (Karpathy)."""
    use_style()
    names = res.coords["activation"]
    epochs = np.asarray(res.coords["grad_epoch"])[1:]
    fig, axes = panels(len(names), 3, (3.8, 2.9), sharey=True)
    for ax, name in zip(axes, names):
        r = res.sel("update_ratio", activation=name)[:, 1:]                       # [seed, epoch, layer]
        for l, ls in zip(layers, LAYER_STYLES):
            ax.plot(epochs, [geo_mean(r[:, e, l - 1]) for e in range(len(epochs))], color=colour(name), ls=ls,
                    label=f"layer {l}")
        ax.axhspan(5e-4, 2e-3, color="0.9", lw=0, label="rule of thumb, ~1e-3")
        per_activation_axes(ax, name, yscale="log", xlabel="epoch")
    return finish(fig, axes, "||dW_l|| / ||W_l|| per step",
                  "Update-to-weight ratio: how much one Adam step changes each layer")


def preactivation_quantiles(res: Results, seed: int = 0) -> plt.Figure:
    """Quantiles (5, 25, 50, 75, 95%) of the pre-activations h of the probe layers over the logged
    epochs, per activation: where on the activation the units operate, and how that moves."""
    use_style()
    names, probe_layers = res.coords["activation"], res.coords["probe_layer"]
    epochs = np.asarray(res.coords["record_epoch"])
    fig, axes = plt.subplots(len(probe_layers), len(names), figsize=(2.6 * len(names), 2.2 * len(probe_layers)),
                             sharex=True, sharey="row", squeeze=False)   # one h axis per layer: comparable
    for c, name in enumerate(names):
        pre = res.sel("hidden_pre", activation=name, seed=seed)                  # [epoch, probe, x, unit]
        for r, l in enumerate(probe_layers):
            q = np.percentile(pre[:, r].reshape(len(epochs), -1), [5, 25, 50, 75, 95], axis=1)
            ax = axes[r, c]
            ax.fill_between(epochs, q[0], q[4], color=colour(name), alpha=0.15, lw=0)
            ax.fill_between(epochs, q[1], q[3], color=colour(name), alpha=0.35, lw=0)
            ax.plot(epochs, q[2], color=colour(name), lw=1.5)
            ax.axhline(0, color="0.4", lw=0.6)
            ax.set_xscale("symlog", linthresh=10)
            if r == 0:
                ax.set_title(label(name), color=colour(name))
            if c == 0:
                ax.set_ylabel(f"layer {l}: h")
            if r == len(probe_layers) - 1:
                ax.set_xlabel("epoch")
    fig.suptitle(f"Pre-activations over training: median, 25-75% and 5-95% bands (seed {seed})", y=1.0)
    fig.tight_layout()
    return fig


def epoch_view(res, activation: str, epoch: int, seed: int = 0, units: int = 8) -> plt.Figure:
    """The dynamics chapter's live view (helpers.widgets.explore_dynamics) at one logged epoch: learned
    function, hidden activations of the probe layers, and the per-layer backpropagated signal."""
    use_style()
    e = res.coords["record_epoch"].index(epoch)
    probe_layers = res.coords["probe_layer"]
    fig, axes = plt.subplots(1, 2 + len(probe_layers), figsize=(3.1 * (2 + len(probe_layers)), 3.0))
    c = colour(activation)
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    clean = from_description(res.meta["config"]["data"]).y_wide[:, 0].numpy()
    axes[0].plot(x[inside], clean[inside], "k--", lw=1)
    axes[0].plot(x[inside], res.sel("pred", activation=activation, seed=seed)[e, inside], color=c, lw=2)
    axes[0].set(title=f"learned function, epoch {epoch}", ylim=(-1.6, 1.6), xlabel="x")
    xh = np.asarray(res.coords["x_hidden"])
    hidden = res.sel("hidden", activation=activation, seed=seed)[e]                  # [probe, x, unit]
    for ax, l, h in zip(axes[1:], probe_layers, hidden):
        ax.plot(xh, h[:, :units], color=c, lw=0.9)
        ax.set(title=f"layer {l}: a(x), {units} units", xlabel="x")
    ge = min(res.coords["grad_epoch"], key=lambda g: abs(g - epoch))
    g = res.sel("grad_h", activation=activation, seed=seed, grad_epoch=ge)
    axes[-1].plot(res.coords["layer"], g, "o-", color=c, ms=3)
    axes[-1].set(yscale="log", title=f"||dL/dh_l||, epoch {ge}", xlabel="hidden layer l")
    fig.tight_layout()
    return fig
