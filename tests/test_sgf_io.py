"""Reading SGF as real archives are, and writing it back without loss.

One fixture per real-world quirk in tests/data/ (the charset ones are written
by scripts/make_fixtures.py), each with the exact outcome it must give.
"""

from __future__ import annotations

import copy
import io
import itertools
import os
import pickle
import random
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sgfmill import sgf as sgfmill_sgf, sgf_moves

from gofix import formats as sgf_io
from gofix.formats import sgf as sgf_reader, sgf_grammar, sources
from gofix.errors import SgfError
from gofix.record import CONTROLS, GameRecord, Move, Node, Unreadable, encode_text, iter_nodes, main_line

DATA = Path(__file__).parent / "data"
CORPUS = Path(os.environ.get("GOFIX_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


def read(name: str, **kw) -> list:
    return sgf_io.read_file(DATA / name, **kw)


def moves(record: GameRecord) -> str:
    """Moves as 'b:pd w:dd' (the sgf spelling, '-' for B[])."""
    return " ".join(f"{m.colour}:{m.sgf or '-'}" for m in record.moves)


def has(warnings: list[str], phrase: str) -> bool:
    return any(phrase in w for w in warnings)


# ---------------------------------------------------------------- one fixture per quirk

# name -> expected: moves, size, warnings (phrases, each in some warning; [] = none at all),
# and any other GameRecord field or decoded root text ("text:PB").
FOUR = "b:pd w:dd b:pq w:dp"
READABLE = {
    "junk_around_game.sgf": dict(
        moves="b:pd w:dd b:pq w:dp",
        warnings=["text outside the game tree ignored: 'From: kisei@example.org", "'---\\nBest regards"],
    ),
    "missing_open_paren.sgf": dict(moves="b:pd w:dd b:pq", warnings=["missing '(' before the game tree"]),
    "missing_close_paren.sgf": dict(moves="b:pd w:dd b:pq", warnings=["missing ')' at the end of the file"]),
    "empty_node.sgf": dict(moves="b:pd w:dd b:pq", warnings=[]),
    "nodes_outside_game.sgf": dict(
        moves="b:pd w:dd b:pq w:dp",
        warnings=["nodes after the end of the game tree appended to its main line"],
    ),
    "long_lowercase_idents.sgf": dict(
        moves="w:pd b:qq w:dp",
        setup_black=[(15, 3), (3, 15)],
        warnings=[
            "property identifier 'AddBlack' read as 'AB'",
            "'White' read as 'W'",
            "'b' read as 'B'",
            "'FileFormat' read as 'FF'",
        ],
        **{"text:PB": "Honinbo Shusaku"},
    ),
    "moves_in_root.sgf": dict(moves="b:ee w:cc b:gg", size=9, warnings=[]),
    "ff1_pass_tt.sgf": dict(moves="b:pd w:tt b:dd", warnings=[]),
    "passes.sgf": dict(moves="b:pd w:- b:tt w:   b:dd", warnings=[]),
    "offboard_18x18.sgf": dict(moves="b:ss w:aa b:rr", size=18, warnings=[]),
    "setup_compressed_points.sgf": dict(
        moves="w:qd",
        setup_black=[(16, 0), (16, 1), (16, 2), (17, 0), (17, 2), (18, 0), (18, 1), (18, 2), (15, 15)],
        setup_white=[(3, 3), (2, 16)],
        warnings=[],
    ),
    "handicap_setup_pl.sgf": dict(
        moves="w:dd b:pp", setup_black=[(15, 15), (3, 3)], handicap=2, first_player="w", warnings=[]
    ),
    "handicap_as_moves.sgf": dict(moves="b:pd b:dp b:pp w:dd", handicap=3, warnings=[]),
    "bad_handicap.sgf": dict(
        moves="b:pd w:dd", handicap=0, warnings=["HA[x] is not a number; handicap read as 0"]
    ),
    "size_absent.sgf": dict(moves="b:pd w:dd", size=19, warnings=[]),
    "unescaped_bracket.sgf": dict(
        moves="b:pd w:dd",
        warnings=["unescaped ']' read as text in C[he said ] hi]", "in PB[Lee ] Sedol]"],
        **{"text:C": "he said ] hi", "text:PB": "Lee ] Sedol"},
    ),
    "truncated_mid_property.sgf": dict(
        moves="b:pd w:dd b:pq", warnings=["file truncated: value C[this comment is cut"]
    ),
    "variations.sgf": dict(moves="b:pd w:dd b:pq w:dp", warnings=[]),
    "both_b_and_w_in_node.sgf": dict(
        moves="b:pd w:dd b:pq", warnings=["node 1 has both B and W; both read, in file order"]
    ),
    "setup_in_main_line.sgf": dict(
        moves="b:pd w:pq", warnings=["setup AB in node 2 of the main line (after move 1) kept in the tree"]
    ),
    "bad_move_value.sgf": dict(
        moves="b:pd b:dd", warnings=["move W[1] (node 2) is not an SGF point; skipped"]
    ),
    "repeated_property.sgf": dict(moves="b:pd", warnings=["property C repeated in one node; values merged"]),
    "escapes_and_lists.sgf": dict(
        moves="b:pd w:dd",
        warnings=[],
        **{"text:PB": "Lee\\Sedol", "text:C": "a ] bracket, a \\ backslash,\nsoftbreak"},
    ),
    "bom_utf8.sgf": dict(moves=FOUR, encoding="utf-8", warnings=[], **{"text:PB": "本因坊秀策"}),
    "utf16le_bom.sgf": dict(moves=FOUR, warnings=["file is UTF-16; transcoded to UTF-8"]),
    "utf16be_bom.sgf": dict(moves=FOUR, warnings=["file is UTF-16"], **{"text:PW": "井上幻庵"}),
    "utf16le_no_bom.sgf": dict(moves=FOUR, warnings=["file is UTF-16"], **{"text:PB": "本因坊秀策"}),
    "charset_undecodable.sgf": dict(
        moves="b:pd w:dd", encoding="latin-1", warnings=["text does not decode as any known charset"]
    ),
    "charset_utf8_wrong_ca.sgf": dict(
        encoding="utf-8", warnings=["CA[GB2312] is wrong: the text is UTF-8"], **{"text:PB": "李昌镐"}
    ),
}

CHARSETS = {  # fixture stem -> (encoding read, black player's name)
    "gb18030": ("gb18030", "李昌镐"),
    "shift_jis": ("shift_jis", "本因坊秀策"),
    "euc_kr": ("euc_kr", "이창호"),
    "big5": ("big5", "林海峰"),
    "latin1": ("latin-1", "Müller"),
}
for stem, (encoding, black) in CHARSETS.items():
    common = dict(moves=FOUR, encoding=encoding, **{"text:PB": black})
    READABLE[f"charset_{stem}_ca.sgf"] = dict(common, warnings=[])
    READABLE[f"charset_{stem}_no_ca.sgf"] = dict(
        common, warnings=[f"no CA and the text is not UTF-8; detected {encoding}"]
    )
    if stem != "latin1":
        READABLE[f"charset_{stem}_wrong_ca.sgf"] = dict(
            common, warnings=[f"CA[UTF-8] is wrong: the text does not decode with it; detected {encoding}"]
        )

UNREADABLE = {
    "empty.sgf": "no SGF game tree found (the file is empty)",
    "binary_garbage.sgf": "binary data, not SGF",
    "size_zero.sgf": "board size SZ[0] is not supported (2..25)",
    "size_52.sgf": "board size SZ[52] is not supported (2..25)",
    "size_rectangular.sgf": "rectangular board SZ[19:13] is not supported",
    "not_go.sgf": "not a Go game: GM[2]",
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_readable_fixture(name):
    expected = READABLE[name]
    [record] = read(name)
    assert isinstance(record, GameRecord), record
    assert record.source == str(DATA / name) and record.index == 0
    for key, value in expected.items():
        if key == "moves":
            assert moves(record) == value
        elif key == "warnings":
            if value == []:
                assert record.warnings == []
            for phrase in value:
                assert has(record.warnings, phrase), (phrase, record.warnings)
        elif key.startswith("text:"):
            assert record.text(key[5:]) == value
        else:
            assert getattr(record, key) == value, key
    if "size" not in expected:
        assert record.size == 19


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_fixture_gives_the_reason(name):
    [item] = read(name)
    assert item == Unreadable(str(DATA / name), 0, UNREADABLE[name])
    assert item.game_id == f"{DATA / name}#0"
    with pytest.raises(SgfError, match=re.escape(UNREADABLE[name])):
        sgf_io.read_game(DATA / name)


def test_every_fixture_is_covered():
    names = {p.name for p in DATA.glob("*.sgf")}
    # generated_three_errors.sgf: a whole game for the CLI tests (tests/test_edits.py), not a reader case
    assert names == set(READABLE) | set(UNREADABLE) | {"collection_third_broken.sgf", "generated_three_errors.sgf"}


def test_offboard_move_keeps_its_point():
    [record] = read("offboard_18x18.sgf")
    assert record.moves[0] == Move("b", (-1, 18), "ss")
    assert record.moves[1] == Move("w", (17, 0), "aa")


def test_passes_are_none_and_keep_their_spelling():
    [record] = read("passes.sgf")
    assert [m.point for m in record.moves[1:4]] == [None, None, None]
    assert [m.sgf for m in record.moves[1:4]] == ["", "tt", "  "]


def test_collection_with_a_broken_game_yields_the_others():
    items = read("collection_third_broken.sgf")
    assert [type(i).__name__ for i in items] == ["GameRecord"] * 2 + ["Unreadable"] + ["GameRecord"] * 2
    assert [i.index for i in items] == [0, 1, 2, 3, 4]
    assert items[2].reason == "board size SZ[52] is not supported (2..25)"
    assert [r.text("PB") for r in items if isinstance(r, GameRecord)] == ["one", "two", "four", "five"]
    assert [r.size for r in items if isinstance(r, GameRecord)] == [9, 9, 13, 19]
    assert items[3].raw == b"(;GM[1]FF[4]SZ[13]PB[four];B[gg])"


def test_variations_are_kept_and_the_main_line_is_first_children():
    [record] = read("variations.sgf")
    root = record.root
    assert len(root.children) == 1 and len(root.children[0].children) == 2
    assert [list(n.props.items()) for n in main_line(root)][1:] == [
        [("B", [b"pd"])],
        [("W", [b"dd"])],
        [("B", [b"pq"])],
        [("W", [b"dp"])],
    ]
    assert len(list(iter_nodes(root))) == 8


def test_unescaped_bracket_is_stored_escaped():
    [record] = read("unescaped_bracket.sgf")
    assert record.root.props["C"] == [b"he said \\] hi"]
    assert record.root.children[0].props["C"] == [b"escaped \\] stays"]


def test_raw_is_the_game_tree_bytes():
    [record] = read("junk_around_game.sgf")
    data = (DATA / "junk_around_game.sgf").read_bytes()
    start = data.index(b"(;")
    assert record.raw == data[start : data.index(b")", start) + 1]
    assert sgf_io.original_bytes(record) == record.raw


def test_original_bytes_needs_raw():
    record = GameRecord(source="x", index=0, size=19, root=Node())
    with pytest.raises(SgfError, match="no original bytes"):
        sgf_io.original_bytes(record)


def test_read_game_from_bytes_and_errors():
    record = sgf_io.read_game(b"(;SZ[9];B[ee])")
    assert record.source == "<bytes>" and moves(record) == "b:ee"
    with pytest.raises(SgfError, match="no SGF game tree found") as err:
        sgf_io.read_game(b"just some text")
    assert err.value.source == "<bytes>"


# ---------------------------------------------------------------- strict mode

STRICT_BAD = {
    b"junk (;FF[4];B[aa])": "text outside the game tree ignored: 'junk'",
    b";FF[4];B[aa])": "missing '('",
    b"(;FF[4];B[aa]C[cut": "file truncated",
    b"(;FF[4];b[aa])": "property identifier 'b' read as 'B'",
    b"(;FF[4];B[zz])": "B[zz]: not a move on the 19x19 board",
    b"(;FF[4]SZ[9];B[jj])": "B[jj]: not a move on the 9x9 board",
    b"(;FF[4]HA[two];B[aa])": "HA[two]",
    b"(;FF[4]KM[6,5];B[aa])": "KM[6,5]: not a real number",
    b"(;FF[4]AB[aa:zz];W[bb])": "setup point AB[aa:zz] is not on the 19x19 board",
    b"(;FF[4]C[a ] b];B[aa])": "unescaped ']'",
    b"(;FF[4];B[aa]W[bb])": "both B and W",
    b"(;FF[4];B[aa];B[  ])": "has spaces",
    b"(;FF[4];B[aa]C[x]C[y])": "repeated in one node",
    b"(;FF[4]CA[klingon];B[aa])": "unknown charset CA[klingon]",
    b"(;FF[4]CA[UTF-8]C[\xff\xfe];B[aa])": "text does not decode as utf-8",
    b"(;FF[4];B[aa];SZ[19])": "root property SZ outside the root node",
    b"(;FF[4];B[aa]LB[aa])": "LB[aa]: not point:text",
    b"(;FF[4];B[aa]AR[aa:zz])": "AR[aa:zz]: not point:point",
}


@pytest.mark.parametrize("data", sorted(STRICT_BAD))
def test_strict_mode_rejects_every_deviation(data):
    [tolerant] = sgf_io.parse_collection(data, "x")
    assert isinstance(tolerant, GameRecord)
    [strict] = sgf_io.parse_collection(data, "x", strict=True)
    assert isinstance(strict, Unreadable)
    assert STRICT_BAD[data] in strict.reason


def test_strict_mode_accepts_valid_ff4():
    data = (
        b"(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]HA[0]PL[B]AB[aa:bb]C[a \\] b]\n"
        b";B[pd];W[]\n(;B[tt]LB[dd:x]AR[aa:bb])(;B[dd]))"
    )
    [record] = sgf_io.parse_collection(data, "x", strict=True)
    assert isinstance(record, GameRecord) and moves(record) == "b:pd w:- b:tt"


# ---------------------------------------------------------------- writing

# Records whose problems stay in the tree, so that what is written is not strict FF[4] either,
# and records that sgfmill rejects or reads otherwise (the rules are to flag them).
NOT_STRICT = {"offboard_18x18.sgf", "bad_move_value.sgf", "both_b_and_w_in_node.sgf", "bad_handicap.sgf"}
NOT_SGFMILL = NOT_STRICT - {"bad_handicap.sgf"} | {"setup_in_main_line.sgf"}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_fixture_round_trips(name):
    """dump_tree re-reads to the same tree; dump_game is strict FF[4] UTF-8 that sgfmill reads alike."""
    [record] = read(name)
    again = sgf_io.read_game(sgf_io.dump_tree(record.root))
    assert again.root == record.root

    out = sgf_io.dump_game(record)
    out.decode("utf-8")
    written = sgf_io.read_game(out, strict=name not in NOT_STRICT)
    assert [m[:2] for m in written.moves] == [m[:2] for m in record.moves]
    assert written.encoding == "utf-8" and written.root.props["CA"] == [b"UTF-8"]
    for key in ("PB", "PW", "C"):  # control characters (C1 of a Latin-1 fallback) are never written
        assert written.text(key) == (None if record.text(key) is None else record.text(key).translate(CONTROLS))
    if name in NOT_SGFMILL:
        return
    game = sgfmill_sgf.Sgf_game.from_bytes(out)
    _, plays = sgf_moves.get_setup_and_moves(game)
    assert plays == [(m.colour, m.point) for m in record.moves]


def test_strict_rejects_offboard_moves_that_gofix_keeps():
    [record] = read("offboard_18x18.sgf")
    [strict] = sgf_io.parse_collection(sgf_io.dump_game(record), "x", strict=True)
    assert "B[ss]: not a move on the 18x18 board" in strict.reason


def test_dump_game_utf8_false_keeps_the_charset():
    [record] = read("charset_shift_jis_ca.sgf")
    out = sgf_io.dump_game(record, utf8=False)
    assert "本因坊秀策".encode("shift_jis") in out and b"CA[SJIS]" in out
    assert sgf_io.read_game(out).root == record.root


def test_dump_game_puts_ca_after_ff():
    record = sgf_io.read_game(b"(;GM[1]FF[3]CA[GB2312]SZ[19];B[pd])")
    assert sgf_io.dump_game(record).startswith(b"(;GM[1]FF[4]CA[UTF-8]SZ[19]\n;B[pd])")
    record = sgf_io.read_game(b"(;SZ[9];B[ee])")
    assert sgf_io.dump_game(record) == b"(;FF[4]CA[UTF-8]SZ[9]\n;B[ee])\n"


def test_dump_escapes_bare_brackets_and_lone_backslashes():
    root = Node({"C": [b"a ] b", b"ends with \\"]})
    assert sgf_io.dump_tree(root) == b"(;C[a \\] b][ends with \\\\])\n"


def test_dump_rejects_bad_identifiers():
    with pytest.raises(SgfError, match="'b' is not FF"):
        sgf_io.dump_tree(Node({"b": [b"aa"]}))


def test_dump_keeps_lines_short():
    nodes = b"".join(b";B[%s%s]" % (bytes([97 + i % 19]), bytes([97 + i // 19])) for i in range(300))
    data = b"(;FF[4]" + nodes + b")"
    out = sgf_io.dump_tree(sgf_io.read_game(data).root)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_dump_collection_and_unreadable():
    items = read("collection_third_broken.sgf")
    good = [r for r in items if isinstance(r, GameRecord)]
    out = sgf_io.dump_collection(good)
    again = sgf_io.parse_collection(out, "x", strict=True)
    assert [r.text("PB") for r in again] == ["one", "two", "four", "five"]
    with pytest.raises(SgfError, match="unreadable"):
        sgf_io.dump_collection(items)


# ---------------------------------------------------------------- deep trees and Node

def nested(depth: int) -> bytes:
    """One variation per move, each inside the previous: '(;FF[4](;B[aa](;W[bb](...'."""
    opens = b"".join(b"(;B[bb]" if i % 2 == 0 else b"(;W[aa]" for i in range(depth))
    return b"(;FF[4]SZ[19]" + opens + b")" * (depth + 1)


def test_deep_nesting_parses_dumps_and_compares():
    data = nested(5000)
    [record] = sgf_io.parse_collection(data, "deep")
    assert len(record.moves) == 5000 and record.warnings == []
    out = sgf_io.dump_tree(record.root)
    [again] = sgf_io.parse_collection(out, "deep")
    assert again.root == record.root and again == again
    assert copy.deepcopy(record).root == record.root
    assert pickle.loads(pickle.dumps(record)).root == record.root
    assert [list(n.props) for n in main_line(record.root)][-1] == ["W"]
    assert "children" in repr(record.root)


def test_deep_variation_tree_round_trips():
    """5,000 nodes deep, each with a one-node side variation."""
    root = node = Node({"SZ": [b"19"]})
    for i in range(5000):
        main = Node({"B" if i % 2 == 0 else "W": [b"aa"]})
        node.children += [main, Node({"C": [b"side %d" % i]})]
        node = main
    out = sgf_io.dump_tree(root)
    [record] = sgf_io.parse_collection(out, "deep")
    assert record.root == root and len(record.moves) == 5000


def test_node_equality_and_copies():
    a = Node({"B": [b"aa"]}, [Node({"W": [b"bb"]}), Node({"C": [b"x"]})])
    b = copy.deepcopy(a)
    assert a == b and a is not b and a.children[0] is not b.children[0]
    b.children[1].props["C"] = [b"y"]
    assert a != b
    assert a != Node({"B": [b"aa"]})
    assert (a == 1) is False
    assert [n.props for n in iter_nodes(a)] == [{"B": [b"aa"]}, {"W": [b"bb"]}, {"C": [b"x"]}]
    assert repr(Node({"C": [b"a" * 50]})) == "Node(;C[aaaaaaaaaaaaaaaaa...], 0 children)"


# ---------------------------------------------------------------- hypothesis round trip

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n]\\[;()"), max_size=20)
_POINTS = st.sampled_from([b"", b"aa", b"pd", b"dp", b"ss", b"tt", b"jj"])
_TEXT_KEYS = st.sampled_from(["C", "N", "PB", "GN", "XZ", "LB"])


@st.composite
def props(draw) -> dict[str, list[bytes]]:
    """A node's properties: maybe a move, maybe setup, and text values with ']', '\\', newlines."""
    out: dict[str, list[bytes]] = {}
    if draw(st.booleans()):
        out[draw(st.sampled_from(["B", "W"]))] = [draw(_POINTS)]
    if draw(st.integers(0, 4)) == 0:
        out["AB"] = draw(st.lists(_POINTS.filter(bool), min_size=1, max_size=3))
    for key in draw(st.lists(_TEXT_KEYS, max_size=3, unique=True)):
        out[key] = [encode_text(t) for t in draw(st.lists(_TEXT, min_size=1, max_size=3))]
    return out


@st.composite
def trees(draw) -> Node:
    """Up to 25 nodes, each attached under a random earlier one."""
    nodes = [Node(draw(props())) for _ in range(draw(st.integers(1, 25)))]
    for i in range(1, len(nodes)):
        nodes[draw(st.integers(0, i - 1))].children.append(nodes[i])
    return nodes[0]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_random_trees_round_trip(root):
    out = sgf_io.dump_tree(root)
    [record] = sgf_io.parse_collection(out, "h")
    assert record.root == root
    in_order = [list(n.props.items()) for n in iter_nodes(root)]
    assert [list(n.props.items()) for n in iter_nodes(record.root)] == in_order
    assert sgf_io.parse_collection(out, "h") == read_carefully(out, "h")


def read_carefully(data: bytes, source: str) -> list:
    """parse_collection without its fast path for plain single games."""
    fast = sgf_reader.fast_tree
    sgf_reader.fast_tree = lambda data: None
    try:
        return sgf_io.parse_collection(data, source)
    finally:
        sgf_reader.fast_tree = fast


@pytest.mark.parametrize("path", sorted(DATA.glob("*.sgf")), ids=lambda p: p.name)
def test_fast_path_reads_exactly_as_the_careful_reader(path):
    data = path.read_bytes()
    assert sgf_io.parse_collection(data, "x") == read_carefully(data, "x")


def test_fast_path_is_taken_for_a_plain_game():
    plain = b"(;GM[1]FF[4]SZ[19]KM[6.5]\n;B[pd];W[dd]C[hi];B[pp]\n(;W[dp];B[tt])(;W[cc]))\n"
    assert sgf_grammar.fast_tree(plain) is not None
    assert sgf_io.parse_collection(plain, "x") == read_carefully(plain, "x")


SGF_PIECES = [b"(", b")", b";", b"B[aa]", b"C[x", b"]", b"\\", b"W", b" "]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200) | st.lists(st.sampled_from(SGF_PIECES)).map(b"".join))
def test_parse_collection_never_raises(data):
    for item in sgf_io.parse_collection(data, "fuzz") + sgf_io.parse_collection(data, "fuzz", strict=True):
        assert isinstance(item, (GameRecord, Unreadable))


# ---------------------------------------------------------------- files, directories, archives

GAME = (DATA / "handicap_as_moves.sgf").read_bytes()
COLLECTION = (DATA / "collection_third_broken.sgf").read_bytes()


def make_tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a.sgf").write_bytes(GAME)
    (root / "b" / "c.SGF").write_bytes(COLLECTION)
    (root / "b" / "notes.txt").write_text("not a game")
    (root / "d.sgf").write_bytes(b"")


def test_directory_walk_is_sorted_recursive_and_case_insensitive(tmp_path):
    make_tree(tmp_path)
    ids = [(i.source, i.index, type(i).__name__) for i in sgf_io.iter_games(tmp_path)]
    c = str(tmp_path / "b" / "c.SGF")
    assert ids == [
        (str(tmp_path / "a.sgf"), 0, "GameRecord"),
        (c, 0, "GameRecord"),
        (c, 1, "GameRecord"),
        (c, 2, "Unreadable"),
        (c, 3, "GameRecord"),
        (c, 4, "GameRecord"),
        (str(tmp_path / "d.sgf"), 0, "Unreadable"),
    ]


def test_symlinked_files_are_read_and_symlinked_directories_are_not_followed(tmp_path):
    (tmp_path / "games").mkdir()
    (tmp_path / "games" / "a.sgf").write_bytes(GAME)
    (tmp_path / "games" / "link.sgf").symlink_to(tmp_path / "games" / "a.sgf")
    (tmp_path / "games" / "loop").symlink_to(tmp_path / "games", target_is_directory=True)
    sources = [i.source for i in sgf_io.iter_games(tmp_path)]
    assert sources == [str(tmp_path / "games" / "a.sgf"), str(tmp_path / "games" / "link.sgf")]


def test_missing_path_is_unreadable_not_an_exception(tmp_path):
    [item] = sgf_io.iter_games(tmp_path / "nope.sgf")
    assert isinstance(item, Unreadable) and "No such file" in item.reason


def archive_members() -> dict[str, bytes]:
    return {"top.sgf": GAME, "dir/sub/c.SGF": COLLECTION, "dir/readme.txt": b"hello", "dir/empty.sgf": b""}


def make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in archive_members().items():
            zf.writestr(name, data)
    return path


def make_tar(path: Path, mode: str) -> Path:
    with tarfile.open(path, mode) as tf:
        folder = tarfile.TarInfo("dir")
        folder.type = tarfile.DIRTYPE
        tf.addfile(folder)
        for name, data in archive_members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "name,make",
    [
        ("games.zip", make_zip),
        ("games.tar", lambda p: make_tar(p, "w")),
        ("games.tar.gz", lambda p: make_tar(p, "w:gz")),
        ("games.tgz", lambda p: make_tar(p, "w:gz")),
        ("games.tar.bz2", lambda p: make_tar(p, "w:bz2")),
    ],
)
def test_archives_are_streamed_with_member_ids(tmp_path, name, make):
    archive = make(tmp_path / name)
    items = list(sgf_io.iter_games(archive))
    ids = [(i.source, i.index, type(i).__name__) for i in items]
    c = f"{archive}!dir/sub/c.SGF"
    assert ids == [
        (f"{archive}!top.sgf", 0, "GameRecord"),
        (c, 0, "GameRecord"),
        (c, 1, "GameRecord"),
        (c, 2, "Unreadable"),
        (c, 3, "GameRecord"),
        (c, 4, "GameRecord"),
        (f"{archive}!dir/empty.sgf", 0, "Unreadable"),
    ]
    assert items[0].game_id == f"{archive}!top.sgf#0" and moves(items[0]) == "b:pd b:dp b:pp w:dd"
    # inside a directory too
    assert [i.source for i in sgf_io.iter_games(tmp_path)] == [i.source for i in items]


def test_corrupt_zip_is_one_unreadable(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    [item] = sgf_io.iter_games(bad)
    assert item.source == str(bad) and item.index == 0 and "cannot read" in item.reason


def test_truncated_tar_gz_yields_what_it_can_then_one_unreadable(tmp_path):
    archive = tmp_path / "big.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for i in range(200):
            padding = random.Random(i).randbytes(2000).hex().encode()  # incompressible
            data = GAME.replace(b"HA[3]", b"HA[3]GN[%d]" % i) + padding
            info = tarfile.TarInfo(f"g{i:03d}.sgf")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    cut = archive.with_name("cut.tar.gz")
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    items = list(sgf_io.iter_games(cut))
    assert 10 < len(items) < 200
    assert all(isinstance(i, GameRecord) for i in items[:-2])
    assert items[-1].source == str(cut) and isinstance(items[-1], Unreadable)


def test_tar_streaming_keeps_no_member_list(tmp_path, monkeypatch):
    archive = make_tar(tmp_path / "g.tar.gz", "w:gz")
    seen = []
    original = sources._read_tar_member

    def spy(tf, member):
        seen.append(len(tf.members))
        return original(tf, member)

    monkeypatch.setattr(sources, "_read_tar_member", spy)
    list(sgf_io.iter_games(archive))
    assert seen and max(seen) == 0


def test_iter_sources_loads_lazily(tmp_path):
    make_tree(tmp_path)
    pairs = list(sgf_io.iter_sources(tmp_path))
    assert [s for s, _ in pairs] == [str(tmp_path / p) for p in ("a.sgf", "b/c.SGF", "d.sgf")]
    assert pairs[0][1]() == GAME


# ---------------------------------------------------------------- atomic_write

def test_atomic_write_replaces_the_file(tmp_path):
    target = tmp_path / "out.sgf"
    target.write_bytes(b"old")
    target.chmod(0o640)
    sgf_io.atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["out.sgf"]


def test_atomic_write_failure_leaves_target_and_no_temp(tmp_path):
    target = tmp_path / "out.sgf"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        sgf_io.atomic_write(target, "not bytes")  # fails while writing
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.sgf"]
    folder = tmp_path / "dir.sgf"
    folder.mkdir()
    with pytest.raises(OSError):
        sgf_io.atomic_write(folder, b"x")  # fails at the rename
    assert sorted(os.listdir(tmp_path)) == ["dir.sgf", "out.sgf"] and os.listdir(folder) == []


# ---------------------------------------------------------------- the real corpus (optional)

@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("GOFIX_SLOW") or not (CORPUS / "pro-games.tar.gz").exists(),
    reason="needs GOFIX_SLOW=1 and ../shared/corpus/pro-games.tar.gz",
)
def test_main_lines_equal_sgfmill_on_5000_corpus_games():
    with tarfile.open(CORPUS / "pro-games.tar.gz", "r|*") as tf:
        members = (m for m in tf if m.isfile() and m.name.lower().endswith(".sgf"))
        checked = 0
        for member in itertools.islice(members, 5000):
            data = tf.extractfile(member).read()
            record = sgf_io.parse_collection(data, member.name)[0]
            _, plays = sgf_moves.get_setup_and_moves(sgfmill_sgf.Sgf_game.from_bytes(data))
            assert [(m.colour, m.point) for m in record.moves] == plays, member.name
            written = sgf_io.read_game(sgf_io.dump_game(record), strict=True)
            assert written.moves == record.moves, member.name
            checked += 1
    assert checked == 5000
