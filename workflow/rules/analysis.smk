rule analysis:
    input:
        metrics=paths.metrics_table(),
        integrity=paths.integrity_table(),
        predictions=lambda wildcards: per_revision(paths.probe_predictions),
        # the test features: RankMe and α-ReQ resampled with the gain's examples in the lag
        activations=lambda wildcards: per_revision(paths.activations),
        tasks=expand(paths.task_table(), task=TASKS),
        rounds=all_adaptive_round_files,
    output:
        transitions=report(paths.analysis_table("transitions"), caption="../report/transitions.rst", category="Tables"),
        correlations=report(
            paths.analysis_table("correlations"), caption="../report/correlations.rst", category="Tables"
        ),
        lags=paths.analysis_table("lags"),
        scaling=report(paths.analysis_table("scaling"), caption="../report/scaling.rst", category="Tables"),
        intervals=paths.analysis_table("intervals"),
        plateaus=report(paths.analysis_table("plateaus"), caption="../report/plateaus.rst", category="Tables"),
        saturation=paths.analysis_table("saturation"),
        summary=report(paths.summary(), caption="../report/summary.rst", category="Summary"),
    log:
        paths.log("analysis"),
    benchmark:
        paths.job_stats("analysis")
    conda:
        "../../environment.yml"
    threads: 2
    params:
        revisions=lambda wildcards: revision_pairs(),
        tasks=TASKS,
        pooling=PROBES.pooling,
        analysis=as_params(ANALYSIS),
        metrics=as_params(METRICS),
        trajectories=trajectories(config),
        sizes={model: model_parameters(config, model) for model in STUDENTS},
    script:
        "../scripts/analysis.py"


rule figures:
    input:
        metrics=paths.metrics_table(),
        transitions=paths.analysis_table("transitions"),
        scaling=paths.analysis_table("scaling"),
        intervals=paths.analysis_table("intervals"),
        plateaus=paths.analysis_table("plateaus"),
        # the synthetic branch's plateau vs α, beside the checkpoints' plateau vs supervisor accuracy
        synthetic_saturation=[paths.synthetic_table("saturation")] if "synthetic" in config else [],
    output:
        accuracy=report(paths.figure("accuracy_vs_step"), caption="../report/accuracy_vs_step.rst", category="Figures"),
        pgr=report(paths.figure("pgr_vs_step"), caption="../report/pgr_vs_step.rst", category="Figures"),
        imitation=report(
            paths.figure("imitation_vs_step"), caption="../report/imitation_vs_step.rst", category="Figures"
        ),
        heatmap=report(paths.figure("gain_heatmap"), caption="../report/gain_heatmap.rst", category="Figures"),
        quality=report(paths.figure("quality_vs_gain"), caption="../report/quality_vs_gain.rst", category="Figures"),
        scaling=report(paths.figure("scaling"), caption="../report/scaling_figure.rst", category="Figures"),
        saturation=report(paths.figure("saturation"), caption="../report/saturation.rst", category="Figures"),
        svg=[
            paths.figure(name, "svg")
            for name in (
                "accuracy_vs_step",
                "pgr_vs_step",
                "imitation_vs_step",
                "gain_heatmap",
                "quality_vs_gain",
                "scaling",
                "saturation",
            )
        ],
    log:
        paths.log("figures"),
    benchmark:
        paths.job_stats("figures")
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"
