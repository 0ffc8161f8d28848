"""Every figure of the book, one module per chapter, one style (style.py) for all of them."""
from . import card, digits, stacks, summary
from .baseline import activation_gallery, gradient_flow, hidden_activations, learned_functions, loss_curves  # noqa: F401
from .dynamics import epoch_view, preactivation_quantiles, update_ratios  # noqa: F401
from .expressivity import budget_maps, extrapolation, pieces_vs_neurons, spectral_bias, tent_functions  # noqa: F401
from .gradients import chi1_map, depth_sweep, gain_profiles, gradient_heatmap, optimizer_runs, ratio_over_training  # noqa: F401,E501
from .sparsity import (
    born_dead,
    dead_at_init,
    lr_effect,
    off_heatmap,
    preactivation_histograms,
    states_over_training,
    unit_raster,
    unit_states_explained,
)
from .stability import depth_maps, failure_examples, lr_mode_maps, sharpness_vs_gd  # noqa: F401
from .style import STYLE, colour, label, save, use_style  # noqa: F401
