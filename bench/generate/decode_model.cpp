//===- decode_model.cpp - compiled KV-cache decoding: weft's side of the bench -===//
//
// This file implements weft-bench-decode: GPT-2 (124M shapes by default) or a
// LLaMA (--model llama --config C.json) with random weights (written as a
// Hugging Face safetensors file plus config.json so that the Hugging Face
// peer runs the very same model), greedy decoding of --new tokens after a
// --prompt-token prompt with decode/Gpt2Decoder or decode/LlamaDecoder, and the
// prefill of a --prefill-token prompt. It prints the median time per decode
// step and the prefill times, the bytes a decode step reads (every GEMM's A
// and B, every kernel's inputs, from the Executable) against the floor (the
// weights + the cache: what any decoder must stream per token), where a
// profiled step spends its time, and writes the generated tokens for a
// comparison with the peer. bench/generate/decode_gpt2.sh and decode_llama.sh
// run both. With --export DIR it only compiles the decoder (for --target,
// with --rows rows) and writes its programs as a decoder bundle, which
// weft-decode-bundle (decode_bundle.cpp) runs without the compiler.
//
//===----------------------------------------------------------------------===//

#include "bench/BenchSupport.h"
#include "decode/Gpt2Decoder.h"
#include "decode/LlamaDecoder.h"
#include "models/catalog/ParamInit.h"
#include "runtime/io/Safetensors.h"

#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>

namespace cl = llvm::cl;
using namespace weft;

static cl::opt<std::string> modelName("model", cl::desc("gpt2 (GPT-2 small's shapes) or llama (--config)"),
                                      cl::init("gpt2"));
static cl::opt<std::string> configPath("config", cl::desc("llama: a Hugging Face config.json"), cl::init(""));
static cl::opt<int> layers("layers", cl::desc("gpt2: n_layer"), cl::init(12));
static cl::opt<int> promptLength("prompt", cl::desc("prompt tokens of the decode run"), cl::init(16));
static cl::opt<int> newTokens("new", cl::desc("tokens generated greedily"), cl::init(128));
static cl::opt<int> prefillLength("prefill", cl::desc("prompt tokens of the prefill timing"),
                                  cl::init(512));
static cl::opt<int> repeats("repeats", cl::desc("timed greedy runs and prefills"), cl::init(3));
static cl::opt<std::string> quantize("quantize",
                                     cl::desc("none, int8-weight or llm-int8 (CompileOptions::quantize)"),
                                     cl::init("none"));
static cl::opt<std::string> lmHead("lm-head",
                                   cl::desc("with --quantize: the LM head, int8 or f32 (CompileOptions::lmHead; "
                                            "default: the mode's, int8 with int8-weight, f32 with llm-int8)"),
                                   cl::init(""));
static cl::opt<std::string> precision("precision",
                                      cl::desc("f32, bf16 or f16: the precision the programs compute and hold "
                                               "their weights in (CompileOptions::precision)"),
                                      cl::init("f32"));
static cl::opt<std::string> outDir("out", cl::desc("folder for weights, config, tokens"),
                                   cl::init("/tmp/weft-bench-decode"));
static cl::opt<std::string> exportDir("export",
                                      cl::desc("write the decoder's programs as a bundle in this folder "
                                               "(decode/DecoderBundle.h, for weft-decode-bundle) and stop"),
                                      cl::init(""));
static cl::opt<std::string> target("target", cl::desc("--export: cpu or cuda"), cl::init("cpu"));
static cl::opt<int> exportRows("rows", cl::desc("--export: sequences decoded together"), cl::init(1));

using bench::check;
using bench::msSince;
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Bytes a run of `p` reads: A and B of every GEMM, the inputs of every
/// kernel (of a gather only the rows it reads: the size of its result).
static uint64_t bytesRead(const proto::Executable &p) {
  auto size = [&](uint32_t id) { return p.buffers(int(id)).byte_size(); };
  uint64_t total = 0;
  for (const proto::Step &s : p.steps()) {
    if (s.has_gemm()) {
      total += size(s.gemm().a()) + size(s.gemm().b());
      if (s.gemm().b_dtype() == proto::I8) // the int8 weight's scales
        total += size(s.gemm().b_scales());
    } else if (s.has_kernel_call()) {
      const auto &args = s.kernel_call().args();
      if (s.label().rfind("weft.gather", 0) == 0) {
        total += size(args[args.size() - 1]) + size(args[1]); // rows read, indices
        continue;
      }
      for (int i = 0; i + 1 < args.size(); ++i) // every argument but the output
        total += size(args[i]);
    }
  }
  return total;
}

/// The model benchmarked: GPT-2 or LLaMA, its config and its shapes.
struct BenchModel {
  std::optional<models::Gpt2Config> gpt2;
  std::optional<models::LlamaConfig> llama;
  std::string configJson; // written beside the weights for the peer
  int64_t vocab() const { return gpt2 ? gpt2->vocab_size : llama->vocab_size; }
  std::vector<ParamSpec> params() const {
    return (gpt2 ? models::buildGpt2DecodeStep(*gpt2, 1, 2) : models::buildLlamaDecodeStep(*llama, 1, 2)).params();
  }
};

/// A decoder of `rows` rows and `maxLength` positions for `targetName` with
/// `weights`.
static std::unique_ptr<decode::CompiledDecoder>
decoder(const BenchModel &model, int64_t maxLength,
        const std::vector<std::pair<std::string, rt::HostTensor>> &weights, int64_t rows = 1,
        const std::string &targetName = "cpu", bool compileOnly = false) {
  decode::DecoderOptions options;
  options.compileOnly = compileOnly;
  options.rows = rows;
  options.maxLength = maxLength;
  options.compile.target = targetName;
  options.compile.cacheDir = outDir + "/cache";
  options.compile.quantize = quantize == "none" ? "" : quantize.getValue();
  options.compile.lmHead = lmHead;
  options.compile.precision = precision;
  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<decode::CompiledDecoder> d;
  if (model.gpt2)
    d = check(decode::Gpt2Decoder::create(*model.gpt2, options));
  else
    d = check(decode::LlamaDecoder::create(*model.llama, options));
  std::printf("  compile%s (decode step, reorder) for max length %lld: %.2f s\n", compileOnly ? "" : " + load",
              (long long)maxLength, msSince(t0) / 1e3);
  for (const auto &[name, value] : weights)
    check(d->setParameter(name, value));
  return d;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "weft GPT-2 / LLaMA KV-cache decoding benchmark\n");
  std::filesystem::create_directories(outDir.getValue());
  BenchModel model;
  const std::string weightsName = quantize == "none" ? precision.getValue()
                                                     : quantize.getValue() + (lmHead.empty() ? "" : ", lm-head " + lmHead);
  const char *weightsKind = weightsName.c_str();
  if (modelName == "llama") {
    if (configPath.empty())
      check(rt::invalidArgument("--model llama needs --config C.json"));
    model.llama = models::LlamaConfig::fromJsonFile(configPath);
    std::ifstream in(configPath.getValue());
    model.configJson.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    const models::LlamaConfig &c = *model.llama;
    std::printf("weft LLaMA (%d layers, %d wide, %d/%d heads, vocab %d) greedy decoding, batch 1, "
                "weights %s\n",
                c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.kvHeads(), c.vocab_size, weightsKind);
  } else {
    models::Gpt2Config config = models::Gpt2Config::small();
    config.n_layer = layers;
    model.gpt2 = config;
    model.configJson = "{\"model_type\": \"gpt2\", \"n_layer\": " + std::to_string(config.n_layer) +
                       ", \"n_head\": " + std::to_string(config.n_head) + ", \"n_embd\": " +
                       std::to_string(config.n_embd) + ", \"vocab_size\": " + std::to_string(config.vocab_size) +
                       ", \"n_positions\": " + std::to_string(config.n_positions) +
                       ", \"layer_norm_epsilon\": 1e-05}\n";
    std::printf("weft GPT-2 (%d layers, %d wide, vocab %d) greedy decoding, batch 1, "
                "weights %s\n",
                config.n_layer, config.n_embd, config.vocab_size, weightsKind);
  }
  const int64_t vocab = model.vocab();
  const int64_t maxLength = promptLength + newTokens;

  if (!exportDir.empty()) { // the programs only: the weights are set where the bundle runs
    auto d = decoder(model, maxLength, {}, exportRows, target, /*compileOnly=*/true);
    std::vector<int64_t> lengths{promptLength};
    if (prefillLength != promptLength && prefillLength <= maxLength)
      lengths.push_back(prefillLength);
    check(d->exportBundle(exportDir, lengths));
    std::printf("  wrote the %s decoder bundle (%d rows, max length %lld) to %s\n", target.getValue().c_str(),
                exportRows.getValue(), (long long)maxLength, exportDir.getValue().c_str());
    return 0;
  }

  // Random weights, shared with the peer.
  std::vector<std::pair<std::string, rt::HostTensor>> weights;
  uint64_t weightBytes = 0;
  for (const ParamSpec &p : model.params()) {
    weights.emplace_back(p.name, initialValue(p, /*seed=*/7));
    weightBytes += weights.back().second.bytes.size();
  }
  check(rt::writeSafetensors(outDir + "/model.safetensors", weights));
  { std::ofstream(outDir + "/config.json") << model.configJson; }

  // Greedy decoding: prompt, then `new` tokens (the first from the prefill).
  auto d = decoder(model, maxLength, weights);
  std::mt19937_64 rng(11);
  std::vector<int64_t> prompt;
  std::string ids;
  for (int i = 0; i < promptLength; ++i) {
    prompt.push_back(int64_t(rng() % uint64_t(vocab)));
    ids += (i ? "," : "") + std::to_string(prompt.back());
  }
  { std::ofstream(outDir + "/prompt.txt") << ids << "\n"; }
  std::vector<int64_t> mask(prompt.size(), 1), generated;
  std::vector<double> stepMs, prefillSmallMs, totalMs;
  for (int r = 0; r < repeats + 1; ++r) { // the first run warms up (and compiles the prefill)
    generated.clear();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> logits = check(d->prefill(prompt, mask, 1, promptLength));
    double prefillMs = msSince(t0);
    for (int i = 0; i < newTokens; ++i) {
      generated.push_back(int64_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
      if (i + 1 == newTokens)
        break;
      auto s = std::chrono::steady_clock::now();
      logits = check(d->step({generated.back()}));
      if (r > 0)
        stepMs.push_back(msSince(s));
    }
    if (r > 0) {
      prefillSmallMs.push_back(prefillMs);
      totalMs.push_back(msSince(t0));
    }
  }
  std::string out;
  for (size_t i = 0; i < generated.size(); ++i)
    out += (i ? "," : "") + std::to_string(generated[i]);
  { std::ofstream(outDir + "/weft_tokens.txt") << out << "\n"; }

  // Bytes per step against the floor, and where a step's time goes.
  const proto::Executable &step = d->decodeExecutor().executable().proto();
  uint64_t cacheBytes = 0, heldWeightBytes = 0; // the weights as the program holds them (int8 + scales)
  for (const proto::Buffer &b : step.buffers()) {
    if (b.kind() == proto::STATE)
      cacheBytes += b.byte_size();
    if (b.kind() == proto::PARAMETER)
      heldWeightBytes += b.byte_size();
  }
  std::printf("  weights: %.1f MB as held by the program (%.1f MB in f32)\n", heldWeightBytes / 1e6,
              weightBytes / 1e6);
  weightBytes = heldWeightBytes;
  const uint64_t read = bytesRead(step), floor = weightBytes + cacheBytes;
  d->decodeExecutor().setProfiling(true);
  check(d->prefill(prompt, mask, 1, promptLength));
  check(d->step({generated[0]}));
  std::map<std::string, double> byOp;
  double gemmUs = 0, kernelUs = 0;
  for (const rt::StepTime &s : d->decodeExecutor().stepTimes()) {
    bool gemm = s.kind == "gemm";
    (gemm ? gemmUs : kernelUs) += s.microseconds;
    byOp[gemm ? "gemm " + s.label.substr(0, s.label.find(' ')) + " [" + s.route + "]"
              : s.label.substr(0, s.label.find(' '))] +=
        s.microseconds;
  }
  d->decodeExecutor().setProfiling(false);

  // Prefill of a long prompt.
  auto longDecoder = decoder(model, prefillLength, weights);
  std::vector<int64_t> longPrompt(size_t(prefillLength.getValue())), longMask(longPrompt.size(), 1);
  for (int64_t &t : longPrompt)
    t = int64_t(rng() % uint64_t(vocab));
  std::vector<double> prefillLongMs;
  for (int r = 0; r < repeats + 1; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    check(longDecoder->prefill(longPrompt, longMask, 1, prefillLength));
    if (r > 0)
      prefillLongMs.push_back(msSince(t0));
  }

  const double stepMedian = median(stepMs);
  std::printf("  decode step: median %.2f ms/token (%.1f tokens/s), min %.2f, over %zu steps\n",
              stepMedian, 1e3 / stepMedian, *std::min_element(stepMs.begin(), stepMs.end()),
              stepMs.size());
  std::printf("  prefill %d tokens: %.2f ms; %d tokens: %.2f ms (medians of %d)\n",
              (int)promptLength, median(prefillSmallMs), (int)prefillLength, median(prefillLongMs),
              (int)repeats);
  std::printf("  whole greedy run (prefill + %d steps): %.1f ms\n", newTokens - 1,
              median(totalMs));
  std::printf("  bytes read per step: %.1f MB; floor (weights %.1f MB + %s cache %.1f MB) %.1f MB; "
              "at 30 GB/s the floor is %.2f ms: %.0f%% of the floor's speed\n",
              read / 1e6, weightBytes / 1e6, rt::dtypeName(d->cacheDtype()), cacheBytes / 1e6, floor / 1e6,
              floor / 30e6,
              100.0 * (floor / 30e6) / stepMedian);
  std::printf("  profiled step: GEMMs %.2f ms, generated kernels %.2f ms\n", gemmUs / 1e3,
              kernelUs / 1e3);
  std::vector<std::pair<double, std::string>> top;
  for (auto &[k, us] : byOp)
    top.push_back({us, k});
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < std::min<size_t>(8, top.size()); ++i)
    std::printf("    %-44s %8.3f ms\n", top[i].second.c_str(), top[i].first / 1e3);
  std::printf("{\"decode_ms_per_token\": %.3f, \"prefill_short_ms\": %.3f, \"prefill_long_ms\": %.3f, "
              "\"total_ms\": %.3f, \"bytes_read_per_step\": %llu, \"floor_bytes\": %llu}\n",
              stepMedian, median(prefillSmallMs), median(prefillLongMs), median(totalMs),
              (unsigned long long)read, (unsigned long long)floor);
  return 0;
}
