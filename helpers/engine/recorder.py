"""What a training run records: curves and probes of M models, with the meaning of every array.

Both training paths (helpers.engine.loop.train_loop and helpers.engine.batched) feed one Recorder, so their logs
have the same names, shapes and documentation. For classification (the digits) the loss is the
cross-entropy, the test set is the held-out images, and test/final accuracies join the logs (CLASSIFICATION
replaces the MSE entries; there is no prediction curve).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..core import workspace
from ..core.data import Dataset
from ..core.models import StackedMLP
from ..core.store import Results
from . import probes

if TYPE_CHECKING:   # a type hint only
    from ..core.config import TrainConfig


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
        "value_zero": (("state_epoch", "layer"), "fraction",
                       "sparsity of the activation values: share of (input, unit) pairs with |a| < 1e-3 "
                       "of the layer's largest |a|"),
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
    CLASSIFICATION = {
        "test_loss": (("test_epoch",), "cross-entropy", "after the epoch, on the held-out test images"),
        "test_accuracy": (("test_epoch",), "fraction", "after the epoch: test images whose largest logit is "
                          "their class"),
        "final_train_loss": ((), "cross-entropy", "full-batch train loss after the last epoch"),
        "final_test_loss": ((), "cross-entropy", "test loss after the last epoch"),
        "final_train_accuracy": ((), "fraction", "train accuracy after the last epoch"),
        "final_test_accuracy": ((), "fraction", "test accuracy after the last epoch"),
    }

    def __init__(self, cfg: TrainConfig, data: Dataset, M: int, depth: int, width: int,
                 probe_gradients: bool = True):
        """probe_gradients: measure the gradient probes here (by autograd); False when the training
        loop hands them in from its own full-batch backward pass (gradients, first_step)."""
        self.cfg, self.data, self.probe_gradients = cfg, data, probe_gradients
        self.task = data.task
        self.classifies = data.task == "classification"
        self.test_key = "test_loss" if self.classifies else "test_mse"
        log = cfg.log
        self.rec_epochs = cfg.when(log.record_epochs)
        self.grad_epochs = cfg.when(log.grad_epochs + cfg.every(log.grad_every))
        self.state_epochs = cfg.when((0,) + cfg.every(log.states_every))
        self.test_epochs = cfg.when(cfg.every(log.test_every))
        self.layers, self.depth = log.layers(depth), depth
        self.x_hidden = data.x_test[::10]
        self._spaces: dict[int, workspace.Workspace] = {}
        nan = lambda *shape, dtype=np.float64: np.full(shape, np.nan, dtype)
        E, R, G, S = cfg.epochs, len(self.rec_epochs), len(self.grad_epochs), len(self.state_epochs)
        P = len(self.layers)
        self.out = {
            "loss": nan(M, E), "test_mse": nan(M, len(self.test_epochs)),
            "grad_w": nan(M, G, depth), "grad_h": nan(M, G, depth), "update_ratio": nan(M, G, depth),
            "grad_w_steps": nan(M, cfg.log.first_steps, depth), "grad_h_steps": nan(M, cfg.log.first_steps, depth),
            "unit_states": nan(M, S, depth, len(probes.UNIT_STATES)),
            "unit_active": nan(M, S, depth, width, dtype=np.float32),
            "value_zero": nan(M, S, depth),
            "hidden": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "hidden_pre": nan(M, R, P, len(self.x_hidden), width, dtype=np.float32),
            "pred": nan(M, R, len(data.x_wide), dtype=np.float32),  # both for plots: float32 is plenty
            "diverged_epoch": np.full(M, -1),
        }
        if self.classifies:
            del self.out["test_mse"], self.out["pred"]
            self.out |= {"test_loss": nan(M, len(self.test_epochs)), "test_accuracy": nan(M, len(self.test_epochs))}

    def coords(self) -> dict[str, list]:
        """What each index of the non-model dims means."""
        return {"epoch": list(range(1, self.cfg.epochs + 1)), "test_epoch": list(self.test_epochs),
                "grad_epoch": list(self.grad_epochs), "record_epoch": list(self.rec_epochs),
                "state_epoch": list(self.state_epochs),
                "layer": list(range(1, self.depth + 1)), "step": list(range(1, self.cfg.log.first_steps + 1)),
                "unit_state": list(probes.UNIT_STATES), "probe_layer": list(self.layers),
                "x_hidden": self.x_hidden[:, 0].double().cpu().tolist(),
                "x_wide": self.data.x_wide[:, 0].double().cpu().tolist()}

    def _put(self, key: str, index: tuple, value: torch.Tensor, alive: torch.Tensor,
             models: tuple[int, int] | None = None) -> None:
        """Store value [models, ...] at out[key][models, *index]; models (start, stop): a chunk."""
        s, e = models or (0, len(alive))
        v = value.detach().double().cpu().numpy()
        v[~alive[s:e].cpu().numpy()] = np.nan  # a diverged model's probes are not measurements
        self.out[key][(slice(s, e),) + index] = v

    def wants_gradients(self, epoch: int) -> bool:
        return epoch in self.grad_epochs

    def gradients(self, epoch: int, grad_w: torch.Tensor, grad_h: torch.Tensor, alive) -> None:
        """The full-batch gradient probes after `epoch`, measured by the caller."""
        if epoch in self.grad_epochs:
            i = self.grad_epochs.index(epoch)
            self._put("grad_w", (i,), grad_w, alive)
            self._put("grad_h", (i,), grad_h, alive)

    def first_step(self, step: int, grad_w, grad_h, alive) -> None:
        """The probes of training step `step` (0-based), measured by the caller."""
        if step < self.cfg.log.first_steps:
            self._put("grad_w_steps", (step,), grad_w, alive)
            self._put("grad_h_steps", (step,), grad_h, alive)

    def measure_first_step(self, step: int, net: StackedMLP, xb, yb, alive) -> None:
        """The probes of training step `step` on its batch, measured here by autograd."""
        if step < self.cfg.log.first_steps:
            self.first_step(step, *probes.layer_gradients(net, xb, yb, self.task), alive)

    def wants_update(self, epoch: int) -> bool:
        """Whether the first step of this epoch is measured (update)."""
        return epoch >= 1 and epoch in self.grad_epochs

    def update(self, epoch: int, net: StackedMLP, before: torch.Tensor, alive) -> None:
        """||W_l(after) - W_l(before)|| / ||W_l(before)|| per hidden layer for one optimizer step."""
        after, prior = net.weight_views(net.flat.detach())[:-1], net.weight_views(before)[:-1]
        ratio = torch.stack([(a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1)
                             for a, b in zip(after, prior)], 1)
        self._put("update_ratio", (self.grad_epochs.index(epoch),), ratio, alive)

    def end_of_epoch(self, epoch: int, net: StackedMLP, alive) -> torch.Tensor | None:
        """Records the probes due at the end of `epoch` (epoch 0: before training). The test loss [M] (MSE against
        the clean function on the dense grid; cross-entropy on the test images) comes from the same forward pass as the
        unit states; it is returned when due (else None) because the caller checks divergence before it records the
        epoch's curves (curves)."""
        d = self.data
        if self.probe_gradients and epoch in self.grad_epochs:
            self.gradients(epoch, *probes.layer_gradients(net, d.x, d.y, self.task), alive)
        test_due, states_due = epoch in self.test_epochs, epoch in self.state_epochs
        test = torch.empty(net.M, dtype=d.x.dtype, device=d.x.device) if test_due else None
        if test_due or states_due:  # one forward pass on the dense grid serves both, a chunk of models at a time
            i = self.state_epochs.index(epoch) if states_due else None
            for chunk, z in workspace.forward(net, d.x_test, self._grid_space(net, len(d.x_test))):
                s, e, out = chunk.start, chunk.stop, z.transpose(1, 2)             # out [k, N, d_out]
                if test_due:
                    test[s:e] = probes.per_model_loss(out, d.y_test, self.task)
                    if self.classifies:
                        self._put("test_accuracy", (self.test_epochs.index(epoch),),
                                  probes.per_model_accuracy(out, d.y_test), alive, (s, e))
                if states_due:
                    fractions, per_unit, zero = probes.states(chunk.runs, chunk.h, chunk.a)
                    self._put("unit_states", (i,), fractions, alive, (s, e))
                    self._put("unit_active", (i,), per_unit, alive, (s, e))
                    self._put("value_zero", (i,), zero, alive, (s, e))
        if epoch in self.rec_epochs:
            i = self.rec_epochs.index(epoch)
            pick = lambda t: torch.stack([t[l - 1] for l in self.layers], 1).transpose(-1, -2)
            if self.layers:                                                 # [k, probe layer, input, unit]
                for chunk, _ in workspace.forward(net, self.x_hidden, self._grid_space(net, len(self.x_hidden))):
                    self._put("hidden_pre", (i,), pick(chunk.h), alive, (chunk.start, chunk.stop))
                    self._put("hidden", (i,), pick(chunk.a), alive, (chunk.start, chunk.stop))
            if not self.classifies:
                for chunk, z in workspace.forward(net, d.x_wide, self._grid_space(net, len(d.x_wide))):
                    self._put("pred", (i,), z[:, 0], alive, (chunk.start, chunk.stop))
        return test

    def _grid_space(self, net: StackedMLP, n: int) -> workspace.Workspace:
        """The engine's buffers for net on a grid of n inputs, made once per run."""
        if n not in self._spaces or self._spaces[n].net is not net:
            self._spaces[n] = workspace.Workspace(net, n)
        return self._spaces[n]

    def curves(self, epoch: int, loss: torch.Tensor, test_mse: torch.Tensor | None, alive) -> None:
        self._put("loss", (epoch - 1,), loss, alive)
        if test_mse is not None:
            self._put(self.test_key, (self.test_epochs.index(epoch),), test_mse, alive)

    def diverged(self, models: torch.Tensor, epoch: int) -> None:
        self.out["diverged_epoch"][models.cpu().numpy()] = epoch

    def finish(self, net: StackedMLP, alive) -> Results:
        d = self.data
        metric = "loss" if self.classifies else "mse"
        for split, x, y in (("train", d.x, d.y), ("test", d.x_test, d.y_test)):   # as the curves: the engine's pass
            outs = [z.transpose(1, 2).clone() for _, z in workspace.forward(net, x, self._grid_space(net, len(x)))]
            self._put_final(f"final_{split}_{metric}", torch.cat([probes.per_model_loss(o, y, self.task)
                                                                  for o in outs]), alive)
            if self.classifies:
                self._put_final(f"final_{split}_accuracy", torch.cat([probes.per_model_accuracy(o, y)
                                                                      for o in outs]), alive)
        self._put_final("final_params", net.flat.detach(), alive)  # models.flatten order
        table = {**self.ARRAYS, **self.CLASSIFICATION}
        docs = {k: {"units": u, "doc": doc} for k, (_, u, doc) in table.items() if k in self.out}
        return Results(self.out, {k: ("model",) + table[k][0] for k in self.out},
                       self.coords(), {"arrays": docs})

    def _put_final(self, key, value, alive):
        v = value.double().cpu().numpy()
        v[~alive.cpu().numpy()] = np.nan
        self.out[key] = v
