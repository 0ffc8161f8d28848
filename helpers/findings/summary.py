"""The four answers: the chapters' findings merged (the same values, not recomputed), the cheat
sheet, and the Markdown sections that report.md appends."""
from __future__ import annotations

import numpy as np
import torch

from .. import findings, theory
from ..analysis import failure
from ..core import activations
from ..experiments import registry
from .sparsity import can_be_dead
from .tables import Table, md_table

CHAPTERS = ("seed", "gradients", "sparsity", "stability", "expressivity", "dynamics", "playground", "digits", "stacks")


def values() -> dict:
    """Every number the chapters glue, under the chapters' names (a name means one thing everywhere)."""
    out: dict = {}
    for ch in CHAPTERS:
        for name, value in findings.chapter(ch).items():
            if not isinstance(value, (int, float, str)):      # tables and figure data are not glued
                continue
            if name in out and out[name] != value:
                raise ValueError(f"finding {name!r} has two values: {out[name]!r} and {value!r} ({ch})")
            out[name] = value
    return out


def cheat_sheet() -> Table:
    """What each activation is: range, max |phi'|, chi_1 at default / He init (the fixed point's), whether a unit
    can die exactly, smoothness and cost (how each one fared is outcomes() and the report card)."""
    x = torch.linspace(-1e4, 1e4, 2_000_001, dtype=torch.float64)
    rows = []
    for name in registry.ACTS:
        act = activations.get(name)
        y = act.fn(x)
        lo = "-inf" if y[0] < -50 else f"{float(y.min()):.2g}"   # the infimum / supremum on the line
        hi = "inf" if y[-1] > 50 else f"{float(y.max()):.2g}"
        chi = [theory.chi_1(name, 64 * theory.weight_variance(i, 64, 64)[0], theory.weight_variance(i, 64, 64)[1])[1]
               for i in ("torch_default", "kaiming")]
        rows.append([act.label, f"{lo} to {hi}", f"{act.max_slope:.3g}", f"{chi[0]:.2f} / {chi[1]:.2f}",
                     "yes" if can_be_dead(name) else "no", f"{act.smoothness}; {act.cost}"])
    return Table(["activation", "range", "max |phi'|", "chi_1 default / He (deep limit)", "dies exactly",
                  "smoothness; cost"], rows)


def outcomes() -> Table:
    """How each activation fared, with the spread over seeds: the gradient ratio under He at depth 20, units off
    after the seed run, the Adam learning rates that converged, depth 20 at the default init and with the best fix."""
    sparsity, stacks = findings.chapter("sparsity"), findings.chapter("stacks")
    converged = failure.converged_lrs(registry.lr_sweep())
    rows = []
    for name in registry.ACTS:
        ok = converged[name]
        rows.append([activations.get(name).label, stacks[f"ds_he_ratio20_{name}"], f"{sparsity[f'off_end_{name}']}",
                     f"{ok.min():g} to {ok.max():g}" if ok.size else "none", stacks[f"ds_d20_default_{name}"],
                     stacks[f"ds_d20_best_{name}"]])
    return Table(["activation", "He at depth 20: layer 1 / 20", "units off after the seed run",
                  "Adam lr that converged", "depth 20 test MSE, default init",
                  "depth 20, best fix (chapters 9, 10)"], rows)


# The report card's columns: (header, how a value scores from 0, bad, to 1, good). The values are the chapters'
# own glued strings (centre values rounded to their spread; the tables give the spread).
CARD = {
    "gradient\nlayer 1 / 20\nat init, He": lambda v: 1 - min(abs(np.log10(v)) / 6, 1),
    "units off\nafter the\nseed run": lambda v: 1 - min(v / 0.3, 1),
    "Adam rates\nconverging\n(of 9)": lambda v: min(v / 6, 1),
    "depth 20\ntest MSE\ndefault init": lambda v: 1 - float(np.clip(np.log10(v / 1e-3) / 2, 0, 1)),
    "depth 20\ntest MSE\nbest fix": lambda v: 1 - float(np.clip(np.log10(v / 1e-3) / 2, 0, 1)),
    "digits (%)\ndepth 20\ndefault init": lambda v: float(np.clip((v - 10) / 85, 0, 1)),
    "digits (%)\ndepth 20\nHe init": lambda v: float(np.clip((v - 10) / 85, 0, 1)),
}


def report_card() -> tuple[list[str], list[str], list[list[str]], np.ndarray]:
    """activation x outcome: the chapters' values (text) and a score in [0, 1] for each (NaN: not a number);
    returns (activation names, outcomes, text [activation, outcome], score [activation, outcome])."""
    sparsity, stacks, digits = findings.chapter("sparsity"), findings.chapter("stacks"), findings.chapter("digits")
    converged = failure.converged_lrs(registry.lr_sweep())
    text, score = [], []
    for name in registry.ACTS:
        cells = [stacks[f"ds_he_ratio20_{name}"], sparsity[f"off_end_{name}"], len(converged[name]),
                 stacks[f"ds_d20_default_{name}"], stacks[f"ds_d20_best_{name}"],
                 digits[f"digits_acc_default20_{name}"], digits[f"digits_acc_He20_{name}"]]
        shown = [str(c).split(" ")[0] for c in cells]           # the centre value, as the chapters round it
        text.append(shown)
        row = []
        for rule, value in zip(CARD.values(), shown):
            try:
                row.append(rule(float(value)))
            except ValueError:
                row.append(np.nan)
        score.append(row)
    return list(registry.ACTS), list(CARD), text, np.array(score)


def deep_stacks() -> Table:
    """Chapter 10's table: what each fix leaves between the activations at depth 20."""
    return findings.chapter("stacks")["survivors"]


def transfer() -> Table:
    """Chapter 8's table: each sine-task finding tested on the digits by the same rule."""
    return findings.chapter("digits")["comparison_table"]


def markdown() -> str:
    """The four answers with their key numbers, and the cheat sheet, for report.md."""
    v = values()
    sheet, fared = cheat_sheet(), outcomes()
    return "\n".join([
        "## The four questions (from the book's shared runs)", "",
        "### 1. Gradient flow",
        "At PyTorch's default init the backpropagated signal ||dL/dh_l|| of layer 1 is "
        f"{v['meas_default_sigmoid']:.1e} "
        f"of layer 10's for sigmoid and {v['meas_default_relu']:.1e} for ReLU (mean-field predictions "
        f"{v['pred_default_sigmoid']:.1e} and {v['pred_default_relu']:.1e}). He init makes ReLU critical "
        f"({v['d50_kaiming_relu']:.1e} at 50 layers); sigmoid's escape from the plateau comes around epoch "
        f"{v['sigmoid_escape']}.", "",
        "### 2. Sparsity and dead units",
        f"A first-layer ReLU unit is dead at birth with probability 1/(4 pi) = {v['p_dead1']}; at layer 10 "
        f"{v['dead10_torch_default']} of units are. After the seed run {v['off_end_relu']} of ReLU and "
        f"{v['off_end_leaky_relu']} of Leaky ReLU units are off for every input (mean over layers).", "",
        "### 3. Stability",
        f"With Adam the largest learning rate at which most seeds converged: ReLU {v['adam_max_ok_relu']}, Leaky "
        f"ReLU {v['adam_max_ok_leaky_relu']}, GELU {v['adam_max_ok_gelu']}, sigmoid {v['adam_max_ok_sigmoid']}. "
        f"Gradient descent is limited by 2/sharpness: {v['bound_sigmoid']:g} for sigmoid (sharpness "
        f"{v['sharp_sigmoid']:g}), {v['bound_relu']:g} for ReLU.", "",
        "### 4. Expressivity",
        f"A trained 10 x 64 ReLU network has {v['pieces_trained_relu']} linear pieces on average. At ~2,100 "
        f"parameters, Adam fits sin(6x) with ReLU to test MSE {v['sin6_relu_1x700']} in one layer of 700 units and "
        f"{v['sin6_relu_8x17']} in eight of 17 within 500 epochs, although one layer of 700 units can represent it to "
        f"{v['interp_sin6_700']:.0e}.", "",
        "### Does it transfer? (the digits, chapter 8)",
        f"On scikit-learn's digits the mean field predicts the gradients at init within {v['digits_misfit_default']}x; "
        f"ReLU ends with {v['digits_off_end_relu']} of its units off; after training layer 1 gets "
        f"{v['digits_ratio500_relu']} times layer 10's gradient (sine task: {v['sine_ratio500_relu']}); ReLU "
        f"classifies {v['digits_acc_default10_relu']:g}% of the test images, a linear softmax classifier "
        f"{v['digits_linear']:g}%.", "", *md_table(transfer().header, transfer().rows), "",
        "### Deep stacks made trainable (chapters 9 and 10)",
        f"At depth 50 and initialisation, orthogonal weights at tanh's critical point bring the Jacobian's "
        f"spread kappa to {v['ds_kappa50_orthogonal_tanh']} (Gaussian: {v['ds_kappa50_edge_tanh']}), ReLU's "
        f"stays at {v['ds_kappa50_orthogonal_relu']}; SELU at LeCun initialisation keeps its activations' variance "
        f"at {v['ds_selu_var50']} through 50 layers. What each fix leaves between the activations at depth 20:", "",
        *md_table(deep_stacks().header, deep_stacks().rows), "",
        "### Cheat sheet", "", *md_table(sheet.header, sheet.rows), "", *md_table(fared.header, fared.rows), ""])
