#!/usr/bin/env python3
"""Campaigns across processes give the database of one process (issue: MPI ranks and Slurm shards).

Runs tests/distributed/project.json (a stuck sweep, a fixed and an adaptive BER sweep, a design
space) in one process, under `mpirun -n 3`, after a rank was killed mid-run and the job rerun, and
as three shards merged; every database must hold the same runs, trials and summaries apart from
timings, host names and run ids. Also: merging an incomplete or mismatched set of shards is refused
with the missing trials / the configuration named, an adaptive sweep refuses --shard, and the Slurm
scripts name the array, the per-task command and the dependent merge job.

usage: test_distributed.py --cli FAULTSCAPE_CLI [--mpirun MPIRUN]
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "project.json")
# What may differ between processes: timings, run ids, owners (host names, pids) and the history of
# the processes ("evaluated_now" and the evaluation "paths" count what they evaluated: resumed trials
# not, speculative trials of adaptive sweeps under MPI too).
IGNORED = {"seconds", "evaluated_now", "faulty_inferences_per_second", "executed_gflops", "effective_gflops",
           "run", "latency_ms_per_image", "images_per_second", "latency_ms", "latency_ms_base", "latency_ratio",
           "paths"}

failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in IGNORED}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def content(db, experiments=None):
    """{(experiment, kind, config_hash): (status, summary, trials)} of a results database."""
    out = {}
    con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
    for rid, exp, kind, config_hash, status, summary in con.execute(
            "SELECT id, experiment, kind, config_hash, status, summary FROM runs ORDER BY id"):
        if experiments and exp not in experiments:
            continue
        trials = [(t, json.loads(p) if p else None, a, strip(json.loads(m)) if m else None)
                  for t, p, a, m in con.execute(
                      "SELECT trial, params, accuracy, metrics FROM trials WHERE run_id = ? ORDER BY trial", (rid,))]
        if kind == "protection_grid":  # rows are the design points: compare their results, not run ids
            trials = [(t, p, a, strip(m)) for t, p, a, m in trials]
        out[(exp, kind, config_hash)] = (status, strip(json.loads(summary)) if summary else None, trials)
    con.close()
    return out


def same_database(a, b, what, experiments=None):
    ca, cb = content(a, experiments), content(b, experiments)
    check(sorted(ca) == sorted(cb), what + ": the same runs (%d and %d)" % (len(ca), len(cb)))
    for key in sorted(set(ca) & set(cb)):
        sa, sb = ca[key], cb[key]
        check(sa[0] == sb[0] == "complete", what + ": %s %s complete" % key[:2])
        check(sa[2] == sb[2], what + ": %s %s the same %d trials" % (key[0], key[1], len(sa[2])))
        if sa[1] != sb[1]:
            diff = {k for k in set(sa[1] or {}) | set(sb[1] or {}) if (sa[1] or {}).get(k) != (sb[1] or {}).get(k)}
            check(False, what + ": %s %s summaries differ in %s" % (key[0], key[1], sorted(diff)))
        else:
            check(True, what + ": %s %s the same summary" % key[:2])


def run(cmd, cwd, env, expect=0, timeout=600):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if expect is not None and p.returncode != expect:
        print("command: " + " ".join(cmd) + "\nexit %d\nstdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout, p.stderr))
    return p


def trial_count(db):
    try:
        con = sqlite3.connect("file:" + db + "?mode=ro", uri=True, timeout=1)
        n = con.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return 0


def rank_pid(parent, rank):
    """The pid of MPI rank `rank` among the descendants of `parent`."""
    for _ in range(200):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"faultscape-cli" in cmd and b"OMPI_COMM_WORLD_RANK=%d" % rank in env and parent.poll() is None:
                return int(pid)
        time.sleep(0.05)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--mpirun", default="")
    args = ap.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MALLOC_MMAP_THRESHOLD_="1073741824",
               MALLOC_TRIM_THRESHOLD_="1073741824", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    root = tempfile.mkdtemp(prefix="faultscape-distributed-")
    db = "results/distributed.sqlite"
    try:
        def workdir(name):
            d = os.path.join(root, name)
            os.makedirs(d)
            return d

        # One process: the reference.
        one = workdir("one")
        check(run([args.cli, "run", PROJECT, "--threads", "1", "-q"], one, env).returncode == 0, "one process runs")

        # Shards 0/3, 1/3, 2/3 of the experiments that can be split, merged.
        shard_project = os.path.join(root, "shard_project.json")
        doc = json.load(open(PROJECT))
        doc["experiments"] = [e for e in doc["experiments"] if e["name"] != "adaptive"]
        json.dump(doc, open(shard_project, "w"))
        splittable = [e["name"] for e in doc["experiments"]]
        shards = workdir("shards")
        check(run([args.cli, "run", shard_project, "--threads", "1", "-q", "--train-only"], shards, env).returncode == 0,
              "--train-only trains the models")
        paths = []
        for i in range(3):
            p = run([args.cli, "run", shard_project, "--threads", "1", "-q", "--shard", "%d/3" % i], shards, env)
            check(p.returncode == 0, "shard %d/3 runs" % i)
            paths.append("results/distributed.shard-%d-of-3.sqlite" % i)
        p = run([args.cli, "merge", db, paths[0], paths[1]], shards, env, expect=None)
        check(p.returncode != 0 and "shard 2/3 is missing" in p.stderr and "missing trials:" in p.stderr,
              "merging 2 of 3 shards is refused, naming the missing shard and trials")
        check(not os.path.exists(os.path.join(shards, db)) or content(os.path.join(shards, db)).keys() <=
              {k for k in content(os.path.join(shards, db)) if k[1] == "train"}, "a refused merge writes nothing")
        other = workdir("other")
        run([args.cli, "run", shard_project, "--threads", "1", "-q", "--train-only"], other, env)
        run([args.cli, "run", shard_project, "--threads", "1", "-q", "--shard", "0/3", "--set", "campaign.seed=99"],
            other, env)
        p = run([args.cli, "merge", db, os.path.join(other, paths[0]), paths[1], paths[2]], shards, env, expect=None)
        check(p.returncode != 0 and "different configurations" in p.stderr,
              "merging shards of different configurations is refused: " + p.stderr.strip().splitlines()[-1][:160])
        p = run([args.cli, "merge", db] + paths, shards, env)
        check(p.returncode == 0, "merging the three shards succeeds")
        same_database(os.path.join(one, db), os.path.join(shards, db), "3 shards merged", splittable)
        p = run([args.cli, "merge", db] + paths, shards, env)
        check(p.returncode == 0 and content(os.path.join(shards, db)).keys() == content(os.path.join(one, db),
              splittable).keys(), "merging again duplicates nothing")
        p = run([args.cli, "run", PROJECT, "--threads", "1", "-q", "-e", "adaptive", "--shard", "0/2"], shards, env,
                expect=None)
        check(p.returncode != 0 and "target_ci" in p.stderr, "an adaptive sweep refuses --shard")

        # The Slurm scripts.
        slurm = workdir("slurm")
        p = run([args.cli, "slurm", PROJECT, "--array", "4", "--partition", "gpu", "--gpus-per-task", "1",
                 "--time", "02:00:00", "--out", "scripts", "--json"], slurm, env)
        check(p.returncode == 0, "slurm writes the scripts")
        sdir = os.path.join(slurm, "scripts")
        read = lambda name: open(os.path.join(sdir, "distributed." + name)).read()
        shards_script, merge_script, submit = read("shards.sbatch"), read("merge.sbatch"), read("submit.sh")
        check("#SBATCH --array=0-3\n" in shards_script, "the array job has 4 tasks")
        check('--shard "$SLURM_ARRAY_TASK_ID/4"' in shards_script and " run " in shards_script,
              "each task runs its shard")
        check("#SBATCH --partition=gpu" in shards_script and "#SBATCH --gpus-per-task=1" in shards_script and
              "#SBATCH --time=02:00:00" in shards_script, "partition, GPUs and time limit are passed on")
        check(" merge " in merge_script and all("distributed.shard-%d-of-4.sqlite" % i in merge_script for i in range(4)),
              "the merge job merges the 4 shards")
        check("--dependency=afterok:\"$train\"" in submit and "--dependency=afterok:\"$shards\"" in submit,
              "the shards wait for training, the merge for the shards")
        check("--train-only" in read("train.sbatch"), "the first job trains")
        for name in ("train.sbatch", "shards.sbatch", "merge.sbatch", "submit.sh"):
            check(subprocess.run(["bash", "-n", os.path.join(sdir, "distributed." + name)]).returncode == 0,
                  name + " is valid bash")

        if not args.mpirun:
            print("SKIP the MPI part: this build has no MPI")
        else:
            mpirun = [args.mpirun, "-n", "3", "--oversubscribe"]
            ranks = workdir("mpi")
            check(run(mpirun + [args.cli, "run", PROJECT, "--threads", "1", "-q"], ranks, env).returncode == 0,
                  "mpirun -n 3 runs")
            same_database(os.path.join(one, db), os.path.join(ranks, db), "mpirun -n 3")

            # A worker rank killed mid-campaign, then the job rerun.
            # 3000 trials: long enough that the kill lands mid-campaign on a fast machine too.
            bigger = ["--set", "campaign.trials=300", "-e", "ber"]
            ref = workdir("one_big")
            check(run([args.cli, "run", PROJECT, "--threads", "1", "-q"] + bigger, ref, env).returncode == 0,
                  "one process runs the bigger sweep")
            killed = workdir("killed")
            job = subprocess.Popen(mpirun + [args.cli, "run", PROJECT, "--threads", "1", "-q"] + bigger, cwd=killed,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 120
            while trial_count(os.path.join(killed, db)) < 40 and job.poll() is None and time.time() < deadline:
                time.sleep(0.05)
            worker = rank_pid(job, 1)
            check(worker is not None and job.poll() is None, "the job is running when a worker rank is killed")
            if worker:
                os.kill(worker, signal.SIGKILL)
            job.wait(timeout=120)
            partial = trial_count(os.path.join(killed, db))
            check(job.returncode != 0 and 0 < partial < 3000,
                  "the job stops when a rank dies (exit %s, %d of 3000 trials recorded)" % (job.returncode, partial))
            check(run(mpirun + [args.cli, "run", PROJECT, "--threads", "1", "-q"] + bigger, killed, env).returncode == 0,
                  "the rerun completes")
            same_database(os.path.join(ref, db), os.path.join(killed, db), "killed and rerun", ["ber"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
