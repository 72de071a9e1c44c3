//===- GemmEpilogues.cpp - cuBLASLt epilogues for weft.fused_matmul -------===//
//
// This file implements foldGemmEpilogues:
//   1. for each Gemm step s whose output buffer holds the result of a
//      weft.fused_matmul (f32, bf16 or f16; its bias has its element type,
//      which is cuBLASLt's default bias type) with a bias and activation none or gelu_tanh,
//      batch 1 and beta 0, and whose next step is a kernel call with
//      arguments (bias, output): set the Gemm's epilogue and bias, and drop
//      the kernel call;
//   2. remove the kernels no remaining step calls: their Kernel message,
//      their KernelEntry and their function in the kernel module, and
//      renumber the kernel index of every kernel call.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/GemmEpilogues.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <vector>

using namespace mlir;

namespace weft::codegen {
namespace {

/// The epilogue cuBLASLt runs for `op`, or NONE when it needs its own kernel.
proto::GemmEpilogue epilogueFor(FusedMatmulOp op) {
  Type element = cast<RankedTensorType>(op.getType()).getElementType();
  if (!op.getBias() || op.getGate() || !(element.isF32() || element.isBF16() || element.isF16()))
    return proto::GEMM_EPILOGUE_NONE; // cuBLASLt has no multiply-by-a-tensor epilogue for the gate
  switch (op.getActivation()) {
  case EpilogueActivation::None:
    return proto::GEMM_EPILOGUE_BIAS;
  case EpilogueActivation::GeluTanh:
    return proto::GEMM_EPILOGUE_GELU_TANH_BIAS;
  default: // exact gelu, fast_gelu: cuBLASLt has no such epilogue
    return proto::GEMM_EPILOGUE_NONE;
  }
}

} // namespace

unsigned foldGemmEpilogues(KernelPartition &p) {
  proto::Executable &exe = p.executable;
  std::vector<bool> drop(static_cast<size_t>(exe.steps_size()), false);
  unsigned folded = 0;
  for (int s = 0; s + 1 < exe.steps_size(); ++s) {
    proto::Step *step = exe.mutable_steps(s);
    const proto::Step &next = exe.steps(s + 1);
    if (!step->has_gemm() || !next.has_kernel_call())
      continue;
    proto::Gemm *g = step->mutable_gemm();
    if (g->c() >= p.bufferValues.size() || g->batch() != 1 || g->beta() != 0)
      continue;
    Value result = p.bufferValues[g->c()];
    auto op = result ? result.getDefiningOp<FusedMatmulOp>() : FusedMatmulOp();
    if (!op)
      continue;
    proto::GemmEpilogue epilogue = epilogueFor(op);
    const proto::KernelCall &call = next.kernel_call();
    if (epilogue == proto::GEMM_EPILOGUE_NONE || call.args_size() != 2 ||
        call.args(1) != g->c() || call.args(0) >= p.bufferValues.size() ||
        p.bufferValues[call.args(0)] != op.getBias())
      continue;
    g->set_epilogue(epilogue);
    g->set_bias(call.args(0));
    drop[static_cast<size_t>(s + 1)] = true;
    ++folded;
  }
  if (!folded)
    return 0;

  // Keep the other steps; find the kernels still called.
  google::protobuf::RepeatedPtrField<proto::Step> kept;
  std::vector<bool> used(static_cast<size_t>(exe.kernels_size()), false);
  for (int s = 0; s < exe.steps_size(); ++s) {
    if (drop[static_cast<size_t>(s)])
      continue;
    if (exe.steps(s).has_kernel_call())
      used[exe.steps(s).kernel_call().kernel()] = true;
    *kept.Add() = exe.steps(s);
  }
  exe.mutable_steps()->Swap(&kept);

  std::vector<uint32_t> newIndex(used.size(), 0);
  google::protobuf::RepeatedPtrField<proto::Kernel> kernels;
  std::vector<KernelEntry> entries;
  ModuleOp module = *p.kernels;
  for (size_t k = 0; k < used.size(); ++k) {
    if (used[k]) {
      newIndex[k] = static_cast<uint32_t>(entries.size());
      *kernels.Add() = exe.kernels(static_cast<int>(k));
      entries.push_back(p.entries[k]);
      continue;
    }
    for (const std::string &name : {p.entries[k].function, p.entries[k].symbol})
      if (auto fn = module.lookupSymbol<func::FuncOp>(name))
        fn.erase();
  }
  exe.mutable_kernels()->Swap(&kernels);
  p.entries = std::move(entries);
  for (proto::Step &step : *exe.mutable_steps())
    if (step.has_kernel_call())
      step.mutable_kernel_call()->set_kernel(newIndex[step.kernel_call().kernel()]);
  return folded;
}

} // namespace weft::codegen
