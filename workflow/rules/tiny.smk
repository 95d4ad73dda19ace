rule corpus:
    output:
        corpus=paths.tiny_corpus(),
        task_documents=paths.tiny_task_documents(),
    log:
        paths.log("corpus"),
    benchmark:
        paths.job_stats("corpus")
    conda:
        "../../environment.yml"
    params:
        corpus=config.get("tiny", {}).get("corpus"),
    script:
        "../scripts/corpus.py"


rule tokenizer:
    input:
        corpus=paths.tiny_corpus(),
    output:
        directory(paths.tiny_tokenizer()),
    log:
        paths.log("tokenizer"),
    benchmark:
        paths.job_stats("tokenizer")
    conda:
        "../../environment.yml"
    script:
        "../scripts/tokenizer.py"


rule pretrain:
    input:
        corpus=paths.tiny_corpus(),
        tokenizer=paths.tiny_tokenizer(),
    output:
        checkpoints=directory(paths.tiny_checkpoints()),
        losses=paths.tiny_losses(),
    log:
        paths.log("pretrain", "{model}"),
    benchmark:
        paths.job_stats("pretrain", "{model}")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 3000 * attempt,
        runtime=120,
    params:
        seed=lambda wc: config["models"][wc.model]["seed"],
        model=lambda wc: tiny_model_spec(wc.model),
        train=lambda wc: tiny_train_spec(wc.model),
    script:
        "../scripts/pretrain.py"
