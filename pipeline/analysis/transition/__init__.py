"""Is there a phase transition in a metric along pre-training, and where? (docs/methods.md)"""

from pipeline.analysis.transition.axis import Axis, make_axis
from pipeline.analysis.transition.bootstrap import (
    ExampleBootstrap,
    Resampler,
    between_seed_sd,
    centred_noise,
    nanmean,
    percentile_ci,
    seed_bootstrap,
)
from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.detect import (
    VERDICTS,
    Curve,
    analyze_curves,
    detect_curves,
    detect_seed_curve,
    detect_transition,
    verdict,
)
from pipeline.analysis.transition.transition_models import transition_locations

__all__ = [
    "VERDICTS",
    "Axis",
    "Curve",
    "DetectionConfig",
    "ExampleBootstrap",
    "Resampler",
    "analyze_curves",
    "between_seed_sd",
    "centred_noise",
    "detect_curves",
    "detect_seed_curve",
    "detect_transition",
    "make_axis",
    "nanmean",
    "percentile_ci",
    "seed_bootstrap",
    "transition_locations",
    "verdict",
]
