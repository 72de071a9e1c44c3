//===- TrainCommand.cpp - `weft train` ------------------------------------===//
//
// This file implements `weft train gpt2 ...` (see TrainCommand.h and the
// usage text below). Flags are parsed here, by hand, so that they do not
// collide with the llvm::cl options of `weft compile` and `weft run`.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/TrainCommand.h"

#include "models/catalog/ModelCatalog.h"
#include "train/Trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace weft::cli {
namespace {

const char *kUsage =
    "usage: weft train gpt2 --data FILE [flags]\n"
    "Trains GPT-2 (one compiled step: forward + backward + optimizer) on a text file (byte-level,\n"
    "vocab 256) or a .npy of int32/int64 token rows [N, seq+1]; the last 10% is held out.\n"
    "Model:\n"
    "  --config C.json | --preset tiny|small   Hugging Face config.json or a preset (default tiny)\n"
    "  --n-layer N --n-head N --n-embd N --vocab-size N --n-positions N   override config keys\n"
    "Data:\n"
    "  --data FILE      text (bytes are tokens) or .npy token rows\n"
    "  --batch B        rows per step (default 8)\n"
    "  --seq T          tokens per row (default 64)\n"
    "  --shuffle        random row order per epoch (default: file order)\n"
    "  --seed S         seed of --shuffle (default 0)\n"
    "Optimization:\n"
    "  --steps N        total steps (default 100)\n"
    "  --optimizer adamw|sgd   (default adamw)\n"
    "  --lr X           peak learning rate (default 1e-3)\n"
    "  --warmup W       linear warmup steps, then cosine decay to --min-lr-ratio * lr (defaults 0, 0.1)\n"
    "  --weight-decay X default 0.1 for adamw (decoupled), 0 for sgd\n"
    "  --clip-norm X    global gradient norm clip; 0 = off; default 1.0 for adamw, 0 for sgd\n"
    "  --momentum X     sgd momentum (default 0)\n"
    "  --precision f32|bf16|f16  compute precision; f32 master weights and reductions; f16 adds dynamic\n"
    "                   loss scaling (skips a step on inf/NaN gradients; default f32)\n"
    "  --init-seed S    seed of the random initial weights (default 0)\n"
    "Files:\n"
    "  --weights W.safetensors   start from these weights (Hugging Face GPT-2 names)\n"
    "  --save OUT.safetensors    write the trained weights (Hugging Face names, wte only: tied)\n"
    "  --checkpoint DIR          write DIR/checkpoint.pb at every evaluation and at the end\n"
    "  --checkpoint-every K      ... or every K steps\n"
    "  --resume                  continue from DIR/checkpoint.pb (same flags; exact same losses)\n"
    "Output:\n"
    "  --eval-every K   held-out loss every K steps and at the end (default: steps/10)\n"
    "  --eval-batches N held-out batches per evaluation (default 4)\n"
    "  --log-every K    progress line every K steps when stdout is not a terminal (default: --eval-every)\n"
    "  --sample-tokens N  greedy sample of N tokens at the end (default 64; 0: none)\n"
    "  --no-cache       neither read nor write the compile cache\n"
    "  --no-fuse        skip the fusion passes (e.g. to compare gradients with another framework)\n";

struct Flags {
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  std::string model;
};

const std::set<std::string> kValueFlags = {
    "config", "preset", "n-layer", "n-head", "n-embd", "vocab-size", "n-positions", "data",
    "batch", "seq", "seed", "steps", "optimizer", "lr", "warmup", "min-lr-ratio", "weight-decay",
    "clip-norm", "momentum", "precision", "init-seed", "weights", "save", "checkpoint", "checkpoint-every",
    "eval-every", "eval-batches", "log-every", "sample-tokens"};
const std::set<std::string> kSwitches = {"shuffle", "resume", "no-cache", "no-fuse", "help"};

Flags parse(int argc, char **argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      if (!f.model.empty())
        throw std::invalid_argument("unexpected argument '" + a + "'");
      f.model = a;
      continue;
    }
    std::string name = a.substr(2), value;
    bool inlineValue = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    if (kSwitches.count(name)) {
      f.switches.insert(name);
    } else if (kValueFlags.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= argc)
          throw std::invalid_argument("--" + name + " needs a value");
        value = argv[++i];
      }
      f.values[name] = value;
    } else {
      throw std::invalid_argument("unknown flag '" + a + "'");
    }
  }
  return f;
}

double number(const Flags &f, const std::string &name, double fallback) {
  auto it = f.values.find(name);
  if (it == f.values.end())
    return fallback;
  char *end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != 0 || !std::isfinite(v))
    throw std::invalid_argument("--" + name + ": '" + it->second + "' is not a number");
  return v;
}

int integer(const Flags &f, const std::string &name, int fallback, int min) {
  double v = number(f, name, fallback);
  if (v != std::floor(v) || v < min || v > 1e9)
    throw std::invalid_argument("--" + name + " must be an integer >= " + std::to_string(min) +
                                ", got '" + f.values.at(name) + "'");
  return int(v);
}

std::string text(const Flags &f, const std::string &name, const std::string &fallback = "") {
  auto it = f.values.find(name);
  return it == f.values.end() ? fallback : it->second;
}

train::TrainConfig makeConfig(const Flags &f) {
  train::TrainConfig c;
  ModelRequest request;
  request.name = "gpt2";
  request.configPath = text(f, "config");
  request.preset = text(f, "preset", request.configPath.empty() ? "tiny" : "");
  c.model = gpt2ConfigFor(request);
  c.model.n_layer = integer(f, "n-layer", c.model.n_layer, 1);
  c.model.n_head = integer(f, "n-head", c.model.n_head, 1);
  c.model.n_embd = integer(f, "n-embd", c.model.n_embd, 1);
  c.model.vocab_size = integer(f, "vocab-size", c.model.vocab_size, 1);
  c.model.n_positions = integer(f, "n-positions", c.model.n_positions, 1);
  c.model.validate("the model flags");
  c.dataPath = text(f, "data");
  if (c.dataPath.empty())
    throw std::invalid_argument("--data FILE is required (a text file or a .npy of token rows)");
  c.batch = integer(f, "batch", 8, 1);
  c.seq = integer(f, "seq", 64, 1);
  c.steps = integer(f, "steps", 100, 1);
  c.optimizer.optimizer = text(f, "optimizer", "adamw");
  if (c.optimizer.optimizer != "adamw" && c.optimizer.optimizer != "sgd")
    throw std::invalid_argument("--optimizer must be adamw or sgd, got '" + c.optimizer.optimizer + "'");
  bool sgd = c.optimizer.optimizer == "sgd";
  c.optimizer.weightDecay = number(f, "weight-decay", sgd ? 0.0 : 0.1);
  c.optimizer.clipNorm = number(f, "clip-norm", sgd ? 0.0 : 1.0);
  c.optimizer.momentum = number(f, "momentum", 0.0);
  c.optimizer.precision = text(f, "precision", "f32");
  if (c.optimizer.precision != "f32" && c.optimizer.precision != "bf16" &&
      c.optimizer.precision != "f16")
    throw std::invalid_argument("--precision must be f32, bf16 or f16, got '" +
                                c.optimizer.precision + "'");
  c.lr = number(f, "lr", 1e-3);
  c.warmup = integer(f, "warmup", 0, 0);
  c.minLrRatio = number(f, "min-lr-ratio", 0.1);
  c.shuffle = f.switches.count("shuffle") > 0;
  c.seed = uint64_t(integer(f, "seed", 0, 0));
  c.initSeed = uint64_t(integer(f, "init-seed", 0, 0));
  c.weightsPath = text(f, "weights");
  c.checkpointDir = text(f, "checkpoint");
  c.resume = f.switches.count("resume") > 0;
  if (c.resume && c.checkpointDir.empty())
    throw std::invalid_argument("--resume needs --checkpoint DIR");
  c.evalBatches = integer(f, "eval-batches", 4, 1);
  c.compile.useCache = f.switches.count("no-cache") == 0;
  c.compile.fuse = f.switches.count("no-fuse") == 0;
  return c;
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
  Flags flags;
  train::TrainConfig config;
  int evalEvery = 0, logEvery = 1, checkpointEvery = 0, sampleTokens = 0;
  try {
    flags = parse(argc, argv);
    if (flags.switches.count("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (flags.model != "gpt2")
      throw std::invalid_argument(flags.model.empty() ? "name the model to train: weft train gpt2 ..."
                                                      : "unknown model '" + flags.model +
                                                            "'; `weft train` trains gpt2");
    config = makeConfig(flags);
    evalEvery = integer(flags, "eval-every", std::max(1, config.steps / 10), 0);
    logEvery = integer(flags, "log-every", evalEvery > 0 ? evalEvery : std::max(1, config.steps / 10), 1);
    checkpointEvery = integer(flags, "checkpoint-every", evalEvery, 0);
    sampleTokens = integer(flags, "sample-tokens", 64, 0);
  } catch (const std::invalid_argument &e) {
    std::fprintf(stderr, "weft train: error: %s\n%s", e.what(), kUsage);
    return 2;
  }
  const int steps = config.steps;
  const std::string savePath = text(flags, "save");
  const bool tty = isatty(fileno(stdout));

  std::printf("weft train: gpt2 n_layer=%d n_head=%d n_embd=%d vocab=%d, %s, batch %d x seq %d, %d steps, "
              "%s lr %g\n",
              config.model.n_layer, config.model.n_head, config.model.n_embd, config.model.vocab_size,
              config.dataPath.c_str(), config.batch, config.seq, steps,
              config.optimizer.optimizer.c_str(), config.lr);
  std::fflush(stdout);
  train::Trainer trainer(config);
  std::printf("data: %lld training rows, %lld held-out rows (%s); compile: %.2f s%s\n",
              (long long)trainer.data().trainRows(), (long long)trainer.data().heldOutRows(),
              trainer.data().isText() ? "byte-level text" : "token rows", trainer.compileSeconds(),
              config.resume ? (", resumed at step " + std::to_string(trainer.step())).c_str() : "");
  if (evalEvery > 0 && trainer.step() == 0)
    std::printf("step %6d  held-out loss %.4f\n", 0, trainer.heldOutLoss());
  std::fflush(stdout);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const int first = trainer.step();
  const double tokensPerStep = double(config.batch) * config.seq;
  float loss = 0;
  bool lineOpen = false; // a \r progress line waits for its newline
  while (trainer.step() < steps) {
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
    bool evalNow = evalEvery > 0 && (t % evalEvery == 0 || t == steps);
    if (tty) {
      std::printf("\r%s   ", line);
      lineOpen = !evalNow;
      if (evalNow)
        std::printf("\n");
    } else if (t % logEvery == 0 || t == steps) {
      std::printf("%s\n", line);
    }
    if (evalNow)
      std::printf("step %6d  held-out loss %.4f\n", t, trainer.heldOutLoss());
    if (!config.checkpointDir.empty() &&
        ((checkpointEvery > 0 && t % checkpointEvery == 0) || t == steps))
      trainer.saveCheckpoint();
    std::fflush(stdout);
  }
  if (lineOpen)
    std::printf("\n");
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("trained %d steps in %.1f s (%.0f tokens/s)\n", steps - first, wall,
              tokensPerStep * (steps - first) / std::max(wall, 1e-9));
  if (!config.checkpointDir.empty())
    std::printf("checkpoint: %s/checkpoint.pb (step %d)\n", config.checkpointDir.c_str(), trainer.step());
  if (!savePath.empty()) {
    trainer.exportWeights(savePath);
    std::printf("saved: %s\n", savePath.c_str());
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
