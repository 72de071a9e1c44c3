//===- TrainCommand.cpp - `weft train` ------------------------------------===//
//
// This file implements `weft train gpt2|llama --data FILE [flags]`: its flags
// (the shared model and compile ones, the data, optimizer, file and output
// ones), the live progress line, held-out evaluation, checkpoints, the
// safetensors export and the final greedy sample, on top of train::Trainer.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Check.h"
#include "tools/weft/Flags.h"
#include "tools/weft/ModelFlags.h"
#include "tools/weft/Ranks.h"

#include "frontend/DslError.h"
#include "models/Gpt2.h"
#include "models/catalog/LoraAdapter.h"
#include "models/catalog/ModelCatalog.h"
#include "runtime/FileUtil.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/comm/CommBytes.h"
#include "runtime/comm/MeshShape.h"
#include "train/Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>

namespace weft::cli {
namespace {

/// The configuration keys the flags `--n-layer N` ... override.
constexpr std::pair<const char *, int models::Gpt2Config::*> kConfigOverrides[] = {
    {"n-layer", &models::Gpt2Config::n_layer},
    {"n-head", &models::Gpt2Config::n_head},
    {"n-embd", &models::Gpt2Config::n_embd},
    {"vocab-size", &models::Gpt2Config::vocab_size},
    {"n-positions", &models::Gpt2Config::n_positions}};
constexpr size_t kNumConfigOverrides = std::size(kConfigOverrides);

/// The flags of `weft train`, declared in `flags`.
struct TrainCommandFlags {
  ModelFlags model = ModelFlags::forTrain();
  /// The values of kConfigOverrides' flags (when given).
  int64_t overrides[kNumConfigOverrides] = {};
  std::string data;
  bool shuffle = false;
  int64_t seed = 0;
  int64_t steps = 100, warmup = 0, initSeed = 0, microBatches = 1;
  std::string optimizer = "adamw";
  double lr = 1e-3, minLrRatio = 0.1, weightDecay = 0.1, clipNorm = 1.0, momentum = 0;
  CompileFlags compile;
  ParallelFlags parallel;
  RuntimeFlags runtime;
  std::string weights, save, checkpoint;
  /// LoRA (--lora SPEC, --lora-adapter DIR, --save-adapter DIR, --merge-lora OUT).
  std::string lora, loraAdapter, saveAdapter, mergeLora;
  int64_t checkpointEvery = 0;
  int64_t stopAfter = 0;
  bool resume = false;
  int64_t evalEvery = 0, evalBatches = 4, logEvery = 1, sampleTokens = 64;
  FlagSet flags{"train", kTrainUsage,
                "Trains GPT-2 or LLaMA (one compiled step: forward + backward + optimizer) on a text file "
                "(byte-level, vocab 256) or a .npy of int32/int64 token rows [N, seq+1]; the last "
                "10% is held out."};

  TrainCommandFlags() {
    model.declare(flags);
    for (size_t i = 0; i < kNumConfigOverrides; ++i) {
      std::string key = kConfigOverrides[i].first;
      std::replace(key.begin(), key.end(), '-', '_');
      flags.addInteger(kConfigOverrides[i].first, "N", "gpt2: override the configuration's " + key,
                       &overrides[i], 1)
          .showDefault("");
    }
    flags.section("Data");
    flags.addString("data", "FILE", "text (bytes are tokens) or .npy token rows; required", &data)
        .required("--data FILE is required (a text file or a .npy of token rows)");
    flags.addSwitch("shuffle", "random row order per epoch (default: file order)", &shuffle);
    flags.addInteger("seed", "S", "seed of --shuffle", &seed, 0);
    flags.section("Optimization");
    flags.addInteger("steps", "N", "total steps", &steps, 1);
    flags.addString("optimizer", "NAME", "adamw or sgd", &optimizer).oneOf({"adamw", "sgd"});
    flags.addNumber("lr", "X", "peak learning rate", &lr).showDefault("1e-3");
    flags.addInteger("warmup", "W", "linear warmup steps, then cosine decay to --min-lr-ratio * lr",
                     &warmup, 0);
    flags.addNumber("min-lr-ratio", "X", "the cosine decay's floor, as a fraction of --lr",
                    &minLrRatio);
    flags
        .addNumber("weight-decay", "X", "default 0.1 for adamw (decoupled), 0 for sgd",
                   &weightDecay)
        .showDefault("");
    flags
        .addNumber("clip-norm", "X",
                   "global gradient norm clip; 0 = off; default 1.0 for adamw, 0 for sgd",
                   &clipNorm)
        .showDefault("");
    flags.addNumber("momentum", "X", "sgd momentum", &momentum);
    flags.addInteger("init-seed", "S", "seed of the random initial weights", &initSeed, 0);
    flags.addInteger("micro-batches", "K",
                     "gradient accumulation: each step runs --batch as K forward + backward passes of batch / K "
                     "rows (activations of one micro-batch), sums the gradients, reduces them over the "
                     "data-parallel ranks once and updates once",
                     &microBatches, 1, 1 << 20);
    compile.declareForTraining(flags);
    compile.declareQuantize(flags);
    parallel.declare(flags);
    runtime.declare(flags);
    flags.section("Files");
    flags.addString("weights", "W.safetensors",
                    "start from these weights (Hugging Face names; a .safetensors file, a sharded checkpoint's "
                    "index or a directory holding either)",
                    &weights);
    flags.addString("save", "OUT.safetensors",
                    "write the trained weights (Hugging Face names; gpt2: wte only, tied) and config.json beside "
                    "them",
                    &save);
    flags.addString("lora", "SPEC",
                    "train LoRA adapters only (base frozen): r=8,alpha=16,dropout=0.05,targets=NAME[,NAME...] "
                    "(default targets: gpt2 c_attn; llama q_proj,v_proj; llama also k_proj, o_proj, gate_proj, "
                    "up_proj, down_proj)",
                    &lora);
    flags.addString("lora-adapter", "DIR",
                    "start the adapters from this PEFT adapter directory (its config when --lora is not given)",
                    &loraAdapter);
    flags.addString("save-adapter", "DIR",
                    "with LoRA: write the adapters in PEFT's format (adapter_model.safetensors, "
                    "adapter_config.json)",
                    &saveAdapter);
    flags.addString("merge-lora", "OUT.safetensors",
                    "with LoRA: write the base weights with the adapters merged (Hugging Face names)",
                    &mergeLora);
    flags.addString("checkpoint", "DIR",
                    "write DIR/checkpoint.pb at every evaluation and at the end (on a mesh: sharded, "
                    "each rank writing its own pieces)",
                    &checkpoint);
    flags.addInteger("stop-after", "STEP",
                     "stop after this step of the --steps schedule (with --checkpoint: saved there, "
                     "to continue with --resume, on any mesh)",
                     &stopAfter, 0);
    flags.addInteger("checkpoint-every", "K", "... or every K steps", &checkpointEvery, 0)
        .showDefault("--eval-every");
    flags.addSwitch("resume", "continue from DIR/checkpoint.pb (same flags; exact same losses)",
                    &resume);
    flags.section("Output");
    flags
        .addInteger("eval-every", "K", "held-out loss every K steps and at the end; 0: none",
                    &evalEvery, 0)
        .showDefault("steps/10");
    flags.addInteger("eval-batches", "N", "held-out batches per evaluation", &evalBatches, 1);
    flags
        .addInteger("log-every", "K", "progress line every K steps when stdout is not a terminal",
                    &logEvery, 1)
        .showDefault("--eval-every");
    flags.addInteger("sample-tokens", "N", "greedy sample of N tokens at the end; 0: none",
                     &sampleTokens, 0);
  }

  /// Refuses values that make no sense or would be silently ignored, in the
  /// flags' own terms (after parsing, before any work).
  void validate() {
    auto need = [](bool ok, const std::string &message) {
      if (!ok)
        throw FlagError(message);
    };
    auto value = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v);
      return std::string(buf);
    };
    need(lr > 0, "--lr must be a positive learning rate, got " + value(lr));
    need(minLrRatio >= 0 && minLrRatio <= 1,
         "--min-lr-ratio must be between 0 and 1 (the decay's floor as a fraction of --lr), got " +
             value(minLrRatio));
    need(warmup <= steps, "--warmup " + std::to_string(warmup) + " exceeds --steps " +
                              std::to_string(steps) + "; the warmup must end within the run");
    need(weightDecay >= 0, "--weight-decay must be >= 0, got " + value(weightDecay));
    need(clipNorm >= 0,
         "--clip-norm must be >= 0 (0 turns clipping off), got " + value(clipNorm));
    need(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + value(momentum));
    need(optimizer == "sgd" || !flags.given("momentum"),
         "--momentum applies to --optimizer sgd; adamw's moments are fixed (beta1 0.9, beta2 "
         "0.95)");
    need(!checkpoint.empty() || !flags.given("checkpoint-every"),
         "--checkpoint-every needs --checkpoint DIR (where to write the checkpoints)");
    need(!checkpoint.empty() || !resume, "--resume needs --checkpoint DIR");
    bool withLora = !lora.empty() || !loraAdapter.empty();
    need(withLora || (saveAdapter.empty() && mergeLora.empty()),
         "--save-adapter and --merge-lora need LoRA: give --lora SPEC or --lora-adapter DIR");
    need(!withLora || save.empty(),
         "--save writes full weights, which LoRA training does not change; with LoRA use "
         "--save-adapter DIR (PEFT's format) or --merge-lora OUT.safetensors");
    need(model.batch % microBatches == 0,
         "--micro-batches " + std::to_string(microBatches) + " does not divide --batch " +
             std::to_string(model.batch) + "; each micro-batch has batch / micro-batches rows");
    need(microBatches == 1 || compile.precision != "f16",
         "--micro-batches " + std::to_string(microBatches) + " does not support --precision f16 (its dynamic "
         "loss scaling is not carried through the accumulated gradients); use --precision bf16");
    need(microBatches == 1 || compile.quantize == "none",
         "--micro-batches " + std::to_string(microBatches) + " does not combine with --quantize " +
             compile.quantize + " yet (the micro-step is not quantized); use --micro-batches 1");
    if (compile.quantize != "none") {
      need(compile.quantize == "int8-weight",
           "training over an int8 base takes --quantize int8-weight (its products keep f32 activations, which "
           "the adapters' gradients need); --quantize llm-int8 is for serving");
      checkLmHeadFlag(compile.quantize, compile.lmHead, /*training=*/true);
      need(withLora, "--quantize " + compile.quantize +
                         " holds the base weights as int8, which do not train: add --lora SPEC (or "
                         "--lora-adapter DIR) to train adapters over the int8 base");
      need(mergeLora.empty(), "--merge-lora writes f32 weights, but --quantize " + compile.quantize +
                                  " holds an int8 base; save the adapter (--save-adapter DIR) and merge it "
                                  "into the f32 base weights");
      need(!flags.given("mesh"), "--quantize " + compile.quantize + " trains on one device (cpu, or cuda: "
                                 "its int8 products expanded to f32 GEMMs): drop --mesh or --quantize");
    }
    parallel.memoryGiB = runtime.memoryGiB; // --mesh auto's budget
    parallel.resolve(/*training=*/true);
    need(microBatches == 1 || parallel.zero != 3,
         "--micro-batches " + std::to_string(microBatches) + " does not support --zero 3 (the micro-steps would "
         "read parameters split over the ranks); use --zero 1 or 2");
    need(microBatches == 1 || (!parallel.autoMesh && !parallel.savedPlan),
         "--micro-batches " + std::to_string(microBatches) + " needs the layout given by --mesh (and --strategy): "
         "the micro-step and the update must split the parameters alike, which --mesh auto and --plan do not "
         "guarantee yet");
  }

  /// Sets the defaults that depend on other flags (after parsing).
  void resolveDefaults() {
    bool sgd = optimizer == "sgd";
    if (!flags.given("weight-decay"))
      weightDecay = sgd ? 0.0 : 0.1;
    if (!flags.given("clip-norm"))
      clipNorm = sgd ? 0.0 : 1.0;
    if (!flags.given("eval-every"))
      evalEvery = std::max<int64_t>(1, steps / 10);
    if (!flags.given("log-every"))
      logEvery = evalEvery > 0 ? evalEvery : std::max<int64_t>(1, steps / 10);
    if (!flags.given("checkpoint-every"))
      checkpointEvery = evalEvery;
  }
};

/// The LoRA configuration of --lora, else of --lora-adapter's
/// adapter_config.json (both: they must agree); none without either.
LoraConfig loraConfigFor(const TrainCommandFlags &f) {
  LoraConfig lora;
  try {
    if (!f.lora.empty())
      lora = parseLoraSpec(f.lora, peftModelInfo(f.model.model).defaultTargets);
  } catch (const std::invalid_argument &e) {
    throw FlagError(e.what());
  }
  if (!f.loraAdapter.empty()) {
    std::string path = (std::filesystem::path(f.loraAdapter) / kAdapterConfigFile).string();
    std::vector<uint8_t> bytes;
    check(rt::readWholeFile(path, bytes));
    LoraAdapter adapter = check(parseAdapterConfig(std::string(bytes.begin(), bytes.end()), path));
    if (f.lora.empty())
      lora = adapter.config;
    else if (lora.r != adapter.config.r || lora.targets != adapter.config.targets)
      throw FlagError("--lora " + f.lora + " does not match the adapter in '" + f.loraAdapter + "' (" +
                      adapter.config.str() + "); drop --lora to train with the adapter's configuration");
  }
  return lora;
}

/// The trainer's configuration (from flags that passed validate()).
train::TrainConfig makeConfig(const TrainCommandFlags &f) {
  train::TrainConfig c;
  if (f.model.model == "llama") {
    for (const auto &[flag, member] : kConfigOverrides)
      if (f.flags.given(flag))
        throw FlagError(std::string("--") + flag + " overrides a gpt2 configuration; for llama give the sizes in "
                                                   "a --config file");
    c.llama = llamaConfigFor(f.model.request());
  } else {
    c.model = gpt2ConfigFor(f.model.request());
    for (size_t i = 0; i < kNumConfigOverrides; ++i)
      if (f.flags.given(kConfigOverrides[i].first))
        c.model.*kConfigOverrides[i].second = int(f.overrides[i]);
    c.model.validate("the model flags");
  }
  c.dataPath = f.data;
  c.batch = int(f.model.batch);
  c.seq = int(f.model.seq);
  c.steps = int(f.steps);
  c.optimizer.optimizer = f.optimizer;
  c.optimizer.weightDecay = f.weightDecay;
  c.optimizer.clipNorm = f.clipNorm;
  c.optimizer.momentum = f.momentum;
  c.optimizer.precision = f.compile.precision;
  c.optimizer.recompute = f.compile.recompute;
  c.optimizer.zero = int(f.parallel.zero);
  c.optimizer.microBatches = int(f.microBatches);
  c.mesh = f.parallel.mesh;
  c.plan = f.parallel.plan;
  c.lr = f.lr;
  c.warmup = int(f.warmup);
  c.minLrRatio = f.minLrRatio;
  c.shuffle = f.shuffle;
  c.seed = uint64_t(f.seed);
  c.initSeed = uint64_t(f.initSeed);
  c.weightsPath = f.weights;
  c.lora() = loraConfigFor(f);
  c.loraAdapterPath = f.loraAdapter;
  c.checkpointDir = f.checkpoint;
  c.resume = f.resume;
  c.evalBatches = int(f.evalBatches);
  c.compile = f.compile.options();
  // --precision is the step's (c.optimizer.precision); the held-out and sample
  // programs stay f32 forward programs.
  c.compile.precision = "f32";
  c.compile.autoShard = f.parallel.autoShard();
  c.compile.plan = f.parallel.savedPlan;
  c.runtime = f.runtime.options();
  return c;
}

/// The model in the banner: "gpt2 n_layer=2 ..." or "llama layers=2 ...".
std::string describeModel(const train::TrainConfig &c) {
  char buf[200];
  if (c.llama)
    std::snprintf(buf, sizeof buf, "llama layers=%d hidden=%d heads=%d kv_heads=%d intermediate=%d vocab=%d%s",
                  c.llama->num_hidden_layers, c.llama->hidden_size, c.llama->num_attention_heads,
                  c.llama->kvHeads(), c.llama->intermediate_size, c.llama->vocab_size,
                  c.llama->tie_word_embeddings ? " (tied)" : "");
  else
    std::snprintf(buf, sizeof buf, "gpt2 n_layer=%d n_head=%d n_embd=%d vocab=%d", c.model.n_layer, c.model.n_head,
                  c.model.n_embd, c.model.vocab_size);
  return buf;
}

/// Byte tokens as text: printable ASCII and newlines as they are, others as \xNN.
std::string decodeBytes(const std::vector<int64_t> &tokens, size_t from) {
  std::string s;
  for (size_t i = from; i < tokens.size(); ++i) {
    int64_t t = tokens[i];
    if ((t >= 32 && t < 127) || t == '\n' || t == '\t') {
      s.push_back(char(t));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(t & 0xff));
      s += buf;
    }
  }
  return s;
}

std::string decodeIds(const std::vector<int64_t> &tokens, size_t from) {
  std::string s;
  for (size_t i = from; i < tokens.size(); ++i)
    s += (i > from ? " " : "") + std::to_string(tokens[i]);
  return s;
}

std::string duration(double seconds) {
  char buf[32];
  int s = int(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, (s / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  return buf;
}

} // namespace

int runTrain(int argc, char **argv) {
  TrainCommandFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  if (!isLanguageModel(f.model.model))
    throw FlagError("unknown model '" + f.model.model + "'; `weft train` trains gpt2 and llama");
  f.validate();
  f.resolveDefaults();
  train::TrainConfig config = makeConfig(f);
  // With a mesh: every rank runs this same command; rank 0 prints and writes.
  // A plan that does not fit the model is refused before any rank starts.
  try {
    if (config.llama)
      models::checkLlamaPlan("weft train", *config.llama, config.batch, config.seq, config.plan, config.mesh);
    else
      models::checkGpt2Plan("weft train", config.model, config.batch, config.seq, config.plan, config.mesh);
  } catch (const DslError &e) {
    std::string m = e.what();
    size_t at = m.find("error: ");
    throw FlagError(at == std::string::npos ? m : m.substr(at + 7));
  }
  Ranks ranks = joinRanks(f.parallel.ranks(), f.parallel.ranksFlag(), "train");
  config.runtime.communicator = ranks.world;
  config.writeFiles = ranks.writes();
  const int evalEvery = int(f.evalEvery), logEvery = int(f.logEvery),
            checkpointEvery = int(f.checkpointEvery), sampleTokens = int(f.sampleTokens);
  const int steps = config.steps;
  const int last = f.stopAfter > 0 ? int(std::min<int64_t>(f.stopAfter, steps)) : steps;
  const std::string savePath = f.save;
  const bool tty = isatty(fileno(stdout));

  std::printf("weft train: %s, %s, batch %d x seq %d, %d steps, %s lr %g\n", describeModel(config).c_str(),
              config.dataPath.c_str(), config.batch, config.seq, steps,
              config.optimizer.optimizer.c_str(), config.lr);
  std::printf("compiling the training step (forward, backward, %s) and the evaluation programs...\n",
              config.optimizer.optimizer.c_str());
  std::fflush(stdout);
  train::Trainer trainer(config);
  std::printf("data: %lld training rows, %lld held-out rows (%s); compile: %.2f s%s\n",
              (long long)trainer.data().trainRows(), (long long)trainer.data().heldOutRows(),
              trainer.data().isText() ? "byte-level text" : "token rows", trainer.compileSeconds(),
              config.resume ? (", resumed at step " + std::to_string(trainer.step())).c_str() : "");
  std::printf("memory of the training step: %s\n", trainer.memoryReport().c_str());
  if (std::string r = trainer.accumulationReport(); !r.empty())
    std::printf("gradient accumulation: %s\n", r.c_str());
  if (config.lora().enabled())
    std::printf("LoRA %s: only the adapters train%s\n", config.lora().str().c_str(),
                config.compile.quantize.empty() ? "" : (", over the " + config.compile.quantize + " base").c_str());
  if (ranks.world) {
    const proto::Executable &step = trainer.executor().executable().proto();
    auto mesh = rt::MeshShape::fromProto(step.mesh());
    std::printf("mesh %s%s (%d ranks): per rank %s; each step sends %s from rank 0\n",
                mesh.isOk() ? mesh->toString().c_str() : "?",
                f.parallel.autoMesh ? " (chosen by --mesh auto)" : f.parallel.savedPlan ? " (from --plan)" : "",
                ranks.size, trainer.stepMemory().describe().c_str(),
                rt::describeCommunication(step, 0).c_str());
  }
  if (!ranks.world)
    std::printf("memory: %s\n", trainer.stepMemory().describe().c_str());
  if (std::string r = rt::describeRecompute(trainer.executor().executable().proto()); !r.empty())
    std::printf("%s\n", r.c_str());
  if (evalEvery > 0 && trainer.step() == 0)
    std::printf("step %6d  held-out loss %.4f\n", 0, trainer.heldOutLoss());
  std::fflush(stdout);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const int first = trainer.step();
  const double tokensPerStep = double(config.batch) * config.seq;
  float loss = 0;
  bool lineOpen = false; // a \r progress line waits for its newline
  while (trainer.step() < last) {
    loss = trainer.trainStep();
    const int t = trainer.step();
    if (!std::isfinite(loss))
      throw std::runtime_error("the loss became " + std::to_string(loss) + " at step " +
                               std::to_string(t) + "; lower --lr or set --clip-norm");
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double perStep = elapsed / double(t - first);
    char line[160];
    std::snprintf(line, sizeof line, "step %6d/%d  loss %.4f  %.0f tokens/s  ETA %s", t, steps, loss,
                  tokensPerStep / perStep, duration(perStep * (steps - t)).c_str());
    bool evalNow = evalEvery > 0 && (t % evalEvery == 0 || t == last);
    if (tty) {
      std::printf("\r%s   ", line);
      lineOpen = !evalNow;
      if (evalNow)
        std::printf("\n");
    } else if (t % logEvery == 0 || t == last) {
      std::printf("%s\n", line);
    }
    if (evalNow)
      std::printf("step %6d  held-out loss %.4f\n", t, trainer.heldOutLoss());
    if (!config.checkpointDir.empty() &&
        ((checkpointEvery > 0 && t % checkpointEvery == 0) || t == last))
      trainer.saveCheckpoint();
    std::fflush(stdout);
  }
  if (lineOpen)
    std::printf("\n");
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("trained %d steps in %.1f s (%.0f tokens/s)\n", last - first, wall,
              tokensPerStep * (last - first) / std::max(wall, 1e-9));
  if (!config.checkpointDir.empty())
    std::printf("checkpoint: %s/checkpoint.pb (step %d)\n", config.checkpointDir.c_str(), trainer.step());
  if (!savePath.empty()) {
    trainer.exportWeights(savePath);
    // Its config.json beside it, as a Hugging Face model directory holds it:
    // `weft generate --config DIR/config.json --weights OUT` reads the pair.
    std::string configPath =
        (std::filesystem::path(savePath).parent_path() / "config.json").string();
    if (config.writeFiles) {
      std::string json = config.llama ? train::llamaConfigJson(*config.llama) : train::gpt2ConfigJson(config.model);
      check(rt::writeFileAtomically(configPath, {json}));
    }
    std::printf("saved: %s (config: %s)\n", savePath.c_str(), configPath.c_str());
  }
  if (!f.saveAdapter.empty()) {
    trainer.saveAdapter(f.saveAdapter, config.weightsPath.empty() ? config.modelName() : config.weightsPath);
    std::printf("adapter: %s (PEFT: %s, %s)\n", f.saveAdapter.c_str(), kAdapterWeightsFile,
                kAdapterConfigFile);
  }
  if (!f.mergeLora.empty()) {
    trainer.exportMergedWeights(f.mergeLora);
    std::printf("merged weights: %s\n", f.mergeLora.c_str());
  }
  if (sampleTokens > 0) {
    // The middle held-out row: text the model has not trained on.
    std::vector<int64_t> prompt = trainer.data().heldOutRow(trainer.data().heldOutRows() / 2);
    prompt.pop_back();
    std::vector<int64_t> out = trainer.sample(prompt, sampleTokens);
    bool bytes = trainer.data().isText();
    std::printf("sample (greedy, %d tokens after a held-out prompt):\n--- prompt ---\n%s\n--- "
                "continuation ---\n%s\n",
                sampleTokens, bytes ? decodeBytes(prompt, 0).c_str() : decodeIds(prompt, 0).c_str(),
                bytes ? decodeBytes(out, prompt.size()).c_str() : decodeIds(out, prompt.size()).c_str());
  }
  return 0;
}

} // namespace weft::cli
