"""Curves along pre-training, built from the metrics table and the stored test predictions, and
judged by the transition detector."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from pipeline.analysis.transition import (
    DetectionConfig,
    ExampleBootstrap,
    Resampler,
    detect_transition,
    nanmean,
    seed_bootstrap,
)

KEY = ["model", "task", "layer"]
Loader = Callable[[str, str], pd.DataFrame]
"""(model, revision) -> that revision's predictions table (id, label, p_weak, p_w2s, p_gold, task, layer)."""


@dataclass(frozen=True)
class Curve:
    """One metric along one trajectory, with the resampler of its uncertainty."""

    key: tuple  # (model, task, layer, metric)
    step: np.ndarray
    tokens: np.ndarray | None
    y: np.ndarray
    resample: Resampler


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


def select_predictions(predictions: pd.DataFrame, task: str, layer: int) -> pd.DataFrame:
    """One (task, layer)'s rows of a revision's predictions table."""
    chosen = predictions[(predictions["task"] == task) & (predictions["layer"] == layer)]
    return chosen.reset_index(drop=True)


def example_samplers(
    table: pd.DataFrame, predictions: Loader, min_margin: float
) -> Iterator[tuple[tuple, pd.DataFrame, ExampleBootstrap]]:
    """Per (model, task, layer): its key, its rows in step order and the bootstrap over its test examples."""
    for key, group in table.groupby(KEY, sort=True):
        model, task, layer = key
        group = group.sort_values("step")
        tables = [select_predictions(predictions(model, revision), task, layer) for revision in group["revision"]]
        yield key, group, ExampleBootstrap.from_predictions(tables, min_margin)


def example_curves(
    table: pd.DataFrame, metrics: Sequence[str], predictions: Loader, min_margin: float
) -> Iterator[Curve]:
    """Curves of `metrics` per (model, task, layer), resampled over test examples.

    `min_margin` is the run's PGR margin rule, re-applied in each replicate; the predictions must
    reproduce the table's values (NaN positions included).
    """
    for key, group, sampler in example_samplers(table, predictions, min_margin):
        for metric in metrics:
            y = group[metric].to_numpy(float)
            _check_consistent(y, sampler.curves(metric, sampler.observed())[0], (*key, metric))
            yield Curve((*key, metric), group["step"].to_numpy(), tokens_of(group), y, sampler.resampler(metric))


def _check_consistent(table_values: np.ndarray, recomputed: np.ndarray, key: tuple) -> None:
    # NaN positions must agree too: the PGR of the table is the curve analysed
    same = np.isclose(table_values, recomputed, atol=1e-9, equal_nan=True)
    if not same.all():
        raise ValueError(f"{key}: the predictions do not reproduce the metrics table; are they of the same run?")


def seed_curves(
    table: pd.DataFrame, metrics: Sequence[str], seed_groups: Mapping[str, Sequence[str]]
) -> Iterator[Curve]:
    """Curves of `metrics` per (group, task, layer): the mean over the group's seed models at the
    steps every seed has, resampled over seeds."""
    for name, models in seed_groups.items():
        members = table[table["model"].isin(models)]
        for (task, layer), group in members.groupby(["task", "layer"], sort=True):
            complete = group.groupby("step")["model"].nunique() == len(models)  # steps every seed has
            group = group[group["step"].map(complete)]
            by_step = group.groupby("step").first()
            for metric in metrics:
                per_seed = group.pivot(index="step", columns="model", values=metric)[list(models)].to_numpy(float).T
                yield Curve(
                    (name, task, layer, metric), by_step.index.to_numpy(), tokens_of(by_step),
                    nanmean(per_seed, axis=0), seed_bootstrap(per_seed),
                )


def analyze_curves(
    curves: Iterator[Curve],
    config: DetectionConfig = DetectionConfig(),
    min_effect: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row of `TransitionResult` per curve, led by model, task, layer and metric.

    `min_effect` overrides `config.min_effect` per metric (PGR and gain are on different scales).
    """
    rows = []
    for curve in curves:
        model, task, layer, metric = curve.key
        metric_config = replace(config, min_effect=(min_effect or {}).get(metric, config.min_effect))
        result = detect_transition(
            curve.step, curve.y, tokens=curve.tokens, resample=curve.resample, config=metric_config, seed=seed
        )
        rows.append({"model": model, "task": task, "layer": layer, "metric": metric, **asdict(result)})
    return pd.DataFrame(rows)
