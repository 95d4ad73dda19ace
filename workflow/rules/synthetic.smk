rule synthetic:
    output:
        tables=[paths.synthetic_table(name) for name in (*paths.SYNTHETIC_EXPERIMENTS, "summary")],
        figures=[
            report(paths.synthetic_figure(name), caption=f"../report/synthetic_{name}.rst", category="Synthetic")
            for name in paths.SYNTHETIC_EXPERIMENTS
        ],
    log:
        paths.log("synthetic"),
    benchmark:
        paths.benchmark("synthetic"),
    params:
        synthetic=config.get("synthetic"),
        out_dir=lambda wildcards, output: os.path.dirname(output.tables[0]),
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../scripts/synthetic.py"
