from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.checkpoints.download import download

with timed_work():
    download(snakemake.config, snakemake.params.model, snakemake.params.revision, snakemake.output[0])
