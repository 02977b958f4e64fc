"""Pandanet-IGS UGF and UGI files -> ``ForeignGame`` (see ``common``).

The format is not published; this follows Sabaki's reader, checked against
real files. Sections in square brackets, ``key=value`` lines in the header::

    [Header]
    Lang=SJIS                         charset of the text (tried first)
    Title=... Place=...               -> GN, PC
    Date=2019/03/08,22:09:00,...      -> DT
    Rule=JPN                          -> RU (JPN Japanese, CHN Chinese, KOR Korean)
    Size=19                           -> SZ
    Hdcp=0,-5.50                      handicap -> HA, komi -> KM (as written)
    Winner=B,7.50                     -> RE[B+7.50]
    Copyright=... Comment=...         -> CP, GC
    PlayerB=kaziwami,7d,,...          name, rank -> PB, BR (PlayerW alike)
    [Data]
    QP,B1,1,0                         column, row (A = left, A = BOTTOM), colour,
                                      move number (0: a handicap stone, AB), time;
                                      YA is a pass
    [ReviewNode]                      the same moves again: not read
    [ReviewComment]
    .Comment,19                       the lines up to the next .Comment are the
    text...                           comment of node 19 (node 1 the root, node
                                      n + 1 move n)

A ``[Data]`` line cut short at the end of the file, or no ``[Data]`` section,
is a truncated file: Unreadable. The format has no move count (``Moves=`` is 0
in the files seen) and no end marker, so a file cut at the end of a line in
``[Data]`` cannot be told from a complete one for sure; the files PANDA-EGG
writes always have a ``[ReviewNode]`` section after ``[Data]``, so a file that
ends inside ``[Data]`` gets a warning ("may be cut short"). A comment on a node the game does not have is
kept in the root comment, with a warning.
"""

from __future__ import annotations

import re

from .common import FormatError, ForeignGame, check_size, on_board, show, to_int

__all__ = ["NAME", "parse", "declared_charset"]

NAME = "UGF"

_LANG = re.compile(rb"^Lang=([A-Za-z0-9_-]+)", re.M)
_RULES = {"JPN": "Japanese", "CHN": "Chinese", "KOR": "Korean"}
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATA = re.compile(r"([A-Z])([A-Z]),([BW])\d*,(\d+)(?:,.*)?$")
_PASS = "YA"



def declared_charset(data: bytes) -> str | None:
    """The charset the header names (``Lang=SJIS``), or None."""
    lang = _LANG.search(data[:4096])
    return lang.group(1).decode("ascii") if lang else None


def parse(text: str) -> ForeignGame:
    """One UGF/UGI file's decoded text as a ``ForeignGame``; raises FormatError quoting what cannot be read."""
    sections: dict[str, list[tuple[int, str]]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if re.fullmatch(r"\[[A-Za-z]+\]", stripped):
            current = sections.setdefault(stripped[1:-1], [])
        elif current is not None:
            current.append((number, line.rstrip("\r\n")))
    if "Header" not in sections:
        raise FormatError("no [Header] section")
    if "Data" not in sections:
        raise FormatError("file truncated: no [Data] section")
    game = ForeignGame()
    _header(dict(_key_values(sections["Header"])), game)
    cut = not text.rstrip(" \t").endswith(("\n", "\r"))
    ends_in_data = list(sections)[-1] == "Data"
    _data(sections["Data"], game, cut and ends_in_data)
    if ends_in_data:
        game.warnings.append("UGF file ends in its [Data] section, with no [ReviewNode] section after it: "
                             f"it may be cut short (the format has no move count; {len(game.moves)} moves read)")
    _comments(sections.get("ReviewComment", []), game)
    return game


def _key_values(lines):
    for _, line in lines:
        key, eq, value = line.partition("=")
        if eq:
            yield key.strip(), value.strip()


def _header(h: dict[str, str], game: ForeignGame) -> None:
    info = game.info
    if "Size" in h:
        size = to_int(h["Size"], "board size Size")
        if size is None:
            raise FormatError(f"board size 'Size={show(h['Size'])}' is not a number")
        game.size = check_size(size, h["Size"])
    for colour in "BW":
        name, _, rest = h.get("Player" + colour, "").partition(",")
        rank = rest.split(",")[0].strip()
        if name.strip():
            info["P" + colour] = name.strip()
        if rank:
            info[colour + "R"] = rank
    handicap, _, komi = h.get("Hdcp", "").partition(",")
    count = to_int(handicap, "handicap Hdcp")
    if count is not None and count >= 2:
        game.handicap = count
    if _NUMBER.fullmatch(komi.strip()):
        info["KM"] = komi.strip()
    date = re.match(r"(\d{4})/(\d{1,2})/(\d{1,2})", h.get("Date", ""))
    if date:
        info["DT"] = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"
    winner, _, margin = h.get("Winner", "").partition(",")
    winner, margin = winner.strip().upper(), margin.strip()
    if winner in ("B", "W"):
        if _NUMBER.fullmatch(margin) and float(margin) > 0:
            info["RE"] = f"{winner}+{margin}"
        else:
            info["RE"] = f"{winner}+"
            if margin and not _NUMBER.fullmatch(margin):
                game.warnings.append(f"UGF Winner margin '{show(margin)}' not understood; RE[{winner}+]")
    if h.get("Rule"):
        info["RU"] = _RULES.get(h["Rule"].upper(), h["Rule"])
    title = h.get("Title", "").strip(", ")
    for value, prop in ((title, "GN"), (h.get("Place"), "PC"), (h.get("Copyright"), "CP"), (h.get("Comment"), "GC")):
        if value:
            info[prop] = value


def _point(col: str, row: str, size: int) -> tuple[int, int]:
    """UGF letters -> (col, row from the top); rows count from the bottom."""
    return ord(col) - ord("A"), size - 1 - (ord(row) - ord("A"))


def _data(lines: list[tuple[int, str]], game: ForeignGame, cut: bool) -> None:
    body = [(n, line.strip()) for n, line in lines if line.strip()]
    for j, (number, line) in enumerate(body):
        m = _DATA.match(line)
        if m is None:
            if cut and j == len(body) - 1:
                raise FormatError(f"file truncated: the last move line '{show(line)}' is cut short")
            game.warnings.append(f"UGF line {number}: '{show(line)}' is not a move (column row,colour,number); "
                                 "skipped")
            continue
        col, row, colour, move_number = m.groups()
        if col + row == _PASS and move_number != "0":
            game.moves.append((colour, None))
            continue
        point = _point(col, row, game.size)
        if not on_board(point, game.size):
            game.warnings.append(f"UGF line {number}: move '{show(line)}' is off the board; skipped")
        elif move_number == "0":
            if colour == "B":
                game.setup.append(point)
            else:
                game.warnings.append(f"UGF line {number}: white stone '{show(line)}' before the game; skipped")
        else:
            game.moves.append((colour, point))
    if game.setup and not game.handicap:
        game.handicap = len(game.setup)


def _comments(lines: list[tuple[int, str]], game: ForeignGame) -> None:
    node = None
    texts: dict[int, list[str]] = {}
    for _, line in lines:
        m = re.match(r"\.Comment,\s*([0-9]+)", line)
        if m:
            node = to_int(m.group(1), "comment node number .Comment")
            texts.setdefault(node, [])
        elif node is not None:
            texts[node].append(line.strip())
    stray = []
    for node, parts in texts.items():
        text = "\n".join(parts).strip()
        if not text:
            continue
        if 1 <= node <= len(game.moves) + 1:
            game.comments[node - 1] = text
        else:
            stray.append(f"[comment on node {node}, which the game does not have]\n{text}")
            game.warnings.append(f"UGF comment on node {node}: the game has {len(game.moves) + 1} nodes; "
                                 "kept in the root comment")
    if stray:
        game.comments[0] = "\n\n".join(filter(None, [game.comments.get(0), *stray]))
