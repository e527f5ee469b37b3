#!/usr/bin/env bash
# The CUDA benchmark path, run for real on a GPU machine (see README "Benchmarks on a GPU").
# Usage: OUT=folder bash benchmarks/gpu_run.sh   — writes JSON reports and logs into $OUT.
set -u
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{
  nvidia-smi -L
  python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
} 2>&1 | tee "$OUT/environment.txt"
sizes=100,10000,1000000,10000000
for mode in both forward backward double; do
  python3 -m gradlab bench resources/functions/sigmoid.py --device cuda --sizes $sizes --mode $mode --out "$OUT/sigmoid_cuda_$mode.json" 2>>"$OUT/bench.log" | tee -a "$OUT/bench.txt"
done
python3 -m gradlab bench resources/functions/softplus.py --device cuda --sizes $sizes --mode both --out "$OUT/softplus_cuda_both.json" 2>>"$OUT/bench.log" | tee -a "$OUT/bench.txt"
python3 -m gradlab bench resources/functions/sigmoid.py --device cpu --sizes 100,10000,1000000 --mode both --out "$OUT/sigmoid_cpu_both.json" 2>>"$OUT/bench.log" | tee -a "$OUT/bench.txt"
python3 -m pytest tests/core/test_benchmark.py -q -p no:cacheprovider 2>&1 | tail -5 | tee "$OUT/pytest.txt"
python3 -m benchmarks.fidelity 2>&1 | tee "$OUT/fidelity_cpu.txt"
# at most 8 files come back: the JSON reports travel as one archive
tar -czf "$OUT/reports.tar.gz" -C "$OUT" $(cd "$OUT" && ls *.json) && rm -f "$OUT"/*.json
