rule weak_supervisor:
    input:
        unpack(weak_supervisor_inputs),
    output:
        paths.weak_labels(),
    log:
        paths.log("weak_supervisor", "{supervisor}", "{task}"),
    benchmark:
        paths.job_stats("weak_supervisor", "{supervisor}", "{task}")
    conda:
        "../../environment.yml"
    params:
        spec=lambda wc: as_params(WEAK_SUPERVISORS[wc.supervisor]),
        # what the W2S probes alone use stays out: changing it leaves the weak labels alone
        probes={k: v for k, v in as_params(PROBES).items() if k not in ("layers", "objectives")},
    script:
        "../scripts/weak_supervisor.py"


rule probes:
    input:
        activations=paths.activations(),
        tasks=expand(paths.task_table(), task=TASKS),
        weak=all_weak_labels(),
    output:
        metrics=paths.probe_metrics(),
        predictions=paths.probe_predictions(),
    log:
        paths.log("probes", "{model}", "{revision}"),
    benchmark:
        paths.job_stats("probes", "{model}", "{revision}")
    wildcard_constraints:
        model=model_pattern(PER_REVISION_STUDENTS),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        **rule_resources("probes"),
    params:
        model=lambda wc: wc.model,
        revisions=lambda wc: [revision_info(wc.model, wc.revision)],
        tasks=TASKS,
        supervisors=list(WEAK_SUPERVISORS),
        probes=as_params(PROBES),
        metrics=as_params(METRICS),
    script:
        "../scripts/probes.py"


for one_job_model in ONE_JOB_STUDENTS:

    rule:
        name:
            rule_name("probes", one_job_model)
        input:
            activations=[paths.activations(one_job_model, r.name) for r in REVISIONS[one_job_model]],
            tasks=expand(paths.task_table(), task=TASKS),
            weak=all_weak_labels(),
        output:
            metrics=[paths.probe_metrics(one_job_model, r.name) for r in REVISIONS[one_job_model]],
            predictions=[paths.probe_predictions(one_job_model, r.name) for r in REVISIONS[one_job_model]],
        log:
            paths.log("probes", one_job_model, "all"),
        benchmark:
            paths.job_stats("probes", one_job_model, "all")
        conda:
            "../../environment.yml"
        threads: 1
        resources:
            **rule_resources("probes", one_job_model),
        params:
            model=one_job_model,
            revisions=REVISIONS[one_job_model],
            tasks=TASKS,
            supervisors=list(WEAK_SUPERVISORS),
            probes=as_params(PROBES),
            metrics=as_params(METRICS),
        script:
            "../scripts/probes.py"


rule metrics_table:
    input:
        # the adaptive schedules first: they set every adaptive model's rounds going at once
        schedules=[paths.adaptive_schedule(m) for m in ADAPTIVE],
        metrics=lambda wildcards: per_revision(paths.probe_metrics),
    output:
        report(paths.metrics_table(), caption="../report/metrics_table.rst", category="Tables"),
    log:
        paths.log("metrics_table"),
    benchmark:
        paths.job_stats("metrics_table")
    conda:
        "../../environment.yml"
    script:
        "../scripts/metrics_table.py"
