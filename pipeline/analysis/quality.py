"""Does the weak-to-strong gain track how linearly the model represents the task?

Quality per revision: `gold_acc` (the gold probe's test accuracy) and `gold_dprime` (the class
separation d′ of its test logits). Association: Spearman ρ across revisions with a bootstrap CI and
a permutation p, per model and pooled within model. Lag: x(gain) − x(quality) of the two
transitions with a paired bootstrap over test examples. Definitions and caveats: docs/methods.md.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from pipeline.analysis.curves import Loader, example_samplers, exclusion_mask, select_predictions, tokens_of
from pipeline.analysis.transition import (
    DetectionConfig,
    bootstrap_locations,
    detect_transition,
    make_axis,
    percentile_ci,
)

QUALITIES = ("gold_acc", "gold_dprime")


# ---------------------------------------------------------------- quality


def _logits(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def dprime_curves(p_gold: np.ndarray, label: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d′ of the gold logits per revision (rows of p_gold, shape (revisions, examples)) under each
    row of example weights (replicates, examples): shape (replicates, revisions)."""
    z = _logits(np.atleast_2d(p_gold))
    positive = np.asarray(label) == 1
    moments = []
    for in_class in (positive, ~positive):
        w = weights * in_class
        total = w.sum(1, keepdims=True)
        mean = (w @ z.T) / total
        moments.append((mean, (w @ (z**2).T) / total - mean**2))
    (m1, v1), (m0, v0) = moments
    return (m1 - m0) / np.sqrt(np.maximum((v1 + v0) / 2, 1e-300))


def fisher_dprime(p_gold: np.ndarray, label: np.ndarray) -> float:
    """d′ of one revision's gold-probe logits between the classes."""
    n = len(label)
    return float(dprime_curves(np.asarray(p_gold)[None], label, np.full((1, n), 1.0 / n))[0, 0])


def add_gold_dprime(table: pd.DataFrame, predictions: Loader) -> pd.DataFrame:
    """The metrics table with a `gold_dprime` column, from each revision's stored predictions."""
    values = []
    for model, revision, task, layer in table[["model", "revision", "task", "layer"]].itertuples(index=False):
        chosen = select_predictions(predictions(model, revision), task, layer)
        values.append(fisher_dprime(chosen["p_gold"].to_numpy(), chosen["label"].to_numpy()))
    return table.assign(gold_dprime=values)


# ---------------------------------------------------------------- correlation


@dataclass(frozen=True)
class Correlation:
    """Spearman ρ, its percentile bootstrap CI, the permutation p-value and the number of pairs."""

    rho: float
    rho_lo: float
    rho_hi: float
    p_value: float
    n: int


def _centred_ranks(values: np.ndarray) -> np.ndarray:
    # scaled by n + 1, so that each revision weighs the same in a pool of models of different lengths
    n = values.shape[-1]
    return (rankdata(values, axis=-1) - (n + 1) / 2) / (n + 1)


def _stacked_rho(
    q_parts: Sequence[np.ndarray], g_parts: Sequence[np.ndarray],
    q_index: Sequence[np.ndarray], g_index: Sequence[np.ndarray],
) -> np.ndarray:
    """ρ of within-group ranks, stacked over groups, for each row of the index arrays."""
    a = np.concatenate([_centred_ranks(q[i]) for q, i in zip(q_parts, q_index)], axis=1)
    b = np.concatenate([_centred_ranks(g[i]) for g, i in zip(g_parts, g_index)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(1) / np.sqrt((a**2).sum(1) * (b**2).sum(1))


def spearman_test(
    quality: np.ndarray,
    gain: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    n_boot: int = 2000,
    n_perm: int = 2000,
    ci_level: float = 0.95,
    seed: int = 0,
) -> Correlation:
    """Spearman ρ of quality and gain with bootstrap CI and permutation p (see module docstring).

    With `groups` (e.g. the model of each revision) ranks are taken within group and pooled;
    NaN pairs are dropped.
    """
    quality, gain = np.asarray(quality, float), np.asarray(gain, float)
    groups = np.zeros(len(quality)) if groups is None else np.asarray(groups)
    keep = np.isfinite(quality) & np.isfinite(gain)
    labels = [label for label in pd.unique(groups[keep]) if (groups[keep] == label).sum() >= 2]
    q_parts = [quality[keep & (groups == label)] for label in labels]
    g_parts = [gain[keep & (groups == label)] for label in labels]
    n = sum(len(q) for q in q_parts)
    if n < 3:
        return Correlation(math.nan, math.nan, math.nan, math.nan, n)
    rng = np.random.default_rng(seed)
    identity = [np.arange(len(q))[None] for q in q_parts]
    rho = float(_stacked_rho(q_parts, g_parts, identity, identity)[0])
    boot = [rng.integers(0, len(q), size=(n_boot, len(q))) for q in q_parts]
    rho_boot = _stacked_rho(q_parts, g_parts, boot, boot)
    perm = [rng.permuted(np.tile(np.arange(len(q)), (n_perm, 1)), axis=1) for q in q_parts]
    rho_perm = _stacked_rho(q_parts, g_parts, [np.broadcast_to(i, p.shape) for i, p in zip(identity, perm)], perm)
    p_value = (1 + np.sum(np.abs(rho_perm) >= abs(rho) - 1e-12)) / (1 + n_perm)
    lo, hi = percentile_ci(rho_boot, ci_level)
    return Correlation(rho, lo, hi, float(p_value), n)


def correlation_table(
    table: pd.DataFrame,
    *,
    qualities: Sequence[str] = QUALITIES,
    gain: str = "gain",
    exclude_revisions: Collection[str] | Mapping[str, Collection[str]] = (),
    n_boot: int = 2000,
    n_perm: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """ρ(quality, gain) per (model, task, layer, quality), plus model="pooled" rows per (task, layer)."""
    table = table[~exclusion_mask(table, exclude_revisions)]
    settings = {"n_boot": n_boot, "n_perm": n_perm, "seed": seed}
    rows = []
    for (task, layer), group in table.groupby(["task", "layer"], sort=True):
        for quality in qualities:
            q, g = group[quality].to_numpy(float), group[gain].to_numpy(float)
            for model in sorted(group["model"].unique()):
                mine = (group["model"] == model).to_numpy()
                result = spearman_test(q[mine], g[mine], **settings)
                rows.append({"model": model, "task": task, "layer": layer, "quality": quality, **asdict(result)})
            pooled = spearman_test(q, g, group["model"].to_numpy(), **settings)
            rows.append({"model": "pooled", "task": task, "layer": layer, "quality": quality, **asdict(pooled)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- lag


@dataclass(frozen=True)
class Lag:
    """Verdicts and locations of both transitions and their lag in x, with paired-bootstrap CIs."""

    quality_verdict: str
    gain_verdict: str
    quality_step: float  # sigmoid midpoints
    gain_step: float
    lag_x: float  # x(gain) − x(quality), decades
    lag_x_lo: float
    lag_x_hi: float
    quality_breakpoint_step: float
    gain_breakpoint_step: float
    breakpoint_lag_x: float
    breakpoint_lag_x_lo: float
    breakpoint_lag_x_hi: float


def transition_lag(
    step: np.ndarray,
    quality: np.ndarray,
    gain: np.ndarray,
    quality_boot: np.ndarray,
    gain_boot: np.ndarray,
    *,
    tokens: np.ndarray | None = None,
    config: DetectionConfig = DetectionConfig(),
    quality_config: DetectionConfig | None = None,
) -> Lag:
    """Lag between the transitions of two curves on the same steps.

    `quality_boot` and `gain_boot` (replicates, steps) must be paired: row r of both comes from
    the same resample. Steps where either observed curve is NaN are left out of both.
    `quality_config` (default: `config`) judges the quality curve, e.g. with its own min_effect.
    """
    step, quality, gain = (np.asarray(v, float) for v in (step, quality, gain))
    keep = np.flatnonzero(np.isfinite(quality) & np.isfinite(gain))
    keep = keep[np.argsort(step[keep], kind="stable")]
    tokens = None if tokens is None else np.asarray(tokens, float)[keep]
    x = make_axis(step[keep], tokens, config.axis).x
    curves = {"quality": (quality[keep], quality_boot[:, keep]), "gain": (gain[keep], gain_boot[:, keep])}
    configs = {"quality": quality_config or config, "gain": config}
    results, located = {}, {}
    for name, (observed, boot) in curves.items():
        # the replicates are given: the resampler hands them over whatever the rng
        results[name] = detect_transition(
            step[keep], observed, tokens=tokens, resample=lambda rng, n, b=boot: b, config=configs[name]
        )
        located[name] = bootstrap_locations(x, boot, configs[name])
    q, g = results["quality"], results["gain"]
    lag_ci = percentile_ci(located["gain"]["x0"] - located["quality"]["x0"], config.ci_level)
    bp_ci = percentile_ci(located["gain"]["breakpoint"] - located["quality"]["breakpoint"], config.ci_level)
    return Lag(
        quality_verdict=q.verdict, gain_verdict=g.verdict,
        quality_step=q.sigmoid_step, gain_step=g.sigmoid_step,
        lag_x=g.sigmoid_x - q.sigmoid_x, lag_x_lo=lag_ci[0], lag_x_hi=lag_ci[1],
        quality_breakpoint_step=q.breakpoint_step, gain_breakpoint_step=g.breakpoint_step,
        breakpoint_lag_x=g.breakpoint_x - q.breakpoint_x, breakpoint_lag_x_lo=bp_ci[0], breakpoint_lag_x_hi=bp_ci[1],
    )


def lag_table(
    table: pd.DataFrame,
    predictions: Loader,
    *,
    qualities: Sequence[str] = QUALITIES,
    gain: str = "gain",
    min_margin: float = math.nan,
    exclude_revisions: Collection[str] | Mapping[str, Collection[str]] = (),
    quality_min_effect: Mapping[str, float] | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> pd.DataFrame:
    """Lag between the quality and gain transitions per (model, task, layer, quality), with a
    paired bootstrap over test examples. `min_margin` is needed when `gain` is "pgr";
    `quality_min_effect` sets each quality's minimum effect (d′ is on another scale than accuracy)."""
    table = table[~exclusion_mask(table, exclude_revisions)]
    rows = []
    for (model, task, layer), group, sampler in example_samplers(table, predictions, min_margin):
        # row 0: the observed sample; the other rows: paired resamples shared by every curve
        weights = np.vstack([sampler.observed(), sampler.weights(np.random.default_rng(seed), config.n_boot)])
        gain_curves = sampler.curves(gain, weights)
        tokens = tokens_of(group)
        for quality in qualities:
            if quality == "gold_dprime":
                quality_curves = dprime_curves(sampler.probs["gold"], sampler.label, weights)
            else:
                quality_curves = sampler.curves(quality, weights)
            min_effect = (quality_min_effect or {}).get(quality, config.min_effect)
            lag = transition_lag(
                group["step"].to_numpy(), quality_curves[0], gain_curves[0], quality_curves[1:], gain_curves[1:],
                tokens=tokens, config=config, quality_config=replace(config, min_effect=min_effect),
            )
            rows.append({"model": model, "task": task, "layer": layer, "quality": quality, **asdict(lag)})
    return pd.DataFrame(rows)
