"""One style and one colour per activation (from the registry), shared by every figure."""
from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .. import activations
from ..store import Results

STYLE = {
    "figure.dpi": 100, "savefig.dpi": 110, "savefig.bbox": "tight", "font.size": 10,
    "axes.titlesize": 10, "axes.labelsize": 10, "legend.fontsize": 9, "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    "svg.fonttype": "none", "image.cmap": "viridis",
}
# What readers read for the code's names, in every legend, table header and menu (one name per thing)
INIT_LABEL = {"torch_default": "PyTorch default", "xavier": "Xavier", "kaiming": "He", "lecun": "LeCun",
              "orthogonal": "orthogonal", "critical": "critical"}
# at_init.INIT_CASES: the schemes plus the critical ones (each activation's own sigma_w^2; "orthogonal" there is
# orthogonal weights at it)
CASE_LABEL = {**INIT_LABEL, "edge": "critical", "edge x 2.25": "past critical (x 2.25)",
              "orthogonal": "orthogonal critical"}
VARIANT_LABEL = {"plain": "plain", "layernorm": "LayerNorm", "batchnorm": "BatchNorm", "residual": "residual",
                 "residual_layernorm": "pre-norm residual"}
LANDMARK_STYLE = {"constant": ("best constant", ":"), "linear": ("best straight line", "--"),
                  "noise_floor": ("noise floor (true sine)", "-.")}


def use_style() -> None:
    plt.rcParams.update(STYLE)


def colour(name: str) -> str:
    return activations.get(name).colour


def dash(name: str):
    """The activation's line style: neighbours in colour (ReLU / Leaky ReLU, sigmoid / tanh) differ here too."""
    return activations.get(name).dash


def label(name: str) -> str:
    return activations.get(name).label


def display_name(value) -> str:
    """An activation, init or layer type as readers name it (anything else unchanged, as text)."""
    if isinstance(value, str):
        if value in activations.ACTIVATIONS:
            return label(value)
        return INIT_LABEL.get(value, VARIANT_LABEL.get(value, value))
    return str(value)


def save(fig: plt.Figure, path: str | Path) -> Path:
    """Write atomically (a reader never sees half a PNG) and close the figure."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


def band(ax, x, values, name, lw=1.6, log=False, **kw):
    """Centre line (geometric mean if log) and min..max band over the last axis (seeds), in the
    activation's colour and line style (kw overrides). Diverged runs are NaN and left out; where every
    seed diverged nothing is drawn."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.exp(np.nanmean(np.log(values), -1)) if log else np.nanmean(values, -1)
        lo, hi = np.nanmin(values, -1), np.nanmax(values, -1)
    ax.plot(x, centre, **{"color": colour(name), "ls": dash(name), "lw": lw, "label": label(name), **kw})
    ax.fill_between(x, lo, hi, color=kw.get("color", colour(name)), alpha=0.15, lw=0)


def note_diverged(ax, res: Results, name: str) -> None:
    """Say in the panel how many runs diverged (helpers.failure's rule), if any."""
    from ..failure import diverged
    div = diverged(res)[res.index("activation", name)]
    if div.any():
        ax.text(0.02, 0.02, f"{int(div.sum())}/{div.size} runs diverged", transform=ax.transAxes,
                color="crimson", fontsize=8)


def legend_outside(fig, axes, **kw) -> None:
    """One legend for the figure, right of the panels, from the first panel's lines (never over data)."""
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, **kw)


def panels(n: int, cols: int = 3, size: tuple[float, float] = (3.6, 3.0), **kw):
    """A figure of n panels, `cols` to a row (readable at book width); unused panels hidden."""
    rows = -(-n // cols)
    cols = min(cols, n)
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def layer_epoch_heatmap(values: dict[str, np.ndarray], epochs, norm, cbar_label: str, title: str,
                        cmap: str = "viridis") -> plt.Figure:
    """One panel per activation: values[name] [layer, epoch] drawn to scale on an irregular epoch grid."""
    use_style()
    epochs = np.asarray(epochs, dtype=float)
    names = list(values)
    layers = np.arange(1, next(iter(values.values())).shape[0] + 1)
    fig, axes = panels(len(names), 3, (3.4, 2.9), sharey=True, layout="constrained")
    # cell edges halfway between recorded epochs
    edges = np.concatenate([[epochs[0] - 0.5], (epochs[1:] + epochs[:-1]) / 2, [epochs[-1] + 5]])
    for i, (ax, name) in enumerate(zip(axes, names)):
        mesh = ax.pcolormesh(edges, np.arange(0.5, len(layers) + 1), values[name], norm=norm, cmap=cmap)
        ax.grid(False)
        ax.set_title(label(name), color=colour(name))
        ax.set_xlabel("epoch")
        if i % 3 == 0:
            ax.set(ylabel="hidden layer l", yticks=layers)
    fig.colorbar(mesh, ax=list(axes), label=cbar_label, shrink=0.9)
    fig.suptitle(title)
    return fig


def per_activation_axes(ax, name: str, **kw) -> None:
    """Title a panel with the activation's label in its colour, and set the other properties."""
    ax.set(title=label(name), **kw)
    ax.title.set_color(colour(name))


def finish(fig: plt.Figure, axes, ylabel: str, title: str) -> plt.Figure:
    """Shared ending of the per-activation small multiples: y label and legend on the first panel."""
    axes[0].set_ylabel(ylabel)
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig
