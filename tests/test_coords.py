import pytest

from gofix import coords
from gofix.errors import CoordinateError


@pytest.mark.parametrize("size", [2, 9, 13, 19, 25])
def test_every_point_round_trips_through_every_system(size):
    for row in range(size):
        for col in range(size):
            p = (row, col)
            assert coords.from_sgf(coords.to_sgf(p, size), size) == p
            assert coords.from_gtp(coords.to_gtp(p, size), size) == p
            assert coords.from_flat(coords.to_flat(p, size), size) == p
    assert coords.from_flat(coords.to_flat(None, size), size) is None
    assert coords.from_gtp(coords.to_gtp(None, size), size) is None
    assert coords.from_sgf(coords.to_sgf(None, size), size) is None


@pytest.mark.parametrize(
    "sgf,gtp",
    [("pd", "Q16"), ("dp", "D4"), ("aa", "A19"), ("ss", "T1"), ("jj", "K10"), ("ia", "J19")],
)
def test_known_points_19(sgf, gtp):
    assert coords.from_sgf(sgf, 19) == coords.from_gtp(gtp, 19)
    assert coords.to_gtp(coords.from_sgf(sgf, 19), 19) == gtp


def test_passes():
    assert coords.from_sgf("", 19) is None
    assert coords.from_sgf("tt", 19) is None
    assert coords.from_sgf("  ", 19) is None
    # on a board larger than 19, 'tt' is a real point
    assert coords.from_sgf("tt", 21) == (21 - 1 - 19, 19)


@pytest.mark.parametrize("bad,size", [("ss", 18), ("zz", 19), ("p", 19), ("p1", 19), ("pdq", 19)])
def test_bad_sgf_points_raise_quoting_the_input(bad, size):
    with pytest.raises(CoordinateError, match=repr(bad)):
        coords.from_sgf(bad, size)


@pytest.mark.parametrize("bad", ["I5", "Z1", "A20", "Q0", "16Q", ""])
def test_bad_gtp_raises(bad):
    with pytest.raises(CoordinateError):
        coords.from_gtp(bad, 19)


def test_check_size():
    for ok in (2, 19, 25):
        assert coords.check_size(ok) == ok
    for bad in (0, 1, 26, 52):
        with pytest.raises(CoordinateError, match=str(bad)):
            coords.check_size(bad)


def test_symmetries_are_distinct_bijections():
    size = 5
    points = [(r, c) for r in range(size) for c in range(size)]
    images = set()
    for sym in range(8):
        mapped = [coords.transform(p, sym, size) for p in points]
        assert sorted(mapped) == sorted(points)
        images.add(tuple(mapped))
        assert coords.transform(None, sym, size) is None
    assert len(images) == 8
    assert [coords.transform(p, 0, size) for p in points] == points
