from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.synthetic import run_synthetic

with timed_work():
    run_synthetic(snakemake.params.synthetic, dict(snakemake.output.items()))
