"""Named, parameterised experiments. Each returns store.Results with named dims."""
from __future__ import annotations

import hashlib
import math
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import activations, store
from .batched import ModelSpec, train_batched
from .data import Dataset, landmarks, make_dataset
from .models import StackedMLP, check_init, check_shape
from .train import TrainConfig


def grid(activation_names: list[str], seeds: list[int], data: Dataset, cfg: TrainConfig,
         lrs: list[float] | None = None, depth: int = 10, width: int = 64,
         init: str = "torch_default", device: str = "auto", progress: bool = False) -> store.Results:
    """Train activation x (lr x) seed models at once; dims ("activation", ["lr",] "seed", ...).

    Same seed -> same initial weights and batch order for every activation and learning rate.
    """
    names = [activations.get(a).name for a in activation_names]
    check_shape(depth, width)
    check_init(init)
    if not seeds:
        raise ValueError("need at least one seed")
    axes = {"activation": names, "lr": [float(lr) for lr in lrs] if lrs else [cfg.lr], "seed": list(seeds)}
    for lr in axes["lr"]:
        replace(cfg, lr=lr)  # validates each learning rate with TrainConfig's own message
    specs = [ModelSpec(a, s, lr) for a in names for lr in axes["lr"] for s in axes["seed"]]
    res = train_batched(specs, data, cfg, depth, width, init, device, progress=progress)
    if not lrs:
        axes.pop("lr")
    return _unstack(res, axes, dict(data=data.name, depth=depth, width=width, init=init,
                                    train=asdict(cfg), landmarks=landmarks(data)))


def _unstack(res: store.Results, axes: dict[str, list], config: dict) -> store.Results:
    """Split the "model" dim into the named axes (in order)."""
    sizes = tuple(len(v) for v in axes.values())
    arrays = {k: a.reshape(sizes + a.shape[1:]) for k, a in res.arrays.items()}
    dims = {k: tuple(axes) + d[1:] for k, d in res.dims.items()}
    return store.Results(arrays, dims, {**res.coords, **axes},
                         {**res.meta, "config": config, "versions": store.versions()})


@dataclass(frozen=True)
class Baseline:
    """The seed experiment: 10 x 64 MLP, five activations, Adam/MSE, 500 epochs, several seeds."""

    activations: tuple[str, ...] = activations.SEED_ACTIVATIONS
    seeds: int = 5
    depth: int = 10
    width: int = 64
    init: str = "torch_default"
    train: TrainConfig = field(default_factory=TrainConfig)
    device: str = "auto"

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a whole number >= 1, got {self.seeds!r}")
        for a in self.activations:
            activations.get(a)
        check_shape(self.depth, self.width)
        check_init(self.init)


def baseline(cfg: Baseline = Baseline(), progress: bool = False, cache: bool = True) -> store.Results:
    """Run the seed experiment (all models at once), or load it if this exact configuration and
    code already ran (the CLI and chapter 1 share the run)."""
    def run() -> store.Results:
        return grid(list(cfg.activations), list(range(cfg.seeds)), make_dataset(), cfg.train,
                    depth=cfg.depth, width=cfg.width, init=cfg.init, device=cfg.device, progress=progress)
    return cached("baseline", asdict(cfg), run) if cache else run()


def cache_path(name: str, key: dict, folder: str | Path | None = None) -> Path:
    """Where cached(name, key) keeps its result: the key hashes the parameters and the source of
    helpers/, so editing the code recomputes. The folder is `folder`, else $HELPERS_CACHE_DIR, else
    .cache/ at the repository root. CI starts from a clean clone, so it always recomputes."""
    from . import REPO
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
    for f in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(f.read_bytes())
    return Path(folder or os.environ.get("HELPERS_CACHE_DIR") or REPO / ".cache") / \
        f"{name}-{digest.hexdigest()[:16]}.npz"


def cached(name: str, key: dict, compute: Callable[[], store.Results],
           folder: str | Path | None = None) -> store.Results:
    """compute() once per (name, key, helpers source); later calls load the file it wrote."""
    path = cache_path(name, key, folder)
    if path.exists():
        return store.load(path)
    res = compute()
    store.save(res, path)
    return res


# Init schemes for the depth sweep: name -> (init, weight_scale). "kaiming x1.5" pushes ReLU past
# criticality (sigma_w^2 = 4.5): the exploding case.
INIT_CASES = {"torch_default": ("torch_default", 1.0), "xavier": ("xavier", 1.0),
              "kaiming": ("kaiming", 1.0), "kaiming x1.5": ("kaiming", 1.5)}


def init_sweep(activation_names: list[str], depths: list[int], seeds: list[int], data: Dataset,
               cases: dict[str, tuple[str, float]] = INIT_CASES, width: int = 64) -> store.Results:
    """Per-layer gradients at initialisation (no training), in float64, across depth and init.

    grad_h / grad_w [case, activation, depth, seed, layer]: ||dL/dh_l|| and mean |dL/dW_l| of the
    full-batch loss, NaN beyond each network's depth; theory_h [case, activation, depth, layer]: the
    mean-field prediction of ||dL/dh_l|| / ||dL/dh_L||.
    """
    import torch

    from .probes import layer_gradients
    from .theory import mean_field
    names = [activations.get(a).name for a in activation_names]
    shape = (len(cases), len(names), len(depths), len(seeds), max(depths))
    grad_h, grad_w = np.full(shape, np.nan), np.full(shape, np.nan)
    theory_h = np.full((len(cases), len(names), len(depths), max(depths)), np.nan)
    x, y = data.x.double(), data.y.double()
    for c, (init, scale) in enumerate(cases.values()):
        for a, name in enumerate(names):
            gains = mean_field(name, max(depths), width, init, scale).gain
            for d, depth in enumerate(depths):
                theory_h[c, a, d, :depth] = np.append(np.cumprod(gains[:depth - 1][::-1])[::-1], 1.0)
        for d, depth in enumerate(depths):
            net = StackedMLP.from_seeds([n for n in names for _ in seeds], list(seeds) * len(names), depth,
                                        width, init, dtype=torch.float64, weight_scale=scale)
            gw, gh = (g.numpy().reshape(len(names), len(seeds), depth) for g in layer_gradients(net, x, y))
            grad_w[c, :, d, :, :depth], grad_h[c, :, d, :, :depth] = gw, gh
    dims = ("case", "activation", "depth", "seed", "layer")
    return store.Results({"grad_h": grad_h, "grad_w": grad_w, "theory_h": theory_h},
                         {"grad_h": dims, "grad_w": dims, "theory_h": dims[:3] + ("layer",)},
                         {"case": list(cases), "activation": names, "depth": list(depths), "seed": list(seeds),
                          "layer": list(range(1, max(depths) + 1))},
                         {"config": {"cases": {k: list(v) for k, v in cases.items()}, "width": width,
                                     "data": data.name}, "versions": store.versions()})


def weight_change(res: store.Results) -> np.ndarray:
    """||W_l(end) - W_l(0)|| / ||W_l(0)|| per hidden layer: how far training moved each layer.

    Works on any grid result (final_params [..., seed, param]); returns [..., seed, layer]."""
    from .models import flatten, init_params, layer_sizes
    cfg = res.meta["config"]
    sizes = layer_sizes(cfg["depth"], cfg["width"])
    init = np.stack([flatten(init_params(s, cfg["depth"], cfg["width"], cfg["init"])).double().numpy()
                     for s in res.coords["seed"]])
    final = res["final_params"]
    out, offset = [], 0
    for fi, fo in sizes[:-1]:
        w = slice(offset, offset + fi * fo)
        out.append(np.linalg.norm(final[..., w] - init[:, w], axis=-1) / np.linalg.norm(init[:, w], axis=-1))
        offset += fi * fo + fo
    return np.stack(out, -1)


def init_states(activation_names: list[str], seeds: list[int], data: Dataset, depth: int = 10,
                width: int = 64, init: str = "torch_default") -> store.Results:
    """Unit states (helpers.probes.unit_states) of freshly initialised networks, no training:
    states [activation, seed, layer, unit_state] and per-unit on-fractions [activation, seed, layer, unit].
    Cheap, so it affords many seeds: a dead fraction measured to a percent needs thousands of units."""
    from .probes import UNIT_STATES, unit_states
    names = [activations.get(a).name for a in activation_names]
    fractions, per_unit = [], []
    for name in names:  # one activation at a time keeps the [models, 1000, width] tensors small
        net = StackedMLP.from_seeds([name] * len(seeds), list(seeds), depth, width, init)
        f, u = unit_states(net, data.x_test.float())
        fractions.append(f.numpy())
        per_unit.append(u.float().numpy())
    return store.Results({"unit_states": np.stack(fractions), "unit_active": np.stack(per_unit)},
                         {"unit_states": ("activation", "seed", "layer", "unit_state"),
                          "unit_active": ("activation", "seed", "layer", "unit")},
                         {"activation": names, "seed": list(seeds), "layer": list(range(1, depth + 1)),
                          "unit_state": list(UNIT_STATES)},
                         {"config": {"depth": depth, "width": width, "init": init, "data": data.name},
                          "versions": store.versions()})


def curvature_at_init(data: Dataset, depth: int = 10, seeds: int = 3, width: int = 64,
                      names=activations.SEED_ACTIVATIONS) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sharpness (top Hessian eigenvalue of the train MSE, helpers.probes.sharpness) and the readout
    block's curvature (helpers.probes.readout_curvature) of freshly initialised networks (PyTorch's
    default init, float64): two dicts activation -> [seed]."""
    import torch

    from .probes import readout_curvature, sharpness
    net = StackedMLP.from_seeds([n for n in names for _ in range(seeds)], list(range(seeds)) * len(names),
                                depth, width, dtype=torch.float64)
    x, y = data.x.double(), data.y.double()
    per_name = lambda t: dict(zip(names, t.numpy().reshape(len(names), seeds)))  # noqa: E731
    return per_name(sharpness(net, x, y)), per_name(readout_curvature(net, x))


def born_dead(widths: list[int], depths: list[int], samples: int = 2000,
              init: str = "kaiming", x_max: float = math.pi) -> store.Results:
    """Simulated probability that a ReLU network is dead at birth, per width and depth.

    born_dead [width, depth]: the last hidden layer is zero for every input of a 101-point grid on
    [-x_max, x_max] (the network is a constant); point_dead [width, depth]: it is zero at x = x_max
    alone. Each cell averages `samples` independently initialised networks (seeds 0..samples-1)."""
    import torch

    x = torch.linspace(-x_max, x_max, 101, dtype=torch.float64).unsqueeze(1)
    shape = (len(widths), len(depths))
    out = {"born_dead": np.zeros(shape), "point_dead": np.zeros(shape)}
    for i, w in enumerate(widths):
        for j, depth in enumerate(depths):
            net = StackedMLP.from_seeds(["relu"] * samples, list(range(samples)), depth, w, init,
                                        dtype=torch.float64)
            with torch.no_grad():
                last = net.activate(net(x, keep=True)[1][-1])         # [samples, 101, w]
            zero = (last == 0).all(dim=2)                            # [samples, 101]
            out["born_dead"][i, j] = zero.all(dim=1).double().mean().item()
            out["point_dead"][i, j] = zero[:, -1].double().mean().item()
    return store.Results(out, {k: ("width", "depth") for k in out}, {"width": list(widths), "depth": list(depths)},
                         {"config": {"samples": samples, "init": init, "x_max": x_max},
                          "versions": store.versions()})


# The learning-rate sweep shared by the sparsity and stability chapters: half-decade steps.
SWEEP_LRS = tuple(float(f"{10 ** (k / 2):.3g}") for k in range(-8, 1))   # 1e-4 ... 1


def lr_sweep(activation_names: tuple[str, ...] = activations.SEED_ACTIVATIONS, seeds: int = 3,
             lrs: tuple[float, ...] = SWEEP_LRS, depth: int = 10, width: int = 64,
             optimizer: str = "adam", epochs: int = 500) -> store.Results:
    """activation x learning rate x seed at one depth, all models at once (cached). Hidden
    activations are not logged (probe_layers=()) and unit states only every 50 epochs: a sweep of
    hundreds of models stays small and quick."""
    cfg = TrainConfig(epochs=epochs, optimizer=optimizer, probe_layers=(), record_epochs=(0,), states_every=50)
    key = dict(activations=list(activation_names), seeds=seeds, lrs=list(lrs), depth=depth, width=width,
               train=asdict(cfg))
    return cached("lr_sweep", key, lambda: grid(list(activation_names), list(range(seeds)), make_dataset(),
                                                cfg, lrs=list(lrs), depth=depth, width=width))


def rebuild(res: store.Results, dtype=None, **where) -> StackedMLP:
    """The trained networks of a grid result as a StackedMLP (float32 unless dtype says), one
    model per remaining index (e.g. rebuild(res, activation="relu")); diverged models come back
    with NaN weights."""
    import torch

    cfg = res.meta["config"]
    params = res.sel("final_params", **where)
    dims = [d for d in res.dims["final_params"] if d not in where][:-1]
    names = (np.broadcast_to(np.array(res.coords["activation"]).reshape(
        [-1] + [1] * (len(dims) - 1)), params.shape[:-1]) if "activation" in dims
        else np.full(params.shape[:-1], where["activation"]))
    flat = torch.from_numpy(params.reshape(-1, params.shape[-1])).to(dtype or torch.float32)
    return StackedMLP(list(names.reshape(-1)), flat, cfg["depth"], cfg["width"])


def networks_at(res: store.Results, when: str) -> StackedMLP:
    """The networks of a grid result (all models, in order) at "init" or "trained"."""
    if when == "trained":
        return rebuild(res)
    cfg = res.meta["config"]
    shape = res["final_params"].shape[:-1]
    names = np.broadcast_to(np.array(res.coords["activation"]).reshape([-1] + [1] * (len(shape) - 1)), shape)
    seeds = np.broadcast_to(np.array(res.coords["seed"]), shape)
    return StackedMLP.from_seeds(list(names.reshape(-1)), [int(s) for s in seeds.reshape(-1)],
                                 cfg["depth"], cfg["width"], cfg["init"])


def pre_activation_samples(res: store.Results, x) -> dict[str, dict[str, list[np.ndarray]]]:
    """h_l on the inputs x of every hidden layer, per activation, at init and trained (all seeds):
    samples[name][when][l-1] has shape [seed, len(x), width]."""
    from .probes import pre_activations
    out = {name: {} for name in res.coords["activation"]}
    per_act = int(np.prod(res["final_params"].shape[1:-1]))
    for when in ("init", "trained"):
        pre = pre_activations(networks_at(res, when), x)
        for a, name in enumerate(res.coords["activation"]):
            out[name][when] = [h[a * per_act:(a + 1) * per_act].numpy() for h in pre]
    return out


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # a dead network has zero gradients: NaN
        return a / b


def depth_grid(activation_names: list[str], depths: list[int], lrs: list[float], seeds: int = 2,
               optimizer: str = "adam", epochs: int = 500, width: int = 64) -> store.Results:
    """Train activation x lr x seed networks at each depth (cached); keep what does not depend on
    the layer count: dims (depth, activation, lr, seed, ...). layer_off_max / off_mean: the largest
    and the mean fraction of units off over the hidden layers; grad_h_ratio: layer 1 / layer L."""
    cfg = TrainConfig(epochs=epochs, optimizer=optimizer, probe_layers=(), record_epochs=(0,), states_every=50)
    key = dict(activations=list(activation_names), depths=list(depths), lrs=list(lrs), seeds=seeds,
               width=width, train=asdict(cfg))

    def run() -> store.Results:
        parts = []
        for depth in depths:
            r = grid(list(activation_names), list(range(seeds)), make_dataset(), cfg, lrs=list(lrs),
                     depth=depth, width=width)
            off = r["unit_states"][..., r.coords["unit_state"].index("off")]          # [..., state, layer]
            parts.append({"loss": r["loss"], "diverged_epoch": r["diverged_epoch"],
                          "final_train_mse": r["final_train_mse"], "final_test_mse": r["final_test_mse"],
                          "layer_off_max": off.max(-1), "off_mean": off.mean(-1),
                          "grad_h_ratio": _ratio(r["grad_h"][..., 0], r["grad_h"][..., -1])})
        base = ("activation", "lr", "seed")
        dims = {"loss": base + ("epoch",), "diverged_epoch": base, "final_train_mse": base,
                "final_test_mse": base, "layer_off_max": base + ("state_epoch",),
                "off_mean": base + ("state_epoch",), "grad_h_ratio": base + ("grad_epoch",)}
        arrays = {k: np.stack([p[k] for p in parts]) for k in dims}
        coords = {**{k: r.coords[k] for k in ("epoch", "state_epoch", "grad_epoch")},
                  "depth": list(depths), "activation": r.coords["activation"], "lr": r.coords["lr"],
                  "seed": r.coords["seed"]}
        meta = {**r.meta, "config": {**r.meta["config"], "depth": list(depths)}}
        return store.Results(arrays, {k: ("depth",) + d for k, d in dims.items()}, coords, meta)

    return cached("depth_grid", key, run)



# ---- the book's shared runs: one definition of their parameters, used by the chapters and by
# `python -m helpers precompute`, which fills the cache in parallel before the notebooks run.

def sgd_sweep() -> store.Results:
    """Chapter 4: plain full-batch gradient descent over learning rates 0.01 .. 3.16, two seeds."""
    return lr_sweep(seeds=2, lrs=(0.01, 0.0316, 0.1, 0.316, 1.0, 3.16), optimizer="sgd")


def depth_by_activation() -> store.Results:
    """Chapter 4: every seed activation at depths 2..30, Adam lr 1e-3, two seeds."""
    return depth_grid(list(activations.SEED_ACTIVATIONS), [2, 5, 10, 20, 30], [1e-3], seeds=2)


def depth_by_lr() -> store.Results:
    """Chapter 4: ReLU and GELU, depth x Adam learning rate, two seeds."""
    return depth_grid(["relu", "gelu"], [2, 5, 10, 20, 30], [1e-3, 1e-2, 0.0316, 0.1], seeds=2)


# ---- chapter 5: expressivity ----------------------------------------------------------------

BUDGET_SHAPES = ((1, 700), (2, 44), (4, 25), (8, 17))   # (depth, width): about 2,100 parameters each
HARDER_TARGETS = (("sin", 1), ("sin", 3), ("sin", 6), ("sawtooth", 3))


def budget_grid(shapes=BUDGET_SHAPES, targets=HARDER_TARGETS, activation_names=activations.SEED_ACTIVATIONS,
                seeds: int = 3, epochs: int = 500) -> store.Results:
    """Every (depth, width) shape of about the same parameter count, fit to each target by each
    activation (Adam 1e-3, full batch, noise 0.1 as in the seed): dims (shape, target, activation,
    seed, ...); the final weights of each shape as params_L{depth}_W{width} (cached)."""
    cfg = TrainConfig(epochs=epochs, probe_layers=(), states_every=None, record_epochs=(0,), grad_every=None)
    key = dict(shapes=[list(s) for s in shapes], targets=[list(t) for t in targets],
               activations=list(activation_names), seeds=seeds, train=asdict(cfg))

    def run() -> store.Results:
        keep = ("loss", "final_train_mse", "final_test_mse", "diverged_epoch")
        out = {k: [] for k in keep}
        params = {}
        for depth, width in shapes:
            per_target = {k: [] for k in keep}
            plist = []
            for target, k in targets:
                r = grid(list(activation_names), list(range(seeds)), make_dataset(target, k), cfg,
                         depth=depth, width=width)
                for name in keep:
                    per_target[name].append(r[name])
                plist.append(r["final_params"])
            for name in keep:
                out[name].append(np.stack(per_target[name]))
            params[f"params_L{depth}_W{width}"] = np.stack(plist)
        arrays = {k: np.stack(v) for k, v in out.items()}
        base = ("shape", "target", "activation", "seed")
        dims = {"loss": base + ("epoch",), "final_train_mse": base, "final_test_mse": base, "diverged_epoch": base}
        dims.update({k: base[1:] + (f"param_{k[7:]}",) for k in params})
        coords = {"shape": [f"{d}x{w}" for d, w in shapes], "target": [f"{t}({k}x)" for t, k in targets],
                  "activation": list(r.coords["activation"]), "seed": list(range(seeds)),
                  "epoch": r.coords["epoch"]}
        meta = {"config": {**r.meta["config"], "shapes": [list(s) for s in shapes],
                           "targets": [list(t) for t in targets]}, "versions": store.versions()}
        return store.Results({**arrays, **params}, dims, coords, meta)

    return cached("budget_grid", key, run)


def spectral_run(seeds: int = 3, every: int = 5) -> store.Results:
    """The seed setup fit to sin(x) + sin(3x)/2 + sin(5x)/4, predictions logged every `every`
    epochs: which frequency is learned when (cached)."""
    cfg = TrainConfig(record_epochs=tuple(range(0, 501, every)), probe_layers=(), states_every=None,
                      grad_every=None)
    key = dict(seeds=seeds, train=asdict(cfg))
    return cached("spectral", key, lambda: grid(list(activations.SEED_ACTIVATIONS), list(range(seeds)),
                                                make_dataset("mix"), cfg))


def init_pieces(depths=(1, 2, 4, 8, 16), widths=(8, 16, 32, 64), seeds: int = 5,
                inits=("torch_default", "kaiming"), name: str = "relu") -> store.Results:
    """Exact number of linear pieces on [-pi, pi] of freshly initialised networks:
    pieces [init, depth, width, seed]."""
    import torch

    from .probes import linear_pieces
    out = np.zeros((len(inits), len(depths), len(widths), seeds), dtype=int)
    for i, init in enumerate(inits):
        for d, depth in enumerate(depths):
            for w, width in enumerate(widths):
                net = StackedMLP.from_seeds([name] * seeds, list(range(seeds)), depth, width, init,
                                            dtype=torch.float64)
                out[i, d, w] = linear_pieces(net)
    return store.Results({"pieces": out}, {"pieces": ("init", "depth", "width", "seed")},
                         {"init": list(inits), "depth": list(depths), "width": list(widths),
                          "seed": list(range(seeds))},
                         {"config": {"activation": name}, "versions": store.versions()})


def tent_training(compositions: int = 4, shapes=((4, 2), (4, 16), (1, 64), (10, 64)), seeds: int = 5,
                  epochs: int = 2000) -> store.Results:
    """ReLU networks of several shapes trained (Adam 1e-3, full batch) on the tent map composed
    `compositions` times, with the seed's noise; final weights kept per shape (cached)."""
    cfg = TrainConfig(epochs=epochs, probe_layers=(), states_every=None, record_epochs=(0,), grad_every=None)
    key = dict(compositions=compositions, shapes=[list(s) for s in shapes], seeds=seeds, train=asdict(cfg))

    def run() -> store.Results:
        data = make_dataset("tent", compositions)
        arrays, dims = {}, {}
        for depth, width in shapes:
            r = grid(["relu"], list(range(seeds)), data, cfg, depth=depth, width=width)
            tag = f"L{depth}_W{width}"
            arrays[f"test_mse_{tag}"], dims[f"test_mse_{tag}"] = r["final_test_mse"][0], ("seed",)
            arrays[f"params_{tag}"], dims[f"params_{tag}"] = r["final_params"][0], ("seed", f"param_{tag}")
        return store.Results(arrays, dims, {"seed": list(range(seeds))},
                             {"config": {"compositions": compositions, "shapes": [list(s) for s in shapes],
                                         "train": asdict(cfg)}, "versions": store.versions()})

    return cached("tent_training", key, run)


DYNAMICS_EPOCHS = (0, 1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 250, 300, 400, 500)


def dynamics_run(seeds: int = 3) -> store.Results:
    """The seed experiment logged densely for chapter 6: hidden activations and pre-activations of
    layers 1, 5, 10 at DYNAMICS_EPOCHS, gradients every 10 epochs (cached)."""
    cfg = TrainConfig(record_epochs=DYNAMICS_EPOCHS)
    key = dict(seeds=seeds, train=asdict(cfg))
    return cached("dynamics", key, lambda: grid(list(activations.SEED_ACTIVATIONS), list(range(seeds)),
                                                make_dataset(), cfg))


BOOK_RUNS = {"lr_sweep": lambda: lr_sweep(), "depth_by_lr": depth_by_lr,                 # longest first
             "depth_by_activation": depth_by_activation, "budget_grid": lambda: budget_grid(),
             "sgd_sweep": sgd_sweep, "tent_training": lambda: tent_training(),
             "spectral_run": lambda: spectral_run(), "dynamics_run": lambda: dynamics_run(),
             "baseline": lambda: baseline()}


def _run_one(name: str) -> str:
    import threading

    from tqdm import tqdm

    from . import seed_everything
    # tqdm's default lock is a multiprocessing semaphore that a spawned worker never releases
    # (Python then warns of a "leaked semaphore"); one process draws no bars across processes.
    tqdm.set_lock(threading.RLock())
    seed_everything(0, threads=1)
    BOOK_RUNS[name]()
    return name


def precompute(jobs: int = 2, names: list[str] | None = None, log=print) -> None:
    """Run the book's shared experiments into the cache, `jobs` at a time (one thread each), the
    longest first; the notebooks then load them instead of computing them one after another.
    Runs already in the cache only load."""
    import multiprocessing as mp
    with mp.get_context("spawn").Pool(jobs) as pool:
        for done in pool.imap_unordered(_run_one, names or list(BOOK_RUNS)):
            log(f"precomputed {done}")
