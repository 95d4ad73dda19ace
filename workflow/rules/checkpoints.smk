# metadata calls only: on a cluster it runs where the workflow runs (login nodes have network)
localrules:
    integrity,


rule integrity:
    input:
        [paths.tiny_checkpoints(m) for m in ONE_JOB_MODELS],
    output:
        report(paths.integrity_table(), caption="../report/integrity.rst", category="Tables"),
    log:
        paths.log("integrity"),
    benchmark:
        paths.job_stats("integrity")
    conda:
        "../../environment.yml"
    params:
        models=config["models"],
    script:
        "../scripts/integrity.py"
