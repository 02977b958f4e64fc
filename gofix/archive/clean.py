"""Batch repair of whole archives: ``gofix clean SRC --out DST``.

Every SGF file under SRC (a file, a directory, or an archive's members) is
read, each game checked and repaired by a *repairer*, and written to the same
relative path under DST (``paths.relative_output``). GIB, NGF and UGF/UGI
files are read too and written as SGF under their name with ``.sgf`` added
(``game.gib`` -> ``game.gib.sgf``, ``paths.sgf_name``; ``game.gib~.sgf`` when
a real ``game.gib.sgf`` is beside it, ``paths.output_names``). Guarantees:

* SRC is only read: a DST that is SRC, inside it or around it is refused
  (UnsafePathError, ``paths.check_output``), and so is a file whose output
  would be an input file itself (a hard link), or would be written through a
  symbolic link inside DST: a ``refused`` line in the report, like a member
  whose name would escape DST. Every output file is written atomically.
* What DST holds already follows ``paths.output_run``, the rule of every
  command that writes: an output there before the run is kept (an ``exists``
  line) unless ``force``; a finished run, or one with other options, is
  refused (OutputExistsError); one run at a time (OutputLockedError).
* A file in which no game changed is copied byte for byte. A file with an
  unreadable game is copied unchanged too (its readable games are still
  reported), since the broken game cannot be written back.
* Interrupted runs resume: each finished chunk of files leaves a marker with
  their report lines in ``DST/.gofix-clean/`` (written after the outputs are
  synced to disk); a rerun skips files whose output and marker exist and whose input is unchanged
  (``paths.input_stamp``), and the final ``report.jsonl`` is assembled from the markers
  in input order, so a resumed run ends with the same output as an
  uninterrupted one. The marker folder is removed when the run completes.
* Each game has a time limit; a game over it is copied unchanged and reported.
* ``jobs`` > 1 uses that many processes; files go to them in small chunks, so
  memory stays flat whatever the archive's size. Output is the same for any
  number of jobs. The model's first look at the games of up to ``batch_files``
  files is batched (one forward pass per few thousand moves): same figures as
  one game at a time, about a third faster.
"""

from __future__ import annotations

import json
import os
import signal
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from gofix.formats.paths import (
    OutputRun,
    UnsafePathError,
    atomic_write,
    check_output,
    describe,
    input_file,
    input_stamp,
    named,
    output_names,
    output_run,
    safe_target,
    write_report,
)
from gofix.findings import GameReport, attach_declined, attach_repairs, not_repaired
from gofix.pool import Pool
from gofix.repair.check import first_looks
from gofix.repair.repairer import RulesRepairer
from gofix.record import Unreadable
from gofix.formats.sgf_writer import dump_collection
from gofix.formats.sources import iter_sources
from gofix.formats.read import parse_collection, sniff_format

STATE_DIR = ".gofix-clean"


class GameTimeout(Exception):
    """A game took longer than the per-game time limit."""


@contextmanager
def time_limit(seconds: float | None):
    """Raise GameTimeout in this (main) thread after ``seconds``; no-op if None or unsupported."""
    usable = seconds and hasattr(signal, "setitimer")
    if usable:
        try:
            old = signal.signal(signal.SIGALRM, _on_alarm)
        except ValueError:  # not the main thread
            usable = False
    if not usable:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _on_alarm(signum, frame):
    raise GameTimeout()


@dataclass
class CleanStats:
    files: int = 0
    games: int = 0
    clean: int = 0
    repaired: int = 0
    flagged: int = 0  # flagged but not repaired
    unreadable: int = 0
    timed_out: int = 0
    resumed_files: int = 0  # finished by an earlier run
    existing: int = 0  # files not written: their output was in DST before the run (kept)
    refused: list[str] = field(default_factory=list)  # sources not written (unsafe names)
    changed: list[str] = field(default_factory=list)  # outputs (relative to DST) with a repaired game, in input order
    resumed_games: int = 0  # games of the files an earlier run finished (not this run's work)


# ------------------------------------------------------------------ worker side


def clean_files(tasks: list[tuple[str, bytes]], repairer, game_seconds: float | None) -> list[tuple[bytes, list[dict]]]:
    """``clean_file`` for several files, the models' first look at all their games batched."""
    parsed = [parse_collection(data, source) for source, data in tasks]
    firsts = first_looks(repairer, [g for items in parsed for g in items if not isinstance(g, Unreadable)])
    return [clean_file(source, data, repairer, game_seconds, items=items, firsts=firsts)
            for (source, data), items in zip(tasks, parsed)]


def clean_file(source: str, data: bytes, repairer, game_seconds: float | None, *, items=None,
               firsts: dict | None = None) -> tuple[bytes | None, list[dict]]:
    """Repair every game of one file's bytes; return (output bytes, report lines).

    A GIB/NGF/UGF file is always written as SGF (its games, repaired or not);
    one that cannot be read gives ``None``: nothing to write.

    ``items``: the file already parsed; ``firsts``: the repairer's ``analyse_many`` results by
    ``id()`` of each game (``clean_files`` computes both for a batch of files).
    """
    from gofix.repair.rewrite import with_repairs

    items = parse_collection(data, source) if items is None else items
    firsts = firsts or {}
    lines: list[dict] = []
    out_records = []
    any_unreadable = any(isinstance(g, Unreadable) for g in items) or not items
    changed_any = False
    for g in items:
        if isinstance(g, Unreadable):
            lines.append({**GameReport(g.source, g.index, "unreadable", error=g.reason).to_dict(),
                          "changed": False, "edits": []})
            continue
        try:
            with time_limit(game_seconds):
                result = repairer.repair(g, first=firsts.get(id(g)))
        except GameTimeout:
            lines.append({**GameReport(g.source, g.index, "unreadable", g.size, len(g.moves),
                                       error=f"gave up after {game_seconds:g} s (per-game time limit); "
                                             "copied unchanged").to_dict(),
                          "changed": False, "edits": [], "timeout": True})
            out_records.append(g)
            continue
        changed = result.changed and not any_unreadable
        # each finding an applied edit answers carries that edit's Repair, as in ``gofix check``
        findings = result.findings
        if changed:
            findings = attach_repairs(list(findings), result.edits, g)
        findings = sorted(attach_declined(list(findings), getattr(result, "declined", ()), g), key=lambda f: f.move)
        report = GameReport(g.source, g.index, "flagged" if findings or result.edits else "clean",
                            g.size, len(g.moves), findings, engine=getattr(result, "engine", None))
        if changed:
            summary = f"gofix: {len(result.edits)} edit(s); the original main line is kept as a variation"
            notes = _notes(result)
            out_records.append(with_repairs(g, result.moves, notes, summary))
            changed_any = True
        else:
            out_records.append(g)
        line = {**report.to_dict(), "changed": changed, "edits": [e.to_dict() for e in result.edits]}
        if getattr(result, "caused", None):
            line["caused"] = list(result.caused)  # rule findings the repairs made legal (findings.not_repaired)
        lines.append(line)
    if sniff_format(data, source) != "sgf":
        return (dump_collection(out_records) if out_records and not any_unreadable else None), lines
    if not changed_any:
        return data, lines
    return dump_collection(out_records), lines


def _notes(result) -> dict[int, str]:
    notes: dict[int, str] = {}
    for e in result.edits:
        start = e.edit.start
        for j in range(start, start + max(len(e.edit.insert), 1)):
            notes[j] = f"gofix: {e.as_repair().describe(confidence=True)}"
    return notes


def _clean_group(repairer, task: tuple[list[tuple[str, bytes]], float | None]) -> list[tuple[bytes, list[dict]]]:
    """A pool task: ``clean_files`` with the worker's repairer."""
    files, game_seconds = task
    return clean_files(files, repairer, game_seconds)


# ------------------------------------------------------------------ driver


def _load_markers(state: str) -> tuple[dict[str, list[dict]], dict[str, list | None]]:
    """Report lines of every file an earlier run finished, by output path, and the stamp
    (``paths.input_stamp``) its input had then."""
    done: dict[str, list[dict]] = {}
    stamps: dict[str, list | None] = {}
    for name in sorted(os.listdir(state)):
        if name.startswith("chunk-") and name.endswith(".json"):
            with open(os.path.join(state, name), encoding="utf-8") as f:
                for rel, lines, *stamp in json.load(f):
                    done[rel] = lines
                    stamps[rel] = stamp[0] if stamp else None
    return done, stamps


def _refused(source: str, rel: str | None, exc: UnsafePathError) -> dict:
    """The report line of a file not written: ``status`` 'refused', ``error`` why, ``output`` its name."""
    return {**GameReport(source, 0, "refused", error=str(exc)).to_dict(), "game": None, "output": rel,
            "changed": False, "edits": []}


def _existed(source: str, rel: str) -> dict:
    """The report line of a file not written because its output was in DST before the run."""
    return {**GameReport(source, 0, "exists", error=f"the output {rel!r} was there before this run: kept "
                                                     "(--force overwrites it)").to_dict(),
            "game": None, "output": rel, "changed": False, "edits": []}


def _tasks(src, run: OutputRun, done: dict, stamps: dict, stats: CleanStats,
           limit: int | None = None) -> Iterator[tuple]:
    """('done', rel) for files an earlier run finished (their input unchanged since), ('refused',
    source, report line) for files not written, ('exists', source, report line) for outputs kept,
    else ('todo', source, rel, data or error); with ``limit``, the first ``limit`` files only."""
    root = os.fspath(src)
    names = output_names(root)
    for n, (source, load) in enumerate(iter_sources(root)):
        if limit is not None and n >= limit:
            return
        rel = None
        try:
            rel = named(names, source, root)
            target = run.target(rel)
            check_output(input_file(source), target)
        except UnsafePathError as exc:
            stats.refused.append(f"{source}: {exc}")
            yield ("refused", source, _refused(source, rel, exc))
            continue
        if (rel in done and stamps.get(rel) == input_stamp(source)
                and (not done[rel] or os.path.exists(target))):
            yield ("done", rel)
            continue
        if run.existed(rel):
            stats.existing += 1
            yield ("exists", source, _existed(source, rel))
            continue
        try:
            data = load()
        except Exception as exc:  # noqa: BLE001 - an unreadable member must not stop the batch
            data = GameReport(source, 0, "unreadable", error=f"cannot read: {type(exc).__name__}: {exc}")
        yield ("todo", source, rel, data)


def clean_tree(
    src,
    dst,
    *,
    repairer_factory: Callable[[], object] = RulesRepairer,
    jobs: int = 1,
    report_path=None,
    game_seconds: float | None = 30.0,
    chunk: int = 32,
    batch_files: int = 16,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    options: dict | None = None,
    limit: int | None = None,
) -> CleanStats:
    """Repair everything under ``src`` into ``dst`` (see the module doc); return the counts.

    ``repairer_factory`` builds the repairer (in each worker when ``jobs`` > 1;
    it must be picklable then, e.g. a top-level function or class).
    ``report_path`` defaults to ``dst/report.jsonl``; ``limit``: the first ``limit`` files of ``src`` only. What DST holds already is handled by
    ``paths.output_run`` (kept unless ``force``; a finished run or one with other options is
    refused: OutputExistsError); the run's options are ``game_seconds`` and ``options`` (default:
    ``paths.describe(repairer_factory)``). Raises UnsafePathError when ``dst`` or the report is
    ``src``, inside it or around it, OutputLockedError when another run writes to ``dst``.
    """
    dst = os.fspath(dst)
    report_path = os.fspath(report_path) if report_path else safe_target(dst, "report.jsonl")
    described = {"repairer": describe(repairer_factory) if options is None else options,
                 "game_seconds": game_seconds}
    if limit is not None:  # a sample is a run of its own (a whole run into the same DST: other options)
        described["limit"] = limit
    with output_run("clean", src, dst, state_dir=STATE_DIR, options=described, force=force,
                    reports=[report_path]) as run:
        return _clean(src, run, report_path, repairer_factory, jobs, game_seconds, chunk, batch_files, progress,
                      limit)


def _clean(src, run: OutputRun, report_path: str, repairer_factory, jobs: int, game_seconds, chunk: int,
           batch_files: int, progress, limit: int | None = None) -> CleanStats:
    state = run.state
    stats = CleanStats()
    done, stamps = _load_markers(state)
    n_chunks = sum(1 for name in os.listdir(state) if name.startswith("chunk-"))
    order: list[str] = []
    pool = Pool(jobs, repairer_factory)
    pending: list[tuple[str, str, bytes | GameReport]] = []

    def flush() -> None:
        nonlocal n_chunks
        readable = [(s, d) for s, _, d in pending if isinstance(d, bytes)]
        # each worker gets a run of files: their games go through the model in batches
        per = max(1, min(batch_files, -(-len(readable) // max(jobs, 1))))
        groups = [readable[k:k + per] for k in range(0, len(readable), per)]
        results = (r for rs in pool.map(_clean_group, [(g, game_seconds) for g in groups]) for r in rs)
        finished = []
        for source, rel, data in pending:
            if isinstance(data, GameReport):  # could not even be loaded: nothing to copy
                finished.append((rel, [{**data.to_dict(), "changed": False, "edits": []}], input_stamp(source)))
                continue
            out, lines = next(results)
            if out is not None:  # None: a file in another format that could not be read
                run.write(rel, out)
            finished.append((rel, lines, input_stamp(source)))
        run.sync()  # the outputs are on disk before the marker says they are done
        atomic_write(os.path.join(state, f"chunk-{n_chunks:08d}.json"), json.dumps(finished).encode("utf-8"))
        n_chunks += 1
        for rel, lines, _ in finished:
            done[rel] = lines
            _count(stats, lines)
            stats.files += 1
            if any(line.get("changed") for line in lines):
                stats.changed.append(rel)
        if progress:
            progress(stats.games)
        pending.clear()

    try:
        for task in _tasks(src, run, done, stamps, stats, limit):
            if task[0] in ("refused", "exists"):  # in the report, in input order; not a marker (redone each run)
                key = f"\0{task[0]}\0" + task[1]
                order.append(key)
                done[key] = [task[2]]
                continue
            if task[0] == "done":
                order.append(task[1])
                _count(stats, done[task[1]])
                stats.files += 1
                stats.resumed_files += 1
                stats.resumed_games += len(done[task[1]])
                if any(line.get("changed") for line in done[task[1]]):
                    stats.changed.append(task[1])
                continue
            _, source, rel, data = task
            order.append(rel)
            pending.append((source, rel, data))
            if len(pending) >= chunk * max(jobs, 1):
                flush()
        if pending:
            flush()
    finally:
        pool.close()
    write_report(report_path, (line for rel in order for line in done[rel]))
    return stats


def _count(stats: CleanStats, lines: list[dict]) -> None:
    for line in lines:
        stats.games += 1
        if line.get("timeout"):
            stats.timed_out += 1
        if line["status"] == "unreadable":
            stats.unreadable += 1
        elif line["changed"] and not not_repaired(line):
            stats.repaired += 1
        elif line["status"] == "flagged":  # a repaired game with a finding left counts here: look at it
            stats.flagged += 1
        else:
            stats.clean += 1
