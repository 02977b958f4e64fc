"""Plain conversion of whole archives to SGF: ``gofix convert SRC --out DST``.

Every game file under SRC (a file, a directory, or an archive's members; SGF,
GIB, NGF, UGF/UGI, recognised by content) is read and written as SGF (FF[4],
CA[UTF-8]) under DST, at its mirrored path with ``.sgf`` added unless it ends
so (``batch.sgf_name``). Nothing is repaired. Guarantees:

* SRC is only read; every output is written atomically.
* An output that exists is not overwritten unless ``overwrite``: a rerun after
  an interruption goes on where it stopped (its files are listed as
  ``exists``).
* ``DST/convert-report.jsonl`` has one line per game or file: ``path`` (output,
  relative to DST), ``source`` (game id in the input), ``format``, ``status``
  (``converted``, ``unreadable``, ``exists``, ``refused``), ``reason`` or
  ``warnings``. A file whose games cannot all be read is written with the
  readable ones; one with none readable is not written.
* Names never clash: a real ``g.gib.sgf`` keeps its name and ``g.gib`` beside
  it is written as ``g.gib~.sgf`` (``batch.output_names``). A DST that is SRC
  or inside it is refused (UnsafePathError), and so is any output that would
  be its own input file (``gofix convert g.sgf --out .``): a ``refused`` line.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .batch import UnsafePathError, check_output, input_file, named, output_names
from .record import GameRecord
from .sgf_io import Unreadable, atomic_write, dump_collection, iter_sources, load_reason, parse_items, sniff_format

REPORT = "convert-report.jsonl"


@dataclass
class ConvertStats:
    files: int = 0  # files written
    games: int = 0  # games written
    unreadable: int = 0  # games (or files) that could not be read
    existing: int = 0  # files skipped: output already there
    refused: list[str] = field(default_factory=list)  # sources not written (unsafe or clashing names)
    by_format: Counter = field(default_factory=Counter)  # (format, status) -> games


def convert_tree(
    src,
    dst,
    *,
    overwrite: bool = False,
    report_path=None,
    progress: Callable[[int], None] | None = None,
) -> ConvertStats:
    """Convert everything under ``src`` into ``dst`` (see the module doc); return the counts.

    ``progress(n)`` is called with the number of files done so far.
    ``report_path`` defaults to ``dst/convert-report.jsonl``. Raises UnsafePathError when ``dst``
    or the report is ``src`` or inside it.
    """
    root, dst = os.fspath(src), os.fspath(dst)
    report_path = report_path or os.path.join(dst, REPORT)
    check_output(root, dst)
    check_output(root, report_path)
    names = output_names(root)
    os.makedirs(dst, exist_ok=True)
    stats = ConvertStats()
    lines: list[dict] = []
    done = 0
    for source, load in iter_sources(root):
        done += 1
        rel = None
        try:
            rel = named(names, source, root)
            target = os.path.join(dst, *rel.split("/"))
            check_output(input_file(source), target)
        except UnsafePathError as exc:
            stats.refused.append(f"{source}: {exc}")
            lines.append({"path": rel, "source": source, "status": "refused", "reason": str(exc)})
            continue
        if os.path.exists(target) and not overwrite:
            stats.existing += 1
            lines.append({"path": rel, "source": source, "status": "exists"})
            continue
        lines += _convert_one(source, load, rel, target, stats)
        if progress:
            progress(done)
    report = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    atomic_write(report_path, report.encode("utf-8"))
    return stats


def _convert_one(source: str, load, rel: str, target: str, stats: ConvertStats) -> list[dict]:
    try:
        data = load()
    except Exception as exc:  # noqa: BLE001 - an unreadable member must not stop the batch
        stats.unreadable += 1
        stats.by_format["?", "unreadable"] += 1
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
            stats.unreadable += 1
            stats.by_format[fmt, "unreadable"] += 1
            lines.append({**line, "status": "unreadable", "reason": item.reason})
        else:
            stats.by_format[fmt, "converted"] += 1
            lines.append({**line, "status": "converted", "game": written, "warnings": item.warnings})
            written += 1
    if games:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        atomic_write(target, dump_collection(games), fsync=False)
        stats.files += 1
        stats.games += len(games)
    return lines
