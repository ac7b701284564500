#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets (fuzz/), from the corrupted-input corpus of corpus.py.

  fuzz_seeds.py OUTDIR

Writes OUTDIR/<target>/<name> for fuzz_project (the corpus's project files), fuzz_overrides (its
--set assignments, in the target's format: the --experiment filter line, then one assignment a
line), fuzz_idx and fuzz_cifar (its IDX and CIFAR files behind the targets' selector byte) and
fuzz_model_record (architecture records of every zoo model, with pruned channels, learned-threshold
gates and saturating-weight scales, plus the corpus's hostile values placed in them). Regression
inputs of earlier findings live in fuzz/regressions/<target>/ and are copied in as well.
"""
import hashlib
import json
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

IDX_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def write(outdir, target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def plain(content):
    return isinstance(content, (str, bytes))


def project_seeds(outdir, rng):
    for case in corpus.project_cases(rng):
        if plain(case.files.get("p.json")):
            write(outdir, "fuzz_project", case.files["p.json"])
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "resources", "default_project.json"), "rb") as f:
        write(outdir, "fuzz_project", f.read())


def override_seeds(outdir):
    for case in corpus.override_cases():
        args = case.args
        sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
        if sets:
            write(outdir, "fuzz_overrides", "\n" + "\n".join(sets))
            write(outdir, "fuzz_overrides", "a\n" + "\n".join(sets))
    write(outdir, "fuzz_overrides", "b\nexperiments[0].name=5\ncampaign.trials=3")


def idx_seeds(outdir, rng):
    for case in corpus.idx_cases(rng):
        for name, content in case.files.items():
            if not name.startswith("data/") or not plain(content):
                continue
            base = name[len("data/"):]
            gz = base.endswith(".gz")
            stem = base[:-3] if gz else base
            if stem in IDX_NAMES:
                write(outdir, "fuzz_idx", bytes([IDX_NAMES.index(stem) | (4 if gz else 0)]) + content)


def cifar_seeds(outdir, rng):
    for case in corpus.cifar_cases(rng):
        content = case.files.get("data/data_batch_1.bin")
        if plain(content):
            write(outdir, "fuzz_cifar", bytes([0]) + content)  # CIFAR-10, data_batch_1.bin
            write(outdir, "fuzz_cifar", bytes([1 | 2]) + content)  # CIFAR-100, test.bin
    write(outdir, "fuzz_cifar", bytes([1]) + bytes([3, 7]) + bytes(3072))  # one good CIFAR-100 record


def record_seeds(outdir, rng):
    shapes = {"mlp": [1, 8, 8], "lenet5": [1, 28, 28], "cnv": [3, 32, 32], "vgg11": [3, 32, 32],
              "resnet20": [3, 32, 32], "alexnet": [3, 32, 32], "resnet18": [3, 32, 32], "vgg16": [3, 32, 32]}
    records = []
    for name, shape in shapes.items():
        for bits in [("float", "float"), (1, 2), (2, 4)]:
            records.append({"format": "faultscape-model-1",
                            "model": {"name": name, "weight_bits": bits[0], "act_bits": bits[1], "width": 0.25,
                                      "act_clip": 1.0, "learnable_clip": False, "file": ""},
                            "input_shape": shape, "num_classes": 10})
    lenet = {"format": "faultscape-model-1", "model": {"name": "lenet5"}, "input_shape": [1, 28, 28], "num_classes": 10}
    records.append(dict(lenet, channels={"conv0": 4, "conv1": 10, "fc0": 60}))
    records.append(dict(lenet, threshold_act=[{"stage": "conv0", "channels": 6}, {"stage": "fc0", "channels": 120}]))
    records.append(dict(lenet, saturation={"conv0": {"function": "tanh", "s": 0.4}, "fc2": {"function": "atan", "s": 1.1}}))
    for r in records:
        write(outdir, "fuzz_model_record", json.dumps(r))
    # The corpus's hostile values at every field of one full record.
    full = dict(lenet, channels={"conv0": 4}, threshold_act=[{"stage": "conv0", "channels": 6}],
                saturation={"conv0": {"function": "tanh", "s": 0.4}})
    for path, _ in corpus.paths(full):
        if not path:
            continue
        for value in corpus.HOSTILE_VALUES[::3]:
            doc = json.loads(json.dumps(full))
            corpus.set_path(doc, path, value)
            write(outdir, "fuzz_model_record", json.dumps(doc))
    for raw in corpus.RAW_VALUES:
        write(outdir, "fuzz_model_record", json.dumps(lenet).replace('"lenet5"', raw[:2000]))


def main():
    outdir = sys.argv[1]
    rng = random.Random(16)
    shutil.rmtree(outdir, ignore_errors=True)
    project_seeds(outdir, rng)
    override_seeds(outdir)
    idx_seeds(outdir, rng)
    cifar_seeds(outdir, rng)
    record_seeds(outdir, rng)
    regressions = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "regressions")
    if os.path.isdir(regressions):
        for target in os.listdir(regressions):
            for name in os.listdir(os.path.join(regressions, target)):
                with open(os.path.join(regressions, target, name), "rb") as f:
                    write(outdir, target, f.read())
    for target in sorted(os.listdir(outdir)):
        print(f"{target}: {len(os.listdir(os.path.join(outdir, target)))} seeds")


if __name__ == "__main__":
    main()
