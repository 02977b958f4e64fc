"""The models' inputs: per-move board windows, features and tokens, and the collate that pads them.

The one place that knows padding and masks. Inference (``repair.detect``, ``repair.rescore``,
``repair.judge``), the models themselves and training (``train.data``) all build their inputs here.

Per-move inputs (``encode_moves``), for move i of T:

* ``planes`` int8 ``(T, P, W, W)``: a W x W window centred on the recorded
  point of move i, seen by the player of move i, position BEFORE move i.
  P = 7 + 2k, k = ``history``:

  ======  =============================================================
  0..2    own stones whose group has 1, 2, >= 3 liberties
  3..5    opponent stones with 1, 2, >= 3 liberties
  6       off the board
  7..     previous moves i-1 .. i-k: +1 same colour as move i, -1 other
  7+k..   next moves i+1 .. i+k, same coding (the causal model drops these)
  ======  =============================================================

  A pass or off-board move has an all-zero window and ``on_board`` False.
* ``features`` float32 ``(T, F)``: ``tokens.move_features`` + [is black,
  ply / 300].
* ``board`` int8 ``(T, 361)``, only with ``board=True`` (a tagger with a
  whole-board view): the snapshot codes of the whole board before move i,
  seen by its player (own stones 1..3, opponent's 4..6), and ``MOVE_CODE``
  (7) on move i's own point; for a pass the board alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from gofix.coords import on_board
from gofix.record import Move
from gofix.rules.board import Board, replay
from .tokens import N_FEATURES, move_features

SIZE = 19  # the models see 19x19 boards


IGNORE = -100  # label value that the losses skip


N_BOARD_PLANES = 7


MOVE_CODE = 7  # in the whole-board codes (encode_moves(board=True)): the point of the move itself


N_EXTRA_FEATURES = 2


N_INPUT_FEATURES = N_FEATURES + N_EXTRA_FEATURES


EDIT_CLASSES = (
    "keep",
    "near",  # replace: the correct point is a neighbour
    "two_lines",  # replace: Chebyshev distance 2
    "digit",  # replace: row/column off by ten
    "transpose",  # replace: SGF letters swapped
    "mirror",  # replace: counted from the wrong edge
    "swap2",  # exchanged with the same colour's move 2 plies away
    "pair_order",  # two pairs exchanged
    "block",  # inside a displaced 2-move block's span
    "extra",  # should be deleted
    "missing_before",  # a move is missing just before this one
    "missing_after",  # a move is missing just after this one
    "colour",  # wrong colour
)


REPLACE_KINDS = ("near", "two_lines", "digit", "transpose", "mirror")


EDIT_INDEX = {name: i for i, name in enumerate(EDIT_CLASSES)}


def n_planes(history: int) -> int:
    return N_BOARD_PLANES + 2 * history


# snapshot codes: 0 empty, 1..3 black with 1/2/3+ liberties, 4..6 white, 7 off the board
_SWAP = np.array([0, 4, 5, 6, 1, 2, 3, 7], np.int8)  # seen by White: own <-> opponent


def snapshots(moves: Sequence[Move], setup_black=(), setup_white=()) -> np.ndarray:
    """Codes of every point BEFORE each move, int8 ``(T, 19, 19)`` (row 0 at the bottom).

    Replays leniently (``Board.play_unchecked``) and updates the codes
    incrementally: only groups next to the points whose occupancy changed (the
    new stone, the captured stones) are recoded, from the board's group tables
    (``_gid``, ``_glibs``, ``_gstones``: read here, never written). A suicide
    recodes the whole board.
    """
    board = Board(SIZE, superko=False)
    for colour, pts in (("b", setup_black), ("w", setup_white)):
        for p in pts:
            board.place(colour, p)
    geo = board._geo
    flat = _flat_of(geo)
    cells, gid, glibs, gstones, nbrs, index = board._board, board._gid, board._glibs, board._gstones, geo.nbrs, geo.index
    code = np.zeros(SIZE * SIZE, np.int8)
    _recode(code, flat, cells, gid, glibs, gstones, [i for i in range(geo.length) if cells[i] in (1, 2)])
    out = np.empty((len(moves), SIZE * SIZE), np.int8)
    for t, move in enumerate(moves):
        out[t] = code
        kind, captured = board.play_unchecked(move[0], move[1])
        if move[1] is None or kind in ("occupied", "offboard"):
            continue
        if kind == "suicide":
            code[:] = 0
            _recode(code, flat, cells, gid, glibs, gstones, [i for i in range(geo.length) if cells[i] in (1, 2)])
            continue
        i = index[move[1]]
        touched = [i, *nbrs[i]]
        for p in captured:
            j = index[p]
            code[flat[j]] = 0
            touched.extend(nbrs[j])
        _recode(code, flat, cells, gid, glibs, gstones, touched)
    return out.reshape(len(moves), SIZE, SIZE)


def _flat_of(geo) -> list[int]:
    """Padded board index -> flat index (row*19+col), -1 off the board."""
    if geo.size not in _FLAT:
        flat = [-1] * geo.length
        for (r, c), i in geo.index.items():
            flat[i] = r * geo.size + c
        _FLAT[geo.size] = flat
    return _FLAT[geo.size]


def _recode(code, flat, cells, gid, glibs, gstones, indices) -> None:
    """Rewrite the codes of every stone in the groups at ``indices`` (empty points are skipped)."""
    done = set()
    for i in indices:
        v = cells[i]
        if v != 1 and v != 2:
            continue
        root = gid[i]
        if root in done:
            continue
        done.add(root)
        c = min(len(glibs[root]), 3) + (0 if v == 1 else 3)
        for s in gstones[root]:
            code[flat[s]] = c


@dataclass
class Encoded:
    planes: np.ndarray  # int8 (T, P, W, W)
    on_board: np.ndarray  # bool (T,)
    features: np.ndarray  # float32 (T, F)
    board: np.ndarray | None = None  # int8 (T, 361) whole-board codes seen by the mover (board=True)


def encode_moves(moves: Sequence[Move], *, setup_black=(), setup_white=(), handicap: int = 0,
                 first_player: str | None = None, window: int = 9, history: int = 5,
                 board: bool = False) -> Encoded:
    """Per-move model inputs of a 19x19 move list (see the module doc)."""
    T = len(moves)
    r = window // 2
    snap = snapshots(moves, setup_black, setup_white)
    rows = np.zeros(T, np.int64)
    cols = np.zeros(T, np.int64)
    ok = np.zeros(T, bool)
    white = np.array([m[0] != "b" for m in moves], bool)
    for t, m in enumerate(moves):
        p = m[1]
        if p is not None and on_board(p, SIZE):
            rows[t], cols[t], ok[t] = p[0], p[1], True
    padded = np.full((T, SIZE + 2 * r, SIZE + 2 * r), 7, np.int8)
    padded[:, r : r + SIZE, r : r + SIZE] = snap
    ar = np.arange(window)
    win = padded[np.arange(T)[:, None, None], (rows[:, None] + ar)[:, :, None], (cols[:, None] + ar)[:, None, :]]
    win = np.where(white[:, None, None], _SWAP[win], win)
    planes = np.zeros((T, n_planes(history), window, window), np.int8)
    planes[:, :N_BOARD_PLANES] = win[:, None] == np.arange(1, 8, dtype=np.int8)[None, :, None, None]
    idx = np.arange(T)
    for d in range(1, history + 1):
        for ch, j in ((N_BOARD_PLANES + d - 1, idx - d), (N_BOARD_PLANES + history + d - 1, idx + d)):
            valid = (j >= 0) & (j < T)
            jj = np.clip(j, 0, max(T - 1, 0))
            dr, dc = rows[jj] - rows, cols[jj] - cols
            sel = valid & ok & ok[jj] & (np.abs(dr) <= r) & (np.abs(dc) <= r)
            t = idx[sel]
            planes[t, ch, dr[sel] + r, dc[sel] + r] = np.where(white[jj[sel]] == white[t], 1, -1)
    planes[~ok] = 0
    rep = replay(SIZE, moves, setup_black=setup_black, setup_white=setup_white,
                 handicap=handicap, first_player=first_player)
    feats = np.zeros((T, N_INPUT_FEATURES), np.float32)
    feats[:, :N_FEATURES] = move_features(SIZE, moves, rep)
    feats[:, N_FEATURES] = ~white
    feats[:, N_FEATURES + 1] = idx / 300.0
    whole = None
    if board:
        flat = snap.reshape(T, SIZE * SIZE)
        whole = np.where(white[:, None], _SWAP[flat], flat)
        whole[idx[ok], rows[ok] * SIZE + cols[ok]] = MOVE_CODE
    return Encoded(planes, ok, feats, whole)


def point_cell(recorded, correct, window: int) -> int:
    """Window cell of ``correct`` relative to ``recorded`` (the centre), or ``window**2`` outside."""
    r = window // 2
    dr, dc = correct[0] - recorded[0], correct[1] - recorded[1]
    if abs(dr) > r or abs(dc) > r:
        return window * window
    return (dr + r) * window + (dc + r)


def cell_point(recorded, cell: int, window: int):
    """Inverse of ``point_cell``: the point of window ``cell`` (None for the outside class or off the board)."""
    if cell >= window * window or recorded is None:
        return None
    r = window // 2
    p = (recorded[0] + cell // window - r, recorded[1] + cell % window - r)
    return p if on_board(p, SIZE) else None


TOKEN_POINTS = SIZE * SIZE + 1  # point ids of move_tokens: flat index, SIZE*SIZE for a pass/off-board


def move_tokens(moves: Sequence[Move]) -> tuple[np.ndarray, np.ndarray]:
    """``(points, colours)`` int64 ``(T,)``: flat point (``SIZE*SIZE`` = pass or off-board), 0 black / 1 white."""
    pts = np.array([p[0] * SIZE + p[1] if p is not None and on_board(p, SIZE) else SIZE * SIZE
                    for _, p, *_ in moves], np.int64)
    cols = np.array([0 if m[0] == "b" else 1 for m in moves], np.int64)
    return pts, cols


def collate(examples: Sequence[dict]) -> tuple[dict, dict]:
    """Pad a list of examples into ``(inputs, targets)``.

    inputs: ``planes`` int8 ``(N, P, W, W)`` for the N = sum(lengths) real
    moves in row-major (game, move) order, ``on_board`` bool ``(N,)``,
    ``features`` float ``(B, T, F)``, ``lengths`` int64 ``(B,)``, ``mask`` bool
    ``(B, T)``; ``board`` int8 ``(N, 361)`` when the examples have it. targets:
    ``wrong``, ``edit``, ``point`` int64 ``(B, T)``, padding ``IGNORE``;
    ``corrupted`` bool ``(B,)``.
    """
    lengths = torch.tensor([len(e["features"]) for e in examples], dtype=torch.int64)
    B, T = len(examples), int(lengths.max())
    mask = torch.arange(T)[None, :] < lengths[:, None]
    F = examples[0]["features"].shape[1]
    feats = torch.zeros(B, T, F)
    tg = {k: torch.full((B, T), IGNORE, dtype=torch.int64) for k in ("wrong", "edit", "point")}
    extra = {}
    for b, e in enumerate(examples):
        n = len(e["features"])
        feats[b, :n] = torch.from_numpy(e["features"])
        for k in tg:
            if k in e:
                tg[k][b, :n] = torch.from_numpy(e[k])
    if all("points" in e for e in examples):  # the encoder-decoder's inputs and targets
        for key, fill in (("points", 0), ("colours", 0)):
            t = torch.full((B, T), fill, dtype=torch.int64)
            for b, e in enumerate(examples):
                t[b, : len(e[key])] = torch.from_numpy(e[key])
            extra[key] = t
    if all("clean" in e for e in examples):
        Tc = max(len(e["clean"]) for e in examples)
        tg["clean"] = torch.full((B, Tc), IGNORE, dtype=torch.int64)
        for b, e in enumerate(examples):
            tg["clean"][b, : len(e["clean"])] = torch.from_numpy(e["clean"])
    inputs = {
        **extra,
        "planes": torch.from_numpy(np.concatenate([e["planes"] for e in examples])),
        "on_board": torch.from_numpy(np.concatenate([e["on_board"] for e in examples])),
        "features": feats,
        "lengths": lengths,
        "mask": mask,
    }
    if all(e.get("board") is not None for e in examples):
        inputs["board"] = torch.from_numpy(np.concatenate([e["board"] for e in examples]))
    tg["corrupted"] = torch.tensor([bool(e.get("corrupted", False)) for e in examples])
    return inputs, tg


def bucket(examples: list[dict], max_tokens: int) -> list[list[dict]]:
    """Group examples sorted by length into batches of at most ``max_tokens`` padded moves."""
    order = sorted(examples, key=lambda e: len(e["features"]))
    return padded_runs(order, [len(e["features"]) for e in order], max_tokens)


def padded_runs(items: list, lengths: list[int], budget: int) -> list[list]:
    """``items`` cut, in order, into runs whose count times their longest length is at most
    ``budget`` padded moves (a run holds at least one item)."""
    out, cur, longest = [], [], 0
    for item, n in zip(items, lengths):
        if cur and max(longest, n) * (len(cur) + 1) > budget:
            out.append(cur)
            cur, longest = [], 0
        cur.append(item)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    return out


_FLAT: dict[int, list[int]] = {}
