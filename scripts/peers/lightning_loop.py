"""A MASE-style PyTorch Lightning loop for the trainbench peer comparison.

Shaped like MASE's `WrapperBase` LightningModule and `ch train`: a DataLoader over a
TensorDataset (shuffled, `--workers` processes, 0 by default on a 2-core machine),
CrossEntropyLoss, torchmetrics multiclass accuracy logged every step (`self.log`, progress
bar), validation every epoch, Adam (eps 1e-8) with CosineAnnealingLR(T_max=epochs,
eta_min=1e-6) stepped per epoch, a ModelCheckpoint on the validation loss and a CSV logger.
Only the training part of each epoch is timed (from the epoch start to the start of its
validation); `--no-progress-bar` shows what the bar costs.

    python lightning_loop.py --data data.csv --model jsc-tiny --batch-size 256 --epochs 3
"""

import tempfile
import time

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics import Accuracy, MeanMetric

import common
import models


class Wrapper(pl.LightningModule):
    """MASE's wrapper, reduced to what the JSC classification path uses."""

    def __init__(self, model: torch.nn.Module, lr: float, epochs: int):
        super().__init__()
        self.model, self.lr, self.epochs = model, lr, epochs
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.acc_train = Accuracy("multiclass", num_classes=5)
        self.acc_val = Accuracy("multiclass", num_classes=5)
        self.loss_val = MeanMetric()

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        loss = self.loss_fn(y_hat, y)
        self.acc_train(y_hat, y)
        self.log("train_acc_step", self.acc_train, prog_bar=True)
        self.log("train_loss_step", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        self.acc_val(y_hat, y)
        self.loss_val(self.loss_fn(y_hat, y))

    def on_validation_epoch_end(self):
        self.log("val_acc_epoch", self.acc_val, prog_bar=True)
        self.log("val_loss_epoch", self.loss_val, prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.lr, eps=1e-8)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs, eta_min=1e-6)
        return {"optimizer": opt, "lr_scheduler": sched}


class EpochTimer(pl.Callback):
    """Seconds from each training epoch's start to the start of its validation."""

    def __init__(self):
        self.seconds, self.start = [], None

    def on_train_epoch_start(self, trainer, module):
        self.start = time.perf_counter()

    def on_validation_start(self, trainer, module):
        if self.start is not None:  # not the sanity check before training
            self.seconds.append(time.perf_counter() - self.start)
            self.start = None


def main() -> None:
    def extra(p):
        p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
        p.add_argument("--no-progress-bar", action="store_true")

    args = common.parse_args(__doc__.splitlines()[0], extra)
    torch.set_num_threads(args.threads)
    pl.seed_everything(args.seed, verbose=False)
    splits = common.load_splits(args.data)
    x, y = splits["train"]
    xv, yv = splits["val"]
    train = DataLoader(
        TensorDataset(x, y), batch_size=args.batch_size, shuffle=True, num_workers=args.workers
    )
    val = DataLoader(TensorDataset(xv, yv), batch_size=args.batch_size, num_workers=args.workers)
    module = Wrapper(models.build(args.model), args.lr, args.epochs)
    timer = EpochTimer()
    with tempfile.TemporaryDirectory() as out:
        trainer = pl.Trainer(
            max_epochs=args.epochs,
            accelerator="cpu",
            devices=1,
            callbacks=[
                timer,
                pl.callbacks.ModelCheckpoint(
                    dirpath=f"{out}/checkpoints", monitor="val_loss_epoch", mode="min", save_top_k=1
                ),
            ],
            logger=pl.loggers.CSVLogger(f"{out}/logs"),
            enable_progress_bar=not args.no_progress_bar,
            enable_model_summary=False,
        )
        trainer.fit(module, train, val)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    common.emit(
        "lightning-no-bar" if args.no_progress_bar else "lightning",
        args,
        len(y),
        timer.seconds,
        val_acc=metrics.get("val_acc_epoch"),
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
