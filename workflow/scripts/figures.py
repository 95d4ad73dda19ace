from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.analysis import write_figures

with timed_work():
    write_figures(
        snakemake.input.metrics,
        snakemake.input.transitions,
        snakemake.input.scaling,
        snakemake.input.intervals,
        snakemake.input.plateaus,
        next(iter(snakemake.input.synthetic_saturation), None),  # absent without the synthetic branch
        dict(snakemake.output.items()),
    )
