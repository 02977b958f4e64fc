"""Training: the corruption channel, the corpus cache, splits, training streams and tensor batches,
the training loop, and shipping a checkpoint as bundled weights.

Layer: above models (nothing of the engine or the repair engine; calibration is in ``evaluate``).
"""
