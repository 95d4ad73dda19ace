"""The log axis of a curve: x = log10(step + 1) or log10(tokens + τ), and back."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Axis:
    """The log axis of a curve and the conversions of x back to steps and tokens."""

    x: np.ndarray
    step: np.ndarray
    tokens: np.ndarray | None
    tau: float  # tokens per step (NaN without tokens)

    def to_step(self, x: np.ndarray | float) -> np.ndarray:
        return self._back(x, np.log10(self.step + 1.0), 1.0)

    def to_tokens(self, x: np.ndarray | float) -> np.ndarray:
        if self.tokens is None:
            return np.full(np.shape(x), np.nan)
        return self._back(x, np.log10(self.tokens + self.tau), self.tau)

    def _back(self, x: np.ndarray | float, log_values: np.ndarray, offset: float) -> np.ndarray:
        # log_value − x is 0 for the axis's own unit and log10 τ (or close) for the other one:
        # interpolating that difference is exact in the first case, and beyond the data too
        if not len(self.x):  # a curve with no point has no place to go back to
            return np.full(np.shape(x), np.nan)
        order = np.argsort(self.x, kind="stable")
        shift = np.interp(x, self.x[order], (log_values - self.x)[order])
        return 10 ** (np.asarray(x) + shift) - offset


def make_axis(step: np.ndarray, tokens: np.ndarray | None = None, axis: str = "step") -> Axis:
    """x = log10(step + 1), or log10(tokens + τ) with τ the median tokens per step."""
    step = np.asarray(step, dtype=float)
    tokens = None if tokens is None or np.isnan(np.asarray(tokens, dtype=float)).any() else np.asarray(tokens, float)
    positive = step > 0
    tau = float(np.median(tokens[positive] / step[positive])) if tokens is not None and positive.any() else math.nan
    if axis == "step":
        x = np.log10(step + 1.0)
    elif axis == "tokens":
        if tokens is None or math.isnan(tau):
            raise ValueError("axis='tokens' needs a token count for every revision and one revision with step > 0")
        x = np.log10(tokens + tau)
    else:
        raise ValueError(f"axis must be 'step' or 'tokens', got {axis!r}")
    return Axis(x, step, tokens, tau)
