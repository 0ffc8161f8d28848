"""Bring your own activation: the formula parser refuses what it must, a registered activation behaves like a
built-in one everywhere the book takes an activation by name, and the CLI's card fails in one line."""
import math
from dataclasses import replace

import pytest
import torch

from helpers import byo
from helpers.core import activations
from helpers.core.config import CURVES, TrainConfig
from helpers.core.data import make_dataset
from helpers.engine.runs import grid


@pytest.mark.parametrize("text", ["", "x +", "import os", "__import__('os')", "x.real", "y * 2", "sin(x, 2)",
                                  "open('f')", "[x]", "x if x else 1", "lambda: x"])
def test_the_parser_refuses_what_is_not_a_formula_in_x(text):
    with pytest.raises(ValueError):
        byo.formula(text)


def test_the_parser_computes_what_it_reads():
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    mish = byo.formula("x * tanh(softplus(x))")
    assert torch.allclose(mish(x), x * torch.tanh(torch.nn.functional.softplus(x)))
    assert torch.allclose(byo.formula("x + sin(x)^2 - -1 / 2 * pi")(x), x + torch.sin(x) ** 2 + 0.5 * math.pi)


def test_register_checks_the_function_and_its_derivative():
    with pytest.raises(ValueError, match="taken"):
        byo.register("relu", torch.relu)
    with pytest.raises(ValueError, match="constant"):
        byo.register("flat_test", lambda x: 0 * x + 1)
    with pytest.raises(ValueError, match="not finite"):
        byo.register("explode_test", lambda x: torch.exp(x) ** 40)
    with pytest.raises(ValueError, match="disagrees"):
        byo.register("wrong_d_test", torch.sin, derivative=torch.sin)
    act = byo.register("sin_test", torch.sin, derivative=torch.cos)
    try:
        assert activations.get("sin_test") is act and act.max_slope == pytest.approx(1.0)
        x = torch.linspace(-5, 5, 11, dtype=torch.float64)
        assert torch.allclose(byo.autograd_derivative(torch.sin)(x), torch.cos(x))
    finally:
        byo.unregister("sin_test")
    assert "sin_test" not in activations.ACTIVATIONS


def test_a_registered_activation_trains_exactly_as_the_built_in_it_copies():
    """The batched engine with a formula's forward and autograd's derivative against its own fused kernels."""
    byo.register("relu_copy_test", byo.formula("relu(x)"))
    try:
        data, cfg = make_dataset(), TrainConfig(epochs=20, log=replace(CURVES, test_every=20))
        ours, theirs = (grid([a], [0, 1], data, cfg) for a in ("relu_copy_test", "relu"))
        assert torch.allclose(torch.as_tensor(ours["loss"]), torch.as_tensor(theirs["loss"]), rtol=1e-10, atol=0)
    finally:
        byo.unregister("relu_copy_test")


def test_the_card_command_refuses_a_bad_formula_in_one_line(capsys):
    from helpers.__main__ import main
    assert main(["card", "x +", "--name", "bad_card_test", "--out", "/nonexistent/never"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not parse" in err


def test_the_extras_leave_the_registry_as_they_found_it():
    before = list(activations.ACTIVATIONS)
    with byo.extras_registered() as names:
        assert set(names) <= set(activations.ACTIVATIONS)
    assert list(activations.ACTIVATIONS) == before


def test_the_page_trainers_presets_are_chapter_11s_activations():
    """The in-page trainer types chapter 12's four as formulas; each computes what byo.EXTRAS defines."""
    from helpers.interactive.browser_trainer import FORMULA_PRESETS
    x = torch.linspace(-6, 6, 121, dtype=torch.float64)
    assert len(FORMULA_PRESETS) == len(byo.EXTRAS)
    for text, (_, _, _, fn, _) in zip(FORMULA_PRESETS.values(), byo.EXTRAS.values()):
        assert torch.allclose(byo.formula(text)(x), fn(x)), text


def test_the_explorers_measure_chapter_12s_four_even_where_the_on_set_is_many_intervals():
    """The sine and Snake are on in many intervals: the explorers' active fraction then evaluates phi' (the one
    definition, probes.is_on) instead of comparing with one interval; Mish and Softplus keep the interval."""
    from helpers.engine import probes
    from helpers.experiments import explorer_stats
    with byo.extras_registered():
        assert explorer_stats.one_interval("sine") is None and explorer_stats.one_interval("snake") is None
        assert explorer_stats.one_interval("softplus") is not None
        h = [torch.linspace(-20, 20, 4001, dtype=torch.float64).view(1, 1, -1)]
        for name in byo.EXTRAS:
            want = float(probes.is_on(activations.get(name), h[0]).double().mean())
            assert explorer_stats.active_fraction(name, h)[0] == pytest.approx(want, abs=1e-3), name
        stats = explorer_stats.init_statistics(3, 8, "snake", "kaiming")
        assert stats["active"].shape == (3,) and ((stats["active"] >= 0) & (stats["active"] <= 1)).all()
