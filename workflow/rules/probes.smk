rule probes:
    input:
        activations=paths.activations(),
        tasks=expand(paths.task_table(), task=TASKS),
        weak=expand(paths.weak_labels(), task=TASKS),
    output:
        metrics=paths.probe_metrics(),
        predictions=paths.probe_predictions(),
    log:
        paths.log("probes", "{model}", "{revision}"),
    benchmark:
        paths.benchmark("probes", "{model}", "{revision}"),
    params:
        tasks=TASKS,
        probes=config["probes"],
        metrics=config["metrics"],
        step=lambda wc: revision_info(wc.model, wc.revision).step,
        tokens=lambda wc: revision_info(wc.model, wc.revision).tokens,
    threads: 1
    resources:
        mem_mb=job_resource("probes", "mem_mb"),
        runtime=job_resource("probes", "runtime"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/probes.py"
