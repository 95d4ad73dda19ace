rule metrics_table:
    input:
        per_revision(paths.probe_metrics),
    output:
        report(paths.metrics_table(), caption="../report/metrics_table.rst", category="Tables"),
    log:
        paths.log("metrics_table"),
    benchmark:
        paths.benchmark("metrics_table"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/metrics_table.py"


rule figures:
    input:
        metrics=paths.metrics_table(),
        transitions=paths.analysis_table("transitions"),
    output:
        accuracy=report(paths.figure("accuracy_vs_step"), caption="../report/accuracy_vs_step.rst", category="Figures"),
        pgr=report(paths.figure("pgr_vs_step"), caption="../report/pgr_vs_step.rst", category="Figures"),
        heatmap=report(paths.figure("gain_heatmap"), caption="../report/gain_heatmap.rst", category="Figures"),
        quality=report(paths.figure("quality_vs_gain"), caption="../report/quality_vs_gain.rst", category="Figures"),
        svg=[paths.figure(name, "svg") for name in ("accuracy_vs_step", "pgr_vs_step", "gain_heatmap", "quality_vs_gain")],
    log:
        paths.log("figures"),
    benchmark:
        paths.benchmark("figures"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"
