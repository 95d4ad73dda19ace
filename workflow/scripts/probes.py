from pipeline.joblog import redirect_output

redirect_output(snakemake.log[0])

from pipeline.evaluate import write_revision_metrics  # noqa: E402

write_revision_metrics(
    snakemake.input.activations,
    dict(zip(snakemake.params.tasks, snakemake.input.tasks)),
    dict(zip(snakemake.params.tasks, snakemake.input.weak)),
    snakemake.params.probes,
    snakemake.params.metrics,
    identity={
        "model": snakemake.wildcards.model,
        "revision": snakemake.wildcards.revision,
        "step": snakemake.params.step,
        "tokens": snakemake.params.tokens,
    },
    metrics_out=snakemake.output.metrics,
    predictions_out=snakemake.output.predictions,
)
