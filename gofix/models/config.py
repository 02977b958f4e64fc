"""What every model config shares: a plain dict round trip (for checkpoints) and named presets."""

from __future__ import annotations

from dataclasses import asdict, replace


class ModelConfig:
    """Mixin for the models' config dataclasses."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        """Rebuild from ``to_dict`` output. Raises ValueError naming keys this version does not know."""
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys {sorted(unknown)}")
        return cls(**d)


def pick(presets: dict, name: str, **overrides):
    """A copy of ``presets[name]`` with fields replaced. Raises KeyError for an unknown name."""
    if name not in presets:
        raise KeyError(f"unknown preset {name!r}; known: {sorted(presets)}")
    return replace(presets[name], **overrides)
