"""How `gofix train` shows its work (the CLI layer; issue 20, item 11): a rich progress bar with
moves/s and the loss, validation lines, a table at the end, a cache line in words: never a dict."""

from __future__ import annotations

import time

from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# the validation figures shown, in order (those a model reports)
FIGURES = ("loss", "precision", "recall", "f05", "top_flag", "point_top1", "token_acc", "repair_acc")


def progress(console) -> Progress:
    """The training bar: what trains, its time budget as the bar, moves/s, the loss, time elapsed."""
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    TextColumn("{task.fields[rate]:,.0f} moves/s"), TextColumn("loss {task.fields[loss]:.3f}"),
                    TimeElapsedColumn(), console=console, disable=not console.is_terminal)


class TrainReport:
    """``train.train``'s callbacks: moves/s and the loss on the bar, a line per validation and checkpoint."""

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
    """``data.build_cache``'s counts in words: 'cache c.npz: 90 of 100 games kept (3 unreadable, ...)'."""
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
