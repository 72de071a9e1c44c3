//===- CpuProgram.cpp - the steps of a "cpu" Executable -------------------===//
//
// This file implements CpuProgram. load():
//   1. checks that this processor has the instruction-set features the
//      kernels were compiled with (runtime/CpuFeatures.h), loads the kernel
//      library and resolves each kernel's symbol;
//   2. packs, per kernel-call step, the addresses of its arguments, per
//      GEMM step the addresses of a, b and c, and per collective step those of
//      its input and output.
// A kernel call then runs as one indirect call, a GEMM as one cblas_sgemm
// (row-major, f32) per batch — or, with one row (M = 1: a decode step's
// projections and LM head), as one cblas_sgemv, which streams the matrix once
// where sgemm first packs it into a buffer, and for a matrix of at most 64 Ki
// elements (a decode step's attention per row and head) as inline loops —, a
// collective as one call on its group's
// Communicator (which fails when a rank does not arrive in time).
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuProgram.h"
#include "runtime/CpuFeatures.h"
#include "runtime/comm/CollectiveStep.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace weft::rt {

namespace {

/// One-row products whose matrix has at most this many elements (256 KiB of
/// f32, L2-resident) run inline: per batch (a decode step's attention, one
/// per row and head) a BLAS call costs more in dispatch and threading than
/// its few thousand multiply-adds.
constexpr uint64_t kInlineGemvElements = 65536;

/// c[n] = alpha * (a[k] op(b)) + beta * c (beta 0: c is not read), b [n, k]
/// when transB, else [k, n]; single-threaded loops the compiler vectorizes.
void smallGemv(bool transB, int n, int k, float alpha, const float *a, const float *b, float beta,
               float *c) {
  thread_local std::vector<float> sums;
  sums.resize(size_t(n));
  float *acc = sums.data();
  if (transB) {
    for (int j = 0; j < n; ++j) {
      const float *row = b + size_t(j) * size_t(k);
      float sum = 0;
      for (int kk = 0; kk < k; ++kk)
        sum += a[kk] * row[kk];
      acc[j] = sum;
    }
  } else {
    std::fill(acc, acc + n, 0.0f);
    for (int kk = 0; kk < k; ++kk) {
      const float *row = b + size_t(kk) * size_t(n);
      const float x = a[kk];
      for (int j = 0; j < n; ++j)
        acc[j] += x * row[j];
    }
  }
  for (int j = 0; j < n; ++j)
    c[j] = alpha * acc[j] + (beta == 0.0f ? 0.0f : beta * c[j]);
}

} // namespace

StatusOr<std::unique_ptr<CpuProgram>> CpuProgram::load(const proto::Executable &exe,
                                                       const std::vector<void *> &addresses,
                                                       const std::string &source,
                                                       std::vector<Communicator *> stepComms) {
  std::unique_ptr<CpuProgram> program(new CpuProgram(exe));
  stepComms.resize(static_cast<size_t>(exe.steps_size()), nullptr);
  program->stepComms_ = std::move(stepComms);
  WEFT_RETURN_IF_ERROR(program->bind(addresses, source));
  return program;
}

Status CpuProgram::bind(const std::vector<void *> &addresses, const std::string &source) {
  const proto::Executable &p = exe();
  std::vector<KernelFn> kernels;
  if (p.kernels_size() > 0) {
    WEFT_RETURN_IF_ERROR(checkHostCpuFeatures({p.cpu_features().begin(), p.cpu_features().end()},
                                              source));
    StatusOr<std::unique_ptr<KernelLibrary>> lib = KernelLibrary::load(p.kernel_library(), source);
    if (!lib.isOk())
      return lib.status();
    library_ = std::move(lib.value());
    for (int k = 0; k < p.kernels_size(); ++k) {
      StatusOr<KernelFn> fn = library_->lookup(p.kernels(k).symbol());
      if (!fn.isOk())
        return Status(fn.status().code(),
                      "kernel " + std::to_string(k) + ": " + fn.status().message());
      kernels.push_back(*fn);
    }
  }

  stepKernel_.assign(static_cast<size_t>(p.steps_size()), nullptr);
  stepArgs_.resize(static_cast<size_t>(p.steps_size()));
  for (int s = 0; s < p.steps_size(); ++s) {
    const proto::Step &step = p.steps(s);
    if (step.has_gemm()) {
      const proto::Gemm &g = step.gemm();
      stepArgs_[s] = {addresses[g.a()], addresses[g.b()], addresses[g.c()]};
      continue;
    }
    if (step.has_collective()) {
      stepArgs_[s] = {addresses[step.collective().input()], addresses[step.collective().output()]};
      continue;
    }
    stepKernel_[s] = kernels[step.kernel_call().kernel()];
    for (uint32_t arg : step.kernel_call().args())
      stepArgs_[s].push_back(addresses[arg]);
  }
  return Status::ok();
}

Status CpuProgram::runAll(bool /*useGraph*/) { return runEachStep(); }

Status CpuProgram::runKernelCall(int step) {
  stepKernel_[step](stepArgs_[step].data());
  return Status::ok();
}

Status CpuProgram::runGemm(int step) {
  const proto::Gemm &g = exe().steps(step).gemm();
  const float *a = static_cast<const float *>(stepArgs_[step][0]);
  const float *b = static_cast<const float *>(stepArgs_[step][1]);
  float *c = static_cast<float *>(stepArgs_[step][2]);
  const int m = static_cast<int>(g.m()), n = static_cast<int>(g.n()), k = static_cast<int>(g.k());
  const int lda = g.trans_a() ? m : k;
  const int ldb = g.trans_b() ? k : n;
  const size_t strideA = g.m() * g.k(), strideB = g.k() * g.n(), strideC = g.m() * g.n();
  if (m == 1 && uint64_t(n) * uint64_t(k) <= kInlineGemvElements) {
    for (uint64_t i = 0; i < g.batch(); ++i)
      smallGemv(g.trans_b(), n, k, g.alpha(), a + i * strideA, b + i * strideB, g.beta(),
                c + i * strideC);
    return Status::ok();
  }
  if (m == 1) {
    // c[1, n] = alpha a[1, k] op(b) + beta c: op(b)^T a. The one row of a is
    // contiguous whether or not it is stored transposed ([k, 1]).
    for (uint64_t i = 0; i < g.batch(); ++i) {
      float *ci = c + i * strideC;
      if (g.beta() == 0.0f) // c may hold anything (a reused arena): never scale it
        std::fill(ci, ci + n, 0.0f);
      if (g.trans_b()) // b is [n, k]
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, g.alpha(), b + i * strideB, ldb,
                    a + i * strideA, 1, g.beta(), ci, 1);
      else // b is [k, n]
        cblas_sgemv(CblasRowMajor, CblasTrans, k, n, g.alpha(), b + i * strideB, ldb,
                    a + i * strideA, 1, g.beta(), ci, 1);
    }
    return Status::ok();
  }
  for (uint64_t i = 0; i < g.batch(); ++i)
    cblas_sgemm(CblasRowMajor, g.trans_a() ? CblasTrans : CblasNoTrans,
                g.trans_b() ? CblasTrans : CblasNoTrans, m, n, k, g.alpha(), a + i * strideA, lda,
                b + i * strideB, ldb, g.beta(), c + i * strideC, n);
  return Status::ok();
}

Status CpuProgram::runCollective(int step) {
  const proto::Step &s = exe().steps(step);
  if (!stepComms_[step])
    return failedPrecondition(std::string(collectiveKindName(s.collective().kind())) +
                              ": no communicator for its group (the Executor creates them)");
  return runCollectiveStep(*stepComms_[step], s.collective(), stepArgs_[step][0],
                           stepArgs_[step][1], s.label());
}

} // namespace weft::rt
