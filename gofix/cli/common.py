"""What every command shares: the consoles, counts in words, the progress bar, refusals, notes, and the
repairer and engine the options name, loaded once here so that a bad file is an error before any work."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from gofix.formats.paths import check_output
from gofix.engine import locate
from gofix.errors import CheckpointError, GofixError
from gofix.formats.sources import iter_sources
from gofix.repair.pretrained import RepairerFactory, has_tagger, trust_note
from gofix.review.runs import check_page

# Messages are never wrapped (soft_wrap): a piped error or warning stays one line that grep and log
# parsers see whole, whatever the terminal width or the length of a path in it. Tables still fit the
# terminal (or 140 columns when stdout is a file or a pipe).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def n(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1: ``n(1, "game")`` is "1 game",
    ``n(3, "game")`` "3 games", ``n(2, "match", "matches")`` "2 matches"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def fail(message: str) -> NoReturn:
    """``error: MESSAGE`` (rich markup) on stderr, exit code 2."""
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def note(message: str) -> None:
    err.print(f"[yellow]note:[/yellow] {message}")


@contextmanager
def refusing(*errors: type[Exception]):
    """Around a library call that checks: a typed error (``errors``, default every ``GofixError``)
    becomes one line on stderr and exit code 2."""
    try:
        yield
    except errors or GofixError as exc:
        fail(escape(str(exc)))


@contextmanager
def writing(resume: str | None = None):
    """Around a library call that writes: a typed error (or the system's, e.g. an --out under
    /proc or under a regular file, a full disk) becomes one line on stderr and exit code 2; with
    ``resume`` (what was kept, and how to go on), Ctrl-C becomes one line saying so, exit code 130."""
    try:
        yield
    except KeyboardInterrupt:
        if resume is None:
            raise
        err.print(f"interrupted: {escape(resume)}")
        raise typer.Exit(130) from None
    except GofixError as exc:
        fail(escape(str(exc)))
    except OSError as exc:
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        fail(f"cannot write{escape(where)}: {escape(exc.strerror or str(exc))}")


def progress(enabled: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} games"),
        TextColumn("{task.fields[rate]:.0f} games/s"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not enabled,
    )


def require_records(*paths) -> None:
    """Exit 2 with ``no game records found in PATH`` when no path holds a single record file (an
    empty folder, one with no SGF/GIB/NGF/UGF files, an empty archive), before anything is written."""
    for path in paths:
        for _ in iter_sources(path):
            return
    fail(f"no game records found in {escape(', '.join(str(p) for p in paths))}")


def refuse_overwrite(src: Path, dst: Path, report: Optional[Path] = None) -> None:
    """Exit 2 (the reason on stderr) when the output folder or report is SRC or inside it."""
    with refusing():
        check_output(src, dst)
        if report is not None:
            check_output(src, report)


def refuse_html(html: Optional[Path], inputs, force: bool) -> None:
    """Exit 2 (the reason on stderr) when the --html page would land on an input, on a symbolic link,
    or on a file that is there (without --force): the rule of every command that writes."""
    if html is not None:
        with refusing():
            check_page(html, inputs, force)


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def list_files(console: Console, what: str, names: list[str], where: str, limit: int = 10) -> None:
    """End a run with the files ``what`` (changed, refused): each on its line, or past ``limit`` their
    count and where the list is (``where``: the report lines that name them)."""
    if len(names) > limit:
        console.print(f"[yellow]{what}[/yellow] {n(len(names), 'file')}: the lines with {escape(where)}")
        return
    for name in names:
        console.print(f"[yellow]{what}[/yellow] {escape(name)}")


def trust(model: Optional[Path], engine: bool = False) -> str:
    """How far to trust the repairs shown (``pretrained.trust_note``), dimmed."""
    return f"[dim]{escape(trust_note(model, engine))}[/dim]"


_ENGINE_NOTE_SAID = False


def engine_path(engine: str, katago_model: Optional[Path]) -> Optional[Path]:
    """The network the judge runs, or None (no engine): from ``--engine`` and ``--katago-model``
    (``locate.judge_network``); with auto and none found, a note says so, once."""
    global _ENGINE_NOTE_SAID
    with refusing():
        path = locate.judge_network(engine, katago_model)
    if path is None and engine.lower() == "auto" and not _ENGINE_NOTE_SAID:
        _ENGINE_NOTE_SAID = True
        note("no KataGo network found, so no engine judges the repairs; `gofix engine fetch` downloads one")
    return path


def repairer_factory(rules_only: bool, model: Optional[Path], threshold: Optional[float],
                     threads: Optional[int] = None, seq2seq: Optional[Path] = None,
                     engine: str = "none", katago_model: Optional[Path] = None) -> RepairerFactory:
    """What repairs games: the tagger, the encoder-decoder and the repair engine (judged by the
    KataGo network that ``--engine`` / ``--katago-model`` name, ``engine_path``), or the rules only."""
    if not rules_only:
        try:
            found = has_tagger(model)
        except CheckpointError as exc:
            fail(str(exc))
        if not found:
            note("no model installed; using the rules only")
            rules_only = True
    factory = RepairerFactory(model, rules_only=rules_only, threshold=threshold, threads=threads,
                              seq2seq_path=seq2seq,
                              engine_path=None if rules_only else engine_path(engine, katago_model))
    with refusing(CheckpointError):
        factory.check()
    return factory
