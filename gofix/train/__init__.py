"""Training: the corruption channel, the corpus cache, splits, training streams and tensor batches,
the training loop.

Layer: above repair (calibration runs the repair engine).
"""
