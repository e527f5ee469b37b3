#!/usr/bin/env bash
# A short GPU-machine check: fidelity on the host CPU, the tutorial's 100x100 on CUDA, other versions timed alongside.
# Usage: OUT=folder bash benchmarks/gpu_quick.sh
set -u
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, torch.cuda.get_device_name(0))" 2>&1 | tee "$OUT/environment.txt"
python3 -m gradlab bench resources/functions/sigmoid.py --device cuda --sizes 100x100,1000000 --mode both \
  --against tests/data/sigmoid_versions.py 2>>"$OUT/bench.log" | tee "$OUT/bench_against_cuda.txt"
python3 -m benchmarks.fidelity 2>&1 | tee "$OUT/fidelity_cpu.txt"
python3 -m pytest tests/core/test_benchmark.py -q -p no:cacheprovider 2>&1 | tail -3 | tee "$OUT/pytest.txt"
