"""Curves along pre-training, built from the metrics table and the stored test predictions, and
judged by the transition detector."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline.analysis.fdr import apply_fdr
from pipeline.analysis.transition import (
    Curve,
    DetectionConfig,
    ExampleBootstrap,
    analyze_curves,
    between_seed_sd,
    nanmean,
    seed_bootstrap,
)
from pipeline.config import MetricsConfig

PROBE = ["task", "layer", "supervisor", "method"]
"""A probe setting within a model: task, layer, weak supervisor and W2S objective."""
KEY = ["model", *PROBE]
"""A curve along one model's pre-training."""
PGRS = ("pgr", "pgr_auroc")
ESTIMATES = ("p_change", "p_transition", "p_dip", "step", "step_lo", "step_hi", "tokens", "width_x", "width_x_hi",
             "level_before", "level_after", "between_seed_sd")
Loader = Callable[[str, str], pd.DataFrame]
"""(model, revision) -> that revision's predictions table (id, label, p_weak, p_w2s, p_gold, and PROBE)."""


def exclusion_mask(table: pd.DataFrame, exclude: Collection[str] | Mapping[str, Collection[str]]) -> pd.Series:
    """Rows of excluded revisions: names for every model, or {model: names}."""
    if isinstance(exclude, Mapping):
        pairs = {(model, revision) for model, revisions in exclude.items() for revision in revisions}
        return pd.Series([pair in pairs for pair in zip(table["model"], table["revision"])], index=table.index)
    return table["revision"].isin(list(exclude))


def tokens_of(group: pd.DataFrame) -> np.ndarray | None:
    """The group's token counts, or None where any is missing."""
    tokens = pd.to_numeric(group["tokens"], errors="coerce") if "tokens" in group else None
    return None if tokens is None or tokens.isna().any() else tokens.to_numpy(float)


def select_predictions(predictions: pd.DataFrame, probe: Mapping[str, object]) -> pd.DataFrame:
    """One probe setting's rows of a revision's predictions table (`probe`: a value per PROBE column)."""
    chosen = np.logical_and.reduce([predictions[column] == probe[column] for column in PROBE])
    return predictions[chosen].reset_index(drop=True)


def example_samplers(
    table: pd.DataFrame, predictions: Loader, metrics: MetricsConfig | None
) -> Iterator[tuple[dict[str, object], pd.DataFrame, ExampleBootstrap]]:
    """Per KEY (model and probe setting): its values, its rows in step order and the bootstrap
    over its test examples."""
    for values, group in table.groupby(KEY, sort=True):
        key = dict(zip(KEY, values, strict=True))
        group = group.sort_values("step")
        tables = [select_predictions(predictions(key["model"], revision), key) for revision in group["revision"]]
        yield key, group, ExampleBootstrap.from_predictions(tables, metrics)


def example_curves(
    table: pd.DataFrame, names: Sequence[str], predictions: Loader, metrics: MetricsConfig | None
) -> Iterator[Curve]:
    """Curves of `names` (metrics-table columns) per KEY, resampled over test examples. `metrics`
    is the run's PGR margin rule, re-applied in each replicate; the predictions must reproduce the
    table's values (NaN positions included)."""
    for probe, group, sampler in example_samplers(table, predictions, metrics):
        for name in names:
            y = group[name].to_numpy(float)
            _check_consistent(y, sampler.curves(name, sampler.observed())[0], (*probe.values(), name))
            key = {**probe, "metric": name, "unit": "examples"}
            yield Curve(key, group["step"].to_numpy(float), y, sampler.resampler(name), tokens_of(group))


def _check_consistent(table_values: np.ndarray, recomputed: np.ndarray, key: tuple) -> None:
    # NaN positions must agree too: the PGR of the table is the curve analysed
    same = np.isclose(table_values, recomputed, atol=1e-9, equal_nan=True)
    if not same.all():
        raise ValueError(f"{key}: the predictions do not reproduce the metrics table; are they of the same run?")


def seed_curves(
    table: pd.DataFrame, names: Sequence[str], trajectories: Mapping[str, Sequence[str]]
) -> Iterator[Curve]:
    """Curves of `names` per trajectory and probe setting (PROBE) for trajectories of several seeds: the mean
    over the seeds at the steps every seed has, resampled over seeds (the seed is the unit).
    PGR's seed mean is the ratio of the seeds' mean gaps, not the mean of their ratios."""
    for name, models in trajectories.items():
        members = table[table["model"].isin(models)]
        if len(models) < 2 or members.empty:
            continue
        for values, group in members.groupby(PROBE, sort=True):
            complete = group.groupby("step")["model"].nunique() == len(models)  # steps every seed has
            group = group[group["step"].map(complete)]
            by_step = group.groupby("step").first()
            for metric in names:
                per_seed = _per_seed(group, metric, models)
                y = _seed_mean(group, metric, models) if metric in PGRS else nanmean(per_seed, axis=0)
                key = {"model": name, **dict(zip(PROBE, values, strict=True)), "metric": metric, "unit": "seeds",
                       "n_seeds": len(models), "between_seed_sd": between_seed_sd(per_seed)[1]}
                yield Curve(key, by_step.index.to_numpy(float), y, seed_bootstrap(per_seed), tokens_of(by_step))


def _per_seed(group: pd.DataFrame, metric: str, models: Sequence[str]) -> np.ndarray:
    return group.pivot(index="step", columns="model", values=metric)[list(models)].to_numpy(float).T


def _seed_mean(group: pd.DataFrame, metric: str, models: Sequence[str]) -> np.ndarray:
    """PGR of the seed means, (mean W2S − mean weak) / (mean gold − mean weak), where every seed's
    PGR passed its margin rule (NaN elsewhere)."""
    score = "auroc" if metric.endswith("auroc") else "acc"
    mean = {k: _per_seed(group, f"{k}_{score}", models).mean(0) for k in ("weak", "w2s", "gold")}
    held = np.isfinite(_per_seed(group, metric, models)).all(0)
    ratio = (mean["w2s"] - mean["weak"]) / np.where(held, mean["gold"] - mean["weak"], 1.0)
    return np.where(held, ratio, np.nan)


def analyze(
    curves: Iterable[Curve],
    config: DetectionConfig,
    min_effect: Mapping[str, float] | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """One row per curve: its key, the detector's verdict and estimates, and BH q-values over all
    curves of the table (`verdict_fdr`). `min_effect` overrides `config.min_effect` per metric
    (PGR, accuracy and d′ are on different scales). A PGR curve missing at any revision (its
    margin rule failed there) is not fit: the gaps are informative (they sit where gold ≈ weak)."""
    def config_of(curve: Mapping) -> DetectionConfig:
        return replace(config, min_effect=(min_effect or {}).get(curve["metric"], config.min_effect))

    by_metric: dict[str, list[Curve]] = {}
    gapped = []
    for curve in curves:
        if curve.key["metric"] in PGRS and not np.isfinite(curve.y).all():
            gapped.append(curve)
        else:
            by_metric.setdefault(curve.key["metric"], []).append(curve)
    frames = [analyze_curves(group, config_of(group[0].key), n_jobs=n_jobs) for group in by_metric.values()]
    frames.append(pd.DataFrame([
        {**c.key, "verdict": "inconclusive", "reason": f"PGR undefined at {int((~np.isfinite(c.y)).sum())} of "
         f"{len(c.y)} revisions: not fit", "n_points": int(np.isfinite(c.y).sum())}
        for c in gapped
    ]))
    table = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    # curves too short to fit carry no estimates; the table keeps every column all the same
    table = table.reindex(columns=[*table.columns, *(c for c in ESTIMATES if c not in table)])
    return apply_fdr(table, config_of).sort_values(["unit", *KEY, "metric"], kind="stable", ignore_index=True)
