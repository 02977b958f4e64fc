"""Plain conversion of whole archives to SGF: ``gofix convert SRC --out DST``.

Every game file under SRC (a file, a directory, or an archive's members; SGF,
GIB, NGF, UGF/UGI, recognised by content) is read and written as SGF (FF[4],
CA[UTF-8]) under DST, at its mirrored path with ``.sgf`` added unless it ends
so (``paths.sgf_name``). Nothing is repaired. Guarantees:

* SRC is only read; every output is written atomically, never through a
  symbolic link inside DST.
* What DST holds already follows ``paths.output_run``: an output there before
  the run is kept (an ``exists`` line) unless ``overwrite``; a finished run is
  refused (OutputExistsError); one run at a time. A rerun after an
  interruption goes on where it stopped: each chunk of files leaves a marker
  with its report lines in ``DST/.gofix-convert/``, so the report of a resumed
  run is the report of an uninterrupted one (formats and warnings kept).
* ``DST/convert-report.jsonl`` has one line per game or file: ``path`` (output,
  relative to DST), ``source`` (game id in the input), ``format``, ``status``
  (``converted``, ``unreadable``, ``exists``, ``refused``), ``reason`` or
  ``warnings``. A file whose games cannot all be read is written with the
  readable ones; one with none readable is not written.
* Names never clash: a real ``g.gib.sgf`` keeps its name and ``g.gib`` beside
  it is written as ``g.gib~.sgf`` (``paths.output_names``). A DST that is SRC,
  inside it or around it is refused (UnsafePathError), and so is any output
  that would be its own input file (a hard link): a ``refused`` line.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from gofix.formats.paths import (
    UnsafePathError,
    atomic_write,
    check_output,
    input_file,
    input_stamp,
    named,
    output_names,
    output_run,
    safe_target,
    write_report,
)
from gofix.record import GameRecord, Unreadable
from gofix.formats.sgf_writer import dump_collection
from gofix.formats.sources import iter_sources, load_reason
from gofix.formats.read import parse_items, sniff_format

REPORT = "convert-report.jsonl"
STATE_DIR = ".gofix-convert"


@dataclass
class ConvertStats:
    files: int = 0  # files written
    games: int = 0  # games written
    unreadable: int = 0  # games (or files) that could not be read
    existing: int = 0  # files skipped: their output was in DST before the run
    resumed: int = 0  # files an earlier, interrupted run converted (their lines reused)
    refused: list[str] = field(default_factory=list)  # sources not written (unsafe or clashing names)
    by_format: Counter = field(default_factory=Counter)  # (format, status) -> games
    lines: list[dict] = field(default_factory=list, repr=False)  # the report, in input order


def convert_tree(
    src,
    dst,
    *,
    overwrite: bool = False,
    report_path=None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 64,
) -> ConvertStats:
    """Convert everything under ``src`` into ``dst`` (see the module doc); return the counts.

    ``progress(n)`` is called with the number of files done so far.
    ``report_path`` defaults to ``dst/convert-report.jsonl``. What DST holds already is handled by
    ``paths.output_run`` (``overwrite`` is its ``force``). Raises UnsafePathError when ``dst`` or
    the report is ``src``, inside it or around it, OutputExistsError / OutputLockedError.
    """
    root, dst = os.fspath(src), os.fspath(dst)
    report_path = os.fspath(report_path) if report_path else safe_target(dst, REPORT)
    with output_run("convert", root, dst, state_dir=STATE_DIR, force=overwrite, reports=[report_path]) as run:
        stats = _convert(root, run, progress, chunk)
        write_report(report_path, stats.lines)
    return stats


def _load_markers(state: str) -> dict[str, tuple[list[dict], list | None]]:
    """Report lines of every file an earlier run converted, by output path, with its input's stamp."""
    done: dict[str, tuple[list[dict], list | None]] = {}
    for name in sorted(os.listdir(state)):
        if name.startswith("chunk-") and name.endswith(".json"):
            with open(os.path.join(state, name), encoding="utf-8") as f:
                for rel, lines, stamp in json.load(f):
                    done[rel] = (lines, stamp)
    return done


def _convert(root: str, run, progress, chunk: int) -> ConvertStats:
    names = output_names(root)
    stats = ConvertStats()
    done = _load_markers(run.state)
    n_chunks = sum(1 for name in os.listdir(run.state) if name.startswith("chunk-"))
    pending: list = []

    def flush() -> None:
        nonlocal n_chunks
        run.sync()  # the outputs are on disk before the marker says they are done
        atomic_write(os.path.join(run.state, f"chunk-{n_chunks:08d}.json"), json.dumps(pending).encode("utf-8"))
        n_chunks += 1
        pending.clear()

    n = 0
    for source, load in iter_sources(root):
        n += 1
        rel = None
        try:
            rel = named(names, source, root)
            target = run.target(rel)
            check_output(input_file(source), target)
        except UnsafePathError as exc:
            stats.refused.append(f"{source}: {exc}")
            stats.lines.append({"path": rel, "source": source, "status": "refused", "reason": str(exc)})
            continue
        stamp = input_stamp(source)
        lines, old_stamp = done.get(rel, (None, None))
        wrote = lines is not None and any(line["status"] == "converted" for line in lines)
        if lines is not None and old_stamp == stamp and (not wrote or os.path.exists(target)):
            stats.resumed += 1  # converted by an earlier, interrupted run: its lines as they were
        elif run.existed(rel):
            stats.existing += 1
            stats.lines.append({"path": rel, "source": source, "status": "exists",
                                "reason": "the output was there before this run: kept (--force overwrites it)"})
            continue
        else:
            lines = _convert_one(source, load, rel, run)
            pending.append((rel, lines, stamp))
            if len(pending) >= chunk:
                flush()
        _count(stats, lines)
        stats.lines += lines
        if progress:
            progress(n)
    if pending:
        flush()
    return stats


def _count(stats: ConvertStats, lines: list[dict]) -> None:
    converted = 0
    for line in lines:
        fmt = line.get("format") or "?"
        stats.by_format[fmt, line["status"]] += 1
        if line["status"] == "unreadable":
            stats.unreadable += 1
        elif line["status"] == "converted":
            converted += 1
    if converted:
        stats.files += 1
        stats.games += converted


def _convert_one(source: str, load, rel: str, run) -> list[dict]:
    """Convert one file (written with its readable games); its report lines."""
    try:
        data = load()
    except Exception as exc:  # noqa: BLE001 - an unreadable member must not stop the batch
        return [{"path": rel, "source": f"{source}#0", "format": None, "status": "unreadable",
                 "reason": load_reason(exc)}]
    fmt = sniff_format(data, source)
    items = parse_items(data, source)
    games = [g for g in items if isinstance(g, GameRecord)]
    lines = []
    written = 0  # the game's number in the written file
    for item in items:
        line = {"path": rel, "source": item.game_id, "format": fmt}
        if isinstance(item, Unreadable):
            lines.append({**line, "status": "unreadable", "reason": item.reason})
        else:
            lines.append({**line, "status": "converted", "game": written, "warnings": item.warnings})
            written += 1
    if games:
        run.write(rel, dump_collection(games))
    return lines
