#!/usr/bin/env python3
"""Regenerates test/fixtures/io/: reference .npy files written by real numpy and .safetensors files
written by the reference safetensors implementation, plus manifest.json describing them.

The TypeScript tests compare our readers against these files and our writers byte for byte
against them, so they must come from the real libraries, not from our own code.

Needs numpy (apt-get install python3-numpy, or pip) and, for the .safetensors files, the
`safetensors` Python package. Run from the repository root:

    python3 tools/make-io-fixtures.py
"""
import json
import os
import sys

import numpy as np

try:
    import safetensors.numpy as st
except ImportError:  # the .npy fixtures can still be regenerated
    st = None

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "io")
NPY_DIR = os.path.join(ROOT, "npy")
ST_DIR = os.path.join(ROOT, "safetensors")

# Values that exercise the float32 range: max finite, smallest subnormal, negative zero.
F4_2X3 = np.array([[0.0, 1.5, -2.25], [3.4028234663852886e38, 1.401298464324817e-45, -0.0]], dtype="<f4")
# float64 values that are not exact in float32, one that overflows it, one that underflows it.
F8_2X3 = np.array([[0.1, -1.0 / 3.0, 1e39], [2.0**-160, 123456789.123, -7.5]], dtype="<f8")


def num(x):
    """A JSON-safe number: non-finite values become the strings "inf", "-inf", "nan"."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def ramp(shape, dtype="<f4"):
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.float64) - n / 3.0) * 0.375).astype(dtype).reshape(shape)


def save_npy(name, arr, version=None, manifest=None, note=""):
    path = os.path.join(NPY_DIR, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version)
    entry = {
        "file": name,
        "descr": np.lib.format.dtype_to_descr(arr.dtype) if arr.dtype.names is None else "structured",
        "shape": list(arr.shape),
        "fortran_order": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
        "version": list(version) if version else [1, 0],
        "note": note,
    }
    if arr.dtype.kind == "f" and arr.size > 0:
        # float64 of every value in C order (exact for f2/f4/f8), for the readers to compare.
        entry["values"] = [num(v) for v in np.ascontiguousarray(arr).astype(np.float64).ravel()]
    manifest.append(entry)


def npy_fixtures():
    os.makedirs(NPY_DIR, exist_ok=True)
    m = []
    save_npy("f4_2x3.npy", F4_2X3, None, m, "np.save default (v1.0)")
    save_npy("f4_2x3_v2.npy", F4_2X3, (2, 0), m, "format 2.0: u32 header length")
    save_npy("f4_2x3_v3.npy", F4_2X3, (3, 0), m, "format 3.0: u32 header length, utf-8 header")
    save_npy("f8_2x3.npy", F8_2X3, None, m, "'<f8', narrowed to float32 on read")
    save_npy("f4_scalar.npy", np.array(3.5, dtype="<f4"), None, m, "0-d array, shape ()")
    save_npy("f4_vec5.npy", ramp((5,)), None, m, "1-d, shape (5,)")
    save_npy("f4_2x3x4.npy", ramp((2, 3, 4)), None, m, "3-d")
    save_npy("f4_12x1.npy", ramp((12, 1)), None, m, "two-digit first axis (growth padding)")
    save_npy("f4_1234.npy", ramp((1234,)), None, m, "four-digit first axis, multi-block data")
    save_npy("f4_fortran.npy", np.asfortranarray(F4_2X3), None, m, "fortran_order True")
    save_npy("f4_be.npy", F4_2X3.astype(">f4"), None, m, "big-endian '>f4'")
    save_npy("f8_be.npy", F8_2X3.astype(">f8"), None, m, "big-endian '>f8'")
    save_npy("i8_2x3.npy", np.arange(6, dtype="<i8").reshape(2, 3), None, m, "int64")
    save_npy("f2_4.npy", np.array([1, 2, 3, 4], dtype="<f2"), None, m, "float16 (unsupported in .npy)")
    save_npy("f4_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"), None, m, "zero-size")
    save_npy("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<f4")]), None, m, "structured dtype")
    return m


# float16 bit patterns: zeros, subnormals (min, max), normals (min, 1, 1/3, max), inf, quiet NaN.
HALF_BITS = [
    0x0000, 0x8000, 0x0001, 0x8001, 0x0002, 0x0155, 0x03FF, 0x83FF, 0x0400, 0x8400,
    0x3555, 0x3BFF, 0x3C00, 0x3C01, 0xBC00, 0x4000, 0xC000, 0x5640, 0x7BFF, 0xFBFF,
    0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7E01,  # ±inf, quiet NaNs (one with a payload)
]


def st_fixtures():
    os.makedirs(ST_DIR, exist_ok=True)
    m = []

    def save(name, tensors, metadata=None, note=""):
        data = st.save(tensors, metadata=metadata)
        with open(os.path.join(ST_DIR, name), "wb") as f:
            f.write(data)
        m.append({
            "file": name,
            "note": note,
            "metadata": metadata or {},
            "tensors": {
                k: {
                    "dtype": str(v.dtype),
                    "shape": list(v.shape),
                    "values": [num(x) for x in v.astype(np.float64).ravel()] if v.dtype.kind == "f" else None,
                }
                for k, v in tensors.items()
            },
        })

    f32 = {"b": F4_2X3, "a": ramp((5,)), "scalar": np.array(3.5, dtype="<f4"), "a.b": ramp((2, 2, 2))}
    save("f32_meta.safetensors", f32, {"format": "pt"}, "F32 only, with metadata: our writer must match byte for byte")
    save("f32_nometa.safetensors", f32, None, "F32 only, no metadata")
    save(
        "state_dict.safetensors",
        {
            "bn.weight": ramp((4,)),
            "bn.running_mean": ramp((4,)),
            "bn.num_batches_tracked": np.array(7, dtype="<i8"),
            "conv.weight": ramp((2, 3), "<f2"),
            "fc.weight": F8_2X3.ravel().copy(),
            "empty": np.zeros((0, 3), dtype="<f4"),
        },
        {"format": "pt"},
        "PyTorch-like: an I64 counter, F16 and F64 weights, a zero-size tensor",
    )
    # UTF-8 byte order differs from UTF-16 order here (U+FF5A sorts before U+1F600 only in UTF-8),
    # and the quote, backslash and control characters exercise JSON escaping.
    save(
        "names.safetensors",
        {"\uff5a": ramp((1,)), "\U0001F600": ramp((2,)), "a": ramp((1,)), 'q"b\\s\n\x01': ramp((3,)), "Z": ramp((1,))},
        {"k": "v\u00e9\n"},
        "names that sort differently in UTF-8 and UTF-16, and need JSON escapes",
    )
    half = np.array(HALF_BITS, dtype="<u2").view("<f2")
    save(
        "f16_table.safetensors",
        {"half": half, "expected": half.astype("<f4")},
        None,
        "F16 patterns and numpy's float32 conversion of them",
    )
    return m


def main():
    manifest_path = os.path.join(ROOT, "manifest.json")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
    manifest = {"numpy": np.__version__, "npy": npy_fixtures()}
    if st is not None:
        import safetensors

        manifest["safetensors_version"] = safetensors.__version__
        manifest["safetensors"] = st_fixtures()
    else:
        print("safetensors is not installed: .safetensors fixtures left as they are", file=sys.stderr)
        for key in ("safetensors_version", "safetensors"):
            if key in old:
                manifest[key] = old[key]
    # One fixture per line keeps diffs readable without spreading value lists over thousands of lines.
    lines = []
    for key, value in manifest.items():
        if isinstance(value, list):
            items = ",\n  ".join(json.dumps(v, allow_nan=False) for v in value)
            lines.append(f"{json.dumps(key)}: [\n  {items}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    with open(manifest_path, "w") as f:
        f.write("{\n " + ",\n ".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
