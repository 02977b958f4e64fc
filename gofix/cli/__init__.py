"""The ``gofix`` command line: a thin Typer layer over the library.

Each command parses its arguments, makes one library call, and renders the
result with rich. Library errors are caught here and printed to stderr.

Exit codes, one rule for every command (each command's --help says what they mean there):
0 done, nothing left for you to look at; 1 done, but something needs a look (a finding not
repaired, a game unreadable, a file refused, records that differ, a region left undecided);
2 usage error, nothing readable (``no game records found in PATH``), or nothing could be done.

One module per group of commands: ``repair`` (check, fix), ``archive`` (clean, review, convert,
corrupt, reconcile), ``evaluate`` (eval), ``train``, ``calibrate``, ``versions`` (compare), ``engine``
(engine info, fetch); ``options`` holds the options they share, ``common`` the consoles, refusals and notes.
Imports are at the top of each module, but for the library modules that load numpy or torch (the
repair engine, the judges, grouping, training, the KataGo network): those are imported inside the
commands that use them, so that ``gofix --help`` and the commands that need none start fast.
"""

from __future__ import annotations

import typer

from gofix import __version__
from . import archive, calibrate, engine, evaluate, repair, train, versions
from .helptext import tidy

app = typer.Typer(
    name="gofix",
    help="Find and repair transcription errors in Go game records (SGF).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


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


# in the order `gofix --help` lists them
app.command()(repair.check)
app.command()(repair.fix)
app.command()(archive.clean)
app.command()(archive.review)
app.command()(archive.convert)
app.command()(archive.corrupt)
app.command(name="eval")(evaluate.evaluate_cmd)
app.command()(train.train)
app.command(name="calibrate")(calibrate.calibrate)
app.command()(versions.compare)
app.command()(archive.reconcile)
app.add_typer(engine.engine_app, name="engine")

tidy(app, engine.engine_app)  # usage, types and paragraphs that read cleanly at 80 columns
