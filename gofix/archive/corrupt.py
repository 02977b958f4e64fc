"""``gofix corrupt SRC --out DST``: corrupted copies of every game of an archive, with the truth.

The corruption channel itself is ``train.corrupt``; the output tree follows the rules of
``formats.paths`` (mirrored names, nothing overwritten, a run that can be resumed).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Callable

from gofix.formats.paths import (
    OutputRun,
    UnsafePathError,
    check_output,
    describe,
    group_by_file,
    input_file,
    named,
    output_names,
    output_run,
    safe_target,
    write_report,
)
from gofix.record import Unreadable
from gofix.formats.sgf_writer import dump_collection
from gofix.repair.rewrite import with_main_line
from gofix.train.corrupt import Channel, clean_enough


@dataclass
class CorruptStats:
    files: int = 0
    games: int = 0
    corrupted: int = 0
    clean: int = 0
    skipped: int = 0  # unusable as ground truth (illegal already, too short, unreadable)
    refused: list[str] = field(default_factory=list)  # sources not written (unsafe names)
    existing: int = 0  # files not written: their output was in ``out`` before the run (kept)


def corrupt_tree(
    src,
    out,
    *,
    channel: Channel,
    seed: int = 0,
    sizes=(9, 13, 19),
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> CorruptStats:
    """Write corrupted copies of every game under ``src`` into ``out`` plus ``out/truth.jsonl``.

    Each game gets ``random.Random(f"{seed}:{source}#{index}")``, so output
    does not depend on the order files are read. Games that cannot serve as
    ground truth (illegal already, under 30 moves, size not in ``sizes``) are
    written unchanged and listed with ``"skipped"``; unreadable games are
    listed only. ``game`` in ``truth.jsonl`` is the game's number in the
    written file, ``source`` its id in the input. What ``out`` holds already is
    handled by ``output_run`` (kept unless ``force``, and left out of ``truth.jsonl``; a
    finished run or one with other options refused: OutputExistsError); an interrupted run is
    redone (the output is the same). ``src`` is only read: UnsafePathError when ``out`` is
    ``src``, inside it or around it, and a file whose output would be its own input is refused
    (listed in ``refused``).
    """
    out = os.fspath(out)
    truth_path = safe_target(out, "truth.jsonl")
    options = {"channel": describe(channel), "seed": seed, "sizes": list(sizes)}
    with output_run("corrupt", src, out, state_dir=".gofix-corrupt", options=options, force=force,
                    reports=[truth_path]) as run:
        return _corrupt(src, run, truth_path, channel, seed, sizes, progress)


def _corrupt(src, run: OutputRun, truth_path: str, channel: Channel, seed: int, sizes, progress) -> CorruptStats:
    root = os.fspath(src)
    stats = CorruptStats()
    names = output_names(root)
    lines = []
    for source, games in group_by_file(src):
        try:
            rel = named(names, source, root)
            check_output(input_file(source), run.target(rel))
        except UnsafePathError as exc:
            stats.refused.append(f"{source}: {exc}")
            continue
        if run.existed(rel):
            stats.existing += 1
            continue
        written = []
        for g in games:
            stats.games += 1
            if progress:
                progress(stats.games)
            entry = {"path": rel, "game": len(written), "source": f"{g.source}#{g.index}"}
            if isinstance(g, Unreadable):
                stats.skipped += 1
                lines.append({**entry, "game": None, "skipped": g.reason})
                continue
            if g.size not in sizes or not clean_enough(g):
                stats.skipped += 1
                lines.append({**entry, "skipped": "not usable as ground truth (illegal, short or size)"})
                written.append(g)  # written unchanged, so game numbers in the output still match
                continue
            rng = random.Random(f"{seed}:{g.source}#{g.index}")
            noisy, truths = channel.corrupt(g.moves, g.size, rng)
            if truths:
                stats.corrupted += 1
            else:
                stats.clean += 1
            entry.update(size=g.size, kinds=[t.kind for t in truths],
                         positions=[list(t.positions) for t in truths],
                         truths=[t.to_dict() for t in truths])
            lines.append(entry)
            written.append(with_main_line(g, noisy))
        if written:
            run.write(rel, dump_collection(written))
            stats.files += 1
    run.sync()  # the records are on disk before truth.jsonl lists them
    write_report(truth_path, lines)
    return stats
