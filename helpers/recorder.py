"""What a training run records: curves and probes of M models, with the meaning of every array.

Both training paths (helpers.train.train_loop and helpers.batched) feed one Recorder, so their logs
have the same names, shapes and documentation.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from . import probes
from .data import Dataset
from .models import StackedMLP
from .store import Results

if TYPE_CHECKING:   # a type hint only: helpers.train imports this module
    from .train import TrainConfig


class Recorder:
    """Per-epoch curves and probes of M models, as numpy arrays with the model axis first."""

    # name -> (dims after the model axis, units, meaning): the one description of every log
    ARRAYS = {
        "loss": (("epoch",), "MSE", "train loss of the epoch: mean of the batch losses the optimizer "
                 "saw (full batch: the loss just before the epoch's step), against the noisy targets"),
        "test_mse": (("test_epoch",), "MSE", "after the epoch, against the clean function on the dense grid"),
        "grad_w": (("grad_epoch", "layer"), "mean |dL/dW_l|", "full-batch train loss, after the epoch "
                   "(0: at init); layer l = 1..L from the input"),
        "grad_h": (("grad_epoch", "layer"), "||dL/dh_l||", "Frobenius norm over the 200 inputs x units "
                   "of the gradient w.r.t. the pre-activations h_l, full-batch loss"),
        "update_ratio": (("grad_epoch", "layer"), "||dW_l|| / ||W_l||", "size of the first optimizer step "
                         "of the epoch relative to the weights (Karpathy's update-to-weight ratio; NaN at 0)"),
        "grad_w_steps": (("step", "layer"), "mean |dL/dW_l|", "loss of the batch of training step k, "
                         "before its update (step 1 = the first batch)"),
        "grad_h_steps": (("step", "layer"), "||dL/dh_l||", "as grad_h, for the batch of step k"),
        "unit_states": (("state_epoch", "layer", "unit_state"), "fraction",
                        "active / dead / saturated / off fractions of layer l on the dense grid"),
        "unit_active": (("state_epoch", "layer", "unit"), "fraction",
                        "per unit: the fraction of the dense grid's inputs at which it is on (0: off)"),
        "hidden": (("record_epoch", "probe_layer", "x_hidden", "unit"), "a = phi(h)",
                   "hidden activations of the probe layers on a 100-point grid"),
        "hidden_pre": (("record_epoch", "probe_layer", "x_hidden", "unit"), "h",
                       "pre-activations of the probe layers on the same grid"),
        "pred": (("record_epoch", "x_wide"), "f(x)", "network output on [-2 pi, 2 pi]"),
        "diverged_epoch": ((), "epoch", "epoch at which the loss turned non-finite; -1: never"),
        "final_train_mse": ((), "MSE", "full-batch train MSE after the last epoch (noisy targets)"),
        "final_test_mse": ((), "MSE", "test MSE after the last epoch (clean function, dense grid)"),
        "final_params": (("param",), "-", "final weights, models.flatten order (NaN: diverged)"),
    }

    def __init__(self, cfg: TrainConfig, data: Dataset, M: int, depth: int, width: int):
        self.cfg, self.data = cfg, data
        every = tuple(range(cfg.grad_every, cfg.epochs + 1, cfg.grad_every)) if cfg.grad_every else ()
        self.rec_epochs, self.grad_epochs = cfg.when(cfg.record_epochs), cfg.when(cfg.grad_epochs + every)
        every = tuple(range(cfg.states_every, cfg.epochs + 1, cfg.states_every)) if cfg.states_every else ()
        self.state_epochs = cfg.when((0,) + every)
        self.test_epochs = cfg.when(tuple(range(cfg.test_every, cfg.epochs + 1, cfg.test_every)))
        self.layers, self.depth = cfg.layers(depth), depth
        self.x_hidden = data.x_test[::10]
        nan = lambda *shape, dtype=np.float64: np.full(shape, np.nan, dtype)  # noqa: E731
        E, R, G, S = cfg.epochs, len(self.rec_epochs), len(self.grad_epochs), len(self.state_epochs)
        P = len(self.layers)
        self.out = {
            "loss": nan(M, E), "test_mse": nan(M, len(self.test_epochs)),
            "grad_w": nan(M, G, depth), "grad_h": nan(M, G, depth), "update_ratio": nan(M, G, depth),
            "grad_w_steps": nan(M, cfg.first_steps, depth), "grad_h_steps": nan(M, cfg.first_steps, depth),
            "unit_states": nan(M, S, depth, len(probes.UNIT_STATES)),
            "unit_active": nan(M, S, depth, width, dtype=np.float32),
            "hidden": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "hidden_pre": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "pred": nan(M, R, len(data.x_wide), dtype=np.float32),  # both for plots: float32 is plenty
            "diverged_epoch": np.full(M, -1),
        }

    def coords(self) -> dict[str, list]:
        """What each index of the non-model dims means."""
        return {"epoch": list(range(1, self.cfg.epochs + 1)), "test_epoch": list(self.test_epochs),
                "grad_epoch": list(self.grad_epochs), "record_epoch": list(self.rec_epochs),
                "state_epoch": list(self.state_epochs),
                "layer": list(range(1, self.depth + 1)), "step": list(range(1, self.cfg.first_steps + 1)),
                "unit_state": list(probes.UNIT_STATES), "probe_layer": list(self.layers),
                "x_hidden": self.x_hidden[:, 0].double().cpu().tolist(),
                "x_wide": self.data.x_wide[:, 0].double().cpu().tolist()}

    def _put(self, key: str, index: tuple, value: torch.Tensor, alive: torch.Tensor) -> None:
        v = value.detach().double().cpu().numpy()
        v[~alive.cpu().numpy()] = np.nan  # a diverged model's probes are not measurements
        self.out[key][(slice(None),) + index] = v

    def first_step(self, step: int, net: StackedMLP, xb, yb, alive) -> None:
        if step < self.cfg.first_steps:
            gw, gh = probes.layer_gradients(net, xb, yb)
            self._put("grad_w_steps", (step,), gw, alive)
            self._put("grad_h_steps", (step,), gh, alive)

    def tracks_update(self, epoch: int) -> bool:
        """Whether the first step of this epoch is measured (record_update)."""
        return epoch >= 1 and epoch in self.grad_epochs

    def record_update(self, epoch: int, net: StackedMLP, before: torch.Tensor, alive) -> None:
        """||W_l(after) - W_l(before)|| / ||W_l(before)|| per hidden layer for one optimizer step."""
        after, prior = net.weight_views(net.flat.detach())[:-1], net.weight_views(before)[:-1]
        ratio = torch.stack([(a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1)
                             for a, b in zip(after, prior)], 1)
        self._put("update_ratio", (self.grad_epochs.index(epoch),), ratio, alive)

    def epoch(self, epoch: int, net: StackedMLP, alive) -> None:
        """Probes due at the end of `epoch` (epoch 0: before training)."""
        d = self.data
        if epoch in self.grad_epochs:
            gw, gh = probes.layer_gradients(net, d.x, d.y)
            i = self.grad_epochs.index(epoch)
            self._put("grad_w", (i,), gw, alive)
            self._put("grad_h", (i,), gh, alive)
        if epoch in self.state_epochs:
            i = self.state_epochs.index(epoch)
            fractions, per_unit = probes.unit_states(net, d.x_test)
            self._put("unit_states", (i,), fractions, alive)
            self._put("unit_active", (i,), per_unit, alive)
        if epoch in self.rec_epochs:
            i = self.rec_epochs.index(epoch)
            if self.layers:
                pre = probes.pre_activations(net, self.x_hidden)
                self._put("hidden_pre", (i,), torch.stack([pre[l - 1] for l in self.layers], 1), alive)
                self._put("hidden", (i,), torch.stack([net.activate(pre[l - 1]) for l in self.layers], 1),
                          alive)
            with torch.no_grad():
                self._put("pred", (i,), net(d.x_wide)[0][..., 0], alive)

    def test_mse(self, epoch: int, net: StackedMLP) -> torch.Tensor | None:
        """Test MSE [M] against the clean function on the dense grid, if due at this epoch."""
        if epoch not in self.test_epochs:
            return None
        with torch.no_grad():
            return probes.per_model_mse(net(self.data.x_test)[0], self.data.y_test)

    def curves(self, epoch: int, loss: torch.Tensor, test_mse: torch.Tensor | None, alive) -> None:
        self._put("loss", (epoch - 1,), loss, alive)
        if test_mse is not None:
            self._put("test_mse", (self.test_epochs.index(epoch),), test_mse, alive)

    def diverged(self, models: torch.Tensor, epoch: int) -> None:
        self.out["diverged_epoch"][models.cpu().numpy()] = epoch

    def finish(self, net: StackedMLP, alive) -> Results:
        with torch.no_grad():
            self._put_final("final_train_mse", probes.per_model_mse(net(self.data.x)[0], self.data.y), alive)
            self._put_final("final_test_mse", probes.per_model_mse(net(self.data.x_test)[0],
                                                                   self.data.y_test), alive)
        self._put_final("final_params", net.flat.detach(), alive)  # models.flatten order
        docs = {k: {"units": u, "doc": doc} for k, (_, u, doc) in self.ARRAYS.items()}
        return Results(self.out, {k: ("model",) + self.ARRAYS[k][0] for k in self.out},
                       self.coords(), {"arrays": docs})

    def _put_final(self, key, value, alive):
        v = value.double().cpu().numpy()
        v[~alive.cpu().numpy()] = np.nan
        self.out[key] = v
