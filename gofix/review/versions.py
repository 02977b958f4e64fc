"""The review page of ``gofix compare A B ... --html FILE``: each region where the records of one game
differ, every record's version on a whole board side by side, and the verdict with its reason.

``reconcile_page`` is the same for every group of a ``gofix reconcile`` run (``DST/review.html``).

One ``<section class="region">`` per region (``id="r1"``, ...; ``data-kind``, ``data-verdict``: the
index of the record judged right, or "" when undecided): for each record, the board after its moves of
the region, in the first record's orientation (``compare.RegionReport.symmetries``), the region's
stones framed and numbered, with the record's own move numbers; the versions listed
(``compare.version_text``); the verdict in words (given by the caller, as the CLI says it).
"""

from __future__ import annotations

from typing import Sequence

from gofix.versions.align import in_orientation
from gofix.versions.compare import RegionReport, version_text
from gofix.coords import on_board, transform
from gofix.record import GameRecord
from . import svg
from .html import _e, document, figure

REGION_NUMBERS = 20  # at most this many of a region's moves numbered on its boards


def compare_page(files: Sequence[str], records: Sequence[GameRecord], reports: Sequence[RegionReport],
                 verdicts: Sequence[str], *, title: str = "gofix compare: review") -> str:
    """The page (see the module doc); ``verdicts[k]`` is region k's verdict in words."""
    size = records[0].size
    head = (f"<h1>{_e(title)}</h1><p>{len(records)} records of one game ({size}x{size}); "
            + (f'<b id="n-regions">{len(reports)}</b> regions differ.' if reports else
               '<b id="n-regions">0</b> regions differ: the records agree.') + "</p>")
    return document(title, head + group_body(files, records, reports, verdicts), {(size, size)})


def reconcile_page(groups: Sequence[tuple], *, title: str, subtitle: str = "") -> str:
    """The review of a ``gofix reconcile`` run: ``groups`` of ``(files, records, reports, verdicts,
    output)`` (``output``: the reconciled record's path relative to the page, or None), an index of the
    groups that differ, then each group's records and regions (``group_body``; sections ``g1r1``, ...)."""
    sizes = {(g[1][0].size, g[1][0].size) for g in groups if g[1]}
    n_regions = sum(len(g[2]) for g in groups)
    undecided = sum(r.verdict is None for g in groups for r in g[2])
    rows, bodies = [], []
    for k, (files, records, reports, verdicts, output) in enumerate(groups, 1):
        rows.append(f'<tr><td><a href="#g{k}">{k}</a></td><td>{_e(files[0])}</td><td class="r">{len(files)}</td>'
                    f'<td class="r">{len(reports)}</td><td class="r">{sum(r.verdict is None for r in reports)}</td></tr>')
        link = f' · reconciled record: <a href="{_e(output)}">{_e(output)}</a>' if output else ""
        bodies.append(f'<h2 id="g{k}" class="group">group {k}: {len(files)} records{link}</h2>'
                      + group_body(files, records, reports, verdicts, anchor=f"g{k}r"))
    head = (f"<h1>{_e(title)}</h1>" + (f"<p>{_e(subtitle)}</p>" if subtitle else "")
            + f'<p><b id="n-groups">{len(groups)}</b> groups that differ, <b id="n-regions">{n_regions}</b> regions, '
            f'<b id="n-undecided">{undecided}</b> undecided.</p>'
            '<table id="index"><thead><tr><th>#</th><th>first record</th><th class="r">records</th>'
            '<th class="r">regions</th><th class="r">undecided</th></tr></thead><tbody>' + "".join(rows)
            + "</tbody></table>")
    return document(title, head + "".join(bodies), sizes)


def group_body(files: Sequence[str], records: Sequence[GameRecord], reports: Sequence[RegionReport],
               verdicts: Sequence[str], *, anchor: str = "r") -> str:
    """One group of records: the list of records, an index of its regions and a section per region
    (``id`` ``anchor`` + its number)."""
    head = ['<ul style="list-style:none">']
    for i, (f, rec) in enumerate(zip(files, records)):
        sym = reports[0].symmetries[i] if reports and reports[0].symmetries else 0
        head.append(f"<li>[{i}] {_e(f)}: {len(rec.moves)} moves"
                    + (f", {_e(rec.text('PB') or '?')} (B) vs {_e(rec.text('PW') or '?')} (W)" if rec.text("PB") or
                       rec.text("PW") else "") + (f" (symmetry {sym} into [0]'s orientation)" if sym else "") + "</li>")
    head.append("</ul>")
    if reports:
        head.append('<table class="regions"><thead><tr><th>#</th><th>kind</th><th>moves</th><th>verdict</th></tr>'
                    "</thead><tbody>" + "".join(
                        f'<tr><td><a href="#{anchor}{n}">{n}</a></td><td>{_e(r.kind)}</td><td>{_e(_where(r))}</td>'
                        f"<td>{_e(v)}</td></tr>" for n, (r, v) in enumerate(zip(reports, verdicts), 1))
                    + "</tbody></table>")
    sections = [_section(f"{anchor}{n}", n, files, records, r, v)
                for n, (r, v) in enumerate(zip(reports, verdicts), 1)]
    return "".join(head + sections)


def _where(r: RegionReport) -> str:
    return ", ".join(f"[{i}] " + (str(a) if a == b else f"{a}-{b}" if a < b else f"none (after {b})")
                     for i, (a, b) in enumerate(r.moves))


def _section(ident: str, n: int, files, records, r: RegionReport, verdict: str) -> str:
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
    return (f'<section class="region" id="{ident}" data-kind="{_e(r.kind)}" '
            f'data-verdict="{"" if r.verdict is None else r.verdict}"><h2>region {n}: {_e(r.kind)}{_e(extra)}</h2>'
            f'<div class="meta">moves {_e(_where(r))}</div><div class="boards">{"".join(figs)}</div>'
            + "".join(lists) + f'<div class="meta">verdict: <b>{_e(verdict)}</b></div></section>')


def _group_of(r: RegionReport, k: int) -> list[int]:
    return next((g for g in r.groups if k in g), [k])

