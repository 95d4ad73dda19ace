# An adaptive model's revisions, chosen round by round (docs/methods.md). Round k reads the probe
# results of rounds 0 … k-1: a checkpoint, so that Snakemake plans the next round's downloads only
# once it is written, and every revision probed stays an ordinary cached output.
checkpoint adaptive_round:
    input:
        unpack(adaptive_round_inputs),
    output:
        paths.adaptive_round(),
    log:
        paths.log("adaptive_round", "{model}", "{round}"),
    benchmark:
        paths.job_stats("adaptive_round", "{model}", "{round}")
    wildcard_constraints:
        model=model_pattern(list(ADAPTIVE)),
    conda:
        "../../environment.yml"
    params:
        model=lambda wc: wc.model,
        candidates=lambda wc: [dataclasses.asdict(r) for r in REVISIONS[wc.model]],
        adaptive=lambda wc: as_params(ADAPTIVE[wc.model]),
        analysis=as_params(ANALYSIS),
        metrics=as_params(METRICS),
    script:
        "../scripts/adaptive_round.py"


rule adaptive_schedule:
    input:
        rounds=all_adaptive_round_files,
        metrics=paths.metrics_table(),
    output:
        schedule=report(paths.analysis_table("adaptive"), caption="../report/adaptive.rst", category="Tables"),
        rounds=paths.analysis_table("adaptive_rounds"),
        figure=report(paths.figure("adaptive_rounds"), caption="../report/adaptive_rounds.rst", category="Figures"),
        svg=paths.figure("adaptive_rounds", "svg"),
    log:
        paths.log("adaptive_schedule"),
    benchmark:
        paths.job_stats("adaptive_schedule")
    conda:
        "../../environment.yml"
    params:
        rounds=lambda wc: {model: len(adaptive_round_files(model)) for model in ADAPTIVE},
        candidates={model: len(REVISIONS[model]) for model in ADAPTIVE},
        metric={model: settings.metrics[0] for model, settings in ADAPTIVE.items()},
    script:
        "../scripts/adaptive_schedule.py"
