"""The KataGo engine without the real network: a tiny network written in KataGo's format, and the features.

Agreement with the official binary on real positions is ``test_engine_reference.py``.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from gofix.engine import modeldesc as md, modelfile as mf
from gofix.engine.engine import Engine
from gofix.engine.features import BLACK, GameFeatures, KBoard, WHITE
from gofix.engine.network import KataGoNet


def _w(rng, *shape, scale=0.3):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _bn(rng, name, c):
    return md.BatchNorm(name, _w(rng, c), np.abs(_w(rng, c)) + 0.5, _w(rng, c) + 1, _w(rng, c), 1e-4)


def _act(name, kind="ACTIVATION_RELU"):
    return md.Activation(name, kind)


def _conv(rng, name, cin, cout, k=3):
    return md.Conv(name, _w(rng, cout, cin, k, k))


def _mm(rng, name, cin, cout):
    return md.MatMul(name, _w(rng, cin, cout))


def tiny_desc(seed=0, version=15, c=8, mid=4, rms_tip=True, learnable_rope=True) -> md.ModelDesc:
    """A small network using every block kind: ordinary, gpool, nested (with attention and FFN)."""
    rng = np.random.default_rng(seed)
    heads, hd = 2, 2
    attn = md.AttentionBlock("att", heads, heads, hd, hd, True, learnable_rope,
                             md.TransformerNorm("att.norm", _w(rng, mid) + 1, 1e-6),
                             _mm(rng, "q", mid, heads * hd), _mm(rng, "k", mid, heads * hd),
                             _mm(rng, "v", mid, heads * hd), _mm(rng, "o", heads * hd, mid),
                             "rope", _w(rng, heads, hd // 2, 2) if learnable_rope else None,
                             0.0 if learnable_rope else 100.0)
    ffn = md.FFNBlock("ffn", mid, 6, True, md.TransformerNorm("ffn.norm", _w(rng, mid) + 1, 1e-6),
                      _mm(rng, "l1", mid, 6), _mm(rng, "gate", mid, 6), _mm(rng, "l2", 6, mid))
    inner = md.OrdinaryBlock("inner", _bn(rng, "a", mid), _act("a"), _conv(rng, "c1", mid, mid),
                             _bn(rng, "b", mid), _act("b"), _conv(rng, "c2", mid, mid))
    nested = md.NestedBlock("nested", _bn(rng, "pre", c), _act("pre", "ACTIVATION_MISH"), _conv(rng, "pc", c, mid, 1),
                            [attn, ffn, inner], _bn(rng, "post", mid), _act("post"), _conv(rng, "qc", mid, c, 1))
    gpool = md.GPoolBlock("gp", _bn(rng, "gp.pre", c), _act("x"), _conv(rng, "gp.r", c, mid), _conv(rng, "gp.g", c, 3),
                          _bn(rng, "gp.gbn", 3), _act("y"), _mm(rng, "gp.m", 9, mid), _bn(rng, "gp.mid", mid),
                          _act("z"), _conv(rng, "gp.f", mid, c))
    ordinary = md.OrdinaryBlock("ord", _bn(rng, "o1", c), _act("o1"), _conv(rng, "oc1", c, c),
                                _bn(rng, "o2", c), _act("o2"), _conv(rng, "oc2", c, c))
    trunk = md.Trunk("trunk", c, mid, mid, mid, 3, 1 if rms_tip else 0, _conv(rng, "init", 22, c, 5),
                     _mm(rng, "initm", 19, c), None, [ordinary, gpool, nested],
                     None if rms_tip else _bn(rng, "tip", c),
                     md.RMSNorm("tip", _w(rng, c) + 1, _w(rng, c), 1e-6, True) if rms_tip else None,
                     _act("tip", "ACTIVATION_SILU"))
    out = 2
    policy = md.PolicyHead("policy", out, _conv(rng, "p1", c, 4, 1), _conv(rng, "g1", c, 4, 1), _bn(rng, "g1", 4),
                           _act("g1"), _mm(rng, "gb", 12, 4), _bn(rng, "p1", 4), _act("p1"),
                           _conv(rng, "p2", 4, out, 1), _mm(rng, "pass", 12, 4), md.MatBias("pb", _w(rng, 4)),
                           _act("pa"), _mm(rng, "pass2", 4, out))
    value = md.ValueHead("value", _conv(rng, "v1", c, 4, 1), _bn(rng, "v1", 4), _act("v1"), _mm(rng, "v2", 12, 5),
                         md.MatBias("v2b", _w(rng, 5)), _act("v2"), _mm(rng, "v3", 5, 3), md.MatBias("v3b", _w(rng, 3)),
                         _mm(rng, "sv3", 5, 6), md.MatBias("sv3b", _w(rng, 6)), _conv(rng, "own", 4, 1, 1))
    post = dict(zip(mf._POSTPROCESS_KEYS, mf._POSTPROCESS_DEFAULTS))
    return md.ModelDesc("tiny", version, 22, 19, post, 0, False, trunk, policy, value)


@pytest.mark.parametrize("binary", [True, False])
def test_a_written_network_reads_back_identically(tmp_path, binary):
    desc = tiny_desc()
    path = tmp_path / ("tiny.bin.gz" if binary else "tiny.txt.gz")
    mf.write_model(desc, path, binary=binary)
    back = mf.read_model(path)
    assert back.name == "tiny" and back.version == 15 and back.source == str(path)
    a, b = list(md.arrays(desc)), list(md.arrays(back))
    assert len(a) == len(b) and all(np.allclose(x, y, rtol=0, atol=1e-6 if not binary else 0) for x, y in zip(a, b))
    assert mf.write_model(back, binary=True) == mf.write_model(desc, binary=True)


def test_the_network_runs_and_masks_the_off_board_points():
    net = KataGoNet(tiny_desc())
    rng = np.random.default_rng(1)
    small = np.zeros((2, 22, 9, 9), np.float32)
    small[:, 0] = 1
    small[:, 1:6] = rng.random((2, 5, 9, 9)) > 0.7
    glob = rng.random((2, 19)).astype(np.float32)
    out = net(torch.from_numpy(small), torch.from_numpy(glob))
    assert out.policy.shape == (2, 2, 82) and out.value.shape == (2, 3) and out.score.shape == (2, 6)
    # the same 9x9 board inside a 13x13 grid, the rest off the board: same outputs on the board
    big = np.zeros((2, 22, 13, 13), np.float32)
    big[:, :, :9, :9] = small
    outb = net(torch.from_numpy(big), torch.from_numpy(glob))
    board_b = outb.policy[:, 0, :169].reshape(2, 13, 13)[:, :9, :9].reshape(2, 81)
    assert torch.allclose(board_b, out.policy[:, 0, :81], atol=1e-4)
    assert torch.allclose(outb.value, out.value, atol=1e-4)
    assert torch.allclose(outb.policy[:, 0, -1], out.policy[:, 0, -1], atol=1e-4)


def test_the_other_rope_and_tip_kinds_and_old_versions_run(tmp_path):
    for desc in (tiny_desc(learnable_rope=False), tiny_desc(rms_tip=False)):
        net = KataGoNet(mf.parse_model(mf.write_model(desc)))
        sp = torch.zeros(1, 22, 7, 7)
        sp[:, 0] = 1
        assert torch.isfinite(net(sp, torch.zeros(1, 19)).policy).all()


def test_bad_files_name_the_path_and_what_was_found(tmp_path):
    junk = tmp_path / "junk.bin.gz"
    junk.write_bytes(b"\x00\x01 not a network")
    with pytest.raises(mf.ModelFileError, match="junk.bin.gz"):
        mf.read_model(junk)
    old = tmp_path / "v5.bin.gz"
    old.write_bytes(gzip.compress(b"oldnet\n5\n22\n19\n"))
    with pytest.raises(mf.ModelFileError, match=r"v5.bin.gz.*version 5 is not supported"):
        mf.read_model(old)
    cut = tmp_path / "cut.bin.gz"
    cut.write_bytes(gzip.compress(mf.write_model(tiny_desc())[:5000]))
    with pytest.raises(mf.ModelFileError, match="cut.bin.gz"):
        mf.read_model(cut)
    with pytest.raises(mf.ModelFileError, match="nowhere.bin.gz"):
        mf.read_model(tmp_path / "nowhere.bin.gz")


def test_engine_win_rate_is_blacks_whoever_moves(tmp_path):
    mf.write_model(tiny_desc(), tmp_path / "t.bin.gz")
    eng = Engine.load(tmp_path / "t.bin.gz")
    gf = GameFeatures(9, [("b", (4, 4)), ("w", (2, 2))], komi=6.5)
    ev = eng.evaluate(gf, [0, 1, 2])
    assert ev.policy.shape == (3, 82)
    assert np.allclose(ev.policy.sum(1), 1, atol=1e-5)
    assert ev.policy[1, (8 - 4) * 9 + 4] == 0  # the occupied point is illegal
    assert ((0 <= ev.winrate_black) & (ev.winrate_black <= 1)).all()


# --- features -------------------------------------------------------------------------------------

def _ascii_moves(rows: list[str]):
    """Setup stones from an ASCII board (top row first): X black, O white."""
    n = len(rows)
    b = [(n - 1 - y, x) for y, r in enumerate(rows) for x, ch in enumerate(r) if ch == "X"]
    w = [(n - 1 - y, x) for y, r in enumerate(rows) for x, ch in enumerate(r) if ch == "O"]
    return n, b, w


def test_a_working_ladder_is_marked_and_a_broken_one_is_not():
    rows = [".........",
            ".........",
            ".........",
            ".........",
            "...X.....",
            "..XO.....",  # the White stone at D4 (x=3, y=5) has one liberty, E4; the ladder runs up-right
            "...XX....",
            ".........",
            "........."]
    n, b, w = _ascii_moves(rows)
    gf = GameFeatures(n, [], setup_black=b, setup_white=w, komi=0)
    sp, _, _ = gf.position(0)
    assert gf.board(0).libs(gf.board(0).loc(3, 5)) == 1
    assert sp[14, 5, 3] == 1 and sp[14].sum() == 1  # only the White stone is ladder-captured
    broken = GameFeatures(n, [], setup_black=b, setup_white=w + [(n - 1 - 2, 6)], komi=0)  # a breaker at G7
    sp2, _, _ = broken.position(0)
    assert sp2[14].sum() == 0


def test_a_two_liberty_ladder_marks_the_moves_that_work():
    rows = [".........",
            ".........",
            ".........",
            ".........",
            "...X.....",
            "..XO.....",
            "....X....",  # D4 now has two liberties (E4, D3): either atari works on an empty board
            ".........",
            "........."]
    n, b, w = _ascii_moves(rows)
    gf = GameFeatures(n, [], setup_black=b, setup_white=w, komi=0)
    sp, _, _ = gf.position(0)  # Black to move: White's chain is the opponent's
    assert sp[14, 5, 3] == 1
    assert sp[17, 5, 4] == 1 and sp[17, 6, 3] == 1 and sp[17].sum() == 2
    sp_w, _, _ = gf.position(0, next_player=WHITE)  # with White to move the working moves are not shown
    assert sp_w[17].sum() == 0 and sp_w[14, 5, 3] == 1


def test_simple_ko_point_history_and_komi_planes():
    rows = [".XO..",
            "X.XO.",  # White plays B4 (x=1, y=1) and captures the Black stone at C4: a simple ko
            ".XO..",
            ".....",
            "....."]
    n, b, w = _ascii_moves(rows)
    gf = GameFeatures(n, [("w", (3, 1))], setup_black=b, setup_white=w, komi=7.5, first_player="w")
    board = gf.board(1)
    assert board.ko_loc == board.loc(2, 1)
    sp, gl, legal = gf.position(1)
    assert sp[6, 1, 2] == 1 and sp[6].sum() == 1 and not legal[1 * n + 2]
    assert sp[9, 1, 1] == 1 and sp[9].sum() == 1  # the last move
    assert sp[3, 1, 1] == 1  # the capturing stone has one liberty
    # komi: territory scoring chills a point per stone placed: 4 Black setup stones, 3 White, one White move
    assert gl[5] == pytest.approx(-(7.5 + 4 - 3 - 1) / 20)  # Black to move: minus White's komi
    assert gl[9] == 1 and gl[10] == 1 and gl[8] == 0  # territory scoring, seki tax, no suicide (Japanese)
    assert gl[18] == 0  # the parity wave is for area scoring only


def test_history_stops_at_two_moves_of_one_colour():
    moves = [("b", (3, 3)), ("b", (5, 5)), ("w", (4, 4))]
    gf = GameFeatures(9, moves, komi=6.5)
    sp, gl, _ = gf.position(3)  # Black to move; the last move is White's, the one before Black's ...
    assert sp[9].sum() == 1 and sp[10].sum() == 1  # ... and the one before that is Black's again: stop
    assert sp[11].sum() == 0
    sp, gl, _ = gf.position(2)  # White to move after two Black moves: only the last one shows
    assert sp[9].sum() == 1 and sp[10].sum() == 0


def test_illegal_moves_are_refused_with_their_number():
    with pytest.raises(ValueError, match="move 2"):
        GameFeatures(9, [("b", (3, 3)), ("w", (3, 3))])


# --- where the network comes from -----------------------------------------------------------------

def test_find_network_order(tmp_path, monkeypatch):
    from gofix.engine import locate
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.setattr(locate, "_katrain_models", lambda: [tmp_path / "home" / ".katrain"])
    assert locate.find_network() is None
    kat = tmp_path / "home" / ".katrain"
    kat.mkdir(parents=True)
    (kat / "net.bin.gz").write_bytes(b"x")
    assert locate.find_network().origin == "KaTrain"
    cached = tmp_path / "cache" / "gofix" / locate.NETWORK_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert locate.find_network() == locate.Found(cached, "gofix cache")
    env = tmp_path / "env.bin.gz"
    env.write_bytes(b"x")
    monkeypatch.setenv(locate.ENV_VAR, str(env))
    assert locate.find_network().path == env
    assert locate.find_network(kat / "net.bin.gz").origin == "--katago-model"
    with pytest.raises(locate.NetworkFetchError, match="nope.bin.gz: no such file"):
        locate.find_network(tmp_path / "nope.bin.gz")


def _wheel(members: dict) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


class _Resp:
    def __init__(self, data):
        import io
        self._b = io.BytesIO(data)
        self.headers = {"Content-Length": str(len(data))}

    def read(self, n=-1):
        return self._b.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_fetch_checks_the_network_and_writes_the_licence(tmp_path, monkeypatch):
    import hashlib
    from gofix.engine import locate
    net = b"a network"
    monkeypatch.setattr(locate, "NETWORK_SHA256", hashlib.sha256(net).hexdigest())
    wheel = _wheel({"katrain/models/" + locate.NETWORK_NAME: net, "katrain/__init__.py": b""})
    path = locate.fetch(tmp_path / "c", opener=lambda url: _Resp(wheel), wheel_url="https://example/katrain.whl")
    assert path.read_bytes() == net
    assert "Permission is hereby granted" in (tmp_path / "c" / (locate.NETWORK_NAME + ".LICENSE.txt")).read_text()
    bad = _wheel({"katrain/models/" + locate.NETWORK_NAME: b"tampered"})
    with pytest.raises(locate.NetworkFetchError, match="sha256"):
        locate.fetch(tmp_path / "d", opener=lambda url: _Resp(bad), wheel_url="u")
    assert not (tmp_path / "d" / locate.NETWORK_NAME).exists()
    with pytest.raises(locate.NetworkFetchError, match="not a wheel"):
        locate.fetch(tmp_path / "e", opener=lambda url: _Resp(b"<html>"), wheel_url="u")

    def offline(url):
        raise OSError("network unreachable")
    with pytest.raises(locate.NetworkFetchError, match="cannot download"):
        locate.fetch(tmp_path / "f", opener=offline, wheel_url="u")


def test_cli_engine_info(tmp_path, monkeypatch):
    from typer.testing import CliRunner
    from gofix.cli import app
    from gofix.engine import locate
    monkeypatch.setattr(locate, "find_network", lambda explicit=None: None)
    res = CliRunner().invoke(app, ["engine", "info"])
    assert res.exit_code == 1 and "gofix engine fetch" in res.output
    monkeypatch.undo()
    mf.write_model(tiny_desc(), tmp_path / "t.bin.gz")
    res = CliRunner().invoke(app, ["engine", "info", "--katago-model", str(tmp_path / "t.bin.gz"), "--positions", "4"])
    assert res.exit_code == 0, res.output
    assert "format version 15" in res.output and "bfloat16:" in res.output
    junk = tmp_path / "junk.bin.gz"
    junk.write_bytes(b"junk")
    res = CliRunner().invoke(app, ["engine", "info", "--katago-model", str(junk)])
    assert res.exit_code == 2 and "junk.bin.gz" in res.output and "Traceback" not in res.output
