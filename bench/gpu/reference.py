#!/usr/bin/env python3
"""PyTorch's own speed on this machine's GPU, as the reference for Faultscape's GPU benchmark.

Run by bench/gpu/check.sh next to bench_campaign / bench_training --device cuda, on the same card:
  - a plain forward pass of the small CNN (conv 1-32-64-64, fc 576-128-10) at batch 10,000;
  - a naive channel stuck-at sweep the way pytorchfi injects (a forward hook that overwrites one
    output channel, a full forward pass per fault) on a sample of the 320 conv channels x {0, 1};
  - fp32 weight bit flips at BER 1e-5 by an in-place XOR on the weights, a full pass per trial;
  - training throughput of lenet5, cnv (float) and resnet20 written as Faultscape's zoo builds them
    (same layers, same batch sizes, Adam), timed to the end of each step (synchronised).
Inputs are random tensors of Fashion-MNIST's shape: speed does not depend on pixel values.
Prints a table and one JSON line (the last line)."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def cnv():
    def conv(i, o, pad=0):
        return [nn.Conv2d(i, o, 3, padding=pad, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    def fc(i, o, act=True):
        return [nn.Linear(i, o, bias=False), nn.BatchNorm1d(o)] + ([nn.ReLU()] if act else [])

    return nn.Sequential(*conv(1, 64, 2), *conv(64, 64), nn.MaxPool2d(2), *conv(64, 128), *conv(128, 128),
                         nn.MaxPool2d(2), *conv(128, 256), *conv(256, 256), nn.Flatten(), *fc(256, 512),
                         *fc(512, 512), *fc(512, 10, act=False))


class Block(nn.Module):
    def __init__(self, i, o, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o)
        self.shortcut = (nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
                         if stride != 1 or i != o else nn.Identity())

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def resnet20():
    layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    i = 16
    for s, w in enumerate([16, 32, 64]):
        for k in range(3):
            layers.append(Block(i, w, 2 if s > 0 and k == 0 else 1))
            i = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def squared_hinge(logits, y):
    t = torch.full_like(logits, -1.0).scatter_(1, y.unsqueeze(1), 1.0)
    return torch.clamp_min(1.0 - t * logits, 0.0).pow(2).mean()


def timed(fn, device):
    torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def accuracy(net, x, y, batch):
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    for off in range(0, x.shape[0], batch):
        correct += net(x[off:off + batch]).argmax(1).eq(y[off:off + batch]).sum()
    return correct.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--faults", type=int, default=64, help="stuck faults of the 640 to time (evenly spaced)")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    dev = torch.device("cuda")
    torch.manual_seed(1)
    out = {"bench": "pytorch_reference", "torch": torch.__version__, "gpu": torch.cuda.get_device_name(dev),
           "images": a.images, "batch": a.batch}
    x = torch.randn(a.images, 1, 28, 28, device=dev)
    y = torch.randint(0, 10, (a.images,), device=dev)
    net = cnn().to(dev).eval()
    with torch.inference_mode():
        accuracy(net, x, y, a.batch)  # warm-up (cuDNN algorithm choice)
        s = timed(lambda: [accuracy(net, x, y, a.batch) for _ in range(5)], dev)
        out["cnn_forward_images_per_second"] = 5 * a.images / s

        # pytorchfi-like: a hook overwrites one output channel of one conv; a full forward per fault.
        convs = [m for m in net if isinstance(m, nn.Conv2d)]
        faults = [(ci, c, v) for ci, m in enumerate(convs) for v in (0.0, 1.0) for c in range(m.out_channels)]
        pick = [faults[i * len(faults) // a.faults] for i in range(a.faults)]

        def stuck_sweep():
            for ci, c, v in pick:
                def hook(_m, _i, o, c=c, v=v):
                    o[:, c] = v
                h = convs[ci].register_forward_hook(hook)
                accuracy(net, x, y, a.batch)
                h.remove()
        s = timed(stuck_sweep, dev)
        out["stuck_hook_faulty_inferences_per_second"] = len(pick) * a.images / s

        # fp32 weight bit flips by in-place XOR, undone after the pass.
        params = [p for p in net.parameters()]
        total = sum(p.numel() for p in params)
        gen = torch.Generator().manual_seed(7)

        def ber_sweep():
            for _ in range(a.trials):
                flips = int(torch.distributions.Binomial(total * 32, torch.tensor(1e-5)).sample().item())
                sites = []
                for _k in range(flips):
                    u = int(torch.randint(0, total * 32, (1,), generator=gen))
                    w, bit = divmod(u, 32)
                    for p in params:
                        if w < p.numel():
                            sites.append((p, w, bit))
                            break
                        w -= p.numel()
                for p, w, bit in sites:
                    p.data.view(-1).view(torch.int32)[w] ^= (1 << bit) if bit < 31 else -(1 << 31)
                accuracy(net, x, y, a.batch)
                for p, w, bit in reversed(sites):
                    p.data.view(-1).view(torch.int32)[w] ^= (1 << bit) if bit < 31 else -(1 << 31)
        s = timed(ber_sweep, dev)
        out["ber_xor_faulty_inferences_per_second"] = a.trials * a.images / s

    # Training throughput, the trainer's loop in PyTorch: zero_grad, forward, loss, backward, step.
    training = {}
    for name, make, batch, loss_fn in [("lenet5", lenet5, 64, F.cross_entropy), ("cnv-float", cnv, 100, squared_hinge),
                                       ("resnet20", resnet20, 128, F.cross_entropy)]:
        torch.manual_seed(1)
        model = make().to(dev).train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        xs = torch.randn((a.warmup + a.steps) * batch, 1, 28, 28, device=dev)
        ys = torch.randint(0, 10, ((a.warmup + a.steps) * batch,), device=dev)

        def step(k):
            opt.zero_grad()
            loss = loss_fn(model(xs[k * batch:(k + 1) * batch]), ys[k * batch:(k + 1) * batch])
            loss.backward()
            opt.step()
        for k in range(a.warmup):
            step(k)
        s = timed(lambda: [step(a.warmup + k) for k in range(a.steps)], dev)
        training[name] = {"batch": batch, "images_per_second": a.steps * batch / s}
    out["training"] = training
    out["max_memory_allocated_mib"] = torch.cuda.max_memory_allocated(dev) >> 20

    print(f"PyTorch {torch.__version__} on {out['gpu']}")
    print(f"  cnn forward                 {out['cnn_forward_images_per_second'] / 1e6:8.2f} M images/s")
    print(f"  stuck sweep, forward hook   {out['stuck_hook_faulty_inferences_per_second'] / 1e6:8.2f} M faulty inf/s")
    print(f"  fp32 BER 1e-5, in-place XOR {out['ber_xor_faulty_inferences_per_second'] / 1e6:8.2f} M faulty inf/s")
    for name, t in training.items():
        print(f"  training {name:18s} {t['images_per_second']:10.0f} images/s (batch {t['batch']})")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
