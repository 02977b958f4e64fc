"""`gofix train`, and how it shows its work: a rich progress bar with moves/s and the loss, validation
lines, a table at the end, a cache line in words: never a dict."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gofix.formats.paths import make_folder
from gofix.errors import BudgetSpentError, CheckpointError, NoGamesError
from .common import err, fail, out, progress as reading_progress, require_records, writing

# the validation figures shown, in order (those a model reports)
FIGURES = ("loss", "precision", "recall", "f05", "top_flag", "point_top1", "token_acc", "repair_acc")


def progress(console) -> Progress:
    """The training bar: what trains, its time budget as the bar, moves/s, the loss, time elapsed."""
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    TextColumn("{task.fields[rate]:,.0f} moves/s"), TextColumn("loss {task.fields[loss]:.3f}"),
                    TimeElapsedColumn(), console=console, disable=not console.is_terminal)


class TrainReport:
    """``train.loop.train``'s callbacks: moves/s and the loss on the bar, a line per validation and checkpoint."""

    def __init__(self, bar: Progress, task, budget: float, out, clock=time.monotonic):
        self.bar, self.task, self.budget, self.out, self.clock = bar, task, budget, out, clock
        self.start = clock()
        self.moves = 0

    def on_step(self, info: dict) -> None:
        self.moves += info.get("moves", 0)
        wall = max(self.clock() - self.start, 1e-9)
        self.bar.update(self.task, completed=min(info["elapsed_s"], self.budget), rate=self.moves / wall,
                        loss=info["loss"], description=f"step {info['step']}")

    def on_eval(self, info: dict) -> None:
        self.out.print("validation: " + ", ".join(f"{k} {info[k]:.3f}" for k in FIGURES if k in info))

    def on_checkpoint(self, path, info: dict) -> None:
        self.out.print(f"checkpoint {escape(str(path))}")


def cache_line(path, stats: dict) -> str:
    """``train.cache.build_cache``'s counts in words: 'cache c.npz: 90 of 100 games kept (3 unreadable, ...)'."""
    parts = [f"{stats.get(k, 0):,} {words}" for k, words in
             (("unreadable", "unreadable"), ("not_19", "not 19x19"), ("short_or_illegal", "short or illegal"))]
    return f"cache {path}: {stats.get('kept', 0):,} of {stats.get('read', 0):,} games kept ({', '.join(parts)})"


def results_table(rows: list[tuple[str, str, dict]]) -> Table:
    """The end of a run: per model trained (kind, output folder, its last metrics) its steps, moves,
    time and the last validation figures."""
    shown = [k for k in FIGURES if any(k in m for _, _, m in rows)]
    t = Table(title="gofix train", title_justify="left")
    for col in ("model", "out", "steps", "moves", "time s", *shown):
        t.add_column(col, justify="left" if col in ("model", "out") else "right")
    for kind, out_dir, m in rows:
        t.add_row(kind, escape(out_dir), f"{m.get('step', 0):,}", f"{m.get('moves_seen', 0):,}",
                  f"{m.get('elapsed_s', 0):.0f}", *(f"{m[k]:.3f}" if k in m else "" for k in shown))
    return t


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
        require_records(data)
    from gofix.train import loop  # torch
    from gofix.train.data import build_cache

    cache = data if data.suffix == ".npz" else out_dir / "cache.npz"
    asked = loop.TrainConfig(cache=str(cache), out_dir=str(out_dir), model=model, preset=preset, causal=causal,
                             seed=seed, threads=threads, resume=resume,
                             init_from=str(init_from) if init_from is not None else "", mix=mix, pipeline=pipeline)
    try:
        configs = loop.plan(asked, time_budget)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with writing():
        make_folder(out_dir)
    if data.suffix != ".npz" and not cache.exists():
        with reading_progress(err.is_terminal) as bar:
            task = bar.add_task("reading games", total=None, rate=0.0)
            stats = build_cache([data], cache, progress=lambda k, kept: bar.update(task, completed=k))
        out.print(cache_line(cache, stats))
    done = []
    with progress(err) as bar:
        for cfg in configs:
            budget = cfg.time_budget_s
            task = bar.add_task(f"training {cfg.model}", total=budget, rate=0.0, loss=0.0)
            try:
                metrics = loop.train(cfg, [TrainReport(bar, task, budget, out)])
            except NoGamesError:  # as eval says it
                fail(f"no usable games in {escape(str(data))} (19x19, legal, 30+ moves, split train)")
            except BudgetSpentError as exc:  # --resume of a run that used its budget: says so, trains nothing
                err.print(f"[yellow]nothing to do:[/yellow] {escape(str(exc))}")
                raise typer.Exit(2) from None
            except (CheckpointError, ValueError) as exc:  # a bad --init-from file, or one for another model
                fail(escape(str(exc)))
            except KeyboardInterrupt:
                err.print(f"interrupted: {escape(os.path.join(cfg.out_dir, 'last.pt'))} keeps the last checkpoint "
                          "(written at each validation); the same command with --resume goes on from it")
                raise typer.Exit(130) from None
            done.append((cfg.model, cfg.out_dir, metrics))
    out.print(results_table(done))
    if calibrate:
        from .calibrate import calibrate_trained  # torch

        raise typer.Exit(calibrate_trained(done, cache))
