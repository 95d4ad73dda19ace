rule extract:
    input:
        checkpoint=checkpoint_input,
        tasks=expand(paths.task_table(), task=TASKS),
    output:
        paths.activations(),
    log:
        paths.log("extract", "{model}", "{revision}"),
    benchmark:
        paths.benchmark("extract", "{model}", "{revision}"),
    params:
        tasks=TASKS,
        extraction=config["extraction"],
    threads: 1
    resources:
        mem_mb=job_resource("extract", "mem_mb"),
        runtime=job_resource("extract", "runtime"),
        gpu=job_resource("extract", "gpu"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/extract.py"
