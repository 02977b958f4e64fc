"""Self-describing model checkpoints: enough to rebuild the model without the training code.

A checkpoint is a plain dict (loadable with ``torch.load(weights_only=True)``)::

    {"format": "gofix-checkpoint", "version": 1,
     "model_kind": "birnn-tagger", "model_config": {...}, "state_dict": {...},
     "vocab": Vocab.to_dict(), "train_config": {...}, "step": int, "metrics": {...},
     "optimizer": state_dict | None, "rng": {...} | None}   # the last two only for resuming

Nothing is pickled but tensors, numbers, strings, lists and dicts. Files are
written atomically (temp file in the same directory + ``os.replace``).
"""

from __future__ import annotations

import os
import tempfile

import torch

from gofix.errors import CheckpointError
from . import MODEL_KINDS, build
from .tokens import Vocab

FORMAT = "gofix-checkpoint"
VERSION = 1


def make(model, *, model_kind: str | None = None, train_config: dict | None = None, step: int = 0,
         metrics: dict | None = None, optimizer: dict | None = None, rng: dict | None = None,
         history: list | None = None) -> dict:
    """The checkpoint dict of ``model`` (a module with ``.cfg.to_dict()``, or DDP around one).

    ``history``: one dict per training run that led to these weights, oldest
    first (see ``train.loop.past_runs``); carried from checkpoint to checkpoint by
    ``--init-from`` and ``--resume`` and copied into the model card.
    """
    model = getattr(model, "module", model)
    model_kind = model_kind or getattr(model, "KIND", "birnn-tagger")
    return {
        "format": FORMAT,
        "version": VERSION,
        "model_kind": model_kind,
        "model_config": model.cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "vocab": Vocab(19).to_dict(),
        "train_config": dict(train_config or {}),
        "step": int(step),
        "metrics": dict(metrics or {}),
        "optimizer": optimizer,
        "rng": rng,
        "history": list(history or []),
    }


def save(path, checkpoint: dict) -> None:
    """Write ``checkpoint`` (from ``make``) to ``path`` atomically."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read(path) -> dict:
    """The checkpoint dict at ``path``, checked. Raises CheckpointError for a bad or foreign file."""
    try:
        ck = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a gofix checkpoint")
    if ck.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {ck.get('version')!r}, this gofix reads {VERSION}")
    if ck.get("model_kind") not in MODEL_KINDS:
        raise CheckpointError(f"{path}: unknown model kind {ck.get('model_kind')!r}")
    return ck


def model_from(checkpoint_or_model):
    """An eval-mode model from a checkpoint path (see ``load``) or an ``nn.Module`` given as is."""
    if isinstance(checkpoint_or_model, (str, os.PathLike)):
        return load(checkpoint_or_model)[0]
    return checkpoint_or_model.eval()


def load(path):
    """``(model, checkpoint dict)``: the model rebuilt from ``path`` in eval mode, on the CPU.

    Raises CheckpointError when the file is missing, corrupt, of another
    format or version, or its weights do not fit its config.
    """
    ck = read(path)
    try:
        model = build(ck["model_kind"], ck["model_config"])
        model.load_state_dict(ck["state_dict"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: weights do not fit the model config ({type(exc).__name__}: {exc})") from None
    model.eval()
    return model, ck
