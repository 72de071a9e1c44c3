#!/usr/bin/env bash
# Creates the Python environment of the LoRA peer: Debian's torch 1.13 (system site packages) plus transformers,
# peft 0.10.0 and accelerate from PyPI, with the exact versions /work/shared/notes.md ("Peers for benchmarks")
# found to work together. Usage: bench/lora/setup_peft_venv.sh [VENV=/tmp/weft-bench-peft-venv]
set -euo pipefail
venv=${1:-/tmp/weft-bench-peft-venv}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import peft, transformers" 2>/dev/null; then
  echo "$venv: ready"; exit 0
fi
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --no-deps transformers==4.38.2
"$venv/bin/pip" install -q huggingface_hub==0.21.4 tokenizers==0.15.2 safetensors==0.4.2 regex tqdm filelock packaging fsspec
"$venv/bin/pip" install -q --no-deps peft==0.10.0 accelerate==0.28.0
"$venv/bin/python" -c "import peft, transformers, torch; print('peft', peft.__version__, 'transformers', transformers.__version__, 'torch', torch.__version__)"
