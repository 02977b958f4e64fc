"""The commands that write whole trees: `gofix clean`, `review`, `convert`, `corrupt` and `reconcile`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from gofix.archive import convert as convert_lib
from gofix.archive.corrupt import corrupt_tree
from gofix.repair.pretrained import inference_threads
from gofix.review.runs import REVIEW_NAME, reconcile_review, review_kept, run_command, run_review, run_trust
from gofix.train.corrupt import mix_channel
from .common import (
    cores,
    engine_path,
    err,
    list_files,
    n,
    note,
    out,
    progress,
    refuse_overwrite,
    refusing,
    repairer_factory,
    require_records,
    trust,
    writing,
)
from .options import (
    apply_threshold_option,
    clean_share_option,
    engine_option,
    errors_per_game_option,
    flag_threshold_option,
    force_option,
    jobs_option,
    judge_model_option,
    katago_model_option,
    limit_option,
    min_confidence_option,
    mix_option,
    model_option,
    old_threshold_option,
    quiet_option,
    rules_only_option,
    seq2seq_option,
)

RESUME = "the {} finished so far are kept in {}; the same command resumes from them"  # Ctrl-C's line


def _ticker(bar, task, start: float):
    """A ``progress(n)`` callback: n done, and the rate since ``start``."""
    def tick(done: int) -> None:
        bar.update(task, completed=done, rate=done / max(time.perf_counter() - start, 1e-9))
    return tick


def clean(
    src: Path = typer.Argument(..., exists=True, readable=True, help="File, directory or archive to clean."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory; mirrors SRC's relative paths."),
    jobs: int = jobs_option(),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file (default DST/report.jsonl)."),
    threshold: Optional[float] = apply_threshold_option(alias=True),
    flag_threshold: Optional[float] = flag_threshold_option(),
    old_threshold: Optional[float] = old_threshold_option(),
    game_seconds: float = typer.Option(30.0, "--game-seconds", min=0.1, help="Time limit per game."),
    model: Optional[Path] = model_option(),
    seq2seq: Optional[Path] = seq2seq_option(),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
    rules_only: bool = rules_only_option(),
    force: bool = force_option(),
    limit: Optional[int] = limit_option("files"),
    quiet: bool = quiet_option(),
) -> None:
    """Repair every game of an archive into a mirrored output tree, with a report.

    Interrupted runs resume where they stopped; SRC is never written to;
    unreadable games are copied through unchanged and listed.

    Example: [bold]gofix clean old-archive.zip --out cleaned/ --jobs 2[/bold]

    Exit codes: 0 every game clean or repaired in full; 1 a game with a finding left (not repaired,
    or repaired only in part), unreadable or timed out, or a file refused (all listed at the end); 2 usage error, no game records found,
    nothing readable, or DST holding a finished or another run (--force).
    """
    require_records(src)
    from gofix.archive import clean as clean_lib  # the repair engine: numpy

    refuse_overwrite(src, dst, report)
    kept = review_kept(dst, force)
    factory = repairer_factory(rules_only, model, threshold if threshold is not None else old_threshold,
                               threads=1, seq2seq=seq2seq, engine=engine, katago_model=katago_model)  # 1 thread per worker
    factory.flag_threshold = flag_threshold
    start = time.perf_counter()
    with progress(err.is_terminal) as bar:
        tick = _ticker(bar, bar.add_task("cleaning", total=None, rate=0.0), start)
        with writing(RESUME.format("files", dst)):
            stats = clean_lib.clean_tree(src, dst, repairer_factory=factory, jobs=jobs or cores(), report_path=report,
                                         game_seconds=game_seconds, progress=tick, force=force, limit=limit)
    elapsed = time.perf_counter() - start
    if stats.existing:
        err.print(f"[yellow]kept[/yellow] {n(stats.existing, 'file')} whose output was in {escape(str(dst))} before "
                  "this run, not written (--force overwrites them; listed as \"exists\" in the report)")
    where = report or dst / "report.jsonl"
    if quiet:
        out.print(f"{n(stats.games, 'game')} in {n(stats.files, 'file')}: {stats.clean} clean, {stats.repaired} "
                  f"repaired, {stats.flagged} flagged not repaired, {stats.unreadable} unreadable, "
                  f"{stats.timed_out} timed out; report: {where}")
    else:
        t = Table(title=f"gofix clean {src} -> {dst}", title_justify="left")
        for col in ("games", "clean", "repaired", "flagged, not repaired", "unreadable", "timed out", "files",
                    "games/s"):
            t.add_column(col, justify="right")
        done = stats.games - stats.resumed_games  # this run's work only: a resumed run's speed is its own
        t.add_row(str(stats.games), str(stats.clean), str(stats.repaired), str(stats.flagged), str(stats.unreadable),
                  str(stats.timed_out), str(stats.files), f"{done / elapsed if elapsed > 0 else 0:.0f}")
        out.print(t)
        out.print(f"report: {where}"
                  + (f" ({n(stats.resumed_files, 'file')} finished by an earlier run)" if stats.resumed_files else ""))
    write_review(dst, kept, quiet)
    if stats.repaired and not rules_only and not quiet:
        out.print(trust(model, factory.engine_path is not None))
    if not quiet:
        list_files(out, "changed", [str(dst / rel) for rel in stats.changed], f'"changed": true in {where}')
    list_files(err, "refused", stats.refused, f'"status": "refused" in {where}')
    if (stats.games == 0 and not stats.existing and not stats.refused) or (stats.games and stats.unreadable == stats.games):
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.flagged or stats.unreadable or stats.timed_out or stats.refused else 0)


def say_review_kept(dst: Path) -> None:
    err.print(f"[yellow]kept[/yellow] {escape(str(dst / REVIEW_NAME))}, there before this run: not rewritten "
              "(--force overwrites it; `gofix review` rebuilds it)")


def write_review(dst: Path, kept: bool = False, quiet: bool = False) -> None:
    """DST/review.html of the clean run in DST, with the trust line of the models it ran; ``kept``: it was
    there before the run, and is not rewritten."""
    if kept:
        say_review_kept(dst)
        return
    with writing():
        written = run_review(dst, trust=run_trust(dst))
    if not quiet:
        out.print(f"review: {escape(written.path)} ({n(written.findings, 'finding')})")


def write_reconcile_review(dst: Path, quiet: bool = False) -> None:
    """DST/review.html of the reconcile run in DST."""
    with writing():
        written = reconcile_review(dst)
    if not quiet:
        out.print(f"review: {escape(written.path)} ({n(written.findings, 'region')} in {n(written.games, 'group')})")


def review(
    dst: Path = typer.Argument(..., exists=True, file_okay=False, help="The --out folder of a finished `gofix clean` or `gofix reconcile` run."),
) -> None:
    """Rebuild the HTML review report DST/review.html of a finished `gofix clean` run, from its report.jsonl
    and the records (as read in SRC, repaired in DST), or of a `gofix reconcile` run, from its reconcile.jsonl.

    Example: [bold]gofix review cleaned/[/bold]

    Exit codes: 0 written; 2 usage error, or DST holds no finished clean or reconcile run (or its report is
    missing).
    """
    if run_command(dst) == "reconcile":
        write_reconcile_review(dst)
    else:
        write_review(dst)


def convert(
    src: Path = typer.Argument(..., exists=True, readable=True,
                               help="File, directory or archive: SGF, GIB, NGF, UGF/UGI, recognised by content."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory; mirrors SRC's paths with .sgf added."),
    force: bool = typer.Option(False, "--force", help="Overwrite outputs that exist (default: keep them, listed as "
                                                      "'exists') and redo a finished run into the same --out."),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file (default DST/convert-report.jsonl)."),
    quiet: bool = quiet_option(),
) -> None:
    """Convert game records of any readable format to SGF (FF[4], UTF-8), without repairing anything.

    SRC is never written to; what cannot be read is listed in the report.

    Example: [bold]gofix convert tygem-export.zip --out sgf/[/bold]

    Exit codes: 0 every record converted; 1 a record unreadable or a file refused; 2 usage error,
    no game records found, or nothing readable.
    """
    require_records(src)
    refuse_overwrite(src, dst, report)
    start = time.perf_counter()
    with progress(err.is_terminal) as bar:
        tick = _ticker(bar, bar.add_task("converting", total=None, rate=0.0), start)
        with writing(RESUME.format("files", dst)):
            stats = convert_lib.convert_tree(src, dst, overwrite=force, report_path=report, progress=tick)
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    if not quiet:
        t = Table(title=f"gofix convert {escape(str(src))} -> {escape(str(dst))}", title_justify="left")
        for col in ("format", "games converted", "unreadable"):
            t.add_column(col, justify="left" if col == "format" else "right")
        for fmt in sorted({f for f, _ in stats.by_format}):
            t.add_row(fmt.upper(), str(stats.by_format[fmt, "converted"]), str(stats.by_format[fmt, "unreadable"]))
        out.print(t)
    out.print(f"{n(stats.games, 'game')} in {n(stats.files, 'file')} written to {escape(str(dst))}"
              + (f"; {n(stats.existing, 'file')} skipped, their output was there before this run (--force "
                 "overwrites)" if stats.existing else "")
              + (f"; {stats.resumed} converted by the interrupted run resumed" if stats.resumed else "")
              + f"; report: {escape(str(report or dst / convert_lib.REPORT))}")
    if stats.games == 0 and not stats.existing:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.unreadable or stats.refused else 0)


def channel(errors_per_game: int, clean_share: float, mix: str = "default"):
    """The error channel of --mix, --errors-per-game and --clean-share; an unknown mix is a usage error."""
    try:
        return mix_channel(mix, errors_per_game=errors_per_game, clean_share=clean_share)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def corrupt(
    src: Path = typer.Argument(..., exists=True, readable=True, help="Clean games: file, directory or archive."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory for the corrupted copies and truth.jsonl."),
    seed: int = typer.Option(0, help="Seed of the error channel (same seed, same output)."),
    errors_per_game: int = errors_per_game_option(),
    clean_share: float = clean_share_option(),
    mix: str = mix_option(),
    force: bool = force_option(),
) -> None:
    """Write corrupted copies of clean records (same relative paths) plus truth.jsonl.

    Use it to measure gofix on your own archive: corrupt it, then run
    [bold]gofix eval[/bold] on the output.

    Example: [bold]gofix corrupt archive.tar.gz --out noisy/ --seed 1[/bold]

    Exit codes: 0 written; 1 a file refused; 2 usage error or no game records found.
    """
    require_records(src)
    errors = channel(errors_per_game, clean_share, mix)
    refuse_overwrite(src, out_dir, out_dir / "truth.jsonl")
    with progress(err.is_terminal) as bar:
        tick = _ticker(bar, bar.add_task("corrupting", total=None, rate=0.0), time.perf_counter())
        with writing():
            stats = corrupt_tree(src, out_dir, channel=errors, seed=seed, progress=tick, force=force)
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    if stats.existing:
        err.print(f"[yellow]kept[/yellow] {n(stats.existing, 'file')} whose output was in {escape(str(out_dir))} "
                  "before this run, not written nor listed in truth.jsonl (--force overwrites them)")
    out.print(
        f"{n(stats.games, 'game')} in {n(stats.files, 'file')} written to {out_dir}: {stats.corrupted} corrupted, "
        f"{stats.clean} left clean, {stats.skipped} skipped (see {out_dir / 'truth.jsonl'})"
    )
    if stats.games == 0 and not stats.existing:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.refused else 0)


def reconcile(
    src: Path = typer.Argument(..., exists=True, readable=True, help="File, directory or archive to search."),
    dst: Path = typer.Option(..., "--out", "-o", help="Output directory: one reconciled record per group."),
    jobs: int = jobs_option(),
    report: Optional[Path] = typer.Option(None, "--report", help="Report file, one JSON line per group "
                                                                 "(default DST/reconcile.jsonl)."),
    singletons: bool = typer.Option(False, "--singletons", help="Also copy the games that have no other record."),
    model: Optional[Path] = judge_model_option(),
    rules_only: bool = typer.Option(False, "--rules-only", help="Judge ties with the rules only, no model."),
    min_confidence: float = min_confidence_option("('both plausible', the first record's version kept and marked)"),
    force: bool = force_option(),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
    quiet: bool = quiet_option(),
    limit: Optional[int] = limit_option("files"),
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
    require_records(src)
    from gofix.archive import reconcile as reconcile_lib  # grouping and the judge: numpy
    from gofix.repair.judge import Judge
    from gofix.versions.engine import judge_factory

    refuse_overwrite(src, dst, report)
    if not rules_only:
        inference_threads()
        with refusing():
            rules_only = not Judge(model).uses_model  # fails early, here, on a bad checkpoint
        if rules_only:
            note("no model installed; the judge uses the rules only")
    factory = judge_factory(model, rules_only=rules_only,
                            engine_path=None if rules_only else engine_path(engine, katago_model))
    kept = review_kept(dst, force)
    start = time.perf_counter()
    with progress(err.is_terminal) as bar:
        task = bar.add_task("grouping", total=None, rate=0.0)

        def tick(stage: str, done: int, total: Optional[int]) -> None:
            bar.update(task, description=stage, completed=done, total=total,
                       rate=done / max(time.perf_counter() - start, 1e-9))

        with writing(RESUME.format("groups", dst)):
            stats = reconcile_lib.reconcile_tree(src, dst, judge_factory=factory, jobs=jobs or cores(),
                                                 report_path=report, singletons=singletons, progress=tick,
                                                 min_confidence=min_confidence, force=force, limit=limit)
    elapsed = time.perf_counter() - start
    for line in stats.refused:
        err.print(f"[yellow]refused[/yellow] {escape(line)}")
    if stats.existing:
        were = "was" if stats.existing == 1 else "were"
        err.print(f"[yellow]kept[/yellow] {n(stats.existing, 'output')} that {were} in {escape(str(dst))} "
                  "before this run, not written (--force overwrites them)")
    if not quiet:
        t = Table(title=f"gofix reconcile {src} -> {dst}", title_justify="left")
        for col in ("groups", "records", "agree", "regions", "majority", "judge", "rules", "undecided", "failed",
                    "grouping s", "judging s", "total s"):
            t.add_column(col, justify="right")
        t.add_row(str(stats.groups), str(stats.records), str(stats.agree), str(stats.regions), str(stats.majority),
                  str(stats.judge), str(stats.illegal), str(stats.undecided), str(stats.failed),
                  f"{stats.group_seconds:.1f}", f"{stats.judge_seconds:.1f}", f"{elapsed:.1f}")
        out.print(t)
    g = stats.grouping
    out.print(f"{n(g.records, 'game')} read ({stats.unreadable} unreadable, {g.too_short} too short to group); "
              f"{stats.singletons} in no group{' (copied)' if singletons else ''}. "
              f"judge: {'rules only' if rules_only else 'model'}. "
              f"report: {report or dst / 'reconcile.jsonl'}"
              + (f" ({n(stats.resumed, 'group')} finished by an earlier run)" if stats.resumed else ""))
    if g.records and kept:
        say_review_kept(dst)
    elif g.records:
        write_reconcile_review(dst, quiet)
    if g.records == 0:
        raise typer.Exit(2)
    raise typer.Exit(1 if stats.undecided or stats.failed or stats.refused else 0)
