"""Several records of one game made into one record.

``reconcile_group(records, judge)`` takes the records of one game (sorted by
source; the first is the *base*: its orientation, its setup stones, its node
properties) and returns the reconciled record and its report line:

* the main line is chosen region by region (``compare.compare_records``: a
  majority first, the judge breaks ties when sure enough); an undecided region keeps the base's
  version and its first move is marked ``DO[]`` with a ``C[]`` saying so; a
  region taken from another record gets a ``C[]`` naming it;
* every other version of the game (each record's own moves, put in the base's
  orientation) is kept as a variation, branching where it first differs, its
  first node's ``C[]`` naming the source (``path#game``);
* the root properties are merged (the base's value, else the first record's
  that has one); every property on which the records disagree is listed in the
  root's ``GC[]``, with which source says what;
* everything is written as UTF-8 (FF[4] CA[UTF-8]) by ``formats.dump_game``.
"""

from __future__ import annotations

import codecs
import os
import time
from typing import Sequence

from gofix.komi import normalise_komi
from gofix.record import GameRecord, Move, Node, decode_text, encode_text, recolour
from gofix.repair.rewrite import move_nodes, move_value
from .align import align, in_orientation
from .compare import MIN_CONFIDENCE, compare_records

SUMMARY_PREFIX = "gofix reconcile"  # the root GC[] line a reconciled record begins with


# root properties that are not game information: never merged, never reported as conflicts
_NOT_INFO = frozenset({"FF", "CA", "GM", "SZ", "AP", "ST", "AB", "AW", "AE", "PL", "C", "GC"})


_MOVE_PROPS = frozenset({"B", "W", "KO", "MN", "BL", "WL", "OB", "OW", "BM", "DO", "IT", "TE"})


def _recode(value: bytes, encoding: str) -> bytes:
    return value.decode(encoding, errors="replace").encode("utf-8") if encoding != "utf-8" else value


def _encoding(record: GameRecord) -> str:
    try:
        return codecs.lookup(record.encoding).name
    except LookupError:
        return "utf-8"


def _colour_flipped(base: list[Move], S: int, version: list[Move], k: int) -> bool | None:
    """Whether ``version``'s move ``k`` is base's move ``S`` with the other colour (None: not the same point)."""
    if not (0 <= S < len(base) and 0 <= k < len(version)) or base[S].point != version[k].point:
        return None
    return base[S].colour != version[k].colour


def display_name(source: str, index: int, src: str | None = None) -> str:
    """How a record is named in the written file: its path relative to ``src``'s folder
    (``archive.zip!member`` for an archive member), with ``#N`` for game N > 0 of a collection."""
    name = source
    if src is not None:
        top = os.path.abspath(src)
        base_dir = top if os.path.isdir(top) else os.path.dirname(top)
        full = os.path.abspath(source.split("!", 1)[0]) + ("!" + source.split("!", 1)[1] if "!" in source else "")
        if full.startswith(base_dir.rstrip(os.sep) + os.sep):
            name = full[len(base_dir.rstrip(os.sep)) + 1:].replace(os.sep, "/")
    return f"{name}#{index}" if index else name


def chosen_line(oriented: Sequence[list[Move]], reports) -> tuple[list[Move], list, list]:
    """The main line region by region: (moves, origin of each move, first main-line index of each region).

    ``oriented``: each record's moves in the base's (the first's) orientation; ``reports``:
    ``compare.RegionReport`` s. ``origin[j]``: (record index, move index in that record) the
    move came from. A region whose verdict is another record takes that record's moves (its
    colours put in the base's numbering); when that record's colours are flipped after the
    region (an extra or missing move), the base's later moves are flipped too.
    """
    base = oriented[0]
    out: list[Move] = []
    origin: list[tuple[int, int]] = []
    starts: list[int] = []
    flip = False
    pos = 0
    for rep in sorted(reports, key=lambda r: r.spans[0]):
        S, E = rep.spans[0]
        S = max(S, pos)
        seg = base[pos:S]
        out.extend(recolour(seg) if flip else seg)
        origin.extend((0, j) for j in range(pos, S))
        starts.append(len(out))
        v = rep.verdict
        if v is None or v == 0:
            seg = base[S:E]
            out.extend(recolour(seg) if flip else seg)
            origin.extend((0, j) for j in range(S, E))
        else:
            lo, hi = rep.spans[v]
            content = oriented[v][lo:hi]
            before = _colour_flipped(base, S - 1, oriented[v], lo - 1)
            if before:
                content = recolour(content)
            out.extend(recolour(content) if flip else content)
            origin.extend((v, j) for j in range(lo, hi))
            after = _colour_flipped(base, E, oriented[v], hi)
            if after is not None and after != bool(before):
                flip = not flip
        pos = max(pos, E)
    seg = base[pos:]
    out.extend(recolour(seg) if flip else seg)
    origin.extend((0, j) for j in range(pos, len(base)))
    return out, origin, starts


def _merge_info(records: Sequence[GameRecord], names: Sequence[str]) -> tuple[dict[str, list[bytes]], dict[str, list]]:
    """Root properties merged (UTF-8), and the conflicts: {key: [[text, [names]], ...]}."""
    base = records[0]
    props: dict[str, list[bytes]] = {}
    seen: dict[str, dict[tuple, tuple[list[str], list[str]]]] = {}
    for i, rec in enumerate(records):
        enc = _encoding(rec)
        for key, values in rec.root.props.items():
            if key in _MOVE_PROPS:
                continue
            if rec is base or (key not in props and key not in _NOT_INFO):
                if key not in props:
                    props[key] = [_recode(v, enc) for v in values]
            if key in _NOT_INFO:
                continue
            texts = tuple(decode_text(v, enc).strip() for v in values)
            by = seen.setdefault(key, {}).setdefault(_normal(key, texts), ([], []))
            if not by[0]:
                by[0].extend(texts)
            by[1].append(names[i])
    conflicts = {key: [["; ".join(texts), sources] for texts, sources in by.values()]
                 for key, by in seen.items() if len(by) > 1}
    return props, conflicts


def _normal(key: str, texts: tuple[str, ...]) -> tuple:
    """What must differ for two values to conflict: KM as a number, RE without spelling variants."""
    if key == "KM" and len(texts) == 1:  # in points: Fox's KM[750] is KM[7.5] (see komi)
        komi, _ = normalise_komi(texts[0])
        if komi is not None:
            return (komi,)
    if key == "RE" and len(texts) == 1:
        t = texts[0].upper().replace(" ", "")
        for long_, short in (("RESIGN", "R"), ("TIME", "T"), ("FORFEIT", "F")):
            if t.endswith("+" + long_):
                t = t[: -len(long_)] + short
        return (t,)
    return texts


def _insert_variation(root: Node, moves: Sequence[Move], size: int, heads: dict[int, tuple[Node, list[str]]],
                      name: str) -> int | None:
    """Add ``moves`` as a line under ``root``, sharing the nodes already there.

    A new branch is recorded in ``heads`` (by id of its first node) with ``name``; a version that
    ends inside an existing branch joins that branch's names. Returns the 0-based move where the
    version leaves the main line, or None when it is the main line (or a part of it).
    """
    node = root
    on_main = True
    left = None
    joined = None
    for j, m in enumerate(moves):
        key, value = m.colour.upper(), move_value(m, size)
        nxt = next((c for c in node.children if c.props.get(key, [None])[0] == value
                    and not ({"B", "W"} - {key}) & c.props.keys()), None)
        if nxt is None:
            head = tail = None
            for m2 in moves[j:]:
                n = Node({m2.colour.upper(): [move_value(m2, size)]}, [])
                if head is None:
                    head = n
                else:
                    tail.children.append(n)
                tail = n
            node.children.append(head)
            heads[id(head)] = (head, [name])
            return j if on_main else left
        if on_main and nxt is not node.children[0]:
            on_main, left = False, j
        if id(nxt) in heads:
            joined = nxt
        node = nxt
    if on_main:
        return None
    heads[id(joined)][1].append(name)
    return left


def reconcile_group(records: Sequence[GameRecord], judge=None, *, src: str | None = None,
                    min_confidence: float | None = None) -> tuple[GameRecord, dict, float]:
    """One record from several of one game (see the module doc): (record, report line, judging seconds).

    ``src``: the input folder or archive, so that the file names the records by paths relative
    to it (``display_name``); the report line names them by ``game_id``. ``min_confidence``: the
    least confidence of the judge's verdict on a tie (``compare_records``'; None: its default).

    Raises compare.CompareError / align.DifferentGamesError when the records are not one game.
    """

    base = records[0]
    size = base.size
    t0 = time.perf_counter()
    reports = compare_records(records, judge,
                              min_confidence=MIN_CONFIDENCE if min_confidence is None else min_confidence)
    judge_seconds = time.perf_counter() - t0
    if reports and reports[0].symmetries:
        syms = list(reports[0].symmetries)
    else:
        syms = [0] + [align(base.moves, r.moves, size, setup_a=base.setup_black, setup_b=r.setup_black).symmetry
                      for r in records[1:]]
    oriented = [in_orientation(r.moves, s, size) for r, s in zip(records, syms)]
    moves, origin, starts = chosen_line(oriented, reports)
    names = [display_name(r.source, r.index, src) for r in records]

    props, conflicts = _merge_info(records, names)
    root = Node(props, [])
    base_holders = move_nodes(base.root)
    enc = _encoding(base)
    notes: dict[int, str] = {}
    doubtful: set[int] = set()
    for rep, j in zip(sorted(reports, key=lambda r: r.spans[0]), starts):
        first, last = rep.moves[0]
        where = f"moves {first}-{last}" if last > first else f"move {first}" if last == first else \
            f"after move {first - 1}"
        if rep.verdict is None:
            leaning = f", the judge leaning to {names[rep.judge_choice]}'s" if rep.judge_choice is not None else ""
            text = (f"{SUMMARY_PREFIX}: {rep.kind} at {where} of {names[0]}: undecided "
                    f"({rep.reason or rep.decided_by}{leaning}); kept {names[0]}'s version; the others are variations")
            doubtful.add(j)
        else:
            how = {"majority": f"majority, {rep.confidence:.0%} of the records",
                   "judge": f"judge, confidence {rep.confidence:.2f}",
                   "illegal": "rules: the other versions make an illegal move"}.get(rep.decided_by, rep.decided_by)
            text = f"{SUMMARY_PREFIX}: {rep.kind} at {where} of {names[0]}: {names[rep.verdict]}'s version ({how})"
        j = min(j, len(moves) - 1)
        if j >= 0:
            notes[j] = notes[j] + "\n" + text if j in notes else text
    tail = root
    for j, m in enumerate(moves):
        rec_i, k = origin[j]
        props_j: dict[str, list[bytes]] = {}
        if rec_i == 0 and k < len(base_holders):
            holder = base_holders[k]
            if holder is not base.root and sum(key in ("B", "W") for key in holder.props) == 1:
                props_j = {key: [_recode(v, enc) for v in vals] for key, vals in holder.props.items()
                           if key not in ("B", "W", "MN")}  # a move number may no longer hold
        props_j = {m.colour.upper(): [move_value(m, size)], **props_j}
        if j in notes:
            note = encode_text(notes[j])
            props_j["C"] = [props_j["C"][0] + b"\n\n" + note] if props_j.get("C") else [note]
        if j in doubtful:
            props_j["DO"] = [b""]
        node = Node(props_j, [])
        tail.children.append(node)
        tail = node

    lines = []
    heads: dict[int, tuple[Node, list[str]]] = {}
    for i, rec in enumerate(records):
        orient = "" if syms[i] == 0 else f", rotated/mirrored (symmetry {syms[i]})"
        at = _insert_variation(root, oriented[i], size, heads, names[i])
        if at is None:
            same = "the main line" if len(oriented[i]) == len(moves) else f"the main line up to move {len(oriented[i])}"
            lines.append(f"{names[i]} ({len(rec.moves)} moves): {same}{orient}")
        else:
            lines.append(f"{names[i]} ({len(rec.moves)} moves): a variation from move {at + 1}{orient}")
    for head, who in heads.values():
        head.props["C"] = [encode_text(f"{SUMMARY_PREFIX}: the version of {', '.join(who)} from here")]
    summary = [f"{SUMMARY_PREFIX}: {len(records)} records of this game; {len(reports)} region(s) differ "
               f"({sum(r.verdict is None for r in reports)} undecided)."] + lines
    for key, values in conflicts.items():
        summary.append(f"{key} differs: " + "; ".join(f"{text!r} ({', '.join(srcs)})" for text, srcs in values))
    gc = encode_text("\n".join(summary))
    root.props["GC"] = [root.props["GC"][0] + b"\n\n" + gc] if root.props.get("GC") else [gc]

    out = GameRecord(source=base.source, index=base.index, size=size, root=root, moves=moves,
                     setup_black=list(base.setup_black), setup_white=list(base.setup_white),
                     handicap=base.handicap, first_player=base.first_player, encoding="utf-8")
    line = {
        "sources": [r.game_id for r in records],
        "moves": [len(r.moves) for r in records],
        "symmetries": syms,
        "agree": not reports,
        "regions": [{"kind": r.kind, "moves": [list(m) for m in r.moves],
                     "verdict": None if r.verdict is None else records[r.verdict].game_id,
                     "decided_by": r.decided_by, "confidence": round(float(r.confidence), 4),
                     "reason": r.reason} for r in reports],
        "metadata_conflicts": {k: v for k, v in conflicts.items()},
    }
    return out, line, judge_seconds
