#!/usr/bin/env bash
# The whole GPU check in one run, for a lent GPU machine that has its own Python 3.12, NumPy 2,
# CuPy, PyTorch, SciPy, scikit-image and pytest but no internet (README "GPU set-up").
#
# Here, where PyPI is reachable:   make gpu-wheels
#   (.whl/: the Chainer 7.8.1 wheel and the notebook runner's wheels for CPython 3.12)
# There, from the repository root, with .whl carried:
#   OUT=/path/to/results bash tools/gpu_run.sh
#
# Phases, each with its own time limit so that the run ends within RUN_SECONDS (default 540) and
# a slow or failing phase leaves the others' results; each writes $OUT/<phase>.txt:
#   setup     the carried wheels that the machine lacks, into $SITE (nothing is downloaded);
#             then nvidia-smi and the Python, NumPy, CuPy, Chainer and PyTorch versions
#   surface   tools/cupy_surface.py check (every CuPy name Chainer and seglearn use)
#   tests     every test marked gpu, and tests/test_cupy_surface.py
#   bench     benchmarks/run.py --gpu: the papers' sizes, CuPy memory-pool peak, PyTorch CUDA
#             beside it ($OUT/bench.json too)
#   chapters  every chapter with DEVICE = $GPU_RUN_DEVICE (default '@cupy:0'), one at a time
#             while time is left; $OUT/chapters.tar.gz holds the executed notebooks (images
#             dropped to stay small)
# $OUT/summary.txt has one line per phase: 8 files in all, what a device run brings back. PHASES="tests chapters" runs a subset; CHAPTERS="06 07"
# a subset of chapters. Dry run on a CPU (no GPU, checks the script and the wheels):
#   PYTHON=/path/to/python3.12 GPU_RUN_DEVICE=@numpy CHAPTERS=00 OUT=/tmp/out bash tools/gpu_run.sh
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_RUN_DEVICE:-@cupy:0}
OUT=${OUT:?set OUT to the folder for the results}
PHASES=${PHASES:-setup surface tests bench chapters}
CHAPTERS=${CHAPTERS:-}
SITE=${SITE:-/tmp/seglearn-site}
START=$(date +%s)
END=$((START + ${RUN_SECONDS:-540}))
export PYTHONPATH="$SITE:$PWD" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
mkdir -p "$OUT" "$SITE"
: > "$OUT/summary.txt"
failed=0

wanted() { [[ " $PHASES " == *" $1 "* ]]; }

# phase NAME SECONDS COMMAND...: run with a limit (cut to the time left), log to $OUT/NAME.txt
phase() {
  local name=$1 limit=$2 left=$((END - $(date +%s))) t0
  shift 2
  wanted "$name" || return 0
  if [ "$left" -lt 15 ]; then
    echo "$name: not run, no time left" | tee -a "$OUT/summary.txt"; failed=1; return 0
  fi
  [ "$limit" -le "$left" ] || limit=$left
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  echo "$name: exit $rc after $(($(date +%s) - t0)) s (limit $limit s)" | tee -a "$OUT/summary.txt"
  [ "$rc" -eq 0 ] || failed=1
}

install_wheels() {
  "$PYTHON" - "$SITE" <<'EOF'
import glob, importlib.metadata, os, re, subprocess, sys
wheels = []
for path in sorted(glob.glob('.whl/*.whl') + glob.glob('.whl/notebook/*.whl')):
    name = re.sub(r'[-_.]+', '-', os.path.basename(path).split('-')[0]).lower()
    try:
        print('present:', name, importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        wheels.append(path)
print('installing:', ' '.join(os.path.basename(w) for w in wheels))
if wheels and subprocess.call([sys.executable, '-m', 'pip', 'install', '-q', '--no-index',
                               '--no-deps', '--no-compile', '--target', sys.argv[1]] + wheels):
    import zipfile  # no working pip: a wheel is a zip laid out for site-packages
    print('pip failed; unpacking the wheels instead')
    for w in wheels:
        zipfile.ZipFile(w).extractall(sys.argv[1])
EOF
}

environment() {
  nvidia-smi || true
  "$PYTHON" - <<'EOF'
import platform, seglearn, numpy, chainer
print('Python', platform.python_version(), '| NumPy', numpy.__version__, '| Chainer',
      chainer.__version__, '| seglearn._compat applied', seglearn._compat.APPLIED)
try:
    import cupy, chainer.backends.cuda as c
    print('CuPy', cupy.__version__, '| CUDA runtime', cupy.cuda.runtime.runtimeGetVersion(),
          '| devices', cupy.cuda.runtime.getDeviceCount(), '| chainer cuda', c.available,
          '| cudnn', c.cudnn_enabled)
except Exception as e:
    print('CuPy:', type(e).__name__, e)
try:
    import torch
    print('PyTorch', torch.__version__, '| CUDA', torch.cuda.is_available())
except Exception as e:
    print('PyTorch:', type(e).__name__, e)
EOF
}

setup() {
  install_wheels && environment
}

gpu_tests() {
  "$PYTHON" -m pytest -p no:cacheprovider -q -rA tests/test_cupy_surface.py
  local rc=$?
  "$PYTHON" -m pytest -p no:cacheprovider -q -rA -m gpu tests || rc=1
  return $rc
}

bench() {
  if [ "$DEVICE" = "@numpy" ]; then echo "dry run: no GPU benchmark"; return 0; fi
  "$PYTHON" benchmarks/run.py --gpu --repeats 5 --torch-python "$PYTHON" --json "$OUT/bench.json"
}

chapters() {
  local rc=0 nb n left
  mkdir -p /tmp/seglearn-chapters
  for nb in chapters/[0-9][0-9]_*.ipynb; do
    n=$(basename "$nb" | cut -c1-2)
    if [ -n "$CHAPTERS" ] && [[ " $CHAPTERS " != *" $n "* ]]; then continue; fi
    left=$((END - $(date +%s) - 20))
    if [ "$left" -lt 20 ]; then echo "$n: not run, no time left"; rc=1; continue; fi
    timeout --kill-after=5 "$left" "$PYTHON" -m seglearn.course.run_chapters chapters \
      /tmp/seglearn-chapters --only "$n" --device "$DEVICE" --timeout "$left" \
      | tail -n 2 | head -n 1
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  done
  "$PYTHON" - "$OUT/chapters.tar.gz" <<'EOF'
import glob, io, json, sys, tarfile
with tarfile.open(sys.argv[1], 'w:gz') as tar:
    for path in sorted(glob.glob('/tmp/seglearn-chapters/*.ipynb')):
        nb = json.load(open(path))
        for cell in nb['cells']:
            for output in cell.get('outputs', []):
                for key in [k for k in output.get('data', {}) if k.startswith('image/')]:
                    output['data'][key] = '(image dropped)'
        data = json.dumps(nb, indent=1).encode()
        info = tarfile.TarInfo(path.rsplit('/', 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
EOF
  return $rc
}

export PYTHON DEVICE OUT CHAPTERS SITE END
export -f install_wheels environment setup gpu_tests bench chapters
phase setup 120 setup
phase surface 60 "$PYTHON" tools/cupy_surface.py check
phase tests 150 gpu_tests
phase bench 150 bench
phase chapters 600 chapters
verdict=$([ $failed -eq 0 ] && echo 'all phases passed' || echo 'some phases failed')
echo "total $(($(date +%s) - START)) s; $verdict" | tee -a "$OUT/summary.txt"
exit $failed
