"""A vectorised PyTorch ensemble for the trainbench peer comparison: S seeds as one model.

The fastest way a PyTorch user trains S seeds of one small network on a CPU: the S copies'
parameters and BatchNorm buffers stacked with `torch.func.stack_module_state`, the forward
pass `vmap`-ed over them with `functional_call` (BatchNorm in training mode: per-copy batch
statistics and running statistics), each copy on its own batches (one `torch.randperm` per
copy and epoch, gathered at once), the loss summed over copies so one backward gives each
copy its own gradient, one `torch.optim.Adam` (eps 1e-8) over the stacked parameters (Adam
is element-wise, so that is S independent Adams), CosineAnnealingLR(T_max=epochs,
eta_min=1e-6) stepped per epoch. Loss and accuracy accumulate as tensors and are read once
per epoch; a final batch of one row is skipped, as in the other loops. Only the training
part of each epoch is timed.

    python vmap_loop.py --data data.csv --model jsc-tiny --batch-size 256 --epochs 3 --seeds 10

The result line's `train_seconds_per_epoch` is the whole ensemble's epoch (all S copies).
"""

import copy
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

import common
import models


def main() -> None:
    args = common.parse_args(
        __doc__.splitlines()[0],
        extra=lambda p: p.add_argument("--seeds", type=int, default=10, help="copies S"),
    )
    torch.set_num_threads(args.threads)
    splits = common.load_splits(args.data)
    x, y = splits["train"]
    xv, yv = splits["val"]
    n, bs, s = len(y), args.batch_size, args.seeds
    copies = []
    for k in range(s):
        torch.manual_seed(args.seed + k)
        copies.append(models.build(args.model))
    params, buffers = stack_module_state(copies)
    base = copy.deepcopy(copies[0]).to("meta")

    def one(p, b, xb):
        return functional_call(base, (p, b), (xb,))

    # Buffers (BatchNorm running statistics) are updated in place, per copy.
    forward = vmap(one, in_dims=(0, 0, 0))
    opt = torch.optim.Adam(params.values(), lr=args.lr, eps=1e-8)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=1e-6)
    seconds = []
    for _ in range(args.epochs):
        base.train()
        start = time.perf_counter()
        perm = torch.stack([torch.randperm(n) for _ in range(s)])
        loss_sum = torch.zeros(s)
        correct = torch.zeros(s, dtype=torch.long)
        seen = 0
        for i in range(0, n, bs):
            idx = perm[:, i : i + bs]
            b = idx.shape[1]
            if b < 2:
                continue
            xb, yb = x[idx], y[idx]
            logits = forward(params, buffers, xb)
            per_copy = F.cross_entropy(
                logits.reshape(s * b, -1), yb.reshape(s * b), reduction="none"
            ).reshape(s, b).mean(1)
            opt.zero_grad(set_to_none=True)
            per_copy.sum().backward()
            opt.step()
            loss_sum += per_copy.detach() * b
            correct += (logits.detach().argmax(2) == yb).sum(1)
            seen += b
        train_loss = (loss_sum / seen).mean().item()
        train_acc = (correct.float() / seen).mean().item()
        seconds.append(time.perf_counter() - start)
        sched.step()
    base.eval()
    with torch.no_grad():
        logits = vmap(lambda p, b: functional_call(base, (p, b), (xv,)))(params, buffers)
        val_acc = (logits.argmax(2) == yv).float().mean().item()
    common.emit(
        "pytorch-vmap",
        args,
        n,
        seconds,
        seeds=s,
        train_loss=train_loss,
        train_acc=train_acc,
        val_acc=val_acc,
    )


if __name__ == "__main__":
    main()
