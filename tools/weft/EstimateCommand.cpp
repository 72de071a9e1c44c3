//===- EstimateCommand.cpp - `weft estimate` ------------------------------===//
//
// This file implements `weft estimate MODEL [--config C.json] [--batch B
// --seq T] [--train|--infer] [--precision P] [--optimizer adamw|sgd]
// [--devices N | --mesh SPEC] [--zero L] [--micro-batches K] [--new-tokens N] [--memory GiB]`:
// one device's memory for training or serving the model, split into
// weights, gradients, optimizer state, activations at the peak, key/value
// cache, inputs and workspace, from the compiler's own graph and memory plan
// (compiler/MemoryEstimate.h: the graph phases only, no code generation);
// with --memory, the largest batch that fits.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Flags.h"
#include "tools/weft/ModelFlags.h"
#include "tools/weft/ModelSource.h"

#include "compiler/MemoryEstimate.h"
#include "frontend/LoraConfig.h"
#include "models/catalog/LoraAdapter.h"
#include "models/Gpt2.h"
#include "models/catalog/ModelCatalog.h"
#include "runtime/MemoryNeeds.h"

#include "mlir/IR/BuiltinOps.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>

namespace weft::cli {
namespace {

struct EstimateFlags {
  ModelFlags model = ModelFlags::forEstimate();
  ParallelFlags parallel;
  std::string precision = "f32", optimizer = "adamw", target = "cpu", recompute = "none", quantize = "none", lora;
  bool train = false, infer = false, noFuse = false;
  /// --lm-head: int8, f32 or "" (the mode's default).
  std::string lmHead;
  double momentum = 0, memoryGiB = 0;
  int64_t newTokens = 0, top = 0, microBatches = 1;
  /// --lora parsed (r = 0: none).
  LoraConfig loraConfig;
  FlagSet flags{"estimate", kEstimateUsage,
                "Prints one device's memory for training or serving a model (weights, gradients, optimizer "
                "state, activations at the peak, key/value cache, workspace) from the compiler's own graph "
                "and memory plan; compiles no code and allocates nothing. With --memory: the largest batch "
                "that fits."};

  EstimateFlags() {
    model.declare(flags);
    flags.section("Estimate");
    flags.addSwitch("train", "a training step (the default): forward, backward and the optimizer update", &train);
    flags.addSwitch("infer", "serving: the prompt's prefill with its key/value cache (gpt2), else the forward pass",
                    &infer);
    flags.addString("precision", "P",
                    "f32 (default), bf16 or f16: training computes in it with f32 master weights; serving "
                    "holds the weights that only feed low-precision math in it",
                    &precision);
    flags.addString("optimizer", "NAME", "training: adamw (default: two f32 moments per parameter) or sgd",
                    &optimizer);
    flags.addNumber("momentum", "M", "sgd: momentum (> 0 keeps one buffer per parameter)", &momentum);
    flags.addString("recompute", "MODE",
                    "training: none (default) or blocks (gradient checkpointing: each block's activations are "
                    "recomputed in the backward pass from its input)",
                    &recompute);
    flags.addString("quantize", "MODE",
                    "serving: none (default), int8-weight or llm-int8 (per-channel int8 weights; the LM head as "
                    "--lm-head says; an untied embedding table stays f32)",
                    &quantize);
    declareLmHeadFlag(flags, &lmHead);
    flags.addString("lora", "SPEC",
                    "gpt2 training: LoRA adapters only, the base frozen: r=8,alpha=16,dropout=0.05,targets=c_attn",
                    &lora);
    flags.addInteger("new-tokens", "N", "serving: tokens generated after the prompt (the cache holds seq + N)",
                     &newTokens, 0, 1 << 24);
    flags.addInteger("micro-batches", "K",
                     "training: gradient accumulation, the step as K micro-batches of batch / K (the micro-step's "
                     "activations, the accumulators, and the update's arena beside it)",
                     &microBatches, 1, 1 << 20);
    flags.addString("target", "T", "cpu (default, 64-byte arena alignment) or cuda (256)", &target);
    flags.addSwitch("no-fuse", "plan the unfused program", &noFuse);
    flags.addInteger("top", "N", "also list the N largest buffers live at the peak, with the op and model line",
                     &top, 0, 1 << 20);
    flags.addNumber("memory", "GiB", "also find the largest batch whose total fits this per-device memory",
                    &memoryGiB);
    parallel.declare(flags);
  }
};

/// The banner's note on the LM head of a quantized estimate: " (LM head
/// int8|f32)", the mode's default when --lm-head is not given; a training
/// step over an int8 base keeps it f32.
std::string lmHeadNote(const EstimateFlags &f) {
  const std::string head = !f.infer ? "f32" : !f.lmHead.empty() ? f.lmHead : f.quantize == "int8-weight" ? "int8" : "f32";
  return " (LM head " + head + ")";
}

constexpr double kGiB = double(1 << 30);

/// "474.70 MiB", "-3.00 KiB".
std::string bytes(double b) {
  return (b < 0 ? "-" : "") + rt::formatBytes(uint64_t(b < 0 ? -b : b));
}

/// The estimate of one batch size.
struct Estimate {
  /// With micro-batches: the micro-step's breakdown, with the apply step's
  /// optimizer state (moments and accumulators).
  MemoryBreakdown memory;
  /// With micro-batches: the apply step's arena (allocated beside the
  /// micro-step's); else 0.
  int64_t applyArena = 0;
  int64_t total() const { return memory.total() + applyArena; }
  std::vector<EstimatedBuffer> largest;
  int64_t parameters = 0; // elements, the whole model's
  double seconds = 0;
};

class Estimator {
public:
  explicit Estimator(EstimateFlags &f) : f_(f) {}

  /// One device's memory at `batch` rows.
  Estimate at(int64_t batch) const {
    auto start = std::chrono::steady_clock::now();
    ModelFlags model = f_.model;
    model.batch = batch / f_.microBatches; // one micro-batch's program
    CompileFlags compile;
    compile.precision = f_.infer ? "f32" : f_.precision;
    compile.recompute = f_.recompute;
    EstimateOptions options;
    options.target = f_.target;
    options.fuse = !f_.noFuse;
    std::unique_ptr<ModelSource> src;
    if (f_.infer && model.model == "gpt2") {
      // Serving GPT-2: the prefill of the prompt, with the cache of every layer.
      ModelRequest r = model.request();
      f_.parallel.apply(r);
      src = std::make_unique<ModelSource>();
      src->program.emplace(models::buildGpt2Prefill(gpt2ConfigFor(r), int(r.batch), int(r.seq),
                                                    int(r.seq + f_.newTokens), r.plan, r.mesh));
      src->plan = f_.parallel.savedPlan;
    } else {
      src = loadModelSource(model, compile, f_.parallel, !f_.infer, f_.loraConfig);
    }
    if (src->train) {
      src->train->optimizer = f_.optimizer;
      src->train->momentum = f_.momentum;
      src->train->microBatches = int(f_.microBatches);
      if (f_.microBatches > 1)
        src->train->part = StepPart::MicroStep;
      options.train = src->train;
    } else {
      options.inferencePrecision = f_.precision;
    }
    options.quantize = f_.quantize == "none" ? "" : f_.quantize;
    options.lmHead = f_.lmHead;
    Estimate e;
    for (const ParamSpec &p : src->program->params()) {
      int64_t n = 1;
      for (int64_t d : p.shape)
        n *= d;
      e.parameters += n;
    }
    // A saved plan is applied by the compile's parallel phase.
    mlir::ModuleOp module = src->module();
    if (src->plan) {
      std::string error = src->plan->applyTo(module);
      if (!error.empty())
        throw std::runtime_error(error);
    }
    MemoryEstimate planned = estimateMemory(module, options, f_.top);
    e.memory = planned.memory;
    e.largest = std::move(planned.largest);
    if (f_.microBatches > 1) { // the update, compiled beside the micro-step
      options.train->part = StepPart::ApplyStep;
      MemoryEstimate apply = estimateMemory(module, options, 0);
      e.memory.optimizerState = apply.memory.optimizerState;
      e.applyArena = apply.memory.arena;
    }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return e;
  }

private:
  EstimateFlags &f_;
};

void printEstimate(const EstimateFlags &f, const Estimate &e, int64_t devices) {
  const MemoryBreakdown &m = e.memory;
  std::printf("weft estimate: %s%s, %s, batch %lld%s x seq %lld%s, %s%s, %lld device%s%s\n", f.model.model.c_str(),
              f.model.configPath.empty() ? "" : (" (" + f.model.configPath + ")").c_str(),
              f.infer ? "serving" : "training", (long long)f.model.batch,
              f.microBatches > 1 ? (" (" + std::to_string(f.microBatches) + " micro-batches of " +
                                    std::to_string(f.model.batch / f.microBatches) + ")").c_str()
                                 : "",
              (long long)f.model.seq,
              f.infer && f.newTokens ? (" + " + std::to_string(f.newTokens) + " new tokens").c_str() : "",
              (f.precision + (f.quantize == "none" ? "" : ", " + f.quantize + lmHeadNote(f))).c_str(),
              f.infer ? "" : (", " + f.optimizer + (f.recompute == "none" ? "" : ", recompute " + f.recompute) +
                             (f.lora.empty() ? "" : ", LoRA " + f.lora)).c_str(),
              (long long)devices,
              devices == 1 ? "" : "s",
              f.parallel.zero ? (", ZeRO " + std::to_string(f.parallel.zero)).c_str() : "");
  std::printf("parameters: %.2f M\n", double(e.parameters) / 1e6);
  std::printf("per-device memory (the compiler's plan; activations, gradients, inputs and workspace at the "
              "arena's peak, op %lld):\n",
              (long long)m.peakStep);
  auto row = [](const char *what, double b, const char *note) {
    std::printf("  %-16s %12s  %s\n", what, bytes(b).c_str(), note);
  };
  row("weights", double(m.weights), "");
  if (!f.infer) {
    row("gradients", double(m.gradients), "");
    row("optimizer state", double(m.optimizerState), f.microBatches > 1 ? "(with the gradient accumulators)" : "");
  }
  row("activations", double(m.activations), f.infer ? "" : "(the forward's results held for the backward)");
  if (f.infer)
    row("KV cache", double(m.cache), f.model.model == "gpt2" ? "" : "(none: the forward pass, no cache)");
  row("inputs", double(m.inputs), "");
  row("workspace", double(m.workspace + m.constants), f.infer ? "" : "(backward and optimizer temporaries)");
  double packing = double(m.arena) - double(m.peakLive());
  row("arena packing", packing, "(planned arena - live bytes at the peak)");
  if (e.applyArena > 0)
    row("apply step", double(e.applyArena), "(the update's arena, beside the micro-step's)");
  std::printf("  %-16s %12s\n", "total", bytes(double(e.total())).c_str());
  if (!e.largest.empty()) {
    std::printf("the largest buffers live at the peak:\n");
    for (const EstimatedBuffer &b : e.largest)
      std::printf("  %12s  %-10s  %-26s %s\n", bytes(double(b.bytes)).c_str(), stringifyPeakRole(b.role),
                  b.op.c_str(), b.line.c_str());
  }
}

} // namespace

int runEstimate(int argc, char **argv) {
  EstimateFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  if (f.train && f.infer)
    throw FlagError("--train and --infer: give one (training is the default)");
  if (f.precision != "f32" && f.precision != "bf16" && f.precision != "f16")
    throw FlagError("--precision must be f32, bf16 or f16, got '" + f.precision + "'");
  if (f.quantize != "none" && f.quantize != "int8-weight" && f.quantize != "llm-int8")
    throw FlagError("--quantize must be none, int8-weight or llm-int8, got '" + f.quantize + "'");
  checkLmHeadFlag(f.quantize, f.lmHead, /*training=*/!f.infer);
  if (f.quantize != "none" && !f.infer && f.lora.empty())
    throw FlagError("--quantize in training holds a frozen int8 base under LoRA adapters: add --lora SPEC, or "
                    "estimate serving with --infer");
  if (!f.lora.empty() && f.infer)
    throw FlagError("--lora applies to training");
  if (!f.lora.empty()) {
    if (!hasPeftModelInfo(f.model.model))
      throw FlagError("--lora applies to gpt2 and llama; '" + f.model.model + "' has no LoRA option");
    f.loraConfig = parseLoraSpec(f.lora, peftModelInfo(f.model.model).defaultTargets);
  }
  if (f.recompute != "none" && f.recompute != "blocks")
    throw FlagError("--recompute must be none or blocks, got '" + f.recompute + "'");
  if (f.recompute != "none" && f.infer)
    throw FlagError("--recompute applies to training");
  if (f.optimizer != "adamw" && f.optimizer != "sgd")
    throw FlagError("--optimizer must be adamw or sgd, got '" + f.optimizer + "'");
  if (f.target != "cpu" && f.target != "cuda")
    throw FlagError("--target must be cpu or cuda, got '" + f.target + "'");
  if (!(f.memoryGiB >= 0))
    throw FlagError("--memory must be >= 0 GiB");
  if (f.newTokens > 0 && !f.infer)
    throw FlagError("--new-tokens applies to --infer");
  if (!f.infer && !isLanguageModel(f.model.model))
    throw FlagError("'" + f.model.model + "' has no training loss in the catalog (gpt2 and llama do); estimate "
                    "its forward pass with --infer");
  if (f.microBatches > 1) {
    const std::string k = "--micro-batches " + std::to_string(f.microBatches);
    if (f.infer)
      throw FlagError(k + " applies to training");
    if (f.model.batch % f.microBatches != 0)
      throw FlagError(k + " does not divide --batch " + std::to_string(f.model.batch) +
                      "; each micro-batch has batch / micro-batches rows");
    if (f.precision == "f16")
      throw FlagError(k + " does not support --precision f16; use bf16");
    if (f.parallel.zero == 3)
      throw FlagError(k + " does not support --zero 3; use --zero 1 or 2");
  }
  if (f.parallel.meshText == "auto")
    throw FlagError("--mesh auto: `weft plan` chooses a plan; estimate its memory with --plan FILE");
  if (f.parallel.devices > 0 && f.parallel.meshText.empty() && f.parallel.planPath.empty()) {
    f.parallel.meshText = "dp=" + std::to_string(f.parallel.devices); // N devices: data parallel
    f.parallel.devices = 0;
  }
  f.parallel.resolve(!f.infer);
  ModelRequest request = f.model.request();
  if (isLanguageModel(f.model.model)) {
    int64_t context = contextLength(request);
    if (f.model.seq == 0)
      f.model.seq = context;
    if (f.infer && f.model.seq + f.newTokens > context)
      throw FlagError("--seq " + std::to_string(f.model.seq) + " + --new-tokens " + std::to_string(f.newTokens) +
                      " exceeds the model's context of " + std::to_string(context));
  }
  if (f.infer && f.model.model != "gpt2" && f.newTokens > 0)
    throw FlagError("--new-tokens: " + f.model.model + " has no compiled key/value-cache decoder yet; its serving "
                    "estimate is the forward pass over --seq tokens");
  int64_t devices = f.parallel.savedPlan ? f.parallel.savedPlan->devices : std::max<int64_t>(1, f.parallel.mesh.size());
  Estimator estimator(f);
  Estimate e = estimator.at(f.model.batch);
  printEstimate(f, e, devices);
  std::printf("estimated in %.2f s (the graph phases and the memory plan; no code generation)\n", e.seconds);
  if (f.memoryGiB <= 0)
    return 0;

  // The largest batch that fits: doubling, then bisection, over multiples of
  // the batch's smallest step (the data-parallel size divides it).
  double budget = f.memoryGiB * kGiB;
  int64_t step = (f.parallel.mesh.has("dp") ? f.parallel.mesh.axisSize("dp") : 1) * f.microBatches;
  auto fits = [&](int64_t k, double &total) {
    total = double(estimator.at(k * step).total());
    return total <= budget;
  };
  double total = 0, over = 0;
  if (!fits(1, total)) {
    std::printf("\nno batch fits %.2f GiB per device: batch %lld already needs %s\n", f.memoryGiB, (long long)step,
                bytes(total).c_str());
    return 1;
  }
  int64_t good = 1, bad = 0;
  double goodTotal = total;
  for (int64_t k = 2; k <= (int64_t(1) << 20); k *= 2) {
    if (fits(k, total)) {
      good = k;
      goodTotal = total;
    } else {
      bad = k;
      over = total;
      break;
    }
  }
  if (bad == 0) {
    std::printf("\nevery batch up to %lld fits %.2f GiB per device\n", (long long)(good * step), f.memoryGiB);
    return 0;
  }
  while (bad - good > 1) {
    int64_t mid = (good + bad) / 2;
    if (fits(mid, total)) {
      good = mid;
      goodTotal = total;
    } else {
      bad = mid;
      over = total;
    }
  }
  std::printf("\nlargest batch that fits %.2f GiB per device: %lld (%s; batch %lld needs %s)\n", f.memoryGiB,
              (long long)(good * step), bytes(goodTotal).c_str(), (long long)(bad * step), bytes(over).c_str());
  return 0;
}

} // namespace weft::cli
