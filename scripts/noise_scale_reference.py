#!/usr/bin/env python3
"""Reference values for tests/noise_scale.rs: the per-example gradient sums of jsc-toy in
evaluation mode, from PyTorch's per-sample gradients (torch.func.vmap(grad(...))), computed
in float64 from the float32 parameters the Rust test builds.

    ~/.cache/trainbench/peers-venv/bin/python scripts/noise_scale_reference.py

The network state and the batch are given by formulas both sides evaluate (see the test):
parameter tensor k (PyTorch order), element j: 0.5·sin(1.3k + 0.37j + 0.1) + 0.2; BatchNorm layer m,
feature f: running mean 0.1·cos(0.7m + 0.5f), running variance 1 + 0.5·sin(0.3m + 0.9f)²;
example i, feature f: 2·sin(0.21·i·f + 0.3i + 0.05f); label i mod 5; 12 examples.
Prints Σ_i |g_i|² and |Σ_i g_i|² (g_i: the gradient of example i's cross-entropy).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "peers"))
import models  # noqa: E402

torch.set_default_dtype(torch.float64)
model = models.build("jsc-toy").double()
model.eval()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        vals = [np.float32(0.5 * math.sin(1.3 * k + 0.37 * j + 0.1) + 0.2) for j in range(p.numel())]
        p.copy_(torch.tensor(np.array(vals, dtype=np.float64)).reshape(p.shape))
    bns = [m for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    for m, bn in enumerate(bns):
        n = bn.num_features
        bn.running_mean.copy_(torch.tensor(
            [float(np.float32(0.1 * math.cos(0.7 * m + 0.5 * f))) for f in range(n)]))
        bn.running_var.copy_(torch.tensor(
            [float(np.float32(1 + 0.5 * math.sin(0.3 * m + 0.9 * f) ** 2)) for f in range(n)]))
N = 12
x = torch.tensor([[float(np.float32(2 * math.sin(0.21 * i * f + 0.3 * i + 0.05 * f)))
                   for f in range(16)] for i in range(N)])
y = torch.tensor([i % 5 for i in range(N)])
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def loss(p, xi, yi):
    out = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
    return F.cross_entropy(out, yi.unsqueeze(0))


per = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
flat = torch.cat([g.reshape(N, -1) for g in per.values()], dim=1)
sum_sq = (flat ** 2).sum().item()
total_sq = (flat.sum(0) ** 2).sum().item()
print(f"sum_sq = {sum_sq!r}")
print(f"total_sq = {total_sq!r}")
with torch.no_grad():
    out = model(x)
print(f"# positive logits: {(out > 0).sum().item()} of {out.numel()}")
