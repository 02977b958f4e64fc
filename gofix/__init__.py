"""gofix: find and repair transcription errors in Go game records (SGF)."""

__version__ = "0.1.0"
