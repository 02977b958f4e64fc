"""Several records of one game: where they differ, and which version is right.

``compare_records(records, judge=None)`` aligns every record to the first
(``align.align``), merges the regions that overlap in the first record's
numbering, and for each merged region groups the records by their version of
it (the same moves, in the first record's orientation). Then:

* a strict majority (3 or more records) decides: ``decided_by='majority'``,
  confidence = the majority's share; a judge, if given, is asked too, and
  ``judge_disagrees`` says when it prefers another version;
* a tie (always so with two records) goes to the judge (``judge.Judge``),
  once in the context of each tied record (below): ``'illegal'`` when the
  rules alone decided, ``'judge'`` when the model did, ``'undecided'`` when it
  could not, when the contexts disagree, when the verdict's confidence is
  below ``min_confidence`` (reason ``'both plausible'``, the judge's leaning
  kept in ``judge_choice``), or when there is no judge.

The versions shown to the judge are full move lists: a record's moves (its
*context*) with the region replaced by each version (colours made consistent
with the context's; when a version's colours flip after the region against
the context's, the context's later moves are flipped too and every span runs
to the end). A majority asks the judge in the first record's context only. A
tie asks it in the context of every tied record (in the first record's
orientation, with its own setup stones and colours): the other regions where
the records differ are then read as that record reads them, so a version that
clashes only with the first record's reading of another region (an occupied
point later: a rules verdict) does not win for that alone. The same choice in
every context decides, with the lowest confidence of them (and that
context's reason, which sets ``decided_by``); different choices
leave the region undecided: ``'contexts disagree'`` when a context's verdict
reached ``min_confidence``, else ``'both plausible'``. ``RegionReport.contexts``
lists each context's verdict.

Regions whose contexts disagree usually interact: each can only be settled
with the other. So, after that (not with ``first_context_only``), each maximal
run of consecutive regions that ended ``'contexts disagree'`` (ties of the first
record's version and one other record b's), a lone one together with its
nearest region before and after within ``JOINT_GAP`` moves (or else the nearest
one), is judged once as a whole: the first record's moves against them with
the run's whole range as b has it (its later colours flipped where b's flip).
A verdict at ``min_confidence`` or more decides every undecided region of the
run (``decided_by`` as its reason says) unless it contradicts a region of the
run decided on its own; ``RegionReport.joint`` records it either way.

``load_record("game.sgf")`` reads the first game of a file, ``"games.sgf#3"``
the game numbered 3 (0-based, as ``gofix check`` numbers them), through
``formats`` (so any format it reads).

Nothing here prints; the CLI renders ``RegionReport``s and ``region_diagrams``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from .align import Alignment, Region, align, in_orientation
from gofix.coords import on_board, to_gtp, transform
from gofix.edits import Repair
from gofix.errors import GofixError, SgfError
from gofix.record import GameRecord, Move, recolour
from gofix.rules.board import replay
from gofix.rules.diagram import draw

__all__ = ["CompareError", "RegionReport", "compare_records", "load_record", "region_diagrams", "version_text",
           "MIN_CONFIDENCE"]

# a tie decided by the judge needs at least this confidence (how it was chosen, with its measurement:
# docs/how-it-works.md, "compare"); the rules' verdicts (0.99) always pass
MIN_CONFIDENCE = 0.8
_RULES = ("illegal", "fewer illegal")  # the judge's reasons when the rules alone decided


class CompareError(GofixError, ValueError):
    """Records that cannot be compared (fewer than two, different board sizes)."""


@dataclass
class RegionReport:
    """One region where the records differ, and the verdict on it.

    ``moves[i]``: the region in record i as 1-based main-line move numbers
    ``(first, last)``; ``(k + 1, k)`` where record i lacks the region's moves, k
    being its last move before the gap. ``verdict``: index into the records of
    the version judged right (the first record holding it), or None.
    """

    kind: str
    moves: list[tuple[int, int]]
    verdict: int | None
    confidence: float
    decided_by: str  # 'majority', 'judge', 'illegal' or 'undecided'
    groups: list[list[int]]  # record indices with identical versions, in order of first record
    reason: str = ""  # the judge's reason ('model', 'illegal', 'both plausible', 'contexts disagree', ...) or ''
    judge_choice: int | None = None  # the record whose version the judge preferred (undecided: its leaning), or None
    judge_disagrees: bool = False  # a majority decided, and the judge preferred another version
    offset: tuple[int, int] | None = None  # substitution: B's point minus A's, (dx, dy), first record's orientation
    symmetries: list[int] = field(default_factory=list)  # per record: the symmetry into the first's orientation
    recoloured: list[bool] = field(default_factory=list)  # per record: its colours flip against the first's after it
    # per context the judge was asked in: (record whose moves surround the region, the record whose version it
    # chose or None, confidence, reason)
    contexts: list[tuple[int, int | None, float, str]] = field(default_factory=list)
    # undecided on its own and asked jointly with its neighbours (``compare_records``): (first, last) 1-based moves
    # of the joint range in the first record, the record whose version the judge chose or None, confidence,
    # reason; None when not asked so. With a verdict: decided so.
    joint: tuple[int, int, int | None, float, str] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        """``moves`` as half-open 0-based index ranges."""
        return [(first - 1, last) for first, last in self.moves]

    def what(self) -> str:
        """The region's kind in words ('a move at another point', ...): what people read."""
        return REGION_WORDS.get(self.kind, self.kind)

    def repair(self, records: Sequence[GameRecord], judge: str = "tagger") -> Repair | None:
        """The change the verdict makes to record [0] (``edits.Repair``: its moves in the region taken
        out, the chosen version's put in, in [0]'s orientation), or None when [0]'s version is the
        one chosen or nothing was decided. ``judge``: who the judge was ('tagger' or 'engine')."""
        if self.verdict is None or (self.groups and self.verdict in self.groups[0]):
            return None
        size = records[0].size

        def version(i: int) -> tuple:
            lo, hi = self.spans[i]
            sym = self.symmetries[i] if self.symmetries else 0
            return tuple((m.colour, transform(m.point, sym, size) if m.point is not None else None)
                         for m in records[i].moves[lo:hi])

        first, last = self.moves[0]
        by = {"majority": "majority", "illegal": "rules"}.get(self.decided_by, judge)
        return Repair(_REGION_EDIT.get(self.kind, "replace"), tuple(range(first, last + 1)) or (first,),
                      version(0), version(self.verdict), float(self.confidence), by, size=size, at=first,
                      what=self.what())

    def to_dict(self, files: Sequence[str], records: Sequence[GameRecord] | None = None,
                judge: str = "tagger") -> dict:
        """The ``gofix compare --json`` line; with ``records``, also ``what`` (the kind in words) and
        ``repair`` (``repair(records, judge)`` as ``Repair.to_dict``, or null)."""
        line = {"files": list(files), "moves": [list(m) for m in self.moves], "kind": self.kind,
                "verdict": self.verdict, "confidence": round(self.confidence, 4)}
        if records is not None:
            fix = self.repair(records, judge)
            line.update(what=self.what(), repair=fix.to_dict() if fix is not None else None)
        return line


# a region's kind (``align``) in words, and the kind of edit that turns record [0]'s version into another
REGION_WORDS = {
    "substitution": "a move at another point",
    "swap": "two moves of one colour swapped",
    "reorder": "two pairs of moves in the other order",
    "moved_block": "a run of moves played at another place",
    "replace_block": "a stretch of moves that differs",
    "extra_in_A": "moves only in the first record",
    "extra_in_B": "moves missing from the first record",
    "truncated_tail": "one record stops where the other goes on",
    "recolour": "the same points in the other colour",
}
_REGION_EDIT = {"substitution": "replace", "swap": "swap2", "reorder": "pair_order", "moved_block": "block",
                "extra_in_A": "delete", "extra_in_B": "insert", "recolour": "colour"}


# ---------------------------------------------------------------- reading


_SPEC = re.compile(r"^(.*)#(\d+)$")


def load_record(spec: str | os.PathLike) -> GameRecord:
    """The game named by ``spec``: a file (its first game) or ``FILE#N`` (game N, 0-based).

    Raises SgfError (quoting the file) when the file is missing, a directory,
    unreadable, or has no game N.
    """
    from gofix.formats.read import iter_games

    text = os.fsdecode(os.fspath(spec))
    path, index = text, 0
    m = _SPEC.match(text)
    if not os.path.exists(text) and m:
        path, index = m.group(1), int(m.group(2))
    if not os.path.exists(path):
        raise SgfError("no such file", source=text)
    if os.path.isdir(path):
        raise SgfError("is a directory: give one file (FILE or FILE#N)", source=text)
    seen, bad = 0, None
    for item in iter_games(path):
        if item.index == index:
            if isinstance(item, GameRecord):
                return item
            raise SgfError(item.reason, source=f"{item.source}#{item.index}" if index else item.source)
        if not isinstance(item, GameRecord) and bad is None:
            bad = item
        seen += 1
    if seen == 1 and bad is not None:  # the whole file is unreadable
        raise SgfError(bad.reason, source=bad.source)
    raise SgfError(f"has {seen} game(s); there is no game #{index} (numbered from 0)", source=path)


# ---------------------------------------------------------------- comparing


@dataclass
class _Pair:
    """Record i aligned to record 0, with i's moves in record 0's orientation."""

    al: Alignment
    moves: list[Move]  # record i's moves, in record 0's orientation
    amap: dict[int, int]  # record 0's move index -> record i's, where matched


def _pair(rec0: GameRecord, rec: GameRecord, min_shared: float) -> _Pair:
    al = align(rec0.moves, rec.moves, rec0.size, setup_a=rec0.setup_black, setup_b=rec.setup_black,
               min_shared=min_shared)
    amap = {a0 + t: b0 + t for a0, b0, n in al.blocks for t in range(n)}
    return _Pair(al, in_orientation(rec.moves, al.symmetry, rec0.size), amap)


def _merge(pairs: list[_Pair]) -> list[tuple[int, int, dict[int, list[Region]]]]:
    """Regions of all pairs merged where they overlap in record 0: (start, end, {record: regions})."""
    items = sorted((r.a[0], r.a[1], i, r) for i, p in enumerate(pairs, start=1) for r in p.al.regions)
    groups: list[list] = []
    for s, e, i, r in items:
        if groups:
            g = groups[-1]
            S, E = g[0], g[1]
            if (s < E and S < e) or (s == e and S < s < E) or (s == e == S == E):  # s >= S: sorted
                g[1] = max(E, e)
                g[2].setdefault(i, []).append(r)
                continue
        groups.append([s, e, {i: [r]}])
    return [(s, e, d) for s, e, d in groups]


def _span_in(pair: _Pair, regions: list[Region] | None, S: int, E: int) -> tuple[int, int]:
    """Record i's half-open range for record 0's region [S, E)."""
    if regions:
        first = min(regions, key=lambda r: (r.a[0], r.b[0]))
        last = max(regions, key=lambda r: (r.a[1], r.b[1]))
        return first.b[0] - (first.a[0] - S), last.b[1] + (E - last.a[1])
    if S < E:
        return pair.amap.get(S, S), pair.amap.get(E - 1, E - 1) + 1
    if S - 1 in pair.amap:
        k = pair.amap[S - 1] + 1
    else:
        k = pair.amap.get(S, S)
    return k, k


def _flips_before(pair: _Pair, S: int) -> bool:
    """Whether record i's colours are flipped against record 0's just before S."""
    return sum(r.recoloured for r in pair.al.regions if r.a[1] <= S and r.a != (S, S)) % 2 == 1


def compare_records(records: Sequence[GameRecord], judge=None, *, min_shared: float = 0.5,
                    min_confidence: float = MIN_CONFIDENCE, first_context_only: bool = False) -> list[RegionReport]:
    """The regions where ``records`` differ, each with a verdict (see the module doc).

    ``judge``: anything with ``judge.Judge``'s ``choose``; None: ties stay
    undecided. ``min_confidence``: the least confidence of a judge's verdict
    on a tie that decides it (below: undecided, ``'both plausible'``).
    ``first_context_only``: ask the judge in the first record's context alone
    (as before contexts were compared). Raises CompareError for fewer than two
    records or records of different board sizes, and align.DifferentGamesError
    (naming the files) for records that are not one game.
    """
    from .align import DifferentGamesError

    if len(records) < 2:
        raise CompareError(f"need at least two records to compare, got {len(records)}")
    rec0 = records[0]
    for rec in records[1:]:
        if rec.size != rec0.size:
            raise CompareError(f"different board sizes: {rec0.source} is {rec0.size}x{rec0.size}, "
                               f"{rec.source} is {rec.size}x{rec.size}")
    pairs: list[_Pair] = []
    for rec in records[1:]:
        try:
            pairs.append(_pair(rec0, rec, min_shared))
        except DifferentGamesError as exc:
            raise DifferentGamesError(f"{rec0.source} and {rec.source}: {exc}") from None
    n = len(records)
    syms = [0] + [p.al.symmetry for p in pairs]
    # per report, for the joint pass: (S, E, spans, per record whether its colours are flipped after the region)
    reports, bounds = [], []
    for S, E, by_record in _merge(pairs):
        spans = [(S, E)] + [_span_in(p, by_record.get(i), S, E) for i, p in enumerate(pairs, start=1)]
        recoloured = [False] + [any(r.recoloured for r in by_record.get(i, [])) for i in range(1, n)]
        flipped = [False] + [_flips_before(p, S) for p in pairs]
        contents = [list(rec0.moves[S:E])]
        for i, p in enumerate(pairs, start=1):
            lo, hi = spans[i]
            v = p.moves[lo:hi]
            contents.append(recolour(v) if flipped[i] else list(v))
        keys = [(tuple((m.colour, m.point) for m in c), rc) for c, rc in zip(contents, recoloured)]
        order: dict = {}
        for i, k in enumerate(keys):
            order.setdefault(k, []).append(i)
        groups = list(order.values())
        if len(groups) < 2:
            continue
        regions = [r for rs in by_record.values() for r in rs]
        kind = Counter(r.kind for r in regions).most_common(1)[0][0]
        offset = next((r.offset for r in regions if r.kind == "substitution" and r.offset), None)
        report = RegionReport(kind, [(lo + 1, hi) for lo, hi in spans], None, 0.5, "undecided", groups,
                              offset=offset if kind == "substitution" else None, symmetries=list(syms),
                              recoloured=recoloured)
        contexts = [_Context(0, rec0.size, list(rec0.moves), S, E, False, _setup(rec0, 0))]
        contexts += [_Context(i, rec0.size, p.moves, *spans[i], flipped[i], _setup(records[i], syms[i]))
                     for i, p in enumerate(pairs, start=1)]
        _decide(report, groups, contents, recoloured, contexts, judge, n, min_confidence, first_context_only)
        reports.append(report)
        flips = [False] + [sum(r.recoloured for r in by_record.get(i, [])) % 2 == 1 for i in range(1, n)]
        bounds.append((S, E, spans, [f != g for f, g in zip(flipped, flips)]))
    if judge is not None and not first_context_only:
        _judge_jointly(reports, bounds, rec0, pairs, judge, min_confidence)
    return reports


@dataclass
class _Context:
    """Record i's reading of the game around a region: the moves the judge sees outside it."""

    record: int
    size: int
    moves: list[Move]  # record i's moves in record 0's orientation, in its own colours
    lo: int  # its span of the region, half-open
    hi: int
    flipped: bool  # its colours are flipped against record 0's just before the region
    setup: dict  # its setup stones (in record 0's orientation), handicap, first player


def _setup(rec: GameRecord, sym: int) -> dict:
    return dict(setup_black=[transform(p, sym, rec.size) for p in rec.setup_black],
                setup_white=[transform(p, sym, rec.size) for p in rec.setup_white],
                handicap=rec.handicap, first_player=rec.first_player)


def _versions(ctx: _Context, groups, contents, recoloured, which) -> tuple[list[list[Move]], list[tuple[int, int]]]:
    """The versions of ``groups[k]`` (k in ``which``) in ``ctx``: its moves with the region replaced by
    each (in its colours; the later moves flipped where the version's colours flip against its own)."""
    mine = recoloured[ctx.record]
    to_end = any(recoloured[groups[k][0]] != mine for k in which)
    versions, spans = [], []
    for k in which:
        j = groups[k][0]
        inner = recolour(contents[j]) if ctx.flipped else list(contents[j])
        after = list(ctx.moves[ctx.hi:])
        if recoloured[j] != mine:
            after = recolour(after)
        v = list(ctx.moves[:ctx.lo]) + inner + after
        versions.append(v)
        spans.append((ctx.lo, len(v) if to_end else ctx.lo + len(inner)))
    return versions, spans


def _decide(report: RegionReport, groups, contents, recoloured, contexts: list[_Context], judge, n: int,
            min_confidence: float, first_context_only: bool) -> None:
    sizes = [len(g) for g in groups]
    top = max(sizes)
    leaders = [k for k, s in enumerate(sizes) if s == top]
    if len(leaders) == 1 and n >= 3:
        report.verdict = groups[leaders[0]][0]
        report.confidence = top / n
        report.decided_by = "majority"
        if judge is not None:
            choice, verdict = _ask(judge, contexts[0], groups, contents, recoloured, range(len(groups)))
            report.reason = verdict.reason
            report.judge_choice = choice
            report.judge_disagrees = choice is not None and choice != report.verdict
            report.contexts = [(0, choice, float(verdict.confidence), verdict.reason)]
        return
    if judge is None:
        report.reason = "no judge"
        return
    asked = [contexts[0]]
    if not first_context_only:
        asked = _tied_contexts(contexts, groups, contents, recoloured, leaders)
    seen: dict = {}
    for ctx in asked:
        versions, spans = _versions(ctx, groups, contents, recoloured, leaders)
        key = (tuple(tuple((m.colour, m.point) for m in v) for v in versions), tuple(spans),
               tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in ctx.setup.items()))
        if key not in seen:  # a context that reads every other region alike gives the same question
            seen[key] = _ask(judge, ctx, groups, contents, recoloured, leaders)
        choice, verdict = seen[key]
        report.contexts.append((ctx.record, choice, float(verdict.confidence), verdict.reason))
    choices = {c for _, c, _, _ in report.contexts}
    if len(choices) == 1 and None not in choices:
        weakest = min(report.contexts, key=lambda c: (c[2], c[3] in _RULES))  # equal: the model's reason
        choice, conf, reason = weakest[1], weakest[2], weakest[3]
        report.judge_choice, report.reason = choice, reason
        if conf < min_confidence:  # a leaning, not a verdict
            report.reason = "both plausible"
            return
        report.verdict = choice
        report.confidence = conf
        report.decided_by = "illegal" if reason in _RULES else "judge"
        return
    picked = {c for _, c, _, _ in report.contexts if c is not None}
    if any(c is not None and conf >= min_confidence for _, c, conf, _ in report.contexts):
        report.reason = "contexts disagree"  # a firm verdict in one context, another choice in another
    elif picked:
        report.reason = "both plausible"
        report.judge_choice = next(iter(picked)) if len(picked) == 1 else None
    else:
        report.reason = report.contexts[0][3]  # undecided in every context: the first one's reason


# a lone region whose contexts disagree is judged jointly with its nearest region before and after within this
# many moves of it (in the first record), or, when neither is that near, with the nearest one
JOINT_GAP = 12


def _pair_tie(report: RegionReport) -> int | None:
    """The record b when the region is a tie between exactly two versions, the first record's and b's (b the
    first record holding the other version); else None."""
    if report.decided_by == "majority" or not report.contexts:
        return None
    sizes = [len(g) for g in report.groups]
    leaders = [k for k, s in enumerate(sizes) if s == max(sizes)]
    if len(leaders) != 2 or leaders[0] != 0:
        return None
    return report.groups[leaders[1]][0]


def _joint_runs(reports: list[RegionReport]) -> list[tuple[int, list[int]]]:
    """(b, report indices) of each run to judge jointly: a maximal run of consecutive regions whose contexts
    disagree (ties of the first record and the same b); a run of one takes its neighbours (``JOINT_GAP``)."""
    ties = [_pair_tie(r) for r in reports]
    seeds = [t is not None and r.reason == "contexts disagree" for r, t in zip(reports, ties)]
    runs = []
    k = 0
    while k < len(reports):
        if not seeds[k]:
            k += 1
            continue
        run = [k]
        while run[-1] + 1 < len(reports) and seeds[run[-1] + 1] and ties[run[-1] + 1] == ties[k]:
            run.append(run[-1] + 1)
        k = run[-1] + 1
        if len(run) == 1:
            j = run[0]
            near = [i for i in (j - 1, j + 1) if 0 <= i < len(reports) and ties[i] == ties[j]]
            gap = {i: max(reports[i].spans[0][0] - reports[j].spans[0][1],
                          reports[j].spans[0][0] - reports[i].spans[0][1], 0) for i in near}
            close = [i for i in near if gap[i] <= JOINT_GAP]
            run = sorted(run + (close or sorted(near, key=lambda i: gap[i])[:1]))
            if len(run) == 1:
                continue
        runs.append((ties[run[0]], run))
    return runs


def _judge_jointly(reports: list[RegionReport], bounds, rec0: GameRecord, pairs: list[_Pair], judge,
                   min_confidence: float) -> None:
    """Judge each run of interacting regions (``_joint_runs``) once, as a whole: the first record's moves
    against them with the run's whole range as record b has it. A verdict at ``min_confidence`` or more
    decides every undecided region of the run, unless it contradicts a region the run already decided."""
    from gofix.repair.judge import VersionsError

    for b, run in _joint_runs(reports):
        S, E = bounds[run[0]][0], bounds[run[-1]][1]
        lo, hi = bounds[run[0]][2][b][0], bounds[run[-1]][2][b][1]
        pair = pairs[b - 1]
        before, after = _flips_before(pair, S), bounds[run[-1]][3][b]
        inner = recolour(pair.moves[lo:hi]) if before else list(pair.moves[lo:hi])
        tail = recolour(rec0.moves[E:]) if after != before else list(rec0.moves[E:])
        versions = [list(rec0.moves), list(rec0.moves[:S]) + inner + tail]
        to_end = after != before
        spans = [(S, len(versions[0]) if to_end else E), (S, len(versions[1]) if to_end else S + len(inner))]
        try:
            verdict = judge.choose(rec0.size, versions, spans, **_setup(rec0, 0))
        except VersionsError:  # a range the alignment could not place cleanly: left as it is
            continue
        choice = None if verdict.choice is None else (0, b)[verdict.choice]
        conf = float(verdict.confidence)
        joint = (S + 1, E, choice, conf, verdict.reason)
        members = [reports[k] for k in run]
        for rep in members:
            if rep.verdict is None:
                rep.joint = joint
        if choice is None or conf < min_confidence:
            continue
        if any(rep.verdict is not None and rep.verdict != choice for rep in members):
            continue  # it contradicts a region decided on its own
        for rep in members:
            if rep.verdict is None:
                rep.verdict, rep.confidence, rep.judge_choice, rep.reason = choice, conf, choice, verdict.reason
                rep.decided_by = "illegal" if verdict.reason in _RULES else "judge"


def _tied_contexts(contexts: list[_Context], groups, contents, recoloured, leaders) -> list[_Context]:
    """The contexts of every record holding a tied version, the first record's first.

    Each is checked as the judge would check it (the versions must agree outside their spans);
    should one fail (a span the alignment could not place cleanly), the first record's context
    alone is used, as before contexts were compared.
    """
    from gofix.repair.judge import VersionsError, check_versions

    out = [contexts[0]]
    for k in leaders:
        for i in groups[k]:
            if i == 0:
                continue
            ctx = contexts[i]
            try:
                check_versions(*_versions(ctx, groups, contents, recoloured, leaders))
            except VersionsError:
                return [contexts[0]]
            out.append(ctx)
    return out


def _ask(judge, ctx: _Context, groups, contents, recoloured, which):
    """The judge's verdict among the versions of ``groups[k]`` for k in ``which``, in ``ctx``:
    (record index of the chosen version or None, Verdict)."""
    which = list(which)
    versions, spans = _versions(ctx, groups, contents, recoloured, which)
    verdict = judge.choose(ctx.size, versions, spans, **ctx.setup)
    choice = None if verdict.choice is None else groups[which[verdict.choice]][0]
    return choice, verdict


# ---------------------------------------------------------------- showing

_LABELS = "123456789abcdefghijklmnopqrstuvwxyz"


def version_text(records: Sequence[GameRecord], report: RegionReport, i: int) -> str:
    """Record i's moves in the region, as 'B Q16 W R14 ...' in the first record's orientation ('—': none)."""
    lo, hi = report.spans[i]
    sym = report.symmetries[i] if report.symmetries else 0
    rec = records[i]
    size = records[0].size
    out = []
    for m in rec.moves[lo:hi]:
        p = transform(m.point, sym, size) if m.point is not None else None
        out.append(f"{m.colour.upper()} {to_gtp(p, size) if p is not None and on_board(p, size) else p or 'pass'}")
    return " ".join(out) if out else "—"


def verdict_text(files: Sequence[str], rep: RegionReport) -> str:
    """The verdict on a region in words, naming the records by ``files``: who chose which version and
    how sure, or why the region is undecided (what each context said, where the judge leans)."""
    if rep.verdict is None:
        if rep.reason == "contexts disagree":
            said = "; ".join(f"in [{i}]'s context " + (f"[{c}]" if c is not None else "neither")
                             + f" ({reason}, {conf:.2f})" for i, c, conf, reason in rep.contexts)
            if rep.joint is not None:
                first, last, c, conf, reason = rep.joint
                said += (f"; with its neighbours, moves {first}-{last} of [0], "
                         + (f"[{c}]" if c is not None else "neither") + f" ({reason}, {conf:.2f})")
            return f"undecided (contexts disagree: {said})"
        if rep.judge_choice is not None:
            conf = min(c[2] for c in rep.contexts) if rep.contexts else 0.5
            return f"undecided ({rep.reason}; the judge leans to [{rep.judge_choice}], confidence {conf:.2f})"
        return f"undecided ({rep.reason})" if rep.reason else "undecided"
    who = f"[{rep.verdict}] {files[rep.verdict]}"
    if rep.decided_by == "majority":
        text = f"{who}, by majority ({max(map(len, rep.groups))} of {len(files)})"
        if rep.judge_disagrees:
            text += f"; the judge prefers [{rep.judge_choice}] {files[rep.judge_choice]} ({rep.reason})"
        return text
    by = ("the rules: the other version has an illegal move" if rep.decided_by == "illegal"
          else f"the judge ({rep.reason})")
    joint = f", judged with its neighbours (moves {rep.joint[0]}-{rep.joint[1]} of [0])" if rep.joint else ""
    return f"{who}, by {by}, confidence {rep.confidence:.2f}{joint}"


def region_diagrams(records: Sequence[GameRecord], report: RegionReport, *, margin: int = 2,
                    limit: int = 35) -> list[list[str]]:
    """Per record, the lines of a small board: the position before the region, its moves numbered.

    All records in the first record's orientation, in one window around every
    version's points (``margin`` lines more each side); numbers 1-9 then a-z
    (``limit`` moves at most; a point played twice shows its last number).
    ``X``/``O`` black/white stones, ``.`` empty. [] for each when no move of
    the region is on the board.
    """
    size = records[0].size
    boards = []
    pts = []
    for i, rec in enumerate(records):
        sym = report.symmetries[i] if report.symmetries else 0
        moves = in_orientation(rec.moves, sym, size)
        lo, hi = report.spans[i]
        region = [m for m in moves[lo:hi][:limit]]
        pts += [m.point for m in region if m.point is not None and on_board(m.point, size)]
        boards.append((moves[:lo], [transform(p, sym, size) for p in rec.setup_black],
                       [transform(p, sym, size) for p in rec.setup_white], region))
    if not pts:
        return [[] for _ in records]
    r_lo = max(0, min(p[0] for p in pts) - margin)
    r_hi = min(size - 1, max(p[0] for p in pts) + margin)
    c_lo = max(0, min(p[1] for p in pts) - margin)
    c_hi = min(size - 1, max(p[1] for p in pts) + margin)
    out = []
    for before, sb, sw, region in boards:
        board = replay(size, before, setup_black=sb, setup_white=sw, superko=False).board
        marks = {m.point: _LABELS[k] for k, m in enumerate(region) if m.point is not None}
        out.append(draw(board, (r_lo, r_hi, c_lo, c_hi), width=2, coordinates=True,
                        cell=lambda p, stone: " " + (marks.get(p) or stone)))
    return out
