"""Every --help reads cleanly at 80 columns (issue 20, item 12): no typer placeholders ('{paths}...',
'<list[Path]>', '<bool>'), nothing cut short ('…'), every option's help there whole; run through a
subprocess with stdout a pipe, as a user's terminal or `| less` gets it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer

from gofix.cli import app
from gofix.cli.helptext import type_word, unwrap

COMMANDS = ["", "check", "fix", "clean", "convert", "compare", "reconcile", "corrupt", "eval", "train", "calibrate", "review", "engine",
            "engine info", "engine fetch"]


def _flat(text: str) -> str:
    return re.sub(r"[\s│╭╮╰╯─]+", "", text)


def _params(words: list[str]):
    cmd = typer.main.get_command(app)
    for w in words:
        cmd = cmd.commands[w]
    return cmd.params


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_at_80_columns(cmd):
    words = cmd.split()
    res = subprocess.run([sys.executable, "-m", "gofix.cli", *words, "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "80", "TERM": "dumb"}, timeout=120)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text, text
    assert not re.search(r"\{\w+\}|<list\[|<bool>|<path>|<file>|<int>|<str>|<float>|<int range>", text), text
    flat = _flat(text)
    for p in _params(words):
        if p.help and not getattr(p, "hidden", False):
            assert _flat(re.sub(r"\[/?bold\]", "", p.help)) in flat, (cmd, p.help)


def test_help_words():
    assert type_word("<list[Path]>") == "PATH..." and type_word("<bool>") is None and type_word("<int range>") == "N"
    assert unwrap("One line\n    and its rest.\n\n    Next paragraph.") == "One line and its rest.\n\nNext paragraph."
