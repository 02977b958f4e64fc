"""`gofix eval`: the systems measured on corrupted games with known truth, in one table."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from gofix.errors import GofixError
from gofix.evaluate import eval as ev
from gofix.formats.paths import atomic_write
from gofix.repair.pretrained import inference_threads
from .common import engine_path, err, fail, n, out, progress, require_records
from .options import (
    clean_share_option,
    engine_option,
    errors_per_game_option,
    katago_model_option,
    mix_option,
    model_option,
)


def evaluate_cmd(
    data: Path = typer.Argument(
        ..., exists=True, readable=True,
        help="Clean games to corrupt (file, directory, archive), or a directory written by gofix corrupt.",
    ),
    limit: int = typer.Option(500, min=1, help="Games to evaluate."),
    split: str = typer.Option("test", help="Which split of the clean games: train, val, test or all."),
    seed: int = typer.Option(0, help="Seed of the error channel."),
    errors_per_game: int = errors_per_game_option(),
    clean_share: float = clean_share_option(),
    mix: str = mix_option(),
    threshold: Optional[float] = typer.Option(
        None, min=0.0, max=1.0, help="Confidence at which a flag counts (default: each model's calibrated one; 0.5 for rules)."),
    repair_threshold: Optional[float] = typer.Option(
        None, min=0.0, max=1.0, help="Confidence needed to apply a repair (default: each model's calibrated one)."),
    margin: int = typer.Option(0, min=0, help="Moves either side of an error's window where a flag still counts."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON on stdout."),
    markdown_path: Optional[Path] = typer.Option(None, "--markdown", help="Also write a markdown report here."),
    plot_path: Optional[Path] = typer.Option(None, "--plot", help="Also write a precision-recall PNG (needs matplotlib)."),
    model: Optional[Path] = model_option(),
    ablation: Optional[Path] = typer.Option(None, "--ablation", exists=True, dir_okay=False,
                                            help="A left-context-only tagger to compare (default: the bundled one)."),
    seq2seq: Optional[Path] = typer.Option(None, "--seq2seq", exists=True, dir_okay=False,
                                           help="An encoder-decoder to compare as 'tagger + seq2seq' "
                                                "(default: the bundled one, with the bundled tagger)."),
    no_seq2seq: bool = typer.Option(False, "--no-seq2seq", help="Leave the 'tagger + seq2seq' row out."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Evaluate the rules only."),
    engine: str = engine_option(),
    katago_model: Optional[Path] = katago_model_option(),
) -> None:
    """Measure detection and repair on corrupted games with known truth.

    Systems compared on the same games: the rules alone (what SGFC-style
    checkers see), and the models when they are installed; with a KataGo network
    (--engine), the tagger with and without the network as judge, side by side.

    Example: [bold]gofix eval pro-games.tar.gz --limit 1000 --markdown eval.md[/bold]

    Exit codes: 0 measured; 2 usage error, no game records found, or no usable games.
    """
    require_records(data)
    try:
        found, source = ev.eval_cases(data, split=split, seed=seed, mix=mix, errors_per_game=errors_per_game,
                                      clean_share=clean_share, limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with progress(err.is_terminal and not as_json) as bar:
        task = bar.add_task("building cases", total=None, rate=0.0)
        cases = ev.take_cases(found, limit, lambda k: bar.update(task, completed=k))
        if not cases:
            fail(f"no usable games in {data} (19x19, legal, 30+ moves, split {split})")
        inference_threads()
        load_start = time.perf_counter()
        try:
            systems = [ev.RulesOnly()] if rules_only else ev.available_systems(
                model, ablation, threshold=repair_threshold, seq2seq=seq2seq, use_seq2seq=not no_seq2seq,
                engine_path=engine_path(engine, katago_model))
        except GofixError as exc:
            fail(escape(str(exc)))
        load_s = time.perf_counter() - load_start
        results = ev.score_systems(systems, cases, threshold=threshold, margin=margin,
                                   progress=lambda name, k, total: bar.update(task, description=name, completed=k,
                                                                              total=total))

    def shown(t):
        return "calibrated per model" if t is None else t

    header = (f"gofix eval on {source}: {n(len(cases), 'game')} (flag threshold {shown(threshold)}, "
              f"repair threshold {shown(repair_threshold)}, margin {margin}; models loaded in {load_s:.2f} s)")
    if as_json:
        sys.stdout.write(json.dumps({"data": source, "load_seconds": load_s,
                                     "results": [r.to_dict() for r in results]}) + "\n")
    else:
        out.print(_scores_table(results, header))
    if markdown_path is not None:
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
