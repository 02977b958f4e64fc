"""``python -m gofix.cli``: the ``gofix`` command."""

from gofix.cli import app

app()
