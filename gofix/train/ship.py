"""Shipping a training checkpoint: the same self-describing file without its optimizer and RNG state.

``ship_weights(src, dst)`` writes ``dst`` loadable with ``gofix.models.checkpoint.load`` (config,
vocabulary, training config, step, validation metrics, training history) and checks that it loads.
The history lists every training run that led to the weights (``loop.past_runs``): a checkpoint
written before histories were kept gets one rebuilt entry (``device`` says where it ran), preceded
by the history of the checkpoint it was fine-tuned from (its ``--init-from``), read before ``dst``
is overwritten. ``card``: also copy the history into that model card (``history``,
``moves_seen_total``; the rest of the card is kept).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gofix.errors import CheckpointError
from gofix.models import checkpoint

from .loop import past_runs


def history_of(ck: dict, src, device: str | None = None) -> list[dict]:
    """``ck``'s training history, rebuilt (with its --init-from's) when it has none."""
    if ck.get("history"):
        return [dict(r) for r in ck["history"]]
    runs = past_runs(ck, str(src))
    if device:
        runs[-1]["device"] = device
    init = (ck.get("train_config") or {}).get("init_from")
    if init and os.path.exists(init):
        try:
            runs = history_of(checkpoint.read(init), Path(init), None) + runs
        except CheckpointError:
            pass
    return runs


def ship_weights(src, dst, *, device: str | None = None, card=None) -> dict:
    """Copy the checkpoint ``src`` to ``dst`` as shipped (see the module doc); returns the shipped dict.
    Raises CheckpointError for a ``src`` that is not a gofix checkpoint, or a ``dst`` that does not load."""
    src, dst = Path(src), Path(dst)
    ck = checkpoint.read(src)
    ck["history"] = history_of(ck, src, device)
    ck["optimizer"] = None
    ck["rng"] = None
    checkpoint.save(dst, ck)
    checkpoint.load(dst)  # it must load as shipped
    if card is not None:
        card = Path(card)
        try:
            entries = json.loads(card.read_text(encoding="utf-8")) if card.exists() else {}
        except ValueError as exc:
            raise CheckpointError(f"{card}: not a model card ({exc})") from None
        entries["history"] = ck["history"]
        entries["moves_seen_total"] = sum(int(r.get("moves_seen") or 0) for r in ck["history"])
        card.write_text(json.dumps(entries, indent=1, default=str) + "\n", encoding="utf-8")
    return ck
