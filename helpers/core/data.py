"""The seed dataset (y = sin(x) + N(0, 0.1^2) on 200 points) and the clean grids we test on; and the
real-data counterpart, scikit-learn's handwritten digits (64 pixels -> 10 classes), in the same shape."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

TARGETS = ("sin", "sawtooth", "tent", "mix")
TASKS = ("regression", "classification")   # the loss follows the task: MSE, or softmax cross-entropy
DATA_SEED = 0  # one fixed dataset for the whole book; model seeds vary init and batch order only


def tent(u: torch.Tensor, compositions: int) -> torch.Tensor:
    """The tent map T(u) = 2 min(u, 1 - u) on [0, 1], composed `compositions` times: 2^k pieces."""
    for _ in range(int(compositions)):
        u = 2 * torch.minimum(u, 1 - u)
    return u


def target_fn(target: str, k: float = 1.0):
    """The clean function f(x) on [-pi, pi]: 'sin' is sin(k x); 'sawtooth' has the period 2 pi / k;
    'tent' is the tent map composed k times, rescaled to [-1, 1]; 'mix' is
    cos(x) + cos(3x)/2 + cos(5x)/4 (three frequencies, for spectral bias; cosines, because on
    [-pi, pi] they are orthogonal to constants and straight lines, the first things a network fits)."""
    if target == "sin":
        return lambda x: torch.sin(k * x)
    if target == "sawtooth":  # rises linearly from -1 to 1 over each period, like sin crosses 0
        return lambda x: 2 * torch.remainder(k * x / (2 * math.pi) + 0.5, 1.0) - 1
    if target == "tent":
        return lambda x: 2 * tent((x + math.pi) / (2 * math.pi), k) - 1
    if target == "mix":
        return lambda x: torch.cos(x) + torch.cos(3 * x) / 2 + torch.cos(5 * x) / 4
    raise ValueError(f"unknown target {target!r}; valid choices: {', '.join(TARGETS)}")


FORMULAS = {"sin": "sin({k}x)", "sawtooth": "a sawtooth of period 2 pi / {k}",
            "tent": "the tent map composed {k} times", "mix": "cos(x) + cos(3x)/2 + cos(5x)/4"}


def formula(target: str, k: float = 1.0) -> str:
    """The clean target in words, e.g. 'sin(x)', 'sin(3x)'."""
    return FORMULAS[target].format(k="" if k == 1 and target == "sin" else f"{k:g}")


@dataclass(frozen=True)
class Dataset:
    """Training points (noisy) and clean evaluation grids, shaped [n, d_in] and [n, d_out], and how they
    were made. Regression (the sine task): d_in = d_out = 1. Classification (digits): y holds one-hot
    targets [n, 10], x_test/y_test the held-out images, and x_wide/y_wide are empty (no extrapolation)."""

    x: Tensor          # training inputs, linspace(-pi, pi, n)
    y: Tensor          # f(x) + noise: what the networks are fit to (train MSE is against these)
    y_clean: Tensor    # f(x) without noise
    x_test: Tensor     # dense clean grid on the training interval (test MSE is against f there)
    y_test: Tensor
    x_wide: Tensor     # [-2 pi, 2 pi], for extrapolation; contains x_test's interval
    y_wide: Tensor
    noise_std: float
    name: str
    target: str = "sin"
    k: float = 1.0
    seed: int = DATA_SEED
    task: str = "regression"

    @property
    def d_in(self) -> int:
        return self.x.shape[1]

    @property
    def d_out(self) -> int:
        return self.y.shape[1]

    def to(self, device: str | torch.device, dtype: torch.dtype = torch.float32) -> "Dataset":
        move = {f: getattr(self, f).to(device=device, dtype=dtype)
                for f in ("x", "y", "y_clean", "x_test", "y_test", "x_wide", "y_wide")}
        return Dataset(**move, noise_std=self.noise_std, name=self.name, target=self.target, k=self.k,
                       seed=self.seed, task=self.task)

    def describe(self) -> dict:
        """What a results file records about its data: enough to rebuild it (from_description)."""
        if self.task == "classification":
            return {"name": self.name, "target": self.target, "task": self.task, "n": len(self.x),
                    "n_test": len(self.x_test), "seed": self.seed,
                    "text": f"scikit-learn's digits: {len(self.x)} training and {len(self.x_test)} test images of "
                            f"8 x 8 pixels, standardised, 10 classes (split seed {self.seed})"}
        f = formula(self.target, self.k)
        return {"name": self.name, "target": self.target, "k": self.k, "n": len(self.x),
                "noise_std": self.noise_std, "seed": self.seed,
                "text": f"y = {f} + N(0, {self.noise_std:g}^2) at {len(self.x)} points x = "
                        f"linspace(-pi, pi, {len(self.x)}) (data seed {self.seed})"}


def from_description(d: dict | str) -> Dataset:
    """The dataset a results file was trained on (its config["data"]); a bare name means the seed data."""
    if isinstance(d, str):
        return make_dataset()
    if d.get("task") == "classification":
        return digits(d["n"], d["seed"])
    return make_dataset(d["target"], d["k"], d["n"], d["noise_std"], seed=d["seed"])


def make_dataset(target: str = "sin", k: float = 1.0, n: int = 200, noise_std: float = 0.1,
                 n_test: int = 1000, seed: int = DATA_SEED) -> Dataset:
    """The seed data: x = linspace(-pi, pi, n), y = f(x) + N(0, noise_std^2) from a seeded generator."""
    if n < 2 or n_test < 2:
        raise ValueError(f"need at least 2 points, got n={n}, n_test={n_test}")
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    f = target_fn(target, k)
    gen = torch.Generator().manual_seed(seed)
    x = torch.linspace(-math.pi, math.pi, n, dtype=torch.float64)
    y_clean = f(x)
    y = y_clean + noise_std * torch.randn(n, generator=gen, dtype=torch.float64)
    x_test = torch.linspace(-math.pi, math.pi, n_test, dtype=torch.float64)
    x_wide = torch.linspace(-2 * math.pi, 2 * math.pi, 401, dtype=torch.float64)
    name = target if k == 1 else f"{target}({k:g}x)"
    col = lambda t: t.unsqueeze(1)
    return Dataset(col(x), col(y), col(y_clean), col(x_test), col(f(x_test)), col(x_wide), col(f(x_wide)),
                   noise_std, name, target, float(k), seed)


def on_training_interval(x):
    """Mask of the points of a logged grid that lie in [-pi, pi] (grids are stored in float32, whose
    pi is a hair above the true one, hence the tolerance)."""
    import numpy as np
    return np.abs(np.asarray(x, dtype=float)) <= math.pi * (1 + 1e-6)


def best_line(data: Dataset) -> tuple[float, float]:
    """(slope, intercept) of the least-squares straight line through the training points."""
    x, y = data.x.double(), data.y.double()
    coef = torch.linalg.lstsq(torch.cat([x, torch.ones_like(x)], 1), y).solution[:, 0]
    return float(coef[0]), float(coef[1])


def landmarks(data: Dataset) -> dict[str, float]:
    """Reference train losses: best constant, best straight line, the clean f itself (noise floor);
    for classification see classification_landmarks."""
    if data.task == "classification":
        return classification_landmarks(data)
    x, y = data.x.double(), data.y.double()
    slope, intercept = best_line(data)
    return {"constant": float(((y - y.mean()) ** 2).mean()),
            "linear": float(((slope * x + intercept - y) ** 2).mean()),
            "noise_floor": float(((data.y_clean.double() - y) ** 2).mean())}


DIGITS_TRAIN = 1280   # 10 mini-batches of 128 per epoch: epoch e is exactly 10 e Adam steps


def digits(n_train: int = DIGITS_TRAIN, seed: int = DATA_SEED) -> Dataset:
    """scikit-learn's bundled handwritten digits (1,797 images of 8 x 8 pixels, no download), split once
    into n_train training and the rest test images (stratified by class, seeded), each pixel standardised
    by the training set's mean and standard deviation (a pixel that is constant there is only centred);
    targets one-hot."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    images, labels = load_digits(return_X_y=True)
    if not 10 <= n_train <= len(images) - 10:
        raise ValueError(f"n_train must be between 10 and {len(images) - 10}, got {n_train}")
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, train_size=n_train, stratify=labels,
                                              random_state=seed)
    x_tr, x_te = torch.from_numpy(x_tr).double(), torch.from_numpy(x_te).double()
    mean, sd = x_tr.mean(0), x_tr.std(0)
    sd[sd == 0] = 1.0
    x_tr, x_te = (x_tr - mean) / sd, (x_te - mean) / sd
    hot = lambda y: torch.nn.functional.one_hot(torch.from_numpy(y), 10).double()
    none = torch.empty(0, 64, dtype=torch.float64)
    return Dataset(x_tr, hot(y_tr), hot(y_tr), x_te, hot(y_te), none, torch.empty(0, 10, dtype=torch.float64),
                   0.0, "digits", "digits", 1.0, seed, "classification")


def linear_classifier(data: Dataset, C: float):
    """scikit-learn's multinomial logistic regression (lbfgs, L2 strength C) fit to the training images:
    the linear softmax classifier that the networks are measured against."""
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=C, max_iter=20000).fit(data.x.double().numpy(), data.y.argmax(1).numpy())


def classification_landmarks(data: Dataset) -> dict[str, float]:
    """The best constant's cross-entropy (predicting the training class frequencies), chance accuracy (the
    most frequent test class), and a linear softmax classifier (scikit-learn's multinomial logistic
    regression, L2 strength C = 1, lbfgs): its train cross-entropy and its train and test accuracy."""
    p = data.y.double().mean(0)
    x, labels = data.x.double().numpy(), data.y.argmax(1).numpy()
    lin = linear_classifier(data, C=1.0)
    proba = lin.predict_proba(x)[range(len(labels)), labels]
    return {"constant": float(-(p * p.log()).sum()), "chance": float(data.y_test.mean(0).max()),
            "linear": float(-torch.tensor(proba).log().mean()), "linear_train_accuracy": float(lin.score(x, labels)),
            "linear_test_accuracy": float(lin.score(data.x_test.numpy(), data.y_test.argmax(1).numpy()))}
