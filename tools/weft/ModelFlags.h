//===- ModelFlags.h - the flags the weft subcommands share ------*- C++ -*-===//
//
// This file declares the flag groups more than one subcommand takes, each
// declared once: ModelFlags (which model: the positional MODEL, --config,
// --preset, --batch, --seq) and CompileFlags (how to compile it: --target,
// --precision, --no-cache, --no-fuse, --dump-ir, --compile-to), RuntimeFlags
// (--memory) and ParallelFlags (how it spreads over devices: --mesh,
// --strategy, --zero). A command
// declares a group into its FlagSet, parses, then reads the group's fields.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_MODELFLAGS_H
#define WEFT_TOOLS_WEFT_MODELFLAGS_H

#include "compiler/Compile.h"
#include "frontend/Sharding.h"
#include "frontend/nn/ParallelPlan.h"
#include "models/catalog/ModelCatalog.h"

#include "runtime/Executor.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace weft::cli {

class FlagSet;

/// Which model a subcommand works on. The factories give each subcommand
/// its defaults; the fields hold the parsed values.
struct ModelFlags {
  /// `weft compile`: a catalog model or FILE.mlir, one sequence of 128.
  static ModelFlags forCompile();
  /// `weft run`: as compile, or FILE.wexe; --seq defaults to the --tokens.
  static ModelFlags forRun();
  /// `weft train`: GPT-2, the tiny preset, 8 rows of 64 tokens per step.
  static ModelFlags forTrain();
  /// `weft estimate`: a catalog model, the small preset, one row of the
  /// model's whole context (seq 0 until the command resolves it).
  static ModelFlags forEstimate();

  /// Declares the positional MODEL (required), --config, --preset, --batch
  /// and --seq in a "Model" section.
  void declare(FlagSet &flags);
  /// The catalog request (ModelCatalog.h) for these values.
  ModelRequest request() const;

  /// The positional model (a catalog name or a file).
  std::string model;
  /// GPT-2: a Hugging Face config.json, else a preset ("" = defaultPreset).
  std::string configPath, preset;
  int64_t batch = 1;
  /// GPT-2: tokens per sequence; 0 leaves it to the catalog (128).
  int64_t seq = 0;

private:
  /// What the positional argument may be, for the help; the error without it.
  std::string modelHelp, missingModel;
  /// The preset without --config and --preset ("" = the catalog's, small).
  std::string defaultPreset;
  /// The help's default of --seq, when seq's value does not say it.
  std::string seqDefault;
};

/// Declares --lm-head int8|f32 into `lmHead` (`weft run/compile/generate`,
/// `weft estimate`, `weft train`) in the current section.
void declareLmHeadFlag(FlagSet &flags, std::string *lmHead);

/// Checks --lm-head against --quantize (`quantize`: none, int8-weight or
/// llm-int8) for serving or, with `training`, a training step over an int8
/// base (whose head stays f32): throws a FlagError naming the flags.
void checkLmHeadFlag(const std::string &quantize, const std::string &lmHead, bool training);

/// How a subcommand compiles: the fields hold the parsed values.
struct CompileFlags {
  /// Declares --target, --precision, --no-cache, --no-fuse, --dump-ir and
  /// --compile-to (`weft compile`, `weft run`) in a "Compile" section.
  void declare(FlagSet &flags);
  /// Declares the ones `weft train` takes: --precision, --recompute,
  /// --no-cache and --no-fuse, in the "Compile" section.
  void declareForTraining(FlagSet &flags);
  /// Declares --quantize none|int8-weight|llm-int8, --llm-int8-threshold and
  /// --lm-head int8|f32 (the inference commands: `weft run`, `weft
  /// generate`) in the "Compile" section.
  void declareQuantize(FlagSet &flags);
  /// The compile options these flags select (with `train`: the training
  /// step's), for pass managers configured by `configurePassManager`.
  CompileOptions options(const std::optional<TrainOptions> &train = std::nullopt) const;

  std::string target = "cpu";
  /// The training step's compute precision: f32, bf16 or f16.
  std::string precision = "f32";
  /// Gradient checkpointing of the training step: none or blocks
  /// (TrainOptions::recompute).
  std::string recompute = "none";
  std::string dumpIrDir, compileTo;
  bool noCache = false, noFuse = false;
  /// --quantize: "none", "int8-weight" or "llm-int8" (CompileOptions::quantize).
  std::string quantize = "none";
  /// --llm-int8-threshold (CompileOptions::llmInt8Threshold).
  double llmInt8Threshold = 6.0;
  /// --lm-head: "int8", "f32", or "" for the mode's default
  /// (CompileOptions::lmHead).
  std::string lmHead;
  /// Set by the command for CompileOptions::configurePassManager.
  std::function<void(mlir::PassManager &)> configurePassManager;
};

/// How a subcommand runs what it compiled.
struct RuntimeFlags {
  /// Declares --memory in a "Run" section.
  void declare(FlagSet &flags);
  /// The executor options these flags select.
  rt::ExecutorOptions options() const;

  /// --memory in GiB; 0: the device's free memory.
  double memoryGiB = 0;
};

/// How a subcommand spreads the model over a mesh of devices.
struct ParallelFlags {
  /// Declares --mesh, --strategy and --zero in a "Parallel" section.
  void declare(FlagSet &flags);
  /// After parsing: parses the mesh, resolves the strategy (the mesh's
  /// default when not named) into `plan` and checks --zero (`training`: the
  /// command builds a training step). Throws FlagError.
  void resolve(bool training);
  /// Puts the mesh and plan into a catalog request.
  void apply(ModelRequest &request) const;
  /// With --mesh auto: the search's options (devices, --device-kind, and
  /// --memory as the budget); otherwise none.
  std::optional<AutoShardOptions> autoShard() const;
  /// The number of processes the run needs: the mesh's, --mesh auto's devices, or the plan's.
  int64_t ranks() const { return savedPlan ? savedPlan->devices : autoMesh ? devices : mesh.size(); }
  /// How the ranks are described in errors: "--mesh dp=2", "--mesh auto", "--plan FILE".
  std::string ranksFlag() const;

  /// As given: "dp=2,tp=2", a strategy name, the ZeRO level.
  std::string meshText, strategy;
  int64_t zero = 0;
  /// --mesh auto: the device count (--devices, else the ranks mpirun
  /// started, else 1), the machine (--device-kind) and the budget.
  bool autoMesh = false;
  int64_t devices = 0;
  std::string deviceKind = "cpu";
  double memoryGiB = 0;
  /// --plan FILE: a plan `weft plan -o` wrote, read by resolve().
  std::string planPath;
  std::optional<SavedPlan> savedPlan;
  /// Resolved by resolve().
  MeshSpec mesh;
  nn::ParallelPlan plan;
};

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_MODELFLAGS_H
