rule download:
    input:
        unpack(download_inputs),
    output:
        temp(paths.download_record()),
    log:
        paths.log("download", "{model}", "{revision}"),
    benchmark:
        paths.job_stats("download", "{model}", "{revision}")
    wildcard_constraints:
        model=model_pattern(HUB_MODELS),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        downloads=1,  # `--resources downloads=N` caps the downloads in flight
    params:
        model=lambda wc: wc.model,
        revision=lambda wc: wc.revision,
    script:
        "../scripts/download.py"


rule extract:
    input:
        tasks=expand(paths.task_table(), task=TASKS),
        download=downloaded_checkpoint,
        # downloads start after the pre-flight (missing revisions fail there); ancient: a
        # rewritten table (e.g. a model added) does not rerun finished extractions
        integrity=ancient(paths.integrity_table()),
    output:
        paths.activations(),
    log:
        paths.log("extract", "{model}", "{revision}"),
    benchmark:
        paths.job_stats("extract", "{model}", "{revision}")
    wildcard_constraints:
        model=model_pattern(PER_REVISION_MODELS),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        **rule_resources("extract"),
    params:
        model=lambda wc: wc.model,
        revisions=lambda wc: [wc.revision],
        tasks=TASKS,
        truncation_sides=TRUNCATION_SIDES,
        extraction=as_params(EXTRACTION),
    script:
        "../scripts/extract.py"


for one_job_model in ONE_JOB_MODELS:

    rule:
        name:
            rule_name("extract", one_job_model)
        input:
            checkpoint=paths.tiny_checkpoints(one_job_model),
            tasks=expand(paths.task_table(), task=TASKS),
        output:
            [paths.activations(one_job_model, r.name) for r in REVISIONS[one_job_model]],
        log:
            paths.log("extract", one_job_model, "all"),
        benchmark:
            paths.job_stats("extract", one_job_model, "all")
        conda:
            "../../environment.yml"
        threads: 1
        resources:
            **rule_resources("extract", one_job_model),
        params:
            model=one_job_model,
            revisions=[r.name for r in REVISIONS[one_job_model]],
            tasks=TASKS,
            truncation_sides=TRUNCATION_SIDES,
            extraction=as_params(EXTRACTION),
        script:
            "../scripts/extract.py"
