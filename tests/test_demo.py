"""data/demo.sgf: a real game (Shusaku - Gennan, 1846) with the three planted errors its root comment
lists, rebuilt byte for byte by scripts/make_demo.py, its moves those of the corpus's record."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from gofix.formats.read import read_game

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo.sgf"
CORPUS = Path(os.environ.get("GOFIX_CORPUS", ROOT.parent / "shared" / "corpus"))


def _make_demo():
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "scripts" / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_make_demo_rebuilds_the_demo_byte_for_byte(tmp_path):
    out = tmp_path / "demo.sgf"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo.py"), "--out", str(out)], check=True,
                   cwd=ROOT, capture_output=True)
    assert out.read_bytes() == DEMO.read_bytes()


def test_the_demo_is_the_game_with_exactly_the_planted_errors():
    mod = _make_demo()
    truth = mod.source_moves()
    demo = read_game(DEMO)
    assert len(truth) == 325 and len(demo.moves) == 323
    assert demo.text("PB") == "Yasuda Shusaku" and demo.text("PW") == "Inoue Gennan Inseki"
    comment = demo.text("C")
    assert "public domain" in comment and "homepages.cwi.nl/~aeb" in comment
    rec = [(m.colour, m.point) for m in demo.moves]
    real = [(m.colour, m.point) for m in truth]
    ops = [op for op in SequenceMatcher(None, real, rec, autojunk=False).get_opcodes() if op[0] != "equal"]
    # move 103 replaced; 174 and 176 exchanged (175 between them unchanged); 277-278 deleted
    changed = [(tag, i1 + 1, i2) for tag, i1, i2, _, _ in ops]
    assert changed[0] == ("replace", 103, 103)
    assert rec[173] == real[175] and rec[175] == real[173] and rec[174] == real[174]
    assert ("delete", 277, 278) in changed
    assert real[:102] == rec[:102] and real[278:] == rec[276:]
    for line in ("move 103: B T14 was really T13 (one point off)", "moves 174 and 176 exchanged",
                 "after move 276: the pair B O6, W O8"):
        assert line in comment


@pytest.mark.skipif(not (CORPUS / "pro-games.tar.gz").exists() or shutil.which("tar") is None,
                    reason="needs ../shared/corpus/pro-games.tar.gz and tar")
def test_the_source_moves_agree_with_the_corpus_record_move_by_move():
    data = subprocess.run(["tar", "-xzOf", str(CORPUS / "pro-games.tar.gz"), "--occurrence=1",
                           "pro/Shusaku/126.sgf"], check=True, capture_output=True).stdout
    corpus = read_game(data)
    assert [(m.colour, m.point) for m in corpus.moves] == [(m.colour, m.point) for m in _make_demo().source_moves()]
