//===- ModelFlags.cpp - the flags the weft subcommands share --------------===//
//
// This file implements ModelFlags, CompileFlags, RuntimeFlags and
// ParallelFlags (see ModelFlags.h): their declarations, per-subcommand
// defaults, checks and what they select.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/ModelFlags.h"

#include "tools/weft/Flags.h"

#include "compiler/Phases.h"
#include "cost/ClusterSpec.h"
#include "runtime/comm/MpiEnvironment.h"
#include "frontend/DslError.h"
#include "models/catalog/Strategies.h"

#include <stdexcept>

namespace weft::cli {

ModelFlags ModelFlags::forCompile() {
  ModelFlags m;
  m.modelHelp =
      std::string(modelNames()) + " (the catalog), or FILE.mlir (a weft module with @main)";
  m.missingModel = std::string("name the model to compile: ") + modelNames() + " or FILE.mlir";
  m.seqDefault = "128";
  return m;
}

ModelFlags ModelFlags::forRun() {
  ModelFlags m = forCompile();
  m.modelHelp = std::string(modelNames()) + " (the catalog), FILE.mlir (a weft module with @main) "
                                            "or FILE.wexe (compiled)";
  m.missingModel =
      std::string("name the model to run: ") + modelNames() + ", FILE.mlir or FILE.wexe";
  m.seqDefault = "the number of --tokens, else 128";
  return m;
}

ModelFlags ModelFlags::forTrain() {
  ModelFlags m;
  m.modelHelp = "gpt2 or llama (the models `weft train` trains)";
  m.missingModel = "name the model to train: weft train gpt2|llama ...";
  m.defaultPreset = "tiny";
  m.batch = 8;
  m.seq = 64;
  return m;
}

ModelFlags ModelFlags::forEstimate() {
  ModelFlags m;
  m.modelHelp = std::string(modelNames()) + " (the catalog)";
  m.missingModel = std::string("name the model to estimate: ") + modelNames();
  m.seqDefault = "the model's context length";
  return m;
}

void ModelFlags::declare(FlagSet &flags) {
  flags.section("Model");
  flags.addPositional("MODEL", modelHelp, &model).required(missingModel);
  flags.addString("config", "FILE", "gpt2, llama: a Hugging Face config.json", &configPath);
  flags.addString("preset", "NAME", "without --config: gpt2 small (124M) or tiny; llama tiny", &preset)
      .showDefault(defaultPreset.empty() ? "small" : defaultPreset);
  flags.addInteger("batch", "B", "sequences (rows) per batch", &batch, 1);
  // Not given (0 for compile and run), the length is the catalog's; given,
  // it is at least 1.
  flags.addInteger("seq", "T", "gpt2, llama: tokens per sequence", &seq, 1)
      .showDefault(seqDefault.empty() ? std::to_string(seq) : seqDefault);
}

ModelRequest ModelFlags::request() const {
  ModelRequest r;
  r.name = model;
  r.configPath = configPath;
  r.preset = preset.empty() && configPath.empty() ? defaultPreset : preset;
  r.batch = int(batch);
  r.seq = int(seq);
  return r;
}

void CompileFlags::declare(FlagSet &flags) {
  flags.section("Compile");
  flags.addString("target", "NAME", "cpu or cuda (an sm_90 cubin; runs on a GPU)", &target);
  declareForTraining(flags);
  flags.addString("dump-ir", "DIR", "write the IR after every pass to DIR/NN-<pass>.mlir",
                  &dumpIrDir);
  flags.addString("compile-to", "PHASE",
                  "stop after PHASE and write its IR (to -o, else stdout) instead of an "
                  "executable; cpu: " +
                      phaseNames("cpu") + "; cuda: " + phaseNames("cuda"),
                  &compileTo);
}

void CompileFlags::declareForTraining(FlagSet &flags) {
  flags.section("Compile");
  flags
      .addString("precision", "P",
                 "compute precision: f32, bf16 or f16. A training step keeps f32 master "
                 "weights, reductions and loss (f16 adds dynamic loss scaling, skipping a step "
                 "on inf/NaN gradients); a forward program holds the weights that only matmuls "
                 "read in it (norms, softmax and the embedding table stay f32)",
                 &precision)
      .oneOf({"f32", "bf16", "f16"});
  flags
      .addString("recompute", "MODE",
                 "gradient checkpointing: blocks keeps only each transformer block's input for "
                 "the backward pass and recomputes the rest there (less activation memory, more "
                 "FLOPs, the same gradients); none keeps every activation; compile: with --train",
                 &recompute)
      .oneOf({"none", "blocks"});
  flags.addSwitch("no-cache", "neither read nor write the compile cache", &noCache);
  flags.addSwitch("no-fuse",
                  "skip the fusion passes (e.g. to compare gradients with another framework)",
                  &noFuse);
}

void CompileFlags::declareQuantize(FlagSet &flags) {
  flags.section("Compile");
  flags
      .addString("quantize", "MODE",
                 "weight quantization: none; int8-weight (the matmul weights stored as "
                 "int8 with one f32 scale per output channel, the activations quantized to int8 per "
                 "row as the products run, int8 x int8 sums); or llm-int8 (LLM.int8(), Dettmers et "
                 "al. 2022: int8-weight, but the activation columns with some |x| >= "
                 "--llm-int8-threshold stay f32 and multiply the dequantized weights). The LM head "
                 "as --lm-head says. On cuda each product casts its int8 weight to an f32 temporary "
                 "for a cuBLASLt GEMM (the same results; the weights stay int8 in memory)",
                 &quantize)
      .oneOf({"none", "int8-weight", "llm-int8"});
  flags.addNumber("llm-int8-threshold", "T",
                  "--quantize llm-int8: an activation column with some |x| >= T is an outlier "
                  "feature, computed in f32 (6.0 is LLM.int8()'s value)",
                  &llmInt8Threshold);
  declareLmHeadFlag(flags, &lmHead);
}

void declareLmHeadFlag(FlagSet &flags, std::string *lmHead) {
  flags
      .addString("lm-head", "P",
                 "with --quantize, the LM head's product: int8 or f32. Default: int8 with int8-weight "
                 "(the fast serving mode, as ggml's q8_0; a tied embedding table, GPT-2's wte, is then "
                 "held once, in int8, its lookup dequantizing the rows it reads), f32 with llm-int8 (as "
                 "Hugging Face). A training step over an int8 base (LoRA) keeps it f32",
                 lmHead)
      .oneOf({"int8", "f32"});
}

void checkLmHeadFlag(const std::string &quantize, const std::string &lmHead, bool training) {
  if (lmHead.empty())
    return;
  if (quantize == "none")
    throw FlagError("--lm-head " + lmHead + " sets the LM head of a quantized model: add --quantize "
                    "int8-weight or --quantize llm-int8");
  if (training && lmHead == "int8")
    throw FlagError("--lm-head int8: a training step over an int8 base (LoRA) keeps the LM head f32; "
                    "--lm-head int8 is for serving (weft run, weft generate, weft estimate --infer)");
}

CompileOptions CompileFlags::options(const std::optional<TrainOptions> &train) const {
  checkLmHeadFlag(quantize, lmHead, /*training=*/train.has_value());
  if (llmInt8Threshold != 6.0 && quantize != "llm-int8")
    throw FlagError("--llm-int8-threshold applies to --quantize llm-int8, not --quantize " + quantize);
  if (!(llmInt8Threshold > 0.0))
    throw FlagError("--llm-int8-threshold must be positive, got " + std::to_string(llmInt8Threshold));
  CompileOptions o;
  o.train = train;
  o.target = target;
  o.dumpIrDir = dumpIrDir;
  o.compileTo = compileTo;
  o.useCache = !noCache;
  o.fuse = !noFuse;
  o.quantize = quantize == "none" ? "" : quantize;
  if (!train) // a forward program: weights held and matmuls run in this precision
    o.precision = precision;
  o.llmInt8Threshold = llmInt8Threshold;
  o.lmHead = lmHead;
  o.configurePassManager = configurePassManager;
  return o;
}

void RuntimeFlags::declare(FlagSet &flags) {
  flags.section("Run");
  flags
      .addNumber("memory", "GB",
                 "device memory the program may take, in GiB; a program that needs more (arena, "
                 "parameters, optimizer state) stops before allocating. Default: what the device "
                 "has free",
                 &memoryGiB)
      .showDefault("");
}

rt::ExecutorOptions RuntimeFlags::options() const {
  if (!(memoryGiB >= 0) || memoryGiB > 1e9)
    throw FlagError("--memory must be a size in GiB between 0 and 1e9, got " +
                    std::to_string(memoryGiB));
  rt::ExecutorOptions o;
  o.memoryLimit = uint64_t(memoryGiB * 1024 * 1024 * 1024);
  return o;
}

void ParallelFlags::declare(FlagSet &flags) {
  flags.section("Parallel");
  flags.addString("mesh", "AXES",
                  "the device mesh, e.g. dp=2,tp=2 (named axes and sizes, major to minor); the "
                  "compile partitions the program for it (default: one device); auto: the compile "
                  "chooses the mesh and how every op is split (weft-auto-shard)",
                  &meshText);
  flags.addInteger("devices", "N",
                   "with --mesh auto: the number of devices (default: the ranks mpirun started)", &devices, 1,
                   1 << 20);
  flags.addString("device-kind", "KIND",
                  "with --mesh auto: the machine the costs are for: h100, h200, a100, cpu (default) or a "
                  "JSON description file (cost/devices/*.json)",
                  &deviceKind);
  flags.addString("plan", "FILE",
                  "run the plan `weft plan ... -o FILE` wrote (its mesh and layouts; needs as many ranks as "
                  "its devices)",
                  &planPath);
  flags.addString("strategy", "NAME",
                  std::string("how the model splits over the mesh: ") + strategyNames() +
                      " (needs --mesh; default from the mesh's axes: dp, tp or dp,tp)",
                  &strategy);
  flags.addInteger("zero", "LEVEL",
                   "training: ZeRO over the mesh axis dp: 1 shards the optimizer state, 2 also "
                   "the gradients, 3 also the parameters (needs a mesh with dp)",
                   &zero, 0, 3);
}

void ParallelFlags::resolve(bool training) {
  if (!planPath.empty()) {
    if (!meshText.empty() || (!strategy.empty() && strategy != "none") || zero > 0 || devices > 0)
      throw FlagError("--plan gives the mesh and every layout; it does not go with --mesh, --strategy, --zero or "
                      "--devices");
    std::string error;
    savedPlan = SavedPlan::read(planPath, error);
    if (!savedPlan)
      throw FlagError("--plan: " + error);
    return;
  }
  if (meshText == "auto") {
    if (!strategy.empty() && strategy != "none")
      throw FlagError("--strategy " + strategy + " and --mesh auto: the search chooses how the model splits; "
                      "give one or the other");
    if (zero > 0)
      throw FlagError("--zero and --mesh auto: the search chooses how the optimizer state is split");
    autoMesh = true;
    if (devices == 0)
      devices = rt::MpiEnvironment::worldSizeFromEnvironment();
    if (rt::StatusOr<cost::ClusterSpec> spec = cost::loadClusterSpec(deviceKind); !spec.isOk())
      throw FlagError("--device-kind: " + spec.status().message());
    return;
  }
  if (devices > 0)
    throw FlagError("--devices applies to --mesh auto; a mesh names its own devices");
  if (meshText.empty()) {
    if (!strategy.empty() && strategy != "none")
      throw FlagError("--strategy " + strategy + " needs --mesh (e.g. --mesh dp=2,tp=2)");
    if (zero > 0)
      throw FlagError("--zero " + std::to_string(zero) + " needs --mesh with a dp axis (e.g. "
                                                         "--mesh dp=2)");
    return;
  }
  try {
    mesh = MeshSpec::parse(meshText);
    plan = strategyPlan(strategy.empty() ? defaultStrategy(mesh) : strategy, mesh);
  } catch (const DslError &e) {
    throw FlagError(std::string("--mesh: ") + e.what());
  } catch (const std::invalid_argument &e) {
    throw FlagError(e.what());
  }
  if (zero > 0 && !training)
    throw FlagError("--zero applies to training (weft train, or weft compile --train)");
  if (zero > 0 && !mesh.has("dp"))
    throw FlagError("--zero shards over the mesh axis dp; the mesh " + mesh.str() + " has none");
}

std::string ParallelFlags::ranksFlag() const {
  return savedPlan ? "--plan " + planPath : autoMesh ? std::string("--mesh auto") : "--mesh " + mesh.str();
}

std::optional<AutoShardOptions> ParallelFlags::autoShard() const {
  if (!autoMesh)
    return std::nullopt;
  AutoShardOptions o;
  o.devices = devices;
  o.cluster = deviceKind;
  o.memoryGib = memoryGiB;
  return o;
}

void ParallelFlags::apply(ModelRequest &request) const {
  request.mesh = mesh;
  request.plan = plan;
}

} // namespace weft::cli
