"""Minimal safetensors reader/writer (numpy only).

Written by hand instead of importing the `safetensors` package so the reference has no
dependency beyond Debian's python3-numpy/python3-torch, and so the decoding of half-precision
weights is visibly exact: F16 through numpy's float16, BF16 by placing the 16 stored bits in the
top half of a float32 (bf16 *is* the top half of an IEEE float32, so this widening is exact).

Format: 8-byte little-endian header length N, N bytes of JSON ({name: {dtype, shape,
data_offsets}} plus optional "__metadata__"), then the raw little-endian tensor bytes, with
offsets relative to the start of that data section.
"""

import json
import os
import struct

import numpy as np

_NUMPY_DTYPES = {
    'F64': np.dtype('<f8'),
    'F32': np.dtype('<f4'),
    'F16': np.dtype('<f2'),
    'I64': np.dtype('<i8'),
    'I32': np.dtype('<i4'),
    'I16': np.dtype('<i2'),
    'I8': np.dtype('i1'),
    'U8': np.dtype('u1'),
    'BOOL': np.dtype('?'),
}


def read_header(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n).decode('utf8'))
    return header, 8 + n


def read_file(path, decode=True):
    """{name: array} for one .safetensors file.

    decode=True widens floating tensors to float64 exactly (F16, BF16, F32 all fit in float64
    without rounding); decode=False returns them as stored (BF16 as its raw uint16 bits) with the
    dtype string alongside, for tools that rewrite files.
    """
    header, start = read_header(path)
    with open(path, 'rb') as f:
        f.seek(start)
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        b, e = entry['data_offsets']
        raw = data[b:e]
        shape = tuple(entry['shape'])
        dtype = entry['dtype']
        if dtype == 'BF16':
            bits = np.frombuffer(raw, dtype='<u2').reshape(shape)
            arr = bits if not decode else (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        elif dtype in _NUMPY_DTYPES:
            arr = np.frombuffer(raw, dtype=_NUMPY_DTYPES[dtype]).reshape(shape)
            if decode and dtype in ('F16', 'F32', 'F64'):
                arr = arr.astype(np.float64)
        else:
            raise ValueError(f'{path}: tensor {name}: dtype {dtype} not handled')
        out[name] = arr if decode else (dtype, arr)
    return out


def read_checkpoint(folder):
    """All tensors of a HF checkpoint folder: model.safetensors, or the shards a
    model.safetensors.index.json names (each shard read once)."""
    index = os.path.join(folder, 'model.safetensors.index.json')
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)['weight_map']
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            tensors.update(read_file(os.path.join(folder, shard)))
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError(f'{folder}: index names tensors no shard holds: {sorted(missing)[:5]}')
        return tensors
    return read_file(os.path.join(folder, 'model.safetensors'))


def bf16_bits(x):
    """Round float32/float64 values to bfloat16 (round-to-nearest-even), as raw uint16 bits."""
    f = np.ascontiguousarray(x, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def write_file(path, tensors, metadata=None):
    """Write {name: (dtype_string, array)} (arrays already in that dtype; BF16 as uint16 bits) in
    the given order. The header is padded with spaces to a multiple of 8 bytes, as the format
    allows, so every tensor starts aligned."""
    header = {}
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, (dtype, arr) in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_f32(path, tensors, metadata=None):
    """Write {name: array} as float32."""
    write_file(path, {k: ('F32', np.asarray(v, dtype=np.float32)) for k, v in tensors.items()}, metadata)
