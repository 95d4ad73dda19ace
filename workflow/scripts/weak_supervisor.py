from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from threadpoolctl import threadpool_limits

from pipeline.config import ProbeConfig, WeakSupervisorConfig
from pipeline.probing import write_weak_labels

with threadpool_limits(snakemake.threads), timed_work():  # BLAS would take every core
    write_weak_labels(
        snakemake.wildcards.task,
        snakemake.input.task,
        WeakSupervisorConfig.from_mapping(snakemake.params.spec),
        ProbeConfig.from_mapping(snakemake.params.probes),
        snakemake.output[0],
        activations_path=snakemake.input.get("activations"),
    )
