"""Fit, calibrate and judge curves: is there a transition, a smooth change, a dip, or nothing?

Contract (docs/methods.md derives and measures it): the best transition model (sigmoid or piecewise
in x) against the best smooth null, p-value by parametric bootstrap from that null fitted to the
curve with the curve's own noise replicates; a sharpness test on the transition's width. Verdicts,
first match:

  inconclusive  fewer than max(2·min_side, 6) points; or < min_valid_frac of the replicates fit
  none          p_change > alpha, or the BIC-best model's fitted range < min_effect
  transition    p_transition ≤ alpha, |effect| ≥ min_effect, and the width's upper bound < sharp limit
  non-monotone  p_dip ≤ alpha and the dip model's reversal ≥ min_effect
  inconclusive  p_transition ≤ alpha, width estimate below the limit but not its upper bound
  gradual       otherwise
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.analysis.transition.axis import Axis, make_axis
from pipeline.analysis.transition.bootstrap import (
    Resampler,
    between_seed_sd,
    centred_noise,
    nanmean,
    noise_covariance,
    percentile_ci,
    seed_bootstrap,
)
from pipeline.analysis.transition.calibrate import (
    ALL,
    MONOTONE_ALL,
    bootstrap_pvalue,
    change_statistic,
    dip_statistic,
    fit_all,
    generator,
    null_distribution,
    transition_statistic,
)
from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.fits import WIDTH_FACTOR, bic
from pipeline.analysis.transition.nulls import NULLS, null_families
from pipeline.analysis.transition.transition_models import (
    fit_transitions,
    piecewise_curve,
    piecewise_params,
    piecewise_width,
    polished_sigmoid,
    sigmoid_curve,
    transition_families,
)

VERDICTS = ("transition", "gradual", "non-monotone", "none", "inconclusive")
_FAMILY_CACHE: dict = {}


def families_for(x: np.ndarray, step: np.ndarray, config: DetectionConfig) -> dict:
    key = (x.tobytes(), step.tobytes(), config)
    if key not in _FAMILY_CACHE:
        if len(_FAMILY_CACHE) > 32:
            _FAMILY_CACHE.clear()
        _FAMILY_CACHE[key] = {**null_families(x, step, config), **transition_families(x, config)}
    return _FAMILY_CACHE[key]


def min_points(config: DetectionConfig) -> int:
    return max(2 * config.min_side, 6)


# ---------------------------------------------------------------- verdict


def verdict(row, config: DetectionConfig, p_change=None, p_transition=None, p_dip=None) -> tuple[str, str]:
    """The decision rule of the module docstring on one result row (dict or Series). Pass
    p-values (e.g. BH q-values) to override the row's."""
    p_change = row["p_change"] if p_change is None else p_change
    p_transition = row["p_transition"] if p_transition is None else p_transition
    p_dip = row["p_dip"] if p_dip is None else p_dip
    alpha = config.alpha
    if row["n_points"] < min_points(config):
        return "inconclusive", "too few points"
    if row["n_boot_valid"] < config.min_valid_frac * config.n_boot:
        return "inconclusive", "too few valid replicates"
    if not p_change <= alpha:
        return "none", "no change beyond noise"
    if not row["effect_range"] >= config.min_effect:
        return "none", "change below min_effect"
    limit = config.sharp_factor * config.sharp_width
    significant = p_transition <= alpha and abs(row["transition_effect"]) >= config.min_effect
    if significant and row["width_x_hi"] < limit:
        return "transition", "beats every smooth null and is sharp"
    if p_dip <= alpha and row["reversal"] >= config.min_effect:
        return "non-monotone", "significant reversal"
    if significant and row["width_x"] < limit:
        return "inconclusive", "beats every smooth null, sharpness not established"
    if significant:
        return "gradual", "rise not sharper than an exponential relaxation"
    return "gradual", "a smooth null suffices"


# ---------------------------------------------------------------- helpers


def _censor(lo: float, hi: float, x: np.ndarray) -> tuple[float, float]:
    """Widen [lo, hi] to the nearest checkpoints strictly outside it (the range ends at most)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return math.nan, math.nan
    below, above = x[x < lo], x[x > hi]
    return float(below.max() if len(below) else x.min()), float(above.min() if len(above) else x.max())


def _reversal(fitted: np.ndarray) -> np.ndarray:
    """min(largest rise, largest fall) along each row: 0 for a monotone curve."""
    rise = (fitted - np.minimum.accumulate(fitted, axis=1)).max(1)
    fall = (np.maximum.accumulate(fitted, axis=1) - fitted).max(1)
    return np.minimum(rise, fall)


def gaussian_noise(rng: np.random.Generator, sigma: np.ndarray, n_boot: int, n: int) -> np.ndarray:
    return sigma[:, None, None] * rng.standard_normal((len(sigma), n_boot, n))


# ---------------------------------------------------------------- batched detection


def detect_curves(
    step: np.ndarray,
    y: np.ndarray,
    noise: np.ndarray | None = None,
    *,
    tokens: np.ndarray | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> pd.DataFrame:
    """One result row per curve (rows of y, shape (C, n), NaN = missing) measured at `step`.

    noise: (C, B, n) centred noise replicates (`bootstrap.centred_noise`), or None for Gaussian
    noise with each curve's residual variance. Curves with the same missing points are
    processed together."""
    with _one_blas_thread():
        return _detect_curves(step, y, noise, tokens, config, seed)


def _one_blas_thread():
    # many small matrix products: a multithreaded BLAS only spins (40× slower on a busy 2-core
    # machine); parallelism comes from processes (analyze_curves n_jobs)
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)
    except ImportError:  # set OPENBLAS_NUM_THREADS=1 before numpy is imported instead
        import contextlib

        return contextlib.nullcontext()


def _detect_curves(step, y, noise, tokens, config, seed) -> pd.DataFrame:
    step = np.asarray(step, float)
    y = np.atleast_2d(np.asarray(y, float))
    rows: list[dict] = [{} for _ in range(len(y))]
    patterns, inverse = np.unique(np.isfinite(y), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    rng = np.random.default_rng(seed)
    for p, pattern in enumerate(patterns):
        members = np.flatnonzero(inverse == p)
        order = np.argsort(step[pattern], kind="stable")
        cols = np.flatnonzero(pattern)[order]
        axis = make_axis(step[cols], None if tokens is None else np.asarray(tokens, float)[cols], config.axis)
        group_y = y[np.ix_(members, cols)]
        if len(cols) < min_points(config):
            for i in members:
                rows[i] = _too_few(len(cols), config)
            continue
        fam = families_for(axis.x, axis.step, config)
        group_noise = None if noise is None else np.asarray(noise, float)[members][:, :, cols]
        # generalised least squares, one curve at a time, where its noise covariance is usable
        cov = [None] * len(members)
        if group_noise is not None and config.whiten:
            cov = [noise_covariance(group_noise[k]) for k in range(len(members))]
        plain = [k for k in range(len(members)) if cov[k] is None]
        batches = [(plain, fam)] if plain else []
        batches += [([k], {m: f.whitened(cov[k]) for m, f in fam.items()})
                    for k in range(len(members)) if cov[k] is not None]
        for sel, fam_batch in batches:
            results = _detect_group(axis, group_y[sel], None if group_noise is None else group_noise[sel], config,
                                    rng, fam_batch)
            for k, row in zip(sel, results):
                row["gls"] = cov[k] is not None
                rows[members[k]] = row
    return pd.DataFrame(rows)


def _detect_group(
    axis: Axis, y: np.ndarray, noise: np.ndarray | None, config: DetectionConfig, rng: np.random.Generator,
    fam: dict,
) -> list[dict]:
    x = axis.x
    c, n = y.shape
    mp = min_points(config)
    fits = fit_all(fam, y, ALL, mp)
    gen_fitted, gen_which = generator(fits, NULLS)
    if noise is None:
        rss_gen = np.column_stack([fits[m].rss for m in NULLS])[np.arange(c), gen_which]
        k_gen = np.column_stack([fits[m].n_params for m in NULLS])[np.arange(c), gen_which]
        sigma = np.sqrt(rss_gen / np.maximum(n - k_gen, 1))
        noise = gaussian_noise(rng, sigma, config.n_boot, n)
        noise = np.where(np.isfinite(y)[:, None, :], noise, np.nan)
    b = noise.shape[1]

    # tests
    t_change = change_statistic(fits)
    p_change, valid_change = bootstrap_pvalue(
        t_change, null_distribution(fam, np.zeros_like(y), noise, change_statistic, ALL, mp)
    )
    t_trans = transition_statistic(fits)
    p_trans, valid_trans = bootstrap_pvalue(
        t_trans, null_distribution(fam, gen_fitted, noise, transition_statistic, ALL, mp)
    )

    # transition model, location and width, on the observed curve and on f̂_T + ε*
    chosen = np.where(fits["piecewise"].rss < fits["sigmoid"].rss, "piecewise", "sigmoid")
    theta_sig = polished_sigmoid(fam["sigmoid"], fits["sigmoid"], x, y, config.lm_iterations)
    theta_pw = piecewise_params(fits["piecewise"])
    trans_fitted = np.where((chosen == "sigmoid")[:, None], sigmoid_curve(theta_sig, x), piecewise_curve(theta_pw, x))
    boot_y = (trans_fitted[:, None, :] + noise).reshape(c * b, n)
    boot_fits = fit_transitions(fam, boot_y, mp)
    boot_sig = polished_sigmoid(fam["sigmoid"], boot_fits["sigmoid"], x, boot_y, config.lm_iterations).reshape(c, b, 4)
    boot_pw = piecewise_params(boot_fits["piecewise"]).reshape(c, b, 4)
    width_sig = WIDTH_FACTOR / theta_sig[:, 3]
    width_pw = piecewise_width(theta_pw, x)
    boot_width_sig = WIDTH_FACTOR / boot_sig[..., 3]
    boot_width_pw = piecewise_width(boot_pw.reshape(c * b, 4), x).reshape(c, b)

    # dip: only where it can decide the verdict
    dip_fitted = fits["dip"].fitted()
    reversal = _reversal(dip_fitted)
    p_dip = np.full(c, np.nan)
    t_dip = dip_statistic(fits)
    need = (p_change <= config.alpha) & (reversal >= config.min_effect)
    if need.any():
        mono_fitted, _ = generator(fits, MONOTONE_ALL)
        p_dip[need], _ = bootstrap_pvalue(
            t_dip[need], null_distribution(fam, mono_fitted[need], noise[need], dip_statistic, NULLS + ("sigmoid",), mp)
        )

    # describing model for levels and effect sizes: BIC-best over all models
    bics = {m: bic(fits[m].rss, n, fits[m].n_params) for m in ALL}
    bic_all = np.column_stack([bics[m] for m in ALL])
    best_all = np.argmin(np.where(np.isfinite(bic_all), bic_all, np.inf), axis=1)
    bic_nulls = np.column_stack([bics[m] for m in NULLS])
    best_null = np.argmin(np.where(np.isfinite(bic_nulls), bic_nulls, np.inf), axis=1)
    fitted_all = np.stack([fits[m].fitted() for m in ALL], axis=1)
    best_all_fitted = fitted_all[np.arange(c), best_all]
    null_fitted = fitted_all[np.arange(c), best_null]
    effect_range = best_all_fitted.max(1) - best_all_fitted.min(1)

    rows = []
    for i in range(c):
        is_sig = chosen[i] == "sigmoid"
        if is_sig:
            loc, boot_loc = theta_sig[i, 2], boot_sig[i, :, 2]
            width, boot_width = width_sig[i], boot_width_sig[i]
            trans_effect = theta_sig[i, 1] - theta_sig[i, 0]
        else:
            loc, boot_loc = theta_pw[i, 3], boot_pw[i, :, 3]
            width, boot_width = width_pw[i], boot_width_pw[i]
            trans_effect = float(np.diff(piecewise_curve(theta_pw[i:i + 1], np.array([x.min(), x.max()])))[0, 0])
        valid_width = boot_width[~np.isnan(boot_width)]  # +inf (a V-shaped hinge) counts as not sharp
        width_hi = float(np.quantile(valid_width, 1 - config.alpha, method="higher")) if len(valid_width) else math.nan
        lo, hi = percentile_ci(boot_loc, config.ci_level)
        lo_c, hi_c = _censor(lo, hi, x)
        x0_lo, x0_hi = percentile_ci(boot_sig[i, :, 2], config.ci_level)
        xb_lo, xb_hi = percentile_ci(boot_pw[i, :, 3], config.ci_level)
        row = {
            "transition_model": str(chosen[i]),
            "best_null": NULLS[best_null[i]],
            "generator_null": NULLS[gen_which[i]],
            "p_change": float(p_change[i]),
            "p_transition": float(p_trans[i]),
            "p_dip": float(p_dip[i]),
            "stat_change": float(t_change[i]),
            "stat_transition": float(t_trans[i]),
            "stat_dip": float(t_dip[i]),
            "delta_bic": float(bic_nulls[i].min() - min(bics["sigmoid"][i], bics["piecewise"][i])),
            **{f"rss_{m}": float(fits[m].rss[i]) for m in ALL},
            **{f"k_{m}": int(fits[m].n_params[i]) if np.isfinite(fits[m].n_params[i]) else -1 for m in ALL},
            "transition_effect": float(trans_effect),
            "effect_range": float(effect_range[i]),
            "reversal": float(reversal[i]),
            "width_x": float(width),
            "width_x_hi": width_hi,
            "location_x": float(loc),
            "location_x_lo": lo,
            "location_x_hi": hi,
            "location_x_lo_cens": lo_c,
            "location_x_hi_cens": hi_c,
            "sigmoid_a": float(theta_sig[i, 0]),
            "sigmoid_b": float(theta_sig[i, 1]),
            "sigmoid_x": float(theta_sig[i, 2]),
            "sigmoid_k": float(theta_sig[i, 3]),
            "sigmoid_x_lo": x0_lo,
            "sigmoid_x_hi": x0_hi,
            "breakpoint_x": float(theta_pw[i, 3]),
            "breakpoint_x_lo": xb_lo,
            "breakpoint_x_hi": xb_hi,
            "n_points": n,
            "n_boot_valid": int(min(valid_change[i], valid_trans[i])),
            "axis": config.axis,
        }
        row["verdict"], row["reason"] = verdict(row, config)
        # levels and effect from the describing model
        if row["verdict"] == "transition" and is_sig:
            before, after = theta_sig[i, 0], theta_sig[i, 1]
        elif row["verdict"] == "transition":
            before, after = piecewise_curve(theta_pw[i:i + 1], np.array([x.min(), x.max()]))[0]
        elif row["verdict"] == "non-monotone":
            before, after = dip_fitted[i, 0], dip_fitted[i, -1]
        else:
            before, after = null_fitted[i, 0], null_fitted[i, -1]
        row["level_before"], row["level_after"] = float(before), float(after)
        row["effect"] = float(after - before)
        steps = axis.to_step(np.array([loc, lo_c, hi_c]))
        toks = axis.to_tokens(np.array([loc, lo_c, hi_c]))
        row.update(step=float(steps[0]), step_lo=float(steps[1]), step_hi=float(steps[2]),
                   tokens=float(toks[0]), tokens_lo=float(toks[1]), tokens_hi=float(toks[2]))
        rows.append(row)
    return rows


def _too_few(n: int, config: DetectionConfig) -> dict:
    return {"verdict": "inconclusive", "reason": "too few points", "n_points": n, "n_boot_valid": 0,
            "axis": config.axis}


# ---------------------------------------------------------------- single curves and many curves


def detect_transition(
    step: np.ndarray,
    y: np.ndarray,
    *,
    tokens: np.ndarray | None = None,
    resample: Resampler | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> dict:
    """One curve: the result row as a dict. `resample(rng, n_boot)` (see `bootstrap`)."""
    noise = None
    if resample is not None:
        noise = centred_noise(resample, np.random.default_rng(seed), config.n_boot)[None]
    out = detect_curves(step, np.asarray(y, float)[None], noise, tokens=tokens, config=config, seed=seed)
    return out.iloc[0].to_dict()


def detect_seed_curve(
    step: np.ndarray, curves: np.ndarray, *, tokens: np.ndarray | None = None,
    config: DetectionConfig = DetectionConfig(), seed: int = 0,
) -> dict:
    """Seeds as the unit: the mean of `curves` (seeds, points) with the rescaled seed bootstrap
    as its noise; adds between_seed_sd (root mean square over points of the across-seed sd)."""
    curves = np.asarray(curves, float)
    row = detect_transition(step, nanmean(curves, axis=0), tokens=tokens, resample=seed_bootstrap(curves),
                            config=config, seed=seed)
    row["n_seeds"] = len(curves)
    row["between_seed_sd"] = between_seed_sd(curves)[1]
    return row


@dataclass(frozen=True)
class Curve:
    key: dict
    step: np.ndarray
    y: np.ndarray
    resample: Resampler | None = None
    tokens: np.ndarray | None = None


def _analyze_chunk(args) -> pd.DataFrame:
    step, tokens, y, noise, config, seed = args
    return detect_curves(step, y, noise, tokens=tokens, config=config, seed=seed)


def analyze_curves(
    curves: Sequence[Curve], config: DetectionConfig = DetectionConfig(), seed: int = 0, n_jobs: int = 1,
    chunk_size: int = 25,
) -> pd.DataFrame:
    """Every curve's result row (its key columns first), in input order. Curves on the same step
    grid are batched; each curve's noise replicates are drawn here (rng seeded by (seed, index));
    `n_jobs` > 1 fits chunks of curves in worker processes. Add q-values with fdr.apply_fdr."""
    curves = list(curves)
    by_grid: dict = {}
    for i, curve in enumerate(curves):
        key = (np.asarray(curve.step, float).tobytes(),
               None if curve.tokens is None else np.asarray(curve.tokens, float).tobytes(),
               curve.resample is not None)
        by_grid.setdefault(key, []).append(i)
    tasks, order = [], []
    for members in by_grid.values():
        first = curves[members[0]]
        for start in range(0, len(members), chunk_size):
            chunk = members[start:start + chunk_size]
            y = np.stack([np.asarray(curves[i].y, float) for i in chunk])
            noise = None
            if first.resample is not None:
                noise = np.stack([centred_noise(curves[i].resample, np.random.default_rng([seed, i]), config.n_boot)
                                  for i in chunk])
            tasks.append((np.asarray(first.step, float), first.tokens, y, noise, config, seed + chunk[0]))
            order.append(chunk)
    if n_jobs > 1 and len(tasks) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(n_jobs) as pool:
            frames = pool.map(_analyze_chunk, tasks)
    else:
        frames = [_analyze_chunk(task) for task in tasks]
    rows = pd.concat([frame.assign(_order=chunk) for frame, chunk in zip(frames, order)])
    rows = rows.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    keys = pd.DataFrame([curve.key for curve in curves])
    return pd.concat([keys, rows], axis=1)
