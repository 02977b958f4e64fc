"""GIB, NGF and UGF/UGI: readers, recognition by content, conversion and the commands that read them."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.rules.diagram import ascii_board
from gofix import formats as sgf_io
from gofix.rules.board import replay, replay_record
from gofix.cli import app
from gofix.formats.common import result_from_text, tygem_handicap
from gofix.record import GameRecord, decode_text, main_line

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "formats"
runner = CliRunner()


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"sample {path} not available")
    return path.read_bytes()


def read_one(data: bytes, source: str = "x") -> GameRecord:
    [item] = sgf_io.parse_collection(data, source)
    assert isinstance(item, GameRecord), item
    return item


def info(record: GameRecord) -> dict:
    return {k: record.text(k) for k in record.root.props if k not in ("AB", "C")}


def sgf_moves(record: GameRecord) -> list[str]:
    return [m.colour.upper() + m.sgf for m in record.moves]


# ------------------------------------------------------------------ the real samples, field by field


def test_gib_utf8_as_sabaki_reads_it():
    g = read_one(sample("sabaki-utf8.gib"), "games/sabaki-utf8.gib")
    assert info(g) == {"GM": "1", "FF": "4", "CA": "UTF-8", "SZ": "19", "GN": "Free", "PC": "Tygem Baduk",
                       "DT": "2016-03-26", "PB": "jy512", "BR": "15K", "PW": "leejw977", "WR": "10K",
                       "KM": "0", "HA": "3"}  # GRLT:255: no result
    assert g.root.props["AB"] == [b"dp", b"pd", b"dd"]  # Tygem's placement: upper left, not lower right
    assert g.handicap == 3 and sorted(g.setup_black) == [(3, 3), (15, 3), (15, 15)]
    assert sgf_moves(g)[:4] == ["Wpp", "Bnq", "Wqn", "Bno"]
    assert len(g.moves) == 118 and sgf_moves(g)[-1] == "Bki"
    assert g.encoding == "utf-8" and g.first_player is None and g.raw == sample("sabaki-utf8.gib")
    assert "read from the GIB file sabaki-utf8.gib" in g.text("C")


@pytest.mark.parametrize("name, fields, moves, first, last", [
    ("sabaki-gb2312.gib", {"PB": "石下之臣", "BR": "2段", "PW": "harpmaster", "WR": "3段", "RE": "W+11", "HA": "5",
                           "KM": "0", "DT": "2012-11-22", "GN": "让先", "PC": "弈道TYGEM对弈"}, 268, "Wqn", "Bdi"),
    ("sabaki-euc-kr.gib", {"PB": "dustkd1015", "BR": "1급", "PW": "dongjik", "RE": "B+T", "KM": "6.5",
                           "DT": "2015-08-29", "GN": "승강급 대국"}, 49, "Bqc", "Bbe"),
    ("rooklift-3handicap.gib", {"PB": "Silver Star", "BR": "8K", "PW": "jimmy", "WR": "5K", "RE": "B+4",
                                "HA": "3", "DT": "2017-03-16"}, 252, "Wpp", "Bdl"),
    ("sabaki-even.ngf", {"PB": "CYY", "BR": "9p", "PW": "LQC", "WR": "9p", "KM": "7.5", "RE": "B+0.5",
                         "DT": "2017-03-16", "SZ": "19"}, 333, "Bqd", "Bnl"),
    ("sabaki-handicap2.ngf", {"PB": "p81587", "BR": "5d", "PW": "ace550", "WR": "7d", "RE": "W+R", "HA": "2",
                              "KM": "0"}, 189, "Wpq", "Wgn"),
    ("rooklift-3handicap.ngf", {"PB": "ekfshddl", "BR": "4d", "PW": "wyh1207", "WR": "7d", "RE": "B+34",
                                "HA": "3", "DT": "2016-04-16"}, 283, "Wqp", "Wkh"),
    ("sabaki-gb2312.ngf", {"GN": "韩国十段战", "DT": "2006-09-05", "RE": "B+R"}, 211, "Bqd", "Bjn"),
    ("sabaki-amateur.ugf", {"CP": "PANDANET INC.", "KM": "-5.50", "PW": "YINNI", "WR": "8d", "PB": "kaziwami",
                            "BR": "7d", "DT": "2019-03-08", "RE": "B+7.50", "RU": "Japanese"}, 254, "Bqd", "Wni"),
    ("sabaki-review.ugi", {"PB": "ken03110", "BR": "2k", "PW": "apetresc", "WR": "2k?", "KM": "6.50",
                           "RE": "B+2.50", "DT": "2020-06-23"}, 222, "Bqd", "W"),
])
def test_samples_field_by_field(name, fields, moves, first, last):
    g = read_one(sample(name), name)
    got = info(g)
    assert {k: got.get(k) for k in fields} == fields
    assert len(g.moves) == moves
    assert sgf_moves(g)[0] == first and sgf_moves(g)[-1] == last
    assert replay_record(g).problems() == []  # every move legal: coordinates and handicap placement right


def test_sabaki_first_moves():
    assert sgf_moves(read_one(sample("sabaki-even.ngf")))[:4] == ["Bqd", "Wdd", "Bpq", "Wdp"]
    assert sgf_moves(read_one(sample("sabaki-amateur.ugf")))[:4] == ["Bqd", "Wdd", "Bpq", "Wdq"]


def test_handicap_samples_place_stones_as_ab():
    g = read_one(sample("sabaki-handicap2.ngf"))
    assert g.root.props["AB"] == [b"dp", b"pd"] and g.handicap == 2
    assert read_one(sample("sabaki-gb2312.gib")).root.props["AB"] == [b"dp", b"pd", b"dd", b"pp", b"jj"]


def test_ngf_gi_dialect_leaves_unstated_colours_out():
    g = read_one(sample("sabaki-gb2312.ngf"))
    assert g.text("PB") is None and g.text("PW") is None
    assert "朴承华 初段" in g.text("GC") and "李载雄 五段" in g.text("GC")
    assert any("gb18030" in w for w in g.warnings)


def test_ugi_review_comments_and_passes():
    g = read_one(sample("sabaki-review.ugi"))
    assert "Let's begin and enjoy a great game." in g.text("C")
    nodes = main_line(g.root)
    assert "white is ahead already" in decode_text(nodes[18].props["C"][0], "utf-8")  # .Comment,19
    assert "ken03110 done" in decode_text(nodes[222].props["C"][0], "utf-8")
    assert [m.point for m in g.moves[-3:]] == [None, None, None]  # YA: passes
    assert "node 269" in g.text("C") and any("node 269" in w for w in g.warnings)


@pytest.mark.parametrize("name", ["sabaki-utf8.gib", "sabaki-gb2312.gib", "sabaki-euc-kr.gib", "sabaki-even.ngf",
                                  "sabaki-gb2312.ngf", "rooklift-3handicap.ngf", "sabaki-amateur.ugf",
                                  "sabaki-review.ugi"])
def test_round_trip_through_sgf_replays_to_the_same_position(name):
    g = read_one(sample(name), name)
    again = read_one(sgf_io.dump_game(g))
    [strict] = sgf_io.parse_collection(sgf_io.dump_game(g), "x", strict=True)
    assert isinstance(strict, GameRecord)
    assert again.moves == g.moves and again.setup_black == g.setup_black
    assert ascii_board(replay_record(again).board) == ascii_board(replay_record(g).board)
    assert info(again) == info(g)


# ------------------------------------------------------------------ small files for each oddity

GIB_HEAD = ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\[GAMEWHITENAME=white (4D)\\]\n"
            "\\[GAMEINFOMAIN=GBKIND:3,GRLT:4,ZIPSU:0,DUM:0,GONGJE:0,TCNT:0,AUSZ:0\\]\n\\HE\n\\GS\n2 1 0\n")


def test_gib_handicap_and_pass():
    body = "INI 0 1 2 &4\nSTO 0 2 2 15 15\nSKI 0 3\nSTO 0 4 2 3 15\n\\GE\n"
    g = read_one((GIB_HEAD + body).encode(), "h.gib")
    assert g.root.props["AB"] == [b"dp", b"pd"] and g.handicap == 2
    assert sgf_moves(g) == ["Wpp", "B", "Wdp"] and g.text("RE") == "W+R"
    assert (g.text("PB"), g.text("BR")) == ("black", "3D")


def test_gib_off_board_move_is_skipped_with_a_warning():
    g = read_one((GIB_HEAD + "STO 0 1 1 19 3\nSTO 0 2 1 3 3\n\\GE\n").encode())
    assert sgf_moves(g) == ["Bdd"] and any("off the board" in w and "19 3" in w for w in g.warnings)


NGF = ("Rated game\n19\nwhite player 2K*\nblack       5K\nwww.cyberoro.com\n0\n0\n6\n20200102 [10:00]\n5\n"
       "White wins by 3.5!\n3\nPMABBDDDD\nPMACWAAAA\nPMADBEEEE\n")


def test_ngf_pass_and_header():
    g = read_one(NGF.encode(), "p.ngf")
    assert sgf_moves(g) == ["Bcc", "W", "Bdd"]
    assert info(g).items() >= {"PW": "white player", "WR": "2k", "PB": "black", "BR": "5k",
                               "KM": "6.5", "RE": "W+3.5", "DT": "2020-01-02"}.items()


def test_ngf_with_more_moves_than_announced_is_a_warning():
    g = read_one(NGF.replace("\n3\nPM", "\n2\nPM").encode())
    assert sgf_moves(g) == ["Bcc", "W", "Bdd"]
    assert any("announces 2 moves" in w for w in g.warnings)


def test_ngf_with_fewer_moves_than_announced_is_truncated():
    [item] = sgf_io.parse_collection(NGF.replace("\n3\nPM", "\n4\nPM").encode(), "t.ngf")
    assert isinstance(item, sgf_io.Unreadable)
    assert "file truncated: header announces 4 moves, the file has 3" in item.reason


@pytest.mark.parametrize("name", ["sabaki-even.ngf", "sabaki-handicap2.ngf", "sabaki-gb2312.ngf",
                                  "rooklift-3handicap.ngf"])
def test_real_ngf_cut_at_any_line_is_unreadable(name):
    data = sample(name)
    assert isinstance(read_one(data, name), GameRecord)  # the whole file reads
    lines = data.splitlines(keepends=True)
    for keep in (14, len(lines) // 3, len(lines) - 3):  # (a cut after the last move is not seen)
        [item] = sgf_io.parse_collection(b"".join(lines[:keep]), name)
        assert isinstance(item, sgf_io.Unreadable) and "file truncated" in item.reason, keep
    [item] = sgf_io.parse_collection(data[:1500], name)  # cut mid-line too
    assert isinstance(item, sgf_io.Unreadable) and "file truncated" in item.reason


@pytest.mark.parametrize("name", ["sabaki-amateur.ugf", "sabaki-review.ugi"])
def test_ugf_cut_inside_data_is_read_with_a_warning(name):
    data = sample(name)
    whole = read_one(data, name)
    assert not any("cut short" in w for w in whole.warnings)  # both samples end after [Data]
    lines = data.splitlines(keepends=True)
    cut = read_one(b"".join(lines[: len(lines) * 3 // 10]), name)
    assert len(cut.moves) < len(whole.moves)
    assert any("may be cut short" in w and "[ReviewNode]" in w for w in cut.warnings)


UGF = ("[Header]\nLang=SJIS\nDate=2021/05/06,10:00:00\nRule=JPN\nSize=9\nHdcp=2,0.50\nWinner=W,3.00\n"
       "PlayerB=kuro,3k,,\nPlayerW=shiro,1d,,\n[Data]\nGC,B1,0,0\nCG,B1,0,0\nEE,W1,1,0\nYA,B1,2,0\n"
       "[ReviewNode]\nNODE,1,0,0,0\n[ReviewComment]\n.Comment,1\n root note\n.Comment,2\n \x8d\x95 nice\n")


def test_ugf_handicap_stones_comment_and_sjis():
    g = read_one(UGF.encode("latin-1"), "c.ugf")
    assert g.size == 9 and g.handicap == 2 and g.root.props["AB"] == [b"gg", b"cc"]  # rows count from the bottom
    assert sgf_moves(g) == ["Wee", "B"]
    assert info(g).items() >= {"PB": "kuro", "BR": "3k", "PW": "shiro", "WR": "1d", "KM": "0.50",
                               "RE": "W+3.00", "DT": "2021-05-06", "RU": "Japanese", "SZ": "9"}.items()
    assert g.text("C").startswith("root note")
    assert decode_text(main_line(g.root)[1].props["C"][0], "utf-8") == "黒 nice"  # Shift-JIS


@pytest.mark.parametrize("name, data, reason", [
    ("t.gib", (GIB_HEAD + "STO 0 2 2 15 15\nSTO 0 3 1").encode(), "truncated: no '\\GE'"),
    ("t.ngf", NGF[:60].encode(), "truncated: the header has"),
    ("t.ngf", NGF[:-6].encode(), "truncated: the last line 'PMAD'"),
    ("t.ugf", UGF.split("[Data]")[0].encode(), "truncated: no [Data] section"),
    ("t.ugf", UGF.split("[ReviewNode]")[0][:-4].encode(), "truncated: the last move line 'YA,B1,'"),
    ("g.ngf", b"just some text\nnot a record\n", "line 2: board size 'not a record' is not a number"),
    ("b.gib", b"\\HS\x00\x01\x02binary", "binary data"),
])
def test_truncated_or_garbage_is_unreadable_with_the_reason(name, data, reason):
    [item] = sgf_io.parse_collection(data, name)
    assert isinstance(item, sgf_io.Unreadable)
    assert reason in item.reason and item.source == name


@pytest.mark.parametrize("data, name, fmt", [
    (GIB_HEAD.encode(), "renamed.sgf", "gib"),
    (NGF.encode(), "renamed.txt", "ngf"),
    (UGF.encode("latin-1"), "x.sgf", "ugf"),
    (b"(;GM[1]SZ[9];B[ee])", "x.gib", "sgf"),
    (b"Subject: mail\n\n(;GM[1];B[dd])", "", "sgf"),
    (b"nothing known", "x.ugi", "ugf"),
    (b"nothing known", "x", "sgf"),
])
def test_format_is_recognised_by_content_before_extension(data, name, fmt):
    assert sgf_io.sniff_format(data, name) == fmt


def test_wrong_extension_read_by_content(tmp_path):
    (tmp_path / "game.sgf").write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n\\GE\n").encode())
    g = sgf_io.read_game(tmp_path / "game.sgf")
    assert g.text("PB") == "black" and sgf_moves(g) == ["Bdd"]


def test_strict_mode_reads_sgf_only():
    [item] = sgf_io.parse_collection(NGF.encode(), "x.ngf", strict=True)
    assert isinstance(item, sgf_io.Unreadable) and "NGF file, not SGF" in item.reason


@pytest.mark.parametrize("text, result", [
    ("Black wins by 0.5!", "B+0.5"), ("White wins by  resign!", "W+R"), ("White loses on time", "B+T"),
    ("黒中押し勝ち!", "B+R"), ("232手完、黒2目半勝ち", "B+2.5"), ("白時間切れ勝ち！", "W+T"), ("흑 1.5집 승", "B+1.5"),
    ("黑中盘胜(现场消息)", "B+R"), ("Progressing!", None), ("白棋12子 >> 白方(94):黑方(82)", None),
    ("Black won by 2.5", "B+2.5"), ("Black wins 1st game by 2.5", "B+2.5"), ("White won by resignation", "W+R"),
])
def test_result_from_text(text, result):
    assert result_from_text(text) == result


def test_tygem_handicap_order():
    assert tygem_handicap(19, 4) == [(3, 15), (15, 3), (3, 3), (15, 15)]
    assert tygem_handicap(19, 1) == [] and tygem_handicap(19, 10) == []
    assert len(set(tygem_handicap(19, 9))) == 9


def test_directories_and_archives_yield_the_other_formats(tmp_path):
    (tmp_path / "a.gib").write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n\\GE\n").encode())
    (tmp_path / "b.NGF").write_bytes(NGF.encode())
    (tmp_path / "notes.txt").write_text("not a game")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("in/c.ugf", UGF.encode("latin-1"))
        zf.writestr("readme.txt", "skip me")
    buf = io.BytesIO(UGF.encode("latin-1"))
    with tarfile.open(tmp_path / "t.tar", "w") as tf:
        member = tarfile.TarInfo("d.ugi")
        member.size = len(buf.getvalue())
        tf.addfile(member, buf)
    items = sgf_io.read_file(tmp_path)
    assert [Path(i.source.replace("!", "/")).name for i in items] == ["a.gib", "b.NGF", "d.ugi", "c.ugf"]
    assert all(isinstance(i, GameRecord) for i in items)


# ------------------------------------------------------------------ the commands


@pytest.fixture()
def mixed(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.gib").write_bytes((GIB_HEAD + "STO 0 2 1 3 3\nSTO 0 3 2 15 15\n\\GE\n").encode())
    (src / "sub" / "b.ngf").write_bytes(NGF.encode())
    (src / "c.sgf").write_bytes(b"(;GM[1]FF[4]SZ[9];B[ee];W[cc])\n")
    (src / "broken.gib").write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n").encode())
    with zipfile.ZipFile(src / "arch.zip", "w") as zf:
        zf.writestr("d.ugf", UGF.encode("latin-1"))
    return src


def test_convert_mixed_directory_with_a_zip(mixed, tmp_path):
    before = {p: p.read_bytes() for p in mixed.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    res = runner.invoke(app, ["convert", str(mixed), "--out", str(out)])
    assert res.exit_code == 1, res.output  # broken.gib is unreadable
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.sgf"))
    assert written == ["a.gib.sgf", "arch/d.ugf.sgf", "c.sgf", "sub/b.ngf.sgf"]
    for path in out.rglob("*.sgf"):
        [g] = sgf_io.read_file(path, strict=True)
        assert isinstance(g, GameRecord) and g.root.props["CA"] == [b"UTF-8"]
    lines = [json.loads(line) for line in (out / "convert-report.jsonl").read_text().splitlines()]
    assert {(line["path"], line["status"]) for line in lines} == {
        ("a.gib.sgf", "converted"), ("arch/d.ugf.sgf", "converted"), ("broken.gib.sgf", "unreadable"),
        ("c.sgf", "converted"), ("sub/b.ngf.sgf", "converted")}
    assert "truncated" in next(line["reason"] for line in lines if line["status"] == "unreadable")
    assert "GIB" in res.output and "4 games in 4 files" in res.output
    assert {p: p.read_bytes() for p in mixed.rglob("*") if p.is_file()} == before  # SRC never written
    (out / "c.sgf").write_bytes(b"mine")
    res = runner.invoke(app, ["convert", str(mixed), "--out", str(out)])  # a finished run is not redone
    assert res.exit_code == 2 and "finished run" in res.output and "--force" in res.output
    assert (out / "c.sgf").read_bytes() == b"mine"
    runner.invoke(app, ["convert", str(mixed), "--out", str(out), "--force"])
    assert (out / "c.sgf").read_bytes().startswith(b"(;GM[1]FF[4]CA[UTF-8]")


def test_convert_refuses_output_inside_input(mixed):
    res = runner.invoke(app, ["convert", str(mixed), "--out", str(mixed / "out")])
    assert res.exit_code == 2


def test_format_error_is_a_gofix_error():
    from gofix.errors import GofixError
    from gofix.formats.common import FormatError

    assert issubclass(FormatError, GofixError) and issubclass(FormatError, ValueError)


def test_convert_never_writes_over_its_input_file(tmp_path):
    """'gofix convert cv/g.sgf --out cv --force' would rewrite g.sgf: an --out holding the input is
    refused; a hard link to the input where its output goes is refused per write, the rest converted."""
    import os

    folder = tmp_path / "cv"
    folder.mkdir()
    g = folder / "g.sgf"
    g.write_bytes(b"(;GM[1]SZ[9];B[ee];W[cc])\n")
    before = g.read_bytes()
    res = runner.invoke(app, ["convert", str(g), "--out", str(folder), "--force"])
    assert res.exit_code == 2 and g.read_bytes() == before
    assert "must not contain the input" in res.output and not (folder / "convert-report.jsonl").exists()
    out = tmp_path / "o"
    out.mkdir()
    os.link(g, out / "g.sgf")
    gib = folder / "a.gib"
    gib.write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n\\GE\n").encode())
    res = runner.invoke(app, ["convert", str(folder), "--out", str(out), "--force"])
    assert res.exit_code == 1 and g.read_bytes() == before
    assert "would overwrite the input" in res.output
    lines = {x["path"]: x for x in map(json.loads, (out / "convert-report.jsonl").read_text().splitlines())}
    assert lines["g.sgf"]["status"] == "refused" and str(g) in lines["g.sgf"]["reason"]
    assert lines["a.gib.sgf"]["status"] == "converted" and (out / "a.gib.sgf").is_file()
    assert gib.read_bytes().startswith(b"\\HS")


def test_convert_keeps_a_real_sgf_name_and_a_refusal_is_exit_1(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "g.gib").write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n\\GE\n").encode())
    (src / "g.gib.sgf").write_bytes(b"(;GM[1]FF[4]SZ[9];B[ee];W[cc])\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["convert", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sgf_moves(sgf_io.read_game(out / "g.gib.sgf")) == ["Bee", "Wcc"]  # the real one keeps its name
    assert sgf_moves(sgf_io.read_game(out / "g.gib~.sgf")) == ["Bdd"]  # the converted GIB beside it
    with zipfile.ZipFile(src / "z.zip", "w") as zf:  # a member whose name escapes: refused, exit 1
        zf.writestr("../evil.sgf", b"(;GM[1]SZ[9];B[ee])")
    res = runner.invoke(app, ["convert", str(src), "--out", str(tmp_path / "out2")])
    assert res.exit_code == 1, res.output
    assert "refused" in res.output and not (tmp_path / "evil.sgf").exists()


def test_check_reads_a_gib(tmp_path):
    path = tmp_path / "g.gib"
    path.write_bytes(sample("sabaki-utf8.gib"))
    res = runner.invoke(app, ["check", str(path), "--rules-only", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.splitlines()[0])
    assert report["status"] == "clean" and report["moves"] == 118


def test_fix_in_place_on_ngf_writes_beside_it_and_leaves_the_input(tmp_path):
    path = tmp_path / "game.ngf"
    path.write_bytes(NGF.encode())
    res = runner.invoke(app, ["fix", str(path), "--in-place", "--rules-only"])
    assert res.exit_code == 0, res.output
    assert path.read_bytes() == NGF.encode() and not (tmp_path / "game.ngf.bak").exists()
    g = sgf_io.read_game(tmp_path / "game.ngf.sgf", strict=True)
    assert sgf_moves(g) == ["Bcc", "W", "Bdd"] and "game.ngf" in g.text("C")
    res = runner.invoke(app, ["fix", str(path), "--in-place", "--rules-only"])
    assert res.exit_code == 2 and "exists" in res.output  # never overwritten without --force


def test_fix_out_on_gib(tmp_path):
    path = tmp_path / "g.gib"
    path.write_bytes((GIB_HEAD + "STO 0 2 1 3 3\n\\GE\n").encode())
    res = runner.invoke(app, ["fix", str(path), "-o", str(tmp_path / "o.sgf"), "--rules-only"])
    assert res.exit_code == 0, res.output
    assert sgf_io.read_game(tmp_path / "o.sgf", strict=True).text("PB") == "black"


def test_clean_mirrors_with_sgf_added(mixed, tmp_path):
    out = tmp_path / "cleaned"
    res = runner.invoke(app, ["clean", str(mixed), "--out", str(out), "--rules-only", "--jobs", "1"])
    assert res.exit_code == 1, res.output  # broken.gib unreadable
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.sgf"))
    assert written == ["a.gib.sgf", "arch/d.ugf.sgf", "c.sgf", "sub/b.ngf.sgf"]
    assert (out / "c.sgf").read_bytes() == (mixed / "c.sgf").read_bytes()  # unchanged SGF: copied
    g = sgf_io.read_game(out / "sub" / "b.ngf.sgf", strict=True)
    assert sgf_moves(g) == ["Bcc", "W", "Bdd"]
    report = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert any(r["status"] == "unreadable" and r["path"].endswith("broken.gib") for r in report)


def test_corrupt_writes_sgf_names(tmp_path):
    src = tmp_path / "g.ngf"
    src.write_bytes(sample("sabaki-even.ngf"))
    out = tmp_path / "noisy"
    res = runner.invoke(app, ["corrupt", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text().splitlines()]
    assert truth[0]["path"] == "g.ngf.sgf" and (out / "g.ngf.sgf").is_file()


def test_replay_of_converted_game_matches_original_moves():
    g = read_one(sample("rooklift-3handicap.gib"))
    direct = replay(19, [(m.colour, m.point) for m in g.moves], setup_black=g.setup_black)
    assert ascii_board(direct.board) == ascii_board(replay_record(read_one(sgf_io.dump_game(g))).board)
