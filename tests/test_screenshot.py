"""The review report in a real browser: headless Chromium renders it to a PNG (skipped where no
Chromium is installed, as on CI)."""

from __future__ import annotations

import importlib.util
import random
import shutil
from pathlib import Path

import pytest

from gofix.review.html import render
from gofix.review.model import game_from_line
from gofix.formats.read import read_game
from gofix.rules.synth import random_game

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("screenshot_review", ROOT / "scripts" / "screenshot_review.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
                    reason="no Chromium installed")
def test_chromium_renders_the_report_and_it_loads(tmp_path):
    moves = random_game(random.Random(7), 60)
    bad = list(moves)
    bad[40] = bad[40]._replace(point=bad[5].point, sgf=bad[5].sgf)
    path = tmp_path / "g.sgf"
    path.write_text("(;FF[4]GM[1]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in bad) + ")")
    line = {"path": str(path), "game": 0, "status": "flagged", "size": 19, "moves": 60, "error": None,
            "findings": [{"move": 41, "colour": bad[40].colour.upper(), "point": bad[40].sgf, "kind": "occupied",
                          "confidence": 1.0, "repair": "moved back (0.90)"}],
            "changed": True, "edits": [{"kind": "replace", "moves": [41], "confidence": 0.9, "description": "moved back"}]}
    html = tmp_path / "review.html"
    html.write_text(render([game_from_line(line, read_game(path), moves)], title="t"), encoding="utf-8")
    mod = _script()
    png = tmp_path / "review.png"
    mod.screenshot(html, png, 800, 900)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert int.from_bytes(data[16:20], "big") == 800 and int.from_bytes(data[20:24], "big") == 900
    assert mod.load_ms(html, runs=1) < 10_000


@pytest.mark.skipif(not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
                    reason="no Chromium installed")
def test_the_filters_and_the_sort_work_in_chromium(tmp_path):
    """The page's script, run by Chromium: kind 'suspect' hides the others, sort by confidence orders
    the sections and the index rows, highest first, and says how many are shown."""
    import re

    from gofix.review.model import ReviewGame, ReviewFinding

    def finding(move, kind, conf):
        return ReviewFinding(move, "B", "aa", kind, conf, None, False, "rules" if kind != "suspect" else "tagger", "")

    game = ReviewGame("g.sgf", 0, "flagged", False, 19, 80,
                      findings=[finding(10, "suspect", 0.6), finding(20, "occupied", 1.0), finding(30, "suspect", 0.9)])
    text = render([game], title="t").replace(
        "</body>", "<script>var k=document.getElementById('fkind');k.value='suspect';k.dispatchEvent(new Event('input'));"
                   "var s=document.getElementById('fsort');s.value='conf';s.dispatchEvent(new Event('input'));</script></body>")
    page = tmp_path / "p.html"
    page.write_text(text, encoding="utf-8")
    dom = _script().browser(["--dump-dom", page.as_uri()], text=True, timeout=120).stdout
    sections = re.findall(r'<section class="finding" id="(f\d)"[^>]*?( style="display: none;")?>', dom)
    assert [k for k, hidden in sections if not hidden] == ["f3", "f1"] and ("f2", ' style="display: none;"') in sections
    rows = re.findall(r'<tr data-order="(\d)"[^>]*?( style="display: none;")?>', dom)
    assert [k for k, hidden in rows if not hidden] == ["3", "1"] and ("2", ' style="display: none;"') in rows
    assert re.search(r'id="shown">2<', dom)
