"""The yardstick: systems scored on corrupted games with known truth, a tagger calibrated into its
model card (``gofix calibrate``), and hostile inputs for fuzzing.

Layer: above archive.
"""
