"""Pooled hidden states of every task's texts at the requested layers, and their store."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {"Extractor": "engine", "write_activations": "extract", "load_task_features": "store"},
)
