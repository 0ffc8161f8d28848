"""The summary restates the chapters' findings under their names: the committed notebooks agree."""
import json
from pathlib import Path

from conftest import glued

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_summary_numbers_match_their_chapters():
    summary = glued(NOTEBOOKS / "11_summary.ipynb")
    chapters = {}
    for path in sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.name != "11_summary.ipynb"):
        for name, value in glued(path).items():
            chapters.setdefault(name, (path.name, value))
    assert len(summary) >= 25
    missing = [n for n in summary if n not in chapters]
    assert not missing, f"summary numbers that no chapter states: {missing}"
    wrong = {n: (v, chapters[n]) for n, v in summary.items() if v != chapters[n][1]}
    assert not wrong, f"summary disagrees with its chapters: {wrong}"


def prose_names(path: Path) -> set[str]:
    """The names a chapter's Markdown glues ({glue:}`name`)."""
    import re
    return {m for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"
            for m in re.findall(r"\{glue:\}`([^`]+)`", "".join(c["source"]))}


def test_glued_names_the_prose_uses_exist():
    """Every {glue:}`name` in a chapter's Markdown refers to a value that chapter glues."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        missing = prose_names(path) - set(glued(path))
        assert not missing, f"{path.name} refers to unglued names: {sorted(missing)}"


def test_every_glued_name_the_prose_uses_leads_to_the_code_that_makes_it():
    """`python -m helpers glue NAME` (findings.where) finds the findings line that makes every name a chapter's prose
    glues, f-string keys included, so a number on a page can be traced to its code."""
    from helpers import findings
    used = set().union(*(prose_names(path) for path in NOTEBOOKS.glob("*.ipynb")))
    lost = sorted(n for n in used if not findings.where(n))
    assert len(used) > 300 and not lost, lost
