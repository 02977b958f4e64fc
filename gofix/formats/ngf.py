"""WBaduk / Cyberoro NGF files -> ``ForeignGame`` (see ``common``).

The format is not published; this follows the readers of Sabaki, rooklift/sgf
and aeb's ngf2sgf, checked against real files. Twelve header lines, each
known only by its place, then one line per move::

    Rated game                      0  title -> GN
    19                              1  board size -> SZ
    LQC         9DP                 2  White: name, rank (9DP -> 9p, 7D* -> 7d, 5K -> 5k)
    CYY         9DP                 3  Black
    www.cyberoro.com                4  site -> PC
    0                               5  handicap -> HA, Tygem placement -> AB
    0                               6  (unknown)
    7                               7  komi; even games add the half point -> KM[7.5]
    20170316 [09:37]                8  date -> DT
    5                               9  (time)
    Black wins by 0.5!              10 result text -> RE when it is understood
    333                             11 number of moves: fewer move lines is a
                                       truncated file, more a warning
    PMABBREER                       PM, move number (2 letters), colour, column
                                    and row from the top with 'B' = 0, the same
                                    two letters reversed; 'AAAA' is a pass

A second dialect prefixes the header lines with ``GI`` (title, two players,
two blank lines, date, size, handicap, then unknown lines, the move count) and
puts the result after the moves (``IDB[211] <result>[EndTxt]``). Its players'
colours are not stated: their names go to GC, not PB/PW; its komi is not read.
A last move line cut short, a header shorter than twelve lines, or fewer
move lines than the header announces is a truncated file: Unreadable.
"""

from __future__ import annotations

import re

from .common import FormatError, ForeignGame, check_size, on_board, result_from_text, show, to_int, tygem_handicap

__all__ = ["NAME", "parse", "declared_charset"]

NAME = "NGF"

_MOVE = re.compile(r"PM([A-Z]{2})([BW])([A-Z])([A-Z])([A-Z])([A-Z])$")
_RANK = re.compile(r"(\d+)\s*(DP|D|K|P)\*?$", re.I)
_UNITS = {"DP": "p", "P": "p", "D": "d", "K": "k"}



def parse(text: str) -> ForeignGame:
    """One NGF file's decoded text as a ``ForeignGame``; raises FormatError quoting what cannot be read."""
    lines = [line.strip() for line in text.splitlines()]
    game = ForeignGame()
    cut = not text.rstrip(" \t").endswith(("\n", "\r"))  # no newline after the last line
    if lines and lines[0].startswith("GI"):
        announced = _gi_header(lines, game)
    else:
        announced = _header(lines, game)
    _moves(lines, game, cut)
    found = sum(1 for line in lines if line.startswith("PM"))  # move lines, read or skipped
    if announced is not None and announced > found:
        raise FormatError(f"file truncated: header announces {announced} moves, the file has {found}")
    if announced is not None and announced != len(game.moves):
        game.warnings.append(f"NGF header announces {announced} moves; the file has {len(game.moves)}")
    return game


def declared_charset(data: bytes) -> str | None:
    """The charset the file names: none in this format."""
    return None


def _number(line: str, what: str, index: int) -> int:
    value = to_int(line, f"line {index + 1}: {what}")
    if value is None or value < 0:
        raise FormatError(f"line {index + 1}: {what} '{show(line)}' is not a number")
    return value


def _header(lines: list[str], game: ForeignGame) -> int | None:
    if len(lines) > 1:  # garbage fails here, before it is taken for a short header
        game.size = check_size(_number(lines[1], "board size", 1), lines[1])
    header = next((k for k, line in enumerate(lines) if line.startswith("PM")), len(lines))
    if header < 12:
        raise FormatError(f"file truncated: the header has {header} of its 12 lines")
    info = game.info
    if lines[0]:
        info["GN"] = lines[0]
    for colour, line in (("W", lines[2]), ("B", lines[3])):
        name, rank = _player(line)
        if name:
            info["P" + colour] = name
        if rank:
            info[colour + "R"] = rank
    if lines[4]:
        info["PC"] = lines[4]
    _handicap(_number(lines[5], "handicap", 5), game)
    komi = re.fullmatch(r"-?[0-9]{1,6}(?:\.[0-9]{1,6})?", lines[7])
    if komi:
        value = float(komi.group()) + (0.5 if game.handicap == 0 and "." not in komi.group() else 0)
        info["KM"] = f"{value:g}"
    date = re.match(r"(\d{4})(\d\d)(\d\d)", lines[8])
    if date and date.group() != "00000000":
        info["DT"] = f"{date.group(1)}-{date.group(2)}-{date.group(3)}"
    _result(lines[10], game)
    return _count(to_int(lines[11], "line 12: move count"))


def _gi_header(lines: list[str], game: ForeignGame) -> int | None:
    gi = [line[2:].strip() for line in lines if line.startswith("GI")]
    if len(gi) < 11:
        raise FormatError(f"file truncated: the GI header has {len(gi)} of its 11 lines")
    game.size = check_size(_number(gi[6], "board size", 6), gi[6])
    if gi[0]:
        game.info["GN"] = gi[0]
    players = [p for p in gi[1:3] if p]
    if players:
        game.info["GC"] = "players (colours not given): " + ", ".join(players)
    date = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", gi[5])
    if date:
        game.info["DT"] = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"
    _handicap(_number(gi[7], "handicap", 7), game)
    for line in lines:
        m = re.match(r"IDB\[\d*\]\s*(.*?)(?:\[EndTxt\])?$", line)
        if m:
            _result(m.group(1), game)
    return _count(to_int(gi[10], "GI line 11: move count"))


def _count(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


def _player(line: str) -> tuple[str, str]:
    parts = line.split()
    if len(parts) < 2:
        return line, ""
    name, rank = " ".join(parts[:-1]), parts[-1]
    m = _RANK.match(rank)
    return name, f"{m.group(1)}{_UNITS[m.group(2).upper()]}" if m else rank.rstrip("*")


def _handicap(count: int, game: ForeignGame) -> None:
    if count >= 2:
        game.handicap = count
        game.setup = tygem_handicap(game.size, count)
        if not game.setup:
            game.warnings.append(f"NGF: no known placement for {count} handicap stones on {game.size}x{game.size}")


def _result(text: str, game: ForeignGame) -> None:
    result = result_from_text(text)
    if result:
        game.info["RE"] = result
    elif text:
        game.warnings.append(f"NGF result '{show(text)}' not understood; RE left out")


def _moves(lines: list[str], game: ForeignGame, cut: bool) -> None:
    last = next((line for line in reversed(lines) if line), "")
    if cut and not (_MOVE.match(last) or last.startswith(("GI", "IDB"))):
        raise FormatError(f"file truncated: the last line '{show(last)}' is cut short")
    for k, line in enumerate(lines):
        if not line.startswith("PM"):
            continue
        m = _MOVE.match(line)
        if m is None:
            game.warnings.append(f"NGF line {k + 1}: '{show(line)}' is not a move (PM, number, colour, "
                                 "4 letters); skipped")
            continue
        _, colour, c1, r1, r2, c2 = m.groups()
        if (c1, r1) != (c2, r2):
            game.warnings.append(f"NGF line {k + 1}: move '{line}' has two different points; the first read")
        x, y = ord(c1) - ord("B"), ord(r1) - ord("B")
        if (x, y) == (-1, -1):
            game.moves.append((colour, None))
        elif on_board((x, y), game.size):
            game.moves.append((colour, (x, y)))
        else:
            game.warnings.append(f"NGF line {k + 1}: move '{line}' is off the board; skipped")
