#!/usr/bin/env python3
"""Corrupted-input corpus for faultscape-cli (issue 16, acceptance 2).

Generates hostile and broken inputs -- project JSON mutations, --set overrides, IDX and CIFAR
files, model files, result databases -- runs faultscape-cli on each with a time limit and checks:
no crash (death by a signal), no hang (the limit), a last stderr line "error: ..." for every
rejected input, valid JSON on stdout's last line with --json, and a result database that was good
before a case is intact after it (integrity_check, and every run it held still there unchanged).

  corpus.py CLI WORKDIR [--sample N] [--jobs J] [--timeout S] [--seed K] [--only REGEX]

Without --sample every case runs (>= 1000, the bench target `bench_corpus`); with it, an evenly
spread sample of N cases (ctest). Exit status 0 when every case passed.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

BASE_EXPERIMENT = {
    "name": "exp",
    "dataset": {"name": "synthetic", "synthetic": {"train": 32, "test": 16, "shape": [1, 8, 8], "classes": 4}},
    "model": {"name": "mlp"},
    "training": {"epochs": 1, "batch_size": 16},
    "faults": {"kind": "bitflip", "target": "weights", "format": "fp32"},
    "campaign": {"kind": "ber_sweep", "bers": [1e-3], "trials": 2, "batch_size": 16},
}

HOSTILE_VALUES = [None, True, -1, 0, 2147483647, -2147483649, 18446744073709551616, 1.5, -0.0, "", "x" * 5000,
                  [], {}, [[[[[]]]]], "../..", "/etc/passwd", "\u0000", "int99999999999", 1e308, "nan", "inf",
                  {"scheme": 2000000000}, [1e-400], "float", 99999999999]
RAW_VALUES = ["1e400", "-1e400", "NaN", "Infinity", "[" * 100000 + "]" * 100000, '"\\ud800"', "\"\udcff\udcfe\"",
              "0x10", "01", "1.", '"a" "b"']


def base_project(out):
    return {"name": "corpus", "output_dir": out, "threads": 1, "seed": 1,
            "experiments": [json.loads(json.dumps(BASE_EXPERIMENT))]}


def paths(j, prefix=()):
    """Every (path, value) of a JSON document."""
    yield prefix, j
    if isinstance(j, dict):
        for k, v in j.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(j, list):
        for i, v in enumerate(j):
            yield from paths(v, prefix + (i,))


def set_path(doc, path, value):
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def del_path(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


class Case:
    def __init__(self, name, args, files=None, good_db=False, json_out=True):
        self.name, self.args, self.files, self.good_db, self.json_out = name, args, files or {}, good_db, json_out


def project_cases(rng):
    base = base_project("out")
    cases = []
    leaves = [p for p, _ in paths(base) if p]
    for i, path in enumerate(leaves):
        for j, value in enumerate(HOSTILE_VALUES):
            doc = json.loads(json.dumps(base))
            set_path(doc, path, value)
            cases.append(Case(f"value_{i}_{j}", ["run", "p.json", "-q", "--json"], {"p.json": json.dumps(doc)}))
        doc = json.loads(json.dumps(base))
        del_path(doc, path)
        cases.append(Case(f"delete_{i}", ["run", "p.json", "-q", "--json"], {"p.json": json.dumps(doc)}))
    # Raw text the JSON writer would never produce, placed at a few keys.
    for i, path in enumerate(leaves[::4]):
        for j, raw in enumerate(RAW_VALUES):
            doc = json.loads(json.dumps(base))
            set_path(doc, path, "@@RAW@@")
            text = json.dumps(doc).replace('"@@RAW@@"', raw)
            cases.append(Case(f"raw_{i}_{j}", ["run", "p.json", "-q", "--json"], {"p.json": text}))
    text = json.dumps(base, indent=1)
    for k in range(60):  # truncations and byte flips of the whole file
        cut = rng.randrange(len(text))
        cases.append(Case(f"cut_{k}", ["run", "p.json", "-q", "--json"], {"p.json": text[:cut]}))
        b = bytearray(text.encode())
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        cases.append(Case(f"flip_{k}", ["run", "p.json", "-q", "--json"], {"p.json": bytes(b)}))
    cases.append(Case("duplicate_key", ["run", "p.json", "-q"], {"p.json": '{"name": "a", "name": "b"}'}))
    return cases


def override_cases():
    cases = []
    keys = ["name", "threads", "seed", "output_dir", "experiments[0].name", "experiments[99999999999999999999].name",
            "training.epochs", "training.lr", "model.weight_bits", "model.width", "faults.format", "faults.kind",
            "campaign.trials", "campaign.bers", "protection", "dataset.synthetic.train", "dataset.synthetic.shape",
            "training.checkpoint", "a..b", "[0]", "experiments[", "load"]
    values = ['1', '-1', '2147483647', '99999999999', '1e400', 'null', '[]', '{}', '"x"', 'int99999999999',
             '[{"scheme": 2000000000}]', '[' * 50000 + ']' * 50000, '../..', 'out/corpus.sqlite', 'p.json']
    doc = json.dumps(base_project("out"))
    for i, k in enumerate(keys):
        for j, v in enumerate(values):
            cases.append(Case(f"set_{i}_{j}", ["run", "p.json", "-q", "--json", "--set", f"{k}={v}"], {"p.json": doc},
                              good_db=True))
    for flag, value in [("--weight-bits", "99999999999"), ("--act-bits", "4294967296"), ("--lr", "inf"),
                        ("--epochs", "99999999999"), ("--threads", "2147483647"), ("--batch-size", "-5"),
                        ("--width", "nan"), ("--save", "out/corpus.sqlite"), ("--name", "../../x")]:
        cases.append(Case(f"flag_{flag[2:]}", ["train", "--dataset", "synthetic", "--train-limit", "32",
                                              "--test-limit", "16", "-q", "--json", "-o", "out", flag, value]))
    return cases


def idx_bytes(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_cases(rng):
    cases = []
    good = {"train-images-idx3-ubyte": idx_bytes(0x803, [20, 28, 28], bytes(20 * 784)),
            "train-labels-idx1-ubyte": idx_bytes(0x801, [20], bytes(20)),
            "t10k-images-idx3-ubyte": idx_bytes(0x803, [5, 28, 28], bytes(5 * 784)),
            "t10k-labels-idx1-ubyte": idx_bytes(0x801, [5], bytes(5))}
    doc = base_project("out")
    doc["experiments"][0]["dataset"] = {"name": "fashion-mnist", "path": "data", "train_limit": 10}
    variants = []
    for target in good:
        data = good[target]
        variants += [(target, data[:k]) for k in (0, 3, 4, 8, 15, 16, 100, len(data) - 1)]
        variants += [(target, data + b"\x00"), (target, idx_bytes(0x803, [0xFFFFFFFF, 28, 28], b"")),
                     (target, idx_bytes(0x803, [4000000, 28, 28], b"\x00" * 100)),
                     (target, idx_bytes(0x801, [20], bytes([200] * 20))), (target, b"\x00\x00\x08\x03")]
        for k in range(8):
            b = bytearray(data)
            b[rng.randrange(min(len(b), 16))] = rng.randrange(256)
            variants.append((target, bytes(b)))
        # gzip lies: a small compressed file whose header promises gigabytes
        variants.append((target + ".gz", gzip.compress(idx_bytes(0x803, [6000000, 28, 28], bytes(100000)))))
        variants.append((target + ".gz", gzip.compress(data)[:-6]))
    for i, (name, data) in enumerate(variants):
        files = {f"data/{k}": v for k, v in good.items() if not name.startswith(k)}
        files[f"data/{name}"] = data
        files["p.json"] = json.dumps(doc)
        cases.append(Case(f"idx_{i}", ["run", "p.json", "-q", "--json"], files))
    return cases


def cifar_cases(rng):
    cases = []
    doc = base_project("out")
    doc["experiments"][0]["dataset"] = {"name": "cifar10", "path": "data", "train_limit": 10}
    record = 3073
    good = bytes(record * 3)
    for i, data in enumerate([b"", good[:-1], good + b"\x00", bytes([11]) + good[1:], b"\xff" * record * 2,
                              good[:record * 2 + 5]] + [bytes(rng.randrange(256) for _ in range(record))
                                                        for _ in range(4)]):
        files = {f"data/data_batch_{k}.bin": good for k in range(1, 6)}
        files["data/test_batch.bin"] = good
        files["data/data_batch_1.bin"] = data
        files["p.json"] = json.dumps(doc)
        cases.append(Case(f"cifar_{i}", ["run", "p.json", "-q", "--json"], files))
    cases.append(Case("cifar_sparse", ["run", "p.json", "-q", "--json"],
                      {**{f"data/data_batch_{k}.bin": good for k in range(2, 6)}, "data/test_batch.bin": good,
                       "data/data_batch_1.bin": ("sparse", record * 200000), "p.json": json.dumps(doc)}))
    return cases


def model_cases(rng, good_model):
    cases = []
    data = open(good_model, "rb").read()
    variants = [data[:k] for k in (0, 10, 100, len(data) // 2, len(data) - 1)]
    for _ in range(40):
        b = bytearray(data)
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        variants.append(bytes(b))
    variants.append(b"PK\x03\x04" + bytes(100))
    for i, v in enumerate(variants):
        for cmd in (["eval", "m.pt", "-q", "--json", "-o", "out"], ["info", "m.pt", "--json"]):
            cases.append(Case(f"model_{i}_{cmd[0]}", cmd, {"m.pt": v}))
        doc = base_project("out")
        doc["experiments"][0]["load"] = "m.pt"
        cases.append(Case(f"model_{i}_load", ["run", "p.json", "-q", "--json"], {"m.pt": v, "p.json": json.dumps(doc)},
                          good_db=True))
    return cases


def database_cases(rng, good_db):
    cases = []
    mutations = [
        "UPDATE runs SET config = '[1,2]'", "UPDATE runs SET summary = '{\"model_path\": 5}'",
        "UPDATE runs SET summary = '" + "[" * 60000 + "]" * 60000 + "'", "UPDATE runs SET status = 'running'",
        "UPDATE runs SET config = 'not json'", "UPDATE trials SET params = '\"x\"'", "UPDATE trials SET metrics = '7'",
        "UPDATE metrics SET detail = '{{'", "UPDATE runs SET kind = 'ber_sweep'", "DELETE FROM trials",
        "PRAGMA user_version = 99", "DROP TABLE trials", "UPDATE runs SET summary = '{\"points\": 3}'",
        "UPDATE runs SET seed = -1", "UPDATE runs SET owner_pid = 1", "UPDATE runs SET config = '{\"a\": 1, \"a\": 2}'",
    ]
    data = open(good_db, "rb").read()
    raw = [data[:k] for k in (0, 100, 4096, len(data) // 2)] + [bytes(rng.randrange(256) for _ in range(8192))]
    for i, m in enumerate(mutations):
        for cmd in (["export", "out/corpus.sqlite", "--out", "exported", "--json"],
                    ["plot", "out/corpus.sqlite", "--out", "figs", "--json"],
                    ["run", "p.json", "-q", "--json"]):
            cases.append(Case(f"db_{i}_{cmd[0]}", cmd, {"out/corpus.sqlite": ("db", m),
                                                         "p.json": json.dumps(base_project("out"))}))
    for i, r in enumerate(raw):
        for cmd in (["export", "out/corpus.sqlite", "--out", "exported"], ["run", "p.json", "-q"]):
            cases.append(Case(f"dbraw_{i}_{cmd[0]}", cmd, {"out/corpus.sqlite": r,
                                                            "p.json": json.dumps(base_project("out"))}))
    # Outputs aimed at the good database, the project file or an input: refused, nothing destroyed.
    for i, target in enumerate(["out/corpus.sqlite", "p.json", "./out/../out/corpus.sqlite", "out/corpus.sqlite-wal"]):
        cases.append(Case(f"out_{i}", ["run", "p.json", "-q", "--retrain", "--set", f"training.checkpoint={target}"],
                          {"p.json": json.dumps(base_project("out"))}, good_db=True))
    for path in ["/dev/zero", "/dev/urandom", "fifo"]:
        cases.append(Case(f"special_{path.strip('/').replace('/', '_')}", ["run", path, "-q", "--json"],
                          {"fifo": ("fifo",)} if path == "fifo" else {}))
    return cases


def write_case(case, d, good_db, good_model):
    os.makedirs(d, exist_ok=True)
    if case.good_db:
        os.makedirs(os.path.join(d, "out"), exist_ok=True)
        shutil.copy(good_db, os.path.join(d, "out", "corpus.sqlite"))
    for name, content in case.files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "fifo":
            os.mkfifo(path)
        elif isinstance(content, tuple) and content[0] == "sparse":
            with open(path, "wb") as f:
                f.truncate(content[1])
        elif isinstance(content, tuple) and content[0] == "db":
            shutil.copy(good_db, path)
            con = sqlite3.connect(path)
            try:
                con.executescript(content[1])
                con.commit()
            except sqlite3.Error:
                pass
            con.close()
        else:
            with open(path, "wb") as f:
                f.write(content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content)


def snapshot(db):
    """integrity + every run row (a good database must keep them)"""
    if not os.path.exists(db):
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        runs = con.execute("SELECT id, config, status, summary FROM runs ORDER BY id").fetchall()
        trials = con.execute("SELECT count(*) FROM trials").fetchone()[0]
    finally:
        con.close()
    return ok, runs, trials


def check(case, d, cli, timeout):
    before = snapshot(os.path.join(d, "out", "corpus.sqlite")) if case.good_db else None
    p = subprocess.Popen([cli] + case.args, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, OPENBLAS_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen"))
    stopped = False
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # A valid input may simply be a lot of work (the real Fashion-MNIST when the dataset key is
        # deleted, 2^31 epochs). That is not a hang if the process answers SIGTERM as a cancel.
        p.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            return f"hang: still running {timeout} s, and 30 s after SIGTERM"
        if p.returncode != 128 + signal.SIGTERM:
            return f"after SIGTERM at the {timeout} s limit: exit {p.returncode} instead of 143"
        stopped = True
    if p.returncode < 0:
        return f"crashed by signal {-p.returncode}"
    err = stderr.decode("utf-8", "replace").strip().splitlines()
    if p.returncode != 0 and not stopped:
        # The error is the last "error: " line, followed only by its indented problem lines.
        starts = [i for i, line in enumerate(err) if line.startswith("error: ")]
        if not starts or not all(line.startswith("  ") for line in err[starts[-1] + 1:]):
            return f"exit {p.returncode} without an error line: {err[-3:]}"
        if len(err[starts[-1]]) < 12:
            return f"uninformative error: {err[starts[-1]]}"
    if "--json" in case.args:
        out = stdout.decode("utf-8", "replace").strip().splitlines()
        try:
            if not out or not isinstance(json.loads(out[-1]), dict):
                return "no JSON object on stdout's last line"
        except ValueError:
            return f"invalid JSON on stdout: {out[-1][:200]!r}"
    if before is not None:
        after = snapshot(os.path.join(d, "out", "corpus.sqlite"))
        if after is None or after[0] != "ok":
            return f"good database damaged: {after and after[0]}"
        kept = {r[0]: r for r in after[1]}
        for r in before[1]:
            if r[0] not in kept or kept[r[0]][1] != r[1] or (r[2] == "complete" and kept[r[0]][2:] != r[2:]):
                return f"good database lost or changed run {r[0]}"
        if after[2] < before[2]:
            return "good database lost trials"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("workdir")
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--only", default="", help="run only the cases whose name matches this regular expression")
    a = ap.parse_args()
    a.cli = os.path.abspath(a.cli)
    rng = random.Random(a.seed)
    shutil.rmtree(a.workdir, ignore_errors=True)
    setup = os.path.join(a.workdir, "setup")
    os.makedirs(setup)
    with open(os.path.join(setup, "p.json"), "w") as f:
        json.dump(base_project("out"), f)
    r = subprocess.run([a.cli, "run", "p.json", "-q"], cwd=setup, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"setup run failed: {r.stderr.decode()}")
    good_db = os.path.join(setup, "out", "corpus.sqlite")
    good_model = os.path.join(setup, "out", "corpus", "exp.pt")
    cases = (project_cases(rng) + override_cases() + idx_cases(rng) + cifar_cases(rng) + model_cases(rng, good_model) +
             database_cases(rng, good_db))
    if a.only:
        cases = [c for c in cases if re.search(a.only, c.name)]
    total = len(cases)
    if a.sample and a.sample < total:
        step = total / a.sample
        cases = [cases[int(i * step)] for i in range(a.sample)]
    print(f"{len(cases)} of {total} cases", flush=True)

    def one(item):
        i, case = item
        d = os.path.join(a.workdir, f"{i:05d}_{case.name}")
        write_case(case, d, good_db, good_model)
        problem = check(case, d, a.cli, a.timeout)
        if problem is None:
            shutil.rmtree(d, ignore_errors=True)
        return case, problem

    failures = 0
    rejected = 0
    with ThreadPoolExecutor(a.jobs) as pool:
        for case, problem in pool.map(one, enumerate(cases)):
            if problem:
                failures += 1
                print(f"FAIL {case.name}: {' '.join(case.args)[:200]}: {problem}", flush=True)
    print(f"{len(cases) - failures} passed, {failures} failed", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
