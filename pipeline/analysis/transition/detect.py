"""Fit, bootstrap and judge one curve: the transition verdict.

Decision rule (thresholds are `DetectionConfig` fields; docs/methods.md derives them):
ΔBIC = min(BIC constant, BIC linear) − min(BIC sigmoid, BIC piecewise); effect = the chosen
transition model's change over the observed range; location = its x0 or breakpoint.

  "none"          ΔBIC ≤ −none_delta_bic  or  |effect| < min_effect
  "transition"    ΔBIC ≥ min_delta_bic and |effect| ≥ min_effect and the location's CI spans
                  ≤ max_ci_frac of the x range and (sigmoid) its 10–90 % width ≤ max_width_frac of it
  "inconclusive"  otherwise (no CI; fewer than max(2·min_side, 6) points)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pipeline.analysis.transition.axis import Axis, make_axis
from pipeline.analysis.transition.bootstrap import Resampler, bootstrap_locations, percentile_ci
from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.fits import MODELS, WIDTH_FACTOR, ModelFit, fit_models, predict, ruptures_breakpoint


@dataclass(frozen=True)
class TransitionResult:
    """Verdict and estimates for one curve; steps/tokens are converted back from x."""

    verdict: str
    reason: str
    transition_model: str
    delta_bic: float
    bic_constant: float
    bic_linear: float
    bic_sigmoid: float
    bic_piecewise: float
    effect: float
    level_before: float  # sigmoid a
    level_after: float  # sigmoid b
    step: float  # location of the transition model, with its CI
    step_lo: float
    step_hi: float
    tokens: float
    tokens_lo: float
    tokens_hi: float
    sigmoid_x: float
    sigmoid_x_lo: float
    sigmoid_x_hi: float
    sigmoid_step: float
    sigmoid_step_lo: float
    sigmoid_step_hi: float
    width_x: float  # 10–90 % width of the sigmoid's rise, in x units
    step_10: float
    step_90: float
    breakpoint_x: float
    breakpoint_x_lo: float
    breakpoint_x_hi: float
    breakpoint_step: float
    breakpoint_step_lo: float
    breakpoint_step_hi: float
    ruptures_step: float
    x_range: float
    n_points: int
    n_boot_valid: int
    axis: str


def _verdict(
    delta: float, effect: float, ci_span: float, width: float, transition_model: str, x_range: float,
    config: DetectionConfig,
) -> tuple[str, str]:
    if delta <= -config.none_delta_bic:
        return "none", "null model preferred"
    if abs(effect) < config.min_effect:
        return "none", "effect below minimum"
    if delta < config.min_delta_bic:
        return "inconclusive", "weak BIC evidence"
    if math.isnan(ci_span):
        return "inconclusive", "no location CI"
    if ci_span > config.max_ci_frac * x_range:
        return "inconclusive", "location CI too wide"
    if transition_model == "sigmoid" and width > config.max_width_frac * x_range:
        return "inconclusive", "rise too gradual"
    return "transition", "all criteria met"


def detect_transition(
    step: np.ndarray,
    y: np.ndarray,
    *,
    tokens: np.ndarray | None = None,
    resample: Resampler | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> TransitionResult:
    """Fit, bootstrap and judge one metric-vs-step curve (NaN points dropped).

    `resample(rng, n_boot)` returns resampled curves aligned with `step` (see `ExampleBootstrap`,
    `seed_bootstrap`); without it there is no CI and the verdict cannot be "transition".
    """
    step, y = np.asarray(step, float), np.asarray(y, float)
    order = np.argsort(step, kind="stable")
    keep = order[np.isfinite(y[order])]
    axis = make_axis(step[keep], None if tokens is None else np.asarray(tokens, float)[keep], config.axis)
    x, y_kept = axis.x, y[keep]
    if len(x) < max(2 * config.min_side, 6):
        return _too_few(len(x), config)
    fits = fit_models(x, y_kept, config)
    boot = {"x0": np.array([]), "breakpoint": np.array([])}
    if resample is not None:
        curves = resample(np.random.default_rng(seed), config.n_boot)[:, keep]
        boot = bootstrap_locations(x, curves, config)
    ruptures_x = ruptures_breakpoint(x, y_kept, config.min_side) if config.cross_check else math.nan
    return _summarize(axis, fits, boot, ruptures_x, config)


def _summarize(
    axis: Axis, fits: Mapping[str, ModelFit], boot: Mapping[str, np.ndarray], ruptures_x: float,
    config: DetectionConfig,
) -> TransitionResult:
    x = axis.x
    x_range = float(x.max() - x.min())
    null = min(fits["constant"].bic, fits["linear"].bic)
    chosen = min(("sigmoid", "piecewise"), key=lambda name: fits[name].bic)
    delta = null - fits[chosen].bic
    effect = float(np.diff(predict(fits[chosen], np.array([x.min(), x.max()])))[0])
    a, b, x0, k = fits["sigmoid"].params
    width = WIDTH_FACTOR / k
    x0_ci = percentile_ci(boot["x0"], config.ci_level)
    xb = fits["piecewise"].params[3]
    xb_ci = percentile_ci(boot["breakpoint"], config.ci_level)
    location, location_ci = (x0, x0_ci) if chosen == "sigmoid" else (xb, xb_ci)
    verdict, reason = _verdict(delta, effect, location_ci[1] - location_ci[0], width, chosen, x_range, config)
    points = np.array([location, *location_ci, x0, *x0_ci, x0 - width / 2, x0 + width / 2, xb, *xb_ci])
    steps = [float(v) for v in axis.to_step(points)]
    tokens = [float(v) for v in axis.to_tokens(points[:3])]
    return TransitionResult(
        verdict=verdict, reason=reason, transition_model=chosen, delta_bic=float(delta),
        **{f"bic_{name}": fits[name].bic for name in MODELS},
        effect=effect, level_before=a, level_after=b,
        step=steps[0], step_lo=steps[1], step_hi=steps[2],
        tokens=tokens[0], tokens_lo=tokens[1], tokens_hi=tokens[2],
        sigmoid_x=x0, sigmoid_x_lo=x0_ci[0], sigmoid_x_hi=x0_ci[1],
        sigmoid_step=steps[3], sigmoid_step_lo=steps[4], sigmoid_step_hi=steps[5],
        width_x=width, step_10=steps[6], step_90=steps[7],
        breakpoint_x=xb, breakpoint_x_lo=xb_ci[0], breakpoint_x_hi=xb_ci[1],
        breakpoint_step=steps[8], breakpoint_step_lo=steps[9], breakpoint_step_hi=steps[10],
        ruptures_step=float(axis.to_step(ruptures_x)) if math.isfinite(ruptures_x) else math.nan,
        x_range=x_range, n_points=len(x), n_boot_valid=int(np.isfinite(boot["x0"]).sum()), axis=config.axis,
    )


def _too_few(n: int, config: DetectionConfig) -> TransitionResult:
    nan_fields = dict.fromkeys(TransitionResult.__dataclass_fields__, math.nan)
    return TransitionResult(**{
        **nan_fields, "verdict": "inconclusive", "reason": "too few points", "transition_model": "",
        "n_points": n, "n_boot_valid": 0, "axis": config.axis,
    })
