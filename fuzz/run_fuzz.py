#!/usr/bin/env python3
"""Runs the libFuzzer targets of build/fuzz for a bounded time each and reports what they did.

  run_fuzz.py --build build/fuzz --seeds DIR [--seconds 60] [--timeout 10] [--rss-mb 2048]
              [--max-len 262144] [TARGET ...]

Each target starts from its seed corpus (tests/corpus/fuzz_seeds.py) plus the corpus it grew in
earlier runs (BUILD/fuzz-corpus/<target>/, kept between runs), runs for --seconds, and writes any
crash, timeout (--timeout s for one input), out-of-memory (--rss-mb) or leak input to
BUILD/fuzz-findings/<target>/. Reported per target: executions and their rate, edge coverage and
features at start and end, corpus size, peak memory and the findings of this run. Exit status 1
when any target found something (or could not run), else 0.

`--replay DIR` instead runs every target once over the inputs in DIR/<target>/ (no fuzzing):
fuzz/regressions/ holds the inputs of earlier findings.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

TARGETS = ["fuzz_project", "fuzz_overrides", "fuzz_idx", "fuzz_cifar", "fuzz_model_record"]


def env():
    e = dict(os.environ)
    # Leaks are findings too; abort_on_error gives libFuzzer the crash input either way.
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:allocator_may_return_null=1")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    e.setdefault("OPENBLAS_NUM_THREADS", "1")
    e.setdefault("OMP_NUM_THREADS", "1")
    return e


def last(pattern, text, group=1, cast=int):
    found = re.findall(pattern, text)
    return cast(found[-1]) if found else None


def fuzz(target, a):
    binary = os.path.join(a.build, "fuzz", target)
    if not os.access(binary, os.X_OK):
        return {"target": target, "error": f"{binary} not built"}
    corpus = os.path.join(a.build, "fuzz-corpus", target)
    findings = os.path.join(a.build, "fuzz-findings", target)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(findings, exist_ok=True)
    before = set(os.listdir(findings))
    seeds = os.path.join(a.seeds, target)
    cmd = [binary, f"-max_total_time={a.seconds}", f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_mb}",
           f"-malloc_limit_mb={a.rss_mb}", f"-max_len={a.max_len}", "-print_final_stats=1",
           f"-artifact_prefix={findings}/", corpus] + ([seeds] if os.path.isdir(seeds) else [])
    log_path = os.path.join(a.build, "fuzz-logs", target + ".log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    start = time.time()
    with open(log_path, "w") as log:
        # Generous margin over -max_total_time: loading the seeds and the final merge come on top.
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env(), timeout=a.seconds * 3 + 300).returncode
        except subprocess.TimeoutExpired:
            rc = "killed"
    wall = time.time() - start
    text = open(log_path, errors="replace").read()
    new = sorted(set(os.listdir(findings)) - before)
    return {
        "target": target, "rc": rc, "wall": wall, "log": log_path,
        "execs": last(r"stat::number_of_executed_units:\s*(\d+)", text),
        "rate": last(r"stat::average_exec_per_sec:\s*(\d+)", text),
        "cov_start": last(r"#\d+\s+INITED cov: (\d+)", text), "ft_start": last(r"#\d+\s+INITED cov: \d+ ft: (\d+)", text),
        "cov_end": last(r"#\d+\s+\w+\s+cov: (\d+)", text), "ft_end": last(r"#\d+\s+\w+\s+cov: \d+ ft: (\d+)", text),
        "corpus": last(r"corp: (\d+)/", text), "rss": last(r"stat::peak_rss_mb:\s*(\d+)", text),
        "findings": [os.path.join(findings, f) for f in new],
        "summary": [line for line in text.splitlines() if line.startswith(("SUMMARY:", "FINDING:", "==") )][:6],
    }


def replay(target, a):
    binary = os.path.join(a.build, "fuzz", target)
    inputs = sorted(glob.glob(os.path.join(a.replay, target, "*")))
    if not inputs:
        return {"target": target, "inputs": 0, "rc": 0}
    r = subprocess.run([binary, f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_mb}"] + inputs,
                       capture_output=True, text=True, errors="replace", env=env())
    return {"target": target, "inputs": len(inputs), "rc": r.returncode, "tail": r.stdout[-2000:] + r.stderr[-2000:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/fuzz")
    ap.add_argument("--seeds", default="build/fuzz/seeds")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--rss-mb", type=int, default=2048)
    ap.add_argument("--max-len", type=int, default=262144)
    ap.add_argument("--replay", default="")
    ap.add_argument("targets", nargs="*")
    a = ap.parse_args()
    targets = a.targets or TARGETS
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        sys.exit(f"run_fuzz.py: unknown target(s) {unknown}; have {TARGETS}")
    bad = 0
    if a.replay:
        for t in targets:
            r = replay(t, a)
            ok = r["rc"] == 0
            bad += not ok
            print(f"{t:18} {r['inputs']:4} regression inputs: {'ok' if ok else 'FAILED (exit %s)' % r['rc']}")
            if not ok:
                print(r["tail"])
        sys.exit(1 if bad else 0)
    print(f"{'target':18} {'seconds':>7} {'execs':>9} {'exec/s':>7} {'cov start->end':>15} {'features':>13} "
          f"{'corpus':>6} {'rss MB':>6}  findings")
    for t in targets:
        r = fuzz(t, a)
        if "error" in r:
            bad += 1
            print(f"{t:18} error: {r['error']}")
            continue
        found = r["findings"] or ([] if r["rc"] == 0 else [f"exit {r['rc']} without an artifact: see {r['log']}"])
        bad += bool(found)
        print(f"{t:18} {r['wall']:7.0f} {r['execs'] or 0:9} {r['rate'] or 0:7} "
              f"{str(r['cov_start']) + '->' + str(r['cov_end']):>15} {str(r['ft_start']) + '->' + str(r['ft_end']):>13} "
              f"{r['corpus'] or 0:6} {r['rss'] or 0:6}  {len(found) if found else 'none'}", flush=True)
        for f in found:
            print(f"    {f}")
        for line in r["summary"] if found else []:
            print(f"    {line}")
    print("coverage: edges (libFuzzer's cov) of the instrumented engine code the target reaches; "
          "features: edges plus hit counts and value profiles")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
