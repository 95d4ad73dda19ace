from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import pandas as pd

from pipeline.analysis.adaptive_round import Round
from pipeline.analysis.adaptive_schedule import write_adaptive_schedule

with timed_work():
    write_adaptive_schedule(
        [Round.read(path) for path in snakemake.input.rounds],
        snakemake.params.candidates,
        pd.concat([pd.read_csv(path) for path in snakemake.input.metrics]),
        snakemake.params.metric,
        dict(snakemake.output.items()),
    )
