"""A KataGo network in torch, built from a ``modelfile.ModelDesc``; inference only.

``KataGoNet(desc)(spatial, global_)`` takes KataGo's inputs — ``spatial (N, 22, H, W)`` with plane
0 the on-board mask, ``global_ (N, 19)`` — and returns a ``NetOutput`` of raw logits:
``policy (N, C, H*W + 1)`` (the points row by row from the top-left, then pass; channel 0 is the
policy KataGo plays by), ``value (N, 3)`` (win, loss, no result for the player to move),
``score (N, S)`` and ``ownership (N, H, W)``. Every layer computes what KataGo's Eigen (CPU)
backend computes (cpp/neuralnet/eigenbackend.cpp), off-board points masked the same way, so a
board smaller than the network's training size runs at its own size.

The whole batch runs at once; ``to(dtype=torch.bfloat16)`` halves the work on CPUs with bf16
units (the outputs come back as float32).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .modeldesc import (
    Activation,
    AttentionBlock,
    BatchNorm,
    Conv,
    FFNBlock,
    GPoolBlock,
    MatMul,
    ModelDesc,
    NestedBlock,
    OrdinaryBlock,
    RMSNorm,
)


class NetOutput(NamedTuple):
    policy: torch.Tensor  # (N, C, H*W + 1) logits; the last column is pass
    value: torch.Tensor  # (N, 3) logits: win, loss, no result, for the player to move
    score: torch.Tensor  # (N, S) raw score outputs (mean, stdev pre-softplus, lead, ...)
    ownership: torch.Tensor  # (N, H, W) raw ownership (tanh gives +1 = the player to move's)


_TINY = np.finfo(np.float32).tiny


def _t(a: np.ndarray) -> nn.Parameter:
    """A frozen parameter; subnormal weights become 0 (real networks hold ~4% of them, and CPUs
    multiply subnormals 5-10x slower; their products are below float32's range anyway)."""
    a = np.array(a, dtype=np.float32)
    a[np.abs(a) < _TINY] = 0.0
    return nn.Parameter(torch.from_numpy(a), requires_grad=False)


def _activation(kind: str):
    return {"ACTIVATION_IDENTITY": lambda x: x, "ACTIVATION_RELU": F.relu,
            "ACTIVATION_MISH": F.mish, "ACTIVATION_SILU": F.silu}[kind]


class _Conv(nn.Module):
    def __init__(self, d: Conv):
        super().__init__()
        self.weight = _t(d.weight)
        ky, kx = d.weight.shape[2:]
        self.dilation = d.dilation
        self.padding = (ky // 2 * d.dilation[0], kx // 2 * d.dilation[1])

    def forward(self, x):
        return F.conv2d(x, self.weight, padding=self.padding, dilation=self.dilation)


class _NormAct(nn.Module):
    """Batch norm (merged into scale and bias), activation, then off-board points set to 0."""

    def __init__(self, bn: BatchNorm, act: Activation):
        super().__init__()
        scale, bias = bn.merged()
        self.scale = _t(scale.reshape(1, -1, 1, 1))
        self.bias = _t(bias.reshape(1, -1, 1, 1))
        self.act = _activation(act.kind)

    def forward(self, x, mask):
        return self.act(x * self.scale + self.bias) * mask


class _Linear(nn.Module):
    def __init__(self, d: MatMul, bias: Optional[np.ndarray] = None):
        super().__init__()
        self.weight = _t(d.weight.T)  # (out, in)
        self.bias = None if bias is None else _t(bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def _gpool(x, mask, mask_sum):
    """KataGo's global pooling: mean, mean scaled by board width, max over the board -> (N, 3C)."""
    mean = x.sum((2, 3)) / mask_sum
    width = (mask_sum.sqrt() - 14.0) * 0.1
    mx = (x + (mask - 1.0)).amax((2, 3))
    return torch.cat([mean, mean * width, mx], 1)


def _value_pool(x, mask_sum):
    mean = x.sum((2, 3)) / mask_sum
    b = mask_sum.sqrt() - 14.0
    return torch.cat([mean, mean * (b * 0.1), mean * (b * b * 0.01 - 0.1)], 1)


class _Ordinary(nn.Module):
    def __init__(self, d: OrdinaryBlock):
        super().__init__()
        self.n1, self.c1 = _NormAct(d.pre_bn, d.pre_act), _Conv(d.conv1)
        self.n2, self.c2 = _NormAct(d.mid_bn, d.mid_act), _Conv(d.conv2)

    def forward(self, x, mask, mask_sum, ctx):
        return x + self.c2(self.n2(self.c1(self.n1(x, mask)), mask))


class _GPoolBlock(nn.Module):
    def __init__(self, d: GPoolBlock):
        super().__init__()
        self.pre = _NormAct(d.pre_bn, d.pre_act)
        self.regular, self.gconv = _Conv(d.regular_conv), _Conv(d.gpool_conv)
        self.gnorm = _NormAct(d.gpool_bn, d.gpool_act)
        self.to_bias = _Linear(d.gpool_to_bias)
        self.mid, self.final = _NormAct(d.mid_bn, d.mid_act), _Conv(d.final_conv)

    def forward(self, x, mask, mask_sum, ctx):
        t = self.pre(x, mask)
        reg = self.regular(t)
        pooled = _gpool(self.gnorm(self.gconv(t), mask), mask, mask_sum)
        reg = reg + self.to_bias(pooled)[:, :, None, None]
        return x + self.final(self.mid(reg, mask))


class _Nested(nn.Module):
    def __init__(self, d: NestedBlock):
        super().__init__()
        self.pre, self.pre_conv = _NormAct(d.pre_bn, d.pre_act), _Conv(d.pre_conv)
        self.blocks = nn.ModuleList(_block(b) for b in d.blocks)
        self.post, self.post_conv = _NormAct(d.post_bn, d.post_act), _Conv(d.post_conv)

    def forward(self, x, mask, mask_sum, ctx):
        m = self.pre_conv(self.pre(x, mask))
        for b in self.blocks:
            m = b(m, mask, mask_sum, ctx)
        return x + self.post_conv(self.post(m, mask))


def _rms(x, weight, eps):
    """RMSNorm over the channels of each point (x: (N, S, C))."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


class _Attention(nn.Module):
    def __init__(self, d: AttentionBlock):
        super().__init__()
        self.heads, self.kv_heads = d.num_heads, d.num_kv_heads
        self.qd, self.vd = d.q_head_dim, d.v_head_dim
        self.norm_w, self.eps = _t(d.norm.weight), d.norm.epsilon
        self.q, self.k, self.v, self.out = (_Linear(m) for m in (d.q, d.k, d.v, d.out))
        self.use_rope, self.learnable = d.use_rope, d.learnable_rope
        self.rope_freqs = _t(d.rope_freqs) if d.rope_freqs is not None else None
        self.rope_theta = d.rope_theta

    def _rope_angles(self, h: int, w: int, device) -> torch.Tensor:
        """Angles (kv_heads or 1, S, pairs) for every point, as KataGo's computeRopeCosSin."""
        ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32),
                                torch.arange(w, device=device, dtype=torch.float32), indexing="ij")
        xs, ys = xs.reshape(-1), ys.reshape(-1)
        if self.learnable:
            f = self.rope_freqs.float()  # (kv, pairs, 2)
            return xs[None, :, None] * f[:, None, :, 0] + ys[None, :, None] * f[:, None, :, 1]
        pairs = self.qd // 2
        per_dim, half = pairs // 2, self.qd // 2
        p = torch.arange(pairs, device=device, dtype=torch.float32)
        padj = torch.where(p < per_dim, p, p - per_dim)
        freq = 1.0 / torch.pow(torch.tensor(self.rope_theta, dtype=torch.float32), 2 * padj / half)
        coord = torch.where(p[None, :] < per_dim, ys[:, None], xs[:, None])
        return (coord * freq[None, :])[None]

    def _rotate(self, t, cos, sin):
        """Rotate the channel pairs (2p, 2p+1) of t (N, heads, S, d) by the angles' cos/sin."""
        a, b = t[..., 0::2], t[..., 1::2]
        out = torch.stack([a * cos - b * sin, a * sin + b * cos], -1)
        return out.flatten(-2)

    def forward(self, x, mask, mask_sum, ctx):
        n, c, h, w = x.shape
        s = h * w
        seq = x.permute(0, 2, 3, 1).reshape(n * s, c)  # contiguous 2-D: linears run as one matmul
        m = mask.reshape(n * s, 1)
        t = _rms(seq, self.norm_w, self.eps) * m
        q = self.q(t).view(n, s, self.heads, self.qd).transpose(1, 2)
        k = self.k(t).view(n, s, self.kv_heads, self.qd).transpose(1, 2)
        v = self.v(t).view(n, s, self.kv_heads, self.vd).transpose(1, 2)
        if self.use_rope:
            key = ("rope", id(self), h, w)
            if key not in ctx:
                ang = self._rope_angles(h, w, x.device)  # (kv or 1, S, pairs)
                ctx[key] = (ang.cos().to(x.dtype), ang.sin().to(x.dtype))
            cos, sin = ctx[key]
            ck, sk = cos[None], sin[None]  # (1, kv or 1, S, pairs)
            group = self.heads // self.kv_heads
            cq = ck.repeat_interleave(group, 1) if self.learnable else ck
            sq = sk.repeat_interleave(group, 1) if self.learnable else sk
            q, k = self._rotate(q, cq, sq), self._rotate(k, ck, sk)
        if self.kv_heads != self.heads:
            group = self.heads // self.kv_heads
            k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        keep = mask.reshape(n, 1, 1, s) > 0
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        att = att.transpose(1, 2).reshape(n * s, self.heads * self.vd)
        out = self.out(att) * m
        return x + out.reshape(n, h, w, c).permute(0, 3, 1, 2)


class _FFN(nn.Module):
    def __init__(self, d: FFNBlock):
        super().__init__()
        self.norm_w, self.eps = _t(d.norm.weight), d.norm.epsilon
        self.l1, self.l2 = _Linear(d.linear1), _Linear(d.linear2)
        self.gate = _Linear(d.gate) if d.gate is not None else None

    def forward(self, x, mask, mask_sum, ctx):
        n, c, h, w = x.shape
        seq = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
        m = mask.reshape(n * h * w, 1)
        t = _rms(seq, self.norm_w, self.eps) * m
        a = self.l1(t)
        a = F.silu(a) * self.gate(t) if self.gate is not None else F.relu(a)
        out = self.l2(a) * m
        return x + out.reshape(n, h, w, c).permute(0, 3, 1, 2)


def _block(d):
    for cls, mod in ((OrdinaryBlock, _Ordinary), (GPoolBlock, _GPoolBlock), (NestedBlock, _Nested),
                     (AttentionBlock, _Attention), (FFNBlock, _FFN)):
        if isinstance(d, cls):
            return mod(d)
    raise TypeError(f"unknown block {type(d).__name__}")


class _TipRMS(nn.Module):
    def __init__(self, d: RMSNorm, act: Activation):
        super().__init__()
        self.gamma, self.beta = _t(d.gamma.reshape(1, -1, 1, 1)), _t(d.beta.reshape(1, -1, 1, 1))
        self.eps, self.spatial, self.act = d.epsilon, d.spatial, _activation(act.kind)

    def forward(self, x, mask, mask_sum):
        x = x * mask
        if self.spatial:
            ms = x.pow(2).sum((1, 2, 3), keepdim=True) / (mask_sum[:, :, None, None] * x.shape[1])
        else:
            ms = x.pow(2).mean(1, keepdim=True)
        return self.act(x * torch.rsqrt(ms + self.eps) * self.gamma + self.beta) * mask


class KataGoNet(nn.Module):
    """The network of a ``ModelDesc`` (no gradients: weights are frozen parameters)."""

    def __init__(self, desc: ModelDesc):
        super().__init__()
        self.name, self.version = desc.name, desc.version
        self.postprocess = dict(desc.postprocess)
        tr = desc.trunk
        if tr.meta_encoder is not None:
            raise ValueError(f"{desc.source or desc.name}: networks with an SGF metadata encoder "
                             "(human-style networks) are not supported")
        self.initial_conv = _Conv(tr.initial_conv)
        self.initial_matmul = _Linear(tr.initial_matmul)
        self.blocks = nn.ModuleList(_block(b) for b in tr.blocks)
        if tr.tip_bn is not None:
            self.tip_bn, self.tip_rms = _NormAct(tr.tip_bn, tr.tip_act), None
        else:
            self.tip_bn, self.tip_rms = None, _TipRMS(tr.tip_rms, tr.tip_act)
        p = desc.policy
        self.p1, self.g1 = _Conv(p.p1_conv), _Conv(p.g1_conv)
        self.g1_norm = _NormAct(p.g1_bn, p.g1_act)
        self.g_to_bias = _Linear(p.gpool_to_bias)
        self.p1_norm = _NormAct(p.p1_bn, p.p1_act)
        self.p2 = _Conv(p.p2_conv)
        if p.pass_bias is not None:
            self.to_pass = _Linear(p.gpool_to_pass, p.pass_bias.bias)
            self.pass_act = _activation(p.pass_act.kind)
            self.to_pass2 = _Linear(p.gpool_to_pass2)
        else:
            self.to_pass, self.pass_act, self.to_pass2 = _Linear(p.gpool_to_pass), None, None
        v = desc.value
        self.v1 = _Conv(v.v1_conv)
        self.v1_norm = _NormAct(v.v1_bn, v.v1_act)
        self.v2 = _Linear(v.v2_mul, v.v2_bias.bias)
        self.v2_act = _activation(v.v2_act.kind)
        self.v3 = _Linear(v.v3_mul, v.v3_bias.bias)
        self.sv3 = _Linear(v.sv3_mul, v.sv3_bias.bias)
        self.ownership = _Conv(v.ownership_conv)
        self.eval()

    @property
    def dtype(self) -> torch.dtype:
        return self.initial_conv.weight.dtype

    @torch.inference_mode()
    def forward(self, spatial: torch.Tensor, global_: torch.Tensor) -> NetOutput:
        dt = self.dtype
        spatial, global_ = spatial.to(dt), global_.to(dt)
        mask = spatial[:, 0:1]
        mask_sum = mask.sum((2, 3))  # (N, 1)
        ctx: dict = {}
        x = self.initial_conv(spatial) + self.initial_matmul(global_)[:, :, None, None]
        for b in self.blocks:
            x = b(x, mask, mask_sum, ctx)
        x = self.tip_bn(x, mask) if self.tip_bn is not None else self.tip_rms(x, mask, mask_sum)
        # policy
        p1 = self.p1(x)
        pooled = _gpool(self.g1_norm(self.g1(x), mask), mask, mask_sum)
        p1 = self.p1_norm(p1 + self.g_to_bias(pooled)[:, :, None, None], mask)
        board = self.p2(p1).flatten(2)  # (N, C, H*W)
        pas = self.to_pass(pooled)
        if self.to_pass2 is not None:
            pas = self.to_pass2(self.pass_act(pas))
        policy = torch.cat([board, pas[:, :, None]], 2)
        # value
        v1 = self.v1_norm(self.v1(x), mask)
        v2 = self.v2_act(self.v2(_value_pool(v1, mask_sum)))
        own = self.ownership(v1)[:, 0]
        return NetOutput(policy.float(), self.v3(v2).float(), self.sv3(v2).float(), own.float())


def set_threads(n: int | None = None) -> int:
    """Use ``n`` threads (default: the real cores this process may use); returns the number set."""
    import os
    if n is None:
        try:
            n = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            n = os.cpu_count() or 1
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def softmax_legal(logits: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
    """Probabilities over the legal moves only (illegal ones get 0), as KataGo's nneval does."""
    masked = logits.float().masked_fill(~legal, -math.inf)
    return torch.softmax(masked, -1)
