"""Tygem / Fox GIB files -> ``ForeignGame`` (see ``common``).

The format is not published; what is read here is what the readers of
Sabaki, rooklift/sgf and gibson agree on, checked against real files::

    \\HS                                   header start
    \\[GAMEBLACKNAME=jy512 (15K)\\]         name, rank in brackets -> PB, BR (PW, WR alike)
    \\[GAMEINFOMAIN=...,GRLT:0,ZIPSU:40,...,GONGJE:65,...\\]
                                           GRLT result kind (0 B+score, 1 W+score,
                                           3 B+R, 4 W+R, 7 B+T, 8 W+T), ZIPSU the
                                           score x10, GONGJE the komi x10
    \\[GAMETAG=...,C2016:03:26:17:29,...\\]  date -> DT (else GAMEINFOSUB's GDATE)
    \\[GAMEPLACE=...\\] \\[GAMENAME=...\\] \\[GAMECOMMENT=...\\]  -> PC, GN, GC
    \\HE \\GS                               header end, game start
    INI 0 1 3 &4                           handicap 3 (Tygem placement, AB)
    STO 0 2 2 15 15                        move 2, White (1 Black), column 15,
                                           row 15 from the top, 0-based
    SKI 0 7                                move 7 is a pass (colour: the other
                                           side of the move before)
    \\GE                                    game end

The board is 19x19 (the format has no size). A file without ``\\GE`` is
truncated: Unreadable. Other lines (``2 1 0``, ``119 0 &4``) are ignored.
"""

from __future__ import annotations

import re

from .common import FormatError, ForeignGame, on_board, show, to_int, tygem_handicap

__all__ = ["NAME", "parse", "declared_charset"]

NAME = "GIB"

_HEADER = re.compile(r"\\\[([A-Z]+)=(.*)\\\]\s*$")
_RESULTS = {0: "B+", 1: "W+", 3: "B+R", 4: "W+R", 7: "B+T", 8: "W+T"}
_NAME_RANK = re.compile(r"(.*\S)\s*\(([^()]*)\)\s*$")



def parse(text: str) -> ForeignGame:
    """One GIB file's decoded text as a ``ForeignGame``; raises FormatError quoting what cannot be read."""
    game = ForeignGame(size=19)
    header: dict[str, str] = {}
    in_game = ended = False
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        last = line
        if line.startswith("\\GS"):
            in_game = True
        elif line.startswith("\\GE"):
            ended = True
            break
        elif not in_game:
            m = _HEADER.match(line)
            if m:
                header.setdefault(m.group(1), m.group(2).strip())
        else:
            _game_line(line, number, game)
    if not header and not in_game:
        raise FormatError("no GIB header ('\\HS', '\\[GAME...=...\\]') found")
    if not ended:
        where = f"after line '{show(last)}'" if last else "at the start"
        raise FormatError(f"file truncated: no '\\GE' game end {where}")
    _header_info(header, game)
    return game


def declared_charset(data: bytes) -> str | None:
    """The charset the file names: none in this format."""
    return None


def _game_line(line: str, number: int, game: ForeignGame) -> None:
    fields = line.split()
    kind = fields[0]
    if kind == "INI":
        if game.moves:
            game.warnings.append(f"GIB line {number}: handicap '{show(line)}' after the first move ignored")
            return
        count = to_int(fields[3], f"line {number}: handicap") if len(fields) > 3 else None
        if count is None:
            game.warnings.append(f"GIB line {number}: handicap '{show(line)}' is not a number; ignored")
        elif count >= 2:
            game.handicap = count
            game.setup = tygem_handicap(game.size, count)
            if not game.setup:
                game.warnings.append(f"GIB line {number}: no known placement for {count} handicap stones")
    elif kind == "STO":
        what = f"line {number}: move value"
        values = [to_int(f, what) for f in fields[3:6]] if len(fields) >= 6 else []
        if len(values) != 3 or None in values or values[0] not in (1, 2):
            game.warnings.append(f"GIB line {number}: move '{show(line)}' is not 'STO 0 number colour x y'; "
                                 "skipped")
            return
        colour, x, y = values
        if not on_board((x, y), game.size):
            game.warnings.append(f"GIB line {number}: move '{show(line)}' is off the board; skipped")
            return
        game.moves.append(("B" if colour == 1 else "W", (x, y)))
    elif kind == "SKI":
        previous = game.moves[-1][0] if game.moves else ("B" if game.handicap >= 2 else "W")
        game.moves.append(("W" if previous == "B" else "B", None))


def _header_info(header: dict[str, str], game: ForeignGame) -> None:
    info = game.info
    for colour, key in (("B", "GAMEBLACKNAME"), ("W", "GAMEWHITENAME")):
        raw = header.get(key, "")
        m = _NAME_RANK.match(raw)
        name, rank = (m.group(1), m.group(2).strip()) if m else (raw, "")
        if name:
            info["P" + colour] = name
        if rank:
            info[colour + "R"] = rank
    fields = dict(_pairs(header.get("GAMEINFOMAIN", "")))
    tag = dict((f[:1], f[1:]) for f in header.get("GAMETAG", "").replace("\t", "").split(",") if f[:1].isupper())
    kind = to_int(fields.get("GRLT", tag.get("W", "")), "result kind GRLT")
    if kind in _RESULTS:
        result = _RESULTS[kind]
        score = to_int(fields.get("ZIPSU", tag.get("Z", "")), "score ZIPSU")
        if result.endswith("+") and score:
            result += f"{score / 10:g}"
        info["RE"] = result
    komi = to_int(fields.get("GONGJE", header.get("GAMEGONGJE", tag.get("G", ""))), "komi GONGJE")
    if komi is not None:
        info["KM"] = f"{komi / 10:g}"
    date = re.match(r"(\d{4}):(\d\d):(\d\d)", tag.get("C", ""))
    if date is None:
        sub = dict(_pairs(header.get("GAMEINFOSUB", "")))
        date = re.match(r"(\d{4})-\s*(\d{1,2})-\s*(\d{1,2})", sub.get("GDATE", header.get("GAMEDATE", "")))
    if date:
        info["DT"] = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"
    for key, prop in (("GAMEPLACE", "PC"), ("GAMENAME", "GN"), ("GAMECOMMENT", "GC")):
        if header.get(key):
            info[prop] = header[key]


def _pairs(text: str):
    for part in text.split(","):
        key, colon, value = part.partition(":")
        if colon:
            yield key.strip(), value.strip()
