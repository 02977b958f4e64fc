"""``--help`` that reads cleanly at 80 columns (issue 20, item 12).

Typer 0.29 writes a required argument as ``{paths}...`` in the usage line and every parameter's
type as ``<list[Path]>``, ``<bool>``, ``<int range>``; and in its rich mode a docstring's line breaks
are kept, so a paragraph wrapped at 100 columns in the source breaks mid-sentence on an 80-column
terminal. ``tidy(*apps)`` fixes both for gofix's commands: usage as click writes it (``PATHS...``,
``[NAME]``), types as words (``PATH``, ``FILE``, ``N``, ``TEXT``, none for a flag) and each
docstring paragraph on one line, for rich to wrap. It touches typer's parameter classes only
where they have the methods it replaces (another typer version: left as it is).
"""

from __future__ import annotations

import inspect

from typer import core

_WORDS = {"int": "N", "int range": "N", "float": "X", "float range": "X", "str": "TEXT", "path": "PATH",
          "file": "FILE", "directory": "DIR", "bool": None}


def type_word(label: str | None) -> str | None:
    """A typer type label ('<int range>', '<list[Path]>', '<bool>') in click's words ('N',
    'PATH...', None for a flag)."""
    if label is None:
        return None
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if inner.startswith("list[") and inner.endswith("]"):
        one = type_word(f"<{inner[5:-1]}>")
        return f"{one or 'VALUE'}..."
    if inner in _WORDS:
        return _WORDS[inner]
    return inner.upper()


def unwrap(doc: str | None) -> str | None:
    """``doc`` with each paragraph's lines joined into one (paragraphs stay apart); a paragraph
    whose lines all start with spaces (an indented block) is kept as it is."""
    if not doc:
        return doc
    paras = inspect.cleandoc(doc).split("\n\n")
    out = []
    for p in paras:
        lines = p.splitlines()
        if len(lines) > 1 and all(line.startswith(" ") for line in lines):
            out.append(p)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def tidy(*apps) -> None:
    """Usage, types and docstrings of every command of ``apps`` (``typer.Typer``) as the module doc says."""
    param = getattr(core, "_TyperParameter", None)
    if param is not None and hasattr(param, "display_type") and not getattr(param, "_gofix_tidy", False):
        raw = param.display_type

        def display_type(self, ctx):
            if getattr(self, "is_flag", False):
                return None
            return type_word(raw(self, ctx))

        param.display_type = display_type
        param._gofix_tidy = True
    arg = getattr(core, "TyperArgument", None)
    if arg is not None and hasattr(arg, "_usage_display_name"):
        def usage(self) -> str:
            name = (self.metavar or (self.name or "").upper())
            many = self.nargs != 1 and not name.endswith("...")
            return (name if self.required else f"[{name}]") + ("..." if many else "")

        arg._usage_display_name = usage
    for app in apps:
        for cmd in app.registered_commands:
            if cmd.callback is not None:
                cmd.callback.__doc__ = unwrap(cmd.callback.__doc__)
        if app.registered_callback is not None and app.registered_callback.callback is not None:
            cb = app.registered_callback.callback
            cb.__doc__ = unwrap(cb.__doc__)
