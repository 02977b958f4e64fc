"""A KataGo network as a plain description: its layers as dataclasses of numpy arrays (no torch).

``modelfile`` reads files into it (and writes it back); ``network`` builds the torch modules from
it. Weight layouts: convolutions ``(out, in, ky, kx)`` (torch's), matrix multiplications
``(in, out)`` (the file's), batch norms as mean/variance/scale/bias plus the merged
``scale / sqrt(var + eps)`` form KataGo evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np


@dataclass
class Conv:
    name: str
    weight: np.ndarray  # (out, in, ky, kx)
    dilation: tuple[int, int] = (1, 1)


@dataclass
class BatchNorm:
    name: str
    mean: np.ndarray
    variance: np.ndarray
    scale: Optional[np.ndarray]  # None: the file has no scale (1)
    bias: Optional[np.ndarray]  # None: the file has no bias (0)
    epsilon: float

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, bias) such that ``x * scale + bias`` is the normalisation (float64 then float32)."""
        scale = np.ones_like(self.mean) if self.scale is None else self.scale
        bias = np.zeros_like(self.mean) if self.bias is None else self.bias
        merged = scale.astype(np.float64) / np.sqrt(self.variance.astype(np.float64) + self.epsilon)
        return merged.astype(np.float32), (bias - merged * self.mean).astype(np.float32)


@dataclass
class Activation:
    name: str
    kind: str  # one of ACTIVATIONS


@dataclass
class MatMul:
    name: str
    weight: np.ndarray  # (in, out)


@dataclass
class MatBias:
    name: str
    bias: np.ndarray


@dataclass
class RMSNorm:  # the trunk tip of RMSNorm trunks: gamma, beta, per position or over the whole board
    name: str
    gamma: np.ndarray
    beta: np.ndarray
    epsilon: float
    spatial: bool


@dataclass
class TransformerNorm:  # inside transformer blocks: weight only
    name: str
    weight: np.ndarray
    epsilon: float


@dataclass
class OrdinaryBlock:
    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    conv1: Conv
    mid_bn: BatchNorm
    mid_act: Activation
    conv2: Conv


@dataclass
class GPoolBlock:
    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    regular_conv: Conv
    gpool_conv: Conv
    gpool_bn: BatchNorm
    gpool_act: Activation
    gpool_to_bias: MatMul
    mid_bn: BatchNorm
    mid_act: Activation
    final_conv: Conv


@dataclass
class NestedBlock:
    name: str
    pre_bn: BatchNorm
    pre_act: Activation
    pre_conv: Conv
    blocks: list
    post_bn: BatchNorm
    post_act: Activation
    post_conv: Conv


@dataclass
class AttentionBlock:
    name: str
    num_heads: int
    num_kv_heads: int
    q_head_dim: int
    v_head_dim: int
    use_rope: bool
    learnable_rope: bool
    norm: TransformerNorm
    q: MatMul
    k: MatMul
    v: MatMul
    out: MatMul
    rope_name: str = ""
    rope_freqs: Optional[np.ndarray] = None  # (kv_heads, pairs, 2): x and y frequency
    rope_theta: float = 0.0


@dataclass
class FFNBlock:
    name: str
    channels: int
    ffn_channels: int
    swiglu: bool
    norm: TransformerNorm
    linear1: MatMul
    gate: Optional[MatMul]
    linear2: MatMul


@dataclass
class MetaEncoder:
    name: str
    num_inputs: int
    mul1: MatMul
    bias1: MatBias
    act1: Activation
    mul2: MatMul
    bias2: MatBias
    act2: Activation
    mul3: MatMul


@dataclass
class Trunk:
    name: str
    channels: int
    mid_channels: int
    regular_channels: int
    dilated_channels: int
    gpool_channels: int
    norm_kind: int  # 0: batch norm tip, 1: RMSNorm tip (version 15+)
    initial_conv: Conv
    initial_matmul: MatMul
    meta_encoder: Optional[MetaEncoder]
    blocks: list
    tip_bn: Optional[BatchNorm]
    tip_rms: Optional[RMSNorm]
    tip_act: Activation


@dataclass
class PolicyHead:
    name: str
    out_channels: int
    p1_conv: Conv
    g1_conv: Conv
    g1_bn: BatchNorm
    g1_act: Activation
    gpool_to_bias: MatMul
    p1_bn: BatchNorm
    p1_act: Activation
    p2_conv: Conv
    gpool_to_pass: MatMul
    pass_bias: Optional[MatBias] = None  # version 15+: a hidden layer for the pass logit
    pass_act: Optional[Activation] = None
    gpool_to_pass2: Optional[MatMul] = None


@dataclass
class ValueHead:
    name: str
    v1_conv: Conv
    v1_bn: BatchNorm
    v1_act: Activation
    v2_mul: MatMul
    v2_bias: MatBias
    v2_act: Activation
    v3_mul: MatMul
    v3_bias: MatBias
    sv3_mul: MatMul
    sv3_bias: MatBias
    ownership_conv: Conv


@dataclass
class ModelDesc:
    name: str
    version: int
    num_spatial: int
    num_global: int
    postprocess: dict[str, float]
    meta_encoder_version: int
    prefer_pass_alive_suicide: bool
    trunk: Trunk
    policy: PolicyHead
    value: ValueHead
    source: str = ""  # the path read, for messages
    sha256: str = ""  # of the file as stored (compressed)

    def n_params(self) -> int:
        return sum(int(a.size) for a in arrays(self))


def arrays(obj: Any):
    """Every weight array of a description (or of a part of one), in field order."""
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from arrays(x)
    elif hasattr(obj, "__dataclass_fields__"):
        for f in obj.__dataclass_fields__:
            yield from arrays(getattr(obj, f))
