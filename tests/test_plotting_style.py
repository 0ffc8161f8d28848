"""Figures are drawn for the text column: no text below style.MIN_FONT, no figure wider than the column."""
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from helpers.plotting import style  # noqa: E402

PLOTTING = Path(style.__file__).parent


def test_no_text_is_set_below_the_minimum_font():
    small = []
    for path in sorted(PLOTTING.glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in re.finditer(r"\b(fontsize|labelsize|title_fontsize)=([\d.]+)", line):
                if float(m.group(2)) < style.MIN_FONT:
                    small.append(f"{path.name}:{n}: {m.group(0)}")
    assert not small, small
    sizes = [v for k, v in style.STYLE.items() if k.endswith(("size", "fontsize")) and isinstance(v, (int, float))]
    assert sizes and min(sizes) >= style.MIN_FONT


def test_panels_fill_the_column_and_the_bottom_row_carries_the_x_label():
    fig, axes = style.panels(9)            # nine: three rows of three, not two of four and a lone one
    assert fig.get_figwidth() == style.COLUMN and axes[0].get_subplotspec().get_gridspec().ncols == 3
    fig, axes = style.panels(6, 4)         # two rows of four, two hidden: panels 3 and 4 have none below
    assert [style.at_bottom(ax) for ax in axes] == [False, False, True, True, True, True]
    matplotlib.pyplot.close("all")


def test_margin_labels_never_overlap():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(style.COLUMN, 3))
    ax.set(yscale="log", ylim=(1e-3, 1))
    style.margin_labels(ax, [(0.01, "a", "k"), (0.0101, "b", "k"), (0.0102, "c", "k"), (0.9, "d", "k")], log=True)
    fig.canvas.draw()
    boxes = sorted((t.get_window_extent() for t in ax.texts), key=lambda b: b.y0)
    assert all(lower.y1 <= upper.y0 + 0.5 for lower, upper in zip(boxes, boxes[1:]))
    plt.close(fig)
