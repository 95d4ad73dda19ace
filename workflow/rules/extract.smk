rule extract:
    input:
        tasks=expand(paths.task_table(), task=TASKS),
        # downloads start after the pre-flight (missing revisions fail there); ancient: a
        # rewritten table (e.g. a model added) does not rerun finished extractions
        integrity=ancient(paths.integrity_table()),
    output:
        paths.activations(),
    log:
        paths.log("extract", "{model}", "{revision}"),
    benchmark:
        paths.benchmark("extract", "{model}", "{revision}"),
    params:
        model=lambda wc: wc.model,
        revisions=lambda wc: [wc.revision],
        tasks=TASKS,
        extraction=config["extraction"],
    wildcard_constraints:
        model=model_pattern(REVISION_MODELS),
    threads: 1
    resources:
        **rule_resources("extract"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/extract.py"


for trajectory_model in TRAJECTORY_MODELS:

    rule:
        name:
            rule_name("extract", trajectory_model)
        input:
            checkpoint=paths.tiny_checkpoints(trajectory_model),
            tasks=expand(paths.task_table(), task=TASKS),
        output:
            [paths.activations(trajectory_model, r.name) for r in REVISIONS[trajectory_model]],
        log:
            paths.log("extract", trajectory_model, "all"),
        benchmark:
            paths.benchmark("extract", trajectory_model, "all")
        params:
            model=trajectory_model,
            revisions=[r.name for r in REVISIONS[trajectory_model]],
            tasks=TASKS,
            extraction=config["extraction"],
        threads: 1
        resources:
            **rule_resources("extract", trajectory_model),
        conda:
            "../../environment.yml"
        script:
            "../scripts/extract.py"
