"""The yardstick: detection and repair figures on corrupted games with known truth.

A *case* is one game: its clean moves, the noisy moves the channel made of
them, and the truths (kind, window of wrong moves, undo edit). A *system*
(rules only, a model, a model's left-context ablation, ...) looks at the
noisy moves and returns flags ``(move index, confidence)`` and, if it can
repair, a repaired move list. ``score`` turns the outputs into figures:

detection   a flag at or above the threshold is a true positive when its
            move lies in some error's window (``Truth.positions``, widened by
            ``margin`` moves each side); precision = true flags / all flags,
            recall = errors with at least one flag in their window / errors,
            F0.5 weighs precision twice as much as recall.
top flag    share of corrupted games whose most confident flag is in a window.
repair      share of corrupted games whose repaired record equals the clean
            one exactly (a system that does not repair scores 0).
changes     of the games a system changed (corrupted or clean), the share it
            restored exactly: how far a user can trust a change it makes.
clean       share of clean games whose record is left exactly as it was,
            and flags on clean games per 100 clean games.
speed       games/s and moves/s of the system's run (model loading is timed
            separately by the caller).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from gofix.rules.board import replay
from gofix.train.corrupt import Channel, Truth, clean_enough, mix_channel
from gofix.record import GameRecord, Move, Unreadable
from gofix.results import Flag, Output  # noqa: F401  (re-exported: evaluate.Output)

@dataclass
class Case:
    """One evaluation game."""

    game_id: str
    size: int
    clean: list[Move]
    noisy: list[Move]
    truths: list[Truth]
    setup_black: list = field(default_factory=list)
    setup_white: list = field(default_factory=list)
    handicap: int = 0

    @property
    def corrupted(self) -> bool:
        return bool(self.truths)


class System(Protocol):
    name: str

    def run(self, case: Case) -> Output: ...


class RulesOnly:
    """What SGFC/sgfcheck-style checkers see: every move the rules reject, nothing repaired."""

    name = "rules only"

    def run(self, case: Case) -> Output:
        rep = replay(case.size, case.noisy, setup_black=case.setup_black,
                     setup_white=case.setup_white, handicap=case.handicap)
        return Output([(i, 1.0) for i, c in enumerate(rep.classes) if c != "ok"], None)


class ModelSystem:
    """A tagger and the repair engine on top of it (with the encoder-decoder as judge when given).

    Flags: every move with the tagger's ``p_wrong`` as its confidence (so the
    precision-recall curve can sweep the threshold). The rules' findings are
    not mixed in: after an error they mostly land on later moves that the
    error made illegal, outside its window (see the rules-only row). The
    repaired record is the repair engine's.
    """

    def __init__(self, name: str, detector, repair: bool = True, threshold: float = 0.5, scorer=None,
                 engine=None, engine_settings: dict | None = None):
        """``threshold``: the repair engine's confidence threshold; ``scorer``: a ``rescore.Seq2SeqScorer``;
        ``engine``: an ``engine.judge.EngineJudge`` that judges the repairs, with ``engine_settings``
        (``engine.judge.repairer_settings()``)."""
        from gofix.repair.repairer import ModelRepairer

        self.name = name
        self.detector = detector
        self.threshold = detector.threshold  # the flag threshold detection is scored at
        self.engine = engine
        knobs = dict(engine_settings or {}) if engine is not None else {}
        if engine is not None:
            self.threshold = knobs.get("engine_flag", 0.5)
        self.repairer = ModelRepairer(detector, threshold=threshold, scorer=scorer, engine=engine,
                                      **knobs) if repair else None

    def run(self, case: Case) -> Output:
        rec = as_record(case)
        if self.repairer is None:
            scores = self.detector.analyse(rec)
            repaired = None
        else:
            result = self.repairer.repair(rec)
            scores, repaired = result.scores, result.moves
        if self.engine is not None and self.repairer is not None:
            # what gofix reports: the network's judged suspects, and every rule finding not caused by
            # a repaired move (a later stone on the point a mistyped move took is that move's fault)
            flags = [(i, float(c)) for i, c in result.judged.items()]
            caused = set(result.caused)
            flags += [(f.move - 1, 1.0) for f in result.findings if f.kind != "suspect" and f.move not in caused]
            return Output(flags, repaired)
        flags = [] if scores is None else [(i, float(p)) for i, p in enumerate(scores.p_wrong)]
        return Output(flags, repaired)


def as_record(case: Case) -> GameRecord:
    """The case's corrupted record as gofix reads one (what a system is run on)."""
    from gofix.record import Node

    return GameRecord(case.game_id, 0, case.size, Node({}), list(case.noisy), list(case.setup_black),
                      list(case.setup_white), case.handicap)


def available_systems(model=None, ablation=None, *, threshold: float | None = None, seq2seq=None,
                      use_seq2seq: bool = True, engine_path=None) -> list[System]:
    """The systems ``gofix eval`` compares: the rules always; the tagger (``model`` or the
    bundled one) repairing alone; the tagger with the encoder-decoder (``seq2seq`` or the
    bundled one) judging its repairs; the tagger's left-context ablation (``ablation`` or the
    bundled one); with ``engine_path`` (a KataGo network) the tagger with the network judging every
    repair and taking a second look at every suspect. Each only when its weights are there.
    ``threshold``: the repair engine's (None: each model card's calibrated one)."""
    from gofix.repair.pretrained import (
        calibrated_threshold,
        causal_checkpoint,
        default_checkpoint,
        load_detector,
        load_scorer,
        seq2seq_checkpoint,
    )

    systems: list[System] = [RulesOnly()]
    tagger = model or default_checkpoint()
    s2s = (seq2seq or (seq2seq_checkpoint() if model is None else None)) if use_seq2seq else None
    runs = [("tagger (both sides)", tagger, None)]
    if tagger is not None and s2s is not None:
        runs.append(("tagger + seq2seq", tagger, s2s))
    runs.append(("tagger (left only)", ablation or (causal_checkpoint() if model is None else None), None))
    for name, path, spath in runs:
        if path is None:
            continue
        card = spath or path
        rt = threshold if threshold is not None else calibrated_threshold(card, "repair_threshold")
        scorer = load_scorer(spath) if spath is not None else None
        systems.append(ModelSystem(name, load_detector(path), threshold=rt, scorer=scorer))
    if engine_path is not None and tagger is not None:
        from gofix.engine.judge import load_judge, repairer_settings

        judge = load_judge(engine_path)
        systems.append(ModelSystem(f"tagger + KataGo judge ({judge.name})", load_detector(tagger),
                                   threshold=calibrated_threshold(tagger, "repair_threshold"),
                                   engine=judge, engine_settings=repairer_settings(threshold)))
    return systems


# ------------------------------------------------------------------ building cases


def make_cases(
    records: Iterable[GameRecord],
    *,
    channel: Channel,
    seed: int = 0,
    split: str | None = "test",
    limit: int | None = None,
    sizes: Sequence[int] | None = (19,),
) -> Iterator[Case]:
    """Corrupt clean records into cases, deterministically from ``seed``.

    Records are kept when they are ``clean_enough``, of a size in ``sizes``
    (None: any) and — when ``split`` is given — in that split of
    ``splits.split_of(splits.game_key(...))``. Each game gets its own
    ``random.Random`` seeded from ``seed`` and the game key, so a case does not
    depend on which other games were read before it.
    """
    from gofix.train.splits import game_key, split_of

    n = 0
    for rec in records:
        if limit is not None and n >= limit:
            return
        if sizes is not None and rec.size not in sizes:
            continue
        if not clean_enough(rec):
            continue
        key = game_key(rec.moves, rec.size)
        if split is not None and split_of(key) != split:
            continue
        rng = random.Random(f"{seed}:{key}")
        clean = [Move(m.colour, m.point, m.sgf) for m in rec.moves]
        noisy, truths = channel.corrupt(clean, rec.size, rng)
        n += 1
        yield Case(rec.game_id, rec.size, clean, noisy, truths,
                   list(rec.setup_black), list(rec.setup_white), rec.handicap)


def corpus_cases(source, *, channel: Channel | None = None, seed: int = 0, split: str | None = "test",
                 limit: int | None = None) -> Iterator[Case]:
    """``make_cases`` over the readable games of ``source`` (an SGF file, directory or archive, read
    one game at a time; unreadable games are skipped). ``channel`` None: the reported mix, one
    error per corrupted game and half the games clean."""
    from gofix.formats.read import iter_games

    if channel is None:
        channel = Channel(errors_per_game=1, clean_share=0.5)
    records = (g for g in iter_games(source) if isinstance(g, GameRecord))
    return make_cases(records, channel=channel, seed=seed, split=split, limit=limit)


def eval_cases(data, *, split: str = "test", seed: int = 0, mix: str = "default", errors_per_game: int = 1,
               clean_share: float = 0.5, limit: int | None = None) -> tuple[Iterator[Case], str]:
    """The cases ``gofix eval`` measures on, and where they come from in words: those of a directory
    written by ``gofix corrupt`` (``cases_from_truth``; the other options do not apply), else
    ``corpus_cases`` of the clean games in ``data`` with the error ``mix`` (``corrupt.mix_channel``),
    from ``split`` (train, val, test, or all the games). Raises ValueError for another split or an
    unknown mix."""
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"split must be train, val, test or all, not {split!r}")
    if os.path.isdir(data) and os.path.isfile(os.path.join(data, "truth.jsonl")):
        return cases_from_truth(data), f"{data} (truth.jsonl)"
    channel = mix_channel(mix, errors_per_game=errors_per_game, clean_share=clean_share)
    cases = corpus_cases(data, channel=channel, seed=seed, split=None if split == "all" else split, limit=limit)
    return cases, f"{data} split={split} seed={seed} errors/game={errors_per_game} clean share={clean_share} mix={mix}"


def take_cases(cases: Iterable[Case], limit: int, progress: Callable[[int], None] | None = None) -> list[Case]:
    """The first ``limit`` of ``cases``; ``progress(n)`` after each one taken."""
    taken: list[Case] = []
    for case in cases:
        taken.append(case)
        if progress is not None:
            progress(len(taken))
        if len(taken) >= limit:
            break
    return taken


# ------------------------------------------------------------------ scoring


@dataclass
class Scores:
    """Figures of one system on one set of cases (see the module doc)."""

    system: str
    threshold: float
    games: int
    corrupted_games: int
    clean_games: int
    errors: int
    flags: int
    true_flags: int
    detected_errors: int
    precision: float
    recall: float
    f05: float
    top_flag_hit: float
    repaired_exactly: float
    clean_untouched: float
    changed_games: int  # games whose record the system changed (corrupted or clean)
    changes_right: float  # of those, the share restored exactly to the clean record (1.0 when none)
    false_flags_per_100_clean: float
    seconds: float
    games_per_s: float
    moves_per_s: float
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    pr_curve: list[tuple[float, float, float]] = field(default_factory=list)  # (threshold, precision, recall)

    def best_f05(self) -> tuple[float, float, float, float]:
        """(threshold, precision, recall, F0.5) of the PR-curve point with the highest F0.5."""
        if not self.pr_curve:
            return (self.threshold, self.precision, self.recall, self.f05)
        t, p, r = max(self.pr_curve, key=lambda x: f_beta(x[1], x[2]))
        return (t, p, r, f_beta(p, r))

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def f_beta(precision: float, recall: float, beta: float = 0.5) -> float:
    if precision <= 0 and recall <= 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _windows(truths: Sequence[Truth], margin: int) -> list[set[int]]:
    return [{p + d for p in t.positions for d in range(-margin, margin + 1)} for t in truths]


def _counts(cases, outputs, threshold: float, margin: int):
    flags = true_flags = errors = detected = 0
    for case, out in zip(cases, outputs):
        wins = _windows(case.truths, margin)
        errors += len(wins)
        kept = [i for i, c in out.flags if c >= threshold]
        flags += len(kept)
        union = set().union(*wins) if wins else set()
        true_flags += sum(1 for i in kept if i in union)
        detected += sum(1 for w in wins if any(i in w for i in kept))
    return flags, true_flags, errors, detected


def score(
    system_name: str,
    cases: Sequence[Case],
    outputs: Sequence[Output],
    *,
    seconds: float = 0.0,
    threshold: float = 0.5,
    margin: int = 0,
) -> Scores:
    """Figures for ``outputs[k]`` given on ``cases[k]`` (same order, same length)."""
    if len(cases) != len(outputs):
        raise ValueError(f"{len(cases)} cases but {len(outputs)} outputs")
    flags, true_flags, errors, detected = _counts(cases, outputs, threshold, margin)
    precision = true_flags / flags if flags else 0.0
    recall = detected / errors if errors else 0.0

    corrupted = [(c, o) for c, o in zip(cases, outputs) if c.corrupted]
    clean = [(c, o) for c, o in zip(cases, outputs) if not c.corrupted]
    top_hits = 0
    for c, o in corrupted:
        if o.flags:
            best = max(o.flags, key=lambda f: f[1])
            if best[1] >= threshold and any(best[0] in w for w in _windows(c.truths, margin)):
                top_hits += 1
    repaired = sum(1 for c, o in corrupted if o.repaired is not None and same_moves(o.repaired, c.clean))
    untouched = sum(1 for c, o in clean if o.repaired is None or same_moves(o.repaired, c.noisy))
    changed = sum(1 for c, o in zip(cases, outputs) if o.repaired is not None and not same_moves(o.repaired, c.noisy))
    clean_flags = sum(sum(1 for _, conf in o.flags if conf >= threshold) for _, o in clean)

    by_kind: dict[str, dict[str, float]] = {}
    kinds = sorted({t.kind for c in cases for t in c.truths})
    for kind in kinds:
        n_err = n_det = n_games = n_fixed = 0
        for c, o in corrupted:
            mine = [t for t in c.truths if t.kind == kind]
            if not mine:
                continue
            kept = [i for i, conf in o.flags if conf >= threshold]
            for w in _windows(mine, margin):
                n_err += 1
                n_det += any(i in w for i in kept)
            if len(c.truths) == len(mine):  # only this kind in the game: repair is attributable
                n_games += 1
                n_fixed += o.repaired is not None and same_moves(o.repaired, c.clean)
        by_kind[kind] = {
            "errors": n_err,
            "recall": n_det / n_err if n_err else 0.0,
            "games": n_games,
            "repaired_exactly": n_fixed / n_games if n_games else 0.0,
        }

    n_moves = sum(len(c.noisy) for c in cases)
    return Scores(
        system=system_name,
        threshold=threshold,
        games=len(cases),
        corrupted_games=len(corrupted),
        clean_games=len(clean),
        errors=errors,
        flags=flags,
        true_flags=true_flags,
        detected_errors=detected,
        precision=precision,
        recall=recall,
        f05=f_beta(precision, recall),
        top_flag_hit=top_hits / len(corrupted) if corrupted else 0.0,
        repaired_exactly=repaired / len(corrupted) if corrupted else 0.0,
        clean_untouched=untouched / len(clean) if clean else 1.0,
        changed_games=changed,
        changes_right=repaired / changed if changed else 1.0,
        false_flags_per_100_clean=100.0 * clean_flags / len(clean) if clean else 0.0,
        seconds=seconds,
        games_per_s=len(cases) / seconds if seconds > 0 else 0.0,
        moves_per_s=n_moves / seconds if seconds > 0 else 0.0,
        by_kind=by_kind,
        pr_curve=pr_curve(cases, outputs, margin=margin),
    )


PR_THRESHOLDS = tuple(k / 100 for k in range(1, 20)) + tuple(k / 20 for k in range(4, 21))


def pr_curve(cases: Sequence[Case], outputs: Sequence[Output], *, margin: int = 0,
             thresholds: Sequence[float] = PR_THRESHOLDS) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) at each threshold (fine steps at the low end)."""
    curve = []
    for t in thresholds:
        flags, true_flags, errors, detected = _counts(cases, outputs, t, margin)
        curve.append((t, true_flags / flags if flags else 1.0, detected / errors if errors else 0.0))
    return curve


def same_moves(a: Sequence[Move], b: Sequence[Move]) -> bool:
    """Whether two move lists hold the same moves (colour and point; the SGF text aside)."""
    return len(a) == len(b) and all(x[0] == y[0] and x[1] == y[1] for x, y in zip(a, b))


def run_system(system: System, cases: Sequence[Case],
               progress: Callable[[int], None] | None = None) -> tuple[list[Output], float]:
    """Run ``system`` on every case; return the outputs and the seconds it took."""
    outputs = []
    start = time.perf_counter()
    for k, case in enumerate(cases):
        outputs.append(system.run(case))
        if progress is not None:
            progress(k + 1)
    return outputs, time.perf_counter() - start


def score_systems(systems: Sequence[System], cases: Sequence[Case], *, threshold: float | None = None,
                  margin: int = 0, progress: Callable[[str, int, int], None] | None = None) -> list[Scores]:
    """Each system run on ``cases`` (``run_system``) and scored (``score``), in order: a flag counts at
    ``threshold`` or more (None: the system's own threshold, 0.5 for the rules alone);
    ``progress(system name, cases done, cases)`` as each system starts and after each case."""
    results = []
    for system in systems:
        if progress is not None:
            progress(system.name, 0, len(cases))
        tick = None if progress is None else (lambda k, name=system.name: progress(name, k, len(cases)))
        outputs, secs = run_system(system, cases, tick)
        at = threshold if threshold is not None else getattr(system, "threshold", 0.5)
        results.append(score(system.name, cases, outputs, seconds=secs, threshold=at, margin=margin))
    return results


# ------------------------------------------------------------------ reports


def markdown(scores: Sequence[Scores], header: str = "") -> str:
    """A markdown report: the overall table, then recall and repair by error kind."""
    lines = [header] if header else []
    lines += [
        "| system | games | P | R | F0.5 | top flag | repaired exactly | changes right | clean untouched "
        "| false flags /100 clean | games/s | moves/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.system} | {s.games} | {s.precision:.3f} | {s.recall:.3f} | {s.f05:.3f} | "
            f"{s.top_flag_hit:.3f} | {s.repaired_exactly:.3f} | {s.changes_right:.3f} ({s.changed_games}) | "
            f"{s.clean_untouched:.3f} | "
            f"{s.false_flags_per_100_clean:.1f} | {s.games_per_s:.0f} | {s.moves_per_s:.0f} |"
        )
    lines += ["", "Best F0.5 over thresholds (detection only):", "",
              "| system | threshold | P | R | F0.5 |", "|---|---:|---:|---:|---:|"]
    for s in scores:
        t, p, r, f = s.best_f05()
        lines.append(f"| {s.system} | {t:.2f} | {p:.3f} | {r:.3f} | {f:.3f} |")
    kinds = sorted({k for s in scores for k in s.by_kind})
    if kinds:
        lines += ["", "Recall (and exact repair) by error kind:", "",
                  "| kind | errors | " + " | ".join(s.system for s in scores) + " |",
                  "|---|---:|" + "---:|" * len(scores)]
        for k in kinds:
            n = max(int(s.by_kind.get(k, {}).get("errors", 0)) for s in scores)
            cells = []
            for s in scores:
                d = s.by_kind.get(k)
                cells.append(f"{d['recall']:.2f} ({d['repaired_exactly']:.2f})" if d else "-")
            lines.append(f"| {k} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_pr(scores: Sequence[Scores], path) -> bool:
    """Write a precision-recall plot (PNG) if matplotlib is installed; return whether it did."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 4))
    for s in scores:
        ax.plot([r for _, _, r in s.pr_curve], [p for _, p, _ in s.pr_curve], marker=".", label=s.system)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def cases_from_truth(directory) -> Iterator[Case]:
    """Cases from a set written by ``gofix corrupt``: its SGF files plus ``truth.jsonl``.

    The clean record of each game is its noisy record with the truth's undo
    edits applied. Raises FileNotFoundError if ``truth.jsonl`` is missing.
    """
    import json
    import os

    from gofix.formats.paths import group_by_file, relative_output
    from gofix.train.corrupt import undo_all

    truth = {}
    with open(os.path.join(directory, "truth.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if "skipped" not in e:
                truth[(e["path"], e["game"])] = e
    for source, games in group_by_file(directory):
        rel = relative_output(source, os.fspath(directory))
        for g in games:
            e = truth.get((rel, g.index))
            if e is None or isinstance(g, Unreadable):
                continue
            truths = [Truth.from_dict(t) for t in e["truths"]]
            yield Case(g.game_id, g.size, undo_all(g.moves, truths), list(g.moves), truths,
                       list(g.setup_black), list(g.setup_white), g.handicap)

