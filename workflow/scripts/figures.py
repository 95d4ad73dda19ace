from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.analysis import write_figures

with timed_work():
    write_figures(
        snakemake.input.metrics,
        snakemake.input.transitions,
        snakemake.input.scaling,
        snakemake.input.intervals,
        dict(snakemake.output.items()),
    )
