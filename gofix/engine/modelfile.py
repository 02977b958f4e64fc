"""KataGo network files (``.bin.gz``, ``.txt.gz``, plain) read into a description, and written back.

A KataGo model file is a stream of whitespace-separated words — layer names, sizes, flags — with
each layer's weights after its header: as text floats (``.txt``) or, in ``.bin`` files, as
``@BIN@`` followed by little-endian float32s. The order of the words is the order in which
KataGo's ``cpp/neuralnet/desc.cpp`` reads them; every reader below is written once, as a *codec*
that either reads its fields from the stream or writes the fields of a given description, so
``write_model(read_model(p))`` reproduces the file and the tests can make tiny networks in the
real format.

Model format versions 8 to 17 are read (input features version 7: 22 spatial, 19 global planes):
the g170 / kata1 residual networks (ordinary and global-pooling blocks), the nested-bottleneck
networks (b18c384nbt, b10c384 …) and the transformer blocks of version 15+ files (RMSNorm,
attention with fixed or learnable 2-D RoPE, SwiGLU). Anything else raises ``ModelFileError``
naming the file and what was found. This module needs numpy only (no torch).

Weight layouts in the description: convolutions ``(out, in, ky, kx)`` (torch's), matrix
multiplications ``(in, out)`` (the file's), batch norms as mean/variance/scale/bias plus the
merged ``scale / sqrt(var + eps)`` form KataGo evaluates.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .modeldesc import (
    Activation,
    AttentionBlock,
    BatchNorm,
    Conv,
    FFNBlock,
    GPoolBlock,
    MatBias,
    MatMul,
    MetaEncoder,
    ModelDesc,
    NestedBlock,
    OrdinaryBlock,
    PolicyHead,
    RMSNorm,
    TransformerNorm,
    Trunk,
    ValueHead,
)
from gofix.errors import GofixError

MIN_VERSION, MAX_VERSION = 8, 17
ACTIVATIONS = ("ACTIVATION_IDENTITY", "ACTIVATION_RELU", "ACTIVATION_MISH", "ACTIVATION_SILU")
_POSTPROCESS_KEYS = ("td_score_multiplier", "score_mean_multiplier", "score_stdev_multiplier",
                     "lead_multiplier", "variance_time_multiplier", "shortterm_value_error_multiplier",
                     "shortterm_score_error_multiplier")
_POSTPROCESS_DEFAULTS = (20.0, 20.0, 20.0, 20.0, 40.0, 0.25, 150.0)  # KataGo's ModelPostProcessParams()


class ModelFileError(GofixError, ValueError):
    """A file that is not a KataGo network gofix can run; the message names the file."""


# --- the stream: one codec for reading and writing ------------------------------------------------

class _Stream:
    """Words and float blocks, read from ``data`` or (``data is None``) written to ``self.out``."""

    def __init__(self, data: Optional[bytes], binary: bool, source: str):
        self.data, self.pos, self.binary, self.source = data, 0, binary, source
        self.out: list[bytes] = []
        self.writing = data is None
        self.context = "header"

    def fail(self, message: str):
        raise ModelFileError(f"{self.source}: {message} (in {self.context})")

    def word(self, value: Any = None) -> str:
        if self.writing:
            self.out.append(str(value).encode() + b"\n")
            return str(value)
        data, n = self.data, len(self.data)
        i = self.pos
        while i < n and data[i] in b" \t\r\n":
            i += 1
        j = i
        while j < n and data[j] not in b" \t\r\n":
            j += 1
        if i == j:
            self.fail("the file ends too early")
        self.pos = j
        return data[i:j].decode("latin-1")

    def int(self, value: Any = None, *, low: int | None = None) -> int:
        w = self.word(None if value is None else int(value))
        try:
            v = int(w)
        except ValueError:
            self.fail(f"expected a whole number, found {w[:40]!r}")
        if low is not None and v < low:
            self.fail(f"expected a number >= {low}, found {v}")
        return v

    def float(self, value: Any = None) -> float:
        w = self.word(None if value is None else repr(float(value)))
        try:
            return float(w)
        except ValueError:
            self.fail(f"expected a number, found {w[:40]!r}")

    def floats(self, count: int, value: Optional[np.ndarray] = None) -> np.ndarray:
        if self.writing:
            flat = np.ascontiguousarray(value, dtype="<f4").reshape(-1)
            if flat.size != count:
                raise ValueError(f"{self.context}: {flat.size} weights where {count} belong")
            if self.binary:
                self.out.append(b"@BIN@" + flat.tobytes() + b"\n")
            else:
                self.out.append(" ".join(repr(float(x)) for x in flat).encode() + b"\n")
            return flat
        if not self.binary:
            vals = [self.float() for _ in range(count)]
            arr = np.asarray(vals, dtype=np.float32)
        else:
            data = self.data
            at = data.find(b"@", self.pos, self.pos + 101)
            if at < 0 or data[at:at + 5] != b"@BIN@":
                self.fail("expected a block of binary weights ('@BIN@'); is this a .txt model named .bin?")
            start, end = at + 5, at + 5 + 4 * count
            if end > len(data):
                self.fail(f"the file ends inside a block of {count} weights")
            arr = np.frombuffer(data, dtype="<f4", count=count, offset=start).astype(np.float32)
            self.pos = end
        if not np.isfinite(arr).all():
            self.fail("a weight is NaN or infinite")
        return arr


# --- the layers (each reads when ``d`` is None, writes ``d`` otherwise) ---------------------------

def _g(d: Any, attr: str) -> Any:
    return None if d is None else getattr(d, attr)


def _conv(s: _Stream, d: Optional[Conv] = None) -> Conv:
    name = s.word(_g(d, "name"))
    s.context = name
    shape = None if d is None else d.weight.shape  # (out, in, ky, kx)
    ky = s.int(shape and shape[2], low=1)
    kx = s.int(shape and shape[3], low=1)
    cin = s.int(shape and shape[1], low=1)
    cout = s.int(shape and shape[0], low=1)
    dy = s.int(d and d.dilation[0], low=1)
    dx = s.int(d and d.dilation[1], low=1)
    if ky % 2 == 0 or kx % 2 == 0:
        s.fail(f"convolution size {ky}x{kx} is not odd")
    file_order = None if d is None else d.weight.transpose(2, 3, 1, 0)  # the file's (ky, kx, in, out)
    w = s.floats(ky * kx * cin * cout, file_order)
    return d or Conv(name, np.ascontiguousarray(w.reshape(ky, kx, cin, cout).transpose(3, 2, 0, 1)), (dy, dx))


def _bn(s: _Stream, d: Optional[BatchNorm] = None) -> BatchNorm:
    name = s.word(_g(d, "name"))
    s.context = name
    c = s.int(d and d.mean.size, low=1)
    eps = s.float(_g(d, "epsilon"))
    has_scale = s.int(None if d is None else int(d.scale is not None))
    has_bias = s.int(None if d is None else int(d.bias is not None))
    if not eps > 0:
        s.fail(f"batch norm epsilon {eps} is not positive")
    mean = s.floats(c, _g(d, "mean"))
    var = s.floats(c, _g(d, "variance"))
    scale = s.floats(c, _g(d, "scale")) if has_scale else None
    bias = s.floats(c, _g(d, "bias")) if has_bias else None
    return d or BatchNorm(name, mean, var, scale, bias, eps)


def _act(s: _Stream, version: int, d: Optional[Activation] = None) -> Activation:
    name = s.word(_g(d, "name"))
    if version < 11:
        return d or Activation(name, "ACTIVATION_RELU")
    kind = s.word(_g(d, "kind"))
    if kind not in ACTIVATIONS:
        s.fail(f"unknown activation {kind!r}")
    return d or Activation(name, kind)


def _matmul(s: _Stream, d: Optional[MatMul] = None) -> MatMul:
    name = s.word(_g(d, "name"))
    s.context = name
    cin = s.int(d and d.weight.shape[0], low=1)
    cout = s.int(d and d.weight.shape[1], low=1)
    w = s.floats(cin * cout, _g(d, "weight"))
    return d or MatMul(name, w.reshape(cin, cout))


def _matbias(s: _Stream, d: Optional[MatBias] = None) -> MatBias:
    name = s.word(_g(d, "name"))
    s.context = name
    c = s.int(d and d.bias.size, low=1)
    b = s.floats(c, _g(d, "bias"))
    return d or MatBias(name, b)


def _rmsnorm(s: _Stream, d: Optional[RMSNorm] = None) -> RMSNorm:
    name = s.word(_g(d, "name"))
    s.context = name
    c = s.int(d and d.gamma.size, low=1)
    eps = s.float(_g(d, "epsilon"))
    spatial = s.int(None if d is None else int(d.spatial))
    group = s.int(None if d is None else 0)
    if group != 0:
        s.fail(f"grouped RMSNorm (group size {group}) is not supported")
    gamma = s.floats(c, _g(d, "gamma"))
    beta = s.floats(c, _g(d, "beta"))
    return d or RMSNorm(name, gamma, beta, eps, bool(spatial))


def _tnorm(s: _Stream, d: Optional[TransformerNorm] = None) -> TransformerNorm:
    name = s.word(_g(d, "name"))
    s.context = name
    c = s.int(d and d.weight.size, low=1)
    eps = s.float(_g(d, "epsilon"))
    w = s.floats(c, _g(d, "weight"))
    return d or TransformerNorm(name, w, eps)


def _ordinary(s, v, d=None):
    name = s.word(_g(d, "name"))
    parts = (_bn(s, _g(d, "pre_bn")), _act(s, v, _g(d, "pre_act")), _conv(s, _g(d, "conv1")),
             _bn(s, _g(d, "mid_bn")), _act(s, v, _g(d, "mid_act")), _conv(s, _g(d, "conv2")))
    return d or OrdinaryBlock(name, *parts)


def _gpool(s, v, d=None):
    name = s.word(_g(d, "name"))
    parts = (_bn(s, _g(d, "pre_bn")), _act(s, v, _g(d, "pre_act")), _conv(s, _g(d, "regular_conv")),
             _conv(s, _g(d, "gpool_conv")), _bn(s, _g(d, "gpool_bn")), _act(s, v, _g(d, "gpool_act")),
             _matmul(s, _g(d, "gpool_to_bias")), _bn(s, _g(d, "mid_bn")), _act(s, v, _g(d, "mid_act")),
             _conv(s, _g(d, "final_conv")))
    return d or GPoolBlock(name, *parts)


def _nested(s, v, d=None):
    name = s.word(_g(d, "name"))
    n = s.int(d and len(d.blocks), low=1)
    pre = (_bn(s, _g(d, "pre_bn")), _act(s, v, _g(d, "pre_act")), _conv(s, _g(d, "pre_conv")))
    blocks = _block_stack(s, v, n, _g(d, "blocks"))
    post = (_bn(s, _g(d, "post_bn")), _act(s, v, _g(d, "post_act")), _conv(s, _g(d, "post_conv")))
    return d or NestedBlock(name, *pre, blocks, *post)


def _attention(s, v, d=None):
    name = s.word(_g(d, "name"))
    s.context = name
    heads = s.int(_g(d, "num_heads"), low=1)
    kv_heads = s.int(_g(d, "num_kv_heads"), low=1)
    qd = s.int(_g(d, "q_head_dim"), low=1)
    vd = s.int(_g(d, "v_head_dim"), low=1)
    use_rope = bool(s.int(None if d is None else int(d.use_rope)))
    learnable = bool(s.int(None if d is None else int(d.learnable_rope)))
    if heads % kv_heads:
        s.fail(f"{heads} heads do not divide into {kv_heads} key/value heads")
    if use_rope and qd % 2:
        s.fail(f"RoPE needs an even head size, found {qd}")
    norm = _tnorm(s, _g(d, "norm"))
    q, k, vv, out = (_matmul(s, _g(d, a)) for a in ("q", "k", "v", "out"))
    if (q.weight.shape[1], k.weight.shape[1], vv.weight.shape[1], out.weight.shape[0]) != (
            heads * qd, kv_heads * qd, kv_heads * vd, heads * vd):
        s.fail("the attention projections do not fit its head sizes")
    rope_name, freqs, theta = "", None, 0.0
    if use_rope and learnable:
        rope_name = s.word(_g(d, "rope_name"))
        nkv = s.int(d and kv_heads)
        pairs = s.int(d and qd // 2)
        two = s.int(d and 2)
        if (nkv, pairs, two) != (kv_heads, qd // 2, 2):
            s.fail(f"RoPE frequencies {nkv}x{pairs}x{two} do not fit {kv_heads} heads of size {qd}")
        freqs = s.floats(nkv * pairs * 2, _g(d, "rope_freqs")).reshape(nkv, pairs, 2)
    elif use_rope:
        rope_name = s.word(_g(d, "rope_name"))
        theta = s.float(_g(d, "rope_theta"))
        if not theta > 0:
            s.fail(f"RoPE theta {theta} is not positive")
    return d or AttentionBlock(name, heads, kv_heads, qd, vd, use_rope, learnable, norm, q, k, vv, out,
                               rope_name, freqs, theta)


def _ffn(s, v, d=None):
    name = s.word(_g(d, "name"))
    s.context = name
    c = s.int(_g(d, "channels"), low=1)
    f = s.int(_g(d, "ffn_channels"), low=1)
    swiglu = bool(s.int(None if d is None else int(d.swiglu)))
    norm = _tnorm(s, _g(d, "norm"))
    l1 = _matmul(s, _g(d, "linear1"))
    gate = _matmul(s, _g(d, "gate")) if swiglu else None
    l2 = _matmul(s, _g(d, "linear2"))
    if l1.weight.shape != (c, f) or l2.weight.shape != (f, c) or (gate is not None and gate.weight.shape != (c, f)):
        s.fail("the feed-forward layers do not fit its channel counts")
    return d or FFNBlock(name, c, f, swiglu, norm, l1, gate, l2)


_BLOCK_KINDS = {"ordinary_block": (OrdinaryBlock, _ordinary), "gpool_block": (GPoolBlock, _gpool),
                "nested_bottleneck_block": (NestedBlock, _nested),
                "transformer_attention_block": (AttentionBlock, _attention),
                "transformer_ffn_block": (FFNBlock, _ffn)}


def _block_stack(s: _Stream, v: int, n: int, blocks: Optional[list] = None) -> list:
    out = []
    for i in range(n):
        kind = None if blocks is None else next(k for k, (cls, _) in _BLOCK_KINDS.items()
                                                if isinstance(blocks[i], cls))
        kind = s.word(kind)
        if kind not in _BLOCK_KINDS:
            s.fail(f"unknown block kind {kind!r}")
        out.append(_BLOCK_KINDS[kind][1](s, v, None if blocks is None else blocks[i]))
    return out


def _meta(s, v, d=None):
    name = s.word(_g(d, "name"))
    n = s.int(_g(d, "num_inputs"), low=1)
    parts = (_matmul(s, _g(d, "mul1")), _matbias(s, _g(d, "bias1")), _act(s, v, _g(d, "act1")),
             _matmul(s, _g(d, "mul2")), _matbias(s, _g(d, "bias2")), _act(s, v, _g(d, "act2")),
             _matmul(s, _g(d, "mul3")))
    return d or MetaEncoder(name, n, *parts)


def _trunk(s: _Stream, v: int, meta_version: int, d: Optional[Trunk] = None) -> Trunk:
    name = s.word(_g(d, "name"))
    s.context = name
    n = s.int(d and len(d.blocks), low=1)
    sizes = [s.int(_g(d, a), low=1) for a in
             ("channels", "mid_channels", "regular_channels", "dilated_channels", "gpool_channels")]
    norm_kind = 0
    if v >= 15:
        norm_kind = s.int(_g(d, "norm_kind"))
        for letter in "BCDEF":
            if s.int(d and 0) != 0:
                s.fail(f"unsupported trunk option {letter}")
        if norm_kind not in (0, 1):
            s.fail(f"unknown trunk norm kind {norm_kind}")
    initial_conv = _conv(s, _g(d, "initial_conv"))
    initial_matmul = _matmul(s, _g(d, "initial_matmul"))
    meta = _meta(s, v, _g(d, "meta_encoder")) if meta_version > 0 else None
    blocks = _block_stack(s, v, n, _g(d, "blocks"))
    tip_bn = _bn(s, _g(d, "tip_bn")) if norm_kind == 0 else None
    tip_rms = _rmsnorm(s, _g(d, "tip_rms")) if norm_kind == 1 else None
    tip_act = _act(s, v, _g(d, "tip_act"))
    if initial_conv.weight.shape[0] != sizes[0] or initial_matmul.weight.shape[1] != sizes[0]:
        s.fail(f"the input layers do not have the trunk's {sizes[0]} channels")
    return d or Trunk(name, *sizes, norm_kind, initial_conv, initial_matmul, meta, blocks, tip_bn, tip_rms, tip_act)


def _policy(s: _Stream, v: int, d: Optional[PolicyHead] = None) -> PolicyHead:
    name = s.word(_g(d, "name"))
    s.context = name
    if v >= 17:
        out_ch = s.int(_g(d, "out_channels"))
        if out_ch not in (2, 4):
            s.fail(f"policy head with {out_ch} output channels")
        for _ in range(3):
            if s.int(d and 0) != 0:
                s.fail("unsupported policy head option")
    else:
        out_ch = 4 if v == 16 else 2 if v >= 12 else 1
    parts = [_conv(s, _g(d, "p1_conv")), _conv(s, _g(d, "g1_conv")), _bn(s, _g(d, "g1_bn")),
             _act(s, v, _g(d, "g1_act")), _matmul(s, _g(d, "gpool_to_bias")), _bn(s, _g(d, "p1_bn")),
             _act(s, v, _g(d, "p1_act")), _conv(s, _g(d, "p2_conv")), _matmul(s, _g(d, "gpool_to_pass"))]
    extra = (_matbias(s, _g(d, "pass_bias")), _act(s, v, _g(d, "pass_act")),
             _matmul(s, _g(d, "gpool_to_pass2"))) if v >= 15 else (None, None, None)
    head = d or PolicyHead(name, out_ch, *parts, *extra)
    if head.p2_conv.weight.shape[0] != out_ch:
        s.fail(f"the policy output has {head.p2_conv.weight.shape[0]} channels, expected {out_ch}")
    return head


def _value(s: _Stream, v: int, d: Optional[ValueHead] = None) -> ValueHead:
    name = s.word(_g(d, "name"))
    s.context = name
    if v >= 17:
        for _ in range(3):
            if s.int(d and 0) != 0:
                s.fail("unsupported value head option")
    parts = (_conv(s, _g(d, "v1_conv")), _bn(s, _g(d, "v1_bn")), _act(s, v, _g(d, "v1_act")),
             _matmul(s, _g(d, "v2_mul")), _matbias(s, _g(d, "v2_bias")), _act(s, v, _g(d, "v2_act")),
             _matmul(s, _g(d, "v3_mul")), _matbias(s, _g(d, "v3_bias")), _matmul(s, _g(d, "sv3_mul")),
             _matbias(s, _g(d, "sv3_bias")), _conv(s, _g(d, "ownership_conv")))
    head = d or ValueHead(name, *parts)
    if head.v3_mul.weight.shape[1] != 3:
        s.fail("the value output does not have 3 channels (win, loss, no result)")
    return head


def _model(s: _Stream, d: Optional[ModelDesc] = None) -> ModelDesc:
    name = s.word(_g(d, "name"))
    w = s.word(_g(d, "version"))
    try:
        version = int(w)
    except ValueError:
        s.fail(f"no model version after the name {name[:40]!r}: found {w[:40]!r}; not a KataGo network file")
    if not MIN_VERSION <= version <= MAX_VERSION:
        s.fail(f"model format version {version} is not supported (gofix reads versions "
               f"{MIN_VERSION} to {MAX_VERSION})")
    n_spatial = s.int(_g(d, "num_spatial"), low=1)
    n_global = s.int(_g(d, "num_global"), low=1)
    if (n_spatial, n_global) != (22, 19):
        s.fail(f"{n_spatial} spatial and {n_global} global inputs; gofix computes input version 7 (22 and 19)")
    if version >= 13:
        post = {k: s.float(None if d is None else d.postprocess[k]) for k in _POSTPROCESS_KEYS}
    else:
        post = dict(zip(_POSTPROCESS_KEYS, _POSTPROCESS_DEFAULTS))
    meta_version, pass_alive = 0, False
    if version >= 15:
        meta_version = s.int(_g(d, "meta_encoder_version"), low=0)
        if meta_version > 1:
            s.fail(f"metadata encoder version {meta_version} is not supported")
        pass_alive = bool(s.int(None if d is None else int(d.prefer_pass_alive_suicide)))
        for _ in range(6):
            if s.int(d and 0) != 0:
                s.fail("unsupported model option")
    trunk = _trunk(s, version, meta_version, _g(d, "trunk"))
    policy = _policy(s, version, _g(d, "policy"))
    value = _value(s, version, _g(d, "value"))
    return d or ModelDesc(name, version, n_spatial, n_global, post, meta_version, pass_alive, trunk, policy, value)


# --- files ----------------------------------------------------------------------------------------

def read_model(path: str | Path) -> ModelDesc:
    """Read a KataGo network file. Raises ModelFileError (naming the path) for anything else."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{p}: cannot read the network file: {exc.strerror or exc}") from None
    return parse_model(raw, str(p))


def parse_model(raw: bytes, source: str = "<bytes>") -> ModelDesc:
    """Parse the bytes of a network file (gzip-compressed or not; binary or text weights)."""
    sha = hashlib.sha256(raw).hexdigest()
    data = raw
    if raw[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ModelFileError(f"{source}: damaged gzip data: {exc}") from None
    binary = b"@BIN@" in data[:1 << 20]
    s = _Stream(data, binary, source)
    desc = _model(s)
    desc.source, desc.sha256 = source, sha
    return desc


def write_model(desc: ModelDesc, path: str | Path | None = None, *, binary: bool = True) -> bytes:
    """The file for ``desc`` (gzip-compressed when ``path`` ends in .gz); written to ``path`` if given."""
    s = _Stream(None, binary, desc.source or "<description>")
    _model(s, desc)
    data = b"".join(s.out)
    if path is not None and str(path).endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
            gz.write(data)
        data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
