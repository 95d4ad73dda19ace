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
        spec=config["weak_supervisor"],
        probes=config["probes"],
    conda:
        "../../environment.yml"
    script:
        "../scripts/weak_supervisor.py"
