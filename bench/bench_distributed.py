#!/usr/bin/env python3
"""Distribution overhead per trial at 1, 2, 4, 8 MPI ranks (docs/scaling.md).

Runs one BER sweep (lenet5, synthetic data, fp32 weight bit flips) in one process and under
`mpirun -n N` for each N (oversubscribed on a small machine: the figures are for the overhead of
distributing, not for speed-up), and prints per trial: the compute time of one process, rank 0's
time handling messages (parse, record, schedule, send: the serial part that bounds scaling) and the
workers' encoding/decoding time, both as a share of the trial's compute.

usage: bench_distributed.py --cli FAULTSCAPE_CLI --mpirun MPIRUN [--ranks 1,2,4,8] [--trials 200]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile


def project(trials, images):
    e = {"name": "ber", "dataset": {"name": "synthetic", "synthetic": {"train": 64, "test": images}},
         "model": {"name": "lenet5", "weight_bits": "float", "act_bits": "float"},
         "training": {"epochs": 1, "batch_size": 32, "optimizer": "adam", "lr": 0.001},
         "faults": {"kind": "bitflip", "target": "weights", "format": "fp32"},
         "campaign": {"kind": "ber_sweep", "bers": [1e-4, 1e-3], "trials": trials, "seed": 5}}
    return {"name": "bench-distributed", "seed": 1, "threads": 1, "output_dir": "results", "experiments": [e]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--mpirun", required=True)
    ap.add_argument("--ranks", default="1,2,4,8")
    ap.add_argument("--trials", type=int, default=200, help="trials per rate (2 rates)")
    ap.add_argument("--images", type=int, default=500, help="test images per trial")
    args = ap.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MALLOC_MMAP_THRESHOLD_="1073741824",
               MALLOC_TRIM_THRESHOLD_="1073741824", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    root = tempfile.mkdtemp(prefix="faultscape-bench-distributed-")
    try:
        path = os.path.join(root, "project.json")
        json.dump(project(args.trials, args.images), open(path, "w"))
        subprocess.run([args.cli, "run", path, "--threads", "1", "-q", "--train-only"], cwd=root, env=env, check=True)

        def campaign(cmd, name):
            work = os.path.join(root, name)
            os.makedirs(work)
            shutil.copytree(os.path.join(root, "results"), os.path.join(work, "results"))  # the trained model
            out = subprocess.run(cmd + [args.cli, "run", path, "--threads", "1", "-q", "--json"], cwd=work, env=env,
                                 check=True, capture_output=True, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        alone = campaign([], "alone")
        db = os.path.join(root, "alone", "results", "bench-distributed.sqlite")
        import sqlite3
        con = sqlite3.connect(db)
        (summary,) = con.execute("SELECT summary FROM runs WHERE kind = 'ber_sweep'").fetchone()
        s = json.loads(summary)
        trials = s["evaluated_now"]
        compute = s["seconds"] / trials
        print("one process: %d trials of %d images, %.2f ms compute per trial (lenet5, 1 thread)" %
              (trials, args.images, 1e3 * compute))
        print("%5s %7s %7s %22s %22s %12s" % ("ranks", "chunks", "trials", "rank 0 handling us/trial",
                                               "worker codec us/trial", "% of compute"))
        for n in [int(x) for x in args.ranks.split(",")]:
            r = campaign([args.mpirun, "-n", str(n), "--oversubscribe"], "mpi%d" % n)
            d = r.get("distribution", {"chunks": 0, "trials": 0, "rank0_handling_seconds": 0, "worker_codec_seconds": 0})
            t = max(1, d["trials"])
            handling, codec = d["rank0_handling_seconds"] / t, d["worker_codec_seconds"] / t
            print("%5d %7d %7d %22.1f %22.1f %12.3f" % (n, d["chunks"], d["trials"], 1e6 * handling, 1e6 * codec,
                                                        100 * (handling + codec) / compute))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
