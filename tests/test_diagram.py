from gofix.rules.diagram import local_diagram
from gofix.record import Move


def test_diagram_marks_recorded_and_proposed_points():
    moves = [Move("b", (3, 3)), Move("w", (3, 4)), Move("b", (4, 4))]
    lines = local_diagram(19, moves, 2, proposed=(5, 5), radius=1)
    assert lines[0].split() == ["D", "E", "F", "G"]
    text = "\n".join(lines)
    assert "[X]" in text and "(X)" in text
    row5 = next(line for line in lines if line.startswith("  5 "))
    assert row5.split() == ["5", ".", "[X]", ".", "."]
    row4 = next(line for line in lines if line.startswith("  4 "))
    assert row4.split() == ["4", "X", "O", ".", "."]
    row6 = next(line for line in lines if line.startswith("  6 "))
    assert row6.split() == ["6", ".", ".", "(X)", "."]


def test_diagram_of_an_occupied_point_and_a_pass():
    moves = [Move("b", (0, 0)), Move("w", (0, 0)), Move("b", None)]
    lines = local_diagram(9, moves, 1, radius=1)
    assert lines[-1].split() == ["1", "[X]", "."]  # the black stone already there, bracketed
    assert local_diagram(9, moves, 2) == []


def test_a_proposed_missing_move_is_drawn_in_its_own_colour():
    moves = [Move("b", (3, 3)), Move("w", (3, 4)), Move("b", (4, 4))]
    row6 = next(line for line in local_diagram(19, moves, 2, proposed=(5, 5), radius=1, proposed_colour="w")
                if line.startswith("  6 "))
    assert row6.split() == ["6", ".", ".", "(O)", "."]
