"""Komi as written by servers -> komi in points (ground: no torch, no files).

Servers write komi in their own conventions; two records of one game can say
``KM[750]`` and ``KM[7.5]``. ``normalise_komi`` turns a written value into
points, and says what it read when that was not plain points:

=================  ======================================  ==========
written            convention                              points
=================  ======================================  ==========
``7.5``, ``6.50``  points                                  as written
``750``, ``650``   Fox: komi x100 (|value| >= 100)         7.5, 6.5
``375`` (Fox)      x100, and in stones (Chinese counting)  7.5
``3.75``, ``2.75`` in stones (Chinese counting): a komi    7.5, 5.5
                   that ends in .25 or .75 is twice that
``7,5``            decimal comma                           7.5
=================  ======================================  ==========

Tygem's GIB ``GONGJE`` (x10) is read by ``gib``; NGF's missing half point by
``ngf``. Used by ``reconcile`` (two komis conflict only when their points
differ), by ``formats.dump_game`` (gofix's output says ``KM`` in points, with a
note) and by the KataGo engine (its komi input).
"""

from __future__ import annotations

import math
import re

__all__ = ["normalise_komi", "MAX_KOMI"]

MAX_KOMI = 150.0  # no komi in points is larger; a value over it after reading is not a komi
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,7}(?:[.,][0-9]{0,9})?|[.,][0-9]{1,9})")


def normalise_komi(value: float | int | str | bytes) -> tuple[float | None, str | None]:
    """``(komi in points, note)`` for a komi as written (``KM[...]``'s text, or a number).

    ``note`` is None when the value was plain points; else one sentence that
    says what was read (``"KM[750] read as 7.5 points (komi x100, as Fox writes it)"``).
    ``(None, reason)`` when the value is no komi (not a number, not finite, or
    over MAX_KOMI points once read). Never raises.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        shown = text if len(text) <= 20 else text[:20] + "..."
        if not _NUMBER.fullmatch(text):
            return None, f"KM[{shown}] is not a number"
        komi = float(text.replace(",", "."))
        notes = ["decimal comma"] if "," in text else []
    else:
        try:
            komi = float(value)
        except (TypeError, ValueError, OverflowError):
            return None, f"komi {value!r} is not a number"
        shown, notes = f"{komi:g}", []
    if not math.isfinite(komi):
        return None, f"KM[{shown}] is not a number"
    if abs(komi) >= 100 and abs(komi) / 100 <= MAX_KOMI / 2:
        komi = round(komi / 100, 4)
        notes.append("komi x100, as Fox writes it")
    if (komi * 4) % 2 == 1:  # .25 or .75: stones, as Chinese counting says komi
        komi *= 2
        notes.append("in stones, as Chinese counting gives it")
    if abs(komi) > MAX_KOMI:
        return None, f"KM[{shown}] is not a komi (over {MAX_KOMI:g} points)"
    komi = komi + 0.0  # -0.0 -> 0.0
    if not notes:
        return komi, None
    return komi, f"KM[{shown}] read as {komi:g} points ({'; '.join(notes)})"
