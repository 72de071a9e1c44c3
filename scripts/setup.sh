#!/usr/bin/env bash
# Installs, from Debian's packages, whatever weft needs to build and test that is not yet on this machine.
# Idempotent: packages already present are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ pkg-config
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools   # MLIR/LLVM 19, mlir-tblgen, FileCheck, lit
  libomp-19-dev                                            # OpenMP runtime for the CPU kernels
  libprotobuf-dev protobuf-compiler                        # the Executable format
  libopenblas-dev                                          # CPU GEMMs
  libdnnl-dev                                              # oneDNN: bf16 GEMMs on the CPU (AMX / AVX512-BF16)
  coinor-libcbc-dev                                        # the strategy search's integer programs (CBC)
  libopenmpi-dev openmpi-bin                               # ranks and CPU collectives
  nlohmann-json3-dev                                       # config.json and safetensors headers
  libicu-dev                                               # Unicode classes of the tokenizers (runtime/text)
  libgtest-dev python3 python3-numpy                       # tests
  python3-torch                                            # the PyTorch CPU peer of bench/
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
