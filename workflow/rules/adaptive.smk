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


# One per model, so that every model's rounds run at once: what waits on all of them (the
# metrics table) asks for these files, and each job's input walks one model's rounds.
rule adaptive_schedule:
    input:
        rounds=lambda wc: adaptive_round_files(wc.model),
        metrics=lambda wc: [paths.probe_metrics(wc.model, r) for r in probed(wc.model)],
    output:
        schedule=report(paths.adaptive_schedule(), caption="../report/adaptive.rst", category="Adaptive schedule"),
        rounds=paths.adaptive_schedule(name="rounds"),
        figure=report(
            paths.adaptive_schedule(name="rounds", ext="png"),
            caption="../report/adaptive_rounds.rst",
            category="Adaptive schedule",
        ),
        svg=paths.adaptive_schedule(name="rounds", ext="svg"),
    log:
        paths.log("adaptive_schedule", "{model}"),
    benchmark:
        paths.job_stats("adaptive_schedule", "{model}")
    wildcard_constraints:
        model=model_pattern(list(ADAPTIVE)),
    conda:
        "../../environment.yml"
    params:
        candidates=lambda wc: len(REVISIONS[wc.model]),
        metric=lambda wc: ADAPTIVE[wc.model].metrics[0],
    script:
        "../scripts/adaptive_schedule.py"
