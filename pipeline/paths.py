"""Every output path of the workflow, built in one place.

Called without arguments, a function returns the Snakemake pattern with its wildcards;
called with values, the concrete path.
"""

from __future__ import annotations

RESULTS = "results"
LOGS = "logs"


def tiny_corpus() -> str:
    return f"{RESULTS}/tiny/corpus.parquet"


def tiny_task_documents() -> str:
    return f"{RESULTS}/tiny/task_documents.parquet"


def tiny_tokenizer() -> str:
    return f"{RESULTS}/tiny/tokenizer"


def tiny_checkpoints(model: str = "{model}") -> str:
    return f"{RESULTS}/checkpoints/{model}"


def tiny_losses(model: str = "{model}") -> str:
    return f"{RESULTS}/tiny/{model}_losses.csv"


def task_table(task: str = "{task}") -> str:
    return f"{RESULTS}/tasks/{task}.parquet"


def weak_labels(supervisor: str = "{supervisor}", task: str = "{task}") -> str:
    return f"{RESULTS}/weak/{supervisor}/{task}.parquet"


def download_record(model: str = "{model}", revision: str = "{revision}") -> str:
    """Where a downloaded hub checkpoint is, for the extraction that reads it (a temporary file)."""
    return f"{RESULTS}/downloaded/{model}/{revision}.json"


def activations(model: str = "{model}", revision: str = "{revision}") -> str:
    return f"{RESULTS}/activations/{model}/{revision}.safetensors"


def probe_metrics(model: str = "{model}", revision: str = "{revision}") -> str:
    return f"{RESULTS}/probes/{model}/{revision}.csv"


def probe_predictions(model: str = "{model}", revision: str = "{revision}") -> str:
    return f"{RESULTS}/probes/{model}/{revision}_predictions.parquet"


def metrics_table() -> str:
    return f"{RESULTS}/tables/metrics.csv"


def analysis_table(name: str) -> str:
    """transitions, correlations or lags."""
    return f"{RESULTS}/tables/{name}.csv"


def integrity_table() -> str:
    """Per revision: the fingerprint of its weights and the revision it duplicates, if any."""
    return f"{RESULTS}/tables/integrity.csv"


def adaptive_round(model: str = "{model}", round: str | int = "{round}") -> str:
    """One round of a model's adaptive schedule (JSON: its proposals, or why it stops)."""
    return f"{RESULTS}/adaptive/{model}/round{round}.json"


def adaptive_schedule(model: str = "{model}", name: str = "schedule", ext: str = "csv") -> str:
    """A model's adaptive schedule: `schedule` (per probed revision), `rounds` (per round) tables
    and the `rounds` figure."""
    return f"{RESULTS}/adaptive/{model}/{name}.{ext}"


def summary() -> str:
    return f"{RESULTS}/summary.md"


def figure(name: str = "{name}", ext: str = "png") -> str:
    return f"{RESULTS}/figures/{name}.{ext}"


def log(rule: str, *wildcards: str) -> str:
    return "/".join([LOGS, rule, *wildcards]) + ".log"


def job_stats(rule: str, *wildcards: str) -> str:
    """Snakemake's per-job record of wall time and memory (its `benchmark:` files)."""
    return "/".join([RESULTS, "job_stats", rule, *wildcards]) + ".tsv"


def synthetic_dir() -> str:
    return f"{RESULTS}/synthetic"


def synthetic_table(name: str) -> str:
    """One of `pipeline.synthetic.simulations.EXPERIMENTS`, or summary."""
    return f"{synthetic_dir()}/{name}.csv"


def synthetic_figure(name: str) -> str:
    return f"{synthetic_dir()}/figures/{name}.png"


def synthetic_adaptive_dir() -> str:
    return f"{RESULTS}/synthetic_adaptive"


def synthetic_adaptive_table(name: str) -> str:
    """`adaptive_n` (one row per method: adaptive, full) or `rounds` (one row per simulated N)."""
    return f"{synthetic_adaptive_dir()}/{name}.csv"


def synthetic_adaptive_figure() -> str:
    return f"{synthetic_adaptive_dir()}/figures/adaptive_n.png"


def synthetic_scaling_dir() -> str:
    return f"{RESULTS}/synthetic_scaling"


def synthetic_scaling_table(name: str) -> str:
    """`scaling` (per d, κ, seed and N) or `widths` (per d, κ and criterion)."""
    return f"{synthetic_scaling_dir()}/{name}.csv"


def synthetic_scaling_figure() -> str:
    return f"{synthetic_scaling_dir()}/figures/scaling.png"
