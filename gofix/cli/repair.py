"""`gofix check` and `gofix fix`: the findings of records, and the repair of one record."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from gofix.formats.paths import atomic_write, backup_name, in_place_target
from gofix.edits import decider_words
from gofix.findings import GameReport, not_repaired, unlisted
from gofix.repair.check import check_paths
from gofix.repair.pretrained import trust_note
from gofix.review.runs import check_review
from gofix.rules.diagram import local_diagram
from .common import cores, err, fail, n, out, progress, refuse_html, repairer_factory, require_records, trust, writing
from .options import (
    apply_threshold_option,
    engine_option,
    flag_threshold_option,
    jobs_option,
    katago_model_option,
    limit_option,
    model_option,
    old_threshold_option,
    quiet_option,
    rules_only_option,
    seq2seq_option,
)


def check(
    paths: List[Path] = typer.Argument(
        ..., exists=True, readable=True,
        help="Game records (SGF, GIB, NGF, UGF/UGI), directories (recursive), .zip/.tar/.tar.gz archives."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines, one object per game, on stdout."),
    quiet: bool = quiet_option(),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print what was read with recovery (warnings)."),
    model: Optional[Path] = model_option(),
    rules_only: bool = rules_only_option(),
    threshold: Optional[float] = flag_threshold_option(alias=True),
    apply_threshold: Optional[float] = apply_threshold_option(),
    old_threshold: Optional[float] = old_threshold_option(),
    diagrams: bool = typer.Option(True, "--diagrams/--no-diagrams",
                                  help="Show the board around each finding (first 5 per game)."),
    seq2seq: Optional[Path] = seq2seq_option(),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
    jobs: int = jobs_option(),
    limit: Optional[int] = limit_option("games"),
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
    require_records(*paths)
    refuse_html(html, paths, force)
    n_jobs = jobs or cores()
    factory = repairer_factory(rules_only, model, apply_threshold, threads=1 if n_jobs > 1 else None,
                               seq2seq=seq2seq, engine=engine, katago_model=katago_model)
    flag_threshold = threshold if threshold is not None else old_threshold
    factory.flag_threshold = flag_threshold
    reports = check_paths(paths, factory, n_jobs, limit)
    counts = {"clean": 0, "flagged": 0, "unreadable": 0}
    kept: list = []  # the reports, for --html
    n_findings = 0
    n_warned = 0
    n_repairs_shown = 0
    start = time.perf_counter()
    show_progress = not as_json and err.is_terminal
    with progress(show_progress) as bar:
        task = bar.add_task("checking", total=None, rate=0.0)
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
            bar.update(task, advance=1, rate=done / elapsed if elapsed > 0 else 0.0)
    reports.close()  # a --limit stopped early: the worker processes end here
    total = sum(counts.values())
    elapsed = time.perf_counter() - start
    summary = (
        f"{n(total, 'game')}: {counts['clean']} clean, {counts['flagged']} flagged "
        f"({n(n_findings, 'finding')}), {counts['unreadable']} unreadable, "
        f"{n_warned} read with recovery{'' if verbose or not n_warned else ' (-v shows how)'} "
        f"in {elapsed:.1f} s ({total / elapsed if elapsed > 0 else 0:.0f} games/s)"
    )
    (err if as_json else out).print(summary)
    judged = factory.engine_path is not None
    if n_repairs_shown and not rules_only:
        out.print(trust(model, judged))
    if html is not None:
        given = [("--rules-only", rules_only), ("--model", model), ("--seq2seq", seq2seq),
                 ("--flag-threshold", flag_threshold), ("--apply-threshold", apply_threshold),
                 ("--engine", None if engine == "auto" else engine), ("--katago-model", katago_model)]
        flags = [name if value is True else f"{name} {shlex.quote(str(value))}"
                 for name, value in given if value not in (None, False)]  # every option that changes a finding
        with writing():
            written = check_review(kept, html, flags=flags, rules_only=rules_only or factory.rules_only,
                                   trust="" if rules_only else trust_note(model, judged))
        (err if as_json else out).print(f"review: {escape(written.path)} ({n(written.findings, 'finding')})")
    if total == 0 or counts["unreadable"] == total:
        raise typer.Exit(2)
    raise typer.Exit(1 if counts["flagged"] or counts["unreadable"] else 0)


def _finding_table(report: GameReport) -> Table:
    t = Table(title=f"{escape(report.path)} game {report.game}  "
                    f"({report.size}x{report.size}, {n(report.moves, 'move')})",
              title_justify="left", show_lines=False)
    for col in ("move", "colour", "point", "sgf", "kind", "suspicion", "what is wrong", "repair"):
        t.add_column(col, justify="right" if col in ("move", "suspicion") else "left")
    for f in report.findings:
        fix = f.repair.describe(confidence=True) if f.repair is not None else ""
        t.add_row(str(f.move), f.colour, f.gtp or "?", escape(f.point) or "(pass)", f.kind,
                  f"{f.confidence:.2f}", escape(f.note or f.kind), escape(fix))
    return t


def _print_diagrams(report: GameReport, limit: int = 5) -> None:
    """Boards around the first ``limit`` findings: [X] as recorded, (X) the proposed repair."""
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
        out.print(f"({n(len(report.findings) - limit, 'more finding')} without diagrams)")


def fix(
    src: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                               help="The record to repair (SGF, or GIB, NGF, UGF/UGI: written as SGF)."),
    output: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the repaired record."),
    in_place: bool = typer.Option(False, "--in-place",
                                  help="Rewrite SRC itself, keeping SRC.bak; a GIB/NGF/UGF input is left as it "
                                       "is and SRC.sgf written beside it."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    threshold: Optional[float] = apply_threshold_option(alias=True),
    flag_threshold: Optional[float] = flag_threshold_option(),
    old_threshold: Optional[float] = old_threshold_option(),
    model: Optional[Path] = model_option(),
    seq2seq: Optional[Path] = seq2seq_option(),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
    rules_only: bool = rules_only_option(),
) -> None:
    """Write a repaired record: repaired main line, the original kept as a variation.

    Changed moves carry DO[] and a comment saying what changed and how sure
    gofix is; the root's GC[] says what was done. Everything else is kept.

    Example: [bold]gofix fix game.sgf -o game-fixed.sgf[/bold]

    Exit codes: 0 written, every finding repaired (or none); 1 written, but a finding is left not
    repaired; 2 usage error, an unreadable record, or an --out that exists (without --force).
    """
    from gofix.archive.clean import clean_file  # the repair engine: numpy

    if (output is None) == (not in_place):
        fail("give exactly one of --out FILE or --in-place")
    data = src.read_bytes()
    target = output if output is not None else in_place_target(src, data)
    in_place = output is None and target == src  # a GIB/NGF/UGF input is never written to: SRC.sgf beside it
    if not in_place and target.exists() and not force:
        fail(f"{target} exists; use --force to overwrite it")
    if not in_place and target.resolve() == src.resolve():
        fail("--out is the input file; use --in-place to rewrite it (keeps a .bak)")
    factory = repairer_factory(rules_only, model, threshold if threshold is not None else old_threshold,
                               seq2seq=seq2seq, engine=engine, katago_model=katago_model)
    factory.flag_threshold = flag_threshold
    repairer = factory()
    out_bytes, lines = clean_file(str(src), data, repairer, None)
    if all(line["status"] == "unreadable" for line in lines):
        for line in lines:
            err.print(f"[red]unreadable[/red] {escape(line['path'])} game {line['game']}: {escape(line['error'])}")
        raise typer.Exit(2)
    with writing():
        if in_place:
            backup = backup_name(src)
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
    out.print(f"wrote {target}: {n(n_edits, 'edit')} in {n(len(lines), 'game')}"
              + (f"; original kept as {backup}" if in_place else ""))
    if n_edits and not rules_only:
        out.print(trust(model, getattr(repairer, "engine", None) is not None))
    left = any(line["status"] == "unreadable" or not_repaired(line) for line in lines)
    raise typer.Exit(1 if left else 0)


def _repair_line(e: dict) -> str:
    """A report line's edit (``edits.Repair.to_dict``) in words, with its one confidence and who decided."""
    return f"{e['description']}, confidence {e['confidence']:.2f}, decided by {decider_words(e.get('decided_by'))}"
