"""The report card's figures (helpers.byo.card): the activation beside three of the book's, and what it learned."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..core import activations
from ..core.data import make_dataset
from ..core.store import Results
from .style import COLUMN, at_bottom, band, legend_below, panels, per_activation_axes, use_style

REFERENCES = ("relu", "tanh", "gelu")


def functions(name: str, refs=REFERENCES) -> plt.Figure:
    """phi (left) and phi' (right) of the new activation (thick) and three of the book's (thin)."""
    use_style()
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN, 2.9), sharex=True)
    for n in (name,) + tuple(refs):
        act = activations.get(n)
        lw = 2.6 if n == name else 1.2
        axes[0].plot(x, act.fn(x), color=act.colour, ls=act.dash, lw=lw, label=act.label)
        axes[1].plot(x, act.derivative(x), color=act.colour, ls=act.dash, lw=lw)
    for ax, title in zip(axes, (r"$\phi(x)$", r"$\phi'(x)$")):
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set(title=title, xlabel="x", ylim=(-1.5, 2.5))
    fig.tight_layout()
    legend_below(fig, axes)
    return fig


def extrapolation(name: str, new: Results, book: Results, refs=REFERENCES) -> plt.Figure:
    """The seed task's fits on [-2 pi, 2 pi] for the new activation and three of the book's."""
    return fits([(name, new)] + [(r, book) for r in refs])


def fits(entries: list[tuple[str, Results]]) -> plt.Figure:
    """The seed task's fits on [-2 pi, 2 pi] (training interval shaded), mean over seeds with their range, one
    panel per (activation, its seed-task results)."""
    use_style()
    data = make_dataset()
    x = np.asarray(entries[0][1].coords["x_wide"])
    fig, axes = panels(len(entries), None, 0.9, sharey=True, sharex=True)
    for ax, (n, res) in zip(axes, entries):
        ax.axvspan(-np.pi, np.pi, color="0.93", lw=0)
        ax.plot(x, data.y_wide[:, 0].numpy(), color="k", ls=(0, (4, 2)), lw=1)
        band(ax, x, res.sel("pred", activation=n)[..., -1, :].T, n, lw=2, ls="-")
        per_activation_axes(ax, n, ylim=(-3, 3), xticks=[-6, 0, 6], xlabel="x" if at_bottom(ax) else "")
    fig.suptitle("Outside the training interval (shaded): dashed, the clean target", y=1.02)
    fig.tight_layout()
    return fig
