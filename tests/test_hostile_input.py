"""Hostile and odd input: numbers no record needs, odd encodings, a bad byte, games over the limits.

Every case is made here, tiny; each must give a record or an ``Unreadable`` with a
clear reason, never "internal error while reading".
"""

import pytest

from gofix import formats as sgf_io
from gofix.formats import limits
from gofix.formats.charsets import utf8_misfits
from gofix.record import GameRecord

BIG = "9" * 5000  # over Python's 4,300-digit limit for int()

GIB = ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\[GAMEWHITENAME=white (4D)\\]\n"
       "\\[GAMEINFOMAIN=GBKIND:3,GRLT:0,ZIPSU:25,DUM:0,GONGJE:65,TCNT:0,AUSZ:0\\]\n\\HE\n\\GS\n2 1 0\n"
       "INI 0 1 0 &4\nSTO 0 2 1 3 3\nSTO 0 3 2 15 15\n\\GE\n")
NGF = ("Rated game\n19\nwhite player 2K*\nblack       5K\nwww.cyberoro.com\n0\n0\n6\n20200102 [10:00]\n5\n"
       "White wins by 3.5!\n3\nPMABBDDDD\nPMACWAAAA\nPMADBEEEE\n")
NGF_GI = "GI title\nGIa\nGIb\nGI\nGI\nGI2020-1-1\nGI19\nGI0\nGIx\nGIx\nGI2\nPMABBDDDD\nPMACWEEEE\n"
UGF = ("[Header]\nDate=2021/05/06,10:00:00\nSize=9\nHdcp=0,6.50\nWinner=W,3.00\n"
       "PlayerB=kuro,3k,,\nPlayerW=shiro,1d,,\n[Data]\nCG,B1,1,0\nEE,W1,2,0\n"
       "[ReviewNode]\nNODE,1,0,0,0\n[ReviewComment]\n.Comment,2\n nice\n")


def read(text: str, name: str):
    [item] = sgf_io.parse_items(text.encode("utf-8"), name)
    return item


@pytest.mark.parametrize("name, text", [("g.gib", GIB), ("n.ngf", NGF), ("gi.ngf", NGF_GI), ("u.ugf", UGF)])
def test_fixtures_read(name, text):
    assert isinstance(read(text, name), GameRecord)


@pytest.mark.parametrize("name, text, reason", [
    ("n.ngf", NGF.replace("\n19\n", f"\n{BIG}\n"), "line 2: board size '999"),
    ("n.ngf", NGF.replace("\n0\n0\n6\n", f"\n{BIG}\n0\n6\n"), "line 6: handicap '999"),
    ("n.ngf", NGF.replace("\n3\nPM", f"\n{BIG}\nPM"), "line 12: move count '999"),
    ("gi.ngf", NGF_GI.replace("GI2\n", f"GI{BIG}\n"), "GI line 11: move count '999"),
    ("u.ugf", UGF.replace("Size=9", f"Size={BIG}"), "board size Size '999"),
    ("u.ugf", UGF.replace("Hdcp=0,", f"Hdcp={BIG},"), "handicap Hdcp '999"),
    ("u.ugf", UGF.replace(".Comment,2", f".Comment,{BIG}"), "comment node number .Comment '999"),
    ("g.gib", GIB.replace("STO 0 2 1 3 3", f"STO 0 2 1 {BIG} 3"), "line 9: move value '999"),
    ("g.gib", GIB.replace("INI 0 1 0", f"INI 0 1 {BIG}"), "line 8: handicap '999"),
    ("g.gib", GIB.replace("GONGJE:65", f"GONGJE:{BIG}"), "komi GONGJE '999"),
    ("g.gib", GIB.replace("GONGJE:65", "GONGJE:" + "9" * 400), "komi GONGJE '999"),  # was OverflowError
    ("g.gib", GIB.replace("ZIPSU:25", "ZIPSU:" + "9" * 400), "score ZIPSU '999"),
    ("g.gib", GIB.replace("GRLT:0", f"GRLT:{BIG}"), "result kind GRLT '999"),
])
def test_huge_digit_strings_are_unreadable_with_the_reason(name, text, reason):
    item = read(text, name)
    assert isinstance(item, sgf_io.Unreadable), item
    assert reason in item.reason and "is too large" in item.reason
    assert "internal error" not in item.reason


@pytest.mark.parametrize("data", [f"(;GM[1]SZ[{BIG}];B[aa])", f"(;GM[1]SZ[{BIG}:{BIG}];B[aa])"])
def test_sgf_huge_board_size_is_unreadable(data):
    item = read(data, "s.sgf")
    assert isinstance(item, sgf_io.Unreadable) and "board size SZ[999" in item.reason
    assert "not supported" in item.reason


def test_sgf_huge_handicap_is_a_warning():
    item = read(f"(;GM[1]HA[{BIG}];B[aa])", "s.sgf")
    assert isinstance(item, GameRecord) and item.handicap == 0
    assert any("HA[999" in w and "too large" in w for w in item.warnings)


@pytest.mark.parametrize("name, text, check", [
    # '²'.isdigit() is True, but int('²') raises: a superscript is not a number, read as any other text
    ("n.ngf", NGF.replace("\n3\nPM", "\n²\nPM"), lambda g: len(g.moves) == 3),
    ("gi.ngf", NGF_GI.replace("GI2\n", "GI²\n"), lambda g: len(g.moves) == 2),
    ("u.ugf", UGF.replace("Hdcp=0,", "Hdcp=²,"), lambda g: g.handicap == 0),
])
def test_superscript_digits_are_not_numbers(name, text, check):
    item = read(text, name)
    assert isinstance(item, GameRecord), item
    assert check(item)


@pytest.mark.parametrize("name, text, reason", [
    ("n.ngf", NGF.replace("\n19\n", "\n¹⁹\n"), "line 2: board size '¹⁹' is not a number"),
    ("u.ugf", UGF.replace("Size=9", "Size=²"), "board size 'Size=²' is not a number"),
])
def test_superscript_board_size_is_unreadable(name, text, reason):
    item = read(text, name)
    assert isinstance(item, sgf_io.Unreadable) and reason in item.reason


# ------------------------------------------------------------------ UTF-16/32 files, a junk line before '(;'

GIB_KR = GIB.replace("black (3D)", "흑돌 (3D)")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("name, text", [("g.gib", GIB_KR), ("n.ngf", NGF.replace("black ", "黒 ")),
                                        ("u.ugf", UGF.replace("kuro", "黒")), ("s.sgf", "(;GM[1]PB[黒];B[aa])")])
def test_utf16_and_utf32_files_are_decoded_not_binary(codec, name, text):
    plain = read(text, name)
    [item] = sgf_io.parse_items(text.encode(codec), name)
    assert isinstance(item, GameRecord), item
    assert item.moves == plain.moves and item.text("PB") == plain.text("PB")
    assert item.text("PB") in ("흑돌", "黒")
    wide = "UTF-32" if "32" in codec else "UTF-16"
    assert f"file is {wide}; transcoded to UTF-8" in item.warnings
    assert item.raw == text.encode(codec) or name.endswith(".sgf")


def test_gib_name_with_a_junk_line_before_the_game_is_read_as_sgf():
    item = read("saved from the web\n(;GM[1]SZ[9]PB[kuro];B[ee];W[cc])\n", "game.gib")
    assert isinstance(item, GameRecord), item
    assert [m.sgf for m in item.moves] == ["ee", "cc"] and item.text("PB") == "kuro"
    assert sgf_io.sniff_format(b"junk\n(;GM[1];B[aa])", "x.gib") == "sgf"
    assert sgf_io.sniff_format(b"junk\nno tree", "x.gib") == "gib"  # else by the name, as before


# ------------------------------------------------------------------ one bad byte in a UTF-8 record (issue 20.8)

from gofix.record import encode_text  # noqa: E402

NAMES = "PB[檀啸]PW[박영훈]GN[第11届春兰杯决赛第2局]"


def damaged(text: str) -> tuple[bytes, int]:
    """``text`` in UTF-8 with the second byte of '春' replaced by '?', as Fox's files have it; its offset."""
    data = text.encode("utf-8")
    at = data.index("春".encode("utf-8")) + 1
    return data[:at] + b"?" + data[at + 1:], at


def test_one_bad_byte_in_a_utf8_record_is_utf8_with_a_replacement_and_the_offset():
    data, at = damaged(f"(;GM[1]FF[4]{NAMES};B[qd];W[dd])")
    [g] = sgf_io.parse_items(data, "fox.sgf")
    assert isinstance(g, GameRecord) and g.encoding == "utf-8"  # was latin-1: mojibake everywhere
    assert (g.text("PB"), g.text("PW")) == ("檀啸", "박영훈")
    assert g.text("GN").startswith("第11届") and "\ufffd" in g.text("GN") and g.text("GN").endswith("决赛第2局")
    assert any("text is UTF-8 but for" in w and f"at byte offset {at - 1}" in w for w in g.warnings), g.warnings
    out = sgf_io.dump_game(g)
    assert out.decode("utf-8")  # valid UTF-8 out
    assert not any(0x80 <= ord(c) < 0xA0 or (ord(c) < 0x20 and c not in "\t\n\r") for c in out.decode("utf-8"))


def test_one_bad_byte_in_a_utf8_gib_is_utf8_too():
    gib = GIB.replace("black (3D)", "檀啸春兰 (3D)")
    data, at = damaged(gib)
    [g] = sgf_io.parse_items(data, "fox.gib")
    assert isinstance(g, GameRecord) and g.text("PB").startswith("檀啸") and "\ufffd" in g.text("PB")
    assert any(f"at byte offset {at - 1}" in w for w in g.warnings), g.warnings


@pytest.mark.parametrize("text, encoding", [
    ("(;GM[1]PB[Müller]PW[Ærø]C[café crème];B[aa])", "latin-1"),  # real Latin-1 stays Latin-1
    ("(;GM[1]PB[檀啸]PW[春兰杯决赛];B[aa])", "gb18030"),  # real GBK is not taken for damaged UTF-8
])
def test_text_in_another_charset_is_not_taken_for_damaged_utf8(text, encoding):
    [g] = sgf_io.parse_items(text.encode(encoding), "x.sgf")
    assert g.encoding != "utf-8" and (encoding != "latin-1" or g.encoding == "latin-1")
    assert not any("text is UTF-8 but" in w for w in g.warnings)
    assert utf8_misfits(text.encode(encoding)) is None
    assert utf8_misfits(text.encode("utf-8")) is None  # valid UTF-8: nothing to report


def test_control_characters_are_never_written():
    assert encode_text("a\x01b\x85c\td\ne\x7f") == "a\ufffdb\ufffdc\td\ne\ufffd".encode("utf-8")
    [g] = sgf_io.parse_items(b"(;GM[1]CA[ISO-8859-1]PB[x\x85\x9by]C[\x01 caf\xe9];B[aa])", "c.sgf")
    assert g.encoding == "latin-1"
    out = sgf_io.dump_game(g).decode("utf-8")
    assert "PB[x\ufffd\ufffdy]" in out and "caf\u00e9" in out


# ------------------------------------------------------------------ games over the limits (issue 21.2)

import json  # noqa: E402
import random  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from gofix.rules.synth import random_game  # noqa: E402


def _sgf(n: int, seed: int = 0) -> str:
    return "(;GM[1]FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]"
                                         for m in random_game(random.Random(seed), n)) + ")"


def test_a_game_tree_over_max_nodes_is_unreadable_and_the_collection_goes_on(monkeypatch):
    monkeypatch.setattr(limits, "MAX_NODES", 300)
    data = "\n".join([_sgf(40, 1), _sgf(400, 2).replace(";B[", "(;B[", 1) + ")", _sgf(50, 3)]).encode()
    items = sgf_io.parse_items(data, "c.sgf")
    assert [type(i).__name__ for i in items] == ["GameRecord", "Unreadable", "GameRecord"]
    assert items[1].index == 1 and "more than 300 nodes" in items[1].reason and "MAX_NODES" in items[1].reason
    assert [len(items[0].moves), len(items[2].moves)] == [40, 50]
    [one] = sgf_io.parse_items(_sgf(400, 2).encode(), "one.sgf")  # the fast reader gives up on it too
    assert isinstance(one, sgf_io.Unreadable) and "MAX_NODES" in one.reason


def test_a_game_over_max_moves_is_unreadable(monkeypatch):
    monkeypatch.setattr(limits, "MAX_MOVES", 60)
    [item] = sgf_io.parse_items(_sgf(61).encode(), "long.sgf")
    assert isinstance(item, sgf_io.Unreadable)
    assert item.reason == "game has 61 moves, over gofix's limit of 60 per game (MAX_MOVES)"
    assert isinstance(sgf_io.parse_items(_sgf(60).encode(), "ok.sgf")[0], GameRecord)
    ngf = NGF.replace("\n3\nPM", "\n3\nPM")
    [item] = sgf_io.parse_items(ngf.encode(), "n.ngf")
    assert isinstance(item, GameRecord)
    monkeypatch.setattr(limits, "MAX_MOVES", 2)
    [item] = sgf_io.parse_items(ngf.encode(), "n.ngf")
    assert isinstance(item, sgf_io.Unreadable) and "game has 3 moves" in item.reason


def test_a_foreign_file_over_max_lines_is_not_parsed(monkeypatch):
    monkeypatch.setattr(limits, "MAX_LINES", 10)
    [item] = sgf_io.parse_items(NGF.encode(), "n.ngf")
    assert isinstance(item, sgf_io.Unreadable) and "lines, over gofix's limit of 10 (MAX_LINES)" in item.reason


def test_check_goes_on_past_a_record_over_the_limits(tmp_path, monkeypatch):
    from gofix.cli import app

    monkeypatch.setattr(limits, "MAX_MOVES", 100)
    (tmp_path / "a_long.sgf").write_text(_sgf(150, 4))
    (tmp_path / "b_fine.sgf").write_text(_sgf(60, 5))
    res = CliRunner().invoke(app, ["check", str(tmp_path), "--json", "--rules-only"])
    assert res.exit_code == 1 and "Traceback" not in res.output  # an unreadable record is exit 1, not a crash
    lines = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [(line["path"].rsplit("/", 1)[-1], line["status"]) for line in lines][:2] == [
        ("a_long.sgf", "unreadable"), ("b_fine.sgf", lines[1]["status"])]
    assert "MAX_MOVES" in lines[0]["error"] and lines[1]["status"] in ("clean", "flagged")


def test_the_tagger_runs_a_long_record_in_bounded_pieces(monkeypatch):
    from gofix.repair import detect
    from gofix.models.birnn import BiRNNTagger, preset

    import torch

    torch.manual_seed(0)
    det = detect.ModelDetector(BiRNNTagger(preset("tiny")).eval(), threshold=0.0)
    [rec] = sgf_io.parse_items(_sgf(300, 6).encode(), "r.sgf")
    whole = det.analyse(rec)
    seen = []
    forward = det._forward
    monkeypatch.setattr(det, "_forward", lambda exs, sym: seen.append(sum(len(e["features"]) for e in exs))
                        or forward(exs, sym))
    monkeypatch.setattr(detect, "CHUNK", 64)
    monkeypatch.setattr(detect, "OVERLAP", 32)
    pieces = det.analyse(rec)
    assert max(seen) <= 64 + 2 * 32 and len(seen) == 5  # never the whole record at once
    assert pieces.p_wrong.shape == whole.p_wrong.shape == (300,) and len(pieces.best_point) == 300
    assert abs(pieces.p_wrong - whole.p_wrong).max() < 0.05  # only the sequence context is cut
