"""The notebook regression check is live: change one checked number and nbval fails."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_baseline.ipynb"


def test_nbval_fails_when_a_checked_number_changes(tmp_path):
    """The chapter's checked cells that need no trained run (the data, the init), behind the chapter's imports:
    with one digit changed in the first, nbval fails on exactly that cell and passes the others."""
    nb = json.loads(NOTEBOOK.read_text())
    checked = [c for c in nb["cells"]
               if c["cell_type"] == "code" and "nbval-check-output" in c["metadata"].get("tags", [])]
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")       # the chapter's imports and data
    setup = "".join(first_code["source"])
    setup = "\n".join(line for line in setup.splitlines() if "book." not in line and "findings." not in line)
    out = next(o for o in checked[0]["outputs"] if o["output_type"] == "stream")
    text = "".join(out["text"])
    number = re.search(r"\d\.\d{3}\d", text).group(0)  # e.g. the constant landmark 0.4948
    changed = number[:-1] + str((int(number[-1]) + 1) % 10)
    out["text"] = text.replace(number, changed, 1)
    nb["cells"] = [{**first_code, "source": setup, "outputs": []}, checked[0], checked[1]]
    tampered = tmp_path / "tampered.ipynb"
    tampered.write_text(json.dumps(nb))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--nbval-lax", "--nbval-current-env", str(tampered)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode != 0, run.stdout[-2000:]
    assert "1 failed, 2 passed" in run.stdout and changed in run.stdout and number in run.stdout, run.stdout[-2000:]


def test_committed_notebooks_are_executed_in_order_and_normalised():
    """Every chapter is committed executed top to bottom (counts 1, 2, ..., no errors) and written by
    tools/run_notebooks.py, so that re-running it without a change in the numbers leaves no diff."""
    root = NOTEBOOK.parents[1]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), path.name
        assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"], path.name
        computed = [o for c in code for o in c["outputs"] if "the cache lacks" in "".join(o.get("text", ""))]
        assert not computed, f"{path.name} was executed before its runs were cached (make notebooks precomputes)"
    check = subprocess.run([sys.executable, "tools/run_notebooks.py", "--check"], cwd=root,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_every_figure_has_a_caption_with_its_takeaway():
    """A figure cell (an output image) carries a caption in its metadata (myst-nb renders it under the figure)."""
    missing = []
    for path in sorted(NOTEBOOK.parent.glob("0*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in cell["outputs"]):
                caption = cell["metadata"].get("mystnb", {}).get("figure", {}).get("caption", "")
                if len(caption.split()) < 8:
                    missing.append(f"{path.name} cell {i}")
    assert not missing, missing


def test_every_name_a_chapter_uses_is_defined_in_it():
    """Each chapter's code, read top to bottom as one file, uses no undefined name (ruff's F821): a module renamed
    in helpers/ but still called by its old name in a later cell fails here, before an hour of re-execution."""
    import shutil
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for path in sorted(NOTEBOOK.parent.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
        out = subprocess.run([ruff, "check", "--select", "F821", "--no-cache", "--output-format", "concise",
                              "--stdin-filename", f"{path.stem}.py", "-"], input=code, capture_output=True, text=True)
        assert out.returncode == 0, f"{path.name}: {out.stdout}"


def test_every_import_in_a_chapter_resolves():
    """Each chapter's imports name modules and names that exist (a moved module under its old path fails here)."""
    import ast
    import importlib
    for path in sorted(NOTEBOOK.parent.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith("%"))
            for node in ast.walk(ast.parse(src)):
                if isinstance(node, ast.ImportFrom) and node.module.startswith("helpers"):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        assert hasattr(module, alias.name) or importlib.util.find_spec(
                            f"{node.module}.{alias.name}"), f"{path.name}: from {node.module} import {alias.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        importlib.import_module(alias.name)
