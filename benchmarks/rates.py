"""Formatting shared by the benchmarks that count outcomes over simulated trials."""

from __future__ import annotations

import math

import numpy as np


def percent_with_se(flags) -> str:
    """The share of true `flags` in percent, ± its binomial standard error."""
    flags = np.asarray(flags, float)
    p, n = flags.mean(), len(flags)
    return f"{100 * p:5.1f} ± {100 * math.sqrt(max(p * (1 - p), 1e-12) / n):3.1f}"
