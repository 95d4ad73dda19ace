rule weak_supervisor:
    input:
        unpack(weak_supervisor_inputs),
    output:
        paths.weak_labels(),
    log:
        paths.log("weak_supervisor", "{task}"),
    benchmark:
        paths.benchmark("weak_supervisor", "{task}"),
    params:
        spec=WEAK_SUPERVISOR,
        probes=PROBES,
    conda:
        "../../environment.yml"
    script:
        "../scripts/weak_supervisor.py"


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
        probes=PROBES,
        metrics=METRICS,
    wildcard_constraints:
        model=model_pattern(PER_REVISION_MODELS),
    threads: 1
    resources:
        **rule_resources("probes"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/probes.py"


for one_job_model in ONE_JOB_MODELS:

    rule:
        name:
            rule_name("probes", one_job_model)
        input:
            activations=[paths.activations(one_job_model, r.name) for r in REVISIONS[one_job_model]],
            tasks=expand(paths.task_table(), task=TASKS),
            weak=expand(paths.weak_labels(), task=TASKS),
        output:
            metrics=[paths.probe_metrics(one_job_model, r.name) for r in REVISIONS[one_job_model]],
            predictions=[paths.probe_predictions(one_job_model, r.name) for r in REVISIONS[one_job_model]],
        log:
            paths.log("probes", one_job_model, "all"),
        benchmark:
            paths.benchmark("probes", one_job_model, "all")
        params:
            model=one_job_model,
            revisions=REVISIONS[one_job_model],
            tasks=TASKS,
            probes=PROBES,
            metrics=METRICS,
        threads: 1
        resources:
            **rule_resources("probes", one_job_model),
        conda:
            "../../environment.yml"
        script:
            "../scripts/probes.py"


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
