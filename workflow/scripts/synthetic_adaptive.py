from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.synthetic.synthetic_adaptive import run_synthetic_adaptive

with timed_work():
    run_synthetic_adaptive(snakemake.params.synthetic, dict(snakemake.output.items()))
