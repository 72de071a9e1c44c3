# Sourced by every run_*.sh on the GPU machine, inside the devrun folder: unpacks the shared libraries (and
# weft-calibrate-bundle, calibrate_suite.tar) that prepare_devrun.sh carried xz-compressed (the folder must stay under the device tool's 64 MiB; python3's lzma, as
# the machine may lack xz), and puts them, the CUDA toolkit's libraries and the libnccl of python3's nvidia-nccl
# package on LD_LIBRARY_PATH.
for packed in lib/*.xz *.xz; do
  [ -e "$packed" ] || continue
  python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[1][:-3], "wb") as dst: shutil.copyfileobj(src, dst)' "$packed" \
    && rm -f "$packed"
done
[ -e weft-calibrate-bundle ] && chmod +x weft-calibrate-bundle
nccl_lib=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH=$PWD/lib:/usr/local/cuda/lib64:${nccl_lib:+$nccl_lib:}$LD_LIBRARY_PATH
export WEFT_CUDA_CASES=$PWD/cases
