"""A plain PyTorch training loop for the trainbench peer comparison.

The loop a careful PyTorch user writes: the training split as two tensors, one
`torch.randperm` per epoch, batches by index, Adam (PyTorch defaults, eps 1e-8),
CrossEntropyLoss, CosineAnnealingLR(T_max=epochs, eta_min=1e-6) stepped per epoch, loss and
accuracy accumulated as tensors and read once per epoch. Like trainbench, a final batch of
one row is skipped (BatchNorm1d raises on it). Only the training part of each epoch is
timed; validation runs after it, untimed.

    python pytorch_loop.py --data data.csv --model jsc-tiny --batch-size 256 --epochs 3
"""

import time

import torch
import torch.nn.functional as F

import common
import models


def main() -> None:
    args = common.parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    splits = common.load_splits(args.data)
    x, y = splits["train"]
    xv, yv = splits["val"]
    n, bs = len(y), args.batch_size
    model = models.build(args.model)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-8)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=1e-6)
    seconds = []
    for _ in range(args.epochs):
        model.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        seen = 0
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            if len(idx) < 2:
                continue
            xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * len(idx)
            correct += (logits.detach().argmax(1) == yb).sum()
            seen += len(idx)
        train_loss, train_acc = loss_sum.item() / seen, correct.item() / seen
        seconds.append(time.perf_counter() - start)
        sched.step()
    model.eval()
    with torch.no_grad():
        val_acc = (model(xv).argmax(1) == yv).float().mean().item()
    common.emit(
        "pytorch", args, n, seconds, train_loss=train_loss, train_acc=train_acc, val_acc=val_acc
    )


if __name__ == "__main__":
    main()
