"""The yardstick: systems scored on corrupted games with known truth, and hostile inputs for fuzzing.

Layer: above archive.
"""
