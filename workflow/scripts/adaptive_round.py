from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import pandas as pd

from pipeline.analysis.adaptive_round import Round, plan_round, probed_revisions
from pipeline.analysis.job import excluded_revisions
from pipeline.checkpoints.integrity import read_integrity_table
from pipeline.checkpoints.revisions import Revision
from pipeline.config import AdaptiveConfig, AnalysisConfig, MetricsConfig

params = snakemake.params
analysis = AnalysisConfig.from_mapping(params.analysis)
previous = [Round.read(path) for path in snakemake.input.get("rounds", [])]
predictions = dict(zip(probed_revisions(previous), snakemake.input.get("predictions", []), strict=True))
metrics = pd.concat([pd.read_csv(path) for path in snakemake.input.get("metrics", [])] or [pd.DataFrame()])
excluded = excluded_revisions([params.model], analysis, read_integrity_table(snakemake.input.integrity))

with timed_work():
    planned = plan_round(
        params.model,
        int(snakemake.wildcards["round"]),
        [Revision(**r) for r in params.candidates],
        previous,
        metrics,
        lambda model, revision: pd.read_parquet(predictions[revision]),
        AdaptiveConfig.from_mapping(params.adaptive),
        analysis,
        MetricsConfig.from_mapping(params.metrics),
        excluded[params.model],
    )
    planned.write(snakemake.output[0])
    print(f"round {planned.index}: {[p['revision'] for p in planned.proposals]}; stop: {planned.stop}")
