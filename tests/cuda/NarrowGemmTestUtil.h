//===- NarrowGemmTestUtil.h - GEMM tests on the GPU -------------*- C++ -*-===//
//
// This file implements the GPU side of CudaRuntimeTest's f32/bf16/f16 GEMM
// tests: a run of a case (tests/common/NarrowGemmReference.h) through
// CublasLtGemms on device buffers of its own.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_NARROWGEMMTESTUTIL_H
#define WEFT_TESTS_CUDA_NARROWGEMMTESTUTIL_H

#include "runtime/cuda/CublasLt.h"
#include "tests/common/NarrowGemmReference.h"

namespace weft::test {

/// Runs `gc` through CublasLtGemms on `in`: `plans` identical plans, each run
/// once in turn on the same buffers, c starting as in.c. Returns c after the
/// last run and each plan's tuning record.
inline rt::StatusOr<std::vector<uint8_t>>
runDirect(rt::cuda::CudaDevice &dev, const GemmCase &gc, const GemmData &in, bool autotune,
          int plans, std::vector<rt::cuda::GemmTuning> &tunings) {
  std::vector<void *> ptrs;
  for (const std::vector<uint8_t> *v : {&in.a, &in.b, &in.c, &in.bias}) {
    void *p = nullptr;
    if (!v->empty()) {
      rt::StatusOr<void *> mem = dev.allocate(v->size(), 256);
      if (!mem.isOk())
        return mem.status();
      p = *mem;
      WEFT_RETURN_IF_ERROR(dev.copyToDevice(p, v->data(), v->size()));
    }
    ptrs.push_back(p);
  }
  std::vector<uint8_t> out(in.c.size());
  rt::Status st = [&]() -> rt::Status {
    auto gemms = rt::cuda::CublasLtGemms::create(dev, size_t(32) << 20);
    if (!gemms.isOk())
      return gemms.status();
    (*gemms)->setAutotune(autotune);
    std::vector<size_t> ids;
    for (int i = 0; i < plans; ++i) {
      auto id = (*gemms)->plan(gemmOf(gc), false, gc.name, ptrs[3], gc.biasDtype);
      if (!id.isOk())
        return id.status();
      ids.push_back(*id);
    }
    for (size_t id : ids)
      WEFT_RETURN_IF_ERROR((*gemms)->run(id, ptrs[0], ptrs[1], ptrs[2]));
    WEFT_RETURN_IF_ERROR(dev.copyToHost(out.data(), ptrs[2], out.size()));
    tunings = (*gemms)->tunings();
    return rt::Status::ok();
  }();
  for (void *p : ptrs)
    dev.free(p);
  if (!st.isOk())
    return st;
  return out;
}

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_NARROWGEMMTESTUTIL_H
