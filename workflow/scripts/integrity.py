from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.checkpoints.integrity import write_integrity_table
from pipeline.checkpoints.schedule import model_rows

with timed_work():
    table = write_integrity_table(
        {model: model_rows(snakemake.config, model) for model in snakemake.params.models}, snakemake.output[0]
    )
    flagged = table[table["duplicate_of"].notna()]
    print(f"{len(table)} revisions fingerprinted; {len(flagged)} duplicate an earlier revision's weights")
    for row in flagged.itertuples():
        print(f"  {row.model}@{row.revision} = {row.duplicate_of}")
