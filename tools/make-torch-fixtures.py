#!/usr/bin/python3
"""Regenerates test/fixtures/block/: whole non-local blocks computed by real PyTorch modules.

Three code bases' non-local blocks are rebuilt here as PyTorch modules with the same submodule
names (so the same state-dict keys) and the same forward pass as the originals:

  mmcv      mmcv/cnn/bricks/non_local.py          NonLocal1d/2d/3d (ConvModule wrappers)
  alexhex7  AlexHex7/Non-local_pytorch lib/*.py   NONLocalBlock1D/2D/3D, one file per mode
  caffe2    video-nonlocal-net nonlocal_helper.py spacetime_nonlocal (pool before phi/g convs)

Every parameter and BatchNorm statistic is random (the originals zero-init the output so that a
fresh block is the identity, which would make z == x and the tests useless). Each block runs in
float32, eval mode, on a random input; x, the weights and z are saved per fixture:

  test/fixtures/block/<name>/x.npy               float32 [B, C, *S]
  test/fixtures/block/<name>/weights.safetensors the state dict (num_batches_tracked as I64)
  test/fixtures/block/<name>/z.npy               float32 [B, C, *S], the block's output
  test/fixtures/block/manifest.json              one entry per fixture

The script checks every fixture three ways before writing it: the output moves well away from the
input (max|z - x|), the attention matters (replacing it with uniform weights changes z), and an
independent float64 numpy re-derivation from the *saved file* (keys, shapes, bytes) reproduces z.

Needs Debian's PyTorch (apt-get install -y python3-torch, which brings numpy); no other package,
no network. The safetensors format is written by hand below (the `safetensors` package is not
used), mimicking the reference writer: compact JSON header with "__metadata__" first, tensors
ordered by dtype (I64 before F32) then name, header padded with spaces to a multiple of 8.
Run from anywhere:

    /usr/bin/python3 tools/make-torch-fixtures.py

Output is deterministic (per-fixture seeds from the fixture name, one thread).
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "block"))
MODES = ("embedded_gaussian", "gaussian", "dot_product", "concatenation")
BN_EPS = 1e-5
# Thresholds the script enforces on every fixture.
MIN_DZ = 0.05          # max|z - x|: the block is far from the identity
MIN_ATTN_EFFECT = 0.01  # max|z - z_uniform_attention|: the affinity actually matters
MAX_F64_ERR = 2e-5      # float32 torch vs float64 numpy re-derivation from the saved file

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
POOL_KERNEL = {1: (2,), 2: (2, 2), 3: (1, 2, 2)}


def make_pool(dims):
    # The originals: MaxPool1d(kernel_size=2), MaxPool2d(kernel_size=(2, 2)), MaxPool3d(kernel_size=(1, 2, 2));
    # stride defaults to the kernel, ceil_mode False (floor: an odd trailing row/column is dropped).
    if dims == 1:
        return nn.MaxPool1d(kernel_size=2)
    if dims == 2:
        return nn.MaxPool2d(kernel_size=(2, 2))
    return nn.MaxPool3d(kernel_size=(1, 2, 2))


# ---------------------------------------------------------------------------------------------
# The shared attention step. `uniform_attention` is a test hook only: it replaces P by 1/M to
# check that the affinity really influences z (it is never used for the saved outputs).


def pairwise(mode, theta_x, phi_x, use_scale, concat_project, uniform_attention=False):
    if mode == "gaussian":
        p = torch.matmul(theta_x, phi_x).softmax(dim=-1)
    elif mode == "embedded_gaussian":
        p = torch.matmul(theta_x, phi_x)
        if use_scale:
            p = p / theta_x.shape[-1] ** 0.5
        p = p.softmax(dim=-1)
    elif mode == "dot_product":
        p = torch.matmul(theta_x, phi_x)
        p = p / p.shape[-1]
    elif mode == "concatenation":
        h = theta_x.size(2)
        w = phi_x.size(3)
        theta_x = theta_x.repeat(1, 1, 1, w)
        phi_x = phi_x.repeat(1, 1, h, 1)
        f = concat_project(torch.cat([theta_x, phi_x], dim=1))
        n, _, h, w = f.size()
        p = f.view(n, h, w)
        p = p / p.shape[-1]
    else:
        raise ValueError(mode)
    if uniform_attention:
        p = torch.full_like(p, 1.0 / p.shape[-1])
    return p


# ---------------------------------------------------------------------------------------------
# mmcv: ConvModule(conv[, bn][, act]) and _NonLocalNd.


class ConvModule(nn.Module):
    """The parts of mmcv.cnn.ConvModule used here: conv (bias='auto': bias iff no norm), 'bn', ReLU."""

    def __init__(self, cin, cout, conv_type, norm_type=None, bias="auto", relu=False):
        super().__init__()
        if bias == "auto":
            bias = norm_type is None
        self.conv = conv_type(cin, cout, kernel_size=1, bias=bias)
        if norm_type is not None:
            # mmcv's build_norm_layer names any _BatchNorm subclass 'bn'; eps 1e-5, momentum 0.1.
            self.bn = norm_type(cout)
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        x = self.conv(x)
        if hasattr(self, "bn"):
            x = self.bn(x)
        if self.relu is not None:
            x = self.relu(x)
        return x


class MmcvNonLocal(nn.Module):
    """mmcv.cnn.NonLocal{1d,2d,3d} (= _NonLocalNd plus the subclass's sub_sample wrapping)."""

    def __init__(self, dims, in_channels, reduction=2, use_scale=True, norm=None, mode="embedded_gaussian", sub_sample=False):
        super().__init__()
        self.dims, self.in_channels, self.mode, self.use_scale, self.sub_sample = dims, in_channels, mode, use_scale, sub_sample
        self.inter_channels = max(in_channels // reduction, 1)
        conv = CONV[dims]
        ci = self.inter_channels
        # Registration order as in mmcv: g, conv_out, theta, phi, concat_project.
        self.g = ConvModule(in_channels, ci, conv)
        self.conv_out = ConvModule(ci, in_channels, conv, norm_type=BN[dims] if norm == "bn" else None)
        if mode != "gaussian":
            self.theta = ConvModule(in_channels, ci, conv)
            self.phi = ConvModule(in_channels, ci, conv)
        if mode == "concatenation":
            self.concat_project = ConvModule(ci * 2, 1, nn.Conv2d, bias=False, relu=True)
        if sub_sample:
            pool = make_pool(dims)
            self.g = nn.Sequential(self.g, pool)
            if mode != "gaussian":
                self.phi = nn.Sequential(self.phi, pool)
            else:
                self.phi = pool
        self.uniform_attention = False

    def forward(self, x):
        n = x.size(0)
        ci, c = self.inter_channels, self.in_channels
        g_x = self.g(x).view(n, ci, -1).permute(0, 2, 1)
        if self.mode == "gaussian":
            theta_x = x.view(n, c, -1).permute(0, 2, 1)
            phi_x = (self.phi(x) if self.sub_sample else x).view(n, c, -1)
        elif self.mode == "concatenation":
            theta_x = self.theta(x).view(n, ci, -1, 1)
            phi_x = self.phi(x).view(n, ci, 1, -1)
        else:
            theta_x = self.theta(x).view(n, ci, -1).permute(0, 2, 1)
            phi_x = self.phi(x).view(n, ci, -1)
        p = pairwise(self.mode, theta_x, phi_x, self.use_scale, getattr(self, "concat_project", None), self.uniform_attention)
        y = torch.matmul(p, g_x).permute(0, 2, 1).contiguous().reshape(n, ci, *x.size()[2:])
        return x + self.conv_out(y)


# ---------------------------------------------------------------------------------------------
# AlexHex7/Non-local_pytorch: lib/non_local_{embedded_gaussian,gaussian,dot_product,concatenation}.py


class AlexHex7NonLocal(nn.Module):
    def __init__(self, dims, in_channels, mode, inter_channels=None, sub_sample=True, bn_layer=True):
        super().__init__()
        self.dims, self.in_channels, self.mode, self.sub_sample = dims, in_channels, mode, sub_sample
        if inter_channels is None:
            inter_channels = in_channels // 2
            if inter_channels == 0:
                inter_channels = 1
        self.inter_channels = ci = inter_channels
        conv = CONV[dims]
        pool = make_pool(dims)
        # Registration order as in the originals: g, W, theta, phi, (concat_project).
        self.g = conv(in_channels, ci, kernel_size=1, stride=1, padding=0)
        if bn_layer:
            self.W = nn.Sequential(conv(ci, in_channels, kernel_size=1, stride=1, padding=0), BN[dims](in_channels))
        else:
            self.W = conv(ci, in_channels, kernel_size=1, stride=1, padding=0)
        if mode != "gaussian":
            self.theta = conv(in_channels, ci, kernel_size=1, stride=1, padding=0)
            self.phi = conv(in_channels, ci, kernel_size=1, stride=1, padding=0)
        if mode == "concatenation":
            self.concat_project = nn.Sequential(nn.Conv2d(ci * 2, 1, 1, 1, 0, bias=False), nn.ReLU())
        if sub_sample:
            self.g = nn.Sequential(self.g, pool)
            if mode != "gaussian":
                self.phi = nn.Sequential(self.phi, pool)
            else:
                self.phi = pool
        self.uniform_attention = False

    def forward(self, x):
        b = x.size(0)
        ci, c = self.inter_channels, self.in_channels
        g_x = self.g(x).view(b, ci, -1).permute(0, 2, 1)
        if self.mode == "gaussian":
            theta_x = x.view(b, c, -1).permute(0, 2, 1)
            phi_x = (self.phi(x) if self.sub_sample else x).view(b, c, -1)
        elif self.mode == "concatenation":
            theta_x = self.theta(x).view(b, ci, -1, 1)
            phi_x = self.phi(x).view(b, ci, 1, -1)
        else:
            theta_x = self.theta(x).view(b, ci, -1).permute(0, 2, 1)
            phi_x = self.phi(x).view(b, ci, -1)
        # Never scaled: embedded_gaussian is softmax(theta . phi).
        p = pairwise(self.mode, theta_x, phi_x, False, getattr(self, "concat_project", None), self.uniform_attention)
        y = torch.matmul(p, g_x).permute(0, 2, 1).contiguous().view(b, ci, *x.size()[2:])
        return self.W(y) + x


# ---------------------------------------------------------------------------------------------
# Caffe2 video-nonlocal-net: lib/models/nonlocal_helper.py, spacetime_nonlocal + add_nonlocal.


class Caffe2NonLocal(nn.Module):
    def __init__(self, in_channels, inter_channels, use_softmax=True, use_scale=True, pool_before_conv=True):
        super().__init__()
        self.in_channels, self.inter_channels = in_channels, inter_channels
        self.use_softmax, self.use_scale, self.pool_before_conv = use_softmax, use_scale, pool_before_conv
        self.theta = nn.Conv3d(in_channels, inter_channels, 1)
        self.phi = nn.Conv3d(in_channels, inter_channels, 1)
        self.g = nn.Conv3d(in_channels, inter_channels, 1)
        self.out = nn.Conv3d(inter_channels, in_channels, 1)
        self.bn = nn.BatchNorm3d(in_channels, eps=BN_EPS)  # SpatialBN, is_test=1
        self.pool = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.uniform_attention = False

    def forward(self, x):
        b, ci = x.size(0), self.inter_channels
        theta = self.theta(x).view(b, ci, -1)  # [B, Ci, N]
        if self.pool_before_conv:  # the real thing: MaxPool, then the phi and g convs
            xp = self.pool(x)
            phi, g = self.phi(xp), self.g(xp)
        else:  # used only to show that the order matters
            phi, g = self.pool(self.phi(x)), self.pool(self.g(x))
        phi = phi.view(b, ci, -1)  # [B, Ci, M]
        g = g.view(b, ci, -1)
        a = torch.bmm(theta.transpose(1, 2), phi)  # BatchMatMul trans_a=1 -> [B, N, M]
        if self.use_softmax:
            if self.use_scale:
                a = a * ci ** -0.5  # model.Scale(scale=dim_inner ** -.5)
            p = a.softmax(dim=2)
        else:
            p = a / a.shape[2]  # Div by ReduceBackSum(ones) = M
        if self.uniform_attention:
            p = torch.full_like(p, 1.0 / p.shape[2])
        t = torch.bmm(g, p.transpose(1, 2))  # BatchMatMul trans_b=1 -> [B, Ci, N]
        t = t.view(b, ci, *x.size()[2:])
        return x + self.bn(self.out(t))  # Sum([blob_in, blob_out])

    def caffe2_state(self, prefix):
        """(blob name, tensor) in the order the blobs are created."""
        sd = self.state_dict()
        names = [("theta.weight", "_theta_w"), ("theta.bias", "_theta_b"), ("phi.weight", "_phi_w"), ("phi.bias", "_phi_b"),
                 ("g.weight", "_g_w"), ("g.bias", "_g_b"), ("out.weight", "_out_w"), ("out.bias", "_out_b"),
                 ("bn.weight", "_bn_s"), ("bn.bias", "_bn_b"), ("bn.running_mean", "_bn_rm"), ("bn.running_var", "_bn_riv")]
        return [(prefix + blob, sd[k]) for k, blob in names]


# ---------------------------------------------------------------------------------------------
# A small model holding two mmcv blocks under different prefixes, for the loader's prefix option.


class _Stage(nn.Module):
    def __init__(self, c, with_nl):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        if with_nl:
            self.non_local_block = MmcvNonLocal(2, c, reduction=2, use_scale=True, norm="bn", mode="embedded_gaussian")


class _Backbone(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer2 = nn.Sequential(_Stage(c, False), _Stage(c, True))


class _Neck(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lateral = ConvModule(c, c, nn.Conv2d)
        self.refine = MmcvNonLocal(2, c, reduction=2, use_scale=True, norm="bn", mode="embedded_gaussian")


class WholeModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.backbone = _Backbone(c)
        self.neck = _Neck(c)


# ---------------------------------------------------------------------------------------------
# Model families, laid out as the originals name their modules (so the key paths are theirs):
#   mmdet  mmdet/models/necks/bfp.py           BFP.refine = NonLocal2d(C, reduction=1, use_scale=False)
#   mmaction2 mmaction/models/backbones/resnet3d.py  Bottleneck3d.non_local_block = NonLocal3d(C, **non_local_cfg),
#          resnet_tsm.py NL3DWrapper(block, …): .block + .non_local_block; non_local_cfg from
#          configs/recognition/{i3d,tsm}/*nl*.py: sub_sample=True, use_scale=False, BN3d, mode dot_product |
#          embedded_gaussian | gaussian
#   mmseg  mmseg/models/decode_heads/nl_head.py  NLHead.nl_block = NonLocal2d(channels, reduction=2, use_scale=True,
#          norm_cfg=SyncBN (named bn), mode='embedded_gaussian') (configs/_base_/models/nonlocal_r50-d8.py)


class _BFP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.refine = MmcvNonLocal(2, c, reduction=1, use_scale=False, norm=None, mode="embedded_gaussian")


class _FPN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lateral_convs = nn.ModuleList([ConvModule(c, c, nn.Conv2d) for _ in range(2)])
        self.fpn_convs = nn.ModuleList([ConvModule(c, c, nn.Conv2d) for _ in range(2)])


class LibraModel(nn.Module):
    """A Libra R-CNN: backbone, then neck = BFP (neck.refine.) or neck = [FPN, BFP] (neck.1.refine.)."""

    def __init__(self, c, list_neck):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv1 = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.neck = nn.Sequential(_FPN(c), _BFP(c)) if list_neck else _BFP(c)

    def block(self, prefix):
        return {"neck.refine.": lambda: self.neck.refine, "neck.1.refine.": lambda: self.neck[1].refine}[prefix]()


class _Bottleneck3d(nn.Module):
    def __init__(self, c, nl_cfg):
        super().__init__()
        self.conv1 = ConvModule(c, c, nn.Conv3d, norm_type=nn.BatchNorm3d)
        self.conv3 = ConvModule(c, c, nn.Conv3d, norm_type=nn.BatchNorm3d)
        if nl_cfg is not None:
            self.non_local_block = MmcvNonLocal(3, c, **nl_cfg)


class _NL3DWrapper(nn.Module):
    def __init__(self, c, nl_cfg):
        super().__init__()
        self.block = _Bottleneck3d(c, None)
        self.non_local_block = MmcvNonLocal(3, c, **nl_cfg)


class Mmaction2Model(nn.Module):
    """A recogniser: backbone.layerN.M (Bottleneck3d, or NL3DWrapper for TSM) and cls_head.fc_cls."""

    def __init__(self, c, mode, placement, tsm=False):
        super().__init__()
        nl_cfg = dict(sub_sample=True, use_scale=False, norm="bn", mode=mode)
        self.backbone = nn.Module()
        for layer, (channels, flags) in placement.items():
            blocks = [(_NL3DWrapper(channels, nl_cfg) if tsm else _Bottleneck3d(channels, nl_cfg)) if f else _Bottleneck3d(channels, None)
                      for f in flags]
            setattr(self.backbone, layer, nn.Sequential(*blocks))
        self.cls_head = nn.Module()
        self.cls_head.fc_cls = nn.Linear(4, 3)

    def block(self, prefix):
        _, layer, index, _ = prefix.split(".", 3)
        return getattr(self.backbone, layer)[int(index)].non_local_block


class MmsegModel(nn.Module):
    """An NLHead segmentor: decode_head.convs, decode_head.nl_block, decode_head.conv_seg."""

    def __init__(self, c):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv1 = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.decode_head = nn.Module()
        self.decode_head.convs = nn.Sequential(ConvModule(c, c, nn.Conv2d, norm_type=nn.BatchNorm2d))
        self.decode_head.nl_block = MmcvNonLocal(2, c, reduction=2, use_scale=True, norm="bn", mode="embedded_gaussian")
        self.decode_head.conv_seg = nn.Conv2d(c, 5, 1)

    def block(self, prefix):
        return self.decode_head.nl_block


# ---------------------------------------------------------------------------------------------


def randomize(module, gen):
    """Random weights everywhere, so no block is the identity (the originals zero-init the output)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                m.weight.normal_(0.0, 0.35, generator=gen)
                if m.bias is not None:
                    m.bias.normal_(0.0, 0.2, generator=gen)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                m.weight.normal_(1.0, 0.4, generator=gen)
                m.bias.normal_(0.0, 0.3, generator=gen)
                m.running_mean.normal_(0.0, 0.3, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.num_batches_tracked.fill_(int(torch.randint(100, 100000, (1,), generator=gen)))


ST_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
ST_RANK = {"I64": 0, "F64": 1, "F32": 2}  # reference writer: larger alignment first, then by name


def safetensors_bytes(items, metadata=None):
    """items: list of (name, tensor). Returns the file's bytes (see the module docstring)."""
    entries = []
    for name, t in items:
        code, npdt = ST_DTYPES[t.dtype]
        entries.append((name, code, list(t.shape), np.ascontiguousarray(t.detach().cpu().numpy().astype(npdt)).tobytes()))
    entries.sort(key=lambda e: (ST_RANK[e[1]], e[0].encode("utf-8")))
    parts = []
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(metadata, separators=(",", ":"), ensure_ascii=False))
    offset = 0
    for name, code, shape, data in entries:
        parts.append(f'{json.dumps(name, ensure_ascii=False)}:{{"dtype":"{code}","shape":{json.dumps(shape, separators=(",", ":"))},'
                     f'"data_offsets":[{offset},{offset + len(data)}]}}')
        offset += len(data)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-(8 + len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(e[3] for e in entries)


def parse_safetensors(buf):
    """Independent reader for the self-check: name -> float64 array (I64 entries as int64)."""
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    out, end = {}, 0
    for name, e in header.items():
        b0, b1 = e["data_offsets"]
        dt = {"F32": "<f4", "I64": "<i8"}[e["dtype"]]
        out[name] = np.frombuffer(buf[8 + n + b0:8 + n + b1], dtype=dt).reshape(e["shape"])
        end = max(end, b1)
    assert 8 + n + end == len(buf), "trailing bytes"
    return {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# Float64 numpy re-derivation of z from the saved file, written from the semantics, not the modules.


def np_conv(sd, wkey, bkey, x):
    w = sd[wkey]
    w = w.reshape(w.shape[0], w.shape[1])
    y = np.einsum("oc,bc...->bo...", w, x)
    if bkey is not None and bkey in sd:
        y = y + sd[bkey].reshape((1, -1) + (1,) * (x.ndim - 2))
    return y


def np_bn(sd, pre, x, names=("weight", "bias", "running_mean", "running_var")):
    shp = (1, -1) + (1,) * (x.ndim - 2)
    w, b, rm, rv = (sd[pre + k].reshape(shp) for k in names)
    return (x - rm) / np.sqrt(rv + BN_EPS) * w + b


def np_pool(x, dims):
    k = POOL_KERNEL[dims]
    sp = x.shape[2:]
    out_sp = tuple(s // kk for s, kk in zip(sp, k))
    x = x[(slice(None), slice(None)) + tuple(slice(0, o * kk) for o, kk in zip(out_sp, k))]
    shape = list(x.shape[:2])
    for o, kk in zip(out_sp, k):
        shape += [o, kk]
    x = x.reshape(shape)
    return x.max(axis=tuple(3 + 2 * i for i in range(len(k))))


def np_block(entry, sd, x, divide_by_n=False):
    """z from the saved weights. divide_by_n: a wrong variant (dot/concat divided by N, not M)."""
    conv_name, mode, dims = entry["convention"], entry["mode"], entry["dims"]
    p, sub = entry["prefix"], entry["sub_sample"]
    b, c = x.shape[:2]
    ci = entry["inter_channels"]
    if conv_name == "mmcv":
        def k(part):  # ConvModule: <name>.conv.*, or <name>.0.conv.* inside Sequential(conv, pool)
            return p + part + (".0" if sub and part in ("g", "phi") else "") + ".conv."
        th_k, ph_k, g_k = k("theta"), k("phi"), k("g")
        out_k, bn_k, cp_k = p + "conv_out.conv.", p + "conv_out.bn.", p + "concat_project.conv.weight"
        bn_names = ("weight", "bias", "running_mean", "running_var")
    elif conv_name == "alexhex7":
        def k(part):
            return p + part + (".0" if sub and part in ("g", "phi") else "") + "."
        th_k, ph_k, g_k = k("theta"), k("phi"), k("g")
        out_k, bn_k = (p + "W.0.", p + "W.1.") if entry["norm"] == "bn" else (p + "W.", None)
        cp_k = p + "concat_project.0.weight"
        bn_names = ("weight", "bias", "running_mean", "running_var")
    else:
        bp = entry["caffe2_blob_prefix"]
        th_k, ph_k, g_k, out_k, bn_k, cp_k = bp + "_theta_", bp + "_phi_", bp + "_g_", bp + "_out_", bp + "_bn_", None
        bn_names = ("s", "b", "rm", "riv")
    wb = ("w", "b") if conv_name == "caffe2" else ("weight", "bias")

    def conv(pre, inp):
        return np_conv(sd, pre + wb[0], pre + wb[1], inp)

    def keys_side(pre):  # phi / g: conv then pool (mmcv, AlexHex7) or pool then conv (Caffe2)
        if not sub:
            return conv(pre, x)
        if entry["pool_before_conv"]:
            return conv(pre, np_pool(x, dims))
        return np_pool(conv(pre, x), dims)

    if mode == "gaussian":
        th = x.reshape(b, c, -1)
        ph = (np_pool(x, dims) if sub else x).reshape(b, c, -1)
    else:
        th = conv(th_k, x).reshape(b, ci, -1)
        ph = keys_side(ph_k).reshape(b, ci, -1)
    g = keys_side(g_k).reshape(b, ci, -1)
    m = th.shape[-1] if divide_by_n else ph.shape[-1]
    if mode == "concatenation":
        w = sd[cp_k].reshape(2 * ci)
        f = np.einsum("c,bcn->bn", w[:ci], th)[:, :, None] + np.einsum("c,bcm->bm", w[ci:], ph)[:, None, :]
        pmat = np.maximum(f, 0.0) / m
    else:
        a = np.einsum("bcn,bcm->bnm", th, ph)
        if mode == "dot_product":
            pmat = a / m
        else:
            if entry["use_scale"]:
                a = a / np.sqrt(th.shape[1])
            a = a - a.max(axis=-1, keepdims=True)
            e = np.exp(a)
            pmat = e / e.sum(axis=-1, keepdims=True)
    y = np.einsum("bnm,bcm->bcn", pmat, g).reshape((b, ci) + x.shape[2:])
    out = conv(out_k, y)
    if bn_k is not None and entry["norm"] == "bn":
        out = np_bn(sd, bn_k, out, bn_names)
    return x + out


# ---------------------------------------------------------------------------------------------


def fixture_specs():
    specs = []
    shapes = {1: (2, 8, 9), 2: (2, 6, 7, 5), 3: (2, 8, 3, 5, 6)}
    # mmcv: every mode x dims x sub_sample; BN on half of them (both kinds in every dimensionality).
    for mi, mode in enumerate(MODES):
        for dims in (1, 2, 3):
            for sub in (False, True):
                norm = "bn" if (mi + sub) % 2 == 1 else None
                specs.append(dict(name=f"mmcv_{mode}_{dims}d_{'sub' if sub else 'nosub'}_{norm or 'nonorm'}", convention="mmcv",
                                  mode=mode, dims=dims, x_shape=shapes[dims], sub_sample=sub, norm=norm, reduction=2, use_scale=True))
    specs += [
        dict(name="mmcv_embedded_gaussian_2d_noscale", convention="mmcv", mode="embedded_gaussian", dims=2, x_shape=(2, 8, 5, 7),
             sub_sample=False, norm="bn", reduction=2, use_scale=False),
        dict(name="mmcv_libra_refine_2d", convention="mmcv", mode="embedded_gaussian", dims=2, x_shape=(2, 8, 6, 5),
             sub_sample=False, norm=None, reduction=1, use_scale=False,
             note="Libra R-CNN BFP refine: NonLocal2d(C, reduction=1, use_scale=False), C_inter = C"),
        dict(name="mmcv_embedded_gaussian_2d_cinter1", convention="mmcv", mode="embedded_gaussian", dims=2, x_shape=(2, 3, 7, 5),
             sub_sample=True, norm="bn", reduction=4, use_scale=True, note="C=3, reduction=4: inter = max(3 // 4, 1) = 1"),
        dict(name="mmcv_concatenation_3d_cinter1", convention="mmcv", mode="concatenation", dims=3, x_shape=(2, 3, 2, 5, 4),
             sub_sample=True, norm=None, reduction=4, use_scale=True, note="C=3, reduction=4: inter = 1"),
    ]
    # AlexHex7: every mode x dims with the defaults (sub_sample=True, bn_layer=True), then a few variants.
    a_shapes = {1: (2, 7, 11), 2: (2, 8, 5, 7), 3: (2, 6, 3, 6, 5)}
    for mode in MODES:
        for dims in (1, 2, 3):
            specs.append(dict(name=f"alexhex7_{mode}_{dims}d", convention="alexhex7", mode=mode, dims=dims, x_shape=a_shapes[dims],
                              sub_sample=True, norm="bn"))
    specs += [
        dict(name="alexhex7_embedded_gaussian_2d_nosub_nobn", convention="alexhex7", mode="embedded_gaussian", dims=2,
             x_shape=(2, 8, 5, 6), sub_sample=False, norm=None),
        dict(name="alexhex7_gaussian_1d_nosub", convention="alexhex7", mode="gaussian", dims=1, x_shape=(2, 6, 10),
             sub_sample=False, norm="bn"),
        dict(name="alexhex7_dot_product_3d_nobn", convention="alexhex7", mode="dot_product", dims=3, x_shape=(2, 8, 2, 5, 5),
             sub_sample=True, norm=None),
        dict(name="alexhex7_concatenation_2d_nosub", convention="alexhex7", mode="concatenation", dims=2, x_shape=(2, 6, 4, 5),
             sub_sample=False, norm="bn"),
        dict(name="alexhex7_embedded_gaussian_2d_c1", convention="alexhex7", mode="embedded_gaussian", dims=2, x_shape=(2, 1, 5, 5),
             sub_sample=True, norm="bn", note="C=1: inter = 1 // 2 = 0 -> 1"),
    ]
    specs += [
        dict(name="caffe2_embedded_gaussian_3d", convention="caffe2", mode="embedded_gaussian", dims=3, x_shape=(2, 12, 2, 7, 5),
             sub_sample=True, norm="bn", inter_channels=6, use_scale=True, caffe2_blob_prefix="nonlocal_conv3_1"),
        dict(name="caffe2_dot_product_3d", convention="caffe2", mode="dot_product", dims=3, x_shape=(2, 8, 3, 5, 6),
             sub_sample=True, norm="bn", inter_channels=4, use_scale=False, caffe2_blob_prefix="nonlocal_conv4_5"),
    ]
    specs.append(dict(name="mmcv_whole_model", convention="mmcv", mode="embedded_gaussian", dims=2, x_shape=(2, 8, 5, 7),
                      sub_sample=False, norm="bn", reduction=2, use_scale=True, prefix="neck.refine.", whole_model=True))
    return specs


def build(spec):
    conv_name, mode, dims, c = spec["convention"], spec["mode"], spec["dims"], spec["x_shape"][1]
    if spec.get("whole_model"):
        model = WholeModel(c)
        return model, model.neck.refine, "mmcv.cnn.NonLocal2d inside a model"
    if conv_name == "mmcv":
        blk = MmcvNonLocal(dims, c, reduction=spec["reduction"], use_scale=spec["use_scale"], norm=spec["norm"], mode=mode,
                           sub_sample=spec["sub_sample"])
        return blk, blk, f"mmcv.cnn.NonLocal{dims}d"
    if conv_name == "alexhex7":
        blk = AlexHex7NonLocal(dims, c, mode, sub_sample=spec["sub_sample"], bn_layer=spec["norm"] == "bn")
        return blk, blk, f"lib/non_local_{mode}.py NONLocalBlock{dims}D"
    blk = Caffe2NonLocal(c, spec["inter_channels"], use_softmax=mode == "embedded_gaussian", use_scale=spec["use_scale"])
    return blk, blk, "video-nonlocal-net nonlocal_helper.spacetime_nonlocal"


def make_fixture(spec):
    name = spec["name"]
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model, blk, source = build(spec)
    randomize(model, gen)
    model.eval()
    x = torch.randn(spec["x_shape"], generator=gen, dtype=torch.float32)
    with torch.no_grad():
        z = blk(x)
        blk.uniform_attention = True
        z_uniform = blk(x)
        blk.uniform_attention = False
        extra = {}
        if spec["convention"] == "caffe2":
            blk.pool_before_conv = False
            extra["max_abs_diff_vs_pool_after_conv"] = float((blk(x) - z).abs().max())
            blk.pool_before_conv = True
            if extra["max_abs_diff_vs_pool_after_conv"] < MIN_ATTN_EFFECT:
                raise AssertionError(f"{name}: pool order makes no difference")
    assert z.dtype == torch.float32 and z.shape == x.shape

    if spec["convention"] == "caffe2":
        items = blk.caffe2_state(spec["caffe2_blob_prefix"])
    else:
        items = list(model.state_dict().items())
    st = safetensors_bytes(items, {"format": "pt"})
    prefix = spec.get("prefix", "")
    keys = [k for k, _ in items]

    if spec["convention"] == "mmcv":
        inter = max(spec["x_shape"][1] // spec["reduction"], 1)
        use_scale = spec["use_scale"] and spec["mode"] == "embedded_gaussian"
    elif spec["convention"] == "alexhex7":
        inter = max(spec["x_shape"][1] // 2, 1)
        use_scale = False
    else:
        inter = spec["inter_channels"]
        use_scale = spec["use_scale"]
    assert inter == blk.inter_channels
    entry = {
        "name": name,
        "convention": spec["convention"],
        "mode": spec["mode"],
        "dims": spec["dims"],
        "x_shape": list(spec["x_shape"]),
        "in_channels": spec["x_shape"][1],
        "inter_channels": inter,
        "sub_sample": spec["sub_sample"],
        "pool_before_conv": spec["convention"] == "caffe2",
        "use_scale": use_scale,
        "norm": spec["norm"],
        "bn_eps": BN_EPS if spec["norm"] else None,
        "prefix": prefix,
    }
    if spec["convention"] == "mmcv":
        entry["reduction"] = spec["reduction"]
    if spec["convention"] == "caffe2":
        entry["caffe2_blob_prefix"] = spec["caffe2_blob_prefix"]
    entry["source"] = source
    if spec.get("note"):
        entry["note"] = spec["note"]
    entry["keys"] = keys
    if prefix:
        entry["block_keys"] = [k for k in keys if k.startswith(prefix)]
        entry["other_block_prefixes"] = ["backbone.layer2.1.non_local_block."]
        entry["note"] = ("two identical-shaped mmcv NonLocal2d blocks; x.npy/z.npy belong to neck.refine. "
                         "(the second one in key order); the other block gives a different z")

    # Self-checks.
    xd, zd = x.double().numpy(), z.double().numpy()
    dz = float(np.abs(zd - xd).max())
    attn = float((z - z_uniform).abs().max())
    sd = parse_safetensors(st)
    assert list(sorted(sd)) == sorted(keys)
    zref = np_block(entry, sd, xd)
    err = float(np.abs(zref - zd).max())
    if prefix:  # the other block must give a visibly different output
        other = np_block(dict(entry, prefix=entry["other_block_prefixes"][0]), sd, xd)
        extra["max_abs_diff_other_block"] = float(np.abs(other - zd).max())
        assert extra["max_abs_diff_other_block"] > MIN_DZ, name
    # Plausible misreadings of the semantics must give visibly different outputs.
    wrong = {}
    if entry["mode"] == "embedded_gaussian" and inter > 1:
        wrong["scale_toggled"] = np_block(dict(entry, use_scale=not use_scale), sd, xd)
    if entry["sub_sample"] and entry["mode"] != "gaussian":
        wrong["pool_order_swapped"] = np_block(dict(entry, pool_before_conv=not entry["pool_before_conv"]), sd, xd)
    if entry["sub_sample"] and entry["mode"] in ("dot_product", "concatenation"):
        wrong["divided_by_n"] = np_block(entry, sd, xd, divide_by_n=True)
    for k, v in wrong.items():
        extra["wrong_" + k] = float(np.abs(v - zd).max())
        if extra["wrong_" + k] < MIN_ATTN_EFFECT:
            raise AssertionError(f"{name}: variant {k} is indistinguishable ({extra['wrong_' + k]:.3g})")
    if not (dz > MIN_DZ and attn > MIN_ATTN_EFFECT and err < MAX_F64_ERR):
        raise AssertionError(f"{name}: max|z-x|={dz:.3g} attention effect={attn:.3g} float64 error={err:.3g}")
    entry["checks"] = {"max_abs_z_minus_x": round(dz, 4), "max_abs_z": round(float(np.abs(zd).max()), 4),
                       "attention_effect": round(attn, 4), "float64_error": float(f"{err:.2g}"),
                       **{k: round(v, 4) for k, v in extra.items()}}

    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "x.npy"), np.ascontiguousarray(x.numpy(), dtype="<f4"))
    np.save(os.path.join(d, "z.npy"), np.ascontiguousarray(z.numpy(), dtype="<f4"))
    with open(os.path.join(d, "weights.safetensors"), "wb") as f:
        f.write(st)
    return entry


# ---------------------------------------------------------------------------------------------
# Family fixtures: a whole model per file, one x/z pair per non-local block in it. The tests load
# each block with only { prefix } (and { mode } where the family leaves it open) and must match.


def family_specs():
    return [
        dict(name="family_libra_bfp", family="mmdet-libra-bfp", source="mmdet mmdet/models/necks/bfp.py (neck = BFP)",
             model=lambda: LibraModel(8, list_neck=False), blocks=[("neck.refine.", (2, 8, 6, 5))]),
        dict(name="family_libra_list_neck", family="mmdet-libra-bfp", source="mmdet mmdet/models/necks/bfp.py (neck = [FPN, BFP])",
             model=lambda: LibraModel(8, list_neck=True), blocks=[("neck.1.refine.", (2, 8, 5, 7))]),
        dict(name="family_mmaction2_i3d_nl", family="mmaction2-resnet3d",
             source="mmaction2 resnet3d.py Bottleneck3d, non_local=((0, 1, 0, 1), (0, 1)), mode embedded_gaussian",
             model=lambda: Mmaction2Model(8, "embedded_gaussian", {"layer2": (8, (0, 1, 0, 1)), "layer3": (16, (0, 1))}),
             mode="embedded_gaussian",
             blocks=[("backbone.layer2.1.non_local_block.", (2, 8, 2, 6, 5)), ("backbone.layer2.3.non_local_block.", (2, 8, 3, 4, 6)),
                     ("backbone.layer3.1.non_local_block.", (2, 16, 2, 4, 4))]),
        dict(name="family_mmaction2_tsm_nl_dot", family="mmaction2-resnet3d",
             source="mmaction2 resnet_tsm.py NL3DWrapper, mode dot_product",
             model=lambda: Mmaction2Model(8, "dot_product", {"layer2": (8, (0, 1))}, tsm=True), mode="dot_product",
             blocks=[("backbone.layer2.1.non_local_block.", (2, 8, 4, 4, 6))]),
        dict(name="family_mmaction2_i3d_nl_gaussian", family="mmaction2-resnet3d",
             source="mmaction2 resnet3d.py Bottleneck3d, mode gaussian (told by the keys)",
             model=lambda: Mmaction2Model(8, "gaussian", {"layer2": (8, (0, 1))}), mode="gaussian", mode_from_keys=True,
             blocks=[("backbone.layer2.1.non_local_block.", (2, 8, 2, 6, 6))]),
        dict(name="family_mmseg_nlhead", family="mmseg-nlhead", source="mmseg nl_head.py NLHead (nonlocal_r50-d8.py)",
             model=lambda: MmsegModel(8), blocks=[("decode_head.nl_block.", (2, 8, 6, 7))]),
    ]


FAMILY_SETTINGS = {
    "mmdet-libra-bfp": dict(use_scale=False, mode="embedded_gaussian"),
    "mmaction2-resnet3d": dict(use_scale=False),
    "mmseg-nlhead": dict(use_scale=True, mode="embedded_gaussian"),
}


def make_family_fixture(spec):
    name = spec["name"]
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = spec["model"]()
    randomize(model, gen)
    model.eval()
    items = list(model.state_dict().items())
    st = safetensors_bytes(items, {"format": "pt"})
    sd = parse_safetensors(st)
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    blocks = []
    for i, (prefix, x_shape) in enumerate(spec["blocks"]):
        blk = model.block(prefix)
        x = torch.randn(x_shape, generator=gen, dtype=torch.float32)
        with torch.no_grad():
            z = blk(x)
            blk.uniform_attention = True
            z_uniform = blk(x)
            blk.uniform_attention = False
        settings = FAMILY_SETTINGS[spec["family"]]
        mode = spec.get("mode", settings.get("mode"))
        assert mode == blk.mode
        use_scale = settings["use_scale"] and mode == "embedded_gaussian"
        assert blk.use_scale == settings["use_scale"]
        entry = {"prefix": prefix, "x": f"x{i}.npy", "z": f"z{i}.npy", "x_shape": list(x_shape), "convention": "mmcv",
                 "mode": mode, "mode_required": mode in ("embedded_gaussian", "dot_product") and spec["family"] == "mmaction2-resnet3d",
                 "dims": blk.dims, "in_channels": x_shape[1], "inter_channels": blk.inter_channels, "sub_sample": blk.sub_sample,
                 "pool_before_conv": False, "use_scale": use_scale, "norm": "bn" if hasattr(blk.conv_out, "bn") else None}
        xd, zd = x.double().numpy(), z.double().numpy()
        err = float(np.abs(np_block(entry, sd, xd) - zd).max())
        dz = float(np.abs(zd - xd).max())
        attn = float((z - z_uniform).abs().max())
        checks = {"max_abs_z_minus_x": round(dz, 4), "attention_effect": round(attn, 4), "float64_error": float(f"{err:.2g}")}
        # What a loader that ignored the family would compute: mmcv's defaults (use_scale=True, embedded_gaussian).
        if mode in ("embedded_gaussian", "dot_product"):
            mmcv_default = np_block(dict(entry, mode="embedded_gaussian", use_scale=True), sd, xd)
            checks["wrong_mmcv_defaults"] = round(float(np.abs(mmcv_default - zd).max()), 4)
        if not (dz > MIN_DZ and attn > MIN_ATTN_EFFECT and err < MAX_F64_ERR):
            raise AssertionError(f"{name} {prefix}: max|z-x|={dz:.3g} attention effect={attn:.3g} float64 error={err:.3g}")
        if "wrong_mmcv_defaults" in checks and spec["family"] != "mmseg-nlhead" and checks["wrong_mmcv_defaults"] < MIN_ATTN_EFFECT:
            raise AssertionError(f"{name} {prefix}: mmcv defaults are indistinguishable")
        entry["checks"] = checks
        np.save(os.path.join(d, entry["x"]), np.ascontiguousarray(x.numpy(), dtype="<f4"))
        np.save(os.path.join(d, entry["z"]), np.ascontiguousarray(z.numpy(), dtype="<f4"))
        blocks.append(entry)
    with open(os.path.join(d, "weights.safetensors"), "wb") as f:
        f.write(st)
    return {"name": name, "family": spec["family"], "source": spec["source"], "keys": [k for k, _ in items], "blocks": blocks}


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    specs = fixture_specs()
    names = [s["name"] for s in specs] + [s["name"] for s in family_specs()]
    assert len(set(names)) == len(names)
    os.makedirs(ROOT, exist_ok=True)
    for old in os.listdir(ROOT):  # drop fixtures no longer generated
        if os.path.isdir(os.path.join(ROOT, old)) and old not in names:
            shutil.rmtree(os.path.join(ROOT, old))
    entries = [make_fixture(s) for s in specs]
    families = [make_family_fixture(s) for s in family_specs()]
    items = ",\n  ".join(json.dumps(e, allow_nan=False) for e in entries)
    family_items = ",\n  ".join(json.dumps(e, allow_nan=False) for e in families)
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        f.write('{\n "generator": "tools/make-torch-fixtures.py",\n'
                f' "torch": {json.dumps(torch.__version__)},\n "numpy": {json.dumps(np.__version__)},\n'
                ' "tolerance_max_abs": 1e-4,\n'
                f' "fixtures": [\n  {items}\n ],\n "families": [\n  {family_items}\n ]\n}}\n')
    for e in entries:
        ch = e["checks"]
        print(f"{e['name']:45s} x{e['x_shape']} Ci={e['inter_channels']} max|z-x|={ch['max_abs_z_minus_x']:.3f} "
              f"attn={ch['attention_effect']:.3f} f64err={ch['float64_error']:.1g} "
              + " ".join(f"{k[6:]}={v:.3f}" for k, v in ch.items() if k.startswith("wrong_")))
    for fam in families:
        for b in fam["blocks"]:
            print(f"{fam['name']:32s} {b['prefix']:38s} {b['mode']:17s} Ci={b['inter_channels']} f64err={b['checks']['float64_error']:.1g} "
                  f"mmcv-defaults-off-by={b['checks'].get('wrong_mmcv_defaults', 0):.3f}")
    print(f"{len(entries)} fixtures and {len(families)} model-family fixtures written to {ROOT}")


if __name__ == "__main__":
    main()
