"""The review page of ``gofix compare A B ... --html FILE``: each region where the records of one game
differ, every record's version on a whole board side by side, and the verdict with its reason.

One ``<section class="region">`` per region (``id="r1"``, ...; ``data-kind``, ``data-verdict``: the
index of the record judged right, or "" when undecided): for each record, the board after its moves of
the region, in the first record's orientation (``compare.RegionReport.symmetries``), the region's
stones framed and numbered, with the record's own move numbers; the versions listed
(``compare.version_text``); the verdict in words (given by the caller, as the CLI says it).
"""

from __future__ import annotations

from typing import Sequence

from ..align import in_orientation
from ..compare import RegionReport, version_text
from ..coords import on_board, transform
from ..record import GameRecord
from . import svg
from .html import _e, document, figure

REGION_NUMBERS = 20  # at most this many of a region's moves numbered on its boards


def compare_page(files: Sequence[str], records: Sequence[GameRecord], reports: Sequence[RegionReport],
                 verdicts: Sequence[str], *, title: str = "gofix compare: review") -> str:
    """The page (see the module doc); ``verdicts[k]`` is region k's verdict in words."""
    size = records[0].size
    head = [f"<h1>{_e(title)}</h1><p>{len(records)} records of one game ({size}x{size}); "
            + (f'<b id="n-regions">{len(reports)}</b> regions differ.' if reports else
               '<b id="n-regions">0</b> regions differ: the records agree.') + '</p><ul style="list-style:none">']
    for i, (f, rec) in enumerate(zip(files, records)):
        sym = reports[0].symmetries[i] if reports and reports[0].symmetries else 0
        head.append(f"<li>[{i}] {_e(f)}: {len(rec.moves)} moves"
                    + (f", {_e(rec.text('PB') or '?')} (B) vs {_e(rec.text('PW') or '?')} (W)" if rec.text("PB") or
                       rec.text("PW") else "") + (f" (symmetry {sym} into [0]'s orientation)" if sym else "") + "</li>")
    head.append("</ul>")
    if reports:
        head.append('<table id="index"><thead><tr><th>#</th><th>kind</th><th>moves</th><th>verdict</th></tr></thead>'
                    "<tbody>" + "".join(
                        f'<tr><td><a href="#r{n}">{n}</a></td><td>{_e(r.kind)}</td><td>{_e(_where(r))}</td>'
                        f"<td>{_e(v)}</td></tr>" for n, (r, v) in enumerate(zip(reports, verdicts), 1))
                    + "</tbody></table>")
    sections = [_section(n, files, records, r, v) for n, (r, v) in enumerate(zip(reports, verdicts), 1)]
    return document(title, "".join(head + sections), {(size, size)})


def _where(r: RegionReport) -> str:
    return ", ".join(f"[{i}] " + (str(a) if a == b else f"{a}-{b}" if a < b else f"none (after {b})")
                     for i, (a, b) in enumerate(r.moves))


def _section(n: int, files, records, r: RegionReport, verdict: str) -> str:
    size = records[0].size
    figs, lists = [], []
    for i, rec in enumerate(records):
        sym = r.symmetries[i] if r.symmetries else 0
        moves = in_orientation(rec.moves, sym, size)
        lo, hi = r.spans[i]
        pos = svg.position(size, moves, hi, last=min(max(hi - lo, 1), REGION_NUMBERS),
                           setup_black=[transform(p, sym, size) for p in rec.setup_black],
                           setup_white=[transform(p, sym, size) for p in rec.setup_white])
        for m in moves[lo:hi]:
            if m.point is not None and on_board(m.point, size):
                pos.marks[m.point] = svg.CHANGED
        chosen = " (judged right)" if r.verdict is not None and i in _group_of(r, r.verdict) else ""
        caption = (f"[{i}] after move {hi}" if hi > lo else f"[{i}] after move {hi}: lacks the region") + chosen
        figs.append(figure(pos, caption, f"{files[i]}"))
        lists.append(f'<div class="moves">[{i}] {_e(files[i])}: {_e(version_text(records, r, i))}</div>')
    extra = f", offset {r.offset}" if r.offset else ""
    return (f'<section class="region" id="r{n}" data-kind="{_e(r.kind)}" '
            f'data-verdict="{"" if r.verdict is None else r.verdict}"><h2>region {n}: {_e(r.kind)}{_e(extra)}</h2>'
            f'<div class="meta">moves {_e(_where(r))}</div><div class="boards">{"".join(figs)}</div>'
            + "".join(lists) + f'<div class="meta">verdict: <b>{_e(verdict)}</b></div></section>')


def _group_of(r: RegionReport, k: int) -> list[int]:
    return next((g for g in r.groups if k in g), [k])

