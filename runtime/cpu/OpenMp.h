//===- OpenMp.h - how the runtime's one OpenMP pool waits --------*- C++ -*-===//
//
// This file implements the declaration of stopOpenMpSpinning. The runtime
// links LLVM's libomp ahead of oneDNN's libgomp, so the generated kernels
// (__kmpc_*) and oneDNN (GOMP_*, which libomp also implements) share one
// OpenMP thread pool; its workers must not spin after a parallel region,
// because GEMM steps (OpenBLAS and its own threads) run right after on the
// same cores.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_OPENMP_H
#define WEFT_RUNTIME_CPU_OPENMP_H

namespace weft::rt {

/// Sets KMP_BLOCKTIME=0 (unless the user set it) before libomp initializes,
/// which it does at its first parallel region or query: call it before
/// loading kernels or planning a oneDNN primitive. libomp's default 200 ms
/// spin-wait halved GEMM speed on a 2-core machine (GPT-2 124M forward
/// 315 ms -> 257 ms without it).
void stopOpenMpSpinning();

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_OPENMP_H
