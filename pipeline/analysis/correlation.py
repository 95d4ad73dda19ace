"""Association of two metric curves along training that does not count a shared trend.

Both curves of a pair trend with training, so a correlation of their levels across revisions is
mostly the shared trend: two independent random walks of length 19 have |Spearman ρ| "significant"
at 5 % far more often than 5 % under a permutation of the levels (benchmarks/detector.py: ~42 %). This module
correlates their FIRST DIFFERENCES (the changes between consecutive checkpoints), with

  test="permutation"  p from permuting one series' differences: exact when the differences of at
                      least one series are exchangeable, as for a random walk (5.0 % ± 2 % in
                      benchmarks/detector.py). Caveat: white noise around a smooth trend has MA(1) differences
                      (lag-1 autocorrelation −0.5) in both series, which inflates Var(ρ) by about
                      1 + 2·0.25 and the false-positive rate to ~10 %; use test="neff" there.
  test="neff"         Pearson r of the differences, t-test with an effective sample size
                      1/n_eff = (1/m)(1 + 2 Σ_{k=1..K} ρ_a(k) ρ_b(k)) (Bartlett; Pyper & Peterman
                      1998), K = m // 4, ρ the sample autocorrelations of the differences.
Missing points (NaN in either series) are dropped before differencing.

`correlation_table` applies it to linear-representation quality and the weak-to-strong outcome,
each measured on its own half of the test examples (so the test set's sampling noise, shared by
every probe of a revision, cannot correlate them), per model and per trajectory of several seeds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.analysis.curves import PROBE, Loader, example_samplers, exclusion_mask
from pipeline.analysis.quality import QUALITIES, dprime_curves
from pipeline.config import MetricsConfig

OUTCOMES = ("pgr", "w2s_residual")


def _ranks(v: np.ndarray) -> np.ndarray:
    return stats.rankdata(v, axis=-1)


def _standardise(v: np.ndarray) -> np.ndarray:
    v = v - v.mean(-1, keepdims=True)
    norm = np.sqrt((v * v).sum(-1, keepdims=True))
    return v / np.where(norm > 0, norm, np.nan)


def diff_correlations(
    a: np.ndarray, b: np.ndarray, *, method: str = "spearman", test: str = "permutation", n_perm: int = 1999,
    rng: np.random.Generator | None = None, chunk: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """ρ (or r) of the first differences of each pair of rows of a, b (P, n), no missing points,
    and the two-sided p-value: (P,), (P,). Permutations are shared by all pairs of a call."""
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    da, db = np.diff(a, axis=1), np.diff(b, axis=1)
    m = da.shape[1]
    if method == "spearman":
        da, db = _ranks(da), _ranks(db)
    elif method != "pearson":
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    za, zb = _standardise(da), _standardise(db)
    rho = (za * zb).sum(1)
    if test == "permutation":
        rng = rng or np.random.default_rng(0)
        perms = np.argsort(rng.random((n_perm, m)), axis=1)
        exceed = np.zeros(len(rho))
        for start in range(0, len(rho), chunk):
            sl = slice(start, start + chunk)
            permuted = zb[sl][:, perms]  # (p, n_perm, m)
            null = np.einsum("pm,pkm->pk", za[sl], permuted)
            exceed[sl] = (np.abs(null) >= np.abs(rho[sl, None]) - 1e-12).sum(1)
        return rho, (1 + exceed) / (1 + n_perm)
    if test == "neff":
        lags = max(1, m // 4)
        ca, cb = da - da.mean(1, keepdims=True), db - db.mean(1, keepdims=True)

        def acf(c: np.ndarray, k: int) -> np.ndarray:
            return (c[:, k:] * c[:, :-k]).sum(1) / (c * c).sum(1)

        inflation = 1 + 2 * sum(((m - k) / m) * acf(ca, k) * acf(cb, k) for k in range(1, lags + 1))
        n_eff = np.clip(m / np.maximum(inflation, 1e-9), 3, m)
        t = rho * np.sqrt((n_eff - 2) / np.maximum(1 - rho**2, 1e-12))
        return rho, 2 * stats.t.sf(np.abs(t), n_eff - 2)
    raise ValueError(f"test must be 'permutation' or 'neff', got {test!r}")


def diff_correlation(a: np.ndarray, b: np.ndarray, **kwargs) -> tuple[float, float]:
    """One pair of series (NaN in either dropped first): (ρ of first differences, p)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 4:
        return np.nan, np.nan
    rho, p = diff_correlations(a[keep][None], b[keep][None], **kwargs)
    return float(rho[0]), float(p[0])


def level_correlations(a: np.ndarray, b: np.ndarray, n_perm: int = 1999, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Spearman ρ of the levels with a plain permutation p: the test that counts a shared trend (for the benchmark)."""
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    rng = rng or np.random.default_rng(0)
    za, zb = _standardise(_ranks(a)), _standardise(_ranks(b))
    rho = (za * zb).sum(1)
    perms = np.argsort(rng.random((n_perm, a.shape[1])), axis=1)
    null = np.einsum("pm,pkm->pk", za, zb[:, perms])
    return rho, (1 + (np.abs(null) >= np.abs(rho[:, None]) - 1e-12).sum(1)) / (1 + n_perm)


def _halves(n: int) -> np.ndarray:
    """Weights (2, n) of two disjoint halves of the test examples (alternating in the table's id order)."""
    first = np.arange(n) % 2 == 0
    return np.stack([first / first.sum(), ~first / (~first).sum()])


def _residual(w2s: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """W2S accuracy minus its least-squares fit on gold accuracy across revisions."""
    design = np.column_stack([np.ones_like(gold), gold])
    coef, *_ = np.linalg.lstsq(design, w2s, rcond=None)
    return w2s - design @ coef


def quality_outcome_curves(
    table: pd.DataFrame, predictions: Loader, metrics: MetricsConfig
) -> pd.DataFrame:
    """Per KEY (model and probe setting) and revision: each quality on the first half of the test examples
    and each outcome (PGR, W2S's residual on gold) on the second half."""
    frames = []
    for key, group, sampler in example_samplers(table, predictions, metrics):
        first, second = _halves(sampler.n_examples)
        half = sampler.n_examples // 2
        values = {
            "gold_acc": sampler.curves("gold_acc", first[None])[0],
            "gold_dprime": dprime_curves(sampler.probs["gold"], sampler.label, first[None])[0],
            # label-free, so all test examples: no label noise is shared with the outcome's half
            "rankme": group["rankme"].to_numpy(float),
            "alpha_req": group["alpha_req"].to_numpy(float),
            "pgr": sampler.curves("pgr", second[None], half)[0],
            "w2s_residual": _residual(sampler.curves("w2s_acc", second[None])[0],
                                      sampler.curves("gold_acc", second[None])[0]),
        }
        frames.append(pd.DataFrame({**key, "step": group["step"].to_numpy(), **values}))
    return pd.concat(frames, ignore_index=True)


def correlation_table(
    table: pd.DataFrame,
    predictions: Loader,
    metrics: MetricsConfig,
    *,
    trajectories: Mapping[str, Sequence[str]] | None = None,
    exclude_revisions: Collection[str] | Mapping[str, Collection[str]] = (),
    test: str = "permutation",
) -> pd.DataFrame:
    """ρ of the first differences of quality (first half) and outcome (second half) with its p,
    per (model or trajectory, probe setting, quality, outcome). A trajectory's curves are its seeds'
    means at the steps every seed has (`unit` says which)."""
    curves = quality_outcome_curves(table[~exclusion_mask(table, exclude_revisions)], predictions, metrics)
    units = [("model", model, [model]) for model in sorted(curves["model"].unique())]
    units += [("seeds", name, models) for name, models in (trajectories or {}).items() if len(models) > 1]
    rows = []
    for unit, name, models in units:
        members = curves[curves["model"].isin(models)]
        for values, group in members.groupby(PROBE, sort=True):
            complete = group.groupby("step")["model"].nunique() == len(models)
            mean = group[group["step"].map(complete)].groupby("step").mean(numeric_only=True)
            for quality in QUALITIES:
                for outcome in OUTCOMES:
                    rho, p = diff_correlation(mean[quality].to_numpy(), mean[outcome].to_numpy(), test=test)
                    n = int((mean[quality].notna() & mean[outcome].notna()).sum())
                    rows.append({"unit": unit, "model": name, **dict(zip(PROBE, values, strict=True)),
                                 "quality": quality, "outcome": outcome, "rho_diff": rho, "p_value": p, "n": n})
    return pd.DataFrame(rows)
