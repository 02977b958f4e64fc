"""Reconcile a whole archive: ``gofix reconcile SRC --out DST`` (one group: ``versions.reconcile``).

``reconcile_tree(src, dst, ...)`` does it for a whole archive (files,
directories, zip/tar, as ``gofix clean`` reads them):

1. Grouping (``grouping.group_path``), kept in ``DST/.gofix-reconcile/groups.json``
   with a fingerprint of SRC, so a rerun does not group again.
2. The files of the grouped games are loaded (one more pass over SRC, no
   parsing), each group reconciled and written to ``DST/<base's relative
   path>`` (``paths.relative_output``; ``-N`` before ``.sgf`` for game N > 0
   of a collection). Groups go in chunks; after each, a marker with their
   report lines (``chunk-*.json``) is written once the outputs are on disk.
   A rerun skips the groups that have a marker and an output file, and the
   final report is assembled from the markers in group order, so an
   interrupted run ends like an uninterrupted one. The state folder goes when
   the run completes.
3. ``singletons=True`` also copies every game that is in no group, its bytes
   as read (a GIB/NGF/UGF game as SGF), to its relative path.

Every output is SGF under an SGF name (``g.gib`` -> ``g.gib.sgf``, ``paths.sgf_name``).
SRC is only read: a DST that is SRC, inside it or around it is refused
(``paths.UnsafePathError``), and so is a group whose output would be one of its own input
files (a hard link) or be written through a symbolic link inside DST: an ``error`` line in
the report. A record whose name would be written outside DST (an archive member ``../x.sgf``)
is refused on its own (a ``refused`` line) and the rest reconciled without it. What DST holds
already follows ``paths.output_run`` (outputs there before the run kept; a finished run or
one with other options refused; one run at a time), and a resumed run reuses a group's
output only when its records and their files are unchanged.
Only gofix's own stale temp files are removed from DST (``formats.is_gofix_temp``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from gofix.errors import GofixError
from gofix.pool import Pool
from gofix.versions.grouping import GroupConfig, GroupStats, Grouping, Ref, group_path
from gofix.record import GameRecord
from gofix.versions.reconcile import reconcile_group
from gofix.formats.paths import write_report

STATE_DIR = ".gofix-reconcile"
# fewer groups to do than this: done in this process whatever ``jobs`` (starting workers that each
# load torch and the judge costs more than they save: ~4.5 s on 2 cores against ~0.1 s a group)
POOL_MIN_UNITS = 64


@dataclass
class ReconcileStats:
    groups: int = 0  # groups of two or more records written (or found, when they failed)
    records: int = 0  # records in those groups
    agree: int = 0  # groups whose records all agree move for move (orientation aside)
    regions: int = 0
    majority: int = 0  # regions decided by a majority of the records
    judge: int = 0  # regions decided by the judge's model
    illegal: int = 0  # regions decided by the rules (the other versions make illegal moves)
    undecided: int = 0
    failed: int = 0  # groups that could not be reconciled (reported with their error)
    singletons: int = 0  # games in no group (copied with singletons=True)
    unreadable: int = 0
    resumed: int = 0  # groups finished by an earlier run
    existing: int = 0  # groups and singletons not written: their output was in DST before the run (kept)
    refused: list[str] = field(default_factory=list)  # records not used: unsafe names (archive members)
    group_seconds: float = 0.0  # grouping (0 when an earlier run's grouping was reused)
    judge_seconds: float = 0.0  # comparing and judging, summed over the groups (all workers, earlier runs too)
    reconcile_seconds: float = 0.0  # step 2 of this run, wall clock: loading, comparing, judging, writing
    grouping: GroupStats = field(default_factory=GroupStats)


# ------------------------------------------------------------------ one group


# ------------------------------------------------------------------ whole archives


def output_name(ref: Ref, src: str) -> str:
    """The output path (relative, '/'-separated, an SGF name) of the group whose base is ``ref``.

    ``g.gib`` -> ``g.gib.sgf``; game N > 0 of ``coll.sgf`` -> ``coll-N.sgf``.
    """
    from gofix.formats.paths import relative_output, sgf_name

    rel = sgf_name(relative_output(ref.source, src))
    if ref.index:
        stem, dot, ext = rel.rpartition(".")
        rel = f"{stem}-{ref.index}.{ext}" if dot and "/" not in ext else f"{rel}-{ref.index}"
    return rel


def fingerprint(src) -> str:
    """A hash of SRC's file names, sizes and modification times (what invalidates a saved grouping)."""
    h = hashlib.sha1()
    top = os.path.abspath(os.fspath(src))
    paths = [top]
    if os.path.isdir(top):
        paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs)
    for p in paths:
        try:
            st = os.stat(p)
            h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            h.update(f"{p}\0?\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _save_grouping(path: str, fp: str, g: Grouping, config: GroupConfig) -> None:
    from gofix.formats.paths import atomic_write

    data = {"fingerprint": fp, "config": asdict(config), "refs": [list(r) for r in g.refs], "groups": g.groups,
            "unreadable": [list(u) for u in g.unreadable], "stats": asdict(g.stats)}
    atomic_write(path, json.dumps(data).encode("utf-8"))


def _load_grouping(path: str, fp: str, config: GroupConfig) -> Grouping | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fp or data.get("config") != asdict(config):
        return None
    return Grouping([Ref(*r) for r in data["refs"]], data["groups"], [tuple(u) for u in data["unreadable"]],
                    GroupStats(**data["stats"]))


@dataclass(frozen=True)
class JudgeSetup:
    """What a reconciling process builds once (a ``pool.Pool`` factory): the judge and the confidence it
    needs. ``threads``: torch threads for it (a worker of several: 1, or GOFIX_THREADS), so that N
    workers on N cores do not each start a thread per core: oversubscribed, the judge's many small
    forwards ran ~10x slower."""

    factory: Callable | None
    min_confidence: float | None = None
    threads: int | None = None

    def __call__(self) -> tuple:
        if self.threads is not None and self.factory is not None:
            import torch  # only a process that judges with a model needs torch

            torch.set_num_threads(self.threads)
        return (self.factory() if self.factory is not None else None), self.min_confidence


def reconcile_unit(setup: tuple, task: tuple) -> tuple[str, bytes | None, dict, float]:
    """A pool task: one group (or singleton) from its files' bytes -> (output name, bytes or None, line,
    seconds); ``setup``: ``JudgeSetup()``'s (judge, min_confidence)."""
    from gofix.formats.sgf_writer import dump_game
    from gofix.formats.read import parse_items, sniff_format

    name, members, files, src = task
    parsed = {source: parse_items(data, source) for source, data in files.items()}
    records = []
    for source, index in members:
        items = parsed.get(source, [])
        rec = items[index] if index < len(items) else None
        if not isinstance(rec, GameRecord):
            return name, None, {"sources": [f"{s}#{i}" for s, i in members],
                                "error": f"{source}#{index} could not be read again"}, 0.0
        records.append(rec)
    if len(records) == 1:
        rec = records[0]
        if sniff_format(files[rec.source], rec.source) != "sgf":  # GIB/NGF/UGF: written as SGF
            data = dump_game(rec)
        else:
            data = files[rec.source] if len(parsed[rec.source]) == 1 else (rec.raw or dump_game(rec))
        return name, data, {"sources": [rec.game_id], "singleton": True}, 0.0
    try:
        judge, min_confidence = setup
        out, line, secs = reconcile_group(records, judge, src=src, min_confidence=min_confidence)
    except GofixError as exc:
        return name, None, {"sources": [r.game_id for r in records], "error": str(exc)}, 0.0
    return name, dump_game(out), line, secs


def _load_markers(state: str) -> tuple[dict[str, dict], dict[str, float], dict[str, list]]:
    """Report lines, judging seconds and inputs (``_inputs``) of every unit an earlier run
    finished, by output name."""
    done: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    inputs: dict[str, list] = {}
    for name in sorted(os.listdir(state)):
        if name.startswith("chunk-") and name.endswith(".json"):
            with open(os.path.join(state, name), encoding="utf-8") as f:
                for key, line, secs, *used in json.load(f):
                    done[key] = line
                    seconds[key] = secs
                    inputs[key] = used[0] if used else None
    return done, seconds, inputs


def _inputs(refs: Sequence[Ref], members: Sequence[int], stamps: dict[str, list | None]) -> list:
    """What a unit's output depends on: each member (source, game) with its file's stamp
    (``paths.input_stamp``). A resumed run reuses a unit's output only when this is unchanged."""
    return [[refs[i].source, refs[i].index, stamps.get(refs[i].source)] for i in members]


def reconcile_tree(
    src,
    dst,
    *,
    judge_factory: Callable[[], object] | None = None,
    jobs: int = 1,
    report_path=None,
    singletons: bool = False,
    config: GroupConfig = GroupConfig(),
    chunk: int = 64,
    progress: Callable[[str, int, int | None], None] | None = None,
    min_confidence: float | None = None,
    force: bool = False,
    limit: int | None = None,
) -> ReconcileStats:
    """Reconcile every group of records of one game under ``src`` into ``dst`` (see the module doc).

    ``judge_factory`` builds the judge (in each worker when ``jobs`` > 1, so it must be picklable:
    a class or ``functools.partial``); None: ties stay undecided. ``report_path`` defaults to
    ``dst/reconcile.jsonl``. ``progress(stage, done, total)``: stage 'grouping' (records read)
    then 'reconciling' (groups done). ``min_confidence``: the least confidence of the judge's verdict
    on a tie (None: ``compare.MIN_CONFIDENCE``). ``limit``: the records of the first ``limit``
    files of ``src`` only. What DST holds already is handled by
    ``paths.output_run`` (kept unless ``force``; a finished run or one with other options refused:
    OutputExistsError); a resumed run reuses a group an earlier run finished only when its
    records and their files are unchanged. Raises UnsafePathError when ``dst`` or the report is
    ``src``, inside it or around it, OutputLockedError when another run writes to ``dst``.
    """
    from gofix.formats.paths import describe, output_run, safe_target

    src_s, dst_s = os.fspath(src), os.fspath(dst)
    report_path = os.fspath(report_path) if report_path else safe_target(dst_s, "reconcile.jsonl")
    options = {"judge": describe(judge_factory), "singletons": singletons, "config": asdict(config),
               "min_confidence": min_confidence}
    if limit is not None:  # a sample (the first ``limit`` files) is a run of its own
        options["limit"] = limit
    with output_run("reconcile", src_s, dst_s, state_dir=STATE_DIR, options=options, force=force,
                    reports=[report_path]) as run:
        stats, report_lines = _reconcile(src_s, run, judge_factory, jobs, singletons, config, chunk, progress,
                                         min_confidence, limit)
        write_report(report_path, report_lines)
    return stats


def _reconcile(src_s: str, run, judge_factory, jobs: int, singletons: bool, config: GroupConfig, chunk: int,
               progress, min_confidence, limit: int | None = None) -> tuple[ReconcileStats, list[dict]]:
    from gofix.formats.paths import UnsafePathError, check_output, input_file, input_stamp, relative_output
    from gofix.formats.paths import atomic_write
    from gofix.formats.sources import iter_sources

    dst_s, state = run.dst, run.state
    stats = ReconcileStats()

    fp = fingerprint(src_s)
    groups_file = os.path.join(state, "groups.json")
    grouping = _load_grouping(groups_file, fp, config)
    if grouping is None:
        t0 = time.perf_counter()
        grouping = group_path(src_s, config, jobs=jobs,
                              progress=(lambda n: progress("grouping", n, None)) if progress else None, limit=limit)
        stats.group_seconds = time.perf_counter() - t0
        _save_grouping(groups_file, fp, grouping, config)
    stats.grouping = grouping.stats
    stats.unreadable = len(grouping.unreadable)
    refs = grouping.refs

    # a record whose name would be written outside DST (an archive member '../x.sgf'): refused
    # on its own, like clean and convert refuse it; the rest is reconciled without it
    unsafe: dict[str, UnsafePathError | None] = {}
    for ref in refs:
        if ref.source not in unsafe:
            try:
                relative_output(ref.source, src_s)
                unsafe[ref.source] = None
            except UnsafePathError as exc:
                unsafe[ref.source] = exc
    refused = [i for i, ref in enumerate(refs) if unsafe[ref.source] is not None]
    groups = grouping.groups
    if refused:
        out_ = set(refused)
        kept = [[i for i in g if i not in out_] for g in groups]
        groups = [g for g in kept if len(g) >= 2]
        grouping = Grouping(refs, groups, grouping.unreadable, grouping.stats)

    # units: groups, then (with singletons) games in no group; each named by its output path
    units: list[tuple[str, list[int]]] = []
    taken: set[str] = set()

    def name_of(i: int) -> str:
        name = output_name(refs[i], src_s)
        while name in taken:  # two inputs mapping to one name: deterministic suffix
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}~.{ext}" if dot else name + "~"
        taken.add(name)
        return name

    for g in groups:
        units.append((name_of(g[0]), g))
    n_groups = len(units)
    lonely = [i for i in grouping.singletons() if unsafe[refs[i].source] is None]
    stats.singletons = len(lonely)
    if singletons:
        units.extend((name_of(i), [i]) for i in lonely)
    names = {name for name, _ in units}

    stamps = {source: input_stamp(source) for source in {refs[i].source for _, members in units for i in members}}
    done, seconds, inputs = _load_markers(state)
    members_by_name = dict(units)
    for name in list(done):  # work of an earlier run that no longer holds: its inputs changed since
        if name not in names or inputs.get(name) != _inputs(refs, members_by_name[name], stamps):
            line = done.pop(name)
            seconds.pop(name, None)
            if line.get("output") and not run.existed(name):
                try:  # the interrupted run's output: rewritten below if this run writes it, else gone
                    os.unlink(run.target(name))
                    run.removed(run.target(name))
                except (OSError, UnsafePathError):
                    pass
    from_markers = set(done)
    for name, members in units:  # an output that would be one of its own inputs: refused, reported
        try:
            target = run.target(name)
            for source in sorted({refs[i].source for i in members}):
                check_output(input_file(source), target)
        except UnsafePathError as exc:
            done[name] = {"output": None, "sources": [refs[i].game_id for i in members], "error": str(exc)}
            seconds[name] = 0.0
            continue
        if name not in from_markers and run.existed(name):  # there before this run: kept
            done[name] = {"output": None, "sources": [refs[i].game_id for i in members], "exists": name,
                          "error": f"the output {name!r} was there before this run: kept (--force overwrites it)"}
            seconds[name] = 0.0
            stats.existing += 1
    for i in refused:
        key = f"\0refused\0{refs[i].game_id}"
        exc = unsafe[refs[i].source]
        stats.refused.append(f"{refs[i].game_id}: {exc}")
        done[key] = {"output": None, "sources": [refs[i].game_id], "refused": True, "error": str(exc)}
        seconds[key] = 0.0
        units.append((key, [i]))
    todo = [u for u in units
            if not (u[0] in done and ("error" in done[u[0]] or os.path.exists(os.path.join(dst_s, *u[0].split("/")))))]
    todo_names = {u[0] for u in todo}
    stats.resumed = sum(1 for u in units[:n_groups] if u[0] not in todo_names and u[0] in from_markers)
    need: dict[str, int] = {}
    for _, members in todo:
        for i in members:
            need[refs[i].source] = need.get(refs[i].source, 0) + 1

    t_write = time.perf_counter()
    threads = max(1, int(os.environ.get("GOFIX_THREADS", "1")))
    workers = jobs if jobs > 1 and len(todo) > POOL_MIN_UNITS else 1
    pool = Pool(workers, JudgeSetup(judge_factory, min_confidence, threads if workers > 1 else None))
    n_chunks = sum(1 for name in os.listdir(state) if name.startswith("chunk-"))
    finished = len(units) - len(todo)
    if progress:
        progress("reconciling", finished, len(units))
    try:
        files: dict[str, bytes] = {}
        waiting = {name: set(refs[i].source for i in members) for name, members in todo}
        by_source: dict[str, list[str]] = {}
        for name, members in todo:
            for s in waiting[name]:
                by_source.setdefault(s, []).append(name)
        members_of = dict(todo)
        ready: list[tuple] = []

        def flush() -> None:
            nonlocal n_chunks, finished
            results = pool.map(reconcile_unit, ready)
            lines = []
            for name, data, line, secs in results:
                if data is not None:
                    run.write(name, data)
                line = {"output": name if data is not None else None, **line}
                lines.append((name, line, round(secs, 4), _inputs(refs, members_of[name], stamps)))
            run.sync()  # the outputs are on disk before the marker says they are done
            atomic_write(os.path.join(state, f"chunk-{n_chunks:08d}.json"), json.dumps(lines).encode("utf-8"))
            n_chunks += 1
            for name, line, secs, _ in lines:
                done[name] = line
                seconds[name] = secs
                for s in {refs[i].source for i in members_of[name]}:
                    need[s] -= 1
                    if need[s] == 0:
                        files.pop(s, None)
            finished += len(lines)
            if progress:
                progress("reconciling", finished, len(units))
            ready.clear()

        if todo:
            for source, load in iter_sources(src_s):
                if source not in need:
                    continue
                try:
                    files[source] = load()
                except Exception:  # noqa: BLE001 - it was readable when grouped; the unit reports it
                    files[source] = b""
                for name in by_source.get(source, []):
                    waiting[name].discard(source)
                    if not waiting[name]:
                        members = [(refs[i].source, refs[i].index) for i in members_of[name]]
                        ready.append((name, members, {s: files[s] for s, _ in members}, src_s))
                if len(ready) >= chunk * max(jobs, 1):
                    flush()
            for name, rest in waiting.items():  # sources that vanished since grouping
                if rest and name not in done and not any(r[0] == name for r in ready):
                    members = [(refs[i].source, refs[i].index) for i in members_of[name]]
                    ready.append((name, members, {s: files.get(s, b"") for s, _ in members}, src_s))
            if ready:
                flush()
    finally:
        pool.close()
    stats.reconcile_seconds = time.perf_counter() - t_write

    report_lines = []
    for name, members in units:
        line = done.get(name)
        if line is None:
            continue
        stats.judge_seconds += seconds.get(name, 0.0)
        report_lines.append(line)
        if line.get("singleton") or line.get("refused") or (line.get("exists") and len(members) < 2):
            continue
        stats.groups += 1
        stats.records += len(line["sources"])
        if "exists" in line:
            continue
        if "error" in line:
            stats.failed += 1
            continue
        stats.agree += bool(line["agree"])
        for r in line["regions"]:
            stats.regions += 1
            key = r["decided_by"] if r["decided_by"] in ("majority", "judge", "illegal") else "undecided"
            setattr(stats, key, getattr(stats, key) + 1)
    return stats, report_lines
