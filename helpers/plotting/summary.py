"""The summary's one picture: a report card of activation x outcome, from the chapters' own numbers."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .style import COLUMN, MIN_FONT, colour, label, use_style


def report_card(rows: list[str], cols: list[str], text: list[list[str]], score: np.ndarray) -> plt.Figure:
    """One row per activation (rows: names), one column per outcome; a cell shows the chapter's value, coloured
    from red (bad) through yellow to green (good) by `score` [row, col] in [0, 1] (grey: NaN)."""
    use_style()
    fig, ax = plt.subplots(figsize=(COLUMN, 0.36 * len(rows) + 1.3))
    cmap = plt.get_cmap("RdYlGn")
    rgba = cmap(np.nan_to_num(score, nan=0.5) * 0.8 + 0.1)          # the palest ends: the text stays legible
    rgba[np.isnan(score)] = (0.9, 0.9, 0.9, 1)
    ax.imshow(rgba, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=MIN_FONT + 0.5)
    ax.set(xticks=range(len(cols)), yticks=range(len(rows)), yticklabels=[label(r) for r in rows])
    ax.set_xticklabels(cols, fontsize=MIN_FONT)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for t, r in zip(ax.get_yticklabels(), rows):
        t.set_color(colour(r))
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    return fig
