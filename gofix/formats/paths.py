"""Writing mirrored trees safely: output names, path safety, and runs that never overwrite.

Output paths mirror the input: a file under a source directory keeps its
relative path; a member of an archive ``games.tar.gz`` is written under
``games/`` followed by the member's own path. Member names that would escape
the output directory (``../x.sgf``, absolute paths) are refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

from gofix.errors import GofixError
from .read import iter_games, sniff_format
from .sources import ARCHIVE_SUFFIXES
from gofix.record import GameRecord, Unreadable


class UnsafePathError(GofixError, ValueError):
    """An output path that is not safe: outside the output directory, or on (or inside) the input."""


def remove_stale_temps(dst: str) -> int:
    """Delete the temp files an interrupted run left under ``dst``; return how many.

    Only names ``formats.atomic_write`` makes (``.gofix-<name>.<8 random>.tmp``,
    ``formats.is_gofix_temp``) are removed: another program's ``.x.tmp`` stays.
    """
    n = 0
    for folder, _, files in os.walk(dst):
        for name in files:
            if is_gofix_temp(name):
                os.unlink(os.path.join(folder, name))
                n += 1
    return n


# ------------------------------------------------------------------ one rule for every command that writes a tree

RUN_FILE = ".gofix-run.json"  # what run wrote DST: command, input, options, finished or not
LOCK_FILE = ".gofix-lock"  # held (fcntl.flock) by the run writing DST; holds its pid
_EXISTING = "existing.json"  # in the state folder: the files DST held before the run began


class OutputExistsError(GofixError):
    """The output folder holds a finished run, or a run with other options (``force`` replaces it)."""


class OutputLockedError(GofixError):
    """Another gofix run is writing to the output folder; ``pid`` is the holder's (None: not known)."""

    def __init__(self, message: str, pid: int | None = None):
        self.pid = pid
        super().__init__(message)


class OutputPathError(GofixError):
    """An output path that cannot be written (``/proc/x``, a path under a regular file, no permission)."""


def path_error(path, exc: OSError) -> OutputPathError:
    """The OutputPathError for ``exc`` raised writing ``path``, quoting the path and the system's reason."""
    return OutputPathError(f"cannot write {os.fspath(path)!r}: {exc.strerror or exc}")


def write_report(path: str, lines) -> None:
    """JSON Lines (one object of ``lines`` a line, UTF-8 as written) at ``path`` all at once
    (``atomic_write``); OutputPathError when it cannot be written."""
    report = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    try:
        atomic_write(path, report.encode("utf-8"))
    except OSError as exc:
        raise path_error(path, exc) from None


def make_folder(path) -> None:
    """``os.makedirs(path, exist_ok=True)``; raises OutputPathError (one line) when that cannot be."""
    p = os.fspath(path)
    if os.path.exists(p) and not os.path.isdir(p):
        raise OutputPathError(f"cannot write {p!r}: it is a file, not a folder")
    try:
        os.makedirs(p, exist_ok=True)
    except OSError as exc:
        raise path_error(p, exc) from None
    if not os.path.isdir(p):
        raise OutputPathError(f"cannot write {p!r}: it is a file, not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {p!r}: permission denied")


def safe_target(dst: str, rel: str) -> str:
    """The path of ``rel`` ('/'-separated, relative) under the folder ``dst``, never through a link.

    Raises UnsafePathError (quoting the path) when a folder on the way, or the file itself, is
    a symbolic link (``dst/sub -> ../outside``: writing would land outside DST), or when a
    folder on the way is a file.
    """
    path = os.fspath(dst)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    for k, part in enumerate(parts):
        path = os.path.join(path, part)
        if os.path.islink(path):
            raise UnsafePathError(f"the output {path!r} is a symbolic link: gofix never writes through one")
        if k < len(parts) - 1 and os.path.exists(path) and not os.path.isdir(path):
            raise UnsafePathError(f"the output folder {path!r} is a file")
    return path


def input_stamp(source: str) -> list | None:
    """What says an input is unchanged: [size, mtime_ns] of the file it is read from (None: gone)."""
    try:
        st = os.stat(input_file(source))
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def lock_output(dst: str) -> int:
    """Take ``dst``'s lock (``fcntl.flock`` on ``dst/.gofix-lock``, which gets our pid); return its fd.

    Raises OutputLockedError naming the holder's pid when another run holds it. A lock left by
    a run that died (its pid in the file, the flock gone with the process) is taken over.
    Returns -1 where there is no ``fcntl`` (no lock there).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return -1
    path = safe_target(dst, LOCK_FILE)
    for _ in range(20):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise path_error(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = _read_pid(fd)
            os.close(fd)
            who = f"pid {pid}" if pid else "pid unknown"
            raise OutputLockedError(f"another gofix run ({who}) is writing to {dst!r}; wait for it to end "
                                    f"or give another --out", pid) from None
        try:  # the holder may have removed the file between our open and our lock: lock the one on disk
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)
    raise OutputLockedError(f"could not take the lock of {dst!r}: other runs keep taking it")


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode("ascii").strip())
    except (OSError, ValueError):
        return None


def unlock_output(dst: str, fd: int) -> None:
    """Release the lock ``lock_output`` took and remove the lock file."""
    if fd < 0:
        return
    try:
        os.unlink(os.path.join(os.fspath(dst), LOCK_FILE))
    except OSError:
        pass
    os.close(fd)


def _plain(value):
    """``value`` as JSON gives it back (tuples as lists, keys as strings): comparable with a saved one."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def describe(obj) -> object:
    """A JSON-able description of a factory or option object, stable across runs (no addresses)."""
    import dataclasses
    import functools

    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [describe(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): describe(v) for k, v in obj.items()}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, functools.partial):
        return {"call": describe(obj.func), "args": describe(obj.args), "kwargs": describe(obj.keywords)}
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
        return f"{obj.__module__}.{obj.__qualname__}"
    if dataclasses.is_dataclass(obj):
        return {"class": describe(type(obj)), **describe(dataclasses.asdict(obj))}
    fields = {k: v for k, v in vars(obj).items() if not k.startswith("_")} if hasattr(obj, "__dict__") else {}
    return {"class": describe(type(obj)), **{k: describe(v) for k, v in fields.items()}}


_GOFIX_NAME = re.compile(r"gofix(?:\.\w+)+")


def _layout_free(options):
    """Options with every gofix class or function named by its own name only (``Channel``, not
    ``gofix.train.corrupt.Channel``): a run begun before a module moved resumes after the move."""
    if isinstance(options, dict):
        return {k: _layout_free(v) for k, v in options.items()}
    if isinstance(options, list):
        return [_layout_free(v) for v in options]
    if isinstance(options, str) and _GOFIX_NAME.fullmatch(options):
        return options.rsplit(".", 1)[1]
    return options


def _differences(old: dict, new: dict) -> str:
    keys = sorted(set(old) | set(new))
    return ", ".join(f"{k}: {json.dumps(old.get(k))} then, {json.dumps(new.get(k))} now"
                     for k in keys if old.get(k) != new.get(k))


@dataclass
class OutputRun:
    """One run of a command writing a tree into ``dst``, as ``output_run`` began it."""

    dst: str
    state: str  # the state folder (markers of finished work), removed when the run ends
    existing: set[str]  # files DST held before the run ('/'-separated): kept unless force
    force: bool
    resumed: bool  # an interrupted run with the same command, input and options goes on
    unsynced: list[str] = field(default_factory=list)  # outputs written since the last ``sync``
    unsynced_folders: set[str] = field(default_factory=set)  # folders whose entries changed (``removed``)

    def existed(self, rel: str) -> bool:
        """Whether the output ``rel`` was in DST before this run (so it is kept: no ``force``)."""
        return not self.force and rel in self.existing

    def target(self, rel: str) -> str:
        """``safe_target(dst, rel)``: raises UnsafePathError for a path through a symbolic link."""
        return safe_target(self.dst, rel)

    def write(self, rel: str, data: bytes, *, fsync: bool = False) -> None:
        """Write the output ``rel`` atomically (its folders made); OutputPathError when it cannot be."""
        target = self.target(rel)
        try:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            atomic_write(target, data, fsync=fsync)
        except OSError as exc:
            raise path_error(target, exc) from None
        if not fsync:
            self.unsynced.append(target)
            if len(self.unsynced) >= _SYNC_EVERY:  # a run that never syncs keeps a bounded list
                self.sync()

    def removed(self, path: str) -> None:
        """Say that ``path`` was removed from DST: the next ``sync`` makes its folder's entry durable."""
        self.unsynced_folders.add(os.path.dirname(path) or ".")

    def sync(self) -> None:
        """Make the outputs written since the last sync durable (their data, then the entries of
        their folders up to DST, new folders included), so that a marker written next never says
        done for an output still in memory. Only these files: ``os.sync`` would flush every
        filesystem of the machine."""
        folders = set(self.unsynced_folders)
        for path in self.unsynced:
            _fsync(path, os.O_RDONLY)
            folders.add(os.path.dirname(path) or ".")
        top = os.path.abspath(self.dst)
        for folder in list(folders):  # a folder made for this output is an entry of its parent
            here = os.path.abspath(folder)
            while here.startswith(top + os.sep):
                here = os.path.dirname(here)
                folders.add(here)
        for folder in sorted(folders):
            _fsync(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        self.unsynced.clear()
        self.unsynced_folders.clear()


_SYNC_EVERY = 4096  # outputs written between two syncs at most


def _fsync(path: str, flags: int) -> None:
    try:
        fd = os.open(path, flags)
    except OSError:  # a folder cannot be opened on some systems: its entry is as durable as they allow
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _report_name(dst: str, report: str) -> str:
    """A report's path in the run record: relative to DST when inside it (so two DSTs written alike
    are alike), else absolute."""
    d, r = os.path.abspath(dst), os.path.abspath(report)
    return os.path.relpath(r, d).replace(os.sep, "/") if r.startswith(d.rstrip(os.sep) + os.sep) else r


def _snapshot(dst: str) -> list[str]:
    """Every file under ``dst`` ('/'-separated) but gofix's own (``.gofix-*`` at the top, temp files)."""
    found = []
    for folder, dirs, files in os.walk(dst):
        rel_folder = os.path.relpath(folder, dst)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if not d.startswith(".gofix-")]
            files = [f for f in files if not f.startswith(".gofix-")]
        for name in files:
            if not is_gofix_temp(name):
                found.append(name if rel_folder == "." else f"{rel_folder.replace(os.sep, '/')}/{name}")
    return sorted(found)


@contextmanager
def output_run(command: str, src, dst, *, state_dir: str, options: dict | None = None, force: bool = False,
               reports=()) -> Iterator[OutputRun]:
    """The one rule of every command that writes a tree (clean, reconcile, convert, corrupt).

    Checks ``dst`` and each report path against the input (``check_output``: UnsafePathError),
    makes ``dst`` (OutputPathError when it cannot be) and takes its lock (OutputLockedError
    when another run holds it). Then, from ``DST/.gofix-run.json`` (command, input, report
    paths and ``options`` of the run that wrote DST):

    * no record: a fresh run. The files DST holds already are kept (``OutputRun.existed``), and
      a report that exists refuses the run (OutputExistsError), unless ``force``;
    * the same command, input and options, unfinished: the run resumes (its state folder kept);
    * the same, finished: OutputExistsError (nothing is redone) unless ``force``;
    * anything else (another command, input, report or options): OutputExistsError naming what
      differs, unless ``force``.

    ``force`` starts afresh and overwrites whatever is there. Yields the OutputRun; when the block
    ends normally the record is marked finished and the state folder removed; the lock is
    released however it ends.
    """
    src_s, dst_s = os.fspath(src), os.fspath(dst)
    reports = [os.fspath(r) for r in reports]
    check_output(src_s, dst_s)
    for r in reports:
        check_output(src_s, r)
    make_folder(dst_s)
    for r in reports:
        if os.path.isdir(r):
            raise OutputPathError(f"cannot write the report {r!r}: it is a folder")
        make_folder(os.path.dirname(os.path.abspath(r)))
    run_path = safe_target(dst_s, RUN_FILE)
    state = safe_target(dst_s, state_dir)
    record = {"command": command, "src": os.path.realpath(src_s), "reports": [_report_name(dst_s, r) for r in reports],
              "options": _plain(options or {})}
    fd = lock_output(dst_s)
    try:
        try:
            with open(run_path, encoding="utf-8") as f:
                old = json.load(f)
            if not isinstance(old, dict):
                old = None
        except (OSError, ValueError):
            old = None
        resumed = False
        if old is not None and not force:
            said = f"`gofix {old.get('command')}` of {old.get('src')!r}"
            if old.get("command") != command:
                raise OutputExistsError(f"{dst_s!r} holds the output of {said}: give another --out, "
                                        f"or --force to write `gofix {command}` over it")
            if old.get("src") != record["src"]:
                raise OutputExistsError(f"{dst_s!r} holds the output of {said}, another input: give another "
                                        "--out, or --force to write over it")
            if (_layout_free(old.get("options")), old.get("reports")) != (_layout_free(record["options"]),
                                                                           record["reports"]):
                diff = _differences({**(old.get("options") or {}), "report": old.get("reports")},
                                    {**record["options"], "report": record["reports"]})
                how = "a finished" if old.get("finished") else "an unfinished"
                raise OutputExistsError(f"{dst_s!r} holds {how} run of {said} with other options ({diff}): "
                                        "give another --out, or --force to redo it with these")
            if old.get("finished"):
                raise OutputExistsError(f"{dst_s!r} holds a finished run of {said} with the same options: "
                                        "nothing redone (--force runs it again)")
            resumed = os.path.isfile(os.path.join(state, _EXISTING))
        if resumed:
            with open(os.path.join(state, _EXISTING), encoding="utf-8") as f:
                existing = set(json.load(f))
        else:
            if not force:
                for r in reports:
                    if os.path.lexists(r):
                        raise OutputExistsError(f"the report {r!r} exists: give another --report or --out, "
                                                "or --force to overwrite it")
            if os.path.lexists(state):
                shutil.rmtree(state)
            existing = set() if force else set(_snapshot(dst_s))
            try:
                os.makedirs(state)
                atomic_write(os.path.join(state, _EXISTING), json.dumps(sorted(existing)).encode("utf-8"))
                atomic_write(run_path, json.dumps({**record, "finished": False}, indent=1).encode("utf-8"))
            except OSError as exc:
                raise path_error(state, exc) from None
        remove_stale_temps(dst_s)
        run = OutputRun(dst_s, state, existing, force, resumed)
        yield run
        try:
            atomic_write(run_path, json.dumps({**record, "finished": True}, indent=1).encode("utf-8"))
        except OSError as exc:
            raise path_error(run_path, exc) from None
        shutil.rmtree(state, ignore_errors=True)
    finally:
        unlock_output(dst_s, fd)


def check_output(src, dst) -> None:
    """Refuse to write ``dst`` where it could overwrite the input ``src``.

    Raises UnsafePathError (quoting both paths) when ``dst`` is ``src`` itself (links followed:
    ``os.path.realpath``; hard links too, ``os.path.samefile``, when both exist), lies inside
    ``src`` (a directory, or an archive's path), or contains it (``--out t`` for the input
    ``t/src``: an output ``t/src/x.sgf`` would be an input). Every command that writes checks its output
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
    if s_real.startswith(d_real.rstrip(os.sep) + os.sep):
        raise UnsafePathError(f"the output {d!r} must not contain the input {s!r}: choose a folder outside it")


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

    ``source`` is a path or ``archive!member`` as ``formats`` names them.
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


def in_place_target(src: Path, data: bytes) -> Path:
    """Where ``gofix fix --in-place`` writes the repair of ``src`` (whose bytes are ``data``): ``src``
    itself for an SGF file; beside a GIB, NGF or UGF file, which is never written to, ``SRC.sgf``."""
    return src if sniff_format(data, src.name) == "sgf" else src.with_name(src.name + ".sgf")


def backup_name(src: Path) -> Path:
    """Where ``gofix fix --in-place`` keeps the original of ``src``: ``SRC.bak``, else the first of
    ``SRC.bak1``, ``SRC.bak2``, ... that is not there."""
    backup = src.with_name(src.name + ".bak")
    k = 1
    while backup.exists():
        backup = src.with_name(f"{src.name}.bak{k}")
        k += 1
    return backup


def output_names(src) -> dict[str, str | UnsafePathError]:
    """The output name of every input under ``src`` (``iter_sources`` order), all distinct.

    Each is ``sgf_name(relative_output(...))``. An input whose name ends in ``.sgf`` keeps its
    mirrored name; a converted one (``g.gib`` -> ``g.gib.sgf``) or a second input mapping to a
    name already given gets ``~`` before ``.sgf`` until the name is free (``g.gib~.sgf``), so a
    real ``g.gib.sgf`` beside ``g.gib`` keeps its name whatever the order. A source whose name
    would escape the output maps to its UnsafePathError. Reads names only (archives are listed,
    not read).
    """
    from .sources import iter_sources

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


# ---------------------------------------------------------------- atomic writes

TEMP_PREFIX = ".gofix-"  # atomic_write's temp files: '.gofix-<name>.<8 random>.tmp'
_TEMP_NAME = re.compile(r"\.gofix-.*\.[a-z0-9_]{8}\.tmp\Z", re.S)


def is_gofix_temp(name: str) -> bool:
    """Whether a file name is one of ``atomic_write``'s temp files (what an interrupted run leaves)."""
    return _TEMP_NAME.match(name) is not None


def atomic_write(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` all at once: temp file in the same directory, fsync, rename.

    ``fsync=False`` skips the fsync (still atomic for readers and against a
    killed process; a batch writer then syncs once per chunk). The target
    keeps its permission bits (new files get 0o644). On any failure the temp
    file is removed, the target is untouched and the error (OSError) is raised.
    """
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX + os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
