"""Synthetic branch: pre-training as a warm start for weak-to-strong generalization in a
single-index model on spiked Gaussian data (see docs/synthetic.md).

model → dynamics → simulations → claims → figures → run."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "run_synthetic": "run",
        "SyntheticConfig": "config",
        "summary": "claims",
        "CLAIMS": "claims",
        "EXPERIMENTS": "simulations",
    },
)
