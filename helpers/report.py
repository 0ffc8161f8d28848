"""Tables and report.md from stored results: every number read from the logs, every verdict a rule."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import activations, plotting, store
from .data import make_dataset
from .stats import at_spread, geo_mean, mean_std
from .store import Results

FIGURES = {"learned_functions.png": lambda r, d: plotting.learned_functions(r, d),
           "loss_curves.png": lambda r, d: plotting.loss_curves(r),
           "gradient_flow.png": lambda r, d: plotting.gradient_flow(r),
           "hidden_activations.png": lambda r, d: plotting.hidden_activations(r)}

# Verdicts on a layer-1 / layer-L gradient ratio; stated in every table that uses them.
RATIO_RULES = ((1e-2, "vanishes toward the input"), (0.3, "decays toward the input"),
               (3.0, "is roughly uniform across layers"), (np.inf, "grows toward the input"))
RATIO_RULE_TEXT = "below 1e-2 'vanishes', below 0.3 'decays', below 3 'is roughly uniform', else 'grows'"
GRADIENTS = (("grad_w", "mean |dL/dW_l|"), ("grad_h", "||dL/dh_l||"))


def ratio_verdict(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "not measured (run diverged)"
    return next(text for bound, text in RATIO_RULES if ratio < bound)


def fit_verdict(mse: float, marks: dict[str, float]) -> str:
    """Where a final train MSE sits among the landmarks (within 25% counts as 'at')."""
    if not np.isfinite(mse):
        return "diverged"
    for key, text in (("noise_floor", "at the noise floor"), ("linear", "at the best straight line"),
                      ("constant", "at the best constant")):
        if abs(mse - marks[key]) <= 0.25 * marks[key]:
            return text
    if mse < marks["noise_floor"]:
        return "below the noise floor (fits some noise)"
    if mse < marks["linear"]:
        return "between the straight line and the noise floor"
    return "worse than a straight line"


# ---- the tables ----------------------------------------------------------------------------------

REPORT_EPOCHS = (0, 1, 100, 200, "end")


def gradient_ratios(res: Results, kind: str = "grad_w",
                    epochs: tuple = REPORT_EPOCHS) -> dict[str, dict[str, np.ndarray]]:
    """layer 1 / layer L of `kind` (grad_w or grad_h) per activation and seed: the first steps'
    mean, then each of `epochs` that was recorded ("end": the last epoch)."""
    recorded = res.coords["grad_epoch"]
    wanted = [recorded[-1] if e == "end" else e for e in epochs]
    out = {}
    for name in res.coords["activation"]:
        steps = np.nanmean(res.sel(kind + "_steps", activation=name), axis=-2)  # [seed, layer]
        cols = {"first steps": steps[:, 0] / steps[:, -1]}
        for e in dict.fromkeys(e for e in wanted if e in recorded):
            g = res.sel(kind, activation=name, grad_epoch=e)                     # [seed, layer]
            cols[f"epoch {e}"] = g[:, 0] / g[:, -1]
        out[name] = cols
    return out


def layer_ratio(res: Results, kind: str = "grad_h") -> np.ndarray:
    """layer 1 / layer L of a gradient magnitude at every recorded grad epoch:
    [activation, seed, grad_epoch] (any leading dims of the results file are kept)."""
    g = res[kind]
    return g[..., 0] / g[..., -1]


def first_crossing(ratio: np.ndarray, epochs: list[int], level: float = 1.0) -> np.ndarray:
    """Per run (last axis = `epochs`): the first epoch at which ratio >= level; -1 if never."""
    above = np.asarray(ratio) >= level
    return np.where(above.any(-1), np.asarray(epochs)[above.argmax(-1)], -1)


def unit_transitions(res: Results, name: str) -> dict[str, np.ndarray]:
    """Per layer, summed over seeds: units off (on for no grid input) at initialisation, how many
    of those are on at the end (revived), and how many units born on are off at the end (died)."""
    u = res.sel("unit_active", activation=name)                  # [seed, state epoch, layer, unit]
    off0, off_end = u[:, 0] == 0, u[:, -1] == 0
    return {"off at init": off0.sum((0, 2)), "revived": (off0 & ~off_end).sum((0, 2)),
            "died": (~off0 & off_end).sum((0, 2))}


def fit_rows(res: Results, fmt=at_spread) -> list[list[str]]:
    """activation, train MSE, test MSE, diverged runs, verdict; MSEs formatted by fmt(seed values)."""
    marks, rows = res.meta["config"]["landmarks"], []
    for name in res.coords["activation"]:
        train = res.sel("final_train_mse", activation=name)
        div = res.sel("diverged_epoch", activation=name)
        rows.append([activations.get(name).label, fmt(train), fmt(res.sel("final_test_mse", activation=name)),
                     f"{int((div >= 0).sum())}/{div.size}", fit_verdict(float(mean_std(train)[0]), marks)])
    return rows


def ratio_rows(res: Results, kind: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows: the geometric mean over seeds of each layer ratio, with its min..max."""
    ratios = gradient_ratios(res, kind)
    cols = list(next(iter(ratios.values())))
    rows = [[activations.get(n).label] + [f"{geo_mean(v):.1e} [{np.nanmin(v):.0e}..{np.nanmax(v):.0e}]"
                                          if np.isfinite(v).any() else "diverged" for v in r.values()]
            for n, r in ratios.items()]
    return ["activation"] + cols, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Fixed-width plain text (what a notebook prints and nbval compares)."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown table lines; a | inside a cell (as in max |phi'|) is escaped."""
    line = lambda r: "| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"  # noqa: E731
    return [line(header), "|" + "---|" * len(header)] + [line(r) for r in rows]


FIT_HEADER = ["activation", "train MSE", "test MSE", "diverged", "verdict"]


# ---- report.md -----------------------------------------------------------------------------------

def baseline_report(res: Results, command: str = "python -m helpers baseline") -> str:
    """The seed experiment's report as Markdown."""
    cfg, marks = res.meta["config"], res.meta["config"]["landmarks"]
    tr, n_seeds = cfg["train"], len(res.coords["seed"])
    batch = ("full batch (one step per epoch)" if tr["batch_size"] is None
             else f"shuffled mini-batches of {tr['batch_size']}")
    L = len(res.coords["layer"])
    four = lambda v: "{:.4f} +- {:.4f}".format(*mean_std(v))  # noqa: E731
    lines = [
        "# Activation functions in a deep MLP: the seed experiment", "",
        f"Produced by `{command}`. Every number below is read from `baseline.npz` in this folder.", "",
        "## Setup",
        "- Data: y = sin(x) + N(0, 0.1^2) at 200 points x = linspace(-pi, pi, 200) (data seed 0).",
        f"- Network: {cfg['depth']} hidden layers of {cfg['width']} units, 1 input, 1 output, "
        f"init `{cfg['init']}` (PyTorch default: U(+-1/sqrt(fan_in)), not He init).",
        f"- Training: {tr['optimizer'].capitalize()}, lr {tr['lr']:g}, MSE loss, {tr['epochs']} epochs, "
        f"{batch}; {n_seeds} seeds ({', '.join(map(str, res.coords['seed']))}); seed s gives the same "
        "initial weights to every activation.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in res.meta.get("versions", {}).items()), "",
        "## Final fit (mean +- std over seeds)",
        "Train MSE is against the noisy targets; test MSE against the clean sine on 1000 points.", "",
        *md_table(FIT_HEADER, fit_rows(res, four)), "",
        f"Landmarks (train MSE on these 200 points): best constant {marks['constant']:.3f}, best straight "
        f"line {marks['linear']:.3f}, the true sine itself (noise floor) {marks['noise_floor']:.4f}. "
        "Verdict rule: within 25% of a landmark counts as at it.", "",
        "## Gradient flow: layer 1 / layer L ratios",
        "Geometric mean over seeds [min..max]. 'first steps': the mean over the first "
        f"{len(res.coords['step'])} training steps; 'epoch e': full-batch gradient after epoch e "
        "(epoch 0: at initialisation). Below 1: the layer next to the input gets smaller gradients than "
        "the last hidden layer. W_1 multiplies the raw input x, so mean |dL/dW_1| also carries the "
        "scale of x; ||dL/dh_l|| compares like with like."]
    for kind, title in GRADIENTS:
        lines += ["", f"### {title}, layer 1 / layer {L}", "", *md_table(*ratio_rows(res, kind))]
    lines += ["", "## What the evidence says about vanishing gradients",
              f"Rule, per ratio: {RATIO_RULE_TEXT}. 'Start' is the first steps, 'end' the last epoch.", ""]
    vanish = []
    for name in res.coords["activation"]:
        parts = []
        for kind, title in GRADIENTS:
            r = gradient_ratios(res, kind)[name]
            start, end = geo_mean(r["first steps"]), geo_mean(list(r.values())[-1])
            parts.append(f"{title} {ratio_verdict(start)} at the start ({start:.1e}) and "
                         f"{ratio_verdict(end)} at the end ({end:.1e})")
            if start < 1e-2:
                vanish.append(f"{activations.get(name).label} ({title})")
        lines.append(f"- **{activations.get(name).label}**: " + "; ".join(parts) + ".")
    lines += ["", ("Vanishing gradients at the start of training are measured for: " + ", ".join(vanish)
                   + ". The two measures can disagree: W_1 multiplies the raw input x, while deeper "
                   "layers multiply activations that may themselves shrink layer by layer. Adam divides "
                   "each update by a running gradient scale, so a small gradient does not by itself stop "
                   "a layer from learning; the loss curves show whether it did.")
              if vanish else "No ratio is below 1e-2 at the start of training.", "",
              "## Files", "- `learned_functions.png`, `loss_curves.png`, `gradient_flow.png`, "
              "`hidden_activations.png`: the figures.",
              "- `baseline.npz`: every log (loss curves, per-layer gradients at the first steps and "
              "at chosen epochs, hidden activations of the probe layers, unit states, predictions, final "
              "weights) with dims and units; `helpers.store.load(path).describe()` lists them.",
              "- The answers to the book's four questions and its cheat sheet: "
              "`python -m helpers report <this folder>/baseline.npz` appends them below, from the book's "
              "shared runs (`make book` does).", ""]
    return "\n".join(lines)


def write_baseline(res: Results, out: str | Path, command: str = "python -m helpers baseline") -> list[Path]:
    """The seed experiment's folder: baseline.npz, the four figures and report.md, each atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = make_dataset()
    paths = [store.save(res, out / "baseline.npz")]
    for name, make in FIGURES.items():
        paths.append(plotting.save(make(res, data), out / name))
    tmp = out / ".report.md.tmp"
    tmp.write_text(baseline_report(res, command))
    os.replace(tmp, out / "report.md")
    return paths + [out / "report.md"]
