"""Charsets of SGF text: the declared CA[], what the bytes decode as, and detection when they disagree."""

from __future__ import annotations

import re

from gofix.record import Node, iter_nodes
from .sgf_grammar import Tree, first_value, show_value

def text_encoding(text: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """The charset of text from a file in another format, chosen as ``choose_encoding`` does.

    ``declared`` is the charset the file names, if any. ASCII: ``declared`` or
    UTF-8; valid UTF-8: UTF-8; else ``declared`` if it decodes the text; else
    detected among GB18030, Shift-JIS, EUC-KR, Big5 and Latin-1. Returns
    ``(codec name, notes for the record's warnings)``.
    """
    wanted = CHARSETS.get(re.sub(r"[^a-z0-9]", "", declared.lower())) if declared else None
    notes = [f"charset '{declared}' unknown; ignored"] if declared and wanted is None else []
    if text.isascii():
        return wanted or "utf-8", notes
    if decodes(text, "utf-8"):
        return "utf-8", notes
    if wanted and decodes(text, wanted):
        return wanted, notes
    detected = _detect(Node({"C": [text]}))
    if detected is None:
        return "latin-1", [*notes, "does not decode as any known charset; read as latin-1"]
    return detected, [*notes, f"is not UTF-8{' nor ' + declared if wanted else ''}; detected {detected}"]


CHARSETS = {
    "utf8": "utf-8",
    "ascii": "ascii",
    "usascii": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "euccn": "gb18030",
    "sjis": "shift_jis",
    "shiftjis": "shift_jis",
    "mskanji": "shift_jis",
    "cp932": "cp932",
    "windows31j": "cp932",
    "eucjp": "euc_jp",
    "euckr": "euc_kr",
    "ksc5601": "euc_kr",
    "ksc56011987": "euc_kr",
    "ksx1001": "euc_kr",
    "cp949": "cp949",
    "uhc": "cp949",
    "big5": "big5",
    "big5hkscs": "big5hkscs",
    "cp950": "big5",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "l1": "latin-1",
    "iso885915": "iso8859-15",
    "cp1252": "cp1252",
    "windows1252": "cp1252",
}
_DETECT = ["gb18030", "shift_jis", "euc_kr", "big5", "latin_1"]
_DETECTED_NAME = {"latin_1": "latin-1"}


# One valid UTF-8 multi-byte sequence (group 1), or one byte >= 0x80 that is in none (group 2).
_UTF8_SEQ = re.compile(rb"([\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                       rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                       rb"|\xf4[\x80-\x8f][\x80-\xbf]{2})|([\x80-\xff])")
NEAR_UTF8 = 0.75  # text is UTF-8 with a few bad bytes when its UTF-8 sequences hold this share of its bytes >= 0x80
_MIN_UTF8_BYTES = 6  # ... and at least this many bytes (two CJK characters): one stray byte is no evidence


def utf8_misfits(raw: bytes) -> list[int] | None:
    """When ``raw`` is UTF-8 except a few bytes (a damaged character or two): the offsets of those bytes.

    None when ``raw`` is valid UTF-8, or when too few of its bytes >= 0x80 are
    in valid UTF-8 sequences (``NEAR_UTF8``) for it to be UTF-8 (text in
    Latin-1, GBK, Shift-JIS, ... has almost none). One pass, O(len(raw)).
    """
    good, bad = 0, []
    for m in _UTF8_SEQ.finditer(raw):
        if m.group(1) is not None:
            good += len(m.group(1))
        else:
            bad.append(m.start())
    if not bad or good < _MIN_UTF8_BYTES or good < NEAR_UTF8 * (good + len(bad)):
        return None
    return bad


def misfit_note(bad: list[int], base: int = 0) -> str:
    shown = ", ".join(str(base + k) for k in bad[:5]) + (", ..." if len(bad) > 5 else "")
    what = "1 byte that is" if len(bad) == 1 else f"{len(bad)} bytes that are"
    return f"text is UTF-8 but for {what} not (at byte offset {shown}); read as U+FFFD"


def decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def choose_encoding(root: Node, raw: bytes, tree: Tree, strict: bool) -> str:
    """The charset of the game's text, in this order.

    ASCII text: CA (if known) or UTF-8. Text that is valid UTF-8: UTF-8 (a
    warning when CA says otherwise). Else CA if the text decodes with it.
    Else UTF-8 when it fits all but a few bytes (``utf8_misfits``: those read
    as U+FFFD, a warning gives their offsets). Else detected among GB18030,
    Shift-JIS, EUC-KR, Big5 and Latin-1, with a warning. Strict mode: CA (or FF[4]'s default, Latin-1) must decode it.
    """
    ca_raw = first_value(root.props, "CA")
    ca = ca_raw.decode("latin-1").strip() if ca_raw is not None else None
    declared = CHARSETS.get(re.sub(r"[^a-z0-9]", "", ca.lower())) if ca else None
    if ca and declared is None:
        tree.warn(f"unknown charset CA[{show_value(ca_raw)}] ignored")
    if strict:
        encoding = declared or "latin-1"
        if not decodes(raw, encoding):
            tree.deviate(f"text does not decode as {encoding} (CA[{ca or ''}])")
        return encoding
    if raw.isascii():
        return declared or "utf-8"
    if decodes(raw, "utf-8"):
        if declared and declared != "utf-8":
            tree.warn(f"CA[{ca}] is wrong: the text is UTF-8")
        return "utf-8"
    if declared and declared != "utf-8" and decodes(raw, declared):
        return declared
    bad = utf8_misfits(raw)
    if bad is not None:  # one damaged character must not turn the whole record into Latin-1 mojibake
        tree.warn(misfit_note(bad, tree.start) + (f" (CA[{ca}] does not decode it)" if declared else ""))
        return "utf-8"
    detected = _detect(root)
    if detected is None:
        tree.warn("text does not decode as any known charset; read as latin-1")
        return "latin-1"
    if ca:
        tree.warn(f"CA[{ca}] is wrong: the text does not decode with it; detected {detected}")
    else:
        tree.note(f"no CA and the text is not UTF-8; detected {detected}")
    return detected


def _detect(root: Node) -> str | None:
    """Best guess among the _DETECT charsets for the non-ASCII values of the tree."""
    from charset_normalizer import from_bytes  # imported only when needed

    payload = b"\n".join(
        v for node in iter_nodes(root) for values in node.props.values() for v in values if not v.isascii()
    )
    best = from_bytes(payload, cp_isolation=_DETECT).best()
    if best is None:
        return None
    return _DETECTED_NAME.get(best.encoding, best.encoding)


