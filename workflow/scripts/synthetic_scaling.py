from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.synthetic.synthetic_scaling import run_synthetic_scaling

with timed_work():
    run_synthetic_scaling(snakemake.params.synthetic, dict(snakemake.output.items()))
