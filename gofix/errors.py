"""Typed errors raised by the gofix library.

The library never prints or exits; the CLI catches these at the edge. Every
message quotes the offending input so the user can find it.
"""

from __future__ import annotations


class GofixError(Exception):
    """Base class of every error gofix raises on purpose."""


class CoordinateError(GofixError, ValueError):
    """A coordinate string or point that is not valid for the board size."""


class SgfError(GofixError, ValueError):
    """A record that cannot be read (or written) as SGF.

    ``source`` names the file (``path`` or ``path!member``) when known.
    """

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        self.reason = message
        super().__init__(f"{source}: {message}" if source else message)


class IllegalMoveError(GofixError, ValueError):
    """A move that the rules forbid; ``kind`` is one of the MoveClass values."""

    def __init__(self, kind: str, colour: str, point, message: str):
        self.kind = kind
        self.colour = colour
        self.point = point
        super().__init__(message)


class CheckpointError(GofixError):
    """A model checkpoint that cannot be loaded."""


class NoGamesError(GofixError, ValueError):
    """No usable game to train or evaluate on (an empty folder, or none that is 19x19, legal, 30+ moves)."""


class BudgetSpentError(GofixError, ValueError):
    """``train --resume`` of a run that has used its whole time budget (or step limit) already."""
