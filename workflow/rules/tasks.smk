rule task_table:
    input:
        unpack(task_inputs),
    output:
        paths.task_table(),
    log:
        paths.log("task_table", "{task}"),
    benchmark:
        paths.job_stats("task_table", "{task}")
    conda:
        "../../environment.yml"
    params:
        spec=lambda wc: config["tasks"][wc.task],
    script:
        "../scripts/task_table.py"
