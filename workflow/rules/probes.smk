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
        model=lambda wc: wc.model,
        revisions=lambda wc: [revision_info(wc.model, wc.revision)],
        tasks=TASKS,
        probes=config["probes"],
        metrics=config["metrics"],
    wildcard_constraints:
        model=model_pattern(REVISION_MODELS),
    threads: 1
    resources:
        **rule_resources("probes"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/probes.py"


for trajectory_model in TRAJECTORY_MODELS:

    rule:
        name:
            rule_name("probes", trajectory_model)
        input:
            activations=[paths.activations(trajectory_model, r.name) for r in REVISIONS[trajectory_model]],
            tasks=expand(paths.task_table(), task=TASKS),
            weak=expand(paths.weak_labels(), task=TASKS),
        output:
            metrics=[paths.probe_metrics(trajectory_model, r.name) for r in REVISIONS[trajectory_model]],
            predictions=[paths.probe_predictions(trajectory_model, r.name) for r in REVISIONS[trajectory_model]],
        log:
            paths.log("probes", trajectory_model, "all"),
        benchmark:
            paths.benchmark("probes", trajectory_model, "all")
        params:
            model=trajectory_model,
            revisions=REVISIONS[trajectory_model],
            tasks=TASKS,
            probes=config["probes"],
            metrics=config["metrics"],
        threads: 1
        resources:
            **rule_resources("probes", trajectory_model),
        conda:
            "../../environment.yml"
        script:
            "../scripts/probes.py"
