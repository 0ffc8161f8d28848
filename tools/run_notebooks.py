"""Execute the chapters top to bottom, in place, and write them so that a re-run without a change in
the numbers leaves no diff: stable cell ids, no execution timestamps, no saved widget state, widget
view ids numbered in order. `make notebooks` calls this; `--check` only tests that the files are normalised.

    python tools/run_notebooks.py [--check] [notebooks/01_baseline.ipynb ...]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _cell_ids(nb) -> None:
    """Ids from the cell's source (plus a counter for repeated sources): stable across re-runs."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(cell.source.encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, -1) + 1
        cell.id = digest if seen[digest] == 0 else f"{digest}-{seen[digest]}"


def _widget_ids(nb) -> list[str]:
    """Model ids of the widget views the cells display, in order."""
    return [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})]


def _merge_streams(cell) -> None:
    """One output per run of stdout (or stderr) text: how the kernel happened to flush it (a busy machine
    splits a print in two) must not show in the file."""
    merged = []
    for out in cell.get("outputs", []):
        if merged and out.get("output_type") == "stream" == merged[-1].get("output_type") \
                and out.get("name") == merged[-1].get("name"):
            merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    if "outputs" in cell:
        cell.outputs = merged


TEX = ((r"\lVert", "||"), (r"\rVert", "||"), (r"\mathcal ", ""), (r"\partial", "d"), (r"\sigma", "sigma"),
       (r"\phi", "phi"), (r"\chi", "chi"), (r"\kappa", "kappa"), (r"\epsilon", "epsilon"), (r"\lambda", "lambda"),
       (r"\max", "max"), (r"\log", "log"), (r"\times", "x"), (r"\approx", "~"), (r"\le", "<="), (r"\ge", ">="),
       (r"\pi", "pi"), (r"\,", " "), ("\\", ""), ("{", ""), ("}", ""), ("$", ""), ("`", ""), ("**", ""))


def _alt_text(caption: str) -> str:
    """A figure's caption as plain text, for its image's alt attribute (screen readers do not read TeX)."""
    for tex, plain in TEX:
        caption = caption.replace(tex, plain)
    return " ".join(caption.split())


def _figure_alt(cell) -> None:
    """Every figure's image says what it shows: its caption, as plain text (not the file's name)."""
    meta = cell.metadata.get("mystnb", {})
    caption = meta.get("figure", {}).get("caption")
    if caption:
        meta.setdefault("image", {})["alt"] = _alt_text(caption)


def normalise(path: Path) -> str:
    """The notebook's normalised JSON text."""
    nb = nbformat.read(path, as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    _cell_ids(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        _merge_streams(cell)
        _figure_alt(cell)
    # The saved widget state only serves a widget manager in the page, which the offline site does not
    # load (live widgets need a kernel; the static explorers are plain HTML), and it churns on every run.
    nb.metadata.pop("widgets", None)
    text = nbformat.writes(nb)
    for i, mid in enumerate(_widget_ids(nb)):
        text = text.replace(mid, hashlib.sha1(f"{path.stem}-widget-{i}".encode()).hexdigest()[:32])
    return text + "\n"


def execute(path: Path) -> None:
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1200, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not normalised")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    stale = []
    for path in paths:
        if args.check:
            if normalise(path) != path.read_text():
                stale.append(path)
            continue
        print(f"executing {path.name}", flush=True)
        execute(path)
        path.write_text(normalise(path))
    for path in stale:
        print(f"{path}: not normalised (run: make notebooks)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
