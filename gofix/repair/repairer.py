"""Repairs: from findings to concrete edits, applied only when the models are sure.

``RepairResult`` is what every repairer returns for one record: the repaired
moves, the edits applied (kind, the moves they touch, confidence, words) and
the findings on the record as read. ``RulesRepairer`` repairs nothing: the
rules can say a move is illegal, but not which earlier move was mistyped, so
it only reports. The model-based engine lives in ``ModelRepairer``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from gofix.coords import on_board, to_gtp
from gofix.edits import Edit, Repair, apply_edit
from gofix.findings import Finding
from gofix.record import GameRecord, Move, RecordView
from .candidates import Candidate, Candidates, Edited, Seen, edit_size
from gofix.rules.findings import rule_findings


@dataclass
class AppliedEdit:
    """One change made to a record; ``repair`` its structured form (``edits.Repair``), which every
    output renders (``to_dict`` is ``Repair.to_dict``)."""

    kind: str  # replace | swap2 | pair_order | block | delete | insert | colour
    moves: tuple[int, ...]  # 1-based numbers, in the record as read, of the moves it touches
    confidence: float  # in [0, 1]
    description: str  # e.g. "W 57 at Q4 -> R4 (one point off)": ``repair.describe()``
    edit: Edit  # the splice that makes the change
    repair: Repair | None = None  # None: made without the moves it replaces (``as_repair`` fills in)

    def as_repair(self) -> Repair:
        """The structured repair: ``repair``, or one made from these fields (no ``was`` moves)."""
        if self.repair is not None:
            return self.repair
        return Repair(self.kind, tuple(self.moves), (), tuple((m.colour, m.point) for m in self.edit.insert),
                      float(self.confidence), recolour=self.edit.recolour,
                      at=self.moves[0] if self.moves else None)

    def to_dict(self) -> dict:
        return {**self.as_repair().to_dict(), "description": self.description}


@dataclass
class RepairResult:
    moves: list[Move]  # the repaired main line
    edits: list[AppliedEdit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # on the record as read
    scores: object = None  # the tagger's MoveScores of the record as read, when a model looked at it
    # with an engine: per move (0-based, record as read) the judge's confidence that an edit there is
    # right, for every move it looked at (the second look); None without an engine
    judged: dict | None = None
    engine: str | None = None  # the network that judged, by name
    # 1-based moves of rule findings (record as read) that the edits make legal: caused by an edited move
    caused: list = field(default_factory=list)
    # the best repair found at each suspect of the last pass and not applied (``edits.Repair`` with
    # ``applied`` False and ``why_not`` in words): what `gofix check` shows beside what `fix` does
    declined: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.edits)


class RulesRepairer:
    """Reports rule findings; repairs nothing."""

    name = "rules only"

    def analyse_many(self, records) -> list:
        """Nothing to precompute: one None per record (see ``ModelRepairer.analyse_many``)."""
        return [None] * len(records)

    def repair(self, record: GameRecord, first=None) -> RepairResult:
        return RepairResult(list(record.moves), [], rule_findings(record))


# ------------------------------------------------------------------ the model-based engine



def _surprise(scores) -> float:
    """``_cost`` of a window's scores; a window left with no move at all (None: an edit deleted
    every move in it) surprises nobody."""
    return 0.0 if scores is None else _cost(scores.p_wrong)


def _cost(p_wrong) -> float:
    """Total surprise of a move list: sum of -log(1 - p_wrong) (0 when every move looks right)."""
    p = np.clip(np.asarray(p_wrong, dtype=np.float64), 0.0, 1 - 1e-6)
    return float(-np.log1p(-p).sum())


class ModelRepairer(Candidates):
    """Candidates from the tagger's flags and edit heads (and the encoder-decoder's proposals),
    replayed under the rules, rescored by the models.

    Each pass: analyse the record; for the ``max_flags`` most suspicious moves
    at or above ``flag_threshold``, expand the likeliest edit classes into
    concrete edits (replace a point, swap i/i+2, exchange pairs, move a
    2-move block, delete one or two moves, flip a colour, insert a missing
    move at every empty point within ``gap_radius`` of the moves around the
    gap) and, with a
    ``scorer`` (``rescore.Seq2SeqScorer``), add its ``proposals`` likeliest
    moves at the flagged move and at a gap the tagger calls a missing move
    (insert one, one with later colours flipped, or a pair); drop candidates
    that make the record less legal; rescore the rest (``judge``: the
    tagger's surprise over ``context`` moves each side, the encoder-decoder's
    likelihood, or both summed; plus ``legal_bonus`` nats per illegal move
    made legal, minus ``edit_cost`` nats per move removed or added and per
    recolouring, so the smallest edit wins a tie; a stone moved to a point the
    tagger's point head ranks below its likeliest pays ``point_weight`` x the
    log of their probability ratio) and apply the best when its gain is at
    least ``keep_bias`` nats and its confidence ``1 - exp(-gain)`` at least
    ``threshold`` (both biases towards leaving the record as it is). With
    ``low_flag``, the most suspicious moves between it and ``flag_threshold``
    are tried too, and their best edit needs ``low_threshold``; with
    ``rule_threshold``, so does an edit at a move only the rules point at (an
    illegal move, or the earlier stone it collides with).
    Repeat until nothing changes or ``max_passes``.
    """

    name = "model"

    def __init__(self, detector, *, threshold: float = 0.5, flag_threshold: float | None = None,
                 max_passes: int = 3, max_flags: int = 3, edits_per_flag: int = 2, context: int = 12,
                 keep_bias: float = 0.5, scorer=None, proposals: int = 3, judge: str = "tagger",
                 points_per_flag: int = 3, legal_bonus: float = 1.0, edit_cost: float = 0.5,
                 point_weight: float = 0.5,
                 low_flag: float | None = 0.4, low_threshold: float = 0.98, gap_radius: int | None = 2,
                 rule_threshold: float | None = None, engine=None, engine_flags: int = 3,
                 engine_surprise: float = -6.0, engine_keep: int = 3, engine_proposals: int = 2,
                 engine_scale: float = 1.0, engine_offset: float = -5.0, engine_threshold: float = 0.9,
                 engine_flag: float = 0.5, engine_offsets: dict | None = None,
                 engine_also: tuple = (), engine_inserts: bool = False):
        if judge not in ("tagger", "seq2seq", "both"):
            raise ValueError(f"judge must be tagger, seq2seq or both, not {judge!r}")
        self.detector = detector
        self.scorer = scorer  # rescore.Seq2SeqScorer, or None: the tagger alone
        self.judge = judge  # who rescores candidates when the scorer is there
        self.points_per_flag = points_per_flag  # the point head's likeliest points tried for a misplaced stone
        self.legal_bonus = legal_bonus  # nats of gain per illegal move an edit makes legal
        self.edit_cost = edit_cost  # nats of gain an edit must pay per move it removes or adds (and a recolouring)
        self._origin: list | None = None  # during repair(): current index -> index as read
        self._n_read = 0
        self.proposals = proposals  # the scorer's moves tried at a flagged move or a gap
        self.threshold = threshold
        self.flag_threshold = detector.threshold if flag_threshold is None else flag_threshold
        self.max_passes = max_passes
        self.max_flags = max_flags
        self.edits_per_flag = edits_per_flag
        self.context = context
        self.keep_bias = keep_bias
        self.low_flag = low_flag  # moves between this and flag_threshold are tried too, at low_threshold
        self.low_threshold = low_threshold
        self.point_weight = point_weight  # nats per nat of the point head's log-odds against its top point
        self.gap_radius = gap_radius  # a missing move is looked for this far from the moves around the gap (None: not)
        # confidence needed for an edit at a move only the rules point at (None: ``threshold``)
        self.rule_threshold = rule_threshold
        # the network as judge (``engine.judge.EngineJudge``), or None: the tagger judges
        self.engine = engine
        self.engine_flags = engine_flags  # the network's most surprising moves added to the suspects
        self.engine_surprise = engine_surprise  # ... when the recorded move's log P is below this
        self.engine_keep = engine_keep  # candidates per suspect the network judges, best by the tagger first
        self.engine_proposals = engine_proposals  # the network's likeliest points within a typo's reach, tried too
        # confidence of an edit = sigmoid(engine_scale * gain + its kind's offset), gain in nats
        self.engine_scale = engine_scale
        self.engine_offset = engine_offset
        self.engine_offsets = dict(engine_offsets or {})  # per kind of edit (its prior), else engine_offset
        self.engine_threshold = engine_threshold  # confidence an edit the network judged needs
        self.engine_flag = engine_flag  # ... to be reported as a suspect (not repaired below engine_threshold)
        # edit classes tried at every suspect when the network judges (prefiltered with what the
        # network already says of the edit's first move), and the network's own inserts: its
        # likeliest move (or pair) in a gap before the suspect
        self.engine_also = tuple(engine_also)
        self.engine_inserts = engine_inserts
        self.trace: list | None = None  # a list: every judged candidate is appended (for calibration)
        self._judged: dict | None = None
        self._pass = 0  # the repair pass under way (for the trace)
        self._declined: list = []  # this pass's best candidates not applied: (candidate, confidence, why)

    # -------------------------------------------------------------- public

    def analyse_many(self, records, max_moves: int = 3000) -> list:
        """The tagger's first look at many records, batched (``max_moves`` moves per forward pass):
        pass each result to ``repair(record, first=...)``. Same figures as one record at a time,
        at less cost per game (the recurrent layers run on several games at once)."""
        out: list = []
        batch: list = []
        moves = 0
        for r in records:
            if batch and moves + len(r.moves) > max_moves:
                out += self.detector.analyse_many(batch)
                batch, moves = [], 0
            batch.append(r)
            moves += len(r.moves)
        if batch:
            out += self.detector.analyse_many(batch)
        return out

    def repair(self, record: GameRecord, first=None) -> RepairResult:
        """Repair one record; ``first``: its ``analyse_many`` result when computed in a batch."""
        if first is None:
            first = self.detector.analyse(record)
        findings = rule_findings(record)
        if first is not None:
            findings += self.detector.findings_from(record, first, findings)
            findings.sort(key=lambda f: f.move)
        if first is None or record.size != 19:
            return RepairResult(list(record.moves), [], findings, first)
        moves = list(record.moves)
        edits: list[AppliedEdit] = []
        scores = first
        src = self.scorer.source(record) if self.scorer is not None else None
        self._origin = list(range(len(moves)))  # current index -> index in the record as read (None: inserted)
        self._n_read = len(moves)
        judged: dict | None = None
        surprising: list[int] = []  # indices in the record as read
        if self.engine is not None:
            judged = {}
            lp = self.engine.pass_logp(record, moves)
            order = [int(i) for i in np.argsort(lp) if lp[i] < self.engine_surprise]
            surprising = order[: self.engine_flags]
        self._judged = judged
        declined: list[Repair] = []
        for self._pass in range(self.max_passes):
            extra = [self._origin.index(i) for i in surprising if i in self._origin]
            self._declined = []
            best = self._best_edit(record, moves, scores, src, extra)
            if best is None:  # this pass's best candidates, each below what applying needs
                for cand, conf, why in self._declined:
                    numbers = tuple(self._origin[i] + 1 for i in cand.touched
                                    if i < len(self._origin) and self._origin[i] is not None)
                    fix = self._repair_of(cand, numbers, moves, conf, src is not None, record.size)
                    declined.append(replace(fix, applied=False, why_not=why))
                break
            cand, conf = best
            numbers = tuple(self._origin[i] + 1 for i in cand.touched
                            if i < len(self._origin) and self._origin[i] is not None)
            fix = self._repair_of(cand, numbers, moves, conf, src is not None, record.size)
            edits.append(AppliedEdit(cand.kind, numbers, conf, fix.describe(), cand.edit, fix))
            e = cand.edit
            self._origin = self._origin[: e.start] + [None] * len(e.insert) + self._origin[e.start + e.delete :]

            moves = apply_edit(moves, cand.edit)
            scores = self.detector.analyse(RecordView(record.size, moves, record.setup_black, record.setup_white,
                                                record.handicap, record.first_player))
        resolved: set[int] = set()
        if edits:  # rule findings of the record as read that the repairs make legal: caused by the edited moves
            after = self._classes(record, moves)
            resolved = {self._origin[j] + 1 for j, c in enumerate(after)
                        if c == "ok" and j < len(self._origin) and self._origin[j] is not None}
            by = ", ".join(str(n) for e in edits for n in e.moves[:1])
            for f in findings:
                if f.kind != "suspect" and f.move in resolved:
                    f.note += f" (made legal by the repair at move {by}: caused by it)"
        if judged is not None:  # the network's second look replaces the tagger's suspicions
            findings = self._engine_findings(record, findings, judged)
        return RepairResult(moves, edits, findings, first, judged,
                            None if self.engine is None else self.engine.name,
                            sorted(f.move for f in findings if f.kind != "suspect" and f.move in resolved),
                            declined)

    def _repair_of(self, cand: Candidate, numbers, moves, conf: float, scored: bool, size: int) -> Repair:
        """The structured ``Repair`` of candidate ``cand`` on the current ``moves`` (``numbers``: the
        moves it touches, as read), and who decided it."""
        e = cand.edit
        s = e.start
        at = (self._origin[s] + 1 if s < len(self._origin) and self._origin[s] is not None
              else self._n_read + 1 if s >= len(self._origin) else None)
        if self.engine is not None:
            by = "engine"
        else:
            by = {"tagger": "tagger", "seq2seq": "seq2seq", "both": "tagger+seq2seq"}[self.judge if scored else "tagger"]
        return Repair(cand.kind, numbers, tuple((m.colour, m.point) for m in moves[s : s + e.delete]),
                      tuple((m.colour, m.point) for m in e.insert), float(conf), by, e.recolour, size, at)

    def _engine_findings(self, record, findings, judged) -> list[Finding]:
        """The rules' findings, and a ``suspect`` finding at every move where the network found an
        edit at least ``engine_flag`` likely (the tagger's own suspicions, which the network looked
        at and did not confirm, are dropped)."""

        out = [f for f in findings if f.kind != "suspect"]
        ruled = {f.move for f in out}
        for i, conf in sorted(judged.items()):
            if conf < self.engine_flag or i + 1 in ruled or i >= len(record.moves):
                continue
            colour, point, sgf = record.moves[i]
            gtp = to_gtp(point, record.size) if point is None or on_board(point, record.size) else ""
            out.append(Finding(i + 1, colour.upper(), sgf, "suspect", float(conf), None, gtp,
                               "the KataGo network finds a likelier record here"))
        out.sort(key=lambda f: f.move)
        return out

    # -------------------------------------------------------------- internals

    def _best_edit(self, record, moves, scores, src=None, extra=()):
        """The best edit of ``moves`` and its confidence, or None when no candidate is sure enough.

        Candidates per flagged move: the tagger's edit heads expanded, plus the
        encoder-decoder's proposals when it is there. Judges (``judge``):
        ``tagger`` — the drop in the tagger's surprise over a window around the
        edit; ``seq2seq`` — the encoder-decoder's log-likelihood ratio of the
        edited over the recorded moves; ``both`` — their sum. A candidate is
        applied when that gain is at least ``keep_bias`` nats and its
        confidence ``1 - exp(-gain)`` at least ``threshold``.
        """

        p = scores.p_wrong
        ranked = [int(i) for i in np.argsort(-p)[: self.max_flags]]  # the most suspicious moves
        order = [i for i in ranked if p[i] >= self.flag_threshold]
        # just under the flag: tried too, but repaired only at low_threshold
        low = {i for i in ranked if self.low_flag is not None and self.low_flag <= p[i] < self.flag_threshold}
        order += [i for i in ranked if i in low]
        classes = self._classes(record, moves)  # one replay gives both the rules' pointers and the base count
        ruled = set()  # moves only the rules point at
        for i in self._ruled(moves, classes):  # the rules point at moves too
            if i in low:
                low.discard(i)
            elif i not in order and len(order) < self.max_flags + 2:
                order.append(i)
                ruled.add(i)
        engine = self.engine
        for i in extra:  # the network's most surprising moves
            if i in low:
                low.discard(i)
            elif i not in order:
                order.append(i)
        if not order:
            return None
        base_bad = len(self._ruled_moves(classes))
        judge = self.judge if src is not None else "tagger"
        n = len(moves)
        # per flagged move: (i, [(candidate, its edited moves)]); the edited moves are an
        # ``Edited`` (the whole list is made again where it is needed), so that memory does not
        # grow with the record's length times the candidates
        groups = []
        fixed = []  # per group: illegal moves each candidate makes legal
        seen = Seen(moves)
        for i in order:
            if engine is not None:  # the network judges reorders whatever the tagger's edit heads say
                pool = self._engine_candidates(record, moves, i) + self.candidates(
                    record, moves, i, scores, also=self.engine_also)
            else:
                pool = self.candidates(record, moves, i, scores)
            if src is not None and self.proposals:
                pool += self._proposed(src, moves, i, scores)
            kept = []
            for c in pool:
                new = apply_edit(moves, c.edit)
                key = seen.key(new)
                bad = self._illegal(record, new) if not seen.holds(key) else base_bad + 1
                if bad > base_bad:
                    continue
                seen.add(key, c.edit)
                kept.append((c, Edited(moves, c.edit, len(new)), base_bad - bad))
            if kept:
                groups.append((i, [(c, new) for c, new, _ in kept]))
                fixed.append(np.array([f for _, _, f in kept], dtype=float))
        if not groups:
            return None
        # each illegal move an edit makes legal is evidence for it (a foul as the last move is not
        # counted by _illegal, so a real foul never pulls an edit in)
        gains = [self.legal_bonus * f - self.edit_cost * np.array([edit_size(c.edit) for c, _ in kept], dtype=float)
                 for f, (_, kept) in zip(fixed, groups)]
        if judge in ("tagger", "both"):
            reach = self.context + 18  # widest candidate (a block moved 16 plies) + context
            views, at = [], []
            for i, kept in groups:
                lo, hi = max(0, i - reach), min(n, i + reach + 1)
                at.append(len(views))
                setup = self._setup(record, moves, lo)  # every candidate edits at or after lo
                views.append(RecordView(record.size, moves[lo:hi], *setup))
                views += [RecordView(record.size, new.whole()[lo : hi + len(new) - n], *setup) for _, new in kept]
            results = self.detector.analyse_many(views)
            for g, (start, (i, kept)) in enumerate(zip(at, groups)):
                base = _surprise(results[start])
                gains[g] += [base - _surprise(results[start + 1 + k]) for k in range(len(kept))]
        if self.point_weight and scores.top_probs is not None:
            # the point head's own say where the stone belongs: a point it ranks below its
            # likeliest pays point_weight x log(p_top / p_point)
            for g, (i, kept) in enumerate(groups):
                probs = dict(zip(scores.top_points[i], scores.top_probs[i]))
                if not probs:
                    continue
                top = max(probs.values())
                for k, (c, _) in enumerate(kept):
                    if c.kind == "replace" and c.touched == (i,) and c.edit.insert[0].point in probs:
                        gains[g][k] -= self.point_weight * math.log(top / max(probs[c.edit.insert[0].point], 1e-9))
        if judge in ("seq2seq", "both"):
            for g, (i, kept) in enumerate(groups):
                base, cand = self.scorer.compare(src, moves, [c.edit for c, _ in kept])
                gains[g] += cand - base
        if engine is not None:
            return self._engine_verdict(record, moves, groups, fixed, gains)
        best = None
        for g, (i, kept) in enumerate(groups):
            k = int(np.argmax(gains[g]))
            gain = float(gains[g][k])
            conf = 1.0 - math.exp(-max(gain, 0.0))
            need = self.low_threshold if i in low else self.threshold
            if i in ruled and self.rule_threshold is not None:
                need = self.rule_threshold
            if gain >= self.keep_bias and conf >= need and (best is None or gain > best[2]):
                best = (kept[k][0], conf, gain)
            elif gain > 0 and i not in low:  # (a move under the flag is not shown as a finding)
                why = (f"confidence {conf:.2f} below the {need:.2f} to apply" if conf < need else
                       f"evidence {gain:.2f} nats below the {self.keep_bias:.2f} needed to change a record")
                self._declined.append((kept[k][0], conf, why))
        return None if best is None else (best[0], best[1])

    def _engine_verdict(self, record, moves, groups, fixed, gains):
        """The network judges: per suspect, the network's own proposals and the ``engine_keep``
        candidates the tagger likes best (its gain plus the network's log-odds of the edit's first
        move, where that costs nothing) get a first look (the edit and two moves after it); the
        ``engine_keep`` best of those the full window; an edit's gain is its margin
        (``EngineJudge.margins``) plus ``legal_bonus`` per illegal move it makes legal, minus ``edit_cost`` per move removed or
        added; its confidence ``sigmoid(engine_scale * gain + offset)``, the offset its kind's
        (``engine_offsets``: the prior of that kind of error, fitted), else ``engine_offset``. The
        likeliest edit is applied when its confidence reaches ``engine_threshold``."""
        picks = []  # (group, index in kept)
        for g, (i, kept) in enumerate(groups):
            # which to judge: the tagger's gain plus what the network already says of the edit's first
            # move, where the position before it is cached (free): its log P against the recorded one's
            pre = np.array(gains[g], dtype=float)
            for k, (c, _) in enumerate(kept):
                e = c.edit
                if e.insert and e.start < len(moves):
                    new = self.engine.peek(record, moves, e.start, e.insert[0])
                    old = self.engine.peek(record, moves, e.start, moves[e.start])
                    if new is not None and old is not None:
                        pre[k] += new - old
            order = np.argsort(-pre, kind="stable")
            own = [k for k, (c, _) in enumerate(kept) if c.by_engine]
            chosen = list(dict.fromkeys(own + [int(k) for k in order[: self.engine_keep]]))
            picks += [(g, k) for k in chosen]
        if not picks:
            return None
        # a first look over the edit and the two moves after it, then the full window for the
        # ``engine_keep`` best of each suspect (their first positions are cached by then)
        first = self.engine.margins(record, moves, [groups[g][1][k][0].edit for g, k in picks],
                                    [groups[g][1][k][1].whole() for g, k in picks], window=2)
        short: dict[int, list] = {}
        for (g, k), m in zip(picks, first):
            c = groups[g][1][k][0]
            gain = m.margin + self.legal_bonus * fixed[g][k] - self.edit_cost * edit_size(c.edit)
            short.setdefault(g, []).append((gain, k))
        picks = [(g, k) for g, scored in short.items()
                 for _, k in sorted(scored, key=lambda t: -t[0])[: self.engine_keep]]
        found = self.engine.margins(record, moves, [groups[g][1][k][0].edit for g, k in picks],
                                    [groups[g][1][k][1].whole() for g, k in picks])
        best = None
        top: dict[int, tuple] = {}  # per suspect: its best candidate below engine_threshold
        for (g, k), m in zip(picks, found):
            c = groups[g][1][k][0]
            gain = m.margin + self.legal_bonus * fixed[g][k] - self.edit_cost * edit_size(c.edit)
            z = self.engine_scale * gain + self.engine_offsets.get(c.kind, self.engine_offset)
            conf = 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0))) if math.isfinite(z) else 0.0
            if self.trace is not None:
                self.trace.append({"pass": self._pass, "suspect": groups[g][0], "kind": c.kind, "words": c.words,
                                   "edit": c.edit, "margin": m.margin, "follow": m.follow,
                                   "edited": m.edited.tolist(), "recorded": m.recorded.tolist(),
                                   "head": [m.head_edited, m.head_recorded], "fixed": float(fixed[g][k]),
                                   "size": edit_size(c.edit), "tagger_gain": float(gains[g][k]), "confidence": conf})
            if self._judged is not None:  # the suspect the candidate was made for
                t = groups[g][0]
                o = self._origin[t] if t < len(self._origin) else None
                if o is not None:
                    self._judged[o] = max(self._judged.get(o, 0.0), conf)
            if conf >= self.engine_threshold and (best is None or conf > best[1]):
                best = (c, conf, gain)
            elif conf > top.get(g, (None, 0.0))[1]:
                top[g] = (c, conf)
        if best is None:  # the network's best at each suspect, below what applying needs
            self._declined += [(c, conf, f"confidence {conf:.2f} below the {self.engine_threshold:.2f} to apply")
                               for c, conf in top.values() if conf >= self.engine_flag]
        return None if best is None else (best[0], best[1])
