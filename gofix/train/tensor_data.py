"""Training batches built in bulk on the training device: ``data.TaggingStream``'s batches, fast.

``TensorTaggingStream`` yields exactly the ``(inputs, targets)`` that
``data.TaggingStream`` yields for the same arguments (same seed, same chunk:
the same games, errors, symmetries, slices, buckets and batch order; tested
equal), but splits the work in two:

* CPU (``ChunkSource``, in DataLoader workers or inline): per game draw the
  symmetry and the channel, corrupt (``corrupt.Channel``, ~1 us a move),
  label (``data.labels_for``), draw the slice; per chunk bucket and shuffle
  the batches. Output: a ``Chunk`` of flat numpy arrays, no replay.
* device (``encode_chunk`` + ``chunk_batches``): the whole chunk's noisy games
  replayed at once by ``tensor_board.replay_batch`` (classes, captures,
  liberties and the snapshot windows), then the per-move features and, per
  batch, the planes (board one-hot seen by the mover, history planes),
  gathered and padded as ``encoding.collate`` does.

The layouts are ``data``'s (``encode_moves``, ``collate``): planes int8
``(N, P, W, W)``, features float ``(B, T, F)``, lengths, mask, points,
colours; targets wrong / edit / point / clean / corrupted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from .cache import GameCache
from gofix.coords import transform
from gofix.models.encoding import IGNORE, MOVE_CODE, N_BOARD_PLANES, TOKEN_POINTS, bucket, n_planes
from .data import SIZE, TaggingStream, labels_for
from .tensor_board import PASS, replay_batch
from gofix.models.tokens import LEGALITY, N_FEATURES

_SWAP = torch.tensor([0, 4, 5, 6, 1, 2, 3, 7], dtype=torch.int8)  # data._SWAP: seen by White
_SYM = np.array([[PASS if f == PASS else (lambda p: p[0] * SIZE + p[1])(transform(divmod(f, SIZE), s, SIZE))
                  for f in range(PASS + 1)] for s in range(8)], np.int64)  # (8, 362) flat -> flat


def _flat(moves) -> np.ndarray:
    """Flat points of ``Move`` items (PASS for a pass). Raises ValueError for an off-board point."""
    out = np.empty(len(moves), np.int64)
    for k, m in enumerate(moves):
        p = m[1]
        if p is None:
            out[k] = PASS
        elif 0 <= p[0] < SIZE and 0 <= p[1] < SIZE:
            out[k] = p[0] * SIZE + p[1]
        else:
            raise ValueError(f"move {k} {m!r} is off the {SIZE}x{SIZE} board (tensor pipeline)")
    return out


@dataclass
class Chunk:
    """One chunk of prepared games (CPU side, flat numpy arrays; ``offsets`` index the per-move ones)."""

    moves: np.ndarray  # int16 (moves,) noisy flat points in the symmetry's frame, PASS for a pass
    colours: np.ndarray  # int8 (moves,) 0 black, 1 white
    offsets: np.ndarray  # int64 (games + 1,)
    wrong: np.ndarray  # int8 (moves,) labels (data.labels_for), whole games
    edit: np.ndarray  # int8
    point: np.ndarray  # int16
    start: np.ndarray  # int64 (games,) first move of the example (the max_len slice)
    length: np.ndarray  # int64 (games,) moves in the example
    clean: np.ndarray  # int16 (clean moves,) clean tokens (colour * TOKEN_POINTS + point), frame of the symmetry
    clean_offsets: np.ndarray  # int64 (games + 1,)
    setup: np.ndarray  # int8 (games, 361): 0 none, 1 black, 2 white, in the symmetry's frame
    handicap: np.ndarray  # int64 (games,)
    first_player: np.ndarray  # int64 (games,) -1 either, 0 black, 1 white
    corrupted: np.ndarray  # bool (games,)
    plan: list  # batches: lists of chunk game indices, in the order data.TaggingStream yields them


def prepare_chunk(cache: GameCache, games: Sequence[int], rng: random.Random, channels, *, window: int,
                  max_len: int, max_tokens: int, symmetries: bool = True) -> Chunk:
    """Corrupt, label and plan one chunk of ``games``, drawing from ``rng`` as ``TaggingStream`` does."""
    cols = {k: [] for k in ("moves", "colours", "wrong", "edit", "point", "clean")}
    start, length, corrupted, handicap, first = [], [], [], [], []
    offsets, clean_offsets = [0], [0]
    setup = np.zeros((len(games), SIZE * SIZE), np.int8)
    for j, g in enumerate(games):
        game = cache.game(int(g))
        sym = rng.randrange(8) if symmetries else 0
        channel = rng.choice(channels)
        noisy, truths = channel.corrupt(game.moves, SIZE, rng)
        w, e, p = labels_for(noisy, truths, window, sym)
        n = len(noisy)
        s = rng.randrange(n - max_len + 1) if n > max_len else 0
        table = _SYM[sym]
        cols["moves"].append(table[_flat(noisy)])
        cols["colours"].append(np.fromiter((m[0] != "b" for m in noisy), np.int64, n))
        cols["wrong"].append(w)
        cols["edit"].append(e)
        cols["point"].append(p)
        a, b = cache.offsets[int(g)], cache.offsets[int(g) + 1]
        clean = cache.colours[a:b].astype(np.int64) * TOKEN_POINTS + table[cache.moves[a:b].astype(np.int64)]
        cols["clean"].append(clean[s : s + max_len])
        offsets.append(offsets[-1] + n)
        clean_offsets.append(clean_offsets[-1] + len(cols["clean"][-1]))
        start.append(s)
        length.append(min(n, max_len))
        corrupted.append(bool(truths))
        handicap.append(game.handicap)
        first.append({"b": 0, "w": 1}.get(game.first_player, -1))
        for colour, pts in ((1, game.setup_black), (2, game.setup_white)):  # black first: white replaces it
            for pt in pts:
                setup[j, table[pt[0] * SIZE + pt[1]]] = colour
    small = {"moves": np.int16, "colours": np.int8, "wrong": np.int8, "edit": np.int8, "point": np.int16,
             "clean": np.int16}  # a chunk crosses a process boundary: ~9 bytes a move
    cat = {k: np.concatenate(v).astype(small[k]) if v else np.zeros(0, small[k]) for k, v in cols.items()}
    plan = [[e["i"] for e in b] for b in bucket([{"features": range(n), "i": i} for i, n in enumerate(length)],
                                                 max_tokens)]
    rng.shuffle(plan)
    return Chunk(cat["moves"], cat["colours"], np.asarray(offsets, np.int64), cat["wrong"], cat["edit"],
                 cat["point"], np.asarray(start, np.int64), np.asarray(length, np.int64), cat["clean"],
                 np.asarray(clean_offsets, np.int64), setup, np.asarray(handicap, np.int64),
                 np.asarray(first, np.int64), np.asarray(corrupted, bool), plan)


def merge_chunks(chunks: Sequence[Chunk]) -> Chunk:
    """One chunk holding ``chunks`` one after the other (their batches in order): a bigger replay."""
    if len(chunks) == 1:
        return chunks[0]
    cat = lambda k: np.concatenate([getattr(c, k) for c in chunks])  # noqa: E731

    def offsets(k: str) -> np.ndarray:
        out, base = [np.zeros(1, np.int64)], 0
        for c in chunks:
            out.append(getattr(c, k)[1:] + base)
            base += int(getattr(c, k)[-1])
        return np.concatenate(out)

    plan, first = [], 0
    for c in chunks:
        plan.extend([g + first for g in batch] for batch in c.plan)
        first += len(c.length)
    return Chunk(cat("moves"), cat("colours"), offsets("offsets"), cat("wrong"), cat("edit"), cat("point"),
                 cat("start"), cat("length"), cat("clean"), offsets("clean_offsets"), cat("setup"), cat("handicap"),
                 cat("first_player"), cat("corrupted"), plan)


def _padded(flat: np.ndarray, offsets: np.ndarray, fill: int) -> tuple[np.ndarray, np.ndarray]:
    """``(G, T)`` rows of a flat array cut at ``offsets``, padded with ``fill``; and the lengths."""
    lengths = np.diff(offsets)
    T = int(lengths.max()) if len(lengths) else 0
    out = np.full((len(lengths), T), fill, flat.dtype)
    out[np.arange(T)[None, :] < lengths[:, None]] = flat
    return out, lengths


@dataclass
class EncodedChunk:
    """A chunk replayed and encoded on the device; ``(G, T)`` over whole noisy games."""

    chunk: Chunk
    moves: torch.Tensor  # int64 (G, T) flat, PASS also for padding
    colours: torch.Tensor  # int64 (G, T) 0 black, 1 white
    lengths: torch.Tensor  # int64 (G,) on the device
    windows: torch.Tensor  # int8 (G, T, W*W) snapshot codes (tensor_board)
    features: torch.Tensor  # float32 (G, T, F) encoding.encode_moves features
    labels: torch.Tensor  # int64 (3, G, T) wrong, edit, point; IGNORE padding
    window: int
    history: int
    boards: torch.Tensor | None = None  # int8 (G, T, 361) whole-board snapshot codes (full_board)


def move_features(moves: torch.Tensor, colours: torch.Tensor, classes: torch.Tensor, captures: torch.Tensor,
                  liberties: torch.Tensor) -> torch.Tensor:
    """``tokens.move_features`` + [is black, ply / 300] for ``(G, T)`` games, float32 ``(G, T, F)``.

    Padding (class < 0) gives rubbish rows that the batches never read.
    """
    G, T = moves.shape
    dev = moves.device
    f = torch.zeros(G, T, N_FEATURES + 2, dtype=torch.float64, device=dev)
    nl = len(LEGALITY)
    f[..., :nl] = torch.nn.functional.one_hot(classes.long().clamp(min=0), nl).double()
    f[..., nl] = torch.log1p(captures.double())
    libs = liberties.long()
    f[..., nl + 1] = (libs == 1).double()
    f[..., nl + 2] = (libs == 2).double()
    f[..., nl + 3] = (libs >= 3).double()
    is_pass = moves == PASS
    row, col = moves // SIZE, moves % SIZE

    def dist(j: torch.Tensor) -> torch.Tensor:  # to the move at j (-1: none), 1.0 if either is a pass
        jj = j.clamp(min=0)
        q, qp = moves.gather(1, jj), is_pass.gather(1, jj)
        d = torch.maximum((row - q // SIZE).abs(), (col - q % SIZE).abs()).double() / 18.0
        return torch.where((j < 0) | qp | is_pass, 1.0, d.clamp(max=1.0))

    t = torch.arange(T, device=dev).expand(G, -1)
    f[..., nl + 4] = dist(t - 1)
    last = []
    for c in (0, 1):  # index of the last earlier move of colour c, -1 if none
        seen = torch.where(colours == c, t, -1).cummax(1).values
        last.append(torch.cat([torch.full((G, 1), -1, device=dev, dtype=torch.int64), seen[:, :-1]], 1))
    f[..., nl + 5] = dist(torch.where(colours == 0, last[0], last[1]))
    line = torch.minimum(torch.minimum(row, col), torch.minimum(SIZE - 1 - row, SIZE - 1 - col))
    f[..., nl + 6] = torch.where(is_pass, 1.0, (line.clamp(min=0).double() / 9.0).clamp(max=1.0))
    f[..., nl + 7] = is_pass.double()
    f[..., N_FEATURES] = (colours == 0).double()
    f[..., N_FEATURES + 1] = t.double() / 300.0
    return f.float()


def encode_chunk(chunk: Chunk, device, *, window: int = 9, history: int = 5,
                 full_board: bool = False) -> EncodedChunk:
    """Replay every game of ``chunk`` at once on ``device`` and compute its per-move features
    (``full_board``: also keep the whole-board codes, for ``encoding.encode_moves(board=True)``'s ``board``)."""
    device = torch.device(device)
    mv, lengths = _padded(chunk.moves, chunk.offsets, PASS)
    co, _ = _padded(chunk.colours, chunk.offsets, 0)
    labels = np.stack([_padded(a.astype(np.int16), chunk.offsets, IGNORE)[0]
                       for a in (chunk.wrong, chunk.edit, chunk.point)])
    to = dict(device=device, non_blocking=True)
    moves, colours = torch.from_numpy(mv).to(**to).long(), torch.from_numpy(co).to(**to).long()
    rep = replay_batch(moves, colours, torch.from_numpy(lengths), setup=torch.from_numpy(chunk.setup).to(**to),
                       first_player=torch.from_numpy(chunk.first_player), handicap=torch.from_numpy(chunk.handicap),
                       window=window, full_board=full_board)
    feats = move_features(moves, colours, rep.classes, rep.captures, rep.liberties)
    return EncodedChunk(chunk, moves, colours, torch.from_numpy(lengths).to(**to), rep.windows, feats,
                        torch.from_numpy(labels).to(**to).long(), window, history, rep.boards)


def planes_for(enc: EncodedChunk, gi: torch.Tensor, ti: torch.Tensor) -> torch.Tensor:
    """``encoding.encode_moves`` planes int8 ``(N, P, W, W)`` of moves ``ti`` of games ``gi`` (device tensors)."""
    W, k = enc.window, enc.history
    r = W // 2
    N = len(gi)
    dev = gi.device
    p = enc.moves[gi, ti]
    white = enc.colours[gi, ti] == 1
    ok = p != PASS
    win = enc.windows[gi, ti].long()
    win = torch.where(white[:, None], _SWAP.to(dev)[win].long(), win)
    board = win[:, None, :] == torch.arange(1, N_BOARD_PLANES + 1, device=dev)[None, :, None]  # (N, 7, W*W): codes 1..7
    hist = torch.zeros(N, 2 * k, W * W, dtype=torch.int8, device=dev)
    length = enc.lengths[gi]
    T = enc.moves.shape[1]
    for d in range(1, k + 1):
        for ch, j in ((d - 1, ti - d), (k + d - 1, ti + d)):
            jj = j.clamp(0, T - 1)
            q = enc.moves[gi, jj]
            dr, dc = q // SIZE - p // SIZE, q % SIZE - p % SIZE
            sel = (j >= 0) & (j < length) & ok & (q != PASS) & (dr.abs() <= r) & (dc.abs() <= r)
            same = (enc.colours[gi, jj] == 1) == white
            cell = torch.where(sel, (dr + r) * W + dc + r, 0)
            val = torch.where(sel, torch.where(same, 1, -1), 0).to(torch.int8)
            hist[:, ch].scatter_(1, cell[:, None], val[:, None])
    planes = torch.cat([board.to(torch.int8), hist], 1) * ok[:, None, None].to(torch.int8)
    return planes.view(N, n_planes(k), W, W)


def chunk_batches(enc: EncodedChunk) -> Iterator[tuple[dict, dict]]:
    """The chunk's batches in plan order, laid out as ``encoding.collate`` lays them out (on the device)."""
    ch = enc.chunk
    dev = enc.moves.device
    to = dict(device=dev, non_blocking=True)
    for games in ch.plan:
        gi_c = np.asarray(games, np.int64)
        lens = ch.length[gi_c]
        B, T = len(games), int(lens.max())
        mask_np = np.arange(T)[None, :] < lens[:, None]
        ti_full = ch.start[gi_c][:, None] + np.arange(T)[None, :]  # (B, T) ply in the whole game
        gi = torch.from_numpy(np.broadcast_to(gi_c[:, None], (B, T))[mask_np]).to(**to)
        ti = torch.from_numpy(ti_full[mask_np]).to(**to)
        mask = torch.from_numpy(mask_np).to(**to)
        gb = torch.from_numpy(gi_c).to(**to)
        tb = torch.from_numpy(np.minimum(ti_full, enc.moves.shape[1] - 1)).to(**to)
        feats = enc.features[gb[:, None], tb] * mask[:, :, None]
        lab = enc.labels[:, gb[:, None], tb].masked_fill(~mask[None], IGNORE)
        points = enc.moves[gb[:, None], tb].masked_fill(~mask, 0)
        colours = enc.colours[gb[:, None], tb].masked_fill(~mask, 0)
        clens = np.diff(ch.clean_offsets)[gi_c]
        cmask = np.arange(int(clens.max()))[None, :] < clens[:, None]
        clean = np.full(cmask.shape, IGNORE, np.int64)
        clean[cmask] = np.concatenate([ch.clean[ch.clean_offsets[g] : ch.clean_offsets[g + 1]] for g in games])
        inputs = {"points": points, "colours": colours, "planes": planes_for(enc, gi, ti),
                  "on_board": enc.moves[gi, ti] != PASS, "features": feats,
                  "lengths": torch.from_numpy(lens.copy()).to(**to), "mask": mask}
        if enc.boards is not None:  # seen by the mover, as encoding.encode_moves(board=True)
            codes = enc.boards[gi, ti].long()
            white = (enc.colours[gi, ti] == 1)[:, None]
            seen = torch.where(white, _SWAP.to(dev)[codes], codes.to(torch.int8))
            p = enc.moves[gi, ti]
            on = p != PASS
            seen[torch.arange(len(p), device=dev)[on], p[on]] = MOVE_CODE
            inputs["board"] = seen
        targets = {"wrong": lab[0], "edit": lab[1], "point": lab[2], "clean": torch.from_numpy(clean).to(**to),
                   "corrupted": torch.from_numpy(ch.corrupted[gi_c].copy()).to(**to)}
        yield inputs, targets


class ChunkSource(torch.utils.data.IterableDataset):
    """The CPU half: endless ``Chunk``s, sharded, seeded and corrupted exactly as ``data.TaggingStream``'s
    examples (it takes ``TaggingStream``'s arguments and reads its settings and channels from one)."""

    def __init__(self, cache: GameCache, games: Sequence[int], **kw):
        self.ref = TaggingStream(cache, games, **kw)

    def __iter__(self) -> Iterator[Chunk]:
        r = self.ref
        for games, rng in r.shard_chunks():  # the same games and rngs as TaggingStream's
            yield prepare_chunk(r.cache, games, rng, r.channels, window=r.window,
                                max_len=r.max_len, max_tokens=r.max_tokens, symmetries=r.symmetries)


def _same(x):
    return x


def _one_thread(_worker_id: int) -> None:
    torch.set_num_threads(1)


class TensorTaggingStream:
    """``data.TaggingStream``'s batches with the replay and encoding done in bulk on ``device``.

    ``TaggingStream``'s arguments plus ``device`` and ``workers`` (CPU
    processes preparing chunks; 0: inline). ``chunk`` games are replayed at
    once: thousands on a GPU, where a replay costs about the same whatever the
    number of games; inline with ``TaggingStream``'s default chunk (128) the
    batches are exactly its batches. With workers, each prepares chunks of
    ``chunk / workers`` games and ``workers`` of them are merged for one
    replay (the same batches, in another order). An iterable of
    ``(inputs, targets)`` on ``device``, endless.
    """

    def __init__(self, cache: GameCache, games: Sequence[int], *, device="cpu", workers: int = 0, **kw):
        self.chunk = int(kw.get("chunk", 128))
        if workers:
            kw["chunk"] = -(-self.chunk // workers)
        self.source = ChunkSource(cache, games, **kw)
        self.device, self.workers = torch.device(device), workers

    def __iter__(self) -> Iterator[tuple[dict, dict]]:
        ref = self.source.ref
        if not self.workers:
            for chunk in self.source:
                yield from chunk_batches(encode_chunk(chunk, self.device, window=ref.window, history=ref.history,
                                                      full_board=ref.board))
            return
        loader = torch.utils.data.DataLoader(self.source, batch_size=None, num_workers=self.workers,
                                             collate_fn=_same, prefetch_factor=2, worker_init_fn=_one_thread)
        pending: list[Chunk] = []
        for chunk in loader:
            pending.append(chunk)
            if sum(len(c.length) for c in pending) >= self.chunk:
                enc = encode_chunk(merge_chunks(pending), self.device, window=ref.window, history=ref.history,
                                   full_board=ref.board)
                pending = []
                yield from chunk_batches(enc)
