"""Rules engine: ASCII fixtures, exact errors, replay classification, sgfmill cross-check."""

import random
import textwrap

import pytest
from hypothesis import given, settings, strategies as st
from sgfmill import boards as sgfmill_boards

from gofix.rules.diagram import ascii_board
from gofix.rules.board import Board, MOVE_CLASSES, Replay, replay, replay_record
from gofix.errors import CoordinateError, IllegalMoveError
from gofix.record import GameRecord, Move, Node


def fixture(text: str) -> str:
    return textwrap.dedent(text).strip()


def board_of(text: str, **kw) -> Board:
    return Board.from_ascii(fixture(text), **kw)


def check_invariants(board: Board) -> None:
    """The incremental group tables agree with a flood fill from scratch."""
    size = board.size
    seen = set()
    for row in range(size):
        for col in range(size):
            colour = board.get((row, col))
            if colour is None or (row, col) in seen:
                continue
            stones, libs, stack = {(row, col)}, set(), [(row, col)]
            while stack:
                r, c = stack.pop()
                for q in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                    if not (0 <= q[0] < size and 0 <= q[1] < size):
                        continue
                    v = board.get(q)
                    if v is None:
                        libs.add(q)
                    elif v == colour and q not in stones:
                        stones.add(q)
                        stack.append(q)
            seen |= stones
            index = board._geo.index
            roots = {board._gid[index[p]] for p in stones}
            assert len(roots) == 1, f"group at {(row, col)} has roots {roots}"
            root = roots.pop()
            points = board._geo.points
            assert {points[i] for i in board._gstones[root]} == stones
            assert {points[i] for i in board._glibs[root]} == libs
            assert board.liberties((row, col)) == len(libs)


# ------------------------------------------------------------------ ASCII and basics


def test_ascii_round_trip_and_orientation():
    text = fixture(
        """
        X . .
        . O .
        . . .
        """
    )
    board = Board.from_ascii(text)
    assert board.size == 3
    assert board.get((2, 0)) == "b"  # top row is row size-1
    assert board.get((1, 1)) == "w"
    assert board.get((0, 0)) is None
    assert ascii_board(board) == "X..\n.O.\n..."
    assert board.stones() == ([(2, 0)], [(1, 1)])


@pytest.mark.parametrize(
    "text,message",
    [("X.\n...\n...", "row 1 'X.' has 2 points, not 3"), ("X?\n..", "'?' is not 'X', 'O' or '.'")],
)
def test_from_ascii_rejects_bad_fixtures(text, message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        Board.from_ascii(text)


@pytest.mark.parametrize("size", [1, 26, 0])
def test_unsupported_sizes_raise(size):
    with pytest.raises(CoordinateError, match="not supported"):
        Board(size)


@pytest.mark.parametrize("size", [2, 9, 19, 25])
def test_sizes_corners_and_passes(size):
    board = Board(size)
    top = size - 1
    for colour, p in [("b", (0, 0)), ("w", (top, top)), ("b", (0, top)), ("w", (top, 0))]:
        if size == 2 and p == (top, 0):
            continue  # would be suicide on 2x2: covered elsewhere
        assert board.play(colour, p) == []
    assert board.play("b", None) == []
    assert board.get((0, 0)) == "b"
    assert board.legality("w", (size, 0)) == "offboard"
    assert board.legality("w", (0, size)) == "offboard"
    assert board.legality("w", (-1, 0)) == "offboard"
    check_invariants(board)


def test_planes_int8_row0_bottom():
    board = board_of(
        """
        X.
        .O
        """
    )
    planes = board.planes()
    assert planes.dtype.name == "int8" and planes.shape == (2, 2)
    assert planes.tolist() == [[0, -1], [1, 0]]


def test_get_and_liberties_off_board_raise():
    board = Board(9)
    with pytest.raises(CoordinateError, match=r"\(9, 0\)"):
        board.get((9, 0))
    assert board.liberties((4, 4)) == 0


def test_bad_colour_is_a_value_error():
    with pytest.raises(ValueError, match="colour 'x'"):
        Board(9).play("x", (0, 0))


# ------------------------------------------------------------------ captures


def test_single_capture_in_the_middle():
    board = board_of(
        """
        .....
        ..X..
        .XO..
        ..X..
        .....
        """
    )
    assert board.liberties((2, 2)) == 1
    assert board.play("b", (2, 3)) == [(2, 2)]
    assert ascii_board(board) == fixture(
        """
        .....
        ..X..
        .X.X.
        ..X..
        .....
        """
    )
    check_invariants(board)


def test_capture_of_several_groups_at_once():
    board = board_of(
        """
        ..X..
        .XOX.
        XO.OX
        .XOX.
        ..X..
        """
    )
    captured = board.play("b", (2, 2))
    assert sorted(captured) == [(1, 2), (2, 1), (2, 3), (3, 2)]
    assert ascii_board(board) == fixture(
        """
        ..X..
        .X.X.
        X.X.X
        .X.X.
        ..X..
        """
    )
    assert board.liberties((2, 2)) == 4
    check_invariants(board)


def test_edge_and_corner_captures():
    board = board_of(
        """
        OX...
        X....
        .....
        XO...
        .X...
        """
    )
    assert board.play("b", (1, 2)) == []  # not adjacent
    # corner: the white stone at the top left has no liberty left after X's move? it had none
    board = board_of(
        """
        O....
        X....
        .....
        .....
        .....
        """
    )
    assert board.play("b", (4, 1)) == [(4, 0)]
    assert board.get((4, 0)) is None
    # edge: a two-stone white group on the bottom edge
    board = board_of(
        """
        .....
        .....
        .....
        .XX..
        XOO..
        """
    )
    assert sorted(board.play("b", (0, 3))) == [(0, 1), (0, 2)]
    assert ascii_board(board).splitlines()[-1] == "X..X."
    check_invariants(board)


def test_snapback():
    board = board_of(
        """
        ..XOO
        ..X.X
        ..XXO
        .....
        .....
        """
    )
    # White takes the black stone, but the capturing group is left with one liberty
    assert board.play("w", (3, 3)) == [(3, 4)]
    assert board.ko_point is None  # a group captured, not a single stone: no ko
    assert board.liberties((3, 3)) == 1
    assert sorted(board.play("b", (3, 4))) == [(3, 3), (4, 3), (4, 4)]
    assert ascii_board(board) == fixture(
        """
        ..X..
        ..X.X
        ..XXO
        .....
        .....
        """
    )
    check_invariants(board)


# ------------------------------------------------------------------ ko


KO = """
    .....
    .XO..
    X.XO.
    .XO..
    .....
    """


def test_ko_retake_is_refused_then_allowed_after_a_move_elsewhere():
    board = board_of(KO)
    assert board.play("w", (2, 1)) == [(2, 2)]
    assert board.ko_point == (2, 2)
    before = ascii_board(board)
    with pytest.raises(IllegalMoveError) as err:
        board.play("b", (2, 2))
    assert err.value.kind == "ko"
    assert str(err.value) == "illegal move B C3: retakes the ko at once"
    assert (err.value.colour, err.value.point) == ("b", (2, 2))
    assert ascii_board(board) == before and board.ko_point == (2, 2)
    assert board.legality("b", (2, 2)) == "ko"
    assert board.legality("w", (2, 2)) == "ok"  # only the other player is barred
    board.play("b", (4, 4))  # ko threat
    assert board.ko_point is None
    board.play("w", (4, 0))
    assert board.play("b", (2, 2)) == [(2, 1)]
    assert board.ko_point == (2, 1)
    check_invariants(board)


def test_a_pass_clears_the_ko_but_superko_still_bars_the_repeat():
    board = board_of(KO)
    board.play("w", (2, 1))
    board.play("b", None)
    assert board.ko_point is None
    board.play("w", None)
    # the retake would recreate the position before White's capture
    assert board.legality("b", (2, 2)) == "superko"
    with pytest.raises(IllegalMoveError, match=r"^illegal move B C3: repeats an earlier position"):
        board.play("b", (2, 2))
    lenient = Board.from_ascii(fixture(KO), superko=False)
    for colour, p in [("w", (2, 1)), ("b", None), ("w", None)]:
        lenient.play(colour, p)
    assert lenient.play("b", (2, 2)) == [(2, 1)]


# ------------------------------------------------------------------ suicide


def test_single_stone_suicide():
    board = board_of(
        """
        .X...
        X....
        .....
        .....
        .....
        """
    )
    assert board.legality("w", (4, 0)) == "suicide"
    with pytest.raises(IllegalMoveError) as err:
        board.play("w", (4, 0))
    assert err.value.kind == "suicide"
    assert str(err.value) == "illegal move W A5: suicide (the group would have no liberties)"
    assert board.legality("b", (4, 0)) == "ok"  # filling an own eye is legal


def test_group_suicide_and_not_suicide_when_it_captures():
    board = board_of(
        """
        OO.X.
        XXXX.
        .....
        .....
        .....
        """
    )
    assert board.legality("w", (4, 2)) == "suicide"  # two stones would die with it
    board = board_of(
        """
        OOX.X
        XXOX.
        .....
        .....
        .....
        """
    )
    # W at the top: its own group would have no liberty, but it captures X first
    assert board.legality("w", (4, 3)) == "ok"
    assert board.play("w", (4, 3)) == [(4, 2)]
    check_invariants(board)


# ------------------------------------------------------------------ superko, occupied, offboard

# On 2x2, the last move recreates the position after the first (Black alone at (0, 1)) by
# capturing three white stones: not a simple ko, a positional superko.
SUPERKO_2X2 = [("b", (0, 1)), ("w", (1, 0)), ("b", (0, 0)), ("w", (1, 1)), ("b", (0, 1)),
               ("w", (0, 0)), ("b", (0, 1))]


def test_superko_on_2x2_not_a_simple_ko():
    board = Board(2)
    for colour, p in SUPERKO_2X2[:-1]:
        board.play(colour, p)
    assert board.ko_point is None
    assert board.legality("b", (0, 1)) == "superko"
    before = (ascii_board(board), board.position_hash(), board.liberties((0, 0)))
    with pytest.raises(IllegalMoveError) as err:
        board.play("b", (0, 1))
    assert err.value.kind == "superko"
    assert (ascii_board(board), board.position_hash(), board.liberties((0, 0))) == before
    assert Board(2, superko=False).legality("b", (0, 1)) == "ok"
    rep = replay(2, SUPERKO_2X2)
    assert rep.classes == ["ok"] * 6 + ["superko"]
    assert rep.captures == [0, 0, 0, 2, 0, 1, 3]
    assert ascii_board(rep.board) == "..\n.X"  # played anyway


def test_occupied_and_offboard_errors_leave_the_board_unchanged():
    board = board_of(
        """
        X..
        .O.
        ...
        """
    )
    before = ascii_board(board)
    with pytest.raises(IllegalMoveError) as err:
        board.play("w", (2, 0))
    assert err.value.kind == "occupied"
    assert str(err.value) == "illegal move W A3: the point is occupied"
    with pytest.raises(IllegalMoveError) as err:
        board.play("b", (3, 0))
    assert err.value.kind == "offboard"
    assert str(err.value) == "illegal move B at (3, 0): off the 3x3 board"
    assert ascii_board(board) == before
    check_invariants(board)


def test_setup_place_and_remove():
    board = Board(5)
    for p in [(1, 1), (1, 2), (1, 3)]:
        board.place("b", p)
    assert board.liberties((1, 1)) == 8
    board.place("w", (1, 2))  # replaces the black stone: the group falls apart
    assert board.liberties((1, 1)) == 3 and board.liberties((1, 2)) == 2
    board.remove((1, 2))
    board.remove((0, 0))  # empty already: nothing happens
    assert ascii_board(board) == fixture(
        """
        .....
        .....
        .....
        .X.X.
        .....
        """
    )
    check_invariants(board)


def test_setup_stones_without_liberties_stay_and_no_checks():
    board = board_of(
        """
        OX.
        X..
        ...
        """
    )
    assert board.get((2, 0)) == "w" and board.liberties((2, 0)) == 0
    board.play("w", (0, 0))
    check_invariants(board)


def test_copy_is_independent():
    board = board_of(KO)
    board.play("w", (2, 1))
    twin = board.copy()
    assert twin.ko_point == (2, 2) and twin.legality("b", (2, 2)) == "ko"
    twin.play("b", (4, 4))
    twin.play("w", (0, 0))
    twin.play("b", (2, 2))
    assert board.get((2, 2)) is None and board.get((4, 4)) is None
    check_invariants(board)
    check_invariants(twin)


# ------------------------------------------------------------------ replay classification


def m(colour, point):
    return Move(colour, point, "")


KO_SETUP = {"setup_black": [(3, 1), (2, 0), (2, 2), (1, 1)], "setup_white": [(3, 2), (2, 3), (1, 2)]}


@pytest.mark.parametrize(
    "size,moves,kw,classes",
    [
        # every class
        (5, [m("b", (0, 0)), m("w", (0, 0))], {}, ["ok", "occupied"]),
        (5, [m("b", (0, 0)), m("w", (5, 0))], {}, ["ok", "offboard"]),
        (5, [m("b", (0, 0)), m("b", (1, 1))], {}, ["ok", "turn"]),
        (2, [m("b", (0, 0)), m("w", None), m("b", (1, 1)), m("w", (0, 1))], {},
         ["ok", "ok", "ok", "suicide"]),
        (5, [m("w", (2, 1)), m("b", (2, 2))], KO_SETUP, ["ok", "ko"]),
        # priority: offboard > occupied > suicide > ko > superko > turn
        (5, [m("b", (0, 0)), m("b", (0, 0))], {}, ["ok", "occupied"]),
        (5, [m("b", (0, 0)), m("b", (9, 9))], {}, ["ok", "offboard"]),
        (5, [m("w", (2, 1)), m("w", (2, 2))], KO_SETUP, ["ok", "turn"]),  # no ko for White
        # passes are moves: they take part in turn order, and are never illegal
        (5, [m("b", None), m("w", None), m("w", None)], {}, ["ok", "ok", "turn"]),
        # the first move may be either colour ... unless PL says otherwise
        (5, [m("w", (0, 0)), m("b", (1, 1))], {}, ["ok", "ok"]),
        (5, [m("w", (0, 0)), m("b", (1, 1))], {"first_player": "b"}, ["turn", "ok"]),
        (5, [m("w", (0, 0)), m("b", (1, 1))], {"first_player": "w"}, ["ok", "ok"]),
        # handicap stones as ordinary Black moves: not 'turn'; White is due after them
        (9, [m("b", (2, 2)), m("b", (6, 6)), m("b", (2, 6)), m("w", (4, 4)), m("b", (3, 3))],
         {"handicap": 3}, ["ok"] * 5),
        (9, [m("b", (2, 2)), m("b", (6, 6)), m("b", (2, 6)), m("b", (4, 4))],
         {"handicap": 3}, ["ok", "ok", "ok", "turn"]),
        (9, [m("b", (2, 2)), m("b", (6, 6)), m("w", (4, 4)), m("w", (3, 3))],
         {"handicap": 3}, ["ok", "ok", "ok", "turn"]),
        (9, [m("b", (2, 2)), m("b", (6, 6))], {"handicap": 2, "first_player": "w"}, ["ok", "ok"]),
        # handicap with setup stones: White first is normal, Black twice is not
        (9, [m("w", (4, 4)), m("b", (3, 3))], {"handicap": 2, "setup_black": [(2, 2), (6, 6)]},
         ["ok", "ok"]),
        (9, [m("b", (4, 4)), m("b", (3, 3))], {"handicap": 2, "setup_black": [(2, 2), (6, 6)]},
         ["ok", "turn"]),
    ],
)
def test_replay_classes(size, moves, kw, classes):
    rep = replay(size, moves, **kw)
    assert rep.classes == classes
    assert all(c in MOVE_CLASSES for c in rep.classes)
    assert len(rep.captures) == len(rep.liberties) == len(rep.atari) == len(moves)


def test_replay_after_illegal_moves_goes_on_consistently():
    moves = [m("w", (2, 1)), m("b", (2, 2)), m("w", (2, 1)), m("b", (9, 9)), m("w", (0, 0))]
    rep = replay(5, moves, **KO_SETUP)
    # the ko retake is played (captures happen), then White retakes at once: 'ko' again
    assert rep.classes == ["ok", "ko", "ko", "offboard", "ok"]
    assert rep.captures == [1, 1, 1, 0, 0]
    assert rep.board.get((2, 1)) == "w" and rep.board.get((2, 2)) is None
    # suicide is played out: the stone leaves the board; occupied changes nothing
    rep = replay(3, [m("w", (2, 0))], setup_black=[(1, 0), (2, 1)])
    assert rep.classes == ["suicide"] and rep.board.get((2, 0)) is None
    assert rep.liberties == [0] and rep.captures == [0]
    rep = replay(3, [m("b", (1, 1)), m("w", (1, 1)), m("w", (0, 0))])
    assert rep.classes == ["ok", "occupied", "turn"]
    assert rep.board.stones() == ([(1, 1)], [(0, 0)])


def test_replay_features_liberties_captures_atari():
    moves = [m("b", (1, 1)), m("w", (1, 2)), m("b", (2, 2)), m("w", (0, 1)), m("b", (0, 2)),
             m("w", (0, 3))]
    rep = replay(5, moves)
    assert rep.liberties == [4, 3, 3, 2, 1, 3]
    assert rep.atari == [False, False, False, False, True, False]  # both white stones
    assert rep.captures == [0, 0, 0, 0, 0, 1]
    assert rep.problems() == []


def test_replay_never_raises_on_bad_moves_and_accepts_plain_tuples():
    rep = replay(9, [("b", (3, 3)), ("w", [3, 4]), ("b", (20, 20)), ("w", (-1, 2)), ("w", None)])
    assert rep.classes == ["ok", "ok", "offboard", "offboard", "turn"]
    assert rep.problems() == [(2, "offboard"), (3, "offboard"), (4, "turn")]
    assert isinstance(rep, Replay) and rep.board.get((3, 4)) == "w"


def test_replay_record():
    record = GameRecord(
        source="x.sgf", index=0, size=9, root=Node(),
        moves=[Move("w", (4, 4), "ee"), Move("b", (3, 3), "dd")],
        setup_black=[(2, 2), (6, 6)], handicap=2,
    )
    rep = replay_record(record)
    assert rep.classes == ["ok", "ok"]
    assert rep.board.stones()[0] == [(2, 2), (3, 3), (6, 6)]


# ------------------------------------------------------------------ consistency and sgfmill


def random_sgfmill_game(size: int, rng: random.Random, length: int):
    """Random moves that sgfmill plays without suicide or a ko retake, with its position
    after each move."""
    board = sgfmill_boards.Board(size)
    moves, positions, ko, colour = [], [], None, "b"
    for _ in range(length):
        empty = [(r, c) for r in range(size) for c in range(size) if board.get(r, c) is None]
        rng.shuffle(empty)
        for p in empty:
            if p == ko:
                continue
            trial = board.copy()
            new_ko = trial.play(p[0], p[1], colour)
            if trial.get(p[0], p[1]) is None:  # self-capture
                continue
            board, ko = trial, new_ko
            break
        else:
            p, ko = None, None
        moves.append((colour, p))
        positions.append(sorted(board.list_occupied_points()))
        colour = "w" if colour == "b" else "b"
    return moves, positions


def position(board: Board):
    black, white = board.stones()
    return sorted([("b", p) for p in black] + [("w", p) for p in white])


def sgfmill_group(board, point):
    """(stones, liberties) of the group at ``point`` on an sgfmill board, by flood fill."""
    size, colour = board.side, board.get(*point)
    stones, libs, stack = {point}, set(), [point]
    while stack:
        r, c = stack.pop()
        for q in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= q[0] < size and 0 <= q[1] < size:
                v = board.get(*q)
                if v is None:
                    libs.add(q)
                elif v == colour and q not in stones:
                    stones.add(q)
                    stack.append(q)
    return stones, libs


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([2, 3, 4, 5, 7, 9, 13, 19]))
def test_same_positions_and_features_as_sgfmill_after_every_move(seed, size):
    rng = random.Random(seed)
    moves, positions = random_sgfmill_game(size, rng, length=min(3 * size * size, 160))
    rep = replay(size, moves)
    assert all(c in ("ok", "superko") for c in rep.classes)
    board = Board(size)
    mill = sgfmill_boards.Board(size)
    for k, ((colour, p), expected) in enumerate(zip(moves, positions)):
        kind, captured = board.play_unchecked(colour, p)
        assert kind == rep.classes[k], k
        assert position(board) == expected, k
        if p is None:
            assert (rep.captures[k], rep.liberties[k], rep.atari[k]) == (0, 0, False)
            continue
        opponent = "w" if colour == "b" else "b"
        before = sum(1 for c, _ in mill.list_occupied_points() if c == opponent)
        mill.play(p[0], p[1], colour)
        after = sum(1 for c, _ in mill.list_occupied_points() if c == opponent)
        assert rep.captures[k] == len(captured) == before - after, k
        assert rep.liberties[k] == len(sgfmill_group(mill, p)[1]), k
        r, c = p
        near = [q for q in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1))
                if 0 <= q[0] < size and 0 <= q[1] < size and mill.get(*q) == opponent]
        assert rep.atari[k] == any(len(sgfmill_group(mill, q)[1]) == 1 for q in near), k
    check_invariants(board)
    assert position(rep.board) == positions[-1]


@pytest.mark.parametrize("seed", range(6))
def test_legality_agrees_with_playing_it_out(seed):
    """For random positions, legality() of every point equals what play_unchecked does."""
    rng = random.Random(seed)
    size = [3, 4, 5, 9, 5, 4][seed]
    board = Board(size)
    colour = "b"
    for _ in range(4 * size * size):
        for p in [(r, c) for r in range(size) for c in range(size)] + [None, (size, 0)]:
            twin = board.copy()
            assert twin.play_unchecked(colour, p)[0] == board.legality(colour, p), p
        p = rng.choice([(r, c) for r in range(size) for c in range(size)] + [None])
        board.play_unchecked(colour, p)  # anything goes, illegal moves included
        check_invariants(board)
        colour = "w" if colour == "b" else "b"


def test_replay_equals_move_by_move_play_unchecked():
    rng = random.Random(7)
    size = 5
    moves = [(rng.choice("bw"), rng.choice([None, (5, 5)] + [(r, c) for r in range(5) for c in range(5)]))
             for _ in range(300)]
    rep = replay(size, moves)
    board = Board(size)
    for k, (colour, p) in enumerate(moves):
        kind, captured = board.play_unchecked(colour, p)
        expected = rep.classes[k]
        assert kind == ("ok" if expected == "turn" else expected), k
        assert len(captured) == rep.captures[k]
    assert position(board) == position(rep.board)


def test_bench_script_exits_clearly_without_a_corpus(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"
    spec = importlib.util.spec_from_file_location("bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["replay", str(tmp_path / "missing.tar.gz"), "--limit", "1"]) == 2
    assert "not found" in capsys.readouterr().err
