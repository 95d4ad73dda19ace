"""The small configuration the synthetic tests run at."""

from __future__ import annotations

from pipeline.synthetic.config import SyntheticConfig


def small(**overrides) -> SyntheticConfig:
    """d = 200 with n/d, κ, η, T, σ_w and α as in the default; fewer seeds, N values and start
    overlaps; a tiny scaling grid."""
    params = {"d": 200, "kappa": 0.3, "link_degree": 3, "n_train": 1000, "n_test": 1000, "eta": 0.003,
              "steps": 500, "sigma_w": 1.0, "alpha": 0.3, "alphas": [0.15, 0.3, 0.5],
              "pretrain_factors": [0.25, 0.6, 1, 1.5, 2.5, 4, 6],
              "start_overlaps": [0.1, 0.2, 0.3, 0.5, 0.7, 0.9], "seeds": 8, "geometry_seeds": 8, "seed": 0,
              "scaling_dims": [40, 60], "scaling_kappas": [0.3], "scaling_factors": [0.5, 1, 2, 4], "scaling_seeds": 3,
              "adaptive_points": 32, "adaptive_coarse": 8, "adaptive_per_round": 4, "adaptive_budget": 16,
              "adaptive_target_width": 0.1}
    params.update(overrides)
    return SyntheticConfig.from_mapping(params)
