"""The chapters' tables whose last digits another CPU may move (helpers.analysis.agreement): each cell tagged
check-within-spread is recomputed from this machine's runs and must agree with the committed output
within the spread it prints. nbval compares every other checked cell exactly."""
import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from conftest import NO_RUNS, book_runs_ready

from helpers import findings
from helpers.analysis import agreement
from helpers.findings import summary

TAG = "check-within-spread"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(autouse=True)
def _private_cache():
    """Unlike the unit tests (conftest.py), these read the book's shared runs that `make verify` computed
    (REQUIRE_RUNS=1, as `make verify` sets it: never skipped, computed here if missing)."""


def _marked():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        source = "".join("".join(c["source"]) for c in cells)
        chapter = re.search(r'findings\.chapter\("(\w+)"\)', source)
        for i, cell in enumerate(cells):
            text = "".join(cell["source"])
            if cell["cell_type"] == "code" and TAG in cell["metadata"].get("tags", []):
                yield pytest.param(chapter and chapter[1], text, cell["outputs"], id=f"{path.stem}-cell{i}")


def _committed(outputs) -> str:
    """What the committed cell shows: its Markdown if it has one, else its text."""
    for out in outputs:
        data = out.get("data", {})
        if "text/markdown" in data:
            return "".join(data["text/markdown"])
    return "".join("".join(o.get("text", o.get("data", {}).get("text/plain", ""))) for o in outputs)


def _fresh(chapter: str, source: str, markdown: bool) -> str:
    """The cell's output recomputed here: its one expression's value, or what its statements print."""
    scope = {"f": findings.chapter(chapter) if chapter else None, "summary": summary}
    code, printed = source.strip(), io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            value = eval(code, scope)  # a single expression, as f["adam_table"]
        except SyntaxError:
            value = exec(code, scope)  # statements that print
    if value is None:
        return printed.getvalue()
    return value.markdown() if markdown and hasattr(value, "markdown") else str(value)


def test_some_cells_are_marked():
    assert list(_marked()), "no cell is tagged " + TAG


@pytest.mark.skipif(not book_runs_ready(), reason=NO_RUNS)
@pytest.mark.parametrize("chapter,source,outputs", list(_marked()))
def test_output_agrees_within_its_spread(chapter, source, outputs):
    committed = _committed(outputs)
    fresh = _fresh(chapter, source, committed.lstrip().startswith(("|", "**")))
    assert not agreement.table_disagreements(committed, fresh), (committed, fresh)


def test_a_number_moved_beyond_its_spread_fails():
    """The check is live: move one committed mean by ten of its printed sds and it no longer agrees."""
    for *_, outputs in (p.values for p in _marked()):
        committed = _committed(outputs)
        hit = re.search(r"\| (\d+\.\d+) ± (\d+\.?\d*) \|", committed)
        if hit:
            moved = float(hit[1]) + 10 * float(hit[2])
            tampered = committed.replace(hit[0], f"| {moved:.{len(hit[1].split('.')[1])}f} ± {hit[2]} |", 1)
            assert agreement.table_disagreements(committed, tampered)
            assert not agreement.table_disagreements(committed, committed)
            return
    pytest.fail("no marked table prints a mean ± sd")


@pytest.mark.skipif(not book_runs_ready(), reason=NO_RUNS)
def test_a_built_in_activations_card_agrees_within_its_spread_with_the_book():
    """The report card of ReLU, from runs it trains itself, prints within their spread the rows that the book's own
    runs give (the same definitions and rounding, other processes, other batches of models)."""
    from helpers.byo import card
    from helpers.findings.tables import Table
    tables = card.rows({"relu": card.measure("relu", None, log=lambda m: None)}, card.book_runs())
    for t in tables.values():
        ours = next(r for r in t.rows if r[0].endswith("(this card)"))
        book = next(r for r in t.rows if r[0] == "ReLU")
        fresh, committed = (Table(t.header, [["ReLU"] + r[1:]]).markdown() for r in (ours, book))
        assert not agreement.table_disagreements(committed, fresh), (committed, fresh)
