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
// (row-major, f32) per batch — a bf16 or f16 one as its NarrowGemm plan (a
// oneDNN matmul for bf16, runtime/cpu/NarrowGemm.h), made at load — or, with
// at most kGemvMaxRows rows (a decode step's projections, LM head and
// attention), in f32, bf16 or f16, as weft's small-M kernels
// (runtime/cpu/Gemv.h), which stream the matrix once over the cores where
// sgemm or oneDNN first packs it into a buffer —, a collective as one call on
// its group's Communicator (which fails when a rank does not arrive in time).
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuProgram.h"
#include "runtime/CpuFeatures.h"
#include "runtime/HostTensor.h"
#include "runtime/cpu/GemmInt8.h"
#include "runtime/cpu/GemmInt8OneDnn.h"
#include "runtime/cpu/Gemv.h"
#include "runtime/cpu/NarrowGemm.h"
#include "runtime/cpu/WorkerPool.h"
#include "runtime/comm/CollectiveStep.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace weft::rt {

CpuProgram::CpuProgram(const proto::Executable &exe) : Program(exe) {}
CpuProgram::~CpuProgram() = default;

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
  narrowGemms_.resize(static_cast<size_t>(p.steps_size()));
  stepArgs_.resize(static_cast<size_t>(p.steps_size()));
  for (int s = 0; s < p.steps_size(); ++s) {
    const proto::Step &step = p.steps(s);
    if (step.has_gemm()) {
      const proto::Gemm &g = step.gemm();
      stepArgs_[s] = {addresses[g.a()], addresses[g.b()], addresses[g.c()]};
      if (g.b_dtype() == proto::I8)
        stepArgs_[s].push_back(addresses[g.b_scales()]);
      if ((g.dtype() == proto::BF16 || g.dtype() == proto::F16) && !runsSmallM(g)) {
        StatusOr<std::unique_ptr<NarrowGemm>> plan =
            NarrowGemm::create(g, "step " + std::to_string(s) + " '" + step.label() + "'");
        if (!plan.isOk())
          return plan.status();
        narrowGemms_[s] = std::move(plan.value());
      }
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

/// True when `g` (f32, bf16 or f16 operands; not int8 weights) runs as
/// weft's small-M kernels: at most kGemvMaxRows rows of a, each contiguous (a
/// plain, or one row of a transposed a).
bool CpuProgram::runsSmallM(const proto::Gemm &g) {
  return g.b_dtype() != proto::I8 && g.m() <= uint64_t(kGemvMaxRows) && (g.m() == 1 || !g.trans_a());
}

std::string CpuProgram::stepRoute(int step) const {
  const proto::Step &s = exe().steps(step);
  if (!s.has_gemm())
    return "";
  const proto::Gemm &g = s.gemm();
  if (g.b_dtype() == proto::I8)
    return g.m() <= uint64_t(kGemvMaxRows) ? "small-m int8" : "int8";
  if (runsSmallM(g))
    return std::string("small-m ") + dtypeName(g.dtype());
  if (narrowGemms_[step])
    return narrowGemms_[step]->path();
  return "sgemm";
}

Status CpuProgram::runAll(bool /*useGraph*/) { return runEachStep(); }

Status CpuProgram::runKernelCall(int step) {
  stepKernel_[step](stepArgs_[step].data());
  return Status::ok();
}

namespace {

/// One product of a batched small-M Gemm step (weft's Gemv kernels).
struct SmallMBatch {
  proto::DType dtype;
  GemvProblem shape; // a and c set per entry
  const void *a, *b;
  void *c;
  size_t strideA, strideB, strideC; // elements between entries
  static void runEntry(void *context, int i) {
    auto *t = static_cast<SmallMBatch *>(context);
    if (t->dtype != proto::F32) {
      const HalfFormat format = t->dtype == proto::BF16 ? HalfFormat::BF16 : HalfFormat::F16;
      gemvHalf(format, t->shape, static_cast<const uint16_t *>(t->a) + i * t->strideA,
               static_cast<const uint16_t *>(t->b) + i * t->strideB, static_cast<uint16_t *>(t->c) + i * t->strideC);
      return;
    }
    GemvProblem p = t->shape;
    p.a = static_cast<const float *>(t->a) + i * t->strideA;
    p.c = static_cast<float *>(t->c) + i * t->strideC;
    gemvF32(p, static_cast<const float *>(t->b) + i * t->strideB);
  }
};

} // namespace

Status CpuProgram::runGemm(int step) {
  const proto::Gemm &g = exe().steps(step).gemm();
  const float *a = static_cast<const float *>(stepArgs_[step][0]);
  const float *b = static_cast<const float *>(stepArgs_[step][1]);
  float *c = static_cast<float *>(stepArgs_[step][2]);
  const int m = static_cast<int>(g.m()), n = static_cast<int>(g.n()), k = static_cast<int>(g.k());
  const int lda = g.trans_a() ? m : k;
  const int ldb = g.trans_b() ? k : n;
  const size_t strideA = g.m() * g.k(), strideB = g.k() * g.n(), strideC = g.m() * g.n();
  if (g.b_dtype() == proto::I8)
    return runInt8WeightGemm(step);
  if (runsSmallM(g)) {
    // A few rows (a decode step): weft's own kernels stream B once over the
    // cores (runtime/cpu/Gemv.h), in f32 or, for bf16/f16, widening B as it
    // is read.
    GemvProblem p;
    p.m = m, p.n = n, p.k = k, p.alpha = g.alpha(), p.beta = g.beta();
    p.lda = k, p.ldc = n;
    p.layout = g.trans_b() ? WeightLayout::NK : WeightLayout::KN;
    SmallMBatch batch{g.dtype(), p, stepArgs_[step][0], stepArgs_[step][1], stepArgs_[step][2], strideA, strideB,
                      strideC};
    // A batch of products each too small to split (an attention's heads at
    // one decode position: 12 products of 20-80 KB) runs its entries over
    // the pool, each on one thread; a larger one splits each product.
    if (g.batch() > 1 && gemvRunsSerially(p))
      WorkerPool::instance().run(int(g.batch()), &SmallMBatch::runEntry, &batch);
    else
      for (uint64_t i = 0; i < g.batch(); ++i)
        SmallMBatch::runEntry(&batch, int(i));
    return Status::ok();
  }
  if (g.dtype() != proto::F32)
    return narrowGemms_[step]->run(stepArgs_[step][0], stepArgs_[step][1], stepArgs_[step][2]);
  for (uint64_t i = 0; i < g.batch(); ++i)
    cblas_sgemm(CblasRowMajor, g.trans_a() ? CblasTrans : CblasNoTrans,
                g.trans_b() ? CblasTrans : CblasNoTrans, m, n, k, g.alpha(), a + i * strideA, lda,
                b + i * strideB, ldb, g.beta(), c + i * strideC, n);
  return Status::ok();
}

/// Int8 weights (validated: batch 1, f32 a and c, a plain when m > 1): a few
/// rows run weft's small-M kernels (f32 activations: Gemv.h; quantized
/// activations: GemmInt8.h, VNNI); more rows with quantized activations run
/// oneDNN's int8 matmul (GemmInt8OneDnn.h); otherwise (f32 activations, or a
/// shape oneDNN refuses) the weight is dequantized into a scratch f32 matrix
/// once (over the pool) and one sgemm runs, whose O(m n k) work then dwarfs
/// the O(n k) conversion — with quantized activations on the rows expanded
/// back to f32 (q * s, outlier columns as they are), the same sums up to f32
/// rounding.
Status CpuProgram::runInt8WeightGemm(int step) {
  const proto::Gemm &g = exe().steps(step).gemm();
  const float *a = static_cast<const float *>(stepArgs_[step][0]);
  const int8_t *b = static_cast<const int8_t *>(stepArgs_[step][1]);
  float *c = static_cast<float *>(stepArgs_[step][2]);
  const float *scales = static_cast<const float *>(stepArgs_[step][3]);
  const int m = static_cast<int>(g.m()), n = static_cast<int>(g.n()), k = static_cast<int>(g.k());
  const WeightLayout layout = g.trans_b() ? WeightLayout::NK : WeightLayout::KN;
  if (m <= kGemvMaxRows) {
    GemvProblem p;
    p.m = m, p.n = n, p.k = k, p.alpha = g.alpha(), p.beta = g.beta();
    p.a = a, p.lda = k, p.c = c, p.ldc = n, p.layout = layout;
    if (g.a_quantize())
      gemvQ8A8(p, b, scales, g.a_outlier_threshold());
    else
      gemvQ8(p, b, scales);
    return Status::ok();
  }
  if (g.a_quantize()) { // m > 1 here, so a is plain [m, k]: oneDNN's int8 matmul
    GemvProblem p;
    p.m = m, p.n = n, p.k = k, p.alpha = g.alpha(), p.beta = g.beta();
    p.a = a, p.lda = k, p.c = c, p.ldc = n, p.layout = layout;
    if (gemmQ8A8OneDnn(p, b, scales, g.a_outlier_threshold()))
      return Status::ok();
  }
  thread_local std::vector<float> scratch, expanded;
  thread_local std::vector<int> outliers;
  if (g.a_quantize()) { // oneDNN refused the shape: the rows expanded to f32
    expanded.resize(size_t(m) * size_t(k));
    quantizeRowsForProduct(m, k, a, k, g.a_outlier_threshold(), outliers, expanded.data());
    a = expanded.data();
  }
  scratch.resize(size_t(n) * size_t(k));
  dequantizeQ8(layout, n, k, b, scales, scratch.data());
  cblas_sgemm(CblasRowMajor, g.trans_a() ? CblasTrans : CblasNoTrans,
              g.trans_b() ? CblasTrans : CblasNoTrans, m, n, k, g.alpha(), a,
              g.trans_a() ? m : k, scratch.data(), g.trans_b() ? k : n, g.beta(), c, n);
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
