"""The book's named runs of chapters 8 to 10 (the digits; deep stacks made trainable) and chapter 7's explorer
grid: their parameters and how each piece is computed and cached. helpers.experiments.registry registers them with
the others."""
from __future__ import annotations

from dataclasses import asdict, replace

from ..core import activations
from ..core.config import DIGITS, DIGITS_SWEEP, SWEEP, TrainConfig
from ..core.data import digits, make_dataset
from ..core.models import INITS, NetConfig
from ..core.store import Results
from ..engine import blocks
from ..engine.runs import grid, stacked
from . import at_init, bundle, cache, explorer_stats
from .shared_run import DEPTH_KEEP, SEEDS, SWEEP_LRS

AT_INIT = ("experiments.at_init",)   # what the measurements at initialisation also depend on

# Chapter 8, the digits: mini-batches of 128, 10 steps per epoch, so 50 epochs are the seed task's 500 Adam steps
# and epochs 10 and 20 its steps 100 and 200.
DIGITS_DEPTHS, DIGITS_INITS = (10, 20), ("torch_default", "kaiming")
DIGITS_TRAIN = TrainConfig(epochs=50, batch_size=128, log=DIGITS)
DIGITS_KEEP = ("loss", "test_loss", "test_accuracy", "final_train_loss", "final_test_loss", "final_train_accuracy",
               "final_test_accuracy", "diverged_epoch", "grad_h", "unit_states", "unit_active")


def _digits(act: str) -> Results:
    """One activation on the digits at every depth x init (five seeds each), dims (init, depth, ...)."""
    cfg, data = DIGITS_TRAIN, digits()

    def run():
        by_init = [stacked([grid([act], list(range(SEEDS)), data, cfg, NetConfig(d, init=i)) for d in DIGITS_DEPTHS],
                           "depth", list(DIGITS_DEPTHS), DIGITS_KEEP) for i in DIGITS_INITS]
        return stacked(by_init, "init", list(DIGITS_INITS), DIGITS_KEEP)
    return cache.cached("digits", dict(activation=act, seeds=SEEDS, depths=DIGITS_DEPTHS, inits=DIGITS_INITS,
                                       train=asdict(cfg), data=data.describe(), keep=DIGITS_KEEP), run)


def _with_digits_theory(res: Results) -> Results:
    """The digits runs with the mean-field prediction of ||dL/dh_l|| / ||dL/dh_L|| at initialisation as theory_h
    (init, depth, activation, layer): a run of its own (digits_theory), so that the theory never retrains them."""
    from .registry import RUNS
    th = RUNS["digits_theory"]()
    res.arrays["theory_h"], res.dims["theory_h"] = th["theory_h"], th.dims["theory_h"]
    return res


def _digits_lr(act: str) -> Results:
    """One activation on the digits at every learning rate of SWEEP_LRS (five seeds, depth 10, default init)."""
    cfg, data = TrainConfig(epochs=50, batch_size=128, log=DIGITS_SWEEP), digits()
    return cache.cached("digits_lr", dict(activation=act, seeds=SEEDS, lrs=SWEEP_LRS, train=asdict(cfg),
                                          data=data.describe()),
                        lambda: grid([act], list(range(SEEDS)), data, cfg, lrs=list(SWEEP_LRS)))


# Chapter 9, deep stacks: the fixes trained on the seed task with chapter 4's settings (Adam 1e-3, 500 epochs, SWEEP's
# logs, five seeds). PyTorch's default init is chapter 4's depth series (depth_by_activation; SELU's in selu_series),
# so that no run is computed twice.
STACK_ACTS = list(activations.STACK_ACTIVATIONS)
STACK_CASES = ("lecun", "kaiming", "edge", "orthogonal")     # at_init.INIT_CASES: trained at STACK_DEPTHS
STACK_DEPTHS = (10, 20)
STACK_KEEP = tuple(k for k in DEPTH_KEEP if k != "pred")
BLOCK_VARIANTS = blocks.VARIANTS[1:]                         # "plain" is the engine's network: chapter 4's runs
BLOCK_SETTINGS = {"depth 20, lr 1e-3": (20, 1e-3), "depth 10, lr 0.1": (10, 0.1)}   # (depth, Adam lr)
BLOCK_KEEP = ("loss", "final_train_mse", "final_test_mse", "diverged_epoch", "grad_h", "unit_states")


def _stack_inits(act: str) -> Results:
    """One activation trained from every STACK_CASES init at every STACK_DEPTHS depth: dims (case, depth, ...)."""
    cfg, data = TrainConfig(log=SWEEP), make_dataset()

    def run():
        def one_case(case):
            init, scale = at_init.INIT_CASES[case][0], at_init.case_scales(case, [act])[0]
            parts = [grid([act], list(range(SEEDS)), data, cfg, NetConfig(d, init=init), weight_scale={act: scale})
                     for d in STACK_DEPTHS]
            return stacked(parts, "depth", list(STACK_DEPTHS), STACK_KEEP)
        return stacked([one_case(c) for c in STACK_CASES], "case", list(STACK_CASES), STACK_KEEP)
    # the key names each case's init and weight scale (theory's edge of chaos), not the theory's source
    scales = {c: [*at_init.INIT_CASES[c], at_init.case_scales(c, [act])[0]] for c in STACK_CASES}
    return cache.cached("stack_inits", dict(activation=act, seeds=SEEDS, cases=scales, depths=STACK_DEPTHS,
                                            train=asdict(cfg), keep=STACK_KEEP), run)


def _stack_blocks(act: str) -> Results:
    """One activation with every BLOCK_VARIANTS variant (helpers.engine.blocks, autograd) in every BLOCK_SETTINGS
    setting, PyTorch's default init: dims (setting, variant, activation, seed, ...)."""
    cfg, data = TrainConfig(log=SWEEP), make_dataset()

    def run():
        def one_setting(depth, lr):
            return stacked([blocks.train(v, [act], list(range(SEEDS)), data, replace(cfg, lr=lr), NetConfig(depth))
                            for v in BLOCK_VARIANTS], "variant", list(BLOCK_VARIANTS), BLOCK_KEEP)
        return stacked([one_setting(*s) for s in BLOCK_SETTINGS.values()], "setting", list(BLOCK_SETTINGS), BLOCK_KEEP)
    return cache.cached("stack_blocks", dict(activation=act, seeds=SEEDS, variants=BLOCK_VARIANTS,
                                             settings=BLOCK_SETTINGS, train=asdict(cfg), keep=BLOCK_KEEP), run,
                        modules=())


def _stack_at_init() -> Results:
    """At initialisation, every STACK_ACTS activation under PyTorch's default init and every STACK_CASES case:
    per-layer gradients (at_init.init_sweep) and Jacobian spectra at depths 20 and 50, layer moments at depth 50."""
    data, seeds, cases = make_dataset(), list(range(SEEDS)), ("torch_default",) + STACK_CASES
    parts = [at_init.init_sweep(STACK_ACTS, [20, 50], seeds, data, cases=cases),
             at_init.jacobian_spectra(STACK_ACTS, cases, [20, 50], seeds, data.x[::20]),
             at_init.layer_moments(STACK_ACTS, cases, 50, seeds, data.x)]
    return Results({k: v for p in parts for k, v in p.arrays.items()}, {k: v for p in parts for k, v in p.dims.items()},
                   {k: v for p in parts for k, v in p.coords.items()},
                   {"config": {"cases": list(cases), "width": 64, "data": data.describe()}})


# Chapter 7's static explorer: statistics at initialisation over every choice it offers.
EXPLORER_DEPTHS = (1, 2, 5, 10, 20, 50)


def explorer_names() -> tuple[str, ...]:
    """The static explorer's activations: the book's nine and chapter 12's four (byo.EXTRAS)."""
    from .. import byo
    return tuple(STACK_ACTS) + tuple(byo.EXTRAS)


def explorer_grid(names=None, inits=INITS, layers=blocks.VARIANTS, depths=EXPLORER_DEPTHS) -> Results:
    """explorer_stats.statistics_grid, cached (its modules are in the key); chapter 12's four are registered while
    it computes (byo.extras_registered)."""
    from .. import byo
    names = explorer_names() if names is None else names
    key = dict(names=list(names), inits=list(inits), layers=list(layers), depths=list(depths))

    def compute():
        with byo.extras_registered():
            return explorer_stats.statistics_grid(names, inits, layers, depths)
    return bundle.record(cache.cached("explorer_grid", key, compute,
                                      modules=("experiments.explorer_stats", "byo.custom")), "explorer_grid")
