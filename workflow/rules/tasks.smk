rule task_table:
    input:
        unpack(task_inputs),
    output:
        paths.task_table(),
    log:
        paths.log("task_table", "{task}"),
    benchmark:
        paths.benchmark("task_table", "{task}"),
    params:
        spec=lambda wc: config["tasks"][wc.task],
    conda:
        "../../environment.yml"
    script:
        "../scripts/task_table.py"
