"""A tagger's model card: the thresholds, the judge's fit and the trust bins every command reads.

``calibrate(checkpoint, data)`` measures a tagger checkpoint on games of ``data`` (an SGF file,
folder or archive read as ``gofix eval`` reads it, or a training cache ``.npz``, whose own split of
each game is used) and writes its model card, the JSON next to the weights
(``repair.pretrained.model_card`` reads it). Three steps, each on its own games:

* ``thresholds``: corrupted cases from the VALIDATION split (seed 1, one error per corrupted game,
  half clean — not the seed ``gofix eval`` reports with), the tagger run once per game, the flag
  threshold with the best F0.5 of detection (``flag_threshold``); then, at that threshold, each
  repair confidence threshold is tried, and the one with the most exact repairs among those that
  leave at least 99% of the clean games untouched is kept (``repair_threshold``; a tie: the
  higher); with the figures measured (``validation``). With an encoder-decoder, the repair sweep
  runs again with it in the repair engine and its threshold goes into its own card.
* ``judge``: the judge's weighting fitted on pairs of 800 TRAINING games (seed 3), its confidence
  on pairs of 200 validation games (seed 1) (``evaluate.judge_fit``; the ``judge`` entry, which
  ``repair.judge.Judge`` reads).
* ``trust``: the repair engine as ``gofix fix``/``clean`` run it (the card's thresholds) on 1,000
  validation cases (seed 2): for every game it changed, the lowest confidence of the edits it
  applied, and whether the change restored the clean record, per confidence bin
  (``change_trust``, which ``gofix check`` quotes under its findings).

The card also holds the checkpoint's model and training info (``model``, ``history``,
``moves_seen_total``). Steps not run keep their entries from the card there before (or, for a
card elsewhere, from the checkpoint's own card); the notes written by hand (``other_runs``,
``history_note``) are kept. A card that exists is replaced only with ``force``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from gofix.errors import CheckpointError, GofixError, NoGamesError

STEPS = ("thresholds", "judge", "trust")
REPAIR_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
TRUST_BINS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)
KEPT = ("other_runs", "history_note")  # notes written by hand: carried over
ORDER = ("flag_threshold", "validation", "repair_threshold", "model", "change_trust", "judge", "history",
         "moves_seen_total", "other_runs", "history_note")  # the shipped card's order
STEP_KEYS = {"thresholds": ("flag_threshold", "validation", "repair_threshold"), "judge": ("judge",),
             "trust": ("change_trust",)}

# the protocol: (seed, split) of each step's games
THRESHOLD_GAMES = (1, "val")
JUDGE_TRAIN_GAMES = (3, "train")
JUDGE_GAMES = (1, "val")
TRUST_GAMES = (2, "val")


class CardExistsError(GofixError):
    """A model card is there already (``force`` replaces it)."""


@dataclass
class TrustReport:
    """``change_trust`` as measured: per confidence bin ``(lo, hi)`` [changed, right, clean games
    changed], and where the wrong changes to corrupted games were (touching the error's own moves,
    within ``near`` moves of them, or farther)."""

    games: int
    split: str
    seed: int
    bins: dict = field(default_factory=dict)
    wrong: dict = field(default_factory=lambda: {"touching": 0, "near": 0, "far": 0})
    near: int = 2

    @property
    def changed(self) -> int:
        return sum(r[0] for r in self.bins.values())

    @property
    def right(self) -> int:
        return sum(r[1] for r in self.bins.values())

    @property
    def share_right(self) -> float | None:
        return round(self.right / self.changed, 3) if self.changed else None

    def rows(self) -> list[dict]:
        """One row per bin, lowest first: confidence [lo, hi], changed, right, share right, clean games changed."""
        return [{"confidence": [lo, min(hi, 1.0)], "changed": n, "right": right, "share_right": round(right / n, 3),
                 "clean_games_changed": clean} for (lo, hi), (n, right, clean) in sorted(self.bins.items())]

    def card_entry(self) -> dict:
        return {"games": self.games, "split": self.split, "seed": self.seed, "changed": self.changed,
                "right": self.right, "share_right": self.share_right,
                "bins": [{"confidence": [lo, min(hi, 1.0)], "changed": c, "right": r}
                         for (lo, hi), (c, r, _) in sorted(self.bins.items())]}


@dataclass
class Calibration:
    """What ``calibrate`` wrote: the card (and the encoder-decoder's), the steps it ran, the trust report."""

    card_path: Path
    card: dict
    steps: tuple
    seq2seq_card_path: Path | None = None
    seq2seq_card: dict | None = None
    trust: TrustReport | None = None
    replaced: list = field(default_factory=list)  # cards that were there before (force)

    def needs_a_look(self) -> list[str]:
        """What a person should look at in this card, in words ([] when nothing)."""
        sweep = self.card.get("validation", {}).get("repair_sweep", []) if "thresholds" in self.steps else []
        if "thresholds" in self.steps and not any(t["clean_untouched"] >= 0.99 for t in sweep):
            return ["no repair threshold left 99% of the clean games untouched"]
        return []


class NoDataError(GofixError, ValueError):
    """No games given to calibrate on, and the cache the checkpoint was trained on is not there."""


def training_cache(checkpoint) -> Path:
    """The cache ``checkpoint`` was trained on, when it is there; NoDataError (saying to give
    --data) otherwise, CheckpointError for a file that is no checkpoint."""
    from gofix.models import checkpoint as ckpt_io

    cache = (ckpt_io.read(checkpoint).get("train_config") or {}).get("cache") or ""
    if cache and os.path.isfile(cache):
        return Path(cache)
    said = f" (it was trained on {cache}, which is not here)" if cache else ""
    raise NoDataError(f"give --data: the games to measure {checkpoint} on{said}")


def trained_checkpoint(out_dir) -> Path | None:
    """The checkpoint a ``gofix train`` run left in ``out_dir``: best.pt, else last.pt (None: neither)."""
    for name in ("best.pt", "last.pt"):
        path = Path(out_dir) / name
        if path.is_file():
            return path
    return None


# ------------------------------------------------------------------ games


def validation_cases(source, *, seed: int, split: str, limit: int | None) -> list:
    """``evaluate.eval`` cases (one error per corrupted game, half clean) from the ``split`` games of
    ``source``: records as ``corpus_cases`` reads them, or a cache's games of its own ``split``."""
    from .eval import corpus_cases, make_cases
    from .judge_fit import cache_games, is_cache

    if not is_cache(source):
        return list(corpus_cases(source, seed=seed, split=split, limit=limit))
    from types import SimpleNamespace

    from gofix.train.corrupt import Channel

    records = (SimpleNamespace(game_id=f"cache#{i}", **vars(g)) for i, g in cache_games(source, split))
    return list(make_cases(records, channel=Channel(errors_per_game=1, clean_share=0.5), seed=seed, split=None,
                           limit=limit))


def _need(cases, source, split: str) -> list:
    if not cases:
        raise NoGamesError(f"no usable {split} game in {source} (19x19, legal, 30+ moves, split {split})")
    return cases


# ------------------------------------------------------------------ the steps


def model_info(path) -> dict:
    """The card's ``model`` entry: kind, config, step, training config and last metrics of a checkpoint."""
    from gofix.models import checkpoint

    ck = checkpoint.read(path)
    return {"kind": ck["model_kind"], "config": ck["model_config"], "step": ck["step"],
            "train_config": ck["train_config"], "train_metrics": ck["metrics"]}


def repair_sweep(detector, cases, thresholds: Sequence[float], *, scorer=None, log=None) -> tuple[float, list]:
    """(chosen repair threshold, every one tried with its figures) at ``detector``'s flag threshold."""
    from .eval import ModelSystem, run_system, score

    tried = []
    for rt in thresholds:
        outs, secs = run_system(ModelSystem("repair", detector, threshold=rt, scorer=scorer), cases)
        s = score("repair", cases, outs, seconds=secs, threshold=detector.threshold)
        tried.append({"repair_threshold": rt, "repaired_exactly": s.repaired_exactly,
                      "clean_untouched": s.clean_untouched, "games_per_s": s.games_per_s})
        if log is not None:
            log(json.dumps(tried[-1]))
    ok = [t for t in tried if t["clean_untouched"] >= 0.99]
    chosen = max(ok, key=lambda t: (t["repaired_exactly"], t["repair_threshold"])) if ok else \
        max(tried, key=lambda t: t["clean_untouched"])
    return chosen["repair_threshold"], tried


def measure_thresholds(checkpoint, cases, *, repair_thresholds: Sequence[float] = REPAIR_THRESHOLDS,
                       seed: int = THRESHOLD_GAMES[0], split: str = THRESHOLD_GAMES[1], seq2seq=None,
                       log=None) -> tuple[dict, dict | None]:
    """(the card's flag_threshold, validation and repair_threshold entries; the encoder-decoder's card
    or None) measured on ``cases`` (see the module doc)."""
    from gofix.repair.detect import ModelDetector

    from .eval import ModelSystem, run_system, score

    det = ModelDetector(checkpoint, threshold=1.0)  # flags nothing yet: detection only
    outs, secs = run_system(ModelSystem("probe", det, repair=False), cases)
    probe = score("probe", cases, outs, seconds=secs)
    flag_t, p, r, f = probe.best_f05()
    validation = {"games": len(cases), "seed": seed, "split": split, "precision": p, "recall": r, "f05": f,
                  "detect_games_per_s": probe.games_per_s}
    det.threshold = flag_t
    rt, validation["repair_sweep"] = repair_sweep(det, cases, repair_thresholds, log=log)
    entries = {"flag_threshold": flag_t, "validation": validation, "repair_threshold": rt}
    if seq2seq is None:
        return entries, None
    from gofix.repair.rescore import Seq2SeqScorer

    s_rt, tried = repair_sweep(det, cases, repair_thresholds, scorer=Seq2SeqScorer(seq2seq), log=log)
    s2s = {"repair_threshold": s_rt, "with_tagger": {"checkpoint": str(checkpoint), "flag_threshold": flag_t},
           "validation": {"games": len(cases), "seed": seed, "split": split, "repair_sweep": tried},
           "model": model_info(seq2seq)}
    return entries, s2s


def bin_of(conf: float, bins=TRUST_BINS) -> tuple[float, float]:
    """The half-open bin ``[lo, hi)`` of ``bins`` that holds ``conf`` (below the first: ``(0, bins[0])``)."""
    lo = 0.0
    for hi in bins:
        if conf < hi:
            return lo, hi
        lo = hi
    return lo, float("inf")


def where(edits, truths, near: int) -> str:
    """'touching' when an edit touches a move of an error, 'near' when one lies within ``near``
    moves of one, else 'far' (move numbers of the record as read; an insertion counts at the
    move after the gap)."""
    errors = {p for t in truths for p in t.positions}
    touched = [m - 1 for e in edits for m in e.moves]
    if not touched or not errors:
        return "far"
    gap = min(abs(i - p) for i in touched for p in errors)
    return "touching" if gap == 0 else "near" if gap <= near else "far"


def measure_trust(checkpoint, cases, *, flag_threshold: float | None = None, repair_threshold: float | None = None,
                  seed: int = TRUST_GAMES[0], split: str = TRUST_GAMES[1], near: int = 2) -> TrustReport:
    """How often the repair engine's changes were right, by their confidence, on ``cases``: the
    engine as ``gofix fix``/``clean`` build it, at these thresholds (None: the checkpoint's card's)."""
    from gofix.repair.pretrained import RepairerFactory

    from .eval import as_record, same_moves

    engine = RepairerFactory(checkpoint, threshold=repair_threshold, flag_threshold=flag_threshold)()
    report = TrustReport(games=len(cases), split=split, seed=seed, near=near)
    for case in cases:
        result = engine.repair(as_record(case))
        if not result.changed:
            continue
        right = bool(case.corrupted and same_moves(result.moves, case.clean))
        row = report.bins.setdefault(bin_of(min(e.confidence for e in result.edits)), [0, 0, 0])
        row[0] += 1
        row[1] += right
        row[2] += not case.corrupted
        if case.corrupted and not right:
            report.wrong[where(result.edits, case.truths, near)] += 1
    return report


# ------------------------------------------------------------------ the card


def read_card(path) -> dict:
    """The JSON object at ``path``, or {} when there is none (or it is not a JSON object)."""
    try:
        card = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def write_card(path, card: dict) -> None:
    """Write ``card`` as the scripts always wrote cards (indent 1), atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(card, indent=1, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _ordered(card: dict) -> dict:
    return {**{k: card[k] for k in ORDER if k in card}, **{k: v for k, v in card.items() if k not in ORDER}}


def calibrate(checkpoint, data, *, card=None, judge_data=None, steps: Sequence[str] = STEPS,
              games: int = 200, repair_thresholds: Sequence[float] = REPAIR_THRESHOLDS, judge_games: int = 200,
              judge_train_games: int = 800, trust_games: int = 1000, seq2seq=None, seq2seq_card=None,
              force: bool = False, log: Callable[[str], None] | None = None,
              threads: int | None = None) -> Calibration:
    """Measure the tagger at ``checkpoint`` on ``data`` and write its model card (see the module doc).

    ``card``: where (default: the checkpoint with ``.json``); ``judge_data``: the judge's games, if
    not ``data``'s; ``steps``: which of ``STEPS`` to run; ``games``, ``judge_games``,
    ``judge_train_games``, ``trust_games``: each step's games; ``seq2seq``: an encoder-decoder
    whose card (``seq2seq_card``, default: it with ``.json``) the thresholds step also writes;
    ``log``: called with a line per measurement; ``threads``: torch threads. Raises CardExistsError for a card that is there
    (without ``force``), CheckpointError for a checkpoint that is not a tagger, NoGamesError when
    a step finds no games; nothing is written then.
    """
    from gofix.models import checkpoint as ckpt_io

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    if not steps or any(s not in STEPS for s in steps):
        raise ValueError(f"steps must be some of {', '.join(STEPS)}, not {list(steps)!r}")
    steps = tuple(s for s in STEPS if s in steps)
    checkpoint = Path(checkpoint)
    card_path = Path(card) if card is not None else checkpoint.with_suffix(".json")
    s2s_path = None
    if seq2seq is not None:
        if "thresholds" not in steps:
            raise ValueError("an encoder-decoder's card comes from the thresholds step: run it too")
        s2s_path = Path(seq2seq_card) if seq2seq_card is not None else Path(seq2seq).with_suffix(".json")
    there = [p for p in (card_path, s2s_path) if p is not None and p.exists()]
    if there and not force:
        raise CardExistsError(f"{there[0]} exists; use --force to overwrite it")
    ck = ckpt_io.read(checkpoint)
    if ck.get("model_kind") == "seq2seq":
        raise CheckpointError(f"{checkpoint}: an encoder-decoder; calibrate its tagger with --seq2seq {checkpoint}")
    if seq2seq is not None and ckpt_io.read(seq2seq).get("model_kind") != "seq2seq":
        raise CheckpointError(f"{seq2seq}: not an encoder-decoder checkpoint")
    base = read_card(card_path) if card_path.exists() else read_card(checkpoint.with_suffix(".json"))
    new = {k: base[k] for k in KEPT if k in base}
    for step in STEPS:
        if step not in steps:
            new.update({k: base[k] for k in STEP_KEYS[step] if k in base})
    out = Calibration(card_path, new, steps, s2s_path, replaced=there)
    if "thresholds" in steps:
        seed, split = THRESHOLD_GAMES
        cases = _need(validation_cases(data, seed=seed, split=split, limit=games), data, split)
        entries, out.seq2seq_card = measure_thresholds(checkpoint, cases, repair_thresholds=repair_thresholds,
                                                       seed=seed, split=split, seq2seq=seq2seq, log=log)
        new.update(entries)
    new["model"] = model_info(checkpoint)
    new["history"] = ck.get("history") or base.get("history") or []  # every run behind the weights
    new["moves_seen_total"] = sum(int(r.get("moves_seen") or 0) for r in new["history"])
    if "judge" in steps:
        from .judge_fit import fit_judge, fit_weights

        jdata = data if judge_data is None else judge_data
        progress = None if log is None else (lambda n, k, s: log(f"judge: {n} games, {k} regions, {s:.0f}s"))
        weights = fit_weights(checkpoint, jdata, games=judge_train_games, seed=JUDGE_TRAIN_GAMES[0],
                              progress=progress)
        if log is not None:
            log(json.dumps(weights["train"]))
        new["judge"] = fit_judge(checkpoint, jdata, weights=weights, games=judge_games, seed=JUDGE_GAMES[0],
                                 split=JUDGE_GAMES[1], progress=progress)
    if "trust" in steps:
        if "flag_threshold" not in new or "repair_threshold" not in new:
            raise ValueError(f"no thresholds in {card_path} to measure the changes at: run the thresholds step too")
        seed, split = TRUST_GAMES
        cases = _need(validation_cases(data, seed=seed, split=split, limit=trust_games), data, split)
        out.trust = measure_trust(checkpoint, cases, flag_threshold=new["flag_threshold"],
                                  repair_threshold=new["repair_threshold"], seed=seed, split=split)
        new["change_trust"] = out.trust.card_entry()
    out.card = _ordered(new)
    write_card(card_path, out.card)
    if out.seq2seq_card is not None:
        write_card(s2s_path, out.seq2seq_card)
    return out
