"""Models: nn.Modules only. ``build(kind, config_dict)`` rebuilds one from a checkpoint's config."""

from __future__ import annotations

from . import birnn, seq2seq
from .birnn import PRESETS, BiRNNTagger, TaggerConfig, preset
from .seq2seq import Seq2SeqConfig, Seq2SeqRepairer

MODEL_KINDS = {"birnn-tagger": (BiRNNTagger, TaggerConfig), "seq2seq": (Seq2SeqRepairer, Seq2SeqConfig)}
# ``gofix train --model NAME``: the module holding each trainable model's presets and class
TRAINABLE = {"birnn": (birnn, BiRNNTagger), "seq2seq": (seq2seq, Seq2SeqRepairer)}


def build(kind: str, config: dict):
    """A fresh model of ``kind`` from its config dict. Raises KeyError for an unknown kind."""
    if kind not in MODEL_KINDS:
        raise KeyError(f"unknown model kind {kind!r}; known: {sorted(MODEL_KINDS)}")
    model_cls, cfg_cls = MODEL_KINDS[kind]
    return model_cls(cfg_cls.from_dict(config))


__all__ = ["BiRNNTagger", "TaggerConfig", "PRESETS", "preset", "build", "MODEL_KINDS", "TRAINABLE",
           "Seq2SeqRepairer", "Seq2SeqConfig"]
