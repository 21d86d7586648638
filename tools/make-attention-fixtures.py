#!/usr/bin/python3
"""Regenerates test/fixtures/attention/: masked and grouped-query attention computed by PyTorch.

Each fixture is softmax(s·Q·Kᵀ + bias + causal mask)·V (padding-masked keys removed), computed by
PyTorch in float64 the way transformer code builds it:

  - causal masks as torch.ones(N, M).tril(diagonal=0) (upper-left, PyTorch's is_causal) or
    .tril(diagonal=M - N) (lower-right, causal_lower_right / FlashAttention-2), applied with
    masked_fill(~mask, -inf);
  - a Swin-style relative position bias: a learned table [(2Wh-1)(2Ww-1), H] indexed by
    relative_position_index, as in Swin Transformer's WindowAttention, giving bias [1, H, N, N];
  - ALiBi: bias[h, i, j] = -slope_h · (i - j) with slopes 2^(-8(h+1)/H), combined with causal;
  - grouped-query heads: K, V [B, Hkv, M, d] repeated with repeat_interleave(H // Hkv, dim=1)
    (PyTorch's enable_gqa does the same), query head h reading KV head h // (H / Hkv);
  - key padding: masked_fill over the key axis.

A query whose keys are all masked gets zeros (the package's rule; PyTorch's softmax would give
NaN there): the script writes zeros for such rows. Inputs are float32 (what the package takes);
the reference y is float64 → float32.

  test/fixtures/attention/<name>/{q,k,v}.npy    float32 [B, H, N, d], [B, Hkv, M, d]
  test/fixtures/attention/<name>/bias.npy       float32 [B|1, H|1, N, M] (when the case has one)
  test/fixtures/attention/<name>/mask.npy       uint8 [B, M] as float32 0/1 (when the case has one)
  test/fixtures/attention/<name>/y.npy          float32 [B, H, N, dv]
  test/fixtures/attention/manifest.json         the options per fixture

Needs Debian's PyTorch (apt-get install -y python3-torch); no network. Run:

    /usr/bin/python3 tools/make-attention-fixtures.py
"""
import json
import math
import os
import shutil
import zlib

import numpy as np
import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "attention"))


def swin_relative_position_bias(window, heads, gen):
    """Swin Transformer WindowAttention: table [(2Wh-1)(2Ww-1), H] gathered by relative_position_index."""
    wh, ww = window
    table = torch.randn((2 * wh - 1) * (2 * ww - 1), heads, generator=gen, dtype=torch.float64) * 0.5
    coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += wh - 1
    rel[:, :, 1] += ww - 1
    rel[:, :, 0] *= 2 * ww - 1
    index = rel.sum(-1)
    n = wh * ww
    return table[index.view(-1)].view(n, n, heads).permute(2, 0, 1).contiguous().unsqueeze(0)  # [1, H, N, N]


def alibi_bias(heads, n, m):
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)], dtype=torch.float64)
    i = torch.arange(n, dtype=torch.float64)[:, None] + (m - n)  # query positions, aligned lower-right
    j = torch.arange(m, dtype=torch.float64)[None, :]
    return (-slopes[:, None, None] * (i - j).abs()).unsqueeze(0)  # [1, H, N, M]


def reference(q, k, v, scale, causal, bias, mask):
    """float64: softmax(s·QKᵀ + bias + causal) V with GQA repeat and key padding; zero rows when nothing is seen."""
    b, h, n, _ = q.shape
    hkv, m = k.shape[1], k.shape[2]
    k = k.repeat_interleave(h // hkv, dim=1)
    v = v.repeat_interleave(h // hkv, dim=1)
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    if bias is not None:
        logits = logits + bias
    allowed = torch.ones(n, m, dtype=torch.bool)
    if causal == "upper-left":
        allowed = allowed.tril(diagonal=0)
    elif causal == "lower-right":
        allowed = allowed.tril(diagonal=m - n)
    allowed = allowed[None, None].expand(b, h, n, m)
    if mask is not None:
        allowed = allowed & mask.bool()[:, None, None, :]
    logits = logits.masked_fill(~allowed, float("-inf"))
    seen = torch.isfinite(logits).any(dim=-1, keepdim=True)
    p = torch.softmax(logits, dim=-1)
    p = torch.where(seen, p, torch.zeros_like(p))
    return torch.matmul(p, v)


def specs():
    return [
        dict(name="causal_upper_left_n_lt_m", B=2, H=3, Hkv=3, N=37, M=61, d=16, dv=16, causal="upper-left"),
        dict(name="causal_upper_left_n_gt_m", B=1, H=2, Hkv=2, N=70, M=45, d=24, dv=8, causal="upper-left"),
        dict(name="causal_lower_right_kv_cache", B=2, H=4, Hkv=4, N=5, M=83, d=16, dv=16, causal="lower-right",
             note="a decoder step: 5 new queries against 83 cached keys; the last query sees every key"),
        dict(name="causal_lower_right_n_gt_m", B=1, H=2, Hkv=2, N=50, M=30, d=8, dv=12, causal="lower-right",
             note="queries 0..19 see no key: zeros"),
        dict(name="swin_relative_position_bias", B=2, H=4, Hkv=4, N=49, M=49, d=16, dv=16, window=(7, 7),
             note="Swin WindowAttention: 7x7 window, bias [1, H, 49, 49] from a relative position table"),
        dict(name="alibi_causal_gqa", B=1, H=8, Hkv=2, N=40, M=64, d=16, dv=16, causal="lower-right", alibi=True),
        dict(name="gqa_multi_query_padding", B=2, H=4, Hkv=1, N=33, M=57, d=12, dv=20, mask=True),
        dict(name="bias_per_batch_with_inf_and_padding", B=2, H=2, Hkv=2, N=29, M=41, d=8, dv=8, bias_shape=(2, 1), inf=True, mask=True,
             causal="upper-left"),
    ]


def make(spec):
    seed = zlib.crc32(spec["name"].encode())
    gen = torch.Generator().manual_seed(seed)
    B, H, Hkv, N, M, d, dv = (spec[x] for x in ("B", "H", "Hkv", "N", "M", "d", "dv"))
    f32 = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float32)
    q, k, v = f32(B, H, N, d), f32(B, Hkv, M, d), f32(B, Hkv, M, dv)
    scale = 1.0 / math.sqrt(d)
    bias = None
    if "window" in spec:
        bias = swin_relative_position_bias(spec["window"], H, gen)
    elif spec.get("alibi"):
        bias = alibi_bias(H, N, M)
    elif "bias_shape" in spec:
        bb, bh = spec["bias_shape"]
        bias = torch.randn(bb, bh, N, M, generator=gen, dtype=torch.float64) * 1.5
        if spec.get("inf"):
            bias[..., 3, :] = float("-inf")
            bias[..., :, 5] = float("-inf")
    if bias is not None:
        bias = bias.to(torch.float32)  # the file holds what the package reads; the reference uses it exactly
    mask = None
    if spec.get("mask"):
        mask = (torch.rand(B, M, generator=gen) < 0.75).to(torch.uint8)
        mask[:, 0] = 1
    y = reference(q.double(), k.double(), v.double(), scale, spec.get("causal"), None if bias is None else bias.double(),
                  mask)
    assert torch.isfinite(y).all()
    d_ = os.path.join(ROOT, spec["name"])
    os.makedirs(d_, exist_ok=True)
    save = lambda name, t: np.save(os.path.join(d_, name + ".npy"), np.ascontiguousarray(t.numpy(), dtype="<f4"))
    save("q", q)
    save("k", k)
    save("v", v)
    save("y", y.float())
    if bias is not None:
        save("bias", bias)
    if mask is not None:
        save("mask", mask.float())
    entry = {"name": spec["name"], "B": B, "H": H, "Hkv": Hkv, "N": N, "M": M, "d": d, "dv": dv, "scale": scale,
             "causal": spec.get("causal"), "bias": None if bias is None else list(bias.shape), "mask": mask is not None}
    if spec.get("note"):
        entry["note"] = spec["note"]
    return entry


def main():
    torch.set_num_threads(1)
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    entries = [make(s) for s in specs()]
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        f.write('{\n "generator": "tools/make-attention-fixtures.py",\n'
                f' "torch": {json.dumps(torch.__version__)},\n "tolerance_max_abs": 1e-4,\n'
                ' "fixtures": [\n  ' + ",\n  ".join(json.dumps(e) for e in entries) + "\n ]\n}\n")
    print(f"{len(entries)} attention fixtures written to {ROOT}")


if __name__ == "__main__":
    main()
