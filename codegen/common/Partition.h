//===- Partition.h - a weft program split into buffers, steps, kernels -*- C++ -*-===//
//
// This file declares the partition of a weft program into what an Executable
// runs, shared by the CPU and CUDA code generators: every value gets a
// buffer, every op becomes a step (a library GEMM, a kernel call, or nothing
// for reshapes and constants), and each distinct kernel op becomes a function
// in a separate module that the target's pipeline compiles. (Not to be
// confused with SPMD partitioning across devices, which happens on the graph.)
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_PARTITION_H
#define WEFT_CODEGEN_COMMON_PARTITION_H

#include "runtime/executable.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>
#include <vector>

#include <optional>

namespace weft::codegen {

/// One generated kernel: the exported packed entry and the function it calls.
struct KernelEntry {
  std::string symbol;   ///< "weft_k3": extern "C" void weft_k3(void **args)
  std::string function; ///< "weft_k3_add": takes one pointer per buffer
  unsigned numArgs = 0; ///< buffers it takes: operands, then the results
  /// How many of the last arguments it writes (the others it only reads).
  unsigned numOutputs = 1;
  /// Whether its arguments are marked noalias. False for the kernels of
  /// Elementwise ops: the memory plan may give their result the storage of
  /// an operand (in place).
  bool noAlias = true;
  /// For a kernel that is not noAlias, once the arena is laid out
  /// (assignArenaOffsets): per argument, the lowest-numbered argument that
  /// every call of the kernel gives exactly the same storage (itself when
  /// none), provided all calls agree and no other arguments share a byte;
  /// empty when they do not. The CPU's object emitter then lets such
  /// arguments use one pointer and marks all noalias, so the loops vectorize
  /// (an in-place AdamW update ran scalar: LLVM could neither prove its
  /// outputs apart from its inputs nor check 30 pairs at run time).
  std::vector<unsigned> sharedArgs;
};

/// A program split into steps: the Executable without machine code, and the
/// module of kernel functions (on memrefs) still to be compiled for the target.
struct KernelPartition {
  proto::Executable executable;
  mlir::OwningOpRef<mlir::ModuleOp> kernels;
  std::vector<KernelEntry> entries;
  /// The function partitioned.
  mlir::func::FuncOp main;
  /// Per buffer (by id): the value of `main` it holds; null for the copies
  /// that give a returned argument or constant its own OUTPUT buffer.
  std::vector<mlir::Value> bufferValues;
};

/// What the target's GEMM library runs.
struct PartitionOptions {
  /// bf16 and f16 contractions (operands and result of one type, f32
  /// accumulation) become Gemm steps too, as f32 ones always do; without it
  /// they are kernels. Both targets set it: cuBLASLt on the GPU, oneDNN (or
  /// f32 BLAS on widened operands) on the CPU.
  bool narrowFloatGemms = false;
  /// Columns per parallel iteration of a weft.scatter_add kernel (each
  /// iteration adds every update row's slice of those columns, in order, so
  /// the sums are deterministic): the CPU keeps a vector-friendly 64, a GPU
  /// takes 1 (a thread per column).
  int64_t scatterColumnBlock = 64;
  /// weft.matmul_q8 (int8 weights, per-channel scales) becomes a Gemm step
  /// with b_dtype I8, which the CPU runtime runs (runtime/cpu/Gemv.h); a
  /// target without it refuses the op with an error at its location.
  bool int8WeightGemms = true;
};

/// Splits func.func @main of `module` into buffers, steps and kernels.
/// Unsupported ops or types are reported at their location.
mlir::FailureOr<KernelPartition> partitionIntoKernels(mlir::ModuleOp module,
                                              const PartitionOptions &options = {});

/// Places every buffer that lives in the arena (INPUT, OUTPUT, TEMPORARY,
/// CONSTANT; not aliases, not parameters) and sets arena_size and
/// arena_alignment (at least `minAlignment`):
///  - when `partition.main` carries a memory plan (weft-plan-memory), at the
///    plan's offsets; buffers the plan does not know (the copies made for
///    returned arguments) go after the plan's arena;
///  - otherwise each at its own offset, in buffer order (no reuse).
/// Then checks what the runtime relies on: no GEMM output overlaps its A or
/// B, and no kernel output overlaps an input unless it is the same bytes of
/// a kernel that allows it (Elementwise, not noalias). A stale or broken plan
/// is an error at the op concerned.
mlir::LogicalResult assignArenaOffsets(KernelPartition &partition, uint64_t minAlignment);

/// The buffer dtype of an element type (f32, f16, bf16, i32, i64, i1), or
/// nullopt for a type no buffer can hold.
std::optional<proto::DType> bufferDType(mlir::Type type);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_PARTITION_H
