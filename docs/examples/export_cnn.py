"""Train a small CNN on Fashion-MNIST with PyTorch and export it for Faultscape.

    python3 docs/examples/export_cnn.py [--epochs 1] [--out cnn.pt] [--trace]

The network is the one of the README's "Bring your own model" section: conv(1->32,3)-ReLU-maxpool,
conv(32->64,3)-ReLU-maxpool, conv(64->64,3)-ReLU, flatten, fc(576->128)-ReLU-fc(128->10). Inputs are
pixels in [0, 1] (no normalisation), so the project sets "dataset": {"normalize": false}.
"""
import argparse
import gzip

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--out", default="cnn.pt")
    ap.add_argument("--trace", action="store_true", help="torch.jit.trace instead of torch.jit.script")
    ap.add_argument("--data", default=DATA)
    args = ap.parse_args()
    torch.manual_seed(0)
    x = torch.tensor(idx(f"{args.data}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)).float() / 255
    y = torch.tensor(idx(f"{args.data}/train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
                        nn.Linear(576, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(args.epochs):
        for i in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            opt.step()
    net.eval()
    exported = torch.jit.trace(net, x[:1]) if args.trace else torch.jit.script(net)
    exported.save(args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
