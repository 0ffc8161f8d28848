"""report.md and the seed experiment's folder: every number read from the logs (the seed run's own,
or the chapters' findings for the four questions), every verdict a rule."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .. import plotting
from ..core import activations, store
from ..core.data import from_description
from ..core.store import Results
from . import seed as seed_findings
from .tables import md_table

FIGURES = {"learned_functions.png": lambda r, d: plotting.learned_functions(r, d),
           "loss_curves.png": lambda r, d: plotting.loss_curves(r),
           "gradient_flow.png": lambda r, d: plotting.gradient_flow(r),
           "hidden_activations.png": lambda r, d: plotting.hidden_activations(r, names=tuple(r.coords["activation"]))}
NEEDED = ("loss", "grad_w", "grad_h", "grad_w_steps", "unit_states", "hidden", "pred", "final_train_mse")

# Verdicts on a layer-1 / layer-L gradient ratio at initialisation; stated with the table.
RATIO_RULES = ((1e-2, "vanishes toward the input"), (0.3, "decays toward the input"),
               (3.0, "is roughly uniform across layers"), (np.inf, "grows toward the input"))
RATIO_RULE_TEXT = "below 1e-2 'vanishes', below 0.3 'decays', below 3 'is roughly uniform', else 'grows'"


def check_seed_run(res: Results, path) -> None:
    """Refuse, in one line, a results file that is not a seed run (e.g. a cached sweep)."""
    name = res.meta.get("cache", {}).get("name")
    dims = res.dims.get("loss", ())
    missing = [k for k in NEEDED if k not in res.arrays]
    if missing or dims[:2] != ("activation", "seed") or (name and name != "seed_run"):
        what = f"a '{name}' run" if name else "a results file"
        raise ValueError(f"{path} is {what} with dims {list(dims)}"
                         f"{' and no ' + ', '.join(missing) if missing else ''}, not a seed run: report reads the "
                         "baseline.npz that `python -m helpers baseline` writes")


def ratio_verdict(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "not measured (run diverged)"
    return next(text for bound, text in RATIO_RULES if ratio < bound)


def baseline_report(res: Results, command: str = "python -m helpers baseline") -> str:
    """The seed experiment's report as Markdown, from its own logs."""
    cfg = res.meta["config"]
    marks, tr, n_seeds = cfg["landmarks"], cfg["train"], len(res.coords["seed"])
    data = cfg["data"]["text"] if isinstance(cfg["data"], dict) else cfg["data"]
    n = cfg["data"].get("n", 200) if isinstance(cfg["data"], dict) else 200
    batch = ("full batch (one step per epoch)" if tr["batch_size"] is None or tr["batch_size"] >= n
             else f"shuffled mini-batches of {tr['batch_size']}")
    fit, _ = seed_findings.fit_table(res)
    ratios = seed_findings.init_ratios(res)
    lines = [
        "# Activation functions in a deep MLP: the seed experiment", "",
        f"Produced by `{command}`. Every number below is read from `baseline.npz` in this folder.", "",
        "## Setup",
        f"- Data: {data}.",
        f"- Network: {cfg['depth']} hidden layers of {cfg['width']} units, 1 input, 1 output, "
        f"init `{cfg['init']}`" + (" (PyTorch default: U(+-1/sqrt(fan_in)), not He init)." if cfg["init"] ==
                                   "torch_default" else "."),
        f"- Training: {tr['optimizer'].capitalize()}, lr {tr['lr']:g}, MSE loss, {tr['epochs']} epochs, "
        f"{batch}, {tr['dtype']}; {n_seeds} seeds ({', '.join(map(str, res.coords['seed']))}); seed s gives the "
        "same initial weights to every activation.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in res.meta.get("versions", {}).items()), "",
        "## Final fit",
        "Train MSE is against the noisy targets; test MSE against the clean target on 1000 points. Mean ± sd "
        "over seeds, rounded to the precision the spread supports; a diverged run is counted, not averaged.", "",
        *md_table(fit.header, fit.rows), "",
        f"Landmarks (train MSE on these {cfg['data'].get('n', 200) if isinstance(cfg['data'], dict) else 200} points): "
        f"best constant {marks['constant']:.4f}, best straight line {marks['linear']:.4f}, the clean target "
        f"itself (noise floor) {marks['noise_floor']:.4f}. Verdict rule: within 25% of a landmark counts as at it.", "",
        "## Gradient flow at initialisation: layer 1 / layer L",
        "Geometric mean over seeds ×/÷ the spread factor. Below 1: the layer next to the input gets a smaller "
        "gradient than the last hidden layer. W_1 multiplies the raw input x, so mean |dL/dW_1| also carries "
        "the scale of x; ||dL/dh_l|| compares like with like. Rule: " + RATIO_RULE_TEXT + ".", "",
        *md_table(ratios.header + ["verdict (||dL/dh_l||)"],
                  [r + [ratio_verdict(float(r[2].split(" ")[0]))] for r in ratios.rows]), "",
        "How the ratios change during training (epochs 1, 100, 200, end) is in `baseline.npz` (grad_w, grad_h) "
        "and in `gradient_flow.png`; the book's chapter 2 reads them.", "",
        "## Files", "- `learned_functions.png`, `loss_curves.png`, `gradient_flow.png`, "
        "`hidden_activations.png`: the figures.",
        "- `baseline.npz`: every log (loss curves, per-layer gradients at the first steps and at chosen epochs, "
        "hidden activations of the probe layers, unit states, predictions, final weights) with dims and units; "
        "`helpers.core.store.load(path).describe()` lists them.",
        "- The answers to the book's four questions and its cheat sheet: `python -m helpers report "
        "<this folder>/baseline.npz` (or `make report`) appends them below, from the book's shared runs.", ""]
    return "\n".join(lines)


def question_sections() -> str:
    """The four answers and the cheat sheet, as Markdown (the summary chapter's, from the findings)."""
    from . import summary
    return summary.markdown()


def write_baseline(res: Results, out: str | Path, command: str = "python -m helpers baseline") -> list[Path]:
    """The seed experiment's folder: baseline.npz, the four figures and report.md, all new or none. Each file is
    made in a scratch folder inside `out` first; only when every one exists do they replace the old ones (renames
    on one file system), so a failure while plotting or writing leaves the earlier results as they were."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = from_description(res.meta["config"]["data"])
    with tempfile.TemporaryDirectory(dir=out, prefix=".writing-") as scratch:
        tmp = Path(scratch)
        store.save(res, tmp / "baseline.npz")
        for name, make in FIGURES.items():
            plotting.save(make(res, data), tmp / name)
        (tmp / "report.md").write_text(baseline_report(res, command))
        names = ["baseline.npz", *FIGURES, "report.md"]
        for name in names:
            os.replace(tmp / name, out / name)
    return [out / name for name in names]


def label(name: str) -> str:
    return activations.get(name).label
