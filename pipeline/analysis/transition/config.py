"""Settings of the transition detector: the decision rule's thresholds and the fits' grids."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectionConfig:
    """Thresholds of the decision rule and settings of the fits (see the module docstring)."""

    axis: str = "step"  # "step" or "tokens"
    min_delta_bic: float = 10.0
    none_delta_bic: float = 2.0
    min_effect: float = 0.02
    max_ci_frac: float = 0.25
    max_width_frac: float = 0.5
    ci_level: float = 0.95
    n_boot: int = 200
    min_side: int = 3
    min_width: float = 0.1  # in x units (decades)
    grid_x0: int = 120
    grid_k: int = 8
    grid_breakpoint: int = 400
    n_starts: int = 3
    lm_iterations: int = 20
    cross_check: bool = True  # run ruptures beside
