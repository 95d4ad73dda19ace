"""Along pre-training: transition verdicts, the link to linear-representation quality, the
summary and the figures."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {"detect_transition": "transition", "write_analysis": "job", "write_figures": "figures"},
)
