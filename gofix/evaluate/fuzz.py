"""Hostile inputs for fuzzing gofix, shared by ``tests/test_fuzz.py`` (bounded, in CI) and
``scripts/fuzz.py`` (the long run through the CLI).

Everything here makes bytes, seeded, in memory: ``mutate`` (byte-level damage to a record),
``hostile_files`` (numbers no record needs, odd encodings, records over the limits),
``long_random`` / ``long_repetitive`` (records as long as the limits allow, or far longer).
``exercise`` is the in-process property every input must keep: it reads to ``GameRecord`` /
``Unreadable``, checks, and a readable game writes and reads back to the same moves; it raises
``FuzzFailure`` otherwise (any other exception is a crash).
"""

from __future__ import annotations

import random

from gofix.repair.check import check_record
from gofix.record import GameRecord, Unreadable
from gofix.formats.sgf_writer import dump_game
from gofix.formats.read import parse_collection

__all__ = ["SEED_GAMES", "FuzzFailure", "mutate", "exercise", "long_random", "long_repetitive", "hostile_files"]

SEED_GAMES = [
    b"(;FF[4]GM[1]SZ[19]CA[UTF-8]PB[Black]C[a comment with \\] and \\\\ in it];B[pd];W[dp](;B[pp];W[dd])(;B[dc]))",
    b"(;GM[1]SZ[9]AB[aa:bb]AW[cc]PL[W];W[ee];B[];W[tt];B[ff])",
    b"(;SZ[13]HA[2];B[dd];B[jj];W[gg];B[gg])",
    b"junk before\n(;FF[3]GaMe[1]AddBlack[dd]White[pp];b[qq])trailing junk",
    "(;FF[4]CA[UTF-8]PB[李昌镐]PW[趙治勲];B[qd];W[dc])".encode("utf-8"),
    ("(;FF[4]SZ[19]" + "".join(f";{c}[{p}]" for c, p in zip("BW" * 40, [
        chr(97 + (k * 7) % 19) + chr(97 + (k * 11) % 19) for k in range(80)])) + ")").encode(),
]

_LETTERS = "abcdefghijklmnopqrs"
BIG = "9" * 5000  # over Python's 4,300-digit limit for int()


class FuzzFailure(AssertionError):
    """An input broke a property ``exercise`` checks (not a crash: a wrong answer)."""


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise FuzzFailure(what)


def mutate(data: bytes, rng: random.Random, n: int) -> bytes:
    """``data`` with ``n`` random edits: a byte deleted, inserted (SGF's syntax characters first),
    changed, a slice duplicated, or the rest cut off."""
    b = bytearray(data)
    for _ in range(n):
        op = rng.randrange(5)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            del b[min(pos, len(b) - 1)]
        elif op == 1:
            b.insert(pos, rng.choice(b"()[];\\:ABWCSZ \n\x00\xff\xe4"))
        elif op == 2 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 3 and len(b) > 2:  # duplicate a slice
            a = rng.randrange(len(b)); z = min(len(b), a + rng.randrange(1, 20))
            b[pos:pos] = b[a:z]
        else:  # truncate
            b = b[:pos]
    return bytes(b)


def exercise(data: bytes, name: str = "fuzz.sgf") -> None:
    """Read ``data`` leniently and strictly, check every game, write each readable one and read it
    back. Raises FuzzFailure when a result is wrong; any other exception is a crash."""
    for strict in (False, True):
        items = parse_collection(data, name, strict=strict)
        _need(isinstance(items, list), "parse_collection did not return a list")
        for item in items:
            _need(isinstance(item, (GameRecord, Unreadable)), f"an item is a {type(item).__name__}")
            if isinstance(item, Unreadable):
                _need(bool(item.reason) and isinstance(item.reason, str), "an Unreadable without a reason")
                continue
            report = check_record(item)
            _need(report.status in ("clean", "flagged"), f"status {report.status!r}")
            _need(report.moves == len(item.moves), "the report's move count is not the record's")
            if not strict:
                again = parse_collection(dump_game(item), "again.sgf")
                _need(len(again) == 1 and isinstance(again[0], GameRecord), "the written game does not read back")
                _need([(m.colour, m.point) for m in again[0].moves] == [(m.colour, m.point) for m in item.moves],
                      "the written game reads back to other moves")


def long_random(n: int, seed: int = 0, size: int = 19) -> bytes:
    """An SGF record of ``n`` moves at random points, colours alternating: legal-ish (a few moves in
    ten land on a stone), as long as asked (the repair engine's worst case: findings everywhere)."""
    rng = random.Random(seed)
    letters = _LETTERS[:size]
    return ("(;FF[4]GM[1]SZ[%d]" % size
            + "".join(f";{'BW'[i % 2]}[{rng.choice(letters)}{rng.choice(letters)}]" for i in range(n)) + ")").encode()


def long_repetitive(pairs: int) -> bytes:
    """``;B[aa];W[bb]`` ``pairs`` times: every move after the second is illegal (a finding each)."""
    return ("(;FF[4]GM[1]SZ[19]" + ";B[aa];W[bb]" * pairs + ")").encode()


def _ngf(count: str = "3", size: str = "19", handicap: str = "0") -> str:
    return (f"Rated game\n{size}\nwhite player 2K*\nblack       5K\nwww.cyberoro.com\n{handicap}\n0\n6\n"
            f"20200102 [10:00]\n5\nWhite wins by 3.5!\n{count}\nPMABBDDDD\nPMACWAAAA\nPMADBEEEE\n")


def _gib(gongje: str = "65", sto: str = "3") -> str:
    return ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\[GAMEWHITENAME=white (4D)\\]\n"
            f"\\[GAMEINFOMAIN=GBKIND:3,GRLT:0,ZIPSU:25,DUM:0,GONGJE:{gongje},TCNT:0,AUSZ:0\\]\n\\HE\n\\GS\n"
            f"2 1 0\nINI 0 1 0 &4\nSTO 0 2 1 {sto} 3\nSTO 0 3 2 15 15\n\\GE\n")


def _ugf(size: str = "9", hdcp: str = "0", comment: str = "2") -> str:
    return (f"[Header]\nDate=2021/05/06,10:00:00\nSize={size}\nHdcp={hdcp},6.50\nWinner=W,3.00\n"
            "PlayerB=kuro,3k,,\nPlayerW=shiro,1d,,\n[Data]\nCG,B1,1,0\nEE,W1,2,0\n"
            f"[ReviewNode]\nNODE,1,0,0,0\n[ReviewComment]\n.Comment,{comment}\n nice\n")


def hostile_files(rng: random.Random, long_moves: int = 2_000) -> dict[str, bytes]:
    """Files gofix must read to a record or a clear 'unreadable' reason, by name: huge counts and
    digit strings, superscript digits, UTF-16/32 text, a junk line before a .gib's SGF, records
    over the move and node limits (``long_moves`` and ten times ``MAX_MOVES``), a long repetitive
    record, and a few mutated seeds."""
    from gofix.formats.limits import MAX_MOVES

    files = {
        "count-huge.ngf": _ngf(count=BIG), "size-huge.ngf": _ngf(size=BIG), "hcap-huge.ngf": _ngf(handicap=BIG),
        "count-super.ngf": _ngf(count="³"), "gongje-huge.gib": _gib(gongje=BIG), "sto-huge.gib": _gib(sto=BIG),
        "size-huge.ugf": _ugf(size=BIG), "hdcp-super.ugf": _ugf(hdcp="²"), "comment-huge.ugf": _ugf(comment=BIG),
        "sz-huge.sgf": f"(;FF[4]SZ[{BIG}];B[aa])", "ha-huge.sgf": f"(;FF[4]SZ[19]HA[{BIG}];B[aa])",
        "km-huge.sgf": f"(;FF[4]SZ[19]KM[{BIG}];B[aa])", "junk-line.gib": "junk\n(;FF[4]SZ[19];B[pd];W[dp])",
    }
    out = {name: text.encode("utf-8") for name, text in files.items()}
    out["utf16.gib"] = _gib().encode("utf-16")
    out["utf32.ngf"] = _ngf().encode("utf-32")
    out["utf16.sgf"] = SEED_GAMES[4].decode("utf-8").encode("utf-16")
    out["long.sgf"] = long_random(long_moves, rng.randrange(1 << 30))
    out["over-moves.sgf"] = long_random(MAX_MOVES + 1, rng.randrange(1 << 30))
    out["repetitive.sgf"] = long_repetitive(MAX_MOVES // 2)
    for k in range(4):
        out[f"mutated-{k}.sgf"] = mutate(rng.choice(SEED_GAMES), rng, rng.randrange(1, 30))
    return out
