"""report.md from stored results: every number is read from the logs, every verdict follows a rule."""
from __future__ import annotations

import numpy as np

from . import activations
from .experiments import mean_std
from .store import Results

# Verdict rules for the layer-1 / layer-L gradient ratio (mean |dL/dW_l|), stated in the report.
RATIO_RULES = ((1e-2, "vanishes toward the input"), (0.3, "decays toward the input"),
               (3.0, "is roughly uniform across layers"), (np.inf, "grows toward the input"))


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


def gradient_ratios(res: Results, kind: str = "grad_w") -> dict[str, dict[str, np.ndarray]]:
    """layer 1 / layer L of `kind` (grad_w or grad_h) per activation and seed: first steps, then
    each grad epoch."""
    out = {}
    for name in res.coords["activation"]:
        steps = np.nanmean(res.sel(kind + "_steps", activation=name), axis=-2)  # [seed, layer]
        cols = {"first steps": steps[:, 0] / steps[:, -1]}
        g = res.sel(kind, activation=name)                                       # [seed, epoch, layer]
        for i, e in enumerate(res.coords["grad_epoch"]):
            cols[f"epoch {e}"] = g[:, i, 0] / g[:, i, -1]
        out[name] = cols
    return out


def _geo(x: np.ndarray) -> float:
    x = x[np.isfinite(x) & (x > 0)]
    return float(np.exp(np.log(x).mean())) if x.size else float("nan")


def baseline_report(res: Results, command: str = "python -m helpers baseline") -> str:
    """The seed experiment's report as Markdown."""
    cfg, marks = res.meta["config"], res.meta["config"]["landmarks"]
    tr, n_seeds = cfg["train"], len(res.coords["seed"])
    batch = "full batch (one step per epoch)" if tr["batch_size"] is None else \
        f"shuffled mini-batches of {tr['batch_size']}"
    L = len(res.coords["layer"])
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
        "| activation | train MSE | test MSE | diverged runs | verdict |", "|---|---|---|---|---|",
    ]
    for name in res.coords["activation"]:
        trm, trs = mean_std(res.sel("final_train_mse", activation=name))
        tem, tes = mean_std(res.sel("final_test_mse", activation=name))
        div = int((res.sel("diverged_epoch", activation=name) >= 0).sum())
        lines.append(f"| {activations.get(name).label} | {trm:.4f} +- {trs:.4f} | {tem:.4f} +- {tes:.4f} "
                     f"| {div}/{n_seeds} | {fit_verdict(float(trm), marks)} |")
    lines += ["", "Landmarks (train MSE on these 200 points): best constant "
              f"{marks['constant']:.3f}, best straight line {marks['linear']:.3f}, the true sine itself "
              f"(noise floor) {marks['noise_floor']:.4f}. Verdict rule: within 25% of a landmark counts "
              "as at it.", "",
              "## Gradient flow: layer 1 / layer L ratios",
              "Geometric mean over seeds (min..max in brackets). 'first steps': the mean over the first "
              f"{len(res.coords['step'])} training steps; 'epoch e': full-batch gradient after epoch e "
              "(epoch 0: at initialisation). Below 1: the layer next to the input gets smaller "
              "gradients than the last hidden layer. Layer 1's W_1 multiplies the raw input x, so "
              "its mean |dL/dW_1| also carries the scale of x; ||dL/dh_l|| compares like with like."]
    for kind, title in (("grad_w", "mean |dL/dW_l|"), ("grad_h", "||dL/dh_l||")):
        ratios = gradient_ratios(res, kind)
        cols = list(next(iter(ratios.values())))
        lines += ["", f"### {title}, layer 1 / layer {L}", "",
                  "| activation | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        for name, r in ratios.items():
            cells = [f"{_geo(v):.2e} [{np.nanmin(v):.1e}..{np.nanmax(v):.1e}]" if np.isfinite(v).any()
                     else "diverged" for v in r.values()]
            lines.append(f"| {activations.get(name).label} | " + " | ".join(cells) + " |")
    both = {kind: gradient_ratios(res, kind) for kind in ("grad_w", "grad_h")}
    lines += ["", "## What the evidence says about vanishing gradients",
              "Rule, per ratio: below 1e-2 'vanishes', below 0.3 'decays', below 3 'is roughly uniform', "
              "else 'grows'. 'Start' is the first steps, 'end' the last epoch.", ""]
    vanish = []
    for name in res.coords["activation"]:
        parts = []
        for kind, title in (("grad_w", "mean |dL/dW_l|"), ("grad_h", "||dL/dh_l||")):
            r = both[kind][name]
            start, end = _geo(r["first steps"]), _geo(list(r.values())[-1])
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
              "weights) with dims and units; `helpers.store.load(path).describe()` lists them.", ""]
    return "\n".join(lines)
