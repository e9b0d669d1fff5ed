"""Training-side code: synthetic corpus, dataset splits, training recipes and evaluation.

Kept import-light on purpose: `import training` must not pull in torch, datasets or MLflow."""
