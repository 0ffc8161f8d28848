"""The theory, computed numerically: the mean field per input (mean_field), the fixed point and the edge of chaos
(criticality), units dead at birth (dead_at_birth). Called as helpers.theory.<name>; a run that uses it names it
(helpers.experiments.cache), so editing it recomputes only those runs."""
from .criticality import (
                          chi,
                          chi_1,
                          critical_jump,
                          critical_sigma_w2,
                          depth_scale,
                          edge_sigma_w2,
                          fixed_point,
                          gauss_mean,
                          variance_map,
)
from .mean_field import (
                          MeanField,
                          gauss_moments,
                          mean_field,
                          residual_profile,
                          sigma_w2,
                          softmax_gradient_sq,
                          weight_variance,
)
