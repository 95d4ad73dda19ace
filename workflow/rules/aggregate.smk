rule metrics_table:
    input:
        metric_tables(),
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
        paths.metrics_table(),
    output:
        accuracy=report(paths.figure("accuracy_vs_step"), caption="../report/accuracy_vs_step.rst", category="Figures"),
        pgr=report(paths.figure("pgr_vs_step"), caption="../report/pgr_vs_step.rst", category="Figures"),
    log:
        paths.log("figures"),
    benchmark:
        paths.benchmark("figures"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"
