from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.checkpoints.integrity import write_integrity_table
from pipeline.checkpoints.schedule import model_rows
from pipeline.preflight import check_model_blocks

with timed_work():
    for model, spec in snakemake.params.models.items():
        if spec["source"] == "hub":  # local models were checked when the DAG was built
            check_model_blocks(snakemake.config, model)
    results = {model: model_rows(snakemake.config, model) for model in snakemake.params.models}
    table = write_integrity_table(
        {model: rows for model, (rows, *_) in results.items()},
        {model: tuple(final) for model, (_, *final) in results.items()},
        snakemake.output[0],
    )
    flagged = table[table["flag"].notna()]
    print(f"{len(table)} revisions fingerprinted; {len(flagged)} flagged (left out of the fits by default)")
    for row in flagged.itertuples():
        print(f"  {row.model}@{row.revision}: {row.flag} ({row.reason})")
