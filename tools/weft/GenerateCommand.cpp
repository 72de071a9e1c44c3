//===- GenerateCommand.cpp - `weft generate` ------------------------------===//
//
// This file implements `weft generate gpt2|llama --weights W.safetensors
// (--prompt T | --prompts-file F | --tokens IDS) [controls]`: it compiles
// the model's prefill and decode-step programs with a key/value cache
// (decode/Gpt2Decoder.h, decode/LlamaDecoder.h), loads the weights (Hugging Face's, the `--save`d
// weights of `weft train`, or its checkpoint directory), encodes the prompts with the tokenizer
// (runtime/text/; the byte-level one without --tokenizer), runs the
// generation loop with Hugging Face's controls (runtime/generate/), streams
// the tokens of a single sequence on a terminal, and prints every sequence,
// its tokens and the prefill and decode rates. --tokens-out and --scores-out
// write the sequences and the processed scores of every step as .npy.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Check.h"
#include "tools/weft/Flags.h"
#include "tools/weft/ModelFlags.h"
#include "tools/weft/Ranks.h"

#include "decode/Gpt2Decoder.h"
#include "decode/LlamaDecoder.h"
#include "models/catalog/LoraAdapter.h"
#include "models/catalog/ModelCatalog.h"
#include "runtime/FileUtil.h"
#include "runtime/generate/Generate.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/Npy.h"
#include "runtime/text/LoadTokenizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <unistd.h>

namespace weft::cli {
namespace {

struct GenerateFlags {
  std::string loraAdapter;
  std::string model, configPath, preset, weights, tokenizer, prompt, promptsFile, tokens;
  std::string tokensOut, scoresOut, earlyStopping = "false", eos, pad;
  int64_t maxNewTokens = 20, topK = 50, numBeams = 1, numReturn = 1, noRepeat = 0, seed = 0;
  double temperature = 1.0, topP = 1.0, lengthPenalty = 1.0, repetitionPenalty = 1.0;
  bool doSample = false, quiet = false;
  std::string saveWeights;
  CompileFlags compile;
  RuntimeFlags runtime;
  ParallelFlags parallel;
  FlagSet flags{"generate", kGenerateUsage,
                "Generates text with GPT-2 or LLaMA: a prefill program over the prompts fills a key/value cache, then one "
                "compiled decode step per token reads it. The controls follow Hugging Face transformers' "
                "generate() (docs/generation.md says where weft differs)."};

  GenerateFlags() {
    flags.section("Model");
    flags.addPositional("MODEL", "gpt2 or llama", &model);
    flags.addString("config", "FILE", "a Hugging Face config.json (default: --preset)", &configPath);
    flags.addString("preset", "NAME", "without --config: gpt2 small (124M) or tiny; llama tiny", &preset);
    flags.addString("lora-adapter", "DIR",
                    "merge this PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) "
                    "into the weights",
                    &loraAdapter);
    flags.addString("weights", "FILE|DIR",
                    "model.safetensors (Hugging Face GPT-2 or LLaMA weights or the --save of weft train), a sharded "
                    "checkpoint's model.safetensors.index.json, a Hugging Face model directory holding either "
                    "(its config.json too, without --config), or the --checkpoint DIR of weft train (its config "
                    "too, without --config); required",
                    &weights);
    flags.addString("tokenizer", "FILE|DIR",
                    "tokenizer.json, or GPT-2's vocab.json + merges.txt (default: bytes, as weft train's models)",
                    &tokenizer);
    flags.section("Prompts");
    flags.addString("prompt", "TEXT", "the prompt", &prompt);
    flags.addString("prompts-file", "F", "one prompt per line (a batch, left-padded)", &promptsFile);
    flags.addString("tokens", "IDS", "the prompt as comma-separated token ids", &tokens);
    flags.section("Generation (Hugging Face's names and defaults)");
    flags.addInteger("max-new-tokens", "N", "tokens to generate per sequence", &maxNewTokens, 1);
    flags.addSwitch("do-sample", "sample instead of choosing the most likely tokens", &doSample);
    flags.addNumber("temperature", "T", "divide the scores by T before sampling (> 0)", &temperature);
    flags.addInteger("top-k", "K", "sample from the K best tokens (ties kept; 0: all)", &topK, 0);
    flags.addNumber("top-p", "P", "sample from the smallest set of best tokens reaching probability P", &topP);
    flags.addInteger("seed", "S", "seed of the sampling generator (splitmix64)", &seed, 0, INT64_MAX);
    flags.addInteger("num-beams", "B", "beam search with B beams (1: none)", &numBeams, 1);
    flags.addNumber("length-penalty", "L", "beam scores: sum(log p) / length^L", &lengthPenalty);
    flags.addString("early-stopping", "false|true|never", "when beam search stops", &earlyStopping)
        .oneOf({"false", "true", "never"});
    flags.addInteger("num-return-sequences", "R", "sequences per prompt", &numReturn, 1);
    flags.addNumber("repetition-penalty", "R", "penalize tokens already in prompt or output (1: off)",
                    &repetitionPenalty);
    flags.addInteger("no-repeat-ngram-size", "N", "never repeat an n-gram of this size (0: off)", &noRepeat, 0);
    flags.addString("eos-token-id", "IDS", "ids that end a sequence (default: the tokenizer's EOS, if any)", &eos);
    flags.addString("pad-token-id", "ID", "the id that pads (default: the first EOS id)", &pad);
    flags.section("Output");
    flags.addString("tokens-out", "FILE.npy", "write the sequences as int64 [sequences, length]", &tokensOut);
    flags.addString("scores-out", "FILE.npy", "write the processed scores as float32 [steps, rows, vocab]",
                    &scoresOut);
    flags.addSwitch("quiet", "print the sequences only (no streaming, no rates)", &quiet);
    compile.declare(flags);
    compile.declareQuantize(flags);
    flags.addString("save-weights", "FILE.safetensors",
                    "write the weights as the decoder holds them (int8 + scales with --quantize int8-weight) "
                    "after loading; --weights reads the file back",
                    &saveWeights);
    runtime.declare(flags);
    parallel.declare(flags);
  }
};

/// A DecodeModel that times the one it wraps (prefill and steps apart).
class TimedModel final : public gen::DecodeModel {
public:
  explicit TimedModel(gen::DecodeModel &inner) : inner_(inner) {}
  int64_t vocabSize() const override { return inner_.vocabSize(); }
  int64_t maxLength() const override { return inner_.maxLength(); }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens, const std::vector<int64_t> &mask,
                                           int64_t rows, int64_t length) override {
    auto start = Clock::now();
    auto logits = inner_.prefill(tokens, mask, rows, length);
    prefillSeconds += since(start);
    prefillTokens += rows * length;
    return logits;
  }
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override {
    auto start = Clock::now();
    auto logits = inner_.step(tokens);
    stepSeconds += since(start);
    ++steps;
    return logits;
  }
  rt::Status reorderRows(const std::vector<int64_t> &source) override {
    auto start = Clock::now();
    rt::Status s = inner_.reorderRows(source);
    stepSeconds += since(start);
    return s;
  }
  double prefillSeconds = 0, stepSeconds = 0;
  int64_t prefillTokens = 0, steps = 0;

private:
  using Clock = std::chrono::steady_clock;
  static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
  gen::DecodeModel &inner_;
};

std::vector<std::vector<int64_t>> readPrompts(const GenerateFlags &f, const text::Tokenizer &tokenizer) {
  int given = int(f.flags.given("prompt")) + int(f.flags.given("prompts-file")) + int(f.flags.given("tokens"));
  if (given != 1)
    throw FlagError("give exactly one of --prompt, --prompts-file and --tokens");
  if (f.flags.given("tokens"))
    return {parseIdList("tokens", f.tokens)};
  if (f.flags.given("prompt"))
    return {tokenizer.encode(f.prompt)};
  std::vector<uint8_t> bytes;
  check(rt::readWholeFile(f.promptsFile, bytes));
  std::vector<std::vector<int64_t>> prompts;
  std::string_view rest(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty())
      prompts.push_back(tokenizer.encode(line));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  if (prompts.empty())
    throw FlagError("--prompts-file '" + f.promptsFile + "' holds no prompt (one per line)");
  return prompts;
}

gen::GenerationConfig generationConfig(const GenerateFlags &f, const text::Tokenizer &tokenizer) {
  gen::GenerationConfig c;
  c.maxNewTokens = f.maxNewTokens;
  c.doSample = f.doSample;
  c.temperature = f.temperature;
  c.topK = f.topK;
  c.topP = f.topP;
  c.seed = uint64_t(f.seed);
  c.numBeams = f.numBeams;
  c.lengthPenalty = f.lengthPenalty;
  c.earlyStopping = f.earlyStopping == "true"    ? gen::EarlyStopping::kAsSoonAsFull
                    : f.earlyStopping == "never" ? gen::EarlyStopping::kNever
                                                 : gen::EarlyStopping::kHeuristic;
  c.numReturnSequences = f.numReturn;
  c.repetitionPenalty = f.repetitionPenalty;
  c.noRepeatNgramSize = f.noRepeat;
  if (f.flags.given("eos-token-id"))
    c.eosTokenIds = parseIdList("eos-token-id", f.eos);
  else if (std::optional<int64_t> eos = tokenizer.specialIds().eos)
    c.eosTokenIds = {*eos};
  if (f.flags.given("pad-token-id")) {
    std::vector<int64_t> pad = parseIdList("pad-token-id", f.pad);
    if (pad.size() != 1)
      throw FlagError("--pad-token-id takes one id, got '" + f.pad + "'");
    c.padTokenId = pad[0];
  } else if (std::optional<int64_t> pad = tokenizer.specialIds().pad) {
    c.padTokenId = *pad;
  }
  c.outputScores = !f.scoresOut.empty();
  return c;
}

/// The text of `ids` for the terminal (raw bytes, special tokens skipped).
std::string textOf(const text::Tokenizer &tokenizer, const std::vector<int64_t> &ids) {
  rt::StatusOr<std::string> text = tokenizer.decode(ids, /*skipSpecialTokens=*/true);
  return text.isOk() ? *text : "<" + text.status().message() + ">";
}

void writeOutputs(const GenerateFlags &f, const gen::GenerationOutput &out) {
  if (!f.tokensOut.empty()) {
    rt::HostTensor t(proto::I64, {out.numSequences, out.length});
    std::copy(out.sequences.begin(), out.sequences.end(), t.data<int64_t>());
    check(rt::writeNpy(f.tokensOut, t));
  }
  if (!f.scoresOut.empty()) {
    rt::HostTensor t(proto::F32, {int64_t(out.scores.size()), out.rows, out.vocabSize});
    float *p = t.data<float>();
    for (const std::vector<float> &step : out.scores)
      p = std::copy(step.begin(), step.end(), p);
    check(rt::writeNpy(f.scoresOut, t));
  }
}

/// The model's configuration and the sizes the command checks against it.
struct ModelConfigs {
  std::optional<models::Gpt2Config> gpt2;
  std::optional<models::LlamaConfig> llama;
  int64_t vocab = 0, context = 0;
  const char *contextKey = "";
};

/// The config of `weft generate gpt2|llama`: from a training checkpoint's
/// recorded config.json (unless --config or --preset), else --config /
/// --preset (configPath: --config, or the config.json of a Hugging Face
/// weights directory). A checkpoint of the other model is refused.
ModelConfigs modelConfigs(const GenerateFlags &f, bool llama, const std::optional<proto::Checkpoint> &checkpoint,
                          const std::string &checkpointDir, const std::string &configPath) {
  ModelConfigs c;
  if (checkpoint && f.configPath.empty() && f.preset.empty()) {
    const std::string &json = checkpoint->model_config_json();
    if (json.empty())
      throw std::runtime_error("the checkpoint in '" + checkpointDir + "' holds no model config; pass --config");
    const bool isLlama = json.find("\"model_type\":\"llama\"") != std::string::npos;
    if (isLlama != llama)
      throw std::runtime_error("the checkpoint in '" + checkpointDir + "' is a " + (isLlama ? "llama" : "gpt2") +
                               " model; run `weft generate " + (isLlama ? "llama" : "gpt2") + "`");
    const std::string origin = checkpointDir + "/" + rt::kCheckpointFile;
    if (llama)
      c.llama = models::LlamaConfig::fromJsonText(json, origin);
    else
      c.gpt2 = models::Gpt2Config::fromJsonText(json, origin);
  } else {
    ModelRequest request;
    request.name = f.model;
    request.configPath = configPath;
    request.preset = f.preset;
    if (llama)
      c.llama = llamaConfigFor(request);
    else
      c.gpt2 = gpt2ConfigFor(request);
  }
  if (c.llama) {
    c.vocab = c.llama->vocab_size;
    c.context = c.llama->max_position_embeddings;
    c.contextKey = "max_position_embeddings";
  } else {
    c.vocab = c.gpt2->vocab_size;
    c.context = c.gpt2->n_positions;
    c.contextKey = "n_positions";
  }
  return c;
}

} // namespace

int runGenerate(int argc, char **argv) {
  GenerateFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  if (f.model != "gpt2" && f.model != "llama")
    throw FlagError(f.model.empty() ? "MODEL is required (gpt2 or llama)"
                                    : "unknown model '" + f.model + "'; `weft generate` runs gpt2 and llama");
  const bool llama = f.model == "llama";
  if (f.compile.precision != "f32" && f.compile.quantize != "none")
    throw FlagError("--precision " + f.compile.precision + " and --quantize " + f.compile.quantize +
                    " do not combine: int8 weights keep f32 activations");
  if (!f.compile.compileTo.empty())
    throw FlagError("--compile-to does not apply to weft generate (it runs its programs); use weft compile");
  if (f.weights.empty())
    throw FlagError("--weights FILE.safetensors is required (Hugging Face " + std::string(llama ? "LLaMA" : "GPT-2") +
                    " weights or weft train's --save)");
  // A training checkpoint (its directory or its checkpoint.pb) carries the model's config.
  std::optional<proto::Checkpoint> checkpoint;
  const std::filesystem::path weightsPath(f.weights);
  const bool weightsDir = std::filesystem::is_directory(weightsPath);
  // A directory is weft train's checkpoint when it holds checkpoint.pb, else
  // Hugging Face weights (model.safetensors or a sharded checkpoint's index),
  // whose config.json beside them is the default --config.
  const bool hfDir = weightsDir && !std::filesystem::exists(weightsPath / rt::kCheckpointFile);
  std::string configPath = f.configPath;
  if (hfDir && configPath.empty() && f.preset.empty() && std::filesystem::exists(weightsPath / "config.json"))
    configPath = (weightsPath / "config.json").string();
  std::string checkpointDir;
  if ((weightsDir && !hfDir) || weightsPath.filename() == rt::kCheckpointFile) {
    checkpointDir = weightsDir ? f.weights : weightsPath.parent_path().string();
    if (checkpointDir.empty()) // checkpoint.pb in the working directory
      checkpointDir = ".";
    checkpoint = check(rt::loadCheckpoint(checkpointDir));
  }
  ModelConfigs config = modelConfigs(f, llama, checkpoint, checkpointDir, configPath);

  std::unique_ptr<text::Tokenizer> tokenizer =
      f.tokenizer.empty() ? text::byteTokenizer() : check(text::loadTokenizer(f.tokenizer));
  if (tokenizer->vocabSize() > config.vocab)
    throw std::runtime_error("the tokenizer" + (f.tokenizer.empty() ? std::string(" (bytes)") : " '" + f.tokenizer + "'") +
                             " has " + std::to_string(tokenizer->vocabSize()) + " tokens, more than the model's "
                             "vocabulary of " + std::to_string(config.vocab) +
                             " (vocab_size): they were not made for each other");
  std::vector<std::vector<int64_t>> prompts = readPrompts(f, *tokenizer);
  gen::GenerationConfig gc = generationConfig(f, *tokenizer);
  check(gc.validate(config.vocab));

  // The rows the model decodes together, and the cache positions they need.
  int64_t longest = 0;
  for (const std::vector<int64_t> &p : prompts)
    longest = std::max<int64_t>(longest, int64_t(p.size()));
  int64_t perPrompt = gc.numBeams > 1 ? gc.numBeams : gc.doSample ? gc.numReturnSequences : 1;
  decode::DecoderOptions options;
  options.rows = int64_t(prompts.size()) * perPrompt;
  options.maxLength = std::min<int64_t>(config.context, longest + f.maxNewTokens);
  if (longest + f.maxNewTokens > config.context)
    throw std::runtime_error("the longest prompt (" + std::to_string(longest) + " tokens) + --max-new-tokens " +
                             std::to_string(f.maxNewTokens) + " exceeds the model's context of " +
                             std::to_string(config.context) + " positions (" + config.contextKey + ")");
  options.compile = f.compile.options();
  // Tensor parallelism over ranks (`weft launch -n 2 -- weft generate ... --mesh tp=2`): every rank runs the
  // same search on the whole logits; rank 0 prints and writes.
  f.parallel.resolve(/*training=*/false);
  if (f.parallel.autoMesh || f.parallel.savedPlan)
    throw FlagError("weft generate takes a --mesh of tensor parallelism (e.g. tp=2), not --mesh auto or --plan");
  if (f.compile.quantize != "none" && !f.loraAdapter.empty())
    throw FlagError("--lora-adapter merges into f32 weights; merge first (weft train --merge-lora) and quantize "
                    "the merged weights, or drop --quantize");
  if (f.compile.quantize != "none" && !f.parallel.mesh.axes.empty())
    throw FlagError("--quantize " + f.compile.quantize + " runs on one device (cpu, or cuda: its products "
                    "expanded to f32 GEMMs): drop --mesh or --quantize");
  Ranks ranks = joinRanks(f.parallel.mesh, "generate");
  options.mesh = f.parallel.mesh;
  options.plan = f.parallel.plan;
  options.communicator = ranks.world;
  auto compileStart = std::chrono::steady_clock::now();
  if (llama && !f.loraAdapter.empty())
    throw FlagError("--lora-adapter merges GPT-2 adapters (PEFT's c_attn targets); llama adapters are not "
                    "supported by weft generate yet: merge them into the weights first");
  std::unique_ptr<decode::CompiledDecoder> decoder;
  if (llama)
    decoder = check(decode::LlamaDecoder::create(*config.llama, options));
  else
    decoder = check(decode::Gpt2Decoder::create(*config.gpt2, options));
  check(checkpoint ? decoder->loadCheckpointWeights(*checkpoint) : decoder->loadWeights(f.weights));
  if (!f.loraAdapter.empty()) {
    if (!f.parallel.mesh.empty())
      throw FlagError("--lora-adapter merges into one device's weights; drop --mesh");
    // The decode step owns the weights; the prefill programs share them.
    PeftModelInfo peft = peftModelInfo(f.model);
    LoraAdapter adapter = check(loadLoraAdapter(f.loraAdapter, peft));
    check(mergeLoraIntoExecutor(adapter, peft, decoder->decodeExecutor()));
  }
  if (!f.saveWeights.empty() && ranks.writes())
    check(decoder->saveWeights(f.saveWeights));
  check(decoder->prefillExecutor(longest).status()); // the prompts' prefill program, compiled now
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();

  // One sequence on a terminal: its text as it comes.
  bool stream = !f.quiet && isatty(STDOUT_FILENO) && options.rows == 1 && gc.numBeams == 1;
  std::vector<int64_t> streamed;
  std::string shown;
  auto onToken = [&](int64_t, int64_t token) {
    streamed.push_back(token);
    std::string text = textOf(*tokenizer, streamed);
    std::fwrite(text.data() + std::min(shown.size(), text.size()), 1, text.size() - std::min(shown.size(), text.size()),
                stdout);
    std::fflush(stdout);
    shown = text;
  };
  if (stream) {
    std::string p = textOf(*tokenizer, prompts[0]);
    std::fwrite(p.data(), 1, p.size(), stdout);
    std::fflush(stdout);
  }
  TimedModel timed(*decoder);
  auto generateStart = std::chrono::steady_clock::now();
  gen::GenerationOutput out =
      check(gen::generate(timed, prompts, gc, stream ? gen::TokenCallback(onToken) : gen::TokenCallback()));
  double generateSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - generateStart).count();
  if (stream)
    std::printf("\n\n");

  for (int64_t s = 0; s < out.numSequences; ++s) {
    std::vector<int64_t> ids(out.sequences.begin() + s * out.length, out.sequences.begin() + (s + 1) * out.length);
    std::vector<int64_t> generated(ids.begin() + out.promptLength, ids.end());
    const std::vector<int64_t> &prompt = prompts[size_t(s / std::max<int64_t>(1, gc.numReturnSequences))];
    std::string line;
    for (size_t i = 0; i < generated.size(); ++i)
      line += (i ? "," : "") + std::to_string(generated[i]);
    std::printf("[%lld] %s%s\n", (long long)s, textOf(*tokenizer, prompt).c_str(),
                textOf(*tokenizer, generated).c_str());
    std::printf("     tokens: %s%s\n", line.c_str(),
                out.sequenceScores.empty() ? ""
                                           : ("  (score " + std::to_string(out.sequenceScores[size_t(s)]) + ")").c_str());
  }
  if (ranks.writes())
    writeOutputs(f, out);
  if (!f.quiet)
    std::printf("prefill: %lld tokens in %.1f ms; decode: %lld steps x %lld rows in %.1f ms = %.2f ms/step, "
                "%.1f tokens/s; generate in all (the search on the host included): %.1f ms; compile and load: "
                "%.2f s\n",
                (long long)timed.prefillTokens, 1e3 * timed.prefillSeconds, (long long)timed.steps,
                (long long)out.rows, 1e3 * timed.stepSeconds,
                timed.steps ? 1e3 * timed.stepSeconds / double(timed.steps) : 0.0,
                timed.stepSeconds > 0 ? double(timed.steps * out.rows) / timed.stepSeconds : 0.0,
                1e3 * generateSeconds, compileSeconds);
  return 0;
}

} // namespace weft::cli
