from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.tasks import write_task_table

with timed_work():
    write_task_table(
        snakemake.wildcards.task, snakemake.params.spec, dict(snakemake.input.items()), snakemake.output[0]
    )
