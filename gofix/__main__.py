"""``python -m gofix``: the ``gofix`` command."""

from .cli import app

app(prog_name="gofix")
