"""Every number the summary restates equals the one its chapter computed (committed, nbval-verified outputs)."""
import ast
import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def glued(path: Path) -> dict[str, object]:
    """The values glued (myst_nb.glue) in an executed notebook, by name."""
    out = {}
    for cell in json.loads(path.read_text())["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                out[name] = ast.literal_eval(o["data"]["application/papermill.record/text/plain"])
    return out


def test_summary_numbers_match_their_chapters():
    summary = glued(NOTEBOOKS / "08_summary.ipynb")
    chapters = {}
    for path in sorted(NOTEBOOKS.glob("0[1-7]_*.ipynb")):
        for name, value in glued(path).items():
            chapters.setdefault(name, (path.name, value))
    assert len(summary) >= 25
    missing = [n for n in summary if n not in chapters]
    assert not missing, f"summary numbers that no chapter states: {missing}"
    wrong = {n: (v, chapters[n]) for n, v in summary.items() if v != chapters[n][1]}
    assert not wrong, f"summary disagrees with its chapters: {wrong}"
