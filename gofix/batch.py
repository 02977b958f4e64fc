"""Whole archives in, mirrored trees out: path mapping and ``corrupt_tree``.

Output paths mirror the input: a file under a source directory keeps its
relative path; a member of an archive ``games.tar.gz`` is written under
``games/`` followed by the member's own path. Member names that would escape
the output directory (``../x.sgf``, absolute paths) are refused.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterator

from .corrupt import Channel, clean_enough
from .errors import GofixError
from .record import GameRecord
from .sgf_io import ARCHIVE_SUFFIXES, Unreadable, atomic_write, dump_collection, is_gofix_temp, iter_games


class UnsafePathError(GofixError, ValueError):
    """An output path that is not safe: outside the output directory, or on (or inside) the input."""


def prepare_output(src, dst, report_path, state_dir: str) -> str:
    """Make ``dst`` ready for a resumable run that reads ``src``; return its state folder.

    Checks ``dst`` and ``report_path`` against the input (``check_output``: raises
    UnsafePathError), creates ``dst/state_dir`` and removes the temp files an interrupted
    run left under ``dst`` (``remove_stale_temps``).
    """
    check_output(src, dst)
    check_output(src, report_path)
    state = os.path.join(os.fspath(dst), state_dir)
    os.makedirs(state, exist_ok=True)
    remove_stale_temps(os.fspath(dst))
    return state


def remove_stale_temps(dst: str) -> int:
    """Delete the temp files an interrupted run left under ``dst``; return how many.

    Only names ``sgf_io.atomic_write`` makes (``.gofix-<name>.<8 random>.tmp``,
    ``sgf_io.is_gofix_temp``) are removed: another program's ``.x.tmp`` stays.
    """
    n = 0
    for folder, _, files in os.walk(dst):
        for name in files:
            if is_gofix_temp(name):
                os.unlink(os.path.join(folder, name))
                n += 1
    return n


def check_output(src, dst) -> None:
    """Refuse to write ``dst`` where it could overwrite the input ``src``.

    Raises UnsafePathError (quoting both paths) when ``dst`` is ``src`` itself (links followed:
    ``os.path.realpath``; hard links too, ``os.path.samefile``, when both exist) or lies inside
    ``src`` (a directory, or an archive's path). Every command that writes checks its output
    folder and report file against its input, and each file it writes against the file it was
    read from (``input_file``), so an input file and its folder never lose what they hold.
    """
    s, d = os.fspath(src), os.fspath(dst)
    s_real, d_real = os.path.realpath(s), os.path.realpath(d)
    same = d_real == s_real
    if not same and os.path.exists(s) and os.path.exists(d):
        try:
            same = os.path.samefile(s, d)
        except OSError:
            pass
    if same:
        raise UnsafePathError(f"the output {d!r} is the input {s!r}: writing it would overwrite the input")
    if d_real.startswith(s_real.rstrip(os.sep) + os.sep):
        raise UnsafePathError(f"the output {d!r} must not be inside the input {s!r}")


def input_file(source: str) -> str:
    """The file on disk a game source was read from: the archive of ``archive!member``, else the path."""
    if "!" in source:
        archive = source.split("!", 1)[0]
        if os.path.isfile(archive):
            return archive
    return source


def _strip_archive_suffix(name: str) -> str:
    low = name.lower()
    for suf in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if low.endswith(suf):
            return name[: -len(suf)]
    return name


def relative_output(source: str, root: str) -> str:
    """The output path (relative, '/'-separated) for a game source under input ``root``.

    ``source`` is a path or ``archive!member`` as ``sgf_io`` names them.
    Raises UnsafePathError for a member that would escape (``..``, absolute).
    """
    root_abs = os.path.abspath(root)
    if "!" in source and os.path.isfile(source.split("!", 1)[0]):
        archive, member = source.split("!", 1)
        base = _relative_file(archive, root_abs)
        parts = PurePosixPath(member.replace("\\", "/")).parts
        if not parts or member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnsafePathError(f"archive member {member!r} in {archive!r} would be written outside the output")
        return str(PurePosixPath(_strip_archive_suffix(base), *[p for p in parts if p not in (".", "")]))
    return _relative_file(source, root_abs)


def sgf_name(rel: str) -> str:
    """The name to write SGF under for an input's relative path: ``.sgf`` added unless it ends so.

    ``game.gib`` -> ``game.gib.sgf``; ``a/b.SGF`` stays. Used by every command
    that writes a mirrored tree, so a converted file never takes its input's name.
    """
    return rel if rel.lower().endswith(".sgf") else rel + ".sgf"


def output_names(src) -> dict[str, str | UnsafePathError]:
    """The output name of every input under ``src`` (``iter_sources`` order), all distinct.

    Each is ``sgf_name(relative_output(...))``. An input whose name ends in ``.sgf`` keeps its
    mirrored name; a converted one (``g.gib`` -> ``g.gib.sgf``) or a second input mapping to a
    name already given gets ``~`` before ``.sgf`` until the name is free (``g.gib~.sgf``), so a
    real ``g.gib.sgf`` beside ``g.gib`` keeps its name whatever the order. A source whose name
    would escape the output maps to its UnsafePathError. Reads names only (archives are listed,
    not read).
    """
    from .sgf_io import iter_sources

    root = os.fspath(src)
    names: dict[str, str | UnsafePathError] = {}
    genuine: set[str] = set()
    later: list[tuple[str, str]] = []
    for source, _ in iter_sources(root):
        if source in names:
            continue
        try:
            rel = relative_output(source, root)
        except UnsafePathError as exc:
            names[source] = exc
            continue
        if rel.lower().endswith(".sgf") and rel not in genuine:
            genuine.add(rel)
            names[source] = rel
        else:
            names[source] = ""  # keeps the order; named below, once every genuine name is known
            later.append((source, sgf_name(rel)))
    taken = set(genuine)
    for source, name in later:
        while name in taken:
            name = name[: -len(".sgf")] + "~.sgf"
        taken.add(name)
        names[source] = name
    return names


def named(names: dict[str, str | UnsafePathError], source: str, root: str) -> str:
    """``source``'s name in ``names`` (from ``output_names``); raises its UnsafePathError.

    A source the listing did not have (the input changed since) gets ``sgf_name(relative_output(...))``.
    """
    name = names.get(source)
    if isinstance(name, UnsafePathError):
        raise name
    return name or sgf_name(relative_output(source, root))


def _relative_file(path: str, root_abs: str) -> str:
    p = os.path.abspath(path)
    if os.path.isdir(root_abs):
        rel = os.path.relpath(p, root_abs)
    else:  # the input was this one file (or archive)
        rel = os.path.basename(p)
    return rel.replace(os.sep, "/")


def group_by_file(path) -> Iterator[tuple[str, list[GameRecord | Unreadable]]]:
    """Games of ``iter_games(path)`` grouped by their source file, in order (streaming)."""
    current: str | None = None
    games: list[GameRecord | Unreadable] = []
    for item in iter_games(path):
        if current is not None and item.source != current:
            yield current, games
            games = []
        current = item.source
        games.append(item)
    if current is not None:
        yield current, games


@dataclass
class CorruptStats:
    files: int = 0
    games: int = 0
    corrupted: int = 0
    clean: int = 0
    skipped: int = 0  # unusable as ground truth (illegal already, too short, unreadable)
    refused: list[str] = field(default_factory=list)  # sources not written (unsafe names)


def corrupt_tree(
    src,
    out,
    *,
    channel: Channel,
    seed: int = 0,
    sizes=(9, 13, 19),
    progress: Callable[[int], None] | None = None,
) -> CorruptStats:
    """Write corrupted copies of every game under ``src`` into ``out`` plus ``out/truth.jsonl``.

    Each game gets ``random.Random(f"{seed}:{source}#{index}")``, so output
    does not depend on the order files are read. Games that cannot serve as
    ground truth (illegal already, under 30 moves, size not in ``sizes``) are
    written unchanged and listed with ``"skipped"``; unreadable games are
    listed only. ``game`` in ``truth.jsonl`` is the game's number in the
    written file, ``source`` its id in the input. Existing
    files in ``out`` are overwritten (atomically); ``src`` is only read:
    UnsafePathError when ``out`` is ``src`` or inside it, and a file whose
    output would be its own input is refused (listed in ``refused``).
    """
    from .rewrite import with_main_line

    root = os.fspath(src)
    truth_path = os.path.join(out, "truth.jsonl")
    check_output(root, out)
    check_output(root, truth_path)
    stats = CorruptStats()
    names = output_names(root)
    os.makedirs(out, exist_ok=True)
    lines = []
    for source, games in group_by_file(src):
        try:
            rel = named(names, source, root)
            check_output(input_file(source), os.path.join(out, *rel.split("/")))
        except UnsafePathError as exc:
            stats.refused.append(f"{source}: {exc}")
            continue
        written = []
        for g in games:
            stats.games += 1
            if progress:
                progress(stats.games)
            entry = {"path": rel, "game": len(written), "source": f"{g.source}#{g.index}"}
            if isinstance(g, Unreadable):
                stats.skipped += 1
                lines.append({**entry, "game": None, "skipped": g.reason})
                continue
            if g.size not in sizes or not clean_enough(g):
                stats.skipped += 1
                lines.append({**entry, "skipped": "not usable as ground truth (illegal, short or size)"})
                written.append(g)  # written unchanged, so game numbers in the output still match
                continue
            rng = random.Random(f"{seed}:{g.source}#{g.index}")
            noisy, truths = channel.corrupt(g.moves, g.size, rng)
            if truths:
                stats.corrupted += 1
            else:
                stats.clean += 1
            entry.update(size=g.size, kinds=[t.kind for t in truths],
                         positions=[list(t.positions) for t in truths],
                         truths=[t.to_dict() for t in truths])
            lines.append(entry)
            written.append(with_main_line(g, noisy))
        if written:
            target = os.path.join(out, *rel.split("/"))
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            atomic_write(target, dump_collection(written))
            stats.files += 1
    atomic_write(truth_path,
                 "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines).encode("utf-8"))
    return stats
