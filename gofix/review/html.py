"""One self-contained HTML file to review a run's findings by eye.

``render`` turns ``model.ReviewGame`` items into a page with no outside references (inline SVG and
CSS, a few lines of plain JavaScript for the filters and the sort), readable offline:

* an index on top: the games counted by outcome (clean / flagged, not repaired / repaired /
  refused / unreadable), a histogram of the findings' confidences, filters (kind, confidence at
  least, repaired or not), a sort, and one row per finding linking to its section;
* one ``<section class="finding">`` per finding (``id="f1"``, ``f2``, ... in report order, with
  ``data-kind``, ``data-conf``, ``data-repaired``, ``data-move``): the whole board as recorded and
  after the proposed repair side by side (``svg.board_svg``), the changed stones framed in red, an
  illegal point crossed, the numbers of the last moves on their stones; the moves before and after
  listed; kind, confidence, what found it and what chose the repair, the trust line; the record's
  path, game index, players and date, the command that reproduces it and a relative link to the SGF.

The grid of each board size is drawn once (``svg.grid_defs``) and every board uses it, so a report of
500 findings stays a few megabytes (measured in docs/review.md).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Sequence

from gofix.coords import on_board, to_gtp
from gofix.record import Move
from . import svg
from .model import RULE_KINDS, ReviewFinding, ReviewGame, nearest, regions

LAST_NUMBERS = 10  # moves numbered on each board
CONTEXT = 3  # moves listed before and after a changed region
OUTCOMES = ("clean", "flagged", "repaired", "refused", "unreadable", "exists")
_OUTCOME_WORDS = {"clean": "clean", "flagged": "flagged, not repaired", "repaired": "repaired",
                  "refused": "refused", "unreadable": "unreadable", "exists": "kept (output there before)"}

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin:.2em 0}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
td.r,th.r{text-align:right}
.counts td{font-size:1.1em}
#filters{margin:.8em 0;padding:.5em;background:#f4f4f4}
#filters label{margin-right:1.2em}
section.finding,section.region{border-top:2px solid #bbb;padding:.6em 0;content-visibility:auto;contain-intrinsic-size:auto 560px}
.boards{display:flex;gap:16px;flex-wrap:wrap}
.boards figure{margin:0}.boards figcaption{text-align:center;font-size:.9em}
.boards svg{width:340px;height:340px}
.meta{margin:.3em 0}.meta b{font-weight:600}
.moves{font-family:monospace;font-size:.95em}
.moves .chg{color:#d0021b;font-weight:bold}
.trust{color:#666;font-size:.85em}
code{background:#f4f4f4;padding:0 3px}
.norep{color:#a60}.rep{color:#070}
#index{max-height:420px;overflow:auto;display:block}
"""

_JS = """
(function(){
var secs=[].slice.call(document.querySelectorAll('section.finding'));
var rows=[].slice.call(document.querySelectorAll('#index tbody tr'));
function val(id){return document.getElementById(id).value}
function apply(){
  var k=val('fkind'),c=parseFloat(val('fconf'))||0,r=val('frep'),s=val('fsort'),n=0;
  document.getElementById('fconfv').textContent=c.toFixed(2);
  function keep(e){var d=e.dataset;return (k==''||d.kind==k)&&parseFloat(d.conf)>=c&&(r==''||d.repaired==r)}
  function key(e){var d=e.dataset;return s=='conf'?-parseFloat(d.conf):s=='confup'?parseFloat(d.conf):s=='move'?+d.move:+d.order}
  [secs,rows].forEach(function(list){
    var sorted=list.slice().sort(function(a,b){return key(a)-key(b)||(+a.dataset.order)-(+b.dataset.order)});
    sorted.forEach(function(e){var ok=keep(e);e.style.display=ok?'':'none';e.parentNode.appendChild(e);if(ok&&list===secs)n++});
  });
  document.getElementById('shown').textContent=n;
}
['fkind','fconf','frep','fsort'].forEach(function(id){document.getElementById(id).addEventListener('input',apply)});
})();
"""


def outcome(game: ReviewGame) -> str:
    """clean | flagged | repaired | refused | unreadable | exists: how the index counts a game."""
    if game.status in ("refused", "unreadable", "exists", "clean"):
        return game.status
    return "repaired" if game.changed and all(f.repaired for f in game.findings) else "flagged"


def render(games: Sequence[ReviewGame], *, title: str, trust: str = "", subtitle: str = "") -> str:
    """The whole report as one HTML string (see the module doc)."""
    counts = Counter(outcome(g) for g in games)
    items = [(g, f) for g in games for f in g.findings]
    sizes = {(g.record.size, g.record.size) for g, _ in items if g.record is not None}
    sections = [_section(n, g, f, trust) for n, (g, f) in enumerate(items, 1)]
    kinds = sorted({f.kind for _, f in items})
    out = [
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(subtitle)}</p>" if subtitle else "",
        '<table class="counts"><tr>' + "".join(f'<th class="r">{_e(_OUTCOME_WORDS[o])}</th>' for o in OUTCOMES
                                               if o != "exists" or counts[o]) + "</tr><tr>"
        + "".join(f'<td class="r" id="n-{o}">{counts[o]}</td>' for o in OUTCOMES if o != "exists" or counts[o])
        + f"</tr></table><p>{_n(len(games), 'game')}, <b id=\"n-findings\">{len(items)}</b> "
        + ("finding" if len(items) == 1 else "findings") + ".</p>",
        _histogram([f.confidence for _, f in items]),
        f'<p class="trust">{_e(trust)}</p>' if trust else "",
        '<div id="filters"><label>kind <select id="fkind"><option value="">all</option>'
        + "".join(f'<option value="{_e(k)}">{_e(k)}</option>' for k in kinds) + "</select></label>"
        '<label>confidence at least <input id="fconf" type="range" min="0" max="1" step="0.05" value="0">'
        ' <span id="fconfv">0.00</span></label>'
        '<label>repaired <select id="frep"><option value="">either</option><option value="1">yes</option>'
        '<option value="0">no</option></select></label>'
        '<label>sort <select id="fsort"><option value="order">report order</option>'
        '<option value="conf">confidence, highest first</option><option value="confup">confidence, lowest first'
        '</option><option value="move">move number</option></select></label>'
        f' showing <b id="shown">{len(items)}</b></div>',
        _index(items),
        '<div id="findings">', *sections, "</div>",
        _unread([g for g in games if outcome(g) in ("refused", "unreadable")]),
    ]
    return document(title, "".join(out), sizes, script=_JS)


def document(title: str, body: str, sizes, script: str = "") -> str:
    """A whole page: ``body`` with the report's style, the shared grids of the board ``sizes`` (``(cols,
    rows)`` pairs, ``svg.grid_defs``) and ``script``, if any, at the end."""
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_CSS}{svg.STYLE}</style>{svg.grid_defs(sizes)}</head><body>"
            + body + (f"<script>{script}</script>" if script else "") + "</body></html>\n")


def _histogram(values: list[float], bins: int = 10) -> str:
    """An SVG bar chart of ``values`` in [0, 1], ``bins`` bars, with the count above each."""
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    top = max(counts) or 1
    w, h = 36, 80
    bars = []
    for k, n in enumerate(counts):
        bh = round(h * n / top)
        x = k * w
        bars.append(f'<rect class="bar" x="{x + 3}" y="{h - bh + 14}" width="{w - 6}" height="{bh}" '
                    f'data-bin="{k}" data-count="{n}"/><text x="{x + w / 2}" y="{h - bh + 11}">{n}</text>'
                    f'<text x="{x + w / 2}" y="{h + 28}">{k / bins:.1f}</text>')
    return (f'<figure><svg class="hist" viewBox="0 0 {bins * w} {h + 32}" width="{bins * w}" height="{h + 32}" '
            'style="font-size:10px;text-anchor:middle"><style>.bar{fill:#1769d6}</style>' + "".join(bars)
            + "</svg><figcaption>findings by confidence (bins of 0.1)</figcaption></figure>")


def _index(items) -> str:
    rows = []
    for n, (g, f) in enumerate(items, 1):
        rows.append(f'<tr {_data(n, f)}><td class="r"><a href="#f{n}">{n}</a></td><td>{_e(g.path)}</td>'
                    f'<td class="r">{g.game}</td><td class="r">{f.move}</td><td>{_e(f.kind)}</td>'
                    f'<td class="r">{f.confidence:.2f}</td><td>{"yes" if f.repaired else "no"}</td></tr>')
    return ('<table id="index"><thead><tr><th class="r">#</th><th>record</th><th class="r">game</th>'
            '<th class="r">move</th><th>kind</th><th class="r">conf</th><th>repaired</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _data(n: int, f: ReviewFinding) -> str:
    return (f'data-order="{n}" data-kind="{_e(f.kind)}" data-conf="{f.confidence:.4f}" '
            f'data-repaired="{int(f.repaired)}" data-move="{f.move}"')


def _section(n: int, g: ReviewGame, f: ReviewFinding, trust: str) -> str:
    where = _point_name(g, f)
    head = (f'<section class="finding" id="f{n}" {_data(n, f)}><h2>#{n} move {f.move} {f.colour} {_e(where)}: '
            f'{_e(f.kind)}, confidence {f.confidence:.2f} '
            + (f'<span class="rep">repaired</span>' if f.repaired else f'<span class="norep">not repaired</span>')
            + "</h2>")
    pb, pw, dt = g.player("PB"), g.player("PW"), g.player("DT")
    meta = [f'<div class="meta"><b>{_e(g.path)}</b> game {g.game}'
            + (f" · {_e(pb or '?')} (B) vs {_e(pw or '?')} (W)" if pb or pw else "")
            + (f" · {_e(dt)}" if dt else "") + "</div>",
            f'<div class="meta">found by <b>{_e(f.found_by)}</b>'
            + (f" · repair chosen by <b>{_e(f.judged_by)}</b>: {_e(f.repair)}" if f.repair and f.repaired else
               f" · the {_e(f.found_by)}'s hint, not applied: {_e(f.repair)}" if f.repair else
               " · made legal by this game's repair" if f.repaired else " · no repair proposed")
            + "</div>"]
    if g.edits:
        meta.append('<div class="meta">edits in this game: ' + "; ".join(_e(e) for e in g.edits) + "</div>")
    boards, moves = _boards(g, f)
    tail = []
    if g.command:
        tail.append(f'<div class="meta">reproduce: <code>{_e(g.command)}</code></div>')
    if g.link:
        tail.append(f'<div class="meta">record: <a href="{_e(g.link)}">{_e(g.link)}</a></div>')
    if trust and f.repair:
        tail.append(f'<p class="trust">{_e(trust)}</p>')
    return head + "".join(meta) + boards + moves + "".join(tail) + "</section>"


def _point_name(g: ReviewGame, f: ReviewFinding) -> str:
    rec = g.record
    if rec is not None and 0 < f.move <= len(rec.moves):
        p = rec.moves[f.move - 1].point
        if p is None:
            return "pass"
        if on_board(p, rec.size):
            return to_gtp(p, rec.size)
    return f"[{f.point}]"


def _boards(g: ReviewGame, f: ReviewFinding) -> tuple[str, str]:
    """The two boards (as recorded, repaired) and the moves listed, for one finding."""
    rec = g.record
    if rec is None or not rec.moves:
        return '<p class="norep">(the record is not at hand: no board)</p>', ""
    size, moves = rec.size, rec.moves
    setup = {"setup_black": rec.setup_black, "setup_white": rec.setup_white}
    found = _regions(g)
    reg = nearest(found, f.move)
    i = f.move - 1
    end_r = max(f.move, reg.i2) if reg else f.move
    rule = f.kind in RULE_KINDS
    if rule and end_r == f.move:
        end_r = f.move - 1  # the board before the illegal move, its point crossed
    left = svg.position(size, moves, end_r, last=LAST_NUMBERS, **setup)
    if reg:
        _mark(left, moves[reg.i1:reg.i2], size)
    p = moves[i].point if i < len(moves) else None
    if p is not None and on_board(p, size):
        left.marks[p] = svg.ILLEGAL if rule else left.marks.get(p, svg.LAST)
    figs = [figure(left, f"as recorded, after move {end_r}", f"{g.path} game {g.game} as recorded")]
    lo = max(0, min(i, reg.i1 if reg else i) - CONTEXT)
    hi = min(len(moves), max(i + 1, reg.i2 if reg else i + 1) + CONTEXT)
    listed = [("as recorded", _move_list(moves, lo, hi, set(range(reg.i1, reg.i2)) if reg else {i}, size))]
    if reg and g.repaired is not None:
        end_p = reg.j2 + max(0, end_r - reg.i2)
        right = svg.position(size, g.repaired, end_p, last=LAST_NUMBERS, **setup)
        _mark(right, g.repaired[reg.j1:reg.j2], size)
        figs.append(figure(right, f"repaired, after move {end_p}", f"{g.path} game {g.game} repaired"))
        plo, phi = max(0, reg.j1 - (reg.i1 - lo)), min(len(g.repaired), reg.j2 + (hi - reg.i2))
        listed.append(("repaired", _move_list(g.repaired, plo, phi, set(range(reg.j1, reg.j2)), size)))
    elif g.repaired is not None:  # repaired elsewhere in the game: the same moment of the repaired line
        end_p = end_r + sum((r.j2 - r.j1) - (r.i2 - r.i1) for r in found if r.i2 <= end_r)
        right = svg.position(size, g.repaired, end_p, last=LAST_NUMBERS, **setup)
        figs.append(figure(right, f"repaired game, after move {end_p} (no change here)",
                            f"{g.path} game {g.game} repaired"))
    else:
        figs.append('<figure><p class="norep">no repair of this move</p></figure>')
    lists = "".join(f'<div class="moves">{_e(label)}: {text}</div>' for label, text in listed)
    return '<div class="boards">' + "".join(figs) + "</div>", lists


_REGIONS: dict[int, tuple] = {}  # id(game) -> (game, its regions): one alignment per game, not per finding


def _regions(g: ReviewGame) -> list:
    if g.repaired is None or g.record is None:
        return []
    hit = _REGIONS.get(id(g))
    if hit is None or hit[0] is not g:
        _REGIONS.clear()
        hit = _REGIONS[id(g)] = (g, regions(g.record.moves, g.repaired))
    return hit[1]


def _mark(pos: svg.Position, changed: Sequence[Move], size: int) -> None:
    for m in changed:
        if m.point is not None and on_board(m.point, size):
            pos.marks[m.point] = svg.CHANGED


def figure(pos: svg.Position, caption: str, title: str) -> str:
    """A board (``svg.board_svg`` with the shared grid) and its caption."""
    return f"<figure>{svg.board_svg(pos, title=title, shared_grid=True)}<figcaption>{_e(caption)}</figcaption></figure>"


def _move_list(moves: Sequence[Move], lo: int, hi: int, changed: set[int], size: int) -> str:
    words = []
    for k in range(lo, hi):
        colour, p = moves[k][0], moves[k][1]
        name = "pass" if p is None else (to_gtp(p, size) if on_board(p, size) else f"[{moves[k][2]}]")
        w = f"{k + 1}&nbsp;{colour.upper()}&nbsp;{name}"
        words.append(f'<span class="chg">{w}</span>' if k in changed else w)
    return " ".join(words)


def _unread(games: Sequence[ReviewGame]) -> str:
    if not games:
        return ""
    rows = "".join(f"<tr><td>{_e(g.path)}</td><td>{_e(g.status)}</td><td>{_e(g.error or '')}</td></tr>" for g in games)
    return f'<h2 id="unread">Not read or not written</h2><table class="unread">{rows}</table>'


def _n(count: int, noun: str) -> str:
    return f"{count} {noun if count == 1 else noun + 's'}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
