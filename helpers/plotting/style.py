"""One style and one colour per activation (from the registry), shared by every figure.

Every figure is drawn for the book's text column: COLUMN inches wide at 100 dpi is shown at about 1:1 in the
672-px column, so a point of font is about 1.4 CSS px and the smallest text (MIN_FONT) lands at 12 px. PNGs are
written at twice that resolution (retina in notebooks, savefig.dpi for files) so that they stay sharp."""
from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..core import activations
from ..core.store import Results

COLUMN = 6.8    # inches: the text column's width
MIN_FONT = 9    # points: no text in a figure is smaller (tests/test_plotting_style.py reads the code for it)
STYLE = {
    "figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight", "font.size": 10,
    "axes.titlesize": 10, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 9, "figure.titlesize": 10.5, "legend.handlelength": 2.4, "axes.grid": True,
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
# Inits and layer types, where a figure compares them inside one activation's panel (the panel's title keeps the
# activation's colour): the same colour for the same init in every chapter.
INIT_COLOUR = {"torch_default": "#8E8E8E", "xavier": "#A6761D", "lecun": "#1B9E77", "kaiming": "#5E3C99",
               "edge": "#E7298A", "edge x 2.25": "#F4A259", "orthogonal": "#111111"}
VARIANT_COLOUR = {"plain": "#8E8E8E", "layernorm": "#1B9E77", "batchnorm": "#A6761D", "residual": "#5E3C99",
                  "residual_layernorm": "#E7298A"}
LANDMARK_STYLE = {"constant": ("best constant", ":"), "linear": ("best straight line", "--"),
                  "noise_floor": ("noise floor (true sine)", "-.")}


def use_style() -> None:
    """The book's rcParams; in a notebook, figures go out at twice the resolution (shown at their drawn size)."""
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats
            set_matplotlib_formats("retina")
    except ImportError:
        pass


def suptitle(fig, text: str, width: int = 88, **kw) -> None:
    """A figure title wrapped to the column (a long title would widen the figure past it)."""
    fig.suptitle(textwrap.fill(text, width), **kw)


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
    """Say in the panel how many runs diverged (helpers.analysis.failure's rule), if any."""
    from ..analysis.failure import diverged
    div = diverged(res)[res.index("activation", name)]
    if div.any():
        ax.text(0.02, 0.02, f"{int(div.sum())}/{div.size} runs diverged", transform=ax.transAxes,
                color="crimson", fontsize=MIN_FONT)


def legend_below(fig, axes=None, handles=None, ncol: int = 4, **kw) -> None:
    """One legend for the figure, under the panels (never over data, never widening the figure past the
    column), from the first panel's lines unless `handles` are given. Call after tight_layout."""
    if handles is None:
        handles, labels = axes[0].get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False,
               ncol=min(ncol, len(handles)), **kw)


def margin_labels(ax, items: list[tuple[float, str, str]], log: bool = False, x: float = 1.02) -> None:
    """Label lines in the right margin instead of a legend: items are (y value, text, colour). Each label sits
    at its line's height unless it would overlap the one below, then it stacks above it."""
    lo, hi = ax.get_ylim()
    gap = MIN_FONT * 1.3 / 72 / (ax.get_position().height * ax.figure.get_figheight())   # one line, in axes units
    to_ax = (lambda v: (np.log10(v) - np.log10(lo)) / (np.log10(hi) - np.log10(lo))) if log else \
        (lambda v: (v - lo) / (hi - lo))
    placed = sorted((float(np.clip(to_ax(y), 0.02, 0.98)), text, c) for y, text, c in items)
    pos = []
    for target, _, _ in placed:
        pos.append(max(target, pos[-1] + gap) if pos else target)
    for i in range(len(pos) - 1, -1, -1):                    # whatever ran over the top moves back down
        pos[i] = min(pos[i], 1.0 if i == len(pos) - 1 else pos[i + 1] - gap)
    for p, (_, text, c) in zip(pos, placed):
        ax.text(x, p, text, transform=ax.transAxes, color=c, va="center", ha="left", fontsize=MIN_FONT)


def decade_ticks(ax, most: int = 5) -> None:
    """Tick a log y axis at powers of ten, at most `most` of them (matplotlib leaves one or two on a short
    panel spanning many decades)."""
    lo, hi = np.log10(ax.get_ylim())
    step = max(1, int(np.ceil((np.floor(hi) - np.ceil(lo)) / (most - 1))))
    ax.set_yticks(10.0 ** np.arange(np.ceil(lo), np.floor(hi) + 1, step))


def at_bottom(ax) -> bool:
    """Whether no visible panel sits under this one (then it carries the x label)."""
    spec = ax.get_subplotspec()
    row, col = spec.rowspan.start, spec.colspan.start
    return not any(a.get_visible() and a.get_subplotspec() is not None and a.get_subplotspec().rowspan.start == row + 1
                   and a.get_subplotspec().colspan.start == col for a in ax.figure.axes)


def panels(n: int, cols: int | None = None, aspect: float = 0.8, **kw):
    """A figure of n panels, `cols` to a row (None: 3 when that fills the rows and 4 does not, else 4), filling
    the column's width (each panel `aspect` times as high as wide); unused panels hidden."""
    cols = cols or (3 if n % 3 == 0 and n % 4 else 4)
    rows = -(-n // cols)
    cols = min(cols, n)
    w = COLUMN / cols
    fig, axes = plt.subplots(rows, cols, figsize=(COLUMN, w * aspect * rows), squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for i in range(max(0, n - cols), n):   # a panel with no panel under it shows its own x tick labels
        if i + cols >= n and rows > 1:
            axes.flat[i].xaxis.set_tick_params(labelbottom=True)
    return fig, axes.flat[:n]


def layer_epoch_heatmap(values: dict[str, np.ndarray], epochs, norm, cbar_label: str, title: str,
                        cmap: str = "viridis") -> plt.Figure:
    """One panel per activation: values[name] [layer, epoch] drawn to scale on an irregular epoch grid, the
    epoch axis logarithmic past epoch 10 (most of what happens, happens early)."""
    use_style()
    epochs = np.asarray(epochs, dtype=float)
    names = list(values)
    layers = np.arange(1, next(iter(values.values())).shape[0] + 1)
    fig, axes = panels(len(names), None, 0.95, sharey=True, layout="constrained")
    # cell edges halfway between recorded epochs
    edges = np.concatenate([[epochs[0] - 0.5], (epochs[1:] + epochs[:-1]) / 2, [epochs[-1] + 5]])
    for ax, name in zip(axes, names):
        mesh = ax.pcolormesh(edges, np.arange(0.5, len(layers) + 1), values[name], norm=norm, cmap=cmap)
        ax.grid(False)
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set_xticks([0, 10, 100, int(epochs[-1])], ["0", "10", "100", str(int(epochs[-1]))])
        ax.set_title(label(name), color=colour(name))
        if at_bottom(ax):
            ax.set_xlabel("epoch")
        if ax.get_subplotspec().colspan.start == 0:
            ax.set(ylabel="hidden layer l", yticks=layers[::3])
    fig.colorbar(mesh, ax=list(axes), label=cbar_label, shrink=0.9)
    suptitle(fig, title)
    return fig


def per_activation_axes(ax, name: str, **kw) -> None:
    """Title a panel with the activation's label in its colour, and set the other properties."""
    ax.set(title=label(name), **kw)
    ax.title.set_color(colour(name))


def finish(fig: plt.Figure, axes, ylabel: str, title: str) -> plt.Figure:
    """Shared ending of the per-activation small multiples: y label on the first panel, one legend below."""
    axes[0].set_ylabel(ylabel)
    suptitle(fig, title, y=1.0)
    fig.tight_layout()
    legend_below(fig, axes)
    return fig
