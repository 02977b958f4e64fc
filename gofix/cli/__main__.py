"""``python -m gofix.cli``: the ``gofix`` command."""

from . import app

app(prog_name="gofix")
