"""Loads a normkit train checkpoint into PyTorch, as the README's snippet does,
without the safetensors package (a safetensors file is an 8-byte header
length, a JSON header, raw little-endian data): builds the model from the
spec in the file's metadata, load_state_dict(strict=True), runs it on a raw
float32 input and prints the output as JSON.

    /usr/bin/python3 load_in_pytorch.py CHECKPOINT INPUT.f32 N C H W
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from gen_nets import spec_to_module  # noqa: E402

DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64}


def load_file(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    sd = {k: torch.frombuffer(bytearray(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]), dtype=DTYPES[v["dtype"]]).reshape(v["shape"]) for k, v in header.items()}
    return sd, meta


ckpt, inp = sys.argv[1], sys.argv[2]
shape = [int(v) for v in sys.argv[3:]]
sd, meta = load_file(ckpt)
spec = json.loads(meta["normkit_spec"])
model = spec_to_module(spec)
model.load_state_dict(sd, strict=True)
model.eval()
x = torch.frombuffer(bytearray(open(inp, "rb").read()), dtype=torch.float32).reshape(shape)
with torch.no_grad():
    y = model(x)
print(json.dumps({"shape": list(y.shape), "data": [float(v) for v in y.reshape(-1).tolist()]}))
