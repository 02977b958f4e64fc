"""Groups of records of the same game in an archive, without quadratic work.

``group_games(items)`` -> ``Grouping``: which records (``GameRecord`` from
``formats.iter_games``) are copies of one game, possibly rotated or mirrored,
possibly with transcription errors (a wrong move, a missing or extra one, a
record cut short).

How, in four steps:

1. **Compact data.** Each record is kept as its source (path or
   ``archive!member``), game index, board size and its moves as a uint16
   token array (``colour * 1024 + flat point``; a pass is ``size*size``, a
   point off the board ``size*size + 1``) and year (from ``DT``). Nothing else
   stays in memory: grouping the 69,067 pro games peaks at 257 MB of process
   memory (README, "gofix reconcile").
2. **Keys, several per record.** Every window of ``k`` consecutive moves gets a
   64-bit hash that is canonical under the 8 board symmetries on its own (the
   minimum over the 8 transforms of the window). Of these, a record keeps the
   *winnowed* ones (a window's hash is kept where it is the smallest of ``w``
   neighbouring windows), so two records that share any run of ``k + w - 1``
   moves, wherever it lies, share a key: an error in the opening, an extra or
   missing move, leaves the keys of the rest of the game intact. A record also
   keys on its whole move sequence (canonical too): exact duplicates always
   meet.
3. **Candidates.** Records sharing a key are candidates. In a bucket (the
   records of one key) each record is checked against the distinct games met
   so far in it, its *representatives*; when there are more than ``max_reps``
   of them (one when the key is shared by more than ``max_bucket`` records:
   a common opening, a joseki), the key is given up as not distinctive. So the
   work is linear in the number of keys, and a game with a hundred copies
   still meets all of them. A pair already in one group is not checked again
   (union-find), nor a pair already rejected.
4. **Verification.** A candidate pair joins only if the moves agree: B is put
   in A's orientation under the symmetry that maps the most of B's points onto
   A's, and the moves matched in order (``difflib``) must cover at least
   ``min_agreement`` of the shorter record and ``min_cover`` of the longer one.
   Two games that share only an opening (even 40 moves of it) fail this.
   When both records are dated (DT) and the years differ, the matched moves
   must cover ``other_year_cover`` of the longer record: the pro archive holds
   near-identical games of one pair of players a year apart (one noted as
   "similar to the game of 1689 with colours reversed": 65% of the longer one
   matched), while the two real pairs of one game dated in other years in
   ``../shared/real-dev`` (RD0114, RD0122) match 97% and 98%.

Records with fewer than ``min_moves`` moves are never grouped (too little to
tell two games apart). Records of different board sizes never meet (the size
is part of every key).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np

from gofix.coords import transform
from gofix.pool import Pool
from gofix.record import GameRecord, Move

PASS_BIT = 1024  # colour bit of a token; points (and pass/off-board) use the low 10 bits
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class GroupConfig:
    k: int = 8  # moves in a window key
    w: int = 12  # winnowing: a key is kept where it is the smallest of w neighbouring windows
    min_moves: int = 20  # shorter records are never grouped
    max_bucket: int = 64  # a key shared by more records is common (an opening): one representative only
    max_reps: int = 4  # distinct games met in one bucket before the key is given up
    min_agreement: float = 0.8  # moves matched / moves of the shorter record
    min_cover: float = 0.5  # moves matched / moves of the longer record
    other_year_cover: float = 0.9  # moves matched / longer record, when the records' DT name other years


class Ref(NamedTuple):
    """Where a grouped record came from, and its size: compact, kept for every record."""

    source: str  # path, or archive!member
    index: int  # game number in that file
    size: int
    moves: int  # number of moves
    year: int = 0  # the first year in DT[] (1000..2099), 0 when there is none

    @property
    def game_id(self) -> str:
        return f"{self.source}#{self.index}"


@dataclass
class Compact:
    """One record reduced to what grouping needs (what a worker sends back)."""

    ref: Ref
    tokens: bytes  # uint16 tokens, see the module doc
    keys: np.ndarray  # uint64 keys of this record (window keys and the whole-sequence key)


@dataclass
class GroupStats:
    records: int = 0
    unreadable: int = 0
    too_short: int = 0  # under min_moves: never grouped
    keys: int = 0  # keys kept over all records
    buckets: int = 0  # keys shared by two records or more
    big_buckets: int = 0  # of which shared by more than max_bucket records (one representative only)
    given_up_buckets: int = 0  # buckets given up: more distinct games in them than representatives allowed
    checked: int = 0  # candidate pairs verified
    rejected: int = 0  # of which failed the agreement check


@dataclass
class Grouping:
    """Groups of records of one game: lists of indices into ``refs``, each sorted by source."""

    refs: list[Ref]
    groups: list[list[int]]  # only groups of two or more, ordered by their first member
    unreadable: list[tuple[str, int, str]] = field(default_factory=list)  # (source, index, reason)
    stats: GroupStats = field(default_factory=GroupStats)

    def singletons(self) -> list[int]:
        """Indices of the records in no group."""
        grouped = {i for g in self.groups for i in g}
        return [i for i in range(len(self.refs)) if i not in grouped]


# ------------------------------------------------------------------ tokens and keys


@lru_cache(maxsize=None)
def perm_table(size: int) -> np.ndarray:
    """(8, 2048) uint16: token -> token under each symmetry (colour kept; pass, off-board fixed)."""
    table = np.tile(np.arange(2 * PASS_BIT, dtype=np.uint16), (8, 1))
    for sym in range(8):
        for flat in range(size * size):
            r, c = transform(divmod(flat, size), sym, size)
            table[sym, flat] = r * size + c
            table[sym, PASS_BIT + flat] = PASS_BIT + r * size + c
    return table


def tokens_of(moves: Sequence[Move], size: int) -> np.ndarray:
    """The moves as uint16 tokens (see the module doc)."""
    area = size * size
    flats = [area if m.point is None
             else m.point[0] * size + m.point[1] if 0 <= m.point[0] < size and 0 <= m.point[1] < size
             else area + 1 for m in moves]
    whites = [m.colour == "w" for m in moves]
    return np.array(flats, dtype=np.uint16) + np.array(whites, dtype=np.uint16) * np.uint16(PASS_BIT)


_RNG = np.random.default_rng(0x60F1C5)
_TOKEN_HASH = _RNG.integers(1, 2**63, size=2 * PASS_BIT, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_POSITION_MUL = _RNG.integers(1, 2**63, size=64, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (uint64, wrapping)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def window_hashes(tokens: np.ndarray, size: int, k: int) -> np.ndarray:
    """uint64 hash of every window of ``k`` moves, each the minimum over the 8 symmetries."""
    n = len(tokens) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    sym_tokens = perm_table(size)[:, tokens]  # (8, len)
    values = _TOKEN_HASH[sym_tokens]
    h = np.full((8, n), np.uint64(size), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h += values[:, j:j + n] * _POSITION_MUL[j]
        return _mix(h).min(axis=0)


def sequence_key(tokens: np.ndarray, size: int) -> int:
    """A 64-bit key of the whole sequence, the same for all 8 orientations of it."""
    sym_tokens = perm_table(size)[:, tokens]
    digests = [hashlib.blake2b(row.tobytes(), digest_size=8, person=b"gofix-seq%d" % size).digest()
               for row in sym_tokens]
    return int.from_bytes(min(digests), "little")


def record_keys(tokens: np.ndarray, size: int, config: GroupConfig) -> np.ndarray:
    """The keys of one record: winnowed window hashes plus the whole-sequence key (uint64, unique)."""
    keys = [np.uint64(sequence_key(tokens, size))]
    h = window_hashes(tokens, size, config.k)
    if len(h) >= config.w:
        windows = np.lib.stride_tricks.sliding_window_view(h, config.w).min(axis=1)
        kept = np.unique(windows)
    else:
        kept = np.unique(h)
    return np.unique(np.concatenate([np.array(keys, dtype=np.uint64), kept]))


_YEAR = re.compile(r"(?<![0-9])(1[0-9]{3}|20[0-9]{2})(?![0-9])")


def year_of(record: GameRecord) -> int:
    """The first year in the record's DT[] (1000..2099), or 0."""
    m = _YEAR.search(record.text("DT") or "")
    return int(m.group(1)) if m else 0


def compact(record: GameRecord, config: GroupConfig) -> Compact:
    """What grouping keeps of a record."""
    tokens = tokens_of(record.moves, record.size)
    keys = record_keys(tokens, record.size, config) if len(tokens) >= config.min_moves else \
        np.empty(0, dtype=np.uint64)
    ref = Ref(record.source, record.index, record.size, len(tokens), year_of(record))
    return Compact(ref, tokens.tobytes(), keys)


# ------------------------------------------------------------------ verification


def best_symmetry(a: np.ndarray, b: np.ndarray, size: int) -> int:
    """The symmetry that maps the most of B's points onto points A plays (colours ignored)."""
    table = perm_table(size)
    occupied = np.zeros(PASS_BIT, dtype=bool)
    occupied[a & (PASS_BIT - 1)] = True
    occupied[size * size:] = False  # passes and off-board points say nothing about orientation
    hits = occupied[table[:, b] & (PASS_BIT - 1)].sum(axis=1)
    return int(np.argmax(hits))  # ties: the lowest, the identity first


def agreement(a: np.ndarray, b: np.ndarray, size: int, sym: int | None = None) -> tuple[int, int]:
    """(moves matched in order, symmetry) of B against A, B put in A's orientation.

    ``sym``: the symmetry to use (default: ``best_symmetry``).
    """
    sym = best_symmetry(a, b, size) if sym is None else sym
    bb = perm_table(size)[sym, b]
    matcher = SequenceMatcher(None, a.tolist(), bb.tolist(), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()), sym


def same_game(a: np.ndarray, b: np.ndarray, size: int, config: GroupConfig, years: tuple[int, int] = (0, 0)) -> bool:
    """Whether two token arrays of one board size are copies of one game (see the module doc).

    ``years``: the records' years (0: unknown). When both are known and differ, the moves must
    cover ``config.other_year_cover`` of the longer record (two similar games of one pair of
    players, a year apart, are two games).
    """
    short, long_ = sorted((len(a), len(b)))
    if short < config.min_moves or short < config.min_cover * long_:
        return False
    need = max(config.min_agreement * short, config.min_cover * long_)
    sym = best_symmetry(a, b, size)
    # a bound first: a move matched in order is a move of B that A plays too (same colour and point)
    played = np.zeros(2 * PASS_BIT, dtype=bool)
    played[a] = True
    if played[perm_table(size)[sym, b]].sum() < need:
        return False
    matched, _ = agreement(a, b, size, sym)
    if all(years) and years[0] != years[1]:
        need = max(need, config.other_year_cover * long_)
    return matched >= need


# ------------------------------------------------------------------ grouping


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def group_compacts(items: Iterable[Compact | tuple[str, int, str]], config: GroupConfig = GroupConfig(),
                   progress: Callable[[int], None] | None = None) -> Grouping:
    """Group records already reduced by ``compact`` (``(source, index, reason)`` for an unreadable one)."""
    refs: list[Ref] = []
    tokens: list[bytes] = []
    key_parts: list[np.ndarray] = []
    owner_parts: list[np.ndarray] = []
    stats = GroupStats()
    unreadable = []
    for item in items:
        if not isinstance(item, Compact):
            unreadable.append(tuple(item))
            stats.unreadable += 1
            continue
        i = len(refs)
        refs.append(item.ref)
        tokens.append(item.tokens)
        if len(item.keys):
            key_parts.append(item.keys)
            owner_parts.append(np.full(len(item.keys), i, dtype=np.int32))
        else:
            stats.too_short += 1
        if progress and i % 1000 == 0:
            progress(i)
    stats.records = len(refs)
    if progress:
        progress(len(refs))
    groups = _link(refs, tokens, key_parts, owner_parts, config, stats)
    return Grouping(refs, groups, unreadable, stats)


def _link(refs, tokens, key_parts, owner_parts, config: GroupConfig, stats: GroupStats) -> list[list[int]]:
    uf = _UnionFind(len(refs))
    if key_parts:
        keys = np.concatenate(key_parts)
        owners = np.concatenate(owner_parts)
        stats.keys = len(keys)
        order = np.lexsort((owners, keys))
        keys, owners = keys[order], owners[order]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        ends = np.append(starts[1:], len(keys))
        counts = ends - starts
        shared = np.flatnonzero(counts >= 2)
        stats.buckets = len(shared)
        stats.big_buckets = int((counts[shared] > config.max_bucket).sum())
        arrays: dict[int, np.ndarray] = {}
        rejected: set[tuple[int, int]] = set()

        def tok(i: int) -> np.ndarray:
            arr = arrays.get(i)
            if arr is None:
                arr = arrays[i] = np.frombuffer(tokens[i], dtype=np.uint16)
            return arr

        for b in shared:
            members = owners[starts[b]:ends[b]].tolist()
            max_reps = config.max_reps if len(members) <= config.max_bucket else 1
            reps: list[int] = []
            for m in members:
                for r in reps:
                    if uf.find(m) == uf.find(r):
                        break
                    pair = (r, m)
                    if pair in rejected or refs[r].size != refs[m].size:
                        continue
                    stats.checked += 1
                    if same_game(tok(r), tok(m), refs[r].size, config, (refs[r].year, refs[m].year)):
                        uf.union(r, m)
                        break
                    stats.rejected += 1
                    rejected.add(pair)
                else:
                    reps.append(m)
                    if len(reps) > max_reps:
                        stats.given_up_buckets += 1
                        break
            if len(arrays) > 4096:
                arrays.clear()
    by_root: dict[int, list[int]] = {}
    for i in range(len(refs)):
        by_root.setdefault(uf.find(i), []).append(i)
    groups = [sorted(g, key=lambda i: (refs[i].source, refs[i].index)) for g in by_root.values() if len(g) > 1]
    groups.sort(key=lambda g: (refs[g[0]].source, refs[g[0]].index))
    return groups


def compact_items(items: Iterable, config: GroupConfig) -> Iterable[Compact | tuple[str, int, str]]:
    """``compact`` of each GameRecord; ``(source, index, reason)`` for each Unreadable."""
    for item in items:
        if isinstance(item, GameRecord):
            yield compact(item, config)
        else:
            yield (item.source, item.index, item.reason)


def group_games(items: Iterable, config: GroupConfig = GroupConfig(),
                progress: Callable[[int], None] | None = None) -> Grouping:
    """Group ``GameRecord`` s (and ``Unreadable`` s, counted) as ``formats.iter_games`` yields them."""
    return group_compacts(compact_items(items, config), config, progress)


# ------------------------------------------------------------------ whole archives


def _compact_files(task: tuple[list[tuple[str, bytes | str]], GroupConfig]) -> list[Compact | tuple[str, int, str]]:
    """Worker: parse files (bytes, or the reason they could not be loaded) and reduce their games."""
    from gofix.formats.read import parse_items

    files, config = task
    out: list[Compact | tuple[str, int, str]] = []
    for source, data in files:
        if isinstance(data, str):
            out.append((source, 0, data))
        else:
            out.extend(compact_items(parse_items(data, source), config))
    return out


def _compact_task(_state, task):
    """A pool task (no state): ``_compact_files``."""
    return _compact_files(task)


def iter_compacts(src, config: GroupConfig = GroupConfig(), jobs: int = 1,
                  chunk: int = 256, limit: int | None = None) -> Iterable[Compact | tuple[str, int, str]]:
    """Every game under ``src`` (file, directory, archive) reduced by ``compact``, in input order;
    with ``limit``, those of its first ``limit`` files only.

    ``jobs`` > 1 parses in that many processes (files go to them in chunks of ``chunk``); an input
    of one chunk is parsed here, without starting them.
    """
    from gofix.formats.sources import iter_sources, load_reason

    def files():
        for n, (source, load) in enumerate(iter_sources(src)):
            if limit is not None and n >= limit:
                return
            try:
                yield source, load()
            except Exception as exc:  # noqa: BLE001 - an unreadable member must not stop the batch
                yield source, load_reason(exc)

    def chunks():
        batch = []
        for item in files():
            batch.append(item)
            if len(batch) >= chunk:
                yield batch, config
                batch = []
        if batch:
            yield batch, config

    tasks = chunks()
    if jobs <= 1:
        for task in tasks:
            yield from _compact_files(task)
        return
    first = next(tasks, None)
    second = next(tasks, None)
    if second is None:  # all in one chunk: worker processes would only add their start-up
        if first is not None:
            yield from _compact_files(first)
        return
    import itertools

    with Pool(jobs) as pool:
        pending = []
        for task in itertools.chain([first, second], tasks):
            pending.append(pool.submit(_compact_task, task))
            if len(pending) >= 2 * jobs:
                yield from pending.pop(0).result()
        for fut in pending:
            yield from fut.result()


def group_path(src, config: GroupConfig = GroupConfig(), jobs: int = 1,
               progress: Callable[[int], None] | None = None, limit: int | None = None) -> Grouping:
    """Group every game under ``src`` (see the module doc; with ``limit``, of its first ``limit``
    files); ``progress(records read)`` now and then."""
    return group_compacts(iter_compacts(src, config, jobs, limit=limit), config, progress)
