"""Models: nn.Modules only. ``build(kind, config_dict)`` rebuilds one from a checkpoint's config."""

from __future__ import annotations

from .birnn import PRESETS, BiRNNTagger, TaggerConfig, preset

MODEL_KINDS = {"birnn-tagger": (BiRNNTagger, TaggerConfig)}


def build(kind: str, config: dict):
    """A fresh model of ``kind`` from its config dict. Raises KeyError for an unknown kind."""
    if kind not in MODEL_KINDS:
        raise KeyError(f"unknown model kind {kind!r}; known: {sorted(MODEL_KINDS)}")
    model_cls, cfg_cls = MODEL_KINDS[kind]
    return model_cls(cfg_cls.from_dict(config))


__all__ = ["BiRNNTagger", "TaggerConfig", "PRESETS", "preset", "build", "MODEL_KINDS"]
