"""Checking one game: its rule findings, the detectors' findings and the repairs, as a ``GameReport``.

``check_record`` replays a record under the rules and turns every move that is
not ``ok`` into a ``Finding`` (``rules.findings``), then asks the detectors or the repairer. The report's JSON schema is
``findings.GameReport.to_dict``'s.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from gofix.pool import Pool
from gofix.findings import Detector, GameReport, attach_declined, attach_repairs, unreadable_report
from gofix.record import GameRecord
from gofix.rules.findings import rule_findings


def check_record(record: GameRecord, detectors: Iterable[Detector] = (), repairer=None, first=None) -> GameReport:
    """Report the rule findings of one record, plus those of any detectors.

    With a ``repairer`` (``repairer.ModelRepairer``) its findings are used and
    every edit it would apply becomes the finding's proposed repair, with its
    confidence (a finding of kind ``suspect`` is added where an edit touches
    no finding). ``first``: the repairer's ``analyse_many`` result for this
    record, when computed in a batch.
    """
    if repairer is not None:
        result = repairer.repair(record, first=first)
        findings = attach_declined(attach_repairs(list(result.findings), result.edits, record),
                                   getattr(result, "declined", ()), record)
    else:
        findings = rule_findings(record)
        for det in detectors:
            findings.extend(det.findings(record, list(findings)))
    findings.sort(key=lambda f: f.move)
    return GameReport(
        path=record.source,
        game=record.index,
        status="flagged" if findings else "clean",
        size=record.size,
        moves=len(record.moves),
        findings=findings,
        warnings=list(record.warnings),
        record=record,
        engine=getattr(result, "engine", None) if repairer is not None else None,
        repairs=None if repairer is None else {
            "changed": result.changed, "edits": [e.to_dict() for e in result.edits],
            "caused": list(result.caused), "moves": result.moves},
    )


def check_path(path, detectors: Iterable[Detector] = (), repairer=None, batch: int = 16) -> Iterator[GameReport]:
    """Check every game under ``path`` (file, directory or archive), streaming; with a
    ``repairer``, the model's first look at ``batch`` games at a time is one forward pass."""
    from gofix.formats.read import iter_games

    return _check_items(iter_games(path), list(detectors), repairer, batch)


def first_looks(repairer, games: list) -> dict:
    """The repairer's first look at ``games`` in one batch (``analyse_many``), by ``id()`` of each
    game, to pass on as ``repair(game, first=...)``; {} for a repairer without one."""
    analyse = getattr(repairer, "analyse_many", None)
    return dict(zip(map(id, games), analyse(games))) if analyse is not None and games else {}


def _check_items(items, dets: list, repairer, batch: int) -> Iterator[GameReport]:
    """Reports for ``GameRecord``/``Unreadable`` items, in order, ``batch`` games per first look."""
    from gofix.record import Unreadable

    batched = hasattr(repairer, "analyse_many")
    pending: list = []

    def flush():
        firsts = first_looks(repairer, [g for g in pending if not isinstance(g, Unreadable)])
        for item in pending:
            if isinstance(item, Unreadable):
                yield unreadable_report(item.source, item.index, item.reason)
            else:
                yield check_record(item, dets, repairer, first=firsts.get(id(item)))
        pending.clear()

    for item in items:
        pending.append(item)
        if len(pending) >= (batch if batched else 1):
            yield from flush()
    yield from flush()


# ------------------------------------------------------------------ many files on several cores

def check_files(tasks: list[tuple[str, bytes]], repairer) -> list[GameReport]:
    """Reports for every game of several files ``(source, bytes)``; the model's first look at all
    their games is batched. Only flagged reports keep their record (for diagrams): less to send
    back from a worker process."""
    from gofix.formats.read import parse_items

    items = [item for source, data in tasks for item in parse_items(data, source)]
    reports = list(_check_items(items, [], repairer, max(1, len(items))))
    for r in reports:
        if r.status != "flagged":
            r.record = r.repairs = None
    return reports


def _check_group(repairer, tasks: list[tuple[str, bytes]]) -> list[GameReport]:
    """A pool task: ``check_files`` with the worker's repairer."""
    return check_files(tasks, repairer)


def check_paths_parallel(paths, repairer_factory, jobs: int, batch_files: int = 16,
                         ahead: int = 4) -> Iterator[GameReport]:
    """``check_path`` over several paths on ``jobs`` worker processes, reports in input order.

    Files are read here and sent ``batch_files`` at a time to the workers, each of
    which builds its repairer once with ``repairer_factory`` (picklable, e.g.
    ``pretrained.RepairerFactory``); at most ``jobs * ahead`` groups are in flight,
    so memory stays flat on any archive. Same reports as ``check_path`` (bar the
    record of games that are not flagged, which is dropped).
    """
    from collections import deque

    from gofix.formats.sources import iter_sources, load_reason

    pool = Pool(jobs, repairer_factory)
    queue: deque = deque()  # futures of groups, or lists of reports made here
    group: list = []

    def submit() -> None:
        if group:
            queue.append(pool.submit(_check_group, list(group)))
            group.clear()

    def take():
        item = queue.popleft()
        return item if isinstance(item, list) else item.result()

    try:
        for path in paths:
            for source, load in iter_sources(path):
                try:
                    group.append((source, load()))
                except Exception as exc:  # noqa: BLE001 - as formats.iter_games: listed, never stops the batch
                    submit()
                    queue.append([unreadable_report(source, 0, load_reason(exc))])
                if len(group) >= batch_files:
                    submit()
                while len(queue) > jobs * ahead:
                    yield from take()
        submit()
        while queue:
            yield from take()
    finally:
        pool.close()


def check_paths(paths, repairer_factory, jobs: int = 1, limit: int | None = None) -> Iterator[GameReport]:
    """The reports of every game under ``paths``, in input order: on ``jobs`` worker processes
    (``check_paths_parallel``) or, for 1, here with one ``repairer_factory()`` made now; ``limit``:
    the first N games only. Closing the iterator stops the workers (a sample taken early)."""
    if jobs > 1:
        reports = check_paths_parallel(paths, repairer_factory, jobs)
    else:
        repairer = repairer_factory()
        reports = (report for path in paths for report in check_path(path, repairer=repairer))
    return reports if limit is None else _first(reports, limit)


def _first(reports: Iterator[GameReport], n: int) -> Iterator[GameReport]:
    try:
        for _ in range(n):
            report = next(reports, None)
            if report is None:
                return
            yield report
    finally:
        reports.close()
