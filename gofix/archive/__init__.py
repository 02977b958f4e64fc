"""Whole archives in, mirrored trees out: clean, convert, reconcile and corrupt over trees.

Layer: above versions, review and train.
"""
