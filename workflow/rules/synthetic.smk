from pipeline.synthetic.simulations import EXPERIMENTS as SYNTHETIC_EXPERIMENTS


rule synthetic:
    output:
        **{name: paths.synthetic_table(name) for name in (*SYNTHETIC_EXPERIMENTS, "summary")},
        **{
            f"figure_{name}": report(
                paths.synthetic_figure(name), caption=f"../report/synthetic_{name}.rst", category="Synthetic"
            )
            for name in SYNTHETIC_EXPERIMENTS
        },
    log:
        paths.log("synthetic"),
    benchmark:
        paths.job_stats("synthetic")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=30,
    params:
        synthetic=config.get("synthetic"),
    script:
        "../scripts/synthetic.py"


# opt-in (not in `all`): snakemake synthetic_scaling
rule synthetic_scaling:
    output:
        scaling=paths.synthetic_scaling_table("scaling"),
        widths=paths.synthetic_scaling_table("widths"),
        figure=report(
            paths.synthetic_scaling_figure(),
            caption="../report/synthetic_scaling.rst",
            category="Synthetic",
        ),
    log:
        paths.log("synthetic_scaling"),
    benchmark:
        paths.job_stats("synthetic_scaling")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=60,
    params:
        synthetic=config.get("synthetic"),
    script:
        "../scripts/synthetic_scaling.py"


# the transition in N located adaptively, beside the full sweep of the same grid (docs/synthetic.md)
rule synthetic_adaptive:
    output:
        methods=paths.synthetic_adaptive_table("adaptive_n"),
        rounds=paths.synthetic_adaptive_table("rounds"),
        figure=report(
            paths.synthetic_adaptive_figure(),
            caption="../report/synthetic_adaptive.rst",
            category="Synthetic",
        ),
    log:
        paths.log("synthetic_adaptive"),
    benchmark:
        paths.job_stats("synthetic_adaptive")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=30,
    params:
        synthetic=config.get("synthetic"),
    script:
        "../scripts/synthetic_adaptive.py"
