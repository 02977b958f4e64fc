"""``gofix calibrate CKPT``: write a tagger's model card (the CLI layer over ``evaluate.calibrate``),
and the card ``gofix train`` writes for what it trained."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from gofix.errors import GofixError

from .common import err, out, refusing, writing


def calibrate(
    checkpoint: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, metavar="CKPT",
                                      help="A tagger checkpoint (written by gofix train)."),
    data: Optional[Path] = typer.Option(
        None, "--data", exists=True, readable=True,
        help="Games to measure on: records (file, folder, archive; their validation and training splits) or "
             "a training cache .npz (its own splits). Default: the cache CKPT was trained on, when it is there."),
    judge_data: Optional[Path] = typer.Option(None, "--judge-data", exists=True, readable=True,
                                              help="The judge's games, if not --data's (records or a cache)."),
    card: Optional[Path] = typer.Option(None, "--card", dir_okay=False,
                                        help="The model card to write (default: CKPT with .json, which "
                                             "check, fix and clean read)."),
    seq2seq: Optional[Path] = typer.Option(None, "--seq2seq", exists=True, dir_okay=False,
                                           help="Also write this encoder-decoder's card: its repair threshold "
                                                "with this tagger."),
    seq2seq_card: Optional[Path] = typer.Option(None, "--seq2seq-card", dir_okay=False,
                                                help="Where (default: the encoder-decoder with .json)."),
    steps: str = typer.Option("thresholds,judge,trust", "--steps",
                              help="What to measure: thresholds (flag and repair), judge (its fit), trust (how "
                                   "often changes were right); the card keeps its other entries."),
    games: int = typer.Option(200, "--games", min=1, help="Validation games for the thresholds (seed 1)."),
    repair_thresholds: str = typer.Option("0.3,0.5,0.7,0.9", "--repair-thresholds",
                                          help="Repair confidence thresholds to try, comma-separated."),
    judge_games: int = typer.Option(200, "--judge-games", min=1,
                                    help="Validation games for the judge's confidence (seed 1)."),
    judge_train_games: int = typer.Option(800, "--judge-train-games", min=1,
                                          help="Training games for the judge's weighting (seed 3)."),
    trust_games: int = typer.Option(1000, "--trust-games", min=1,
                                    help="Validation games for the trust bins (seed 2)."),
    threads: int = typer.Option(1, "--threads", min=1, help="Torch threads."),
    force: bool = typer.Option(False, "--force", help="Overwrite a model card that exists (default: refuse)."),
) -> None:
    """Measure a tagger on validation games and write its model card: the flag and repair
    thresholds, the judge's fit and how often its changes were right, which check, fix, clean,
    compare and reconcile read.

    Each part on its own games, seeds fixed (not the seed gofix eval reports with). Takes minutes
    with the default game counts.

    Example: [bold]gofix calibrate runs/mine/best.pt --data my-archive/[/bold]

    Exit codes: 0 card written; 1 written, but no repair threshold left 99% of the clean games
    untouched (it says so); 2 usage error, a card that exists (without --force), a checkpoint that
    is not a tagger, or no usable games: nothing written.
    """
    try:
        thresholds = tuple(float(x) for x in repair_thresholds.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"not numbers: {repair_thresholds!r}", param_hint="--repair-thresholds") from None
    if not thresholds or not all(0.0 <= t <= 1.0 for t in thresholds):
        raise typer.BadParameter("give numbers in [0, 1]", param_hint="--repair-thresholds")
    chosen = tuple(s.strip() for s in steps.split(",") if s.strip())
    from gofix.evaluate.calibrate import STEPS

    if not chosen or any(s not in STEPS for s in chosen):
        raise typer.BadParameter(f"some of {', '.join(STEPS)}, not {steps!r}", param_hint="--steps")
    if data is None:
        from gofix.evaluate.calibrate import training_cache

        with refusing():
            data = training_cache(checkpoint)
    asked = {"thresholds": games, "judge": judge_games, "trust": trust_games}
    code = _run(checkpoint, data, asked, card=card, judge_data=judge_data, steps=chosen,
                repair_thresholds=thresholds, judge_train_games=judge_train_games, seq2seq=seq2seq,
                seq2seq_card=seq2seq_card, force=force, threads=threads)
    raise typer.Exit(code)


def _run(checkpoint, data, asked: dict, *, force: bool, steps=None, **kw) -> int:
    """One ``evaluate.calibrate.calibrate`` call, rendered; returns the exit code (0 or 1; 2 exits)."""
    from gofix.evaluate.calibrate import STEPS, calibrate as run_calibration

    def log(line: str) -> None:
        if err.is_terminal:
            err.print(f"[dim]{escape(line)}[/dim]")

    with writing(), refusing(GofixError, ValueError):
        done = run_calibration(checkpoint, data, steps=steps or STEPS, games=asked["thresholds"],
                               judge_games=asked["judge"], trust_games=asked["trust"], force=force, log=log, **kw)
    return render(done, asked)


def render(done, asked: dict) -> int:
    """The card in words and tables; the exit code: 1 when something needs a look (see --help)."""
    card, look, fewer = done.card, done.needs_a_look(), []
    if "thresholds" in done.steps:
        v = card["validation"]
        out.print(f"thresholds on {v['games']:,} {_split(v['split'])} games: flag at {card['flag_threshold']:.2f} "
                   f"(detection precision {v['precision']:.3f}, recall {v['recall']:.3f}, F0.5 {v['f05']:.3f}), "
                   f"apply a repair at {card['repair_threshold']:.2f}")
        out.print(_sweep_table("repair thresholds", v["repair_sweep"], card["repair_threshold"]))
        if done.seq2seq_card is not None:
            s = done.seq2seq_card
            out.print(_sweep_table("repair thresholds with the encoder-decoder", s["validation"]["repair_sweep"],
                                    s["repair_threshold"]))
        _fewer(fewer, "thresholds", v["games"], asked["thresholds"])
    if "judge" in done.steps:
        j = card["judge"]
        w = j.get("weights_fitted_on") or {}
        out.print(f"judge: weighting fitted on {w.get('games', 0):,} training games ({w.get('model_pairs', 0):,} "
                   f"pairs left to the model, {w.get('share_right_on_train', 0):.1%} right on them); confidence on "
                   f"{j['games']:,} {_split(j['split'])} games ({j['fit_regions']:,} regions, "
                   f"{j['fit_model_regions']:,} left to the model), scale {j['scale']}, "
                   f"{len(j['calibration'])} knots")
        _fewer(fewer, "judge", j["games"], asked["judge"])
    if done.trust is not None:
        t = done.trust
        table = Table(title=f"changes by confidence ({t.games:,} {_split(t.split)} games, seed {t.seed})",
                      title_justify="left")
        for col in ("confidence", "changed", "right", "share right", "clean games changed"):
            table.add_column(col, justify="left" if col == "confidence" else "right")
        for r in t.rows():
            lo, hi = r["confidence"]
            table.add_row(f"{lo:.2f}-{hi:.2f}", f"{r['changed']:,}", f"{r['right']:,}", f"{r['share_right']:.0%}",
                          f"{r['clean_games_changed']:,}")
        out.print(table)
        share = "" if t.share_right is None else f" ({t.share_right:.0%})"
        out.print(f"changes right: {t.right:,} of {t.changed:,}{share}; wrong changes to corrupted games: "
                   f"{t.wrong['touching']} touching the error, {t.wrong['near']} within {t.near} moves of it, "
                   f"{t.wrong['far']} farther")
        _fewer(fewer, "trust", t.games, asked["trust"])
    for line in fewer:
        out.print(f"[dim]{escape(line)}[/dim]")
    for path in [done.card_path] + ([done.seq2seq_card_path] if done.seq2seq_card is not None else []):
        again = " (replaced)" if path in done.replaced else ""
        out.print(f"model card {escape(str(path))}{again}")
    for line in look:
        err.print(f"[yellow]look:[/yellow] {escape(line)}")
    return 1 if look else 0


def _split(name: str) -> str:
    return {"val": "validation", "train": "training"}.get(name, name)


def _fewer(notes: list, step: str, got: int, asked: int) -> None:
    if got < asked:
        notes.append(f"{step}: {got:,} games of the {asked:,} asked for (the split holds no more)")


def _sweep_table(title: str, sweep: list, chosen: float) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("threshold", "exact repair", "clean untouched", "games/s", ""):
        t.add_column(col, justify="right" if col else "left")
    for s in sweep:
        t.add_row(f"{s['repair_threshold']:.2f}", f"{s['repaired_exactly']:.1%}", f"{s['clean_untouched']:.1%}",
                  f"{s['games_per_s']:.1f}", "chosen" if s["repair_threshold"] == chosen else "")
    return t


def calibrate_trained(done: list, cache: Path) -> int:
    """After ``gofix train``: the model card of the tagger it trained (OUT/best.pt's, else last.pt's;
    with the encoder-decoder trained beside it, its card too) on the run's cache, replacing the card
    of an earlier run there (it says so). Returns the exit code: 0, or 1 when no card could be made."""
    from gofix.evaluate.calibrate import trained_checkpoint

    paths = {kind: trained_checkpoint(out_dir) for kind, out_dir, _ in done}
    tagger, s2s = paths.get("birnn"), paths.get("seq2seq")
    if tagger is None:
        if s2s is not None:
            out.print(f"an encoder-decoder's card needs a tagger: gofix calibrate TAGGER --seq2seq "
                       f"{escape(str(s2s))} --data {escape(str(cache))}")
        return 0
    asked = {"thresholds": 200, "judge": 200, "trust": 1000}
    try:
        return _run(tagger, cache, asked, force=True, seq2seq=s2s)
    except typer.Exit as exc:  # no card: the weights are there all the same
        if exc.exit_code != 2:
            raise
        err.print(f"[yellow]no model card:[/yellow] {escape(str(tagger))} flags and repairs at 0.5 until "
                   f"`gofix calibrate {escape(str(tagger))} --data GAMES` measures it on more games")
        return 1

