"""Training loop, schedule, metrics, checkpoints, the fit runner and evaluation."""
