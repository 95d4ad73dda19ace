from pipeline.joblog import as_list, redirect_output, timed_work

redirect_output(snakemake.log[0])

import itertools

from threadpoolctl import threadpool_limits

from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.probing import write_probe_results

outputs = zip(
    snakemake.params.revisions,
    as_list(snakemake.input.activations),
    as_list(snakemake.output.metrics),
    as_list(snakemake.output.predictions),
    strict=True,
)
with threadpool_limits(snakemake.threads), timed_work():  # BLAS would take every core
    for revision, activations, metrics_out, predictions_out in outputs:
        write_probe_results(
            activations,
            dict(zip(snakemake.params.tasks, snakemake.input.tasks)),
            dict(zip(itertools.product(snakemake.params.supervisors, snakemake.params.tasks), snakemake.input.weak,
                     strict=True)),
            ProbeConfig.from_mapping(snakemake.params.probes),
            MetricsConfig.from_mapping(snakemake.params.metrics),
            identity={
                "model": snakemake.params.model,
                "revision": revision.name,
                "step": revision.step,
                "tokens": revision.tokens,
            },
            metrics_out=metrics_out,
            predictions_out=predictions_out,
        )
