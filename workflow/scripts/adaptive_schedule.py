from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import pandas as pd

from pipeline.analysis.adaptive_round import Round
from pipeline.analysis.adaptive_schedule import write_adaptive_schedule

params = snakemake.params
paths = iter(snakemake.input.rounds)
rounds = {model: [Round.read(next(paths)) for _ in range(n)] for model, n in params.rounds.items()}

with timed_work():
    write_adaptive_schedule(
        rounds, params.candidates, pd.read_csv(snakemake.input.metrics), params.metric, dict(snakemake.output.items())
    )
