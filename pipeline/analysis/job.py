"""The analysis job: transition verdicts, the linear-representation link, and a plain summary."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import pandas as pd

from pipeline.analysis.curves import Loader, analyze_curves, example_curves, exclusion_mask
from pipeline.analysis.quality import add_gold_dprime, correlation_table, lag_table
from pipeline.analysis.summary import AnalysisResults, summary_markdown
from pipeline.analysis.transition import DetectionConfig
from pipeline.checkpoints.integrity import flagged_revisions
from pipeline.config import AnalysisConfig
from pipeline.io import write_table, write_text


def detection_config(settings: AnalysisConfig) -> DetectionConfig:
    return DetectionConfig(axis=settings.axis, min_delta_bic=settings.min_delta_bic, n_boot=settings.n_boot)


def excluded_revisions(
    metrics: pd.DataFrame, settings: AnalysisConfig, integrity: pd.DataFrame
) -> dict[str, list[str]]:
    """{model: revisions left out of the fits}: `exclude_revisions` for every model, and the
    revisions the integrity pre-flight flagged unless `exclude_duplicates` is false."""
    duplicates = flagged_revisions(integrity) if settings.exclude_duplicates else {}
    return {m: sorted({*settings.exclude_revisions, *duplicates.get(m, [])}) for m in metrics["model"].unique()}


def run_analysis(
    metrics: pd.DataFrame, predictions: Loader, settings: AnalysisConfig, min_margin: float, integrity: pd.DataFrame
) -> AnalysisResults:
    """Transitions of gain and PGR, ρ(quality, gain) and the lag of the two transitions."""
    predictions = functools.cache(predictions)  # each revision's table serves three analyses
    config = detection_config(settings)
    exclude = excluded_revisions(metrics, settings, integrity)
    metrics = add_gold_dprime(metrics, predictions)
    kept = metrics[~exclusion_mask(metrics, exclude)]
    transitions = analyze_curves(
        example_curves(kept, ("gain", "pgr"), predictions, min_margin), config, settings.min_effect
    )
    correlations = correlation_table(metrics, exclude_revisions=exclude, n_boot=2000, n_perm=2000)
    lags = lag_table(
        metrics, predictions, exclude_revisions=exclude, quality_min_effect=settings.min_effect, config=config
    )
    flagged = integrity[integrity["flag"].notna()]
    flags = {(row.model, row.revision): f"{row.flag}; kept {row.duplicate_of}" for row in flagged.itertuples()}
    return AnalysisResults(transitions, correlations, lags, metrics, exclude, flags)


def write_analysis(
    metrics_path: str,
    integrity_path: str,
    predictions: Loader,
    settings: AnalysisConfig,
    min_margin: float,
    outputs: Mapping[str, str],
) -> None:
    """Write the transitions, correlations and lags tables and the summary."""
    integrity = pd.read_csv(integrity_path, dtype={"flag": str, "duplicate_of": str, "reason": str})
    results = run_analysis(pd.read_csv(metrics_path), predictions, settings, min_margin, integrity)
    for name in ("transitions", "correlations", "lags"):
        write_table(getattr(results, name), outputs[name])
    write_text(summary_markdown(results), outputs["summary"])
