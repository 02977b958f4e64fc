"""`gofix compare`: records of one game side by side, where they differ and which version is right."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from gofix.errors import GofixError
from gofix.review.runs import compare_review
from gofix.versions.compare import compare_records, load_record, region_diagrams, verdict_text, version_text
from .common import engine_path, err, fail, n, out, refuse_html, writing
from .options import engine_option, judge_model_option, katago_model_option, min_confidence_option


def compare(
    files: List[str] = typer.Argument(
        ..., metavar="FILE...",
        help="Two or more records of one game: FILE (its first game) or FILE#N (game N, counted from 0 as "
             "`gofix check` numbers them), in any format gofix reads."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print one JSON line per differing region (none when they agree)."),
    model: Optional[Path] = judge_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Judge by the rules only, no model."),
    diagrams: bool = typer.Option(True, "--diagrams/--no-diagrams", help="Show each region on small boards."),
    min_confidence: float = min_confidence_option("('both plausible')"),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
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
    from gofix.repair.judge import LazyJudge  # the judges: numpy (and a model, on the first question)
    from gofix.versions.engine import judge_factory

    if len(files) < 2:
        fail("give at least two records to compare")
    refuse_html(html, files, force)
    try:
        records = [load_record(f) for f in files]
        network = None if rules_only else engine_path(engine, katago_model)
        judge = LazyJudge(judge_factory(model, rules_only=rules_only, engine_path=network), threads=not rules_only)
        reports = compare_records(records, judge=judge, min_confidence=min_confidence)
    except GofixError as exc:
        fail(escape(str(exc)))
    by = "engine" if network is not None else "tagger"  # who judged ties
    if as_json:
        for rep in reports:
            sys.stdout.write(json.dumps(rep.to_dict(files, records, by), ensure_ascii=False) + "\n")
    else:
        _print_comparison(files, records, reports, diagrams, by)
    if html is not None:
        with writing():
            written = compare_review(html, files, records, reports, [verdict_text(files, r) for r in reports])
        (err if as_json else out).print(f"review: {escape(written.path)}")
    raise typer.Exit(1 if reports else 0)


def _print_comparison(files, records, reports, diagrams: bool, by: str = "tagger") -> None:
    size = records[0].size
    out.print(f"{n(len(records), 'record')} of one game ({size}x{size}):")
    for i, (f, rec) in enumerate(zip(files, records)):
        sym = reports[0].symmetries[i] if reports else 0
        turned = f"  (symmetry {sym} into [0]'s orientation)" if sym else ""
        out.print(f"  [{i}] {escape(f)}  {n(len(rec.moves), 'move')}{turned}", soft_wrap=True)
    if not reports:
        out.print("[green]the records agree[/green]")
        return
    out.print(f"{n(len(reports), 'region')} {'differs' if len(reports) == 1 else 'differ'}")
    for k, rep in enumerate(reports, start=1):
        where = ", ".join(f"[{i}] " + (str(a) if a == b else f"{a}-{b}" if a < b else f"none (after {b})")
                          for i, (a, b) in enumerate(rep.moves))
        extra = f", offset {rep.offset}" if rep.offset else ""
        out.print(f"\n[bold]region {k}: {escape(rep.what())}[/bold]{extra}  moves {where}")
        for i in range(len(records)):
            out.print(f"  [{i}] {escape(version_text(records, rep, i))}")
        out.print("  verdict: " + escape(verdict_text(files, rep)))
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
