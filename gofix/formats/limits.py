"""The limits on what gofix reads: past them a file or game is ``Unreadable``, not loaded.

The readers look them up here when they run (``limits.MAX_MOVES``), so one setting holds for
every format.
"""

MAX_FILE_BYTES = 64 << 20  # larger files and members are Unreadable, not loaded
MAX_MOVES = 10_000  # moves in one game's main line (real games: under 1,000); more: Unreadable
MAX_NODES = 50_000  # nodes in one game tree, variations included; past it the tree is not built further
MAX_LINES = 200_000  # lines of a GIB/NGF/UGF file (one game each); more: Unreadable, not parsed
