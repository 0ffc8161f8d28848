"""The book's named experiments: one definition of each run's parameters, cached (helpers.experiments.cache),
shared by the chapters, the summary, report.md and `python -m helpers precompute`. A run is made of
pieces (one per activation, mostly), each cached on its own, so that precompute can spread them over
processes; calling the run joins them. A chapter only loads these and shows them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Callable

from ..core import activations
from ..core.config import CURVES, FULL, SWEEP, TrainConfig
from ..core.data import digits, make_dataset
from ..core.models import SEED_NET, NetConfig
from ..core.store import Results
from ..engine.runs import concat, grid, stacked
from . import at_init, bundle, cache, finite_width
from .registry_deep import (
    AT_INIT,
    BLOCK_SETTINGS,
    BLOCK_VARIANTS,
    DIGITS_DEPTHS,
    DIGITS_INITS,
    STACK_ACTS,
    STACK_CASES,
    STACK_DEPTHS,
    _digits,
    _digits_lr,
    _stack_at_init,
    _stack_blocks,
    _stack_inits,
    _with_digits_theory,
    explorer_grid,
)
from .shared_run import DEPTHS, SEEDS, SWEEP_LRS, Run, by_depth, one, per_activation

ACTS = list(activations.BOOK_ACTIVATIONS)
# The seed run logs densely enough for the dynamics chapter: hidden units at these epochs.
DYNAMICS_EPOCHS = (0, 1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 250, 300, 400, 500)


@dataclass(frozen=True)
class Baseline:
    """The seed experiment: the network `net` (10 x 64 by default), every activation, Adam/MSE, several seeds."""

    activations: tuple[str, ...] = tuple(ACTS)
    seeds: int = SEEDS
    net: NetConfig = SEED_NET
    train: TrainConfig = field(default_factory=lambda: TrainConfig(log=replace(FULL, record_epochs=DYNAMICS_EPOCHS)))
    device: str = "auto"

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a whole number >= 1, got {self.seeds!r}")
        for a in self.activations:
            activations.get(a)
        if not isinstance(self.net, NetConfig):
            raise ValueError(f"net must be a NetConfig, e.g. NetConfig(depth=20), got {self.net!r}")


def replace_train(cfg: Baseline, **train) -> Baseline:
    """A Baseline with some training settings changed (the CLI's options)."""
    return replace(cfg, train=replace(cfg.train, **train))


def seed_run(cfg: Baseline = Baseline(), progress: bool = False) -> Results:
    """The seed experiment (all models at once), shared by the CLI and the chapters; says first when it trains."""
    def train() -> Results:
        from .precompute import MINUTES_PER_COST
        units = seed_run_cost(cfg)
        print(f"training the seed run ({len(cfg.activations)} activations x {cfg.seeds} seeds, {cfg.train.epochs} "
              f"epochs): not cached yet, about {max(1, round(MINUTES_PER_COST * units))} minute(s) on this machine",
              flush=True)
        return grid(list(cfg.activations), list(range(cfg.seeds)), make_dataset(), cfg.train, cfg.net,
                    device=cfg.device, progress=progress)
    return bundle.record(cache.cached("seed_run", asdict(cfg), train), "seed_run")


def seed_run_cost(cfg: Baseline) -> float:
    """Run.cost of a seed run (models x epochs x layer size, against one 10 x 64 model for 500 epochs), with a
    half more for its dense logs."""
    return len(cfg.activations) * cfg.seeds * 1.5 * cfg.train.epochs / 500 * (cfg.net.depth * cfg.net.width / 640)


def seed_run_cached(cfg: Baseline) -> bool:
    """Whether seed_run(cfg) would load an earlier run instead of training."""
    return cache.path("seed_run", asdict(cfg)).exists()


OPTIMIZER_KEEP = ("loss", "final_train_mse", "final_test_mse", "diverged_epoch", "final_params", "grad_h",
                  "unit_states")


def _optimizers() -> Results:
    parts = [grid(["sigmoid"], list(range(SEEDS)), make_dataset(),
                  TrainConfig(**kw, log=replace(FULL, record_epochs=(0,), probe_layers=())))
             for kw in OPTIMIZER_SETTINGS.values()]
    return stacked(parts, "setting", list(OPTIMIZER_SETTINGS), OPTIMIZER_KEEP)


EPS_KEEP = ("loss", "final_train_mse", "diverged_epoch", "unit_states", "grad_h")


def _eps_series(act: str) -> Results:
    def run():
        parts = [grid([act], list(range(SEEDS)), make_dataset(), TrainConfig(adam_eps=eps, log=SWEEP), NetConfig(30))
                 for eps in EPS_AT_DEPTH]
        return stacked(parts, "adam_eps", list(EPS_AT_DEPTH), EPS_KEEP)
    return cache.cached("eps_at_depth", dict(activation=act, seeds=SEEDS, eps=list(EPS_AT_DEPTH),
                                             train=asdict(TrainConfig(log=SWEEP)), keep=EPS_KEEP), run)


BUDGET_SHAPES = ((1, 700), (2, 44), (4, 25), (8, 17))   # (depth, width): about 2,100 parameters each
HARDER_TARGETS = (("sin", 1), ("sin", 3), ("sin", 6), ("sawtooth", 3))


def _budget(act: str) -> Results:
    """One activation on every shape and target; final weights of each shape as params_L{d}_W{w}."""
    cfg = TrainConfig(log=replace(CURVES, test_every=500))

    def run():
        keep = ("loss", "final_train_mse", "final_test_mse", "diverged_epoch", "pred")
        by_shape, params = [], {}
        for depth, width in BUDGET_SHAPES:
            per_target = [grid([act], list(range(SEEDS)), make_dataset(t, k), cfg, NetConfig(depth, width))
                          for t, k in HARDER_TARGETS]
            by_shape.append(stacked(per_target, "target", [f"{t}({k}x)" for t, k in HARDER_TARGETS], keep))
            params[f"params_L{depth}_W{width}"] = stacked(per_target, "target", list(range(len(HARDER_TARGETS))),
                                                          ("final_params",))["final_params"]
        res = stacked(by_shape, "shape", [f"{d}x{w}" for d, w in BUDGET_SHAPES], keep)
        for name, p in params.items():
            res.arrays[name] = p
            res.dims[name] = ("target", "activation", "seed", f"param_{name[7:]}")
        res.meta["config"] |= {"shapes": [list(s) for s in BUDGET_SHAPES], "targets": [list(t) for t in HARDER_TARGETS]}
        return res
    return cache.cached("budget_grid", dict(shapes=BUDGET_SHAPES, targets=HARDER_TARGETS, activation=act,
                                            seeds=SEEDS, train=asdict(cfg), version=2), run)


TENT_SHAPES = ((4, 2), (4, 16), (1, 64), (10, 64))


def _tent() -> Results:
    """ReLU networks of several shapes on the tent map composed 4 times (Adam 1e-3, 2000 epochs)."""
    cfg = TrainConfig(epochs=2000, log=replace(CURVES, test_every=2000))

    def run():
        data = make_dataset("tent", 4)
        arrays, dims = {}, {}
        for depth, width in TENT_SHAPES:
            r = grid(["relu"], list(range(SEEDS)), data, cfg, NetConfig(depth, width))
            tag = f"L{depth}_W{width}"
            arrays[f"test_mse_{tag}"], dims[f"test_mse_{tag}"] = r["final_test_mse"][0], ("seed",)
            arrays[f"params_{tag}"], dims[f"params_{tag}"] = r["final_params"][0], ("seed", f"param_{tag}")
        return Results(arrays, dims, {"seed": list(range(SEEDS))},
                       {"config": {"compositions": 4, "shapes": [list(s) for s in TENT_SHAPES],
                                   "train": asdict(cfg), "data": data.describe()}})
    return cache.cached("tent", dict(shapes=TENT_SHAPES, seeds=SEEDS, train=asdict(cfg), version=2), run)


OPTIMIZER_SETTINGS = {"Adam, eps 1e-8 (default)": dict(), "Adam, eps 1e-12": dict(adam_eps=1e-12),
                      "Adam, eps 1e-6": dict(adam_eps=1e-6), "GD, lr 0.1": dict(optimizer="sgd", lr=0.1),
                      "GD, lr 1": dict(optimizer="sgd", lr=1.0)}
EPS_AT_DEPTH = (1e-8, 1e-30)   # 1e-30, not 0: Adam's step is 0/0 for a weight whose gradient is exactly 0
LONG_EPOCHS = 3000
EPS_ACTS = ("sigmoid", "tanh", "relu", "gelu")
GD_LRS = (0.0316, 0.1, 0.316, 1.0, 3.16)
DEPTH_LRS = (1e-2, 1.78e-2, 3.16e-2, 5.62e-2, 0.1)   # quarter decades around ReLU's limit


_data = make_dataset
RUNS: dict[str, Run] = {
    # chapter 1
    "precision": per_activation("precision", ACTS, SEEDS, TrainConfig(dtype="float32", log=CURVES),
                                cost=0.5 * SEEDS),
    # chapters 2-5: at initialisation
    "init_sweep": one("init_sweep", dict(acts=ACTS, depths=[5, 10, 20, 30, 50], seeds=SEEDS), lambda:
                       at_init.init_sweep(ACTS, [5, 10, 20, 30, 50], list(range(SEEDS)), _data()), cost=15,
                       modules=AT_INIT),
    "init_states": one("init_states", dict(acts=ACTS, seeds=50), lambda:
                        at_init.init_states(ACTS, list(range(50)), _data()), cost=20, modules=AT_INIT),
    "born_dead": one("born_dead", dict(widths=[1, 2, 3, 4, 6, 8], depths=[1, 2, 5, 10, 20, 50], samples=1000),
                      lambda: at_init.born_dead([1, 2, 3, 4, 6, 8], [1, 2, 5, 10, 20, 50], 1000), cost=8,
                      modules=AT_INIT),
    "curvature": one("curvature", dict(depths=list(DEPTHS), seeds=SEEDS, acts=ACTS), lambda:
                      at_init.curvature(_data(), list(DEPTHS), SEEDS, ACTS), cost=50, modules=AT_INIT),
    "init_pieces": one("init_pieces", {}, at_init.init_pieces, cost=1, modules=AT_INIT),
    # chapter 2
    "optimizers": one("optimizers", dict(settings=OPTIMIZER_SETTINGS, seeds=SEEDS, keep=OPTIMIZER_KEEP), _optimizers,
                       cost=25),
    # chapters 3-4
    "lr_sweep": per_activation("lr_sweep", ACTS, SEEDS, TrainConfig(log=SWEEP), lrs=list(SWEEP_LRS),
                               cost=len(SWEEP_LRS) * SEEDS),
    "gd_sweep": per_activation("gd_sweep", ACTS, SEEDS, TrainConfig(optimizer="sgd", log=SWEEP), lrs=list(GD_LRS),
                               cost=len(GD_LRS) * SEEDS),
    "depth_by_activation": by_depth("depth_by_activation", ACTS, [1e-3]),
    "depth_by_lr": by_depth("depth_by_lr", ["relu"], DEPTH_LRS, depths=(2, 5, 10, 20)),
    "long_budget": per_activation("long_budget", ["sigmoid"], SEEDS, TrainConfig(
        epochs=LONG_EPOCHS, log=replace(SWEEP, states_every=500, grad_every=500, test_every=500)),
        lrs=[1e-4, 3.16e-4], cost=2 * SEEDS * LONG_EPOCHS / 500),
    "eps_at_depth": Run({a: partial(_eps_series, a) for a in EPS_ACTS}, lambda parts: concat(parts, "activation"),
                        cost=len(EPS_AT_DEPTH) * SEEDS * 3),
    # chapter 5
    "budget_grid": Run({a: partial(_budget, a) for a in ACTS}, lambda parts: concat(parts, "activation"), cost=12),
    "spectral": per_activation("spectral", ACTS, SEEDS, TrainConfig(
        log=replace(CURVES, record_epochs=tuple(range(0, 501, 5)))), data_args=("mix",), cost=SEEDS),
    "tent": one("tent", dict(shapes=TENT_SHAPES, seeds=SEEDS), _tent, cost=30),
    # chapter 7
    "explorer_grid": Run({"explorer_grid": explorer_grid}, cost=15),
    # chapter 8
    "digits": Run({a: partial(_digits, a) for a in ACTS},
                  lambda parts: _with_digits_theory(concat(parts, "activation")), cost=40),
    "digits_theory": one("digits_theory", dict(acts=ACTS, inits=DIGITS_INITS, depths=DIGITS_DEPTHS,
                                             data=digits().describe()), lambda:
                         at_init.mean_field_profiles(ACTS, DIGITS_INITS, DIGITS_DEPTHS, digits().x.numpy()), cost=2,
                         modules=AT_INIT),
    "digits_lr": Run({a: partial(_digits_lr, a) for a in ACTS}, lambda parts: concat(parts, "activation"), cost=35),
    # chapter 9
    "stack_inits": Run({a: partial(_stack_inits, a) for a in STACK_ACTS}, lambda parts: concat(parts, "activation"),
                       cost=len(STACK_CASES) * SEEDS * sum(STACK_DEPTHS) / 10 * 1.2),
    "stack_blocks": Run({a: partial(_stack_blocks, a) for a in STACK_ACTS}, lambda parts: concat(parts, "activation"),
                        cost=len(BLOCK_VARIANTS) * SEEDS * 1.6 * sum(d for d, _ in BLOCK_SETTINGS.values()) / 10),
    "selu_series": by_depth("selu_series", ["selu"], [1e-3, 0.1], depths=STACK_DEPTHS),
    "width_trends": one("width_trends", dict(seeds=SEEDS, widths=finite_width.TREND_WIDTHS), lambda:
                        finite_width.width_trends(_data(), list(range(SEEDS))), cost=150,
                        modules=("experiments.finite_width",)),
    "stack_at_init": one("stack_at_init", dict(acts=STACK_ACTS, cases=STACK_CASES, seeds=SEEDS), _stack_at_init,
                         cost=10, modules=AT_INIT),
}


def _beyond(name: str) -> dict:
    """Chapter 12: the report card's measurements of one of byo.EXTRAS (cached piece by piece under the preset)."""
    from .. import byo
    from ..byo import card
    with byo.extras_registered():
        return card.measure(name, f"preset:{name}", log=lambda m: None)


RUNS["beyond"] = Run({a: partial(_beyond, a) for a in ("mish", "softplus", "sine", "snake")},
                     lambda parts: dict(zip(("mish", "softplus", "sine", "snake"), parts)), cost=54)
seed_run_task = Run({"all": seed_run}, cost=seed_run_cost(Baseline()))
for _name, _run in RUNS.items():
    _run.name = _name          # what the bundle's record of reads calls it


def tasks() -> list[tuple[str, str, float]]:
    """Every piece of every shared run as (run, piece, cost), the most expensive first."""
    out = [("seed_run", "all", seed_run_task.cost)]
    for name, run in RUNS.items():
        out += [(name, piece, run.cost) for piece in run.pieces]
    return sorted(out, key=lambda t: -t[2])


def compute(run: str, piece: str) -> None:
    (seed_run_task if run == "seed_run" else RUNS[run]).pieces[piece]()


def _named(run: str, doc: str) -> Callable[[], Results]:
    def load() -> Results:
        from .precompute import compute_missing  # says what it computes, and about how long, first
        compute_missing([run])
        return RUNS[run]()
    load.__name__, load.__doc__ = run, doc
    return load


precision = _named("precision", "Chapter 1: the seed run in float32 (same seeds and weights), light logs.")
init_sweep = _named("init_sweep", "Chapter 2: per-layer gradients at init, every activation, five inits, depths 5..50.")
optimizers = _named("optimizers", "Chapter 2: the sigmoid seed network under three Adam epsilons and gradient descent.")
init_states = _named("init_states", "Chapter 3: unit states of 50 freshly initialised seed networks per activation.")
born_dead = _named("born_dead", "Chapter 3: how often narrow zero-bias ReLU networks are dead at birth.")
lr_sweep = _named("lr_sweep", "Chapters 3, 4: Adam at half-decade learning rates 1e-4..1, every activation.")
gd_sweep = _named("gd_sweep", "Chapter 4: full-batch gradient descent at learning rates 0.03..3, every activation.")
curvature = _named("curvature", "Chapter 4: sharpness at init, every activation, depths 2..30.")
depth_by_activation = _named("depth_by_activation", "Chapter 4: every activation at depths 2..30, Adam lr 1e-3.")
depth_by_lr = _named("depth_by_lr", "Chapter 4: ReLU, depth x Adam learning rate in quarter decades.")
long_budget = _named("long_budget", "Chapter 4: sigmoid at small Adam learning rates for LONG_EPOCHS epochs.")
eps_at_depth = _named("eps_at_depth", "Chapter 4: depth 30 with Adam eps 1e-8 and 0.")
budget_grid = _named("budget_grid", "Chapter 5: ~2,100-parameter shapes x targets x activations.")
spectral = _named("spectral", "Chapter 5: the seed setup on cos x + cos 3x / 2 + cos 5x / 4, logged every 5 epochs.")
digits_run = _named("digits", "Chapter 8: the digits, every activation, depths 10 and 20, default and He init.")
digits_lr = _named("digits_lr", "Chapter 8: the digits at half-decade Adam learning rates 1e-4..1, depth 10.")
stack_inits = _named("stack_inits", "Chapter 9: LeCun, He, critical and orthogonal inits trained, depths 10 and 20.")
stack_blocks = _named("stack_blocks", "Chapter 10: LayerNorm, BatchNorm, residual and pre-norm residual trained.")
selu_series = _named("selu_series", "Chapter 9: SELU at PyTorch's default init, depths 10 and 20, Adam 1e-3 and 0.1.")
width_trends = _named("width_trends", "Chapter 9: the mean field against widths 64 to 1024 (He at depth 50, residual, "
                                      "BatchNorm with a full-rank input).")
stack_at_init = _named("stack_at_init", "Chapter 9: gradients, Jacobian spectra, layer moments at init, to depth 50.")
beyond = _named("beyond", "Chapter 12: Mish, Softplus, sine and Snake, measured as the report card measures.")
tent = _named("tent", "Chapter 5: ReLU shapes trained on the 16-piece tent map, 2000 epochs.")
init_pieces = _named("init_pieces", "Chapter 5: exact linear pieces of freshly initialised ReLU networks.")
