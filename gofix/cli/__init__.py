"""The ``gofix`` command line: a thin Typer layer over the library.

Each command parses its arguments, makes one library call, and renders the
result with rich. Library errors are caught here and printed to stderr.

Exit codes, one rule for every command (each command's --help says what they mean there):
0 done, nothing left for you to look at; 1 done, but something needs a look (a finding not
repaired, a game unreadable, a file refused, records that differ, a region left undecided);
2 usage error, nothing readable (``no game records found in PATH``), or nothing could be done.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gofix import __version__
from gofix.findings import GameReport
from gofix.versions.compare import MIN_CONFIDENCE
from gofix.errors import GofixError

from .calibrate import calibrate as calibrate_command

app = typer.Typer(
    name="gofix",
    help="Find and repair transcription errors in Go game records (SGF).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

# Messages are never wrapped (soft_wrap): a piped error or warning stays one line that grep and log
# parsers see whole, whatever the terminal width or the length of a path in it. Tables still fit the
# terminal (or 140 columns when stdout is a file or a pipe).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _n(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1: ``_n(1, "game")`` is "1 game",
    ``_n(3, "game")`` "3 games", ``_n(2, "match", "matches")`` "2 matches"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


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


def _require_records(*paths) -> None:
    """Exit 2 with ``no game records found in PATH`` when no path holds a single record file (an
    empty folder, one with no SGF/GIB/NGF/UGF files, an empty archive), before anything is written."""
    from gofix.formats.sources import iter_sources

    for path in paths:
        for _ in iter_sources(path):
            return
    err.print(f"[red]error:[/red] no game records found in {escape(', '.join(str(p) for p in paths))}")
    raise typer.Exit(2)


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
    t = Table(title=f"{escape(report.path)} game {report.game}  "
                    f"({report.size}x{report.size}, {_n(report.moves, 'move')})",
              title_justify="left", show_lines=False)
    t.add_column("move", justify="right")
    t.add_column("colour")
    t.add_column("point")
    t.add_column("sgf")
    t.add_column("kind")
    t.add_column("suspicion", justify="right")
    t.add_column("what is wrong")
    t.add_column("repair")
    for f in report.findings:
        fix = f.repair.describe(confidence=True) if f.repair is not None else ""
        t.add_row(str(f.move), f.colour, f.gtp or "?", escape(f.point) or "(pass)", f.kind,
                  f"{f.confidence:.2f}", escape(f.note or f.kind), escape(fix))
    return t


def _judge_model_option():
    return typer.Option(None, "--model", exists=True, dir_okay=False,
                        help="A tagger checkpoint for the judge (default: the bundled model).")


def _min_confidence_option(undecided: str):
    return typer.Option(
        MIN_CONFIDENCE, "--min-confidence", min=0.5, max=1.0,
        help=f"Least confidence for the judge to decide a tie; below it the region stays undecided {undecided}. "
             "On synthetic pairs the judge's verdicts at 0.8 or more were wrong 1.5% of the time, those below "
             "it 29%; the rules' verdicts (0.99) always pass.")


def _seq2seq_option():
    return typer.Option(None, "--seq2seq", exists=True, dir_okay=False,
                        help="An encoder-decoder checkpoint whose proposals join the tagger's repair "
                             "candidates (default: none; the bundled one is seq2seq.pt in gofix/weights).")


def _engine_option():
    return typer.Option("auto", "--engine", case_sensitive=False,
                        help="The KataGo network as judge of every repair and second look at every suspect: "
                             "auto (when a network is found), katago (required), none.")


def _katago_model_option():
    return typer.Option(None, "--katago-model", dir_okay=False,
                        help="A KataGo network file (.bin.gz); default: the one the GOFIX_KATAGO_MODEL variable "
                             "names, gofix's cache (`gofix engine fetch`), KaTrain's models.")


def _jobs_option():
    """--jobs/-j, the same on every command: worker processes, default 1, 0 for all cores."""
    return typer.Option(1, "--jobs", "-j", min=0, help="Worker processes (default 1; 0: all cores); output keeps "
                                                       "the input order.")


def _limit_option(what: str):
    return typer.Option(None, "--limit", min=1, help=f"Only the first N {what} of the input (a sample).")


def _quiet_option(what: str = "the summary line"):
    return typer.Option(False, "--quiet", "-q", help=f"Print only {what} (and what was unreadable or refused).")


def _flag_threshold_option(alias: bool = False):
    return typer.Option(None, "--flag-threshold", min=0.0, max=1.0,
                        help="Suspicion at which the tagger flags a move (default: the model's calibrated one)"
                             + ("; --threshold is this one." if alias else "."))


def _apply_threshold_option(alias: bool = False):
    return typer.Option(None, "--apply-threshold", min=0.0, max=1.0,
                        help="Confidence a repair needs to be applied (default: the model's calibrated one)"
                             + ("; --threshold is this one." if alias else "."))


def _old_threshold_option():
    """The old --threshold, kept working (hidden): check's flag threshold, fix's and clean's apply threshold."""
    return typer.Option(None, "--threshold", min=0.0, max=1.0, hidden=True)


@app.command()
def check(
    paths: List[Path] = typer.Argument(
        ..., exists=True, readable=True,
        help="Game records (SGF, GIB, NGF, UGF/UGI), directories (recursive), .zip/.tar/.tar.gz archives."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines, one object per game, on stdout."),
    quiet: bool = _quiet_option(),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print what was read with recovery (warnings)."),
    model: Optional[Path] = typer.Option(None, "--model", exists=True, dir_okay=False,
                                         help="A tagger checkpoint (default: the bundled model)."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Use the rules only, no model."),
    threshold: Optional[float] = _flag_threshold_option(alias=True),
    apply_threshold: Optional[float] = _apply_threshold_option(),
    old_threshold: Optional[float] = _old_threshold_option(),
    diagrams: bool = typer.Option(True, "--diagrams/--no-diagrams",
                                  help="Show the board around each finding (first 5 per game)."),
    seq2seq: Optional[Path] = _seq2seq_option(),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
    jobs: int = _jobs_option(),
    limit: Optional[int] = _limit_option("games"),
    html: Optional[Path] = typer.Option(None, "--html", dir_okay=False,
                                        help="Also write a review report: one HTML file with the boards as "
                                             "recorded and repaired for every finding."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --html file if it is there."),
) -> None:
    """Report suspicious and illegal moves in game records, each with the repair gofix would make.

    The repairs are those `gofix fix` would apply with the same options (--flag-threshold,
    --apply-threshold, models), with their confidence; a repair found but below --apply-threshold
    is shown too, saying it would not be applied and why.

    Example: [bold]gofix check game.sgf[/bold]   or   [bold]gofix check archive.tar.gz --json --jobs 0 > report.jsonl[/bold]

    Exit codes: 0 every game clean; 1 something flagged, or a game unreadable; 2 usage error, no
    game records found, or nothing readable.
    """
    _require_records(*paths)
    _refuse_html(html, paths, force)
    from gofix.repair.check import check_path, check_paths_parallel
    from gofix.findings import unlisted

    n_jobs = jobs or _cores()
    factory = _repairer_factory(rules_only, model, apply_threshold, threads=1 if n_jobs > 1 else None,
                                seq2seq=seq2seq, engine=engine, katago_model=katago_model)
    factory.flag_threshold = threshold if threshold is not None else old_threshold
    if n_jobs > 1:
        reports = check_paths_parallel(paths, factory, n_jobs)
    else:
        repairer = factory()
        reports = (report for path in paths for report in check_path(path, repairer=repairer))
    source = reports
    if limit is not None:
        import itertools

        reports = itertools.islice(source, limit)
    counts = {"clean": 0, "flagged": 0, "unreadable": 0}
    kept: list = []  # the reports, for --html
    n_findings = 0
    n_warned = 0
    n_repairs_shown = 0
    start = time.perf_counter()
    show_progress = not as_json and err.is_terminal
    with _progress(show_progress) as progress:
        task = progress.add_task("checking", total=None, rate=0.0)
        for report in reports:
            counts[report.status] += 1
            n_findings += report.n_findings
            if html is not None:
                kept.append(report if report.findings else GameReport(report.path, report.game, report.status,
                                                                      error=report.error))
            n_warned += bool(report.warnings)
            if verbose and report.warnings and not as_json:
                for w in report.warnings:
                    err.print(f"[yellow]warning[/yellow] {escape(report.path)} game {report.game}: {escape(w)}")
            if as_json:
                sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
            elif report.status == "unreadable":
                err.print(f"[yellow]unreadable[/yellow] {escape(report.path)} game {report.game}: {escape(report.error)}")
            elif report.status == "flagged" and not quiet:
                out.print(_finding_table(report), soft_wrap=False)
                if report.more_findings:
                    out.print(unlisted(report.more_findings))
                n_repairs_shown += sum(f.repair is not None for f in report.findings)
                if diagrams:
                    _print_diagrams(report)
            done = sum(counts.values())
            elapsed = time.perf_counter() - start
            progress.update(task, advance=1, rate=done / elapsed if elapsed > 0 else 0.0)
    if hasattr(source, "close"):
        source.close()  # a --limit stopped early: the worker processes end here
    total = sum(counts.values())
    elapsed = time.perf_counter() - start
    summary = (
        f"{_n(total, 'game')}: {counts['clean']} clean, {counts['flagged']} flagged "
        f"({_n(n_findings, 'finding')}), {counts['unreadable']} unreadable, "
        f"{n_warned} read with recovery{'' if verbose or not n_warned else ' (-v shows how)'} "
        f"in {elapsed:.1f} s ({total / elapsed if elapsed > 0 else 0:.0f} games/s)"
    )
    (err if as_json else out).print(summary)
    if n_repairs_shown and not rules_only:
        out.print(_trust_note(model, factory.engine_path is not None))
    if html is not None:
        from gofix.review.runs import check_review

        import shlex

        given = [("--rules-only", rules_only), ("--model", model), ("--seq2seq", seq2seq),
                 ("--flag-threshold", threshold if threshold is not None else old_threshold),
                 ("--apply-threshold", apply_threshold), ("--engine", None if engine == "auto" else engine),
                 ("--katago-model", katago_model)]
        flags = [name if value is True else f"{name} {shlex.quote(str(value))}"
                 for name, value in given if value not in (None, False)]  # every option that changes a finding
        with _writing():
            written = check_review(kept, html, flags=flags, rules_only=rules_only or factory.rules_only,
                                   trust="" if rules_only else _plain(_trust_note(model, factory.engine_path is not None)))
        (err if as_json else out).print(f"review: {escape(written.path)} ({_n(written.findings, 'finding')})")
    if total == 0 or counts["unreadable"] == total:
        raise typer.Exit(2)
    raise typer.Exit(1 if counts["flagged"] or counts["unreadable"] else 0)


def _trust_note(model: Optional[Path], engine: bool = False) -> str:
    """How far to trust the repairs shown, from the model card (``pretrained.change_trust``), or with
    the KataGo network as judge from its calibration (``engine.judge.trust``)."""
    from gofix.repair.pretrained import change_trust

    if engine:
        from gofix.engine.judge import trust as engine_trust

        t = engine_trust()
        if t is None:
            return ("[dim]Repairs judged by the KataGo network, not yet calibrated "
                    "(scripts/engine_calibrate.py); check each one.[/dim]")
        return (f"[dim]Repairs judged by the KataGo network: on {t['games']} validation games with planted "
                f"errors ({t['corrupted']} corrupted, the games the calibration was fitted on), "
                f"{t['exact_repair']:.0%} of the corrupted games were restored exactly, {t['wrong_repairs']} "
                f"wrongly changed, {t['clean_untouched']:.0%} of the clean games left alone. "
                f"Check each one.[/dim]")

    trust = change_trust(model)
    if trust is None:
        return ("[dim]Repairs: this model's card says nothing about how often its changes are right "
                "(gofix calibrate); check each one.[/dim]")
    bins = ", ".join(f"{b['confidence'][0]:.2f}+: {b['right']}/{b['changed']}" for b in trust.get("bins", [])
                     if b.get("changed"))
    split = {"val": "validation", "train": "training"}.get(trust["split"], str(trust["split"]))
    return (f"[dim]Repairs: on {trust['games']:,} {escape(split)} games with planted errors, "
            f"{trust['share_right']:.0%} of the games this model changed were restored exactly "
            f"(right/changed by confidence: {bins}). The confidence ranks repairs; it is not a "
            f"probability. Check each one.[/dim]")


def _plain(markup: str) -> str:
    """Rich markup as plain text (for the HTML review)."""
    from rich.text import Text

    return Text.from_markup(markup).plain


def _print_diagrams(report: GameReport, limit: int = 5) -> None:
    """Boards around the first ``limit`` findings: [X] as recorded, (X) the proposed repair."""
    from gofix.rules.diagram import local_diagram

    rec = report.record
    if rec is None:
        return
    for f in report.findings[:limit]:
        lines = local_diagram(rec.size, rec.moves, f.move - 1, f.repair_point,
                              setup_black=rec.setup_black, setup_white=rec.setup_white,
                              proposed_colour=f.repair_colour)
        if not lines:
            continue
        legend = f"move {f.move} {f.colour} {f.gtp or f.point}: [ ] as recorded" + (
            (", ( ) the missing move proposed" if f.repair_colour else ", ( ) proposed")
            if f.repair_point is not None else "")
        out.print(escape(legend))
        for line in lines:
            out.print(escape(line), highlight=False)
    if len(report.findings) > limit:
        out.print(f"({_n(len(report.findings) - limit, 'more finding')} without diagrams)")


def _refuse_overwrite(src: Path, dst: Path, report: Optional[Path] = None) -> None:
    """Exit 2 (the reason on stderr) when the output folder or report is SRC or inside it."""
    from gofix.formats.paths import UnsafePathError, check_output

    try:
        check_output(src, dst)
        if report is not None:
            check_output(src, report)
    except UnsafePathError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def _refuse_html(html: Optional[Path], inputs, force: bool) -> None:
    """Exit 2 (the reason on stderr) when the --html page would land on an input, on a symbolic link,
    or on a file that is there (without --force): the rule of every command that writes."""
    if html is None:
        return
    target = html.resolve()
    for given in inputs:
        name = str(given)
        base = Path(name.split("!", 1)[0].rsplit("#", 1)[0] if not Path(name).exists() else name)
        if base.exists() and base.resolve() == target:
            err.print(f"[red]error:[/red] --html {escape(str(html))} is an input of this run: choose another file")
            raise typer.Exit(2)
    if html.is_symlink():
        err.print(f"[red]error:[/red] --html {escape(str(html))} is a symbolic link: gofix never writes through one")
        raise typer.Exit(2)
    if html.exists() and not force:
        err.print(f"[red]error:[/red] {escape(str(html))} exists: not overwritten (--force overwrites it)")
        raise typer.Exit(2)


@contextmanager
def _writing(resume: str | None = None):
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
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except OSError as exc:
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        err.print(f"[red]error:[/red] cannot write{escape(where)}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from None


def _force_option(what: str = "outputs"):
    return typer.Option(False, "--force", help=f"Overwrite {what} that exist and redo a finished run, or one "
                                               "with other options, into the same --out (default: refuse).")


def _cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _inference_threads() -> None:
    """One torch thread for inference (GOFIX_THREADS to change): per-game forwards gain little from
    more, and threads competing with other work collapse throughput. Batch work uses --jobs instead."""
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("GOFIX_THREADS", "1"))))


def _detector(model: Optional[Path], threshold: Optional[float]):
    """The tagger (``--model`` or the bundled one), or None when there is none: rules only."""
    from gofix.errors import CheckpointError
    from gofix.repair.pretrained import load_detector

    _inference_threads()
    try:
        det = load_detector(model, threshold=threshold)
    except CheckpointError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if det is None:
        err.print("[yellow]note:[/yellow] no model installed; using the rules only")
    return det


_ENGINE_NOTE_SAID = False


def _engine_path(engine: str, katago_model: Optional[Path]) -> Optional[Path]:
    """The network the judge runs, or None (no engine): from ``--engine`` and ``--katago-model``."""
    global _ENGINE_NOTE_SAID
    from gofix.engine import locate
    from gofix.engine.modelfile import ModelFileError, read_model

    choice = engine.lower()
    if choice not in ("auto", "katago", "none"):
        err.print(f"[red]error:[/red] --engine {escape(engine)}: choose auto, katago or none")
        raise typer.Exit(2)
    if choice == "none":
        return None
    try:
        found = locate.find_network(katago_model)
    except locate.NetworkFetchError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if found is None:
        if choice == "katago":
            err.print("[red]error:[/red] --engine katago: no KataGo network found; `gofix engine fetch` downloads "
                      "one, or pass --katago-model PATH")
            raise typer.Exit(2)
        if not _ENGINE_NOTE_SAID:
            _ENGINE_NOTE_SAID = True
            err.print("[yellow]note:[/yellow] no KataGo network found, so no engine judges the repairs; "
                      "`gofix engine fetch` downloads one")
        return None
    try:
        read_model(found.path)  # a bad file is an error before any work starts
    except ModelFileError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    return found.path


def _repairer_factory(rules_only: bool, model: Optional[Path], threshold: Optional[float],
                      threads: Optional[int] = None, seq2seq: Optional[Path] = None,
                      engine: str = "none", katago_model: Optional[Path] = None):
    """What repairs games: the tagger, the encoder-decoder and the repair engine (judged by the
    KataGo network that ``--engine`` / ``--katago-model`` name, ``_engine_path``), or the rules only."""
    from gofix.errors import CheckpointError
    from gofix.repair.pretrained import RepairerFactory, load_scorer

    if not rules_only and _detector(model, None) is None:  # fails early, here, on a bad checkpoint
        rules_only = True
    factory = RepairerFactory(model, rules_only=rules_only, threshold=threshold, threads=threads,
                              seq2seq_path=seq2seq,
                              engine_path=None if rules_only else _engine_path(engine, katago_model))
    spath = factory.scorer_path()
    if spath is not None:
        try:
            load_scorer(spath)  # here too: a bad file is an error before any work starts
        except CheckpointError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
    return factory


@app.command()
def fix(
    src: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                               help="The record to repair (SGF, or GIB, NGF, UGF/UGI: written as SGF)."),
    output: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the repaired record."),
    in_place: bool = typer.Option(False, "--in-place",
                                  help="Rewrite SRC itself, keeping SRC.bak; a GIB/NGF/UGF input is left as it "
                                       "is and SRC.sgf written beside it."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    threshold: Optional[float] = _apply_threshold_option(alias=True),
    flag_threshold: Optional[float] = _flag_threshold_option(),
    old_threshold: Optional[float] = _old_threshold_option(),
    model: Optional[Path] = typer.Option(None, "--model", exists=True, dir_okay=False,
                                         help="A tagger checkpoint (default: the bundled model)."),
    seq2seq: Optional[Path] = _seq2seq_option(),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Use the rules only, no model."),
) -> None:
    """Write a repaired record: repaired main line, the original kept as a variation.

    Changed moves carry DO[] and a comment saying what changed and how sure
    gofix is; the root's GC[] says what was done. Everything else is kept.

    Example: [bold]gofix fix game.sgf -o game-fixed.sgf[/bold]

    Exit codes: 0 written, every finding repaired (or none); 1 written, but a finding is left not
    repaired; 2 usage error, an unreadable record, or an --out that exists (without --force).
    """
    from gofix.findings import not_repaired, unlisted
    from gofix.archive.clean import clean_file
    from gofix.formats.paths import atomic_write
    from gofix.formats.read import sniff_format

    if (output is None) == (not in_place):
        err.print("[red]error:[/red] give exactly one of --out FILE or --in-place")
        raise typer.Exit(2)
    data = src.read_bytes()
    if in_place and sniff_format(data, src.name) != "sgf":  # never written to: SGF goes beside it
        in_place, output = False, src.with_name(src.name + ".sgf")
    target = src if in_place else output
    if not in_place and target.exists() and not force:
        err.print(f"[red]error:[/red] {target} exists; use --force to overwrite it")
        raise typer.Exit(2)
    if not in_place and target.resolve() == src.resolve():
        err.print("[red]error:[/red] --out is the input file; use --in-place to rewrite it (keeps a .bak)")
        raise typer.Exit(2)
    factory = _repairer_factory(rules_only, model, threshold if threshold is not None else old_threshold,
                                seq2seq=seq2seq, engine=engine, katago_model=katago_model)
    factory.flag_threshold = flag_threshold
    repairer = factory()
    out_bytes, lines = clean_file(str(src), data, repairer, None)
    if all(line["status"] == "unreadable" for line in lines):
        for line in lines:
            err.print(f"[red]unreadable[/red] {escape(line['path'])} game {line['game']}: {escape(line['error'])}")
        raise typer.Exit(2)
    with _writing():
        if in_place:
            backup = src.with_name(src.name + ".bak")
            k = 1
            while backup.exists():
                backup = src.with_name(f"{src.name}.bak{k}")
                k += 1
            atomic_write(backup, data)
        atomic_write(target, out_bytes)
    n_edits = sum(len(line["edits"]) for line in lines)
    for line in lines:
        for e in line["edits"]:
            out.print(f"game {line['game']}: {escape(_repair_line(e))}")
        for f in not_repaired(line):
            found = f.get("repair") or {}
            why = (f" (found {found['description']}, confidence {found['confidence']:.2f}; not applied: "
                   f"{found['why_not']})" if found.get("why_not") else "")
            out.print(f"game {line['game']}: not repaired: {f['colour']} {f['move']} "
                      f"{escape('[' + f['point'] + ']')} {f['kind']}{escape(why)}")
        if line.get("more_findings"):
            out.print(f"game {line['game']}: {unlisted(line['more_findings'])}")
    out.print(f"wrote {target}: {_n(n_edits, 'edit')} in {_n(len(lines), 'game')}"
              + (f"; original kept as {backup}" if in_place else ""))
    if n_edits and not rules_only:
        out.print(_trust_note(model, getattr(repairer, "engine", None) is not None))
    left = any(line["status"] == "unreadable" or not_repaired(line) for line in lines)
    raise typer.Exit(1 if left else 0)


def _repair_line(e: dict) -> str:
    """A report line's edit (``edits.Repair.to_dict``) in words, with its one confidence and who decided."""
    from gofix.edits import decider_words

    return f"{e['description']}, confidence {e['confidence']:.2f}, decided by {decider_words(e.get('decided_by'))}"


@app.command()
def clean(
    src: Path = typer.Argument(..., exists=True, readable=True, help="File, directory or archive to clean."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory; mirrors SRC's relative paths."),
    jobs: int = _jobs_option(),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file (default DST/report.jsonl)."),
    threshold: Optional[float] = _apply_threshold_option(alias=True),
    flag_threshold: Optional[float] = _flag_threshold_option(),
    old_threshold: Optional[float] = _old_threshold_option(),
    game_seconds: float = typer.Option(30.0, "--game-seconds", min=0.1, help="Time limit per game."),
    model: Optional[Path] = typer.Option(None, "--model", exists=True, dir_okay=False,
                                         help="A tagger checkpoint (default: the bundled model)."),
    seq2seq: Optional[Path] = _seq2seq_option(),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Use the rules only, no model."),
    force: bool = _force_option(),
    limit: Optional[int] = _limit_option("files"),
    quiet: bool = _quiet_option(),
) -> None:
    """Repair every game of an archive into a mirrored output tree, with a report.

    Interrupted runs resume where they stopped; SRC is never written to;
    unreadable games are copied through unchanged and listed.

    Example: [bold]gofix clean old-archive.zip --out cleaned/ --jobs 2[/bold]

    Exit codes: 0 every game clean or repaired in full; 1 a game with a finding left (not repaired,
    or repaired only in part), unreadable or timed out, or a file refused (all listed at the end); 2 usage error, no game records found,
    nothing readable, or DST holding a finished or another run (--force).
    """
    _require_records(src)
    from gofix.archive.clean import clean_tree

    _refuse_overwrite(src, dst, report)
    review_kept = _review_there(dst, force)
    n_jobs = jobs or _cores()
    factory = _repairer_factory(rules_only, model, threshold if threshold is not None else old_threshold,
                                threads=1, seq2seq=seq2seq, engine=engine, katago_model=katago_model)  # 1 thread per worker
    factory.flag_threshold = flag_threshold
    start = time.perf_counter()
    with _progress(err.is_terminal) as progress:
        task = progress.add_task("cleaning", total=None, rate=0.0)

        def tick(n: int) -> None:
            progress.update(task, completed=n, rate=n / max(time.perf_counter() - start, 1e-9))

        with _writing(f"the files finished so far are kept in {dst}; the same command resumes from them"):
            stats = clean_tree(src, dst, repairer_factory=factory, jobs=n_jobs, report_path=report,
                               game_seconds=game_seconds, progress=tick, force=force, limit=limit)
    elapsed = time.perf_counter() - start
    if stats.existing:
        err.print(f"[yellow]kept[/yellow] {_n(stats.existing, 'file')} whose output was in {escape(str(dst))} before "
                  "this run, not written (--force overwrites them; listed as \"exists\" in the report)")
    t = Table(title=f"gofix clean {src} -> {dst}", title_justify="left")
    for col in ("games", "clean", "repaired", "flagged, not repaired", "unreadable", "timed out", "files", "games/s"):
        t.add_column(col, justify="right")
    done = stats.games - stats.resumed_games  # this run's work only: a resumed run's speed is its own
    t.add_row(str(stats.games), str(stats.clean), str(stats.repaired), str(stats.flagged), str(stats.unreadable),
              str(stats.timed_out), str(stats.files), f"{done / elapsed if elapsed > 0 else 0:.0f}")
    if quiet:
        out.print(f"{_n(stats.games, 'game')} in {_n(stats.files, 'file')}: {stats.clean} clean, {stats.repaired} "
                  f"repaired, {stats.flagged} flagged not repaired, {stats.unreadable} unreadable, "
                  f"{stats.timed_out} timed out; report: {report or dst / 'report.jsonl'}")
    else:
        out.print(t)
    where = report or dst / "report.jsonl"
    if not quiet:
        out.print(f"report: {where}"
                  + (f" ({_n(stats.resumed_files, 'file')} finished by an earlier run)" if stats.resumed_files else ""))
    _write_review(dst, review_kept, quiet)
    if stats.repaired and not rules_only and not quiet:
        out.print(_trust_note(model, factory.engine_path is not None))
    if not quiet:
        _list_files(out, "changed", [str(dst / rel) for rel in stats.changed], f'"changed": true in {where}')
    _list_files(err, "refused", stats.refused, f'"status": "refused" in {where}')
    if (stats.games == 0 and not stats.existing and not stats.refused) or (stats.games and stats.unreadable == stats.games):
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.flagged or stats.unreadable or stats.timed_out or stats.refused else 0)


def _list_files(console: Console, what: str, names: list[str], where: str, limit: int = 10) -> None:
    """End a run with the files ``what`` (changed, refused): each on its line, or past ``limit`` their
    count and where the list is (``where``: the report lines that name them)."""
    if len(names) > limit:
        console.print(f"[yellow]{what}[/yellow] {_n(len(names), 'file')}: the lines with {escape(where)}")
        return
    for name in names:
        console.print(f"[yellow]{what}[/yellow] {escape(name)}")


def _review_there(dst: Path, force: bool) -> bool:
    """Whether DST/review.html was there before this run: then it is kept, as every output there before
    is, unless --force (``_write_review`` says so)."""
    from gofix.review.runs import REVIEW_NAME

    there = dst / REVIEW_NAME
    return (there.exists() or there.is_symlink()) and not force  # a link, even dangling, is not written through


def _say_review_kept(dst: Path) -> None:
    from gofix.review.runs import REVIEW_NAME

    err.print(f"[yellow]kept[/yellow] {escape(str(dst / REVIEW_NAME))}, there before this run: not rewritten "
              "(--force overwrites it; `gofix review` rebuilds it)")


def _write_review(dst: Path, kept: bool = False, quiet: bool = False) -> None:
    """DST/review.html of the clean run in DST, with the trust line of the models it ran; ``kept``: it was
    there before the run, and is not rewritten."""
    from gofix.review.runs import run_repairer, run_review

    if kept:
        _say_review_kept(dst)
        return
    with _writing():
        used = run_repairer(dst)
        models = str(used.get("class", "")).endswith(".RepairerFactory") and not used.get("rules_only")
        trust = "" if not models else _plain(_trust_note(
            Path(used["model_path"]) if used.get("model_path") else None, bool(used.get("engine_path"))))
        written = run_review(dst, trust=trust)
    if not quiet:
        out.print(f"review: {escape(written.path)} ({_n(written.findings, 'finding')})")


@app.command()
def review(
    dst: Path = typer.Argument(..., exists=True, file_okay=False, help="The --out folder of a finished `gofix clean` or `gofix reconcile` run."),
) -> None:
    """Rebuild the HTML review report DST/review.html of a finished `gofix clean` run, from its report.jsonl
    and the records (as read in SRC, repaired in DST), or of a `gofix reconcile` run, from its reconcile.jsonl.

    Example: [bold]gofix review cleaned/[/bold]

    Exit codes: 0 written; 2 usage error, or DST holds no finished clean or reconcile run (or its report is
    missing).
    """
    from gofix.review.runs import run_command

    if run_command(dst) == "reconcile":
        _write_reconcile_review(dst)
    else:
        _write_review(dst)


def _write_reconcile_review(dst: Path, quiet: bool = False) -> None:
    """DST/review.html of the reconcile run in DST."""
    from gofix.review.runs import reconcile_review

    with _writing():
        written = reconcile_review(dst)
    if not quiet:
        out.print(f"review: {escape(written.path)} ({_n(written.findings, 'region')} in {_n(written.games, 'group')})")


@app.command()
def convert(
    src: Path = typer.Argument(..., exists=True, readable=True,
                               help="File, directory or archive: SGF, GIB, NGF, UGF/UGI, recognised by content."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory; mirrors SRC's paths with .sgf added."),
    force: bool = typer.Option(False, "--force", help="Overwrite outputs that exist (default: keep them, listed as "
                                                      "'exists') and redo a finished run into the same --out."),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file (default DST/convert-report.jsonl)."),
    quiet: bool = _quiet_option(),
) -> None:
    """Convert game records of any readable format to SGF (FF[4], UTF-8), without repairing anything.

    SRC is never written to; what cannot be read is listed in the report.

    Example: [bold]gofix convert tygem-export.zip --out sgf/[/bold]

    Exit codes: 0 every record converted; 1 a record unreadable or a file refused; 2 usage error,
    no game records found, or nothing readable.
    """
    _require_records(src)
    from gofix.archive.convert import REPORT, convert_tree

    _refuse_overwrite(src, dst, report)
    start = time.perf_counter()
    with _progress(err.is_terminal) as progress:
        task = progress.add_task("converting", total=None, rate=0.0)

        def tick(n: int) -> None:
            progress.update(task, completed=n, rate=n / max(time.perf_counter() - start, 1e-9))

        with _writing(f"the files finished so far are kept in {dst}; the same command resumes from them"):
            stats = convert_tree(src, dst, overwrite=force, report_path=report, progress=tick)
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    t = Table(title=f"gofix convert {escape(str(src))} -> {escape(str(dst))}", title_justify="left")
    for col in ("format", "games converted", "unreadable"):
        t.add_column(col, justify="left" if col == "format" else "right")
    for fmt in sorted({f for f, _ in stats.by_format}):
        t.add_row(fmt.upper(), str(stats.by_format[fmt, "converted"]), str(stats.by_format[fmt, "unreadable"]))
    if not quiet:
        out.print(t)
    out.print(f"{_n(stats.games, 'game')} in {_n(stats.files, 'file')} written to {escape(str(dst))}"
              + (f"; {_n(stats.existing, 'file')} skipped, their output was there before this run (--force "
                 "overwrites)" if stats.existing else "")
              + (f"; {stats.resumed} converted by the interrupted run resumed" if stats.resumed else "")
              + f"; report: {escape(str(report or dst / REPORT))}")
    if stats.games == 0 and not stats.existing:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.unreadable or stats.refused else 0)


def _channel(errors_per_game: int, clean_share: float, mix: str = "default"):
    from gofix.train.corrupt import mix_channel

    try:
        return mix_channel(mix, errors_per_game=errors_per_game, clean_share=clean_share)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def corrupt(
    src: Path = typer.Argument(..., exists=True, readable=True, help="Clean games: file, directory or archive."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory for the corrupted copies and truth.jsonl."),
    seed: int = typer.Option(0, help="Seed of the error channel (same seed, same output)."),
    errors_per_game: int = typer.Option(1, min=0, help="Errors in each corrupted game."),
    clean_share: float = typer.Option(0.5, min=0.0, max=1.0, help="Share of games left clean."),
    mix: str = typer.Option("default", help="Error mix: default, or real (order errors and late errors "
                            "up-weighted, like the real differences of real-dev)."),
    force: bool = _force_option(),
) -> None:
    """Write corrupted copies of clean records (same relative paths) plus truth.jsonl.

    Use it to measure gofix on your own archive: corrupt it, then run
    [bold]gofix eval[/bold] on the output.

    Example: [bold]gofix corrupt archive.tar.gz --out noisy/ --seed 1[/bold]

    Exit codes: 0 written; 1 a file refused; 2 usage error or no game records found.
    """
    _require_records(src)
    from gofix.archive.corrupt import corrupt_tree

    channel = _channel(errors_per_game, clean_share, mix)
    _refuse_overwrite(src, out_dir, out_dir / "truth.jsonl")
    with _progress(err.is_terminal) as progress:
        task = progress.add_task("corrupting", total=None, rate=0.0)
        start = time.perf_counter()

        def tick(n: int) -> None:
            progress.update(task, completed=n, rate=n / max(time.perf_counter() - start, 1e-9))

        with _writing():
            stats = corrupt_tree(src, out_dir, channel=channel, seed=seed, progress=tick, force=force)
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    if stats.existing:
        err.print(f"[yellow]kept[/yellow] {_n(stats.existing, 'file')} whose output was in {escape(str(out_dir))} "
                  "before this run, not written nor listed in truth.jsonl (--force overwrites them)")
    out.print(
        f"{_n(stats.games, 'game')} in {_n(stats.files, 'file')} written to {out_dir}: {stats.corrupted} corrupted, "
        f"{stats.clean} left clean, {stats.skipped} skipped (see {out_dir / 'truth.jsonl'})"
    )
    if stats.games == 0 and not stats.existing:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.refused else 0)


@app.command(name="eval")
def evaluate_cmd(
    data: Path = typer.Argument(
        ..., exists=True, readable=True,
        help="Clean games to corrupt (file, directory, archive), or a directory written by gofix corrupt.",
    ),
    limit: int = typer.Option(500, min=1, help="Games to evaluate."),
    split: str = typer.Option("test", help="Which split of the clean games: train, val, test or all."),
    seed: int = typer.Option(0, help="Seed of the error channel."),
    errors_per_game: int = typer.Option(1, min=0, help="Errors in each corrupted game."),
    clean_share: float = typer.Option(0.5, min=0.0, max=1.0, help="Share of games left clean."),
    mix: str = typer.Option("default", help="Error mix: default, or real (order errors and late errors "
                            "up-weighted, like the real differences of real-dev)."),
    threshold: Optional[float] = typer.Option(
        None, min=0.0, max=1.0, help="Confidence at which a flag counts (default: each model's calibrated one; 0.5 for rules)."),
    repair_threshold: Optional[float] = typer.Option(
        None, min=0.0, max=1.0, help="Confidence needed to apply a repair (default: each model's calibrated one)."),
    margin: int = typer.Option(0, min=0, help="Moves either side of an error's window where a flag still counts."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON on stdout."),
    markdown_path: Optional[Path] = typer.Option(None, "--markdown", help="Also write a markdown report here."),
    plot_path: Optional[Path] = typer.Option(None, "--plot", help="Also write a precision-recall PNG (needs matplotlib)."),
    model: Optional[Path] = typer.Option(None, "--model", exists=True, dir_okay=False,
                                         help="A tagger checkpoint (default: the bundled model)."),
    ablation: Optional[Path] = typer.Option(None, "--ablation", exists=True, dir_okay=False,
                                            help="A left-context-only tagger to compare (default: the bundled one)."),
    seq2seq: Optional[Path] = typer.Option(None, "--seq2seq", exists=True, dir_okay=False,
                                           help="An encoder-decoder to compare as 'tagger + seq2seq' "
                                                "(default: the bundled one, with the bundled tagger)."),
    no_seq2seq: bool = typer.Option(False, "--no-seq2seq", help="Leave the 'tagger + seq2seq' row out."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Evaluate the rules only."),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
) -> None:
    """Measure detection and repair on corrupted games with known truth.

    Systems compared on the same games: the rules alone (what SGFC-style
    checkers see), and the models when they are installed; with a KataGo network
    (--engine), the tagger with and without the network as judge, side by side.

    Example: [bold]gofix eval pro-games.tar.gz --limit 1000 --markdown eval.md[/bold]

    Exit codes: 0 measured; 2 usage error, no game records found, or no usable games.
    """
    _require_records(data)
    from gofix.evaluate import eval as ev

    if split not in ("train", "val", "test", "all"):
        raise typer.BadParameter(f"split must be train, val, test or all, not {split!r}")
    if (data / "truth.jsonl").is_file() if data.is_dir() else False:
        source = f"{data} (truth.jsonl)"
        cases_iter = ev.cases_from_truth(data)
    else:
        cases_iter = ev.corpus_cases(data, channel=_channel(errors_per_game, clean_share, mix), seed=seed,
                                     split=None if split == "all" else split, limit=limit)
        source = f"{data} split={split} seed={seed} errors/game={errors_per_game} clean share={clean_share} mix={mix}"
    with _progress(err.is_terminal and not as_json) as progress:
        task = progress.add_task("building cases", total=None, rate=0.0)
        cases = []
        for case in cases_iter:
            cases.append(case)
            progress.update(task, completed=len(cases))
            if len(cases) >= limit:
                break
        if not cases:
            err.print(f"[red]error:[/red] no usable games in {data} (19x19, legal, 30+ moves, split {split})")
            raise typer.Exit(2)
        results = []
        _inference_threads()
        load_start = time.perf_counter()
        try:
            systems = [ev.RulesOnly()] if rules_only else ev.available_systems(
                model, ablation, threshold=repair_threshold, seq2seq=seq2seq, use_seq2seq=not no_seq2seq,
                engine_path=_engine_path(engine, katago_model))
        except GofixError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        load_s = time.perf_counter() - load_start
        for system in systems:
            progress.update(task, description=system.name, completed=0, total=len(cases))
            outputs, secs = ev.run_system(system, cases, lambda k: progress.update(task, completed=k))
            at = threshold if threshold is not None else getattr(system, "threshold", 0.5)
            results.append(ev.score(system.name, cases, outputs, seconds=secs, threshold=at, margin=margin))
    def shown(t):
        return "calibrated per model" if t is None else t

    header = (f"gofix eval on {source}: {_n(len(cases), 'game')} (flag threshold {shown(threshold)}, "
              f"repair threshold {shown(repair_threshold)}, margin {margin}; models loaded in {load_s:.2f} s)")
    if as_json:
        sys.stdout.write(json.dumps({"data": source, "load_seconds": load_s,
                                     "results": [r.to_dict() for r in results]}) + "\n")
    else:
        out.print(_scores_table(results, header))
    if markdown_path is not None:
        from gofix.formats.paths import atomic_write

        atomic_write(markdown_path, ev.markdown(results, header=f"### {header}\n").encode("utf-8"))
    if plot_path is not None and not ev.plot_pr(results, plot_path):
        err.print("[yellow]no plot:[/yellow] matplotlib is not installed (pip install 'gofix[plot]')")


def _scores_table(results, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("system", "P", "R", "F0.5", "top flag", "repaired", "changes right", "clean kept", "false/100",
                "games/s"):
        t.add_column(col, justify="left" if col == "system" else "right", no_wrap=col == "system")
    for s in results:
        t.add_row(s.system, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f05:.3f}", f"{s.top_flag_hit:.3f}",
                  f"{s.repaired_exactly:.3f}", f"{s.changes_right:.3f} ({s.changed_games})", f"{s.clean_untouched:.3f}",
                  f"{s.false_flags_per_100_clean:.1f}", f"{s.games_per_s:.0f}")
    return t


def _seconds(text: str) -> float:
    """'45m', '2h', '90s' or a plain number of seconds."""
    t = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600}.get(t[-1:], None)
    try:
        return float(t[:-1]) * scale if scale else float(t)
    except ValueError:
        raise typer.BadParameter(f"time budget {text!r} is not like 30m, 2h or 900") from None


@app.command()
def train(
    data: Path = typer.Argument(..., exists=True, readable=True,
                                help="Clean games (file, directory, archive), or a cache .npz built earlier."),
    out_dir: Path = typer.Option(Path("runs/train"), "--out", "-o", help="Checkpoints (last.pt, best.pt) go here."),
    model: str = typer.Option("birnn", "--model",
                              help="Which model: birnn (the board-aware tagger), seq2seq (the encoder-decoder "
                                   "that judges repairs), or all (both, the budget split between them, "
                                   "into OUT/birnn and OUT/seq2seq)."),
    preset: str = typer.Option("small", help="Model size: tiny, small, default (and large for the tagger)."),
    time_budget: str = typer.Option("30m", "--time-budget", help="Training time, e.g. 30m, 2h."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/last.pt."),
    init_from: Optional[Path] = typer.Option(
        None, "--init-from", exists=True, dir_okay=False, readable=True,
        help="Fine-tune: start from this checkpoint's weights and model config (e.g. the bundled "
             "gofix/weights/tagger.pt) instead of a fresh --preset model; with --resume, OUT/last.pt wins."),
    causal: bool = typer.Option(False, "--causal", help="Left context only (the ablation)."),
    seed: int = typer.Option(0, help="Seed for everything random."),
    threads: int = typer.Option(0, help="Torch threads (0: the cores available)."),
    mix: str = typer.Option("default", help="Training errors: default, or real (order errors and late errors "
                                            "up-weighted, like real differences); validation keeps the default."),
    pipeline: str = typer.Option("cpu", help="Training input: cpu (worker processes), or tensor (replay and "
                                             "encoding in bulk on the training device: for a GPU)."),
    calibrate: bool = typer.Option(True, "--calibrate/--no-calibrate",
                                   help="Then write the tagger's model card (gofix calibrate on the run's cache)."),
) -> None:
    """Train the tagger and/or the encoder-decoder on your own archive of clean games.

    Builds a compact cache of the 19x19 games first (OUT/cache.npz), then
    trains with new synthetic errors every epoch, validating and writing
    checkpoints every few minutes. Runs unchanged under torchrun for DDP.

    Example: [bold]gofix train my-archive/ --time-budget 2h --out runs/mine[/bold]

    Fine-tune the bundled tagger on your archive: [bold]gofix train my-archive/ --init-from
    gofix/weights/tagger.pt --time-budget 1h --out runs/mine[/bold]

    Then the tagger's model card (OUT/best.json: its thresholds, the judge's fit, how often its
    changes were right), measured on the validation games of the cache as gofix calibrate does.

    Exit codes: 0 trained (and its card written); 1 trained, but the card is not (too few
    validation games: it says so) or needs a look; 2 usage error, no game records found, no usable
    games, a bad checkpoint, or a --resume whose budget is spent already (it says so); 130
    interrupted (Ctrl-C: the last checkpoint is kept, --resume goes on from it).
    """
    if data.suffix != ".npz":  # a cache already built holds its games
        _require_records(data)
    from gofix.errors import CheckpointError, NoGamesError
    from gofix.train.loop import TrainConfig, train as run_training

    if model not in ("birnn", "seq2seq", "all"):
        raise typer.BadParameter(f"model must be birnn, seq2seq or all, not {model!r}")
    if causal and model != "birnn":
        raise typer.BadParameter("--causal is the tagger's ablation: use it with --model birnn")
    if init_from is not None and model == "all":
        raise typer.BadParameter("--init-from names one model's checkpoint: use it with --model birnn or seq2seq")
    budget = _seconds(time_budget)
    from gofix.train.corrupt import MIXES

    if mix not in MIXES:
        raise typer.BadParameter(f"unknown error mix {mix!r}; known: {', '.join(sorted(MIXES))}")
    if pipeline not in ("cpu", "tensor"):
        raise typer.BadParameter(f"pipeline must be cpu or tensor, not {pipeline!r}")
    if pipeline == "tensor" and model != "birnn":
        raise typer.BadParameter("--pipeline tensor feeds the tagger: use it with --model birnn")
    with _writing():
        from gofix.formats.paths import make_folder

        make_folder(out_dir)
    cache = data
    if data.suffix != ".npz":
        from .train import cache_line
        from gofix.train.data import build_cache

        cache = out_dir / "cache.npz"
        if not cache.exists():
            with _progress(err.is_terminal) as progress:
                task = progress.add_task("reading games", total=None, rate=0.0)
                stats = build_cache([data], cache, progress=lambda n, kept: progress.update(task, completed=n))
            out.print(cache_line(cache, stats))
    kinds = ["birnn", "seq2seq"] if model == "all" else [model]
    if model == "all":
        budget = budget / 2
    configs = [TrainConfig(cache=str(cache), out_dir=str(out_dir / kind if model == "all" else out_dir), model=kind,
                           preset=preset, causal=causal, seed=seed, time_budget_s=budget, threads=threads,
                           resume=resume, init_from=str(init_from) if init_from is not None else "",
                           mix=mix, pipeline=pipeline)
               for kind in kinds]

    from .train import TrainReport, progress as train_progress, results_table
    from gofix.errors import BudgetSpentError

    done = []
    with train_progress(err) as bar:
        for cfg in configs:
            task = bar.add_task(f"training {cfg.model}", total=budget, rate=0.0, loss=0.0)
            try:
                metrics = run_training(cfg, [TrainReport(bar, task, budget, out)])
            except NoGamesError:  # as eval says it
                err.print(f"[red]error:[/red] no usable games in {escape(str(data))} "
                          "(19x19, legal, 30+ moves, split train)")
                raise typer.Exit(2) from None
            except BudgetSpentError as exc:  # --resume of a run that used its budget: says so, trains nothing
                err.print(f"[yellow]nothing to do:[/yellow] {escape(str(exc))}")
                raise typer.Exit(2) from None
            except (CheckpointError, ValueError) as exc:  # a bad --init-from file, or one for another model
                err.print(f"[red]error:[/red] {escape(str(exc))}")
                raise typer.Exit(2) from None
            except KeyboardInterrupt:
                err.print(f"interrupted: {escape(os.path.join(cfg.out_dir, 'last.pt'))} keeps the last checkpoint "
                          "(written at each validation); the same command with --resume goes on from it")
                raise typer.Exit(130) from None
            done.append((cfg.model, cfg.out_dir, metrics))
    out.print(results_table(done))
    if calibrate:
        from .calibrate import calibrate_trained

        raise typer.Exit(calibrate_trained(done, cache))


app.command(name="calibrate")(calibrate_command)


class _LazyJudge:
    """The judge, loaded on its first question (records that agree never load the model)."""

    def __init__(self, model: Optional[Path], rules_only: bool, engine_path: Optional[Path] = None):
        self.model, self.rules_only, self._judge = model, rules_only, None
        self.engine_path = None if rules_only else engine_path

    def choose(self, *args, **kwargs):
        if self._judge is None:
            from gofix.repair.judge import Judge

            if not self.rules_only:
                _inference_threads()
            if self.engine_path is not None:
                from gofix.versions.engine import VersionJudge

                self._judge = VersionJudge(self.engine_path)
            else:
                self._judge = Judge(self.model, rules_only=self.rules_only)
        return self._judge.choose(*args, **kwargs)


@app.command()
def compare(
    files: List[str] = typer.Argument(
        ..., metavar="FILE...",
        help="Two or more records of one game: FILE (its first game) or FILE#N (game N, counted from 0 as "
             "`gofix check` numbers them), in any format gofix reads."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print one JSON line per differing region (none when they agree)."),
    model: Optional[Path] = _judge_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Judge by the rules only, no model."),
    diagrams: bool = typer.Option(True, "--diagrams/--no-diagrams", help="Show each region on small boards."),
    min_confidence: float = _min_confidence_option("('both plausible')"),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
    html: Optional[Path] = typer.Option(None, "--html", dir_okay=False,
                                        help="Also write a review page: every region's versions on whole boards "
                                             "side by side, with the verdict."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --html file if it is there."),
) -> None:
    """Compare records of one game: where they differ, how, and which version is right.

    Aligned under any board symmetry, with missing or extra moves; each region is classified and judged.

    Three or more records: the majority decides, the judge (rules, then model) breaks ties; two: the judge,
    asked in each record's context (its reading of the other regions); different answers leave it undecided.

    Move numbers are each file's own; points are shown in the first file's orientation.

    Exit code 0: the records agree; 1: they differ; 2: usage error, unreadable file, other board size, not one game.

    Example: [bold]gofix compare A.sgf B.sgf[/bold]   or   [bold]gofix compare A.sgf B.sgf games.sgf#2 --json[/bold]
    """
    from gofix.versions.compare import compare_records, load_record

    if len(files) < 2:
        err.print("[red]error:[/red] give at least two records to compare")
        raise typer.Exit(2)
    _refuse_html(html, files, force)
    try:
        records = [load_record(f) for f in files]
        judge = _LazyJudge(model, rules_only, None if rules_only else _engine_path(engine, katago_model))
        reports = compare_records(records, judge=judge, min_confidence=min_confidence)
    except GofixError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    by = "engine" if judge.engine_path is not None else "tagger"  # who judged ties
    if as_json:
        for rep in reports:
            sys.stdout.write(json.dumps(rep.to_dict(files, records, by), ensure_ascii=False) + "\n")
    else:
        _print_comparison(files, records, reports, diagrams, by)
    if html is not None:
        from gofix.review.runs import compare_review

        with _writing():
            written = compare_review(html, files, records, reports, [_verdict_text(files, r) for r in reports])
        (err if as_json else out).print(f"review: {escape(written.path)}")
    raise typer.Exit(1 if reports else 0)


def _print_comparison(files, records, reports, diagrams: bool, by: str = "tagger") -> None:
    from gofix.versions.compare import region_diagrams, version_text

    size = records[0].size
    out.print(f"{_n(len(records), 'record')} of one game ({size}x{size}):")
    for i, (f, rec) in enumerate(zip(files, records)):
        sym = reports[0].symmetries[i] if reports else 0
        turned = f"  (symmetry {sym} into [0]'s orientation)" if sym else ""
        out.print(f"  [{i}] {escape(f)}  {_n(len(rec.moves), 'move')}{turned}", soft_wrap=True)
    if not reports:
        out.print("[green]the records agree[/green]")
        return
    out.print(f"{_n(len(reports), 'region')} {'differs' if len(reports) == 1 else 'differ'}")
    for n, rep in enumerate(reports, start=1):
        where = ", ".join(f"[{i}] " + (str(a) if a == b else f"{a}-{b}" if a < b else f"none (after {b})")
                          for i, (a, b) in enumerate(rep.moves))
        extra = f", offset {rep.offset}" if rep.offset else ""
        out.print(f"\n[bold]region {n}: {escape(rep.what())}[/bold]{extra}  moves {where}")
        for i in range(len(records)):
            out.print(f"  [{i}] {escape(version_text(records, rep, i))}")
        out.print("  verdict: " + escape(_verdict_text(files, rep)))
        fix = rep.repair(records, by)
        if fix is not None:
            out.print(f"  repair of [0]: {escape(fix.describe(confidence=True))}")
        if diagrams:
            boards = region_diagrams(records, rep)
            if any(boards):
                width = max(len(line) for b in boards for line in b) + 3
                heads = "".join(f"[{i}]".ljust(width) for i in range(len(boards)))
                out.print("  " + heads.rstrip())
                for row in zip(*[b or [""] * max(len(x) for x in boards) for b in boards]):
                    out.print(escape("  " + "".join(line.ljust(width) for line in row).rstrip()), highlight=False)


def _verdict_text(files, rep) -> str:
    if rep.verdict is None:
        if rep.reason == "contexts disagree":
            said = "; ".join(f"in [{i}]'s context " + (f"[{c}]" if c is not None else "neither")
                             + f" ({reason}, {conf:.2f})" for i, c, conf, reason in rep.contexts)
            if rep.joint is not None:
                first, last, c, conf, reason = rep.joint
                said += (f"; with its neighbours, moves {first}-{last} of [0], "
                         + (f"[{c}]" if c is not None else "neither") + f" ({reason}, {conf:.2f})")
            return f"undecided (contexts disagree: {said})"
        if rep.judge_choice is not None:
            conf = min(c[2] for c in rep.contexts) if rep.contexts else 0.5
            return f"undecided ({rep.reason}; the judge leans to [{rep.judge_choice}], confidence {conf:.2f})"
        return f"undecided ({rep.reason})" if rep.reason else "undecided"
    who = f"[{rep.verdict}] {files[rep.verdict]}"
    if rep.decided_by == "majority":
        text = f"{who}, by majority ({max(map(len, rep.groups))} of {len(files)})"
        if rep.judge_disagrees:
            text += f"; the judge prefers [{rep.judge_choice}] {files[rep.judge_choice]} ({rep.reason})"
        return text
    by = ("the rules: the other version has an illegal move" if rep.decided_by == "illegal"
          else f"the judge ({rep.reason})")
    joint = f", judged with its neighbours (moves {rep.joint[0]}-{rep.joint[1]} of [0])" if rep.joint else ""
    return f"{who}, by {by}, confidence {rep.confidence:.2f}{joint}"


@app.command()
def reconcile(
    src: Path = typer.Argument(..., exists=True, readable=True, help="File, directory or archive to search."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory: one reconciled record per group."),
    jobs: int = _jobs_option(),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file, one JSON line per group "
                                                                 "(default DST/reconcile.jsonl)."),
    singletons: bool = typer.Option(False, "--singletons", help="Also copy the games that have no other record."),
    model: Optional[Path] = _judge_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Judge ties with the rules only, no model."),
    min_confidence: float = _min_confidence_option("('both plausible', the first record's version kept and marked)"),
    force: bool = _force_option(),
    engine: str = _engine_option(),
    katago_model: Optional[Path] = _katago_model_option(),
    quiet: bool = _quiet_option(),
    limit: Optional[int] = _limit_option("files"),
) -> None:
    """Find every group of records of one game (rotated or mirrored too) and write one reconciled record each.

    The main line is chosen region by region (a majority of the records first, the judge breaks
    ties; undecided regions keep the first record's version and are marked); every other version is
    kept as a variation whose comment names its source; conflicting metadata is listed in GC[].
    Interrupted runs resume; SRC is never written to.

    Example: [bold]gofix reconcile archive.tar.gz --out reconciled/ --jobs 2[/bold]

    Exit codes: 0 every group reconciled, every region decided; 1 a region left undecided (the
    first record's version kept and marked), a group failed, or a file refused; 2 usage error, no
    game records found, or nothing readable.
    """
    _require_records(src)
    import functools

    from gofix.repair.judge import Judge
    from gofix.archive.reconcile import reconcile_tree

    _refuse_overwrite(src, dst, report)
    if not rules_only:
        _inference_threads()
        try:
            if not Judge(model).uses_model:  # fails early, here, on a bad checkpoint
                err.print("[yellow]note:[/yellow] no model installed; the judge uses the rules only")
                rules_only = True
        except GofixError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
    factory = functools.partial(Judge, model, rules_only=rules_only)
    engine_path = None if rules_only else _engine_path(engine, katago_model)
    if engine_path is not None:
        from gofix.versions.engine import VersionJudge

        factory = functools.partial(VersionJudge, str(engine_path))
    review_kept = _review_there(dst, force)
    start = time.perf_counter()
    with _progress(err.is_terminal) as progress:
        task = progress.add_task("grouping", total=None, rate=0.0)

        def tick(stage: str, n: int, total: Optional[int]) -> None:
            progress.update(task, description=stage, completed=n, total=total,
                            rate=n / max(time.perf_counter() - start, 1e-9))

        with _writing(f"the groups finished so far are kept in {dst}; the same command resumes from them"):
            stats = reconcile_tree(src, dst, judge_factory=factory, jobs=jobs or _cores(), report_path=report,
                                   singletons=singletons, progress=tick, min_confidence=min_confidence, force=force,
                                   limit=limit)
    elapsed = time.perf_counter() - start
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    if stats.existing:
        were = "was" if stats.existing == 1 else "were"
        err.print(f"[yellow]kept[/yellow] {_n(stats.existing, 'output')} that {were} in {escape(str(dst))} "
                  "before this run, not written (--force overwrites them)")
    t = Table(title=f"gofix reconcile {src} -> {dst}", title_justify="left")
    cols = ("groups", "records", "agree", "regions", "majority", "judge", "rules", "undecided", "failed",
            "grouping s", "judging s", "total s")
    for col in cols:
        t.add_column(col, justify="right")
    t.add_row(str(stats.groups), str(stats.records), str(stats.agree), str(stats.regions), str(stats.majority),
              str(stats.judge), str(stats.illegal), str(stats.undecided), str(stats.failed),
              f"{stats.group_seconds:.1f}", f"{stats.judge_seconds:.1f}", f"{elapsed:.1f}")
    if not quiet:
        out.print(t)
    g = stats.grouping
    out.print(f"{_n(g.records, 'game')} read ({stats.unreadable} unreadable, {g.too_short} too short to group); "
              f"{stats.singletons} in no group{' (copied)' if singletons else ''}. "
              f"judge: {'rules only' if rules_only else 'model'}. "
              f"report: {report or dst / 'reconcile.jsonl'}"
              + (f" ({_n(stats.resumed, 'group')} finished by an earlier run)" if stats.resumed else ""))
    if g.records and review_kept:
        _say_review_kept(dst)
    elif g.records:
        _write_reconcile_review(dst, quiet)
    if g.records == 0:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.undecided or stats.failed or stats.refused else 0)


engine_app = typer.Typer(help="The KataGo network gofix uses as its board sense: where it is, how fast it runs.",
                         no_args_is_help=True)
app.add_typer(engine_app, name="engine")


@engine_app.command("info")
def engine_info(
    katago_model: Optional[Path] = typer.Option(None, "--katago-model", help="A KataGo network file (.bin.gz)."),
    positions: int = typer.Option(32, help="Positions to time (0: don't time)."),
) -> None:
    """Say which KataGo network would be used, from where, and how many positions/s it runs here.

    Example: [bold]gofix engine info[/bold]

    Exit codes: 0 a network found; 1 none found; 2 a network file that cannot be read.
    """
    from gofix.engine import locate
    from gofix.engine.modelfile import ModelFileError

    try:
        found = locate.find_network(katago_model)
    except locate.NetworkFetchError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    if found is None:
        out.print("no KataGo network found (looked at --katago-model, $GOFIX_KATAGO_MODEL, "
                  f"{escape(str(locate.cache_dir()))} and KaTrain's models); `gofix engine fetch` downloads one")
        raise typer.Exit(1)
    from gofix.engine.engine import Engine, time_positions

    try:
        engine = Engine.load(found.path)
    except ModelFileError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    d = engine.desc
    out.print(f"network {escape(str(found.path))} (from {found.origin}): {d.name}, format version {d.version}, "
              f"{d.n_params() / 1e6:.1f}M parameters, sha256 {d.sha256[:12]}")
    if positions > 0:
        # bfloat16 on a few positions only: on CPUs without bfloat16 instructions it is ~30x slower
        for dtype, n in (("float32", positions), ("bfloat16", min(positions, 4))):
            rate = time_positions(Engine(d, dtype=dtype), n)
            out.print(f"{dtype}: {rate:.1f} positions/s ({_n(Engine.threads(), 'thread')}, {_n(n, 'position')})")


@engine_app.command("fetch")
def engine_fetch() -> None:
    """Download the KataGo network the katrain wheel on PyPI ships into gofix's cache folder.

    Only the wheel is downloaded (nothing is installed); the network's sha256 is checked and
    KataGo's licence notice is written beside it. Example: [bold]gofix engine fetch[/bold]

    Exit codes: 0 the network is ready; 2 it could not be fetched or checked.
    """
    from gofix.engine import locate

    try:
        path = locate.fetch()
    except locate.NetworkFetchError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    out.print(f"network ready: {escape(str(path))} (licence beside it)")


def _tidy_help() -> None:
    from .helptext import tidy

    tidy(app, engine_app)  # usage, types and paragraphs that read cleanly at 80 columns


_tidy_help()

if __name__ == "__main__":  # pragma: no cover
    app()
