"""Chapter 9's measurements at initialisation: the inits' gradient ratios against the per-input mean field,
Jacobian spectra (dynamical isometry), layer moments (self-normalisation), and the finite-width checks of the
mean field (helpers.experiments.finite_width.width_trends). helpers.findings.stacks merges them with the trained
results."""
from __future__ import annotations

import numpy as np

from .. import theory
from ..analysis import stats
from ..analysis.measures import layer_ratio
from ..core import activations
from ..core.store import Results
from ..experiments import registry
from ..plotting.style import CASE_LABEL  # noqa: F401  (chapter 9's tables name the inits so)
from .tables import Table

CASES = ("torch_default",) + registry.STACK_CASES


def anisotropy(sv: np.ndarray) -> np.ndarray:
    """kappa = mean(sigma^4) / mean(sigma^2)^2 of each Jacobian's singular values (last axis): 1 for an isometry
    (every sigma equal), 64 when one direction carries everything. Scale-free, and set by the largest sigma, so
    the tiny ones that float64 cannot resolve (below 1e-16 of the largest) do not move it."""
    s = sv / sv.max(-1, keepdims=True)
    return (s ** 4).mean(-1) / (s ** 2).mean(-1) ** 2


def spectrum_table(at0: Results, depth: int, cases=("kaiming", "edge", "orthogonal")) -> Table:
    rows = []
    for n in at0.coords["activation"]:
        row = [n]
        for c in cases:
            sv = at0.sel("sv", case=c, depth=depth, activation=n)                # [seed, input, k]
            theory_msv = at0.sel('theory_msv', case=c, depth=depth, activation=n).mean()    # over the inputs
            row += [f"{(sv ** 2).mean():.2g} [{theory_msv:.2g}]",
                    stats.at_spread(anisotropy(sv).mean(-1))]
        rows.append(row)
    header = ["activation"] + [f"{CASE_LABEL[c]}: {w}" for c in cases for w in ("mean sigma^2 [mean field]", "kappa")]
    return Table(header, rows, f"Singular values sigma of dh_{depth}/dh_1 at initialisation, depth {depth}: "
                               f"5 seeds x 10 inputs")


def init_ratio_table(at0: Results, depth: int) -> Table:
    rows = []
    for n in at0.coords["activation"]:
        row = [n]
        for c in CASES:
            meas = layer_ratio(at0.sel("grad_h", case=c, activation=n, depth=depth)[:, :depth])
            row.append(f"{stats.geo_spread(meas)} [{at0.sel('theory_h', case=c, activation=n, depth=depth)[0]:.1e}]")
        rows.append(row)
    return Table(["activation"] + [CASE_LABEL[c] for c in CASES], rows,
                 f"||dL/dh_1|| / ||dL/dh_{depth}|| at initialisation, depth {depth}: measured [mean field]")


def _small(m: float) -> str:
    """A mean that may be 0 up to rounding (odd activations average to 0 over the symmetric inputs)."""
    return f"{m:+.1e}" if abs(m) >= 1e-6 else "|m| < 1e-6"


def moments_table(at0: Results, case: str = "lecun", layers=(1, 10, 50)) -> Table:
    """Variance of a_l = phi(h_l) across a layer's units at layers `layers`, the mean of a at the last, and q = the
    mean of h^2 there against the mean-field q_l (both of h, the quantity the recursion is about)."""
    rows, top = [], layers[-1]
    for n in at0.coords["activation"]:
        var = at0.sel("var_a", case=case, activation=n)                      # [seed, layer]
        mean = at0.sel("mean_a", case=case, activation=n)
        q = at0.sel("q", case=case, activation=n)[:, top - 1]
        rows.append([n] + [stats.at_spread(var[:, l - 1]) for l in layers] + [_small(mean[:, top - 1].mean()),
                           f"{stats.geo_mean(q):.3g}", f"{at0.sel('theory_q', case=case, activation=n)[top - 1]:.3g}"])
    header = (["activation"] + [f"Var a_{l}" for l in layers]
              + [f"mean a_{top} (5 seeds)", f"q_{top} = mean h^2 (geometric mean)", f"q_{top} (mean field)"])
    return Table(header, rows,
                 f"Across the 64 units of a layer, averaged over the 200 inputs: {CASE_LABEL[case]} init")


def at_init_numbers(at0: Results) -> dict:
    """The numbers the prose quotes from the measurements at initialisation."""
    v: dict = {}
    v["ds_edge_selu"] = f"{theory.edge_sigma_w2('selu'):.3g}"
    v["ds_chi1_selu_lecun"] = f"{theory.chi_1('selu', 1.0)[1]:.3g}"
    for c in ("edge", "orthogonal", "kaiming"):
        for n in ("tanh", "relu", "identity", "selu", "elu"):
            kappa = anisotropy(at0.sel("sv", case=c, depth=50, activation=n)).mean(-1)   # [seed]
            v[f"ds_kappa50_{c}_{n}"] = stats.at_spread(kappa)
    for n in at0.coords["activation"]:    # what He does at depth 20, beside chi_1's limit deep in the network
        g = at0.sel("grad_h", case="kaiming", activation=n, depth=20)[:, :20]
        v[f"ds_he_ratio20_{n}"] = stats.geo_spread(layer_ratio(g))
    q_he, chi_he = theory.chi_1("selu", 2.0)
    v["ds_chi1_selu_he"], v["ds_gain_selu_he"] = f"{chi_he:.3g}", f"{chi_he ** 0.5:.3g}"
    v |= jacobian_means(at0)
    var = at0.sel("var_a", case="lecun", activation="selu")
    v["ds_selu_var50"] = stats.at_spread(var[:, -1])
    v["ds_selu_var1"] = stats.at_spread(var[:, 0])
    relu_q = at0.sel("q", case="lecun", activation="relu")[:, -1]
    v["ds_relu_lecun_q50"] = f"{stats.geo_mean(relu_q):.1e}"
    v["ds_relu_lecun_q50_theory"] = f"{at0.sel('theory_q', case='lecun', activation='relu')[-1]:.1e}"
    return v


def finite_width_numbers() -> dict:
    """Where the mean field's infinite width shows (finite_width.width_trends), and where GELU's and SiLU's jump lies
    for the variance this network actually feeds layer 2."""
    v: dict = {}
    tr = registry.width_trends()
    widths = tr.coords["width"]
    for n in tr.coords["he_activation"]:          # He, depth 50: seed-to-seed spread of log10 of the ratio,
        sd = np.log10(tr.sel("he_ratio", he_activation=n)).std(-1, ddof=1)   # its geometric mean, the mean field's
        for w, s in zip(widths, sd):
            v[f"ds_he_sd_{n}_w{w}"] = f"{s:.2g}"
            v[f"ds_he_geo_{n}_w{w}"] = stats.geo_spread(tr.sel("he_ratio", width=w, he_activation=n))
            v[f"ds_he_pred_{n}_w{w}"] = f"{theory.mean_field(n, 50, w, 'kaiming').grad_h_ratio():.2g}"
    for n in tr.coords["residual_activation"]:    # residual, depth 20: measured / mean field, per width
        pred = theory.residual_profile(n, 20)[0]
        for w in widths:
            measured = stats.geo_mean(tr.sel("residual_ratio", width=w, residual_activation=n))
            v[f"ds_res_over_theory_{n}_w{w}"] = f"{measured / pred:.2g}"
    for i, tag in enumerate(("rank1", "full")):
        for n in tr.coords["bn_activation"]:
            v[f"ds_bn_{tag}_{n}"] = stats.geo_spread(tr["batchnorm_ratio"][i, tr.index("bn_activation", n)])
    v["ds_bn_yang_relu"] = f"{(np.pi / (np.pi - 1)) ** 9.5:.2g}"   # Yang et al. 2019: pi / (pi - 1) per layer, squared
    for n in ("gelu", "silu"):                    # the jump from the variance entering layer 2, not from q0 = 1
        edge = theory.edge_sigma_w2(n)
        mf = theory.mean_field(n, 2, 64, "kaiming", weight_scale=float(np.sqrt(edge / 2)))
        q2 = float(mf.q[:, 1].mean())
        v[f"ds_q2_edge_{n}"] = f"{q2:.2g}"
        v[f"ds_jump_own_q_{n}"] = f"{theory.critical_jump(n, 0.0, q2)[0]:.3g}"
        deep = theory.mean_field(n, 50, 64, "kaiming", weight_scale=float(np.sqrt(edge / 2))).chi[:, -1]
        v[f"ds_edge_exploding_inputs_{n}"] = f"{100 * float((deep > 1).mean()):.0f}%"
        q2_he = float(theory.mean_field(n, 2, 64, "kaiming").q[:, 1].mean())     # what He's network feeds layer 2
        v[f"ds_jump_he_q_{n}"] = f"{theory.critical_jump(n, 0.0, q2_he)[0]:.3g}"
    return v


def jacobian_means(at0: Results, depth: int = 50) -> dict:
    """The Jacobian's mean sigma^2 at depth 50 against the per-input mean field, per init: the largest factor
    between them over the activations, and for the critical and He inits which probe input carries the measured
    mean (its x and its share of the mean over the ten inputs)."""
    v: dict = {}
    xs = np.asarray(at0.coords["input"])
    for c in ("torch_default", "lecun", "kaiming", "edge", "orthogonal"):
        worst, which = 1.0, ""
        for n in at0.coords["activation"]:
            per_input = (at0.sel("sv", case=c, depth=depth, activation=n) ** 2).mean((0, 2))    # [input]
            pred = at0.sel("theory_msv", case=c, depth=depth, activation=n).mean()
            factor = max(per_input.mean() / pred, pred / per_input.mean())
            if factor > worst:
                worst, which = factor, activations.get(n).label
            if c in ("edge", "kaiming") and n in ("tanh", "elu", "selu", "sigmoid"):
                top = int(np.argmax(per_input))
                v[f"ds_msv_top_x_{c}_{n}"] = f"{xs[top]:.2g}"
                v[f"ds_msv_top_share_{c}_{n}"] = f"{100 * per_input[top] / per_input.sum():.0f}%"
        v[f"ds_msv_misfit_{c}"], v[f"ds_msv_misfit_{c}_act"] = stats.sig2(worst), which
    return v
