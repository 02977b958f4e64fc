"""From a record to findings and repairs: the per-game check, the tagger as detector, the candidate
repairs and their judges, and records rewritten with the repairs.

Layer: above models and engine.
"""
