"""Review reports of whole runs: from ``check``'s reports, or from a finished ``clean`` run's folder.

``check_review`` takes the ``GameReport`` items ``check`` made (their record and repairs kept);
``run_review`` reads ``DST/report.jsonl`` of a finished ``gofix clean SRC --out DST`` run, the
records as read from SRC and the repaired ones from DST, and writes ``DST/review.html`` (what
``gofix clean`` writes at its end, and ``gofix review DST`` again). Both go through
``model.game_from_line``, the one reader of a report line's layout.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from gofix.formats.paths import RUN_FILE, UnsafePathError, atomic_write, named, output_names
from gofix.errors import GofixError
from gofix.formats.read import parse_items
from gofix.formats.sources import iter_sources
from gofix.record import Unreadable
from gofix.repair.pretrained import trust_note
from .html import outcome, render
from .model import ReviewGame, game_from_line

REVIEW_NAME = "review.html"


class ReviewError(GofixError):
    """A folder that holds no finished run to review (the message says what is missing)."""


class PageError(GofixError, ValueError):
    """A review page that would be written over an input of the run, through a symbolic link, or over
    a file that is there (without ``force``)."""


@dataclass
class ReviewStats:
    path: str  # the HTML file written
    games: int
    findings: int
    bytes: int


def check_page(page, inputs: Iterable, force: bool = False) -> None:
    """Raise PageError for a review page (``--html PAGE``) that would land on one of the run's
    ``inputs`` (``FILE#N`` and ``ARCHIVE!MEMBER`` name their file), on a symbolic link, or on a file
    that is there, unless ``force``: the rule of every command that writes."""
    page = Path(page)
    target = page.resolve()
    for given in inputs:
        name = str(given)
        base = Path(name.split("!", 1)[0].rsplit("#", 1)[0] if not Path(name).exists() else name)
        if base.exists() and base.resolve() == target:
            raise PageError(f"--html {page} is an input of this run: choose another file")
    if page.is_symlink():
        raise PageError(f"--html {page} is a symbolic link: gofix never writes through one")
    if page.exists() and not force:
        raise PageError(f"{page} exists: not overwritten (--force overwrites it)")


def review_kept(dst, force: bool = False) -> bool:
    """Whether DST/review.html was there before a run into ``dst``: then it is kept, as every output
    there before is, unless ``force`` (a link, even a dangling one, is never written through)."""
    there = Path(dst) / REVIEW_NAME
    return (there.exists() or there.is_symlink()) and not force


def reproduce(command: str, path: str, flags: Sequence[str] = ()) -> str:
    """The command line that shows a record's findings again: ``command`` (e.g. 'gofix check') on the
    record's file (an archive member's archive), with ``flags``."""
    file = path.split("!", 1)[0] if "!" in path and os.path.isfile(path.split("!", 1)[0]) else path
    return " ".join([command, shlex.quote(file), *flags])


def check_review(reports: Iterable, out_path, *, flags: Sequence[str] = (), trust: str = "",
                 rules_only: bool = False) -> ReviewStats:
    """Write the review of ``check``'s reports (``findings.GameReport``) to ``out_path``; each record
    links to its file, relative to the report's folder."""
    here = os.path.dirname(os.path.abspath(os.fspath(out_path)))
    games = []
    for r in reports:
        repairs = r.repairs or {}
        game = game_from_line({**r.to_dict(), **{k: v for k, v in repairs.items() if k != "moves"}},
                              r.record, repairs.get("moves"), rules_only=rules_only)
        if game.findings:
            game.command = reproduce("gofix check", r.path, flags)
            file = r.path.split("!", 1)[0]
            if os.path.exists(file):
                game.link = os.path.relpath(os.path.abspath(file), here).replace(os.sep, "/")
        games.append(game)
    return write(games, out_path, title="gofix check: review", trust=trust,
                 subtitle=f"{len(games)} game{'' if len(games) == 1 else 's'} checked; repairs are those `gofix fix` would make.")


def _run_record(dst: str, command: str = "clean") -> dict:
    try:
        with open(os.path.join(dst, RUN_FILE), encoding="utf-8") as f:
            run = json.load(f)
    except (OSError, ValueError):
        raise ReviewError(f"{dst!r} holds no gofix run ({RUN_FILE} missing or unreadable): "
                          f"run `gofix {command} SRC --out DST` first") from None
    if not isinstance(run, dict) or run.get("command") != command:
        raise ReviewError(f"{dst!r} holds a run of `gofix {run.get('command') if isinstance(run, dict) else '?'}`, "
                          f"not of `gofix {command}`")
    return run


def _report_lines(dst: str, run: dict, default: str) -> tuple[str, list[dict]]:
    reports = run.get("reports") or [default]
    report = reports[0] if os.path.isabs(reports[0]) else os.path.join(dst, reports[0])
    try:
        with open(report, encoding="utf-8") as f:
            return report, [json.loads(t) for t in f if t.strip()]
    except (OSError, ValueError) as exc:
        raise ReviewError(f"cannot read the report {report!r} of the run in {dst!r}: {exc}") from None


def run_command(dst) -> str | None:
    """The command of the run recorded in ``dst`` ('clean', 'reconcile', ...), or None when there is none."""
    try:
        with open(os.path.join(os.fspath(dst), RUN_FILE), encoding="utf-8") as f:
            run = json.load(f)
    except (OSError, ValueError):
        return None
    return run.get("command") if isinstance(run, dict) else None


def run_repairer(dst) -> dict:
    """The repairer options (``paths.describe`` of the factory: ``rules_only``, ``model_path``,
    ``engine_path``, ...) of the ``gofix clean`` run in ``dst``; raises ReviewError as ``run_review``."""
    options = _run_record(os.fspath(dst)).get("options") or {}
    return options.get("repairer") if isinstance(options.get("repairer"), dict) else {}


def run_trust(dst) -> str:
    """How far to trust the repairs of the ``gofix clean`` run in ``dst`` (``pretrained.trust_note`` of
    the models it ran); "" when it ran the rules only or another repairer. Raises ReviewError as
    ``run_review``."""
    used = run_repairer(dst)
    if not str(used.get("class", "")).endswith(".RepairerFactory") or used.get("rules_only"):
        return ""
    return trust_note(used.get("model_path") or None, bool(used.get("engine_path")))


def run_review(dst, *, trust: str = "", out_path=None) -> ReviewStats:
    """Write ``DST/review.html`` (or ``out_path``) for the finished ``gofix clean`` run in ``dst``.

    Raises ReviewError when ``dst`` holds no run record of ``clean``, or its report is missing.
    SRC (named in the run record) is read again for the records as read; when it is gone the
    findings are listed without boards.
    """
    dst = os.fspath(dst)
    run = _run_record(dst)
    report, lines = _report_lines(dst, run, "report.jsonl")
    src = run.get("src") or ""
    used = run_repairer(dst)
    rules_only = bool(used.get("rules_only"))
    kind = str(used.get("class", ""))  # the bundled models' factory, or another repairer: named by its class
    repairer = "tagger" if not kind or kind.endswith(".RepairerFactory") else kind.rsplit(".", 1)[-1]
    flags = ["--rules-only"] if rules_only else []
    wanted = {line["path"] for line in lines if line.get("findings")}
    found = _sources(src, wanted)  # path as the report names it -> (source under SRC now, output name)
    records = _records(found)
    games = []
    for line in lines:
        rec = records.get((line.get("path"), line.get("game")))
        rel = found.get(line.get("path"), (None, None))[1]
        repaired = None
        if line.get("changed") and rel:
            repaired = _main_line(os.path.join(dst, rel), line.get("game"))
        game = game_from_line(line, rec, repaired, rules_only=rules_only, repairer=repairer)
        if game.findings:
            game.command = reproduce("gofix fix", line["path"], [*flags, "-o", "fixed.sgf"])
            game.link = rel
        games.append(game)
    return write(games, out_path or os.path.join(dst, REVIEW_NAME), title=f"gofix clean {src}: review",
                 trust=trust, subtitle=f"{len(games)} game{'' if len(games) == 1 else 's'}; report {report}; repaired records under {dst}.")


def reconcile_review(dst, *, out_path=None) -> ReviewStats:
    """Write ``DST/review.html`` (or ``out_path``) for the finished ``gofix reconcile`` run in ``dst``: every
    group whose records differ, each region's versions side by side and the verdict
    (``versions.reconcile_page``), from ``reconcile.jsonl`` and the records in SRC (a group whose
    records are gone from SRC is left out). ``games`` counts the groups shown, ``findings`` their
    regions. Raises ReviewError as ``run_review``."""
    from gofix.versions.compare import RegionReport
    from .versions import reconcile_page

    dst = os.fspath(dst)
    run = _run_record(dst, "reconcile")
    report, lines = _report_lines(dst, run, "reconcile.jsonl")
    src = run.get("src") or ""
    differ = [line for line in lines if line.get("regions")]
    ids = [[sid.rpartition("#") for sid in line["sources"]] for line in differ]
    found = _sources(src, {path for group in ids for path, _, _ in group})
    records = _records(found)
    groups = []
    for line, group in zip(differ, ids):
        recs = [records.get((path, int(index))) for path, _, index in group]
        if any(r is None for r in recs) or len({r.size for r in recs}) != 1:
            continue
        files = [f"{path}#{index}" for path, _, index in group]
        reports, verdicts = [], []
        for reg in line["regions"]:
            k = line["sources"].index(reg["verdict"]) if reg.get("verdict") in line["sources"] else None
            reports.append(RegionReport(reg["kind"], [tuple(m) for m in reg["moves"]], k, float(reg["confidence"]),
                                        reg["decided_by"], [[k]] if k is not None else [], reg.get("reason", ""),
                                        symmetries=list(line["symmetries"])))
            verdicts.append(_verdict(reg, files[k] if k is not None else None))
        rel = found.get(group[0][0], (None, None))[1]
        groups.append((files, recs, reports, verdicts, rel if rel and os.path.exists(os.path.join(dst, rel)) else None))
    text = reconcile_page(groups, title=f"gofix reconcile {src}: review",
                          subtitle=f"{len(lines)} group(s) in the report {report}; reconciled records under {dst}."
                          ).encode("utf-8")
    path = out_path or os.path.join(dst, REVIEW_NAME)
    _write_page(path, text)
    return ReviewStats(os.fspath(path), len(groups), sum(len(g[2]) for g in groups), len(text))


def _verdict(region: dict, name: str | None) -> str:
    """A reconcile report line's verdict on one region, in words."""
    if name is None:
        return f"undecided ({region.get('reason') or region.get('decided_by')}); the base record's version kept"
    how = {"majority": f"by majority, {region['confidence']:.0%} of the records",
           "judge": f"by the judge ({region.get('reason')}), confidence {region['confidence']:.2f}",
           "illegal": "by the rules: the other versions make an illegal move"}.get(region["decided_by"],
                                                                                  region["decided_by"])
    return f"{name}'s version, {how}"


def write(games: list[ReviewGame], out_path, *, title: str, trust: str = "", subtitle: str = "") -> ReviewStats:
    """Render ``games`` (``html.render``) and write the page atomically to ``out_path`` (its folder made)."""
    text = render(games, title=title, trust=trust, subtitle=subtitle).encode("utf-8")
    _write_page(out_path, text)
    return ReviewStats(os.fspath(out_path), len(games), sum(len(g.findings) for g in games), len(text))


def compare_review(out_path, files, records, reports, verdicts) -> ReviewStats:
    """Write ``gofix compare``'s review page (``versions.compare_page``) to ``out_path``; ``findings``
    counts the regions."""
    from .versions import compare_page

    text = compare_page(files, records, reports, verdicts).encode("utf-8")
    _write_page(out_path, text)
    return ReviewStats(os.fspath(out_path), len(records), len(reports), len(text))


def _write_page(out_path, text: bytes) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(out_path))), exist_ok=True)
    atomic_write(os.fspath(out_path), text)


def _sources(src: str, wanted: set[str]) -> dict[str, tuple[str, str | None]]:
    """For each path in ``wanted`` (sources as the run's report names them, relative to the folder
    it ran in), the source under ``src`` (the run record's real path) it is now, and its output name
    under DST (``paths.output_names``). A report path matches the source that it is, or that ends in
    it ('games/a.sgf' is '/home/u/games/a.sgf'), archive members by their member name too."""
    if not wanted or not os.path.exists(src):
        return {}
    listing = output_names(src)
    by_tail: dict[str, list[str]] = {}
    for source in listing:
        by_tail.setdefault(os.path.basename(source), []).append(source)
    out = {}
    for path in wanted:
        norm = os.path.normpath(path) if "!" not in path else (
            os.path.normpath(path.split("!", 1)[0]) + "!" + path.split("!", 1)[1])
        for source in by_tail.get(os.path.basename(path), ()):
            if source == norm or source.endswith(os.sep + norm.lstrip(os.sep)) or (
                    os.path.isabs(norm) and os.path.realpath(norm.split("!")[0]) == source.split("!")[0]
                    and norm.partition("!")[2] == source.partition("!")[2]):
                try:
                    rel = named(listing, source, src)
                except UnsafePathError:
                    rel = None
                out[path] = (source, rel)
                break
    return out


def _records(found: dict[str, tuple[str, str | None]]) -> dict:
    """The records as read of the sources ``found`` names, by (path as the report names it, game)."""
    out: dict = {}
    wanted = {source: path for path, (source, _) in found.items()}
    if not wanted:
        return out
    roots = {source.split("!", 1)[0] for source in wanted}
    for root in sorted(roots):
        for source, load in iter_sources(root):
            if source not in wanted:
                continue
            try:
                items = parse_items(load(), source)
            except Exception:  # noqa: BLE001 - a record gone bad since the run: listed without boards
                continue
            for item in items:
                if not isinstance(item, Unreadable):
                    out[(wanted[source], item.index)] = item
    return out


def _main_line(path: str, game) -> list | None:
    try:
        with open(path, "rb") as f:
            items = parse_items(f.read(), path)
    except OSError:
        return None
    for item in items:
        if not isinstance(item, Unreadable) and item.index == game:
            return item.moves
    return None


__all__ = ["REVIEW_NAME", "ReviewError", "ReviewStats", "check_review", "compare_review", "outcome",
           "reconcile_review", "reproduce", "run_command", "run_repairer", "run_review"]
