"""The SVG board of the review report: stones where the position has them, in the board's grid
units (x = col + 1, y = rows - row), for 9, 13, 19 and a rectangular board."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from gofix.coords import from_gtp
from gofix.record import Move
from gofix.review import svg


def _moves(size, *gtp):
    out = []
    for k, v in enumerate(gtp):
        p = from_gtp(v, size)
        out.append(Move("b" if k % 2 == 0 else "w", p, ""))
    return out


def _labels(text):
    root = ET.fromstring(text)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("size", [9, 13, 19])
def test_stones_at_their_grid_points_and_a_capture_removed(size):
    """A1 is at (1, size), the top-right corner at (size, 1); a captured stone is not drawn."""
    top = "ABCDEFGHJKLMNOPQRST"[size - 1]
    # B B1, W A1 (the corner), B A2 captures it; W the top-right corner, B C3
    moves = _moves(size, "B1", "A1", "A2", f"{top}{size}", "C3")
    pos = svg.position(size, moves, len(moves))
    text = svg.board_svg(pos)
    ET.fromstring(text)  # well-formed XML
    assert f'viewBox="-0.3 -0.3 {size + 1.6:g} {size + 1.6:g}"' in text
    pts = svg.stone_points(text)
    assert sorted(pts["b"]) == sorted([(2.0, float(size)), (1.0, float(size - 1)), (3.0, float(size - 2))])
    assert pts["w"] == [(float(size), 1.0)]  # A1 was captured: only the top-right white stone
    assert svg.xy(from_gtp("A1", size), size) == (1, size)
    # move numbers of the last moves, on the stones still standing (move 2, the captured A1, has none)
    numbers = {int(t) for t in re.findall(r'<text class="n n[bw]"[^>]*>(\d+)</text>', text)}
    assert numbers == {1, 3, 4, 5}
    assert svg.position(size, moves, len(moves), last=2).numbers == {from_gtp(f"{top}{size}", size): 4,
                                                                      from_gtp("C3", size): 5}


def test_coordinates_skip_i_and_count_rows_from_the_bottom():
    text = svg.board_svg(svg.Position(19, 19))
    labels = _labels(text)
    letters = [x for x in labels if x.isalpha()]
    assert "I" not in letters and letters[::2] == list("ABCDEFGHJKLMNOPQRST")
    assert [x for x in labels if x.isdigit()][::2] == [str(n) for n in range(1, 20)]


def test_rectangular_board():
    """A 9 wide, 5 high board: viewBox 10x6 (and a margin), the point (row 0, col 8) = J1 at (9, 5)."""
    pos = svg.Position(9, 5, {(0, 8): "b", (4, 0): "w", (2, 4): "b"})
    text = svg.board_svg(pos)
    assert 'viewBox="-0.3 -0.3 10.6 6.6"' in text
    pts = svg.stone_points(text)
    assert sorted(pts["b"]) == [(5.0, 3.0), (9.0, 5.0)] and pts["w"] == [(1.0, 1.0)]
    labels = _labels(text)
    assert [x for x in labels if x.isalpha()][::2] == list("ABCDEFGHJ")
    assert [x for x in labels if x.isdigit()][::2] == ["1", "2", "3", "4", "5"]
    assert 'd="M1 1h8M1 2h8M1 3h8M1 4h8M1 5h8M1 1v4' in text  # the grid: 5 lines across, 9 down


def test_marks_and_shared_grid():
    pos = svg.Position(9, 9, {(4, 4): "b"}, marks={(4, 4): svg.CHANGED, (0, 0): svg.ILLEGAL})
    text = svg.board_svg(pos, shared_grid=True)
    assert 'class="board g9x9"' in text and "<style>" not in text and 'class="grid"' not in text
    assert '<rect class="changed" x="4.5" y="4.5" width="1" height="1"/>' in text
    assert '<path class="illegal" d="M0.65 8.65' in text
    defs = svg.grid_defs([(9, 9), (19, 19), (9, 9)])
    assert defs.count("data:image/svg+xml,") == 2 and "svg.g9x9{" in defs and "svg.g19x19{" in defs
    from urllib.parse import unquote

    image = unquote(re.search(r'svg\.g9x9\{background:url\("data:image/svg\+xml,([^"]*)"\)', defs).group(1))
    assert ET.fromstring(image).get("viewBox") == "-0.3 -0.3 10.6 10.6" and 'class="grid"' in image
