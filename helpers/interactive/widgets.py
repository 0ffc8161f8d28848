"""Live explorers (ipywidgets, need a kernel). Notebook call sites are one line (`widgets.explore()`,
`widgets.explore_dynamics(res)`); the callbacks live here and are plain functions that tests call
directly. Every figure goes to an Image widget as PNG bytes drawn by an Agg canvas of its own, which works
with whatever matplotlib backend the kernel runs (the inline backend in JupyterLab, Agg under nbval). The kernel-free
counterparts for the static site are in helpers.interactive.static_explorers."""
from __future__ import annotations

import html
import io
import traceback
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
from PIL import Image

from ..core import activations
from ..core.config import CURVES, TrainConfig
from ..core.data import make_dataset, on_training_interval
from ..core.models import INITS, NetConfig
from ..engine import blocks
from ..experiments.explorer_stats import init_statistics, one_interval
from ..plotting.dynamics import epoch_view
from ..plotting.style import VARIANT_LABEL, colour, dash, display_name, label, use_style
from .browser_trainer import DEPTHS, EPOCH_RANGE, LR_RANGE, WIDTHS  # the in-page trainer's too


def _short_exp(v: float, _=None) -> str:
    """0.25, 1.8, 20, 5e-12: a log-axis label without mathtext."""
    text = f"{v:.2g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


class InitView:
    """The live explorer's immediate view: forward and backward statistics per layer at init.
    The figure is built once; a change only swaps line data and redraws (`make bench` measures how fast, in
    JupyterLab)."""

    def __init__(self):
        use_style()
        for name in activations.ACTIVATIONS:   # found once per activation, not on every slider move
            one_interval(name)
        self.fig, self.axes = plt.subplots(1, 3, figsize=(11, 3.2))
        a0, a1, a2 = self.axes
        self.lines = {"h_std": a0.plot([], [], "o-", ms=3)[0], "active": a1.plot([], [], "o-", ms=3)[0],
                      "grad_h": a2.plot([], [], "o-", ms=3, label="||dL/dh_l||")[0],
                      "grad_w": a2.plot([], [], "s--", ms=3, label="mean |dL/dW_l|")[0]}
        a0.set(yscale="log", title="forward: std of h_l", xlabel="hidden layer l")
        a1.set(ylim=(-0.05, 1.05), title="forward: active fraction", xlabel="hidden layer l")
        # the title is the legend: a legend box would hide data at some setting or other
        a2.set(yscale="log", title="backward: ||dL/dh_l|| (o-), mean |dL/dW_l| (s--)", xlabel="hidden layer l")
        for ax in (a0, a2):  # plain-text labels, no minor ticks: mathtext and a few dozen tick artists
            ax.yaxis.set_major_formatter(FuncFormatter(_short_exp))  # would double the redraw time
            ax.yaxis.set_minor_locator(NullLocator())
        self.title = self.fig.suptitle("")
        self.fig.tight_layout()
        for ax in self.axes:  # pin titles and axis labels where they are: placing them anew reads every tick
            ax.set_title(ax.get_title(), y=1.0)   # label's extent, a third of a redraw's time
            ax.xaxis.set_label_coords(0.5, -0.16)
            ax.yaxis.set_label_coords(-0.12, 0.5)

    def update(self, depth: int, width: int, activation: str, init: str, layers: str = "plain") -> plt.Figure:
        s = init_statistics(depth, width, activation, init, variant=layers)
        for key, line in self.lines.items():
            line.set_data(s["layer"], np.clip(s[key], 1e-300, None) if key != "active" else s[key])
            line.set_color(colour(activation))
        for ax in self.axes:
            ax.relim()
            ax.autoscale_view(scaley=ax is not self.axes[1])
            ax.set_xlim(0.5, depth + 0.5)
            if ax is not self.axes[1]:   # 1, 2, 5 per decade over a short range, else a few decades
                lo, hi = ax.get_ylim()
                subs = (1.0, 2.0, 5.0) if np.log10(hi / lo) < 2 else (1.0,)
                ax.yaxis.set_major_locator(LogLocator(subs=subs, numticks=6))
        kind = "" if layers == "plain" else f", {VARIANT_LABEL[layers]}"
        self.title.set_text(f"{label(activation)}, depth {depth}, width {width}, init {init}{kind}: "
                            "at initialisation (3 seeds)")
        return self.fig


def init_figure(depth: int, width: int, activation: str, init: str, layers: str = "plain") -> plt.Figure:
    """A fresh InitView for one setting (what the tests draw)."""
    return InitView().update(depth, width, activation, init, layers)


def train(depth: int, width: int, activation: str, init: str, lr: float, epochs: int,
          layers: str = "plain") -> tuple[plt.Figure, str]:
    """The live explorer's button: train one network (seed 0) briefly, plain (the batched engine) or with
    normalisation or residual connections (helpers.engine.blocks). Returns the figure (loss curve and learned
    function) and a one-line verdict; a run that diverges says so (helpers.analysis.failure's rule) and its plots
    still draw."""
    from ..analysis.failure import diverged
    from ..engine.runs import grid
    use_style()
    data = make_dataset()
    cfg = TrainConfig(epochs=epochs, lr=lr, log=replace(CURVES, first_steps=0))
    if layers == "plain":
        res = grid([activation], [0], data, cfg, NetConfig(depth, width, init), device="cpu")
    else:
        res = blocks.train(layers, [activation], [0], data, cfg, NetConfig(depth, width, init))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.4))
    c, ls = colour(activation), dash(activation)
    loss = res["loss"][0, 0]
    ax.plot(np.arange(1, epochs + 1), loss, color=c, ls=ls)
    for value in res.meta["config"]["landmarks"].values():
        ax.axhline(value, color="0.6", lw=0.8, ls=":")
    ax.set(yscale="log", xlabel="epoch", ylabel="train MSE", title="loss (dotted: landmarks)")
    x = np.asarray(res.coords["x_wide"])
    inside = on_training_interval(x)
    bx.scatter(data.x[:, 0], data.y[:, 0], s=4, color="0.6")
    bx.plot(x[inside], data.y_wide[:, 0].numpy()[inside], "k--", lw=1)
    pred = res["pred"][0, 0, -1]
    if np.isfinite(pred).all():
        bx.plot(x[inside], pred[inside], color=c, lw=2)
    div = int(res["diverged_epoch"][0, 0])
    if div >= 0:
        note = f"diverged: the loss became non-finite at epoch {div}"
    elif diverged(res)[0, 0]:
        note = "diverged: the loss ended above 10x the best constant's"
    else:
        from ..findings.seed import fit_verdict
        mse = float(res["final_train_mse"][0, 0])
        note = f"final train MSE {mse:.3g} after {epochs} epochs: {fit_verdict(mse, res.meta['config']['landmarks'])}"
    bx.set(xlabel="x", ylim=(-2, 2), title="learned function" + (" - diverged" if note.startswith("div") else ""))
    kind = "" if layers == "plain" else f", {VARIANT_LABEL[layers]}"
    fig.suptitle(f"{label(activation)}, depth {depth}, width {width}, {init}{kind}, Adam lr {lr:g}, {epochs} epochs")
    fig.tight_layout()
    return fig, note


def train_figure(depth: int, width: int, activation: str, init: str, lr: float, epochs: int,
                 layers: str = "plain") -> plt.Figure:
    """train()'s figure alone."""
    return train(depth, width, activation, init, lr, epochs, layers)[0]


# ---- live (ipywidgets) -------------------------------------------------------------------------

def png(fig: plt.Figure) -> bytes:
    """PNG bytes of a figure, drawn once by an Agg canvas of its own, whatever backend the kernel runs
    (savefig would draw twice with the style's tight bounding box: the figures here are laid out already),
    and compressed lightly: the image travels over a local socket, and a redraw's time is what counts."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)  # kept: its
    canvas.draw()                                                            # renderer caches text metrics
    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def guarded(image, status, draw, close: bool = True) -> None:
    """Show draw()'s figure in an Image widget, and its message (if draw returns (figure, message)) in the
    status widget, an HTML box right under it. An exception is shown there too, as one line with the
    traceback folded away, not lost in a log. (Image and HTML widgets rather than Output: they also behave
    when a notebook is executed without a browser, as nbval and the book build do.)"""
    try:
        out = draw()
        fig, message = out if isinstance(out, tuple) else (out, "")
        image.value = png(fig)
        if close:
            plt.close(fig)
        colour_ = "#b00" if message.startswith("diverged") else "#333"
        span = f"<span class='ab-status' style='color:{colour_}'>{html.escape(message)}</span>"
        status.value = span if message else ""
    except Exception as e:  # noqa: BLE001 -- the reader sees the error in the widget itself
        status.value = (f"<span class='ab-status ab-error' style='color:#b00'>{html.escape(type(e).__name__)}: "
                        f"{html.escape(str(e))}</span><details><summary>traceback</summary>"
                        f"<pre>{html.escape(traceback.format_exc())}</pre></details>")


def explore():
    """The live explorer: depth, width, activation and init redraw the at-init view at once (one draw into
    an Image widget); the button trains with the chosen learning rate and epochs."""
    import ipywidgets as w
    from IPython.display import display
    depth = w.IntSlider(10, min=DEPTHS[0], max=DEPTHS[1], description="depth", continuous_update=False)
    width = w.Dropdown(options=list(WIDTHS), value=64, description="width")
    act = w.Dropdown(options=[(display_name(a), a) for a in activations.ACTIVATIONS], value="relu",
                     description="activation")
    init = w.Dropdown(options=[(display_name(i), i) for i in INITS], value="torch_default", description="init")
    layers = w.Dropdown(options=[(VARIANT_LABEL[v], v) for v in blocks.VARIANTS], value="plain", description="layers")
    lr = w.FloatLogSlider(1e-3, base=10, min=np.log10(LR_RANGE[0]), max=np.log10(LR_RANGE[1]), description="lr",
                          continuous_update=False)
    epochs = w.IntSlider(200, min=EPOCH_RANGE[0], max=EPOCH_RANGE[1], step=10, description="epochs",
                         continuous_update=False)
    button = w.Button(description="train", button_style="primary")
    top, bottom = w.Image(format="png"), w.Image(format="png")
    top_status, bottom_status = w.HTML(), w.HTML()
    view = InitView()
    plt.close(view.fig)  # shown through the Image widget only
    shape = lambda: (depth.value, width.value, act.value, init.value)
    redraw = lambda *_: guarded(top, top_status, lambda: view.update(*shape(), layers.value), close=False)
    for c in (depth, width, act, init, layers):
        c.observe(redraw, "value")
    button.on_click(lambda *_: guarded(bottom, bottom_status,
                                       lambda: train(*shape(), lr.value, epochs.value, layers.value)))
    box = w.VBox([w.HBox([depth, width, act, init]), w.HBox([layers, lr, epochs, button]), top, top_status, bottom,
                  bottom_status])
    box.add_class("ab-live-explorer")
    display(box)
    redraw()


def explore_dynamics(res):
    """Live epoch slider over a training run's logs (activation dropdown, epoch slider)."""
    import ipywidgets as w
    from IPython.display import display
    act = w.Dropdown(options=[(display_name(a), a) for a in res.coords["activation"]], description="activation")
    epoch = w.SelectionSlider(options=res.coords["record_epoch"], description="epoch", continuous_update=False)
    image, status = w.Image(format="png"), w.HTML()
    redraw = lambda *_: guarded(image, status, lambda: epoch_view(res, act.value, epoch.value))
    act.observe(redraw, "value")
    epoch.observe(redraw, "value")
    box = w.VBox([w.HBox([act, epoch]), image, status])
    box.add_class("ab-live-explorer")
    display(box)
    redraw()
