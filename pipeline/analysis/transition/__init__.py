"""Is there a phase transition in a metric along pre-training, and where? (docs/methods.md)"""

from pipeline.analysis.transition.axis import Axis, make_axis
from pipeline.analysis.transition.bootstrap import (
    ExampleBootstrap,
    Resampler,
    bootstrap_locations,
    nanmean,
    percentile_ci,
    seed_bootstrap,
)
from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.detect import TransitionResult, detect_transition
from pipeline.analysis.transition.fits import ModelFit, fit_models, predict

__all__ = [
    "Axis",
    "DetectionConfig",
    "ExampleBootstrap",
    "ModelFit",
    "Resampler",
    "TransitionResult",
    "bootstrap_locations",
    "detect_transition",
    "fit_models",
    "make_axis",
    "nanmean",
    "percentile_ci",
    "predict",
    "seed_bootstrap",
]
