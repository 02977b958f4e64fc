"""Fuzzing the reader and the checker: every input ends in a result or a typed error.

Bounded so it runs in CI in seconds; scripts/fuzz.py runs the same properties
for as long as you like.
"""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gofix.check import check_record
from gofix.record import GameRecord
from gofix.sgf_io import Unreadable, dump_game, parse_collection
from gofix.synth import random_game

SEED_GAMES = [
    b"(;FF[4]GM[1]SZ[19]CA[UTF-8]PB[Black]C[a comment with \\] and \\\\ in it];B[pd];W[dp](;B[pp];W[dd])(;B[dc]))",
    b"(;GM[1]SZ[9]AB[aa:bb]AW[cc]PL[W];W[ee];B[];W[tt];B[ff])",
    b"(;SZ[13]HA[2];B[dd];B[jj];W[gg];B[gg])",
    b"junk before\n(;FF[3]GaMe[1]AddBlack[dd]White[pp];b[qq])trailing junk",
    "(;FF[4]CA[UTF-8]PB[李昌镐]PW[趙治勲];B[qd];W[dc])".encode("utf-8"),
    ("(;FF[4]SZ[19]" + "".join(f";{c}[{p}]" for c, p in zip("BW" * 40, [
        chr(97 + (k * 7) % 19) + chr(97 + (k * 11) % 19) for k in range(80)])) + ")").encode(),
]


def _mutate(data: bytes, rng: random.Random, n: int) -> bytes:
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


def _exercise(data: bytes) -> None:
    for strict in (False, True):
        items = parse_collection(data, "fuzz.sgf", strict=strict)
        assert isinstance(items, list)
        for item in items:
            assert isinstance(item, (GameRecord, Unreadable))
            if isinstance(item, Unreadable):
                assert item.reason and isinstance(item.reason, str)
                continue
            report = check_record(item)
            assert report.status in ("clean", "flagged")
            assert report.moves == len(item.moves)
            if not strict:
                again = parse_collection(dump_game(item), "again.sgf")
                assert len(again) == 1 and isinstance(again[0], GameRecord)
                assert [(m.colour, m.point) for m in again[0].moves] == [(m.colour, m.point) for m in item.moves]


_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.binary(max_size=400))
def test_random_bytes(data):
    _exercise(data)


@_settings
@given(st.sampled_from(SEED_GAMES), st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_mutated_sgf(seed_game, seed, n):
    _exercise(_mutate(seed_game, random.Random(seed), n))


@_settings
@given(st.text(alphabet="()[];\\:BWABAWSZCGM19pdqcaa \n", max_size=200))
def test_sgf_alphabet_soup(text):
    _exercise(text.encode())


def test_long_synthetic_game_survives_mutation():
    moves = random_game(random.Random(5), 300)
    data = ("(;FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves) + ")").encode()
    rng = random.Random(0)
    for _ in range(30):
        _exercise(_mutate(data, rng, rng.randrange(1, 30)))
