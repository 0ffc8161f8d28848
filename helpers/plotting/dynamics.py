"""Chapter 6 figures: how the update sizes and the pre-activation distributions move in training."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..analysis.stats import geo_mean
from ..core.data import from_description, on_training_interval
from ..core.store import Results
from .style import (
    COLUMN,
    at_bottom,
    band,
    colour,
    finish,
    legend_below,
    panels,
    per_activation_axes,
    suptitle,
    use_style,
)

LAYER_STYLES = ("-", "--", ":")


def update_ratios(res: Results, layers: tuple[int, ...] = (1, 5, 10)) -> plt.Figure:
    """||dW_l|| / ||W_l|| of one optimizer step over training (geometric mean over seeds), per activation;
    the grey band marks the 1e-3 that practitioners aim for (Karpathy)."""
    use_style()
    names = res.coords["activation"]
    epochs = np.asarray(res.coords["grad_epoch"])[1:]
    fig, axes = panels(len(names), None, 0.95, sharey=True, sharex=True)
    for ax, name in zip(axes, names):
        r = res.sel("update_ratio", activation=name)[:, 1:]                       # [seed, epoch, layer]
        for l, ls in zip(layers, LAYER_STYLES):
            ax.plot(epochs, [geo_mean(r[:, e, l - 1]) for e in range(len(epochs))], color=colour(name), ls=ls,
                    label=f"layer {l}")
        ax.axhspan(5e-4, 2e-3, color="0.9", lw=0, label="rule of thumb, ~1e-3")
        per_activation_axes(ax, name, yscale="log", xlabel="epoch" if at_bottom(ax) else "")
    return finish(fig, axes, "||dW_l|| / ||W_l|| per step",
                  "Update-to-weight ratio: how much one Adam step changes each layer")


def preactivation_quantiles(res: Results) -> plt.Figure:
    """How widely the pre-activations h of each probe layer spread over training: the width of their 5-95%
    interval over inputs and units (line: geometric mean over seeds, band: min..max), one panel per probe
    layer, one line per activation; the epoch axis is logarithmic past epoch 10."""
    use_style()
    probe_layers = res.coords["probe_layer"]
    epochs = np.asarray(res.coords["record_epoch"], dtype=float)
    fig, axes = plt.subplots(1, len(probe_layers), figsize=(COLUMN, 2.9), sharex=True, sharey=True, squeeze=False)
    for name in res.coords["activation"]:
        pre = res.sel("hidden_pre", activation=name)                              # [seed, epoch, probe, x, unit]
        width = np.subtract(*np.percentile(pre.reshape(*pre.shape[:3], -1), [95, 5], axis=-1))  # [seed, epoch, probe]
        for p, ax in enumerate(axes[0]):
            band(ax, epochs, width[:, :, p].T, name, log=True, lw=1.4)
    for ax, l in zip(axes[0], probe_layers):
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set(yscale="log", title=f"layer {l}", xlabel="epoch", xlim=(0, epochs[-1]))
        ax.set_xticks([0, 10, 100, int(epochs[-1])], ["0", "10", "100", str(int(epochs[-1]))])
    axes[0, 0].set_ylabel("width of h's 5-95% interval")
    suptitle(fig, "How widely the pre-activations spread over training (5 seeds)", y=1.0)
    fig.tight_layout()
    legend_below(fig, axes[0])
    return fig


def epoch_view(res, activation: str, epoch: int, seed: int = 0, units: int = 8) -> plt.Figure:
    """The dynamics chapter's live view (helpers.interactive.widgets.explore_dynamics) at one logged epoch: learned
    function, hidden activations of the probe layers, and the per-layer backpropagated signal."""
    use_style()
    e = res.coords["record_epoch"].index(epoch)
    probe_layers = res.coords["probe_layer"]
    fig, axes = plt.subplots(1, 2 + len(probe_layers), figsize=(COLUMN * 1.3, 2.6))
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
