"""The ``gofix`` command line: a thin Typer layer over the library.

Each command parses its arguments, makes one library call, and renders the
result with rich. Library errors are caught here and printed to stderr.

Exit codes: 0 every game clean; 1 something flagged (or a game unreadable);
2 usage error, or nothing could be read.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .check import GameReport

app = typer.Typer(
    name="gofix",
    help="Find and repair transcription errors in Go game records (SGF).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gofix {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Find and repair transcription errors in Go game records (SGF).

    Example: [bold]gofix check games/ archive.zip[/bold]
    """


def _progress(enabled: bool) -> Progress:
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


def _finding_table(report: GameReport) -> Table:
    t = Table(title=f"{report.path} game {report.game}  ({report.size}x{report.size}, {report.moves} moves)",
              title_justify="left", show_lines=False)
    t.add_column("move", justify="right")
    t.add_column("colour")
    t.add_column("point")
    t.add_column("sgf")
    t.add_column("kind")
    t.add_column("conf", justify="right")
    t.add_column("what is wrong / repair")
    for f in report.findings:
        what = f.note or f.kind
        if f.repair:
            what += f" → {f.repair}"
        t.add_row(str(f.move), f.colour, f.gtp or "?", f.point or "(pass)", f.kind,
                  f"{f.confidence:.2f}", what)
    return t


@app.command()
def check(
    paths: List[Path] = typer.Argument(
        ..., exists=True, readable=True, help="SGF files, directories (recursive), .zip/.tar/.tar.gz archives."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines, one object per game, on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line (and unreadable games)."),
) -> None:
    """Report suspicious and illegal moves in game records.

    Example: [bold]gofix check game.sgf[/bold]   or   [bold]gofix check archive.tar.gz --json > report.jsonl[/bold]
    """
    from .check import check_path

    counts = {"clean": 0, "flagged": 0, "unreadable": 0}
    n_findings = 0
    start = time.perf_counter()
    show_progress = not as_json and err.is_terminal
    with _progress(show_progress) as progress:
        task = progress.add_task("checking", total=None, rate=0.0)
        for path in paths:
            for report in check_path(path):
                counts[report.status] += 1
                n_findings += len(report.findings)
                if as_json:
                    sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
                elif report.status == "unreadable":
                    err.print(f"[yellow]unreadable[/yellow] {report.path} game {report.game}: {report.error}")
                elif report.status == "flagged" and not quiet:
                    progress.console.print(_finding_table(report), soft_wrap=False)
                done = sum(counts.values())
                elapsed = time.perf_counter() - start
                progress.update(task, advance=1, rate=done / elapsed if elapsed > 0 else 0.0)
    total = sum(counts.values())
    elapsed = time.perf_counter() - start
    summary = (
        f"{total} games: {counts['clean']} clean, {counts['flagged']} flagged "
        f"({n_findings} findings), {counts['unreadable']} unreadable "
        f"in {elapsed:.1f} s ({total / elapsed if elapsed > 0 else 0:.0f} games/s)"
    )
    (err if as_json else out).print(summary)
    if total == 0 or counts["unreadable"] == total:
        raise typer.Exit(2)
    raise typer.Exit(1 if counts["flagged"] or counts["unreadable"] else 0)


if __name__ == "__main__":  # pragma: no cover
    app()
