//===- Compile.h - the single-call compile API ------------------*- C++ -*-===//
//
// This file declares weft::compile: one call that takes a weft module (as the
// DSL builds it), runs the graph passes and the code generator for a target,
// and returns an Executable — from the compile cache when the same program was
// compiled before with the same options by the same compiler.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_COMPILE_H
#define WEFT_COMPILER_COMPILE_H

#include "compiler/SavedPlan.h"
#include "compiler/TrainOptions.h"
#include "runtime/Executable.h"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace mlir {
class ModuleOp;
class PassManager;
} // namespace mlir

namespace weft {

/// `--mesh auto`: weft-auto-shard chooses the mesh of `devices` devices and
/// every op's sharding for a machine of kind `cluster` (cost/devices/*.json
/// or a file), the parameters and optimizer state within `memoryGib` per
/// device (0: the device's memory).
struct AutoShardOptions {
  int64_t devices = 0;
  std::string cluster = "cpu";
  double memoryGib = 0;
  /// Also partition data-parallel baselines and keep the cheapest program.
  bool verify = true;
  /// The arena alignment the budget is checked with (compile() sets it from
  /// the target: 64 on the CPU, 256 on CUDA).
  int64_t alignment = 64;
  /// For the cache key and reports: "devices=4 cluster=cpu memory-gib=0".
  std::string describe() const;
};

/// What to compile for and how to show the work.
struct CompileOptions {
  /// "cpu" (x86-64 shared object) or "cuda" (an sm_90 cubin; compiling needs
  /// no GPU, running needs one).
  std::string target = "cpu";
  /// Stop after this phase (see compilePhases() in compiler/Phases.h) and
  /// return its IR instead of an Executable; empty compiles to the end.
  std::string compileTo;
  /// When set, every pass of the compile (the training passes included)
  /// writes the module after it to DIR/NN-<pass>.mlir.
  std::string dumpIrDir;
  /// Run the fusion passes (LayerNorm, matmul epilogues, batch_matmul + add).
  bool fuse = true;
  /// Weight quantization (weft-quantize-weights, before fusion): "" keeps
  /// every weight f32; "int8-weight" stores the matmul weights (the LM head
  /// as `lmHead` says) as int8 with per-output-channel scales and quantizes the
  /// activations per row when the products run; "llm-int8" is LLM.int8()
  /// (the same, with the activation columns holding an |x| >=
  /// llmInt8Threshold kept f32). On cpu the products run fused int8
  /// kernels; on cuda weft-expand-matmul-q8 rewrites them as a cast of the
  /// int8 weight, a cuBLASLt f32 GEMM and elementwise kernels
  /// (expandMatmulQ8).
  std::string quantize;
  /// Rewrite every weft.matmul_q8 with weft-expand-matmul-q8 (plain weft ops)
  /// before fusion: unset means on for cuda, off for cpu (its int8 kernels);
  /// true forces it on the cpu (tests compare the expansion there).
  std::optional<bool> expandMatmulQ8;
  /// The precision a forward program (no `train`) computes and holds its
  /// weights in: "f32", or "bf16" / "f16" (weft-mixed-precision with
  /// store-parameters first in the graph pipeline: matmuls and the math
  /// between them in the low type, reductions, softmax and norms in f32, the
  /// weights that only matmuls and gathers read stored low, a tied embedding
  /// once). A training step's
  /// precision is TrainOptions::precision.
  std::string precision = "f32";
  /// llm-int8's outlier threshold.
  double llmInt8Threshold = 6.0;
  /// With `quantize`, a served model's LM head: "int8" (a tied embedding
  /// table is then held once, in int8: its gather dequantizes the rows it
  /// reads), "f32", or "" for the mode's default (int8-weight: int8, as
  /// ggml's q8_0; llm-int8: f32, as Hugging Face). A training step over an
  /// int8 base keeps it f32.
  std::string lmHead;
  /// When set, the module is a forward program with a scalar loss and the
  /// compile builds its training step first (compiler/TrainStep.h).
  std::optional<TrainOptions> train;
  /// When set, the module has no mesh: the parallel phase searches one.
  std::optional<AutoShardOptions> autoShard;
  /// When set, the module has no mesh: the parallel phase applies this plan
  /// (`weft plan -o`), after the training step is built.
  std::optional<SavedPlan> plan;
  /// Look up and store results in the compile cache.
  bool useCache = true;
  /// The cache folder; empty means $WEFT_CACHE_DIR, else
  /// $XDG_CACHE_HOME/weft, else ~/.cache/weft.
  std::string cacheDir;
  /// Called on every pass manager the compile creates (IR printing, timing).
  std::function<void(mlir::PassManager &)> configurePassManager;
};

/// What a compile produced.
struct CompileResult {
  /// The program, unless `compileTo` stopped before code generation ended.
  std::optional<rt::Executable> executable;
  /// The module printed at `compileTo` (empty otherwise).
  std::string ir;
  /// True when the Executable came from the cache (no pass ran).
  bool cacheHit = false;
  /// The cache file used or written (empty with useCache off).
  std::string cachePath;
  /// Wall time of the whole call.
  double seconds = 0;
};

/// Thrown when compilation fails; what() holds every diagnostic with its
/// location.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Compiles `module` (left unchanged: the compile works on a clone).
CompileResult compile(mlir::ModuleOp module, const CompileOptions &options);

/// The cache folder `options` selects.
std::string compileCacheDir(const CompileOptions &options);

} // namespace weft

#endif // WEFT_COMPILER_COMPILE_H
