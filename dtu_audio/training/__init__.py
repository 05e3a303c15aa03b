"""The training loop of ``dtu train``: data, steps, schedule, checkpoints, run outputs."""
