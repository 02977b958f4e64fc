"""The rules of ``board.replay`` for thousands of 19x19 games at once, as torch tensor operations.

``replay_batch`` plays every game of a batch one ply at a time, all games
together (a loop over plies, none over games), on whatever device its inputs
live on: the same code runs on CPU (tests) and CUDA (training). It returns
what ``board.replay`` and ``encoding.snapshots`` give per move:

* the move class, as an index into ``board.MOVE_CLASSES`` (ok, occupied,
  suicide, ko, superko, turn, offboard): the same priorities and the same
  lenient play (occupied moves change nothing, suicide removes the group, ko
  retakes are played);
* stones captured, liberties of the played group after the move;
* optionally the ``encoding.snapshots`` codes (0 empty, 1..3 black stones with
  1, 2, >= 3 liberties, 4..6 white, 7 off the board) of the W x W window
  centred on each move, in the position BEFORE the move;
* optionally (``full_board``) the same codes for the whole board before each
  move (``encoding.encode_moves(..., board=True)``'s ``board``), for a pass too.

State per game, on a board padded by one border ring (21 x 21 = 441 cells,
``_PW`` wide): ``board`` (0 empty, 1 black, 2 white, 3 border), ``gid`` (the
group's label: the padded index of one of its stones; ``_NOL`` for no stone),
``libs`` (liberties per label, recounted after every ply). A group's label
stays one of its own stones because groups only grow (merged under the new
stone's label) or vanish whole (captured, suicide). Per ply everything is
local except two whole-board passes: relabel/remove (compare every cell's
label with the <= 4 neighbouring groups') and the liberty recount (each empty
point adds 1 to each distinct neighbouring label, a ``scatter_add``). No flood
fill, so the cost per ply does not depend on group shapes.

Superko: the position after each ply is hashed (a sum of random 63-bit keys
per stone, wrapping; equal positions, equal hashes) and repeats are found
after the loop by one sort per game, as ``board._mark_superko`` does.

Moves are flat indices (``row*19+col``, ``PASS`` = 361 for a pass), colours 0
black / 1 white, as in ``cache.GameCache``. Off-board moves are not
representable here (the cache and the corruption channel never make them).
Games are processed longest first, so at ply t only the games still running
are touched (a prefix of the sorted batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gofix.rules.board import MOVE_CLASSES

SIZE = 19
PASS = SIZE * SIZE  # flat index of a pass
_PW = SIZE + 2  # padded width
_NPAD = _PW * _PW  # padded cells
_NOL = _NPAD  # label of "no stone"; libs has one spare column for it
_SPARE = _NPAD + 1  # a column of the relabelling table that nothing reads
_DUMMY = _PW  # a border cell (row 1, col 0) that inactive games point at: all its neighbours exist
OK, OCCUPIED, SUICIDE, KO, SUPERKO, TURN, OFFBOARD = range(len(MOVE_CLASSES))
PAD_CLASS = -1  # class of the padding after a game's last move
OFF_CODE = 7  # snapshot code of a cell off the board


@dataclass
class BatchReplay:
    """``replay_batch`` output; ``(B, T)`` tensors, entries past a game's length are padding."""

    classes: torch.Tensor  # int8 (B, T): index into board.MOVE_CLASSES, PAD_CLASS after the end
    captures: torch.Tensor  # int16 (B, T): opponent stones captured (0 for a suicide)
    liberties: torch.Tensor  # int16 (B, T): liberties of the played group after the move, 0 if none placed
    windows: torch.Tensor | None  # int8 (B, T, W*W): snapshot codes around each move before it (zeros for a pass)
    board: torch.Tensor  # int8 (B, 19, 19): final position, 0 empty, 1 black, 2 white (row 0 at the bottom)
    boards: torch.Tensor | None = None  # int8 (B, T, 361): snapshot codes of the whole board before each move


_GEO: dict = {}


def _geometry(device: torch.device, window: int) -> dict:
    """Index tables for one device and window size (built once)."""
    key = (str(device), window)
    if key in _GEO:
        return _GEO[key]
    flat = torch.arange(SIZE * SIZE)
    interior = (flat // SIZE + 1) * _PW + flat % SIZE + 1  # flat -> padded
    pad_of = torch.cat([interior, torch.tensor([_DUMMY])])  # (362,), a pass -> _DUMMY
    offs = torch.tensor([-_PW, -1, 1, _PW])
    nbr_all = (torch.arange(_NPAD)[:, None] + offs).clamp(0, _NPAD - 1)  # (441, 4)
    nbr_int = interior[:, None] + offs  # (361, 4), always in range
    g = torch.Generator().manual_seed(0x60F1C5)
    keys = torch.randint(0, 2**62, (3, _NPAD), generator=g, dtype=torch.int64)
    keys[0] = 0  # empty cells add nothing
    geo = {"pad_of": pad_of, "interior": interior, "nbr_all": nbr_all, "nbr_int": nbr_int.reshape(-1),
           "keys": keys}
    if window:
        r = window // 2
        d = torch.arange(-r, r + 1)
        rows = (flat // SIZE)[:, None, None] + d[None, :, None]
        cols = (flat % SIZE)[:, None, None] + d[None, None, :]
        inside = (rows >= 0) & (rows < SIZE) & (cols >= 0) & (cols < SIZE)
        cells = torch.where(inside, (rows + 1) * _PW + cols + 1, 0).reshape(SIZE * SIZE, -1)  # 0: a border cell
        geo["window"] = torch.cat([cells, torch.zeros(1, window * window, dtype=torch.int64)])  # (362, W*W)
    geo = {k: v.to(device) for k, v in geo.items()}
    _GEO[key] = geo
    return geo


def _groups(board: torch.Tensor, geo: dict) -> torch.Tensor:
    """Labels of a padded ``board`` (B, 441) by min-label propagation (setup stones only; rare)."""
    stone = (board == 1) | (board == 2)
    idx = torch.arange(_NPAD, device=board.device).expand_as(board)
    gid = torch.where(stone, idx, _NOL)
    nb = geo["nbr_all"]
    while True:
        nl = gid[:, nb]  # (B, 441, 4)
        same = board[:, nb] == board[:, :, None]
        best = torch.where(same & stone[:, :, None], nl, _NOL).amin(-1)
        new = torch.where(stone, torch.minimum(gid, best), _NOL)
        if torch.equal(new, gid):
            return gid
        gid = new


def _recount(board: torch.Tensor, gid: torch.Tensor, libs: torch.Tensor, geo: dict) -> None:
    """Liberties per label, in place: each empty point counts once for each distinct neighbouring group."""
    n = board.shape[0]
    empty = board[:, geo["interior"]] == 0  # (n, 361)
    nl = gid.gather(1, geo["nbr_int"].expand(n, -1)).view(n, SIZE * SIZE, 4)
    a, b, c, d = nl.unbind(-1)
    a, b, c, d = (torch.where(empty, a, _NOL), torch.where(empty & (b != a), b, _NOL),
                  torch.where(empty & (c != a) & (c != b), c, _NOL),
                  torch.where(empty & (d != a) & (d != b) & (d != c), d, _NOL))
    libs.zero_()
    one = torch.ones(1, 1, dtype=libs.dtype, device=libs.device).expand(n, SIZE * SIZE)
    for x in (a, b, c, d):
        libs.scatter_add_(1, x, one)


def replay_batch(moves: torch.Tensor, colours: torch.Tensor, lengths, *, setup: torch.Tensor | None = None,
                 first_player: torch.Tensor | None = None, handicap: torch.Tensor | None = None,
                 window: int = 0, superko: bool = True, full_board: bool = False) -> BatchReplay:
    """Replay B games at once under ``board.replay``'s rules; see the module doc.

    ``moves`` int (B, T) flat points (``PASS`` for a pass; anything past a
    game's length is ignored), ``colours`` int (B, T) 0 black / 1 white,
    ``lengths`` (B,) moves per game (a CPU tensor or a sequence: the loop
    bounds are read from it). ``setup`` int8 (B, 361): setup stones (0 none,
    1 black, 2 white); ``first_player`` (B,) -1 either, 0 black, 1 white (PL);
    ``handicap`` (B,) as ``board.replay``'s. ``window`` > 0 (odd) also cuts
    the snapshot windows; ``full_board`` the whole-board snapshot codes before
    every move (``B x T x 361`` bytes). Everything is computed on ``moves.device``.
    Raises ValueError for a point outside 0..361.
    """
    device = moves.device
    B, T = moves.shape
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    geo = _geometry(device, window)
    if B == 0 or T == 0:
        return BatchReplay(torch.full((B, T), PAD_CLASS, dtype=torch.int8, device=device),
                           torch.zeros(B, T, dtype=torch.int16, device=device),
                           torch.zeros(B, T, dtype=torch.int16, device=device),
                           torch.zeros(B, T, window * window, dtype=torch.int8, device=device) if window else None,
                           torch.zeros(B, SIZE, SIZE, dtype=torch.int8, device=device),
                           torch.zeros(B, T, SIZE * SIZE, dtype=torch.int8, device=device) if full_board else None)
    moves = moves.long()
    if bool(((moves < 0) | (moves > PASS)).any()):
        bad = moves[(moves < 0) | (moves > PASS)][0]
        raise ValueError(f"move {int(bad)} is not a flat 19x19 point or {PASS} (a pass)")
    order = torch.argsort(lengths, descending=True, stable=True)
    active = [int((lengths > t).sum()) for t in range(T)]  # games still running at ply t (a prefix of order)
    od = order.to(device)
    mv = moves[od]
    col = colours.to(device)[od].long() + 1  # 1 black, 2 white
    pm = geo["pad_of"][mv]  # padded index, _DUMMY for a pass
    is_pass = mv == PASS

    board = torch.full((B, _NPAD), 3, dtype=torch.int8, device=device)
    board[:, geo["interior"]] = 0
    if setup is not None:
        board[:, geo["interior"]] = setup.to(device)[od].to(torch.int8)
        gid = _groups(board, geo)
    else:
        gid = torch.full((B, _NPAD), _NOL, dtype=torch.int64, device=device)
    libs = torch.zeros(B, _NPAD + 1, dtype=torch.int32, device=device)
    _recount(board, gid, libs, geo)
    ko_pt = torch.full((B,), -1, dtype=torch.int64, device=device)
    ko_col = torch.zeros(B, dtype=torch.int64, device=device)
    keys = geo["keys"]
    base = torch.arange(_NPAD + 2, device=device).expand(B, -1)  # identity relabelling (+ a spare column)

    cls = torch.full((B, T), PAD_CLASS, dtype=torch.int8, device=device)
    caps = torch.zeros(B, T, dtype=torch.int16, device=device)
    lib_out = torch.zeros(B, T, dtype=torch.int16, device=device)
    placed = torch.zeros(B, T, dtype=torch.bool, device=device)
    hashes = torch.zeros(B, T + 1, dtype=torch.int64, device=device)
    wins = torch.zeros(B, T, window * window, dtype=torch.int8, device=device) if window else None
    boards = torch.zeros(B, T, SIZE * SIZE, dtype=torch.int8, device=device) if full_board else None
    interior = geo["interior"]
    if superko:
        hashes[:, 0] = torch.where(board == 1, keys[1], torch.where(board == 2, keys[2], 0)).sum(1)

    for t in range(T):
        n = active[t]
        if n == 0:
            break
        b, g, L = board[:n], gid[:n], libs[:n]
        p, c, ps = pm[:n, t], col[:n, t], is_pass[:n, t]
        if window:
            cells = geo["window"][mv[:n, t]]  # (n, W*W)
            bv = b.gather(1, cells)
            lv = L.gather(1, g.gather(1, cells)).clamp_(max=3).to(torch.int8)
            code = torch.where(bv == 0, 0, torch.where(bv == 3, OFF_CODE, (bv - 1) * 3 + lv))
            wins[:n, t] = code.masked_fill_(ps[:, None], 0)
        if full_board:
            bv = b[:, interior]
            lv = L.gather(1, g[:, interior]).clamp_(max=3).to(torch.int8)
            boards[:n, t] = torch.where(bv == 0, 0, (bv - 1) * 3 + lv)
        v = b.gather(1, p[:, None]).squeeze(1)
        act = ~ps & (v == 0)
        occ = ~ps & (v != 0)
        nb = geo["nbr_all"][p]  # (n, 4)
        nbv = b.gather(1, nb)
        nbl = g.gather(1, nb)
        nblib = L.gather(1, nbl)
        c1 = c[:, None]
        own = (nbv == c1) & act[:, None]
        dead = (nbv == 3 - c1) & (nblib == 1) & act[:, None]
        emp = nbv == 0
        anydead = dead.any(1)
        sui = act & ~anydead & ~emp.any(1) & ~(own & (nblib > 1)).any(1)
        ko_hit = act & (p == ko_pt[:n]) & (c == ko_col[:n])
        # relabel in one gather: own neighbouring groups -> p (gone if suicide), dead groups -> gone
        lut = base[:n].clone()
        lut.scatter_(1, torch.where(own, nbl, _SPARE), torch.where(sui, _NOL, p)[:, None].expand(-1, 4))
        lut.scatter_(1, torch.where(dead, nbl, _SPARE), _NOL)
        keep = act & ~sui
        g_p = g.gather(1, p[:, None])
        g.copy_(lut.gather(1, g))
        g.scatter_(1, p[:, None], torch.where(keep[:, None], p[:, None], g_p))
        stone = (b == 1) | (b == 2)
        rm = stone & (g == _NOL)
        ncap = (rm & (b == (3 - c)[:, None].to(torch.int8))).sum(1)
        b.masked_fill_(rm, 0)
        b.scatter_(1, p[:, None], torch.where(keep, c, v.long()).to(torch.int8)[:, None])
        _recount(b, g, L, geo)
        lib_out[:n, t] = torch.where(keep, L.gather(1, g.gather(1, p[:, None])).squeeze(1), 0).to(torch.int16)
        caps[:n, t] = ncap.to(torch.int16)
        # simple ko: a lone new stone that captured one stone and has that point as its one liberty
        is_ko = keep & ~own.any(1) & (ncap == 1) & ~emp.any(1)
        ko_at = nb.gather(1, dead.to(torch.int8).argmax(1, keepdim=True)).squeeze(1)
        moved = act | ps
        ko_pt[:n] = torch.where(moved, torch.where(is_ko, ko_at, -1), ko_pt[:n])
        ko_col[:n] = torch.where(moved, 3 - c, ko_col[:n])
        k = torch.where(occ, OCCUPIED, torch.where(sui, SUICIDE, torch.where(ko_hit, KO, OK)))
        cls[:n, t] = k.to(torch.int8)
        placed[:n, t] = act
        if superko:
            hashes[:n, t + 1] = torch.where(b == 1, keys[1], torch.where(b == 2, keys[2], 0)).sum(1)

    valid = torch.arange(T, device=device)[None, :] < lengths.to(device)[od][:, None]
    if superko:  # a placed, otherwise ok move whose position appeared before (the start, or after any placed move)
        idx = torch.arange(T + 1, device=device).expand(B, -1)
        live = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=device), placed], 1)
        h = torch.where(live, hashes, torch.iinfo(torch.int64).min + idx)  # unique fillers for the rest
        hs, hi = torch.sort(h, dim=1, stable=True)
        rep = torch.zeros(B, T + 1, dtype=torch.bool, device=device)
        rep.scatter_(1, hi[:, 1:], hs[:, 1:] == hs[:, :-1])
        cls = torch.where(rep[:, 1:] & placed & (cls == OK), SUPERKO, cls.long()).to(torch.int8)
    # turn order: the colour due is the other of the previous move's (the first: PL, else anything)
    due = torch.empty_like(col)
    due[:, 1:] = 3 - col[:, :-1]
    fp = first_player.to(device)[od].long() if first_player is not None else torch.full((B,), -1, device=device)
    due[:, 0] = torch.where(fp >= 0, fp + 1, col[:, 0])
    hleft = torch.zeros(B, dtype=torch.int64, device=device)
    if handicap is not None:
        hleft = handicap.to(device)[od].long().clamp(min=0)
        if setup is not None:
            hleft = torch.where((setup.to(device)[od] != 0).any(1), 0, hleft)
    black_run = torch.cumprod((col == 1).long(), 1).sum(1)  # leading black moves
    hcount = torch.minimum(hleft, black_run)
    t_idx = torch.arange(T, device=device)[None, :]
    turn = (col != due) & (t_idx >= hcount[:, None]) & (cls == OK)
    cls = torch.where(turn, TURN, cls.long()).to(torch.int8)
    cls = cls.masked_fill(~valid, PAD_CLASS)

    inv = torch.empty_like(od)
    inv[od] = torch.arange(B, device=device)
    final = board[:, geo["interior"]].view(B, SIZE, SIZE)
    return BatchReplay(cls[inv], caps[inv], lib_out[inv], wins[inv] if window else None, final[inv],
                       boards[inv] if full_board else None)
