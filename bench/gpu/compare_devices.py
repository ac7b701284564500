#!/usr/bin/env python3
"""Compares the campaigns of one project run on two devices (two results databases): the same
pairing key, the same stored faults trial by trial, and accuracies within a tolerance (0.5 points).
Usage: compare_devices.py CPU.sqlite CUDA.sqlite [--tolerance 0.5]. Prints one line per campaign
and a JSON line last; exits 1 when a campaign differs beyond the tolerance or draws other faults."""
import argparse
import json
import sqlite3
import sys


def campaigns(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for run_id, experiment, kind, summary, config in db.execute(
            "SELECT id, experiment, kind, summary, config FROM runs WHERE status = 'complete' "
            "AND kind IN ('stuck_sweep', 'ber_sweep') ORDER BY id"):
        trials = {t: (json.loads(p or "{}"), a, json.loads(m or "{}"))
                  for t, p, a, m in db.execute("SELECT trial, params, accuracy, metrics FROM trials WHERE run_id = ?",
                                               (run_id,))}
        out[(experiment, kind)] = {"summary": json.loads(summary or "{}"), "config": json.loads(config),
                                   "trials": trials}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cpu")
    ap.add_argument("device")
    ap.add_argument("--tolerance", type=float, default=0.5)
    a = ap.parse_args()
    left, right = campaigns(a.cpu), campaigns(a.device)
    ok = bool(left) and left.keys() == right.keys()
    report = []
    for key in sorted(left):
        if key not in right:
            print(f"{key}: missing on the device")
            ok = False
            continue
        l, r = left[key], right[key]
        same_key = l["summary"].get("pairing_key") == r["summary"].get("pairing_key") and l["summary"].get(
            "pairing_key")
        shared = sorted(set(l["trials"]) & set(r["trials"]))
        same_faults = len(shared) == len(l["trials"]) == len(r["trials"]) and all(
            l["trials"][t][0] == r["trials"][t][0] and
            l["trials"][t][2].get("faults") == r["trials"][t][2].get("faults") for t in shared)
        diffs = [abs(l["trials"][t][1] - r["trials"][t][1]) for t in shared]
        worst = max(diffs, default=float("inf"))
        exact = sum(d == 0 for d in diffs)
        good = bool(same_key) and same_faults and worst <= a.tolerance
        ok = ok and good
        row = {"experiment": key[0], "kind": key[1], "pairing_key_equal": bool(same_key), "trials": len(shared),
               "same_faults": same_faults, "exact": exact, "worst_difference": worst,
               "devices": [l["config"].get("device"), r["config"].get("device")], "gpu": r["config"].get("gpu", "")}
        report.append(row)
        print(f"{key[0]} {key[1]}: pairing key {'equal' if same_key else 'DIFFERENT'}, {len(shared)} trials, "
              f"faults {'identical' if same_faults else 'DIFFERENT'}, {exact} agree exactly, worst difference "
              f"{worst:.3f} points ({'ok' if good else 'FAIL'}); {row['devices'][0]} vs {row['devices'][1]} "
              f"{row['gpu']}")
    print(json.dumps({"compare_devices": report, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
