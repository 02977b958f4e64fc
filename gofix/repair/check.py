"""Findings about one game: what the rules (and later the models) see wrong.

``check_record`` replays a record under the rules and turns every move that is
not ``ok`` into a ``Finding``. ``GameReport.to_dict`` is the JSON Lines schema
of ``gofix check --json`` (one object per game), exactly::

    {"path": str, "game": int, "status": "clean"|"flagged"|"unreadable",
     "size": int, "moves": int,
     "findings": [{"move": int, "colour": "B"|"W", "point": str, "gtp": str, "kind": str,
                   "confidence": float, "note": str, "repair": {...}|null}],
     "error": str|null}

plus ``"more_findings": int`` when a game has more than ``MAX_FINDINGS``
findings: the first ``MAX_FINDINGS`` in move order are listed, the rest only
counted (the key is absent otherwise).

``move`` is the 1-based main-line move number as read, ``point`` the SGF
coordinate as written ("" for a pass), ``gtp`` the same as people read it,
``kind`` one of ``FINDING_KINDS``, ``confidence`` how suspicious the move is
(1.0 for a rule violation), ``note`` what is wrong in words, ``repair`` the
repair that answers it (``edits.Repair.to_dict``: its own ``confidence``,
``description``, from/to points) or null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol, Sequence

from gofix.rules.board import replay_record
from gofix.coords import on_board, to_gtp
from gofix.edits import Repair
from gofix.record import GameRecord

MAX_FINDINGS = 1_000  # findings listed per game; past it they are counted (GameReport.more_findings), not listed
FINDING_KINDS = ("occupied", "suicide", "ko", "superko", "turn", "offboard", "suspect")

_RULE_TEXT = {
    "occupied": "point is already occupied",
    "suicide": "suicide: leaves its own group without liberties",
    "ko": "retakes a ko at once",
    "superko": "repeats an earlier whole-board position",
    "turn": "same colour as the previous move",
    "offboard": "point is off the board",
}


@dataclass
class Finding:
    """One suspicious or illegal move."""

    move: int  # 1-based main-line move number as read
    colour: str  # 'B' or 'W'
    point: str  # SGF coordinate as written, "" for a pass
    kind: str  # one of FINDING_KINDS
    confidence: float  # in [0, 1]: how suspicious the move is; 1.0 for a rule violation
    repair: Repair | None = None  # the repair that answers it (``attach_repairs``), or None
    gtp: str = ""  # the point in GTP coordinates ('Q16', 'pass', '' if off the board)
    note: str = ""  # what is wrong, in words, for people
    repair_point: tuple[int, int] | None = None  # where the move probably was (or the missing move), for a diagram
    repair_colour: str | None = None  # 'b'/'w' of a proposed missing move (None: the finding's own colour)

    def to_dict(self) -> dict:
        return {
            "move": self.move,
            "colour": self.colour,
            "point": self.point,
            "gtp": self.gtp,
            "kind": self.kind,
            "confidence": round(float(self.confidence), 4),
            "note": self.note,
            "repair": self.repair.to_dict() if self.repair is not None else None,
        }


@dataclass
class GameReport:
    """What gofix found in one game (or why it could not read it)."""

    path: str
    game: int
    status: str  # 'clean' | 'flagged' | 'unreadable'
    size: int = 0
    moves: int = 0
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    record: GameRecord | None = field(default=None, repr=False)  # for diagrams; not serialised
    engine: str | None = None  # the KataGo network that judged the repairs, by name (None: no engine)
    # the repairs as clean's report line holds them ('changed', 'edits', 'caused') and the repaired
    # main line ('moves'), for the review report (gofix.review); not serialised
    repairs: dict | None = field(default=None, repr=False)
    more_findings: int = 0  # findings past MAX_FINDINGS: counted, not listed

    def __post_init__(self) -> None:
        # a record of thousands of illegal moves must not make a report (or its JSON) of thousands
        if len(self.findings) > MAX_FINDINGS:
            self.more_findings += len(self.findings) - MAX_FINDINGS
            self.findings = self.findings[:MAX_FINDINGS]

    @property
    def n_findings(self) -> int:
        """All the game's findings, listed or not."""
        return len(self.findings) + self.more_findings

    def to_dict(self) -> dict:
        extra = {"engine": self.engine} if self.engine else {}
        if self.more_findings:
            extra["more_findings"] = self.more_findings
        return {
            "path": self.path,
            "game": self.game,
            "status": self.status,
            "size": self.size,
            "moves": self.moves,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
            **extra,
        }


class Detector(Protocol):
    """Anything that adds findings to a game (the models plug in here)."""

    def findings(self, record: GameRecord, rule_findings: list[Finding]) -> list[Finding]: ...


def rule_findings(record: GameRecord) -> list[Finding]:
    """Every move the rules reject, in move order. Never raises on bad moves."""
    rep = replay_record(record)
    out: list[Finding] = []
    last = len(record.moves)
    for i, cls in enumerate(rep.classes):
        if cls == "ok":
            continue
        colour, point, sgf = record.moves[i]
        note = _RULE_TEXT[cls]
        if i + 1 == last and cls in ("ko", "superko", "turn", "suicide"):
            note += " (final move: may be a real foul that ended the game; left as played)"
        gtp = to_gtp(point, record.size) if point is None or on_board(point, record.size) else ""
        out.append(Finding(i + 1, colour.upper(), sgf, cls, 1.0, None, gtp, note))
    return out


def check_record(record: GameRecord, detectors: Iterable[Detector] = (), repairer=None, first=None) -> GameReport:
    """Report the rule findings of one record, plus those of any detectors.

    With a ``repairer`` (``repair.ModelRepairer``) its findings are used and
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


def answers(kind: str, moves: Sequence[int], move: int) -> bool:
    """Whether an applied edit answers a finding at ``move``: the edit is the repair that finding
    asked for, so the finding counts as repaired.

    ``kind`` and ``moves`` are those of a ``repair.AppliedEdit`` (or its ``to_dict``): 1-based
    numbers, in the record as read, of the moves the edit touches; for an insert, the move before
    which the moves are inserted (and, for a pair, the one after it). The edit answers the finding
    when it touches that move (changes, moves, recolours or deletes it), or when it is an insert
    right after it (``move == moves[0] - 1``: the finding's "missing move after"). An insert right
    before it is touching it. A deletion answers only the moves it deletes. An insert after the
    last move (``moves`` empty) answers nothing: there is no number to place it by.
    """
    if move in moves:
        return True
    return kind == "insert" and bool(moves) and move == moves[0] - 1


def not_repaired(line: dict) -> list[dict]:
    """The findings of one report line (``clean.clean_file``: ``findings``, ``edits``, ``changed``
    and, when there are any, ``caused``) that no edit answers (``answers``) and that the edits did
    not make legal (``caused``: rule findings of moves the repair left as they were). Edits of a
    game not written repaired (``changed`` false: a file with an unreadable game is copied as it
    is) answer nothing."""
    written = line.get("changed", True)
    caused = set(line.get("caused", ())) if written else set()
    edits = line.get("edits", ()) if written else ()
    return [f for f in line.get("findings", ())
            if f["move"] not in caused and not any(answers(e["kind"], e["moves"], f["move"]) for e in edits)]


def attach_repairs(findings: list[Finding], edits, record: GameRecord) -> list[Finding]:
    """Put each applied edit (``repair.AppliedEdit``) on the findings it answers (``answers``:
    at the moves it touches, or just before an insert; move numbers of the record as read)."""
    for e in edits:
        fix = e.as_repair()
        one = e.edit.insert[0] if len(e.edit.insert) == 1 and e.kind in ("replace", "insert") else None
        point = one.point if one is not None else None
        colour = one.colour if one is not None and e.kind == "insert" else None
        hit = [f for f in findings if answers(e.kind, e.moves, f.move)]
        for f in hit:
            f.repair = fix
            if f.move == e.moves[0]:
                f.repair_point, f.repair_colour = point, colour
        if not hit and e.moves:
            i = e.moves[0] - 1
            if 0 <= i < len(record.moves):
                colour, p, sgf = record.moves[i]
                gtp = to_gtp(p, record.size) if p is None or on_board(p, record.size) else ""
                findings.append(Finding(i + 1, colour.upper(), sgf, "suspect", float(e.confidence), fix, gtp,
                                        "the repair engine would change this move", point))
    return findings


def attach_declined(findings: list[Finding], declined, record: GameRecord) -> list[Finding]:
    """Put each repair found but not applied (``RepairResult.declined``: ``edits.Repair`` with
    ``applied`` False) on the findings it answers that no applied edit answers, so a shown repair
    says when ``gofix fix`` would not apply it and why; one that answers no finding (an earlier
    stone a rule finding collides with) becomes a ``suspect`` finding at its first move, as
    ``attach_repairs`` does for an applied edit."""
    for fix in declined:
        hit = [f for f in findings if answers(fix.kind, fix.moves, f.move)]
        for f in hit:
            if f.repair is None:
                f.repair = fix
        if not hit and fix.moves and 0 < fix.moves[0] <= len(record.moves):
            colour, p, sgf = record.moves[fix.moves[0] - 1]
            gtp = to_gtp(p, record.size) if p is None or on_board(p, record.size) else ""
            findings.append(Finding(fix.moves[0], colour.upper(), sgf, "suspect", float(fix.confidence), fix, gtp,
                                    "the repair engine found a repair here it would not apply"))
    return findings


def unlisted(more: int) -> str:
    """The words for findings counted, not listed: 'and 8,765 more findings not listed'."""
    return f"and {more:,} more finding{'' if more == 1 else 's'} not listed (gofix lists {MAX_FINDINGS:,} per game)"


def unreadable_report(source: str, index: int, reason: str) -> GameReport:
    return GameReport(path=source, game=index, status="unreadable", error=reason)


def check_path(path, detectors: Iterable[Detector] = (), repairer=None, batch: int = 16) -> Iterator[GameReport]:
    """Check every game under ``path`` (file, directory or archive), streaming; with a
    ``repairer``, the model's first look at ``batch`` games at a time is one forward pass."""
    from gofix.formats.sgf import iter_games

    return _check_items(iter_games(path), list(detectors), repairer, batch)


def first_looks(repairer, games: list) -> dict:
    """The repairer's first look at ``games`` in one batch (``analyse_many``), by ``id()`` of each
    game, to pass on as ``repair(game, first=...)``; {} for a repairer without one."""
    analyse = getattr(repairer, "analyse_many", None)
    return dict(zip(map(id, games), analyse(games))) if analyse is not None and games else {}


def _check_items(items, dets: list, repairer, batch: int) -> Iterator[GameReport]:
    """Reports for ``GameRecord``/``Unreadable`` items, in order, ``batch`` games per first look."""
    from gofix.formats.sgf import Unreadable

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

_REPAIRER = None  # in a worker process (check or clean): its own repairer, built once


def init_worker(factory) -> None:
    """Process-pool initializer: build this worker's repairer once (see ``worker_repairer``)."""
    global _REPAIRER
    _REPAIRER = factory()


def worker_repairer():
    """The repairer ``init_worker`` built in this worker process."""
    return _REPAIRER


def check_files(tasks: list[tuple[str, bytes]], repairer) -> list[GameReport]:
    """Reports for every game of several files ``(source, bytes)``; the model's first look at all
    their games is batched. Only flagged reports keep their record (for diagrams): less to send
    back from a worker process."""
    from gofix.formats.sgf import parse_items

    items = [item for source, data in tasks for item in parse_items(data, source)]
    reports = list(_check_items(items, [], repairer, max(1, len(items))))
    for r in reports:
        if r.status != "flagged":
            r.record = r.repairs = None
    return reports


def _work(tasks: list[tuple[str, bytes]]) -> list[GameReport]:
    return check_files(tasks, worker_repairer())


def check_paths_parallel(paths, repairer_factory, jobs: int, batch_files: int = 16,
                         ahead: int = 4) -> Iterator[GameReport]:
    """``check_path`` over several paths on ``jobs`` worker processes, reports in input order.

    Files are read here and sent ``batch_files`` at a time to the workers, each of
    which builds its repairer once with ``repairer_factory`` (picklable, e.g.
    ``pretrained.RepairerFactory``); at most ``jobs * ahead`` groups are in flight,
    so memory stays flat on any archive. Same reports as ``check_path`` (bar the
    record of games that are not flagged, which is dropped).
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    from gofix.formats.sgf import iter_sources, load_reason

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_worker, initargs=(repairer_factory,))
    queue: deque = deque()  # futures of groups, or lists of reports made here
    group: list = []

    def submit() -> None:
        if group:
            queue.append(pool.submit(_work, list(group)))
            group.clear()

    def take():
        item = queue.popleft()
        return item if isinstance(item, list) else item.result()

    try:
        for path in paths:
            for source, load in iter_sources(path):
                try:
                    group.append((source, load()))
                except Exception as exc:  # noqa: BLE001 - as sgf_io.iter_games: listed, never stops the batch
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
        pool.shutdown(cancel_futures=True)


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
