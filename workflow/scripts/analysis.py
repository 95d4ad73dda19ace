from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import pandas as pd

from pipeline.analysis import write_analysis
from pipeline.analysis.quality import feature_loader
from pipeline.config import AnalysisConfig, MetricsConfig

revisions = list(map(tuple, snakemake.params.revisions))
predictions = dict(zip(revisions, snakemake.input.predictions, strict=True))
activations = dict(zip(revisions, snakemake.input.activations, strict=True))
tasks = dict(zip(snakemake.params.tasks, snakemake.input.tasks, strict=True))

with timed_work():
    write_analysis(
        snakemake.input.metrics,
        snakemake.input.integrity,
        lambda model, revision: pd.read_parquet(predictions[(model, revision)]),
        AnalysisConfig.from_mapping(snakemake.params.analysis),
        MetricsConfig.from_mapping(snakemake.params.metrics),
        snakemake.params.trajectories,
        snakemake.params.sizes,
        dict(snakemake.output.items()),
        n_jobs=snakemake.threads,
        features=feature_loader(activations, tasks, snakemake.params.pooling),
    )
