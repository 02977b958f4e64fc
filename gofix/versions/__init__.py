"""Several records of one game: alignment, where they differ and which version is right, and grouping
the records of an archive by game.

Layer: above repair.
"""
