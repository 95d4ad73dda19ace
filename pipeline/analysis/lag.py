"""Lag between the transitions of linear-representation quality and of the gain: x(gain) −
x(quality) in decades, with a paired bootstrap over test examples (the same resampled examples for
both curves, so their shared noise cancels in the difference). The probe qualities are resampled
through the stored predictions; RankMe and α-ReQ through the test features, whose weighted
spectrum is computed under each replicate's example weights."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from pipeline.analysis.curves import Loader, example_samplers, exclusion_mask, select_predictions, tokens_of
from pipeline.analysis.quality import PROBE_QUALITIES, QUALITIES, FeatureLoader, dprime_curves
from pipeline.analysis.transition import (
    DetectionConfig,
    detect_transition,
    make_axis,
    percentile_ci,
    transition_locations,
)
from pipeline.config import MetricsConfig
from pipeline.probing.spectrum import SPECTRAL_QUALITIES, spectral_replicates


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
    axis = make_axis(step[keep], tokens, config.axis)
    curves = {"quality": (quality[keep], quality_boot[:, keep]), "gain": (gain[keep], gain_boot[:, keep])}
    configs = {"quality": quality_config or config, "gain": config}
    results, located = {}, {}
    for name, (observed, boot) in curves.items():
        # the replicates are given: the resampler hands them over whatever the rng
        results[name] = detect_transition(
            step[keep], observed, tokens=tokens, resample=lambda rng, n, b=boot: b, config=configs[name]
        )
        located[name] = transition_locations(axis.x, boot, configs[name])
    # a curve too short to fit has no estimates: NaN
    q, g = (dict.fromkeys(("sigmoid_x", "breakpoint_x"), math.nan) | results[name] for name in ("quality", "gain"))
    lag_ci = percentile_ci(located["gain"]["x0"] - located["quality"]["x0"], config.ci_level)
    bp_ci = percentile_ci(located["gain"]["breakpoint"] - located["quality"]["breakpoint"], config.ci_level)
    to_step = [float(v) for v in axis.to_step(np.array([q["sigmoid_x"], g["sigmoid_x"], q["breakpoint_x"],
                                                          g["breakpoint_x"]]))]
    return Lag(
        quality_verdict=q["verdict"], gain_verdict=g["verdict"],
        quality_step=to_step[0], gain_step=to_step[1],
        lag_x=g["sigmoid_x"] - q["sigmoid_x"], lag_x_lo=lag_ci[0], lag_x_hi=lag_ci[1],
        quality_breakpoint_step=to_step[2], gain_breakpoint_step=to_step[3],
        breakpoint_lag_x=g["breakpoint_x"] - q["breakpoint_x"], breakpoint_lag_x_lo=bp_ci[0],
        breakpoint_lag_x_hi=bp_ci[1],
    )


def lag_table(
    table: pd.DataFrame,
    predictions: Loader,
    *,
    features: FeatureLoader | None = None,
    qualities: Sequence[str] | None = None,
    gain: str = "gain",
    metrics: MetricsConfig | None = None,
    exclude_revisions: Collection[str] | Mapping[str, Collection[str]] = (),
    quality_min_effect: Mapping[str, float] | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> pd.DataFrame:
    """Lag between the quality and gain transitions per (model, probe setting, quality), with a
    paired bootstrap over test examples. `qualities` defaults to every quality where `features`
    (the test features, for RankMe and α-ReQ) is given and to the probe qualities otherwise.
    `metrics` (the margin rule) is needed when `gain` is "pgr"; `quality_min_effect` sets each
    quality's minimum effect (d′ is on another scale than accuracy)."""
    if qualities is None:
        qualities = QUALITIES if features is not None else PROBE_QUALITIES
    unknown = sorted(set(qualities) - set(QUALITIES))
    if unknown:
        raise ValueError(f"unknown qualities {unknown}; known: {list(QUALITIES)}")
    if features is None and set(qualities) & set(SPECTRAL_QUALITIES):
        raise ValueError(f"{sorted(SPECTRAL_QUALITIES)} need the test features: pass `features`")
    table = table[~exclusion_mask(table, exclude_revisions)]
    spectra: dict[tuple, dict[str, np.ndarray]] = {}  # per (model, task, layer, revisions): no supervisor in it
    rows = []
    for key, group, sampler in example_samplers(table, predictions, metrics):
        # row 0: the observed sample; the other rows: paired resamples shared by every curve (and,
        # with the seed fixed, by every probe setting of the same examples)
        weights = np.vstack([sampler.observed(), sampler.weights(np.random.default_rng(seed), config.n_boot)])
        gain_curves = sampler.curves(gain, weights)
        tokens = tokens_of(group)
        for quality in qualities:
            if quality == "gold_dprime":
                quality_curves = dprime_curves(sampler.probs["gold"], sampler.label, weights)
            elif quality in SPECTRAL_QUALITIES:
                quality_curves = _spectral_curves(spectra, key, group, predictions, features, weights)[quality]
            else:
                quality_curves = sampler.curves(quality, weights)
            min_effect = (quality_min_effect or {}).get(quality, config.min_effect)
            lag = transition_lag(
                group["step"].to_numpy(), quality_curves[0], gain_curves[0], quality_curves[1:], gain_curves[1:],
                tokens=tokens, config=config, quality_config=replace(config, min_effect=min_effect),
            )
            rows.append({**key, "quality": quality, **asdict(lag)})
    return pd.DataFrame(rows)


def _spectral_curves(
    cache: dict[tuple, dict[str, np.ndarray]],
    key: Mapping[str, object],
    group: pd.DataFrame,
    predictions: Loader,
    features: FeatureLoader,
    weights: np.ndarray,
) -> dict[str, np.ndarray]:
    """{rankme, alpha_req}: arrays (rows of weights, revisions) of the test features' spectra."""
    revisions = tuple(group["revision"])
    cache_key = (key["model"], key["task"], key["layer"], revisions, weights.shape)
    if cache_key not in cache:
        ids = select_predictions(predictions(key["model"], revisions[0]), key)["id"].tolist()
        per_revision = [
            spectral_replicates(features(key["model"], revision, key["task"], int(key["layer"]), ids), weights)
            for revision in revisions
        ]
        cache[cache_key] = {name: np.stack([r[name] for r in per_revision], axis=1) for name in SPECTRAL_QUALITIES}
    return cache[cache_key]
