"""The models shipped inside the package, and loading a model by path.

``gofix/weights/tagger.pt`` is the default board-aware tagger (both sides of
every move); ``gofix/weights/tagger-causal.pt`` its left-context ablation, used
only by ``gofix eval`` to show what looking at both sides buys;
``gofix/weights/seq2seq.pt`` the encoder-decoder, whose repair proposals are
used only when asked for (``--seq2seq``) and compared by ``gofix eval``. Any
may be absent (a source checkout before training); without a tagger gofix
falls back to the rules alone.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
DEFAULT = WEIGHTS / "tagger.pt"
CAUSAL = WEIGHTS / "tagger-causal.pt"
SEQ2SEQ = WEIGHTS / "seq2seq.pt"


def default_checkpoint() -> Path | None:
    """The bundled tagger's path, or None if this installation has none."""
    return DEFAULT if DEFAULT.is_file() else None


def causal_checkpoint() -> Path | None:
    return CAUSAL if CAUSAL.is_file() else None


def seq2seq_checkpoint() -> Path | None:
    return SEQ2SEQ if SEQ2SEQ.is_file() else None


def load_scorer(path=None):
    """A ``rescore.Seq2SeqScorer`` from ``path`` (default: the bundled encoder-decoder), or None.

    Raises CheckpointError for a file that is not a usable gofix checkpoint, or not an encoder-decoder.
    """
    path = path or seq2seq_checkpoint()
    if path is None:
        return None
    from gofix.errors import CheckpointError
    from .rescore import Seq2SeqScorer

    scorer = Seq2SeqScorer(path)
    if getattr(scorer.model, "KIND", None) != "seq2seq":
        raise CheckpointError(f"{path}: not an encoder-decoder checkpoint (it holds a {scorer.model.KIND})")
    return scorer


def model_card(path) -> dict:
    """The model card next to the checkpoint at ``path`` (``tagger.pt`` -> ``tagger.json``), or {}
    when there is none or it is not a JSON object."""
    import json

    try:
        card = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def calibrated_threshold(path, key: str = "flag_threshold", fallback: float = 0.5) -> float:
    """A threshold chosen on validation data for the model at ``path`` (``gofix calibrate``).

    Read from its model card: ``flag_threshold`` (flag a move) or
    ``repair_threshold`` (apply a repair); ``fallback`` when there is none.
    """
    try:
        return float(model_card(path)[key])
    except (KeyError, ValueError, TypeError):
        return fallback


def change_trust(path=None) -> dict | None:
    """How often the repair engine's changes were right on validation games, from the model card
    of the tagger at ``path`` (default: the bundled one): ``{"games", "split", "seed", "changed",
    "right", "share_right", "bins": [{"confidence": [lo, hi], "changed", "right"}, ...]}``
    written by ``gofix calibrate`` (``evaluate.calibrate.measure_trust``); None when the card has none."""
    path = path or default_checkpoint()
    trust = model_card(path).get("change_trust") if path is not None else None
    return trust if isinstance(trust, dict) and trust.get("changed") else None


def inference_threads() -> None:
    """One torch thread for inference (GOFIX_THREADS to change): per-game forwards gain little from
    more, and threads competing with other work collapse throughput. Batch work uses --jobs instead."""
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("GOFIX_THREADS", "1"))))


def has_tagger(path=None) -> bool:
    """Whether there is a tagger to run (``path``, or the bundled one), loaded once with
    ``inference_threads`` so that a bad checkpoint raises CheckpointError here, before any work starts;
    False: none installed, the rules only."""
    inference_threads()
    return load_detector(path) is not None


def trust_note(path=None, engine: bool = False) -> str:
    """How far to trust the repairs of the tagger at ``path`` (default: the bundled one), in words: from
    its model card (``change_trust``), or with the KataGo network as judge (``engine``) from the
    network's calibration (``engine.judge.trust``)."""
    if engine:
        from gofix.engine.judge import trust as engine_trust

        t = engine_trust()
        if t is None:
            return ("Repairs judged by the KataGo network, not yet calibrated "
                    "(scripts/engine_calibrate.py); check each one.")
        return (f"Repairs judged by the KataGo network: on {t['games']} validation games with planted "
                f"errors ({t['corrupted']} corrupted, the games the calibration was fitted on), "
                f"{t['exact_repair']:.0%} of the corrupted games were restored exactly, {t['wrong_repairs']} "
                f"wrongly changed, {t['clean_untouched']:.0%} of the clean games left alone. "
                f"Check each one.")
    trust = change_trust(path)
    if trust is None:
        return ("Repairs: this model's card says nothing about how often its changes are right "
                "(gofix calibrate); check each one.")
    bins = ", ".join(f"{b['confidence'][0]:.2f}+: {b['right']}/{b['changed']}" for b in trust.get("bins", [])
                     if b.get("changed"))
    split = {"val": "validation", "train": "training"}.get(trust["split"], str(trust["split"]))
    return (f"Repairs: on {trust['games']:,} {split} games with planted errors, "
            f"{trust['share_right']:.0%} of the games this model changed were restored exactly "
            f"(right/changed by confidence: {bins}). The confidence ranks repairs; it is not a "
            f"probability. Check each one.")


def load_detector(path=None, *, threshold: float | None = None):
    """A ``detect.ModelDetector`` from ``path`` (default: the bundled model), or None if there is none.

    ``threshold`` None: the model card's calibrated threshold (0.5 without one).
    Raises CheckpointError for a file that is not a usable gofix checkpoint.
    """
    path = path or default_checkpoint()
    if path is None:
        return None
    from .detect import ModelDetector

    if threshold is None:
        threshold = calibrated_threshold(path)
    return ModelDetector(path, threshold=threshold)


class RepairerFactory:
    """Builds the repairer for ``clean``/``fix`` (picklable, so worker processes can build their own).

    ``seq2seq_path``: an encoder-decoder whose proposals (other moves at a
    flagged move, missing moves) join the tagger's candidates; None: the
    tagger alone — the default, because on validation games the bundled
    encoder-decoder's proposals did not add exact repairs (see the README).
    """

    def __init__(self, model_path=None, *, rules_only: bool = False, threshold: float | None = None,
                 flag_threshold: float | None = None, threads: int | None = 1, seq2seq_path=None,
                 engine_path=None):
        self.model_path = None if model_path is None else str(model_path)
        self.seq2seq_path = None if seq2seq_path is None else str(seq2seq_path)
        self.threads = threads
        self.rules_only = rules_only
        self.threshold = threshold
        self.flag_threshold = flag_threshold
        self.engine_path = None if engine_path is None else str(engine_path)  # a KataGo network: the judge

    def scorer_path(self):
        """The encoder-decoder checkpoint this factory's repairer uses, or None."""
        return None if self.rules_only else self.seq2seq_path

    def check(self) -> None:
        """Load the encoder-decoder this factory names, once: a bad file raises CheckpointError here,
        before any work starts."""
        spath = self.scorer_path()
        if spath is not None:
            load_scorer(spath)

    def __call__(self):
        from .repairer import ModelRepairer, RulesRepairer

        if self.rules_only:
            return RulesRepairer()
        detector = load_detector(self.model_path, threshold=self.flag_threshold)
        if detector is None:
            return RulesRepairer()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)  # 1 when each core runs its own worker
        spath = self.scorer_path()
        scorer = load_scorer(spath) if spath is not None else None
        threshold = self.threshold
        if threshold is None:
            card = self.model_path or DEFAULT
            threshold = calibrated_threshold(spath if scorer is not None else card, "repair_threshold",
                                             calibrated_threshold(card, "repair_threshold"))
        if self.engine_path is None:
            return ModelRepairer(detector, threshold=threshold, scorer=scorer)
        from gofix.engine.judge import load_judge, repairer_settings

        judge = load_judge(self.engine_path, threads=self.threads)  # the user's --threshold holds for it too
        return ModelRepairer(detector, threshold=threshold, scorer=scorer, engine=judge,
                             **repairer_settings(self.threshold))
