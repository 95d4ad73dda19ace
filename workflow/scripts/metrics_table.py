from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.probing import write_metrics_table

with timed_work():
    write_metrics_table(snakemake.input.metrics, snakemake.output[0])
