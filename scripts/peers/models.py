"""The trainbench model zoo as PyTorch modules (same layer lists as src/model.rs).

Used by the peer loops in this folder; `python models.py` prints each model's parameter
count, which must match `trainbench models`.
"""

import torch.nn as nn

# Hidden widths after the input BatchNorm(16) + ReLU; every model ends Linear(→5), BN(5),
# ReLU as MASE's do, except where noted.
SPECS = {
    # name: list of (kind, size) after BN(16), ReLU
    "jsc-tiny": [("linear", 5), ("bn", None), ("relu", None)],
    "jsc-tiny-v2": [("linear", 5), ("relu", None)],
    "jsc-toy": [
        ("linear", 8), ("bn", None), ("relu", None),
        ("linear", 8), ("bn", None), ("relu", None),
        ("linear", 5), ("bn", None), ("relu", None),
    ],
    "jsc-s": [
        ("linear", 64), ("bn", None), ("relu", None),
        ("linear", 32), ("relu", None),
        ("linear", 32), ("relu", None),
        ("linear", 32), ("relu", None),
        ("linear", 5), ("bn", None), ("relu", None),
    ],
    "jsc-tiny-10x": [
        ("linear", 32), ("bn", None), ("relu", None),
        ("linear", 16), ("bn", None), ("relu", None),
        ("linear", 5), ("bn", None), ("relu", None),
    ],
    "jsc-toy-10x": [
        ("linear", 50), ("bn", None), ("relu", None),
        ("linear", 40), ("bn", None), ("relu", None),
        ("linear", 5), ("bn", None), ("relu", None),
    ],
}


def build(name: str, inputs: int = 16) -> nn.Sequential:
    """The named model: BatchNorm1d(16), ReLU, then the layers of SPECS[name]."""
    if name not in SPECS:
        raise SystemExit(f"unknown model {name!r}; known: {', '.join(SPECS)}")
    layers = [nn.BatchNorm1d(inputs), nn.ReLU()]
    width = inputs
    for kind, size in SPECS[name]:
        if kind == "linear":
            layers.append(nn.Linear(width, size))
            width = size
        elif kind == "bn":
            layers.append(nn.BatchNorm1d(width))
        else:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for name in SPECS:
        print(f"{name:14} {param_count(build(name)):6}")
