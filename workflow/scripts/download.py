from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.checkpoints import checkpoint_source
from pipeline.checkpoints.sources import write_checkpoint_record

with timed_work():
    source = checkpoint_source(snakemake.config, snakemake.params.model)
    write_checkpoint_record(source.fetch(snakemake.params.revision), snakemake.output[0])
