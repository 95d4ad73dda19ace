rule analysis:
    input:
        metrics=paths.metrics_table(),
        integrity=paths.integrity_table(),
        predictions=per_revision(paths.probe_predictions),
    output:
        transitions=report(paths.analysis_table("transitions"), caption="../report/transitions.rst", category="Tables"),
        correlations=report(paths.analysis_table("correlations"), caption="../report/correlations.rst", category="Tables"),
        lags=paths.analysis_table("lags"),
        summary=report(paths.summary(), caption="../report/summary.rst", category="Summary"),
    log:
        paths.log("analysis"),
    benchmark:
        paths.benchmark("analysis"),
    params:
        analysis=config["analysis"],
        min_margin=config["metrics"]["pgr_min_margin"],
    conda:
        "../../environment.yml"
    script:
        "../scripts/analysis.py"
