from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.synthetic.experiments import run_synthetic

with timed_work():
    run_synthetic(snakemake.params.synthetic, snakemake.params.out_dir)
