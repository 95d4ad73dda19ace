"""The analysis job: transition verdicts, the linear-representation link, and a plain summary."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from pipeline.analysis.correlation import correlation_table
from pipeline.analysis.curves import Loader, analyze, example_curves, exclusion_mask, seed_curves
from pipeline.analysis.intervals import revision_intervals
from pipeline.analysis.lag import lag_table
from pipeline.analysis.quality import FeatureLoader, add_gold_dprime
from pipeline.analysis.saturation import plateau_table, saturation_order
from pipeline.analysis.scaling import scaling_table
from pipeline.analysis.summary import AnalysisResults, summary_markdown
from pipeline.analysis.transition import DetectionConfig
from pipeline.checkpoints.integrity import flagged_revisions, read_integrity_table
from pipeline.config import AnalysisConfig, MetricsConfig
from pipeline.io import write_table, write_text

CURVES = ("gain", "pgr", "gain_auroc", "pgr_auroc")


def detection_config(settings: AnalysisConfig) -> DetectionConfig:
    return DetectionConfig(axis=settings.axis, alpha=settings.alpha, n_boot=settings.n_boot)


def excluded_revisions(
    models: Iterable[str], settings: AnalysisConfig, integrity: pd.DataFrame
) -> dict[str, list[str]]:
    """{model: revisions left out of the fits}: `exclude_revisions` for every model, and the
    revisions the integrity pre-flight flagged unless `exclude_duplicates` is false."""
    duplicates = flagged_revisions(integrity) if settings.exclude_duplicates else {}
    return {m: sorted({*settings.exclude_revisions, *duplicates.get(m, [])}) for m in models}


def run_analysis(
    metrics: pd.DataFrame,
    predictions: Loader,
    settings: AnalysisConfig,
    margin_rule: MetricsConfig,
    integrity: pd.DataFrame,
    trajectories: Mapping[str, Sequence[str]],
    sizes: Mapping[str, float],
    n_jobs: int = 1,
    features: FeatureLoader | None = None,
) -> AnalysisResults:
    """Transition verdicts of the W2S curves (per model over test examples, and per trajectory of
    several seeds over seeds), their scaling with model size, the differenced correlation of
    quality and outcome, the lag of their transitions, every revision's bootstrap intervals, and
    each weak supervisor's late plateau. `features` (the revisions' test features) puts RankMe and
    α-ReQ in the lag analysis."""
    predictions = functools.cache(predictions)  # each revision's table serves every analysis
    config = detection_config(settings)
    exclude = excluded_revisions(metrics["model"].unique(), settings, integrity)
    metrics = add_gold_dprime(metrics, predictions)
    kept = metrics[~exclusion_mask(metrics, exclude)]
    curves = [*example_curves(kept, CURVES, predictions, margin_rule), *seed_curves(kept, CURVES, trajectories)]
    transitions = analyze(curves, config, settings.min_effect, n_jobs)
    correlations = correlation_table(kept, predictions, margin_rule, trajectories=trajectories,
                                     test=settings.correlation_test)
    lags = lag_table(kept, predictions, features=features, quality_min_effect=settings.min_effect, config=config)
    intervals = revision_intervals(metrics, predictions, margin_rule, settings.n_boot)
    plateaus = plateau_table(kept, predictions, margin_rule, settings.plateau_revisions, settings.n_boot)
    flagged = integrity[integrity["flag"].notna()]
    flags = {(row.model, row.revision): f"{row.flag}; kept {row.duplicate_of}" for row in flagged.itertuples()}
    return AnalysisResults(transitions, correlations, lags, scaling_table(transitions, sizes), intervals, plateaus,
                           saturation_order(plateaus), metrics, exclude, flags)


def write_analysis(
    metrics_path: str,
    integrity_path: str,
    predictions: Loader,
    settings: AnalysisConfig,
    margin_rule: MetricsConfig,
    trajectories: Mapping[str, Sequence[str]],
    sizes: Mapping[str, float],
    outputs: Mapping[str, str],
    n_jobs: int = 1,
    features: FeatureLoader | None = None,
) -> None:
    """Write the transitions, correlations, lags, scaling, intervals, plateaus and saturation
    tables and the summary."""
    integrity = read_integrity_table(integrity_path)
    results = run_analysis(pd.read_csv(metrics_path), predictions, settings, margin_rule, integrity, trajectories,
                           sizes, n_jobs, features)
    for name in ("transitions", "correlations", "lags", "scaling", "intervals", "plateaus", "saturation"):
        write_table(getattr(results, name), outputs[name])
    write_text(summary_markdown(results), outputs["summary"])
