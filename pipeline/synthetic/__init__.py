"""Synthetic branch: pre-training as a warm start for weak-to-strong generalization in a
single-index model on spiked Gaussian data (see docs/synthetic.md). Entry point:
`pipeline.synthetic.experiments.run_synthetic`."""
