"""Tables as the book prints them: fixed-width text in notebooks (what nbval compares), Markdown in
report.md and on the site. A Table prints as text and renders as a real table in Jupyter."""
from __future__ import annotations

import re
from dataclasses import dataclass

# How the prose writes what headers and titles name in plain text (the site and report.md; the text form, which
# nbval compares, keeps the plain spelling)
TEX = ((re.compile(r"\|\|d([LW])/d([hW])_?(\w*)\|\|"),
        lambda m: rf"$\lVert\partial {m[1]}/\partial {m[2]}{'_{' + m[3] + '}' if m[3] else ''}\rVert$"),
       (re.compile(r"\|\|dW_l\|\|"), lambda m: r"$\lVert\Delta W_l\rVert$"),
       (re.compile(r"\|\|W_l\|\|"), lambda m: r"$\lVert W_l\rVert$"),
       (re.compile(r"mean \|dL/dW_l\|"), lambda m: r"mean $\lvert\partial L/\partial W_l\rvert$"),
       (re.compile(r"\|phi'(\(\w\))?\|"), lambda m: rf"$\lvert\phi'{m[1] or ''}\rvert$"),
       (re.compile(r"\bchi_1\b"), lambda m: r"$\chi_1$"),
       (re.compile(r"\bsigma_([wb])\^2"), lambda m: rf"$\sigma_{m[1]}^2$"),
       (re.compile(r"\bq\*"), lambda m: r"$q^*$"),
       (re.compile(r"\b(xi|kappa|lambda)\b"), lambda m: rf"$\{m[1]}$"))


def typeset(text: str) -> str:
    """A header or title as the prose writes it: ||dL/dh_l|| -> its TeX, chi_1 -> $\\chi_1$, and so on."""
    for pattern, tex in TEX:
        text = pattern.sub(tex, text)
    return text


def _shown(cell) -> str:
    """A cell as readers read it: an activation, init or layer type by its display name ("Leaky ReLU", "He")."""
    from ..plotting.style import display_name
    return display_name(cell) if isinstance(cell, str) else str(cell)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Fixed-width plain text."""
    header, rows = [_shown(c) for c in header], [[_shown(c) for c in r] for r in rows]
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown table lines, the header typeset as the prose writes it; a | left inside a cell is escaped."""
    header, rows = [typeset(_shown(c)) for c in header], [[_shown(c) for c in r] for r in rows]
    line = lambda r: "| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
    return [line(header), "|" + "---|" * len(header)] + [line(r) for r in rows]


@dataclass
class Table:
    """A titled table of strings. print() gives fixed-width text; Jupyter shows a Markdown table."""

    header: list[str]
    rows: list[list[str]]
    title: str = ""

    def __str__(self) -> str:
        return (self.title + "\n" if self.title else "") + text_table(self.header, self.rows)

    __repr__ = __str__   # text/plain: what nbval compares and a terminal shows

    def markdown(self) -> str:
        return "\n".join(([f"**{typeset(self.title)}**", ""] if self.title else []) + md_table(self.header, self.rows))

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def column(self, name: str) -> list[str]:
        i = self.header.index(name)
        return [r[i] for r in self.rows]


class Tables(dict):
    """Named tables shown as one output: one Markdown table after another in Jupyter, text when printed."""

    def __str__(self) -> str:
        return "\n\n".join(str(t) for t in self.values())

    __repr__ = __str__

    def markdown(self) -> str:
        return "\n\n".join(t.markdown() for t in self.values())

    def _repr_markdown_(self) -> str:
        return self.markdown()
