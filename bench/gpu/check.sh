#!/usr/bin/env bash
# The GPU check (issue 11), one script for a GPU machine without Qt: configures and builds the
# headless engine against the machine's own LibTorch (a CUDA PyTorch installation's), runs the
# engine's device tests on CUDA, runs one project's campaigns on the CPU and on CUDA and compares
# them trial by trial, runs the GPU benchmark (bench_campaign, bench_training --device cuda) and
# PyTorch's own figures on the same card (reference.py). $OUT (default build/gpu-check) gets three
# files: check.log (this script's output), gpu_check.json (every benchmark's JSON) and logs.tar.gz
# (one log per step, env.txt). Budget: under 8 minutes.
#
# Needs: CMake >= 3.25, ninja (or make), a C++17 compiler, python3 with torch (CUDA), nlohmann-json,
# CLI11, zlib, the SQLite runtime. Without SQLite's header the copy in bench/gpu/sqlite is used;
# Fashion-MNIST comes from $FAULTSCAPE_DATA, /usr/share/datasets/fashion-mnist, or
# build/gpu-carry/fashion-mnist (copied there by `bench/gpu/check.sh --prepare` on a machine that has it).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$ROOT/build/gpu-carry"

if [[ "${1:-}" == "--prepare" ]]; then  # run on the development machine before sending the tree
  mkdir -p "$CARRY/fashion-mnist"
  cp /usr/share/datasets/fashion-mnist/*.gz "$CARRY/fashion-mnist/"
  echo "prepared $CARRY (carry build/gpu-carry with the tree)"
  exit 0
fi

OUT="${OUT:-$ROOT/build/gpu-check}"
BUILD="${BUILD:-$ROOT/build/gpu}"
WORK="$BUILD-work"  # step logs and the comparison's databases; packed into $OUT/logs.tar.gz
JOBS="${JOBS:-$(nproc)}"
PEAK_TFLOPS="${PEAK_TFLOPS:-67}"  # H100 SXM fp32 (non-tensor) peak; PCIe cards: 51
mkdir -p "$OUT"
rm -rf "$WORK" && mkdir -p "$WORK"
exec > >(tee "$OUT/check.log") 2>&1
START=$(date +%s)
elapsed() { echo $(($(date +%s) - START)); }
declare -A STATUS
BUDGET="${CHECK_BUDGET:-470}"  # seconds for every step together (the tool's call limit minus the start)
step() {  # step NAME TIMEOUT_S COMMAND...: runs it, logs to $WORK/NAME.log, records its exit status
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET - $(elapsed)))
  if ((left < 15)); then
    echo "== $name: skipped, the budget of $BUDGET s is spent"
    STATUS[$name]=skipped
    return 1
  fi
  ((limit > left)) && limit=$left
  echo "== $name (at $(elapsed) s, limit ${limit} s): $*"
  timeout "$limit" "$@" >"$WORK/$name.log" 2>&1
  local rc=$?
  STATUS[$name]=$rc
  tail -n 25 "$WORK/$name.log"
  echo "== $name: exit $rc after $(elapsed) s"
  return $rc
}

export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-1073741824}
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-1073741824}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export PYTHONUNBUFFERED=1

{
  echo "date: $(date -u)"; uname -a; nproc
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | head -3
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
  cmake --version | head -1
} | tee "$WORK/env.txt"

TORCH_PREFIX="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)"
SQLITE_ARGS=()
if [[ ! -f /usr/include/sqlite3.h ]]; then
  lib="$(ldconfig -p | awk '/libsqlite3\.so(\.0)? /{print $NF; exit}')"
  SQLITE_ARGS=(-DSQLite3_INCLUDE_DIR="$ROOT/bench/gpu/sqlite" -DSQLite3_LIBRARY="$lib")
  echo "SQLite header: bench/gpu/sqlite (runtime $lib)"
fi
DATA="${FAULTSCAPE_DATA:-/usr/share/datasets/fashion-mnist}"
[[ -f "$DATA/t10k-images-idx3-ubyte.gz" ]] || DATA="$CARRY/fashion-mnist"
echo "Fashion-MNIST: $DATA"
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

step configure 120 cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DFAULTSCAPE_GUI=OFF \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" "${SQLITE_ARGS[@]}"
KEEP_GOING=()
[[ ${#GENERATOR[@]} -gt 0 ]] && KEEP_GOING=(-- -k 0)
step build 420 cmake --build "$BUILD" -j "$JOBS" --target faultscape-cli test_device bench_campaign bench_training \
  "${KEEP_GOING[@]}"
grep -E "error|Error" "$WORK/build.log" | head -40

CLI="$BUILD/app/faultscape-cli"
if [[ -x "$BUILD/tests/device/test_device" ]]; then
  FAULTSCAPE_TEST_DEVICE=cuda step test_device_cuda 240 "$BUILD/tests/device/test_device"
fi
if [[ -x "$CLI" ]]; then
  P="$ROOT/bench/gpu/pairing_project.json"
  step pair_cuda 180 "$CLI" run "$P" --device cuda -o "$WORK/pair_cuda" --set dataset.path="$DATA" --quiet
  for e in stuck ber; do
    step "pair_cpu_$e" 180 "$CLI" run "$P" -e "$e" --device cpu -o "$WORK/pair_cpu" --set dataset.path="$DATA" \
      --set load="$WORK/pair_cuda/pairing/$e.pt" --quiet
  done
  step compare_devices 60 python3 "$ROOT/bench/gpu/compare_devices.py" "$WORK/pair_cpu/pairing.sqlite" \
    "$WORK/pair_cuda/pairing.sqlite"
fi
if [[ -x "$BUILD/bench/bench_campaign" ]]; then
  step bench_campaign 240 "$BUILD/bench/bench_campaign" --device cuda --images 10000 --batch 10000 \
    --naive-faults 40 --data-path "$DATA" --peak-tflops "$PEAK_TFLOPS"
  step bench_campaign_b500 120 "$BUILD/bench/bench_campaign" --device cuda --images 2000 --batch 500 \
    --naive-faults 40 --data-path "$DATA" --models cnn,lenet5
fi
if [[ -x "$BUILD/bench/bench_training" ]]; then
  step bench_training 180 "$BUILD/bench/bench_training" --device cuda --data-path "$DATA" --batches 50 --warmup 5 \
    --only lenet5 --only cnv-w1a1 --only cnv-float --only resnet20
fi
step reference 180 python3 "$ROOT/bench/gpu/reference.py"
if [[ -x "$BUILD/bench/bench_training" ]]; then  # the cost of "deterministic": true
  step bench_training_det 120 "$BUILD/bench/bench_training" --device cuda --data-path "$DATA" --batches 50 \
    --warmup 5 --only lenet5 --only resnet20 --deterministic
fi

# One JSON with every step's status and the benchmarks' JSON lines.
python3 - "$WORK" "$OUT" <<'PY'
import json, os, sys
work, out = sys.argv[1], sys.argv[2]
result = {}
for name in ["test_device_cuda", "compare_devices", "bench_campaign", "bench_campaign_b500", "bench_training",
             "bench_training_det", "reference"]:
    path = os.path.join(work, name + ".log")
    if os.path.exists(path):
        lines = [l for l in open(path, errors="replace").read().splitlines() if l.startswith("{")]
        if lines:
            try:
                result[name] = json.loads(lines[-1])
            except ValueError:
                pass
json.dump(result, open(os.path.join(out, "gpu_check.json"), "w"), indent=1)
PY
tar -czf "$OUT/logs.tar.gz" -C "$WORK" --exclude='*.sqlite*' --exclude='*.pt' .
echo "== status:"
fail=0
for k in "${!STATUS[@]}"; do
  echo "  $k: ${STATUS[$k]}"
  [[ "${STATUS[$k]}" != 0 ]] && fail=1
done
echo "== total $(elapsed) s"
exit $fail
