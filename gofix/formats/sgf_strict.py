"""Strict checks of SGF property values against the FF[4] grammar (``strict=True`` readers)."""

from __future__ import annotations

import re

from gofix.record import Node, iter_nodes
from .sgf_grammar import SETUP_KEYS, Tree, letters_point, show_value

_MOVE = {"B", "W"}
_POINT_LIST = {"AB", "AW", "AE", "TR", "SQ", "CR", "MA", "SL"}
_POINT_ELIST = {"DD", "VW", "TB", "TW"}
_NUMBER = {"SZ", "HA", "FF", "GM", "MN", "ST", "PM", "OB", "OW"}
_REAL = {"KM", "BL", "WL", "V"}  # not TM: free text in practice ("5h")
_DOUBLE = {"DM", "GB", "GW", "HO", "UC", "BM", "TE"}
_NONE = {"KO", "IT", "DO"}
_COMPOSED = {"LB", "AR", "LN"}
_ROOT_ONLY = {"SZ", "FF", "GM", "CA", "AP", "ST"}
_NUMBER_RE = re.compile(rb"[+-]?[0-9]+\Z")
_REAL_RE = re.compile(rb"[+-]?[0-9]+(?:\.[0-9]+)?\Z")


def check_strict(root: Node, size: int, tree: Tree) -> None:
    """Record a deviation for every value that breaks the FF[4] grammar of its property."""
    for node in iter_nodes(root):
        props = node.props
        if "B" in props and "W" in props:
            tree.deviate("a node has both B and W")
        if ("B" in props or "W" in props) and any(k in props for k in SETUP_KEYS):
            tree.deviate("a node mixes a move and setup (AB/AW/AE)")
        for key, values in props.items():
            if node is not root and key in _ROOT_ONLY:
                tree.deviate(f"root property {key} outside the root node")
            problem = _value_problem(key, values, size)
            if problem:
                tree.deviate(f"{key}[{show_value(b']['.join(values))}]: {problem}")


def _value_problem(key: str, values: list[bytes], size: int) -> str | None:
    """Why ``values`` are not valid for the known property ``key`` (None when valid or unknown)."""
    if key in _POINT_LIST or key in _POINT_ELIST:
        if values == [b""]:
            return None if key in _POINT_ELIST else "empty point list"
        bad = [v for v in values if not _is_point_or_rect(v, size)]
        return f"not a point on the {size}x{size} board" if bad else None
    if key in _COMPOSED:  # LB[pd:text], AR[aa:bb], LN[aa:bb]
        bad = [v for v in values if not _is_composed(v, size, point_second=key != "LB")]
        return "not point:" + ("text" if key == "LB" else "point") if bad else None
    if len(values) != 1:
        return f"{len(values)} values, one expected" if key in _KNOWN else None
    v = values[0]
    if key in _MOVE:
        ok = v == b"" or (v == b"tt" and size <= 19) or letters_point(v, size) is not None
        return None if ok else f"not a move on the {size}x{size} board"
    if key in _NUMBER:
        return None if _NUMBER_RE.match(v) else "not a number"
    if key in _REAL:
        return None if _REAL_RE.match(v) else "not a real number"
    if key in _DOUBLE:
        return None if v in (b"1", b"2") else "not 1 or 2"
    if key == "PL":
        return None if v in (b"B", b"W") else "not B or W"
    if key in _NONE:
        return None if v == b"" else "must be empty"
    return None


_KNOWN = _MOVE | _NUMBER | _REAL | _DOUBLE | _NONE | {"PL"}


def _is_composed(v: bytes, size: int, *, point_second: bool) -> bool:
    first, colon, last = v.partition(b":")
    if not colon or letters_point(first, size) is None:
        return False
    return not point_second or letters_point(last, size) is not None


def _is_point_or_rect(v: bytes, size: int) -> bool:
    first, colon, last = v.partition(b":")
    a = letters_point(first, size)
    return a is not None and (not colon or letters_point(last, size) is not None)


