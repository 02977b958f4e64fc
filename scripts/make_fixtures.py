"""Write the binary SGF fixtures of tests/data (charsets, UTF-16, BOM, binary garbage).

The text fixtures there are written by hand; these are generated because an
editor would mangle their bytes. Deterministic: running it again rewrites the
same bytes. Usage: python scripts/make_fixtures.py [OUT_DIR]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

# Texts chosen so that no encoded byte is 0x5C ('\\') or 0x5D (']').
TEXTS = {
    "gb18030": ("李昌镐", "曹薰铉", "黑棋在右上角占据了有利的位置，白棋随后进行了反击。"),
    "shift_jis": ("本因坊秀策", "井上幻庵", "黒は右上の星に打ち、白は左下の小目に打った。"),
    "euc_kr": ("이창호", "조훈현", "흑이 우상귀 화점에 두었고 백은 좌하귀 소목에 두었다."),
    "big5": ("林海峰", "王立誠", "黑棋在右上角佔據了有利的位置，白棋隨後進行了反擊。"),
    "latin-1": ("Müller", "Groß", "Schwarz spielt gut: Zug für Zug, à la française."),
}
CA_NAMES = {  # how real files spell them
    "gb18030": "GB2312",
    "shift_jis": "SJIS",
    "euc_kr": "EUC-KR",
    "big5": "Big5",
    "latin-1": "ISO-8859-1",
}


def game(encoding: str, ca: str | None, texts: tuple[str, str, str]) -> bytes:
    """A four-move 19x19 game whose player names and comment are in ``encoding``."""
    black, white, comment = (t.encode(encoding) for t in texts)
    for text in (black, white, comment):
        assert b"\\" not in text and b"]" not in text, (encoding, text)
    ca_prop = f"CA[{ca}]".encode() if ca else b""
    return (
        b"(;GM[1]FF[4]" + ca_prop + b"SZ[19]PB[" + black + b"]PW[" + white + b"]\n"
        b"C[" + comment + b"]\n;B[pd];W[dd];B[pq];W[dp])\n"
    )


def fixtures() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for encoding, texts in TEXTS.items():
        name = encoding.replace("-", "")
        out[f"charset_{name}_ca.sgf"] = game(encoding, CA_NAMES[encoding], texts)
        out[f"charset_{name}_no_ca.sgf"] = game(encoding, None, texts)
        if encoding != "latin-1":
            out[f"charset_{name}_wrong_ca.sgf"] = game(encoding, "UTF-8", texts)
    out["charset_utf8_wrong_ca.sgf"] = game("utf-8", "GB2312", TEXTS["gb18030"])
    out["charset_undecodable.sgf"] = (
        b"(;GM[1]FF[4]CA[UTF-8]SZ[19]PB[\x81\x81\xff\xfe]C[\xfe\x80\x80\xff\x81\x7f]\n;B[pd];W[dd])\n"
    )
    utf8 = game("utf-8", "UTF-8", TEXTS["shift_jis"])
    out["bom_utf8.sgf"] = b"\xef\xbb\xbf" + utf8
    text = utf8.decode("utf-8").replace("CA[UTF-8]", "")
    out["utf16le_bom.sgf"] = b"\xff\xfe" + text.encode("utf-16-le")
    out["utf16be_bom.sgf"] = b"\xfe\xff" + text.encode("utf-16-be")
    out["utf16le_no_bom.sgf"] = text.encode("utf-16-le")
    garbage = random.Random(20240501).randbytes(600)
    assert b"(;" not in garbage
    out["binary_garbage.sgf"] = garbage
    return out


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(fixtures().items()):
        (out_dir / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
