import numpy as np
import pytest

from gofix.models import tokens
from gofix.record import Move
from gofix.models.tokens import BOS, EOS, MASK, PAD, UNK, Vocab


@pytest.mark.parametrize("size", [2, 9, 19, 25])
def test_vocab_size_and_round_trip(size):
    v = Vocab(size)
    assert len(v) == 5 + 2 * (size * size + 1)
    moves = [Move(c, (r, k), "") for c in "bw" for r in range(size) for k in range(size)]
    moves += [Move("b", None, ""), Move("w", None, "")]
    ids = v.encode(moves, bos=True, eos=True)
    assert ids[0] == BOS and ids[-1] == EOS
    assert len(set(ids[1:-1])) == len(moves)  # one id per (colour, point)
    assert all(5 <= t < len(v) for t in ids[1:-1])
    back = v.decode(ids)
    assert [(m.colour, m.point) for m in back] == [(m.colour, m.point) for m in moves]


def test_special_ids_are_fixed():
    assert (PAD, BOS, EOS, MASK, UNK) == (0, 1, 2, 3, 4)
    v = Vocab(19)
    assert v.encode_move(Move("b", (0, 0))) == 5
    assert v.encode_move(Move("b", None)) == 5 + 361
    assert v.encode_move(Move("w", (0, 0))) == 5 + 362
    assert len(v) == 729


def test_offboard_move_is_unk_and_specials_do_not_decode():
    v = Vocab(18)
    assert v.encode_move(Move("b", (-1, 18), "ss")) == UNK
    with pytest.raises(ValueError, match="not a move token"):
        v.decode_id(MASK)
    assert v.decode([BOS, PAD, 5, EOS, 6]) == [Move("b", (0, 0), "ar")]  # a1 on 18x18


def test_vocab_serialises():
    v = Vocab(13)
    assert Vocab.from_dict(v.to_dict()) == v
    with pytest.raises(ValueError):
        Vocab.from_dict({"kind": "other", "size": 13})


def test_move_features():
    from gofix.rules.board import replay

    size = 9
    # Black plays a1, White b1, Black ... White captures nothing; then a pass.
    moves = [Move("b", (0, 0)), Move("w", (0, 1)), Move("b", (4, 4)), Move("w", (1, 0)), Move("b", None)]
    rep = replay(size, moves)
    f = tokens.move_features(size, moves, rep)
    assert f.shape == (5, tokens.N_FEATURES) and f.dtype == np.float32
    names = tokens.FEATURE_NAMES
    col = {n: i for i, n in enumerate(names)}
    # every move is legal
    assert np.all(f[:, col["legal_ok"]] == 1)
    # W b1 ... W a2 captures the black a1 stone
    assert f[3, col["captured"]] == pytest.approx(np.log1p(1))
    assert f[2, col["captured"]] == 0
    # distances: move 2 (b1) is next to a1 -> 1/18
    assert f[1, col["dist_prev"]] == pytest.approx(1 / 18)
    assert f[0, col["dist_prev"]] == 1.0  # no previous move
    assert f[4, col["is_pass"]] == 1.0
    # centre stone of 9x9 is on line 4 (0-based) -> 4/9
    assert f[2, col["edge_line"]] == pytest.approx(4 / 9)
    # the first black stone ends in atari (1 liberty) after W b1
    assert f[0, col["libs_2"]] == 1.0
    assert f[1, col["libs_2"]] == 1.0
