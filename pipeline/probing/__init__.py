"""Linear probes on stored activations: the weak supervisor, gold and weak-to-strong probes,
their metrics, and the run's metrics table."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "LogisticProbe": "logistic",
        "fit_probes": "logistic",
        "write_weak_labels": "weak_supervisor",
        "write_probe_results": "probes",
        "write_metrics_table": "metrics_table",
    },
)
