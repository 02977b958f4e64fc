"""The rules of Go: the board and its replay, the one ASCII diagram drawer, a seeded random player.

Layer: above the ground (errors, coords, record); no torch, no files.
"""
