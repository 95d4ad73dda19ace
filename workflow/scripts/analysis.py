from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import pandas as pd  # noqa: E402

from pipeline import paths  # noqa: E402
from pipeline.analysis import write_analysis  # noqa: E402

with timed_work():
    write_analysis(
        snakemake.input.metrics,
        snakemake.input.integrity,
        lambda model, revision: pd.read_parquet(paths.probe_predictions(model, revision)),
        snakemake.params.analysis,
        snakemake.params.min_margin,
        dict(snakemake.output.items()),
    )
