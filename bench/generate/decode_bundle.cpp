//===- decode_bundle.cpp - KV-cache decoding from a decoder bundle --------===//
//
// This file implements weft-decode-bundle, the runtime-only decoding
// benchmark (no compiler, no MLIR, no LLVM: it runs where only the runtime
// and a device are, e.g. the GPU machine of bench/cuda). It opens a decoder
// bundle (decode/DecoderBundle.h; `weft-bench-decode --export DIR` writes
// one), sets the weights (a file CompiledDecoder::saveWeights wrote, or
// random ones from a seed), prefills `rows` random prompts of one of the
// bundle's prefill lengths and decodes greedily, timing every step, and
// prints the median ms per step, tokens/s (rows x steps per second) and the
// prefill time. --save-logits F writes the logits of the prefill and of
// --trace-steps greedy steps, with the tokens fed, to a safetensors file;
// --check-logits F (such a file, e.g. written on the CPU with a CPU bundle
// of the same model, rows and seed) replays its tokens (teacher forcing: the
// two runs cannot drift apart on a near tie) and reports the largest logit
// difference relative to the largest logit and how many greedy tokens agree;
// past --tolerance it exits with status 1. Random weights depend only on the
// seed and the parameter's name, so this binary draws the same weights on
// every machine.
//
//===----------------------------------------------------------------------===//

#include "bench/BenchSupport.h"
#include "decode/DecoderBundle.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace weft;
using bench::check;
using bench::msSince;

namespace {

struct Flags {
  std::string bundle, weights, saveLogits, checkLogits;
  int64_t prompt = 0, newTokens = 128, repeats = 3, seed = 7, traceSteps = 16;
  double tolerance = 1e-3;
};

[[noreturn]] void usage(const std::string &why) {
  std::fprintf(stderr,
               "weft-decode-bundle: %s\nusage: weft-decode-bundle --bundle DIR [--prompt L] [--new N] "
               "[--repeats R] [--weights FILE.safetensors | --seed S] [--trace-steps K] [--save-logits F.safetensors | "
               "--check-logits F.safetensors [--tolerance T]]\n",
               why.c_str());
  std::exit(2);
}

Flags parseFlags(int argc, char **argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc)
      usage("the flag " + key + " needs a value");
    const std::string value = argv[++i];
    auto integer = [&](int64_t low) {
      char *end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || v < low)
        usage(key + " needs an integer >= " + std::to_string(low) + ", got '" + value + "'");
      return int64_t(v);
    };
    if (key == "--bundle")
      f.bundle = value;
    else if (key == "--save-logits")
      f.saveLogits = value;
    else if (key == "--check-logits")
      f.checkLogits = value;
    else if (key == "--trace-steps")
      f.traceSteps = integer(0);
    else if (key == "--weights")
      f.weights = value;
    else if (key == "--prompt")
      f.prompt = integer(1);
    else if (key == "--new")
      f.newTokens = integer(1);
    else if (key == "--repeats")
      f.repeats = integer(1);
    else if (key == "--seed")
      f.seed = integer(0);
    else if (key == "--tolerance") {
      char *end = nullptr;
      f.tolerance = std::strtod(value.c_str(), &end);
      if (*end || !(f.tolerance > 0))
        usage("--tolerance needs a positive number, got '" + value + "'");
    } else
      usage("unknown flag " + key);
  }
  if (f.bundle.empty())
    usage("--bundle DIR is required");
  if (!f.saveLogits.empty() && !f.checkLogits.empty())
    usage("--save-logits and --check-logits exclude each other");
  return f;
}

/// Random weights for every parameter of `d`'s decode step, in the form the
/// program holds them (rt::setWeightFromF32: int8 pairs quantized, bf16 /
/// f16 rounded): norm gains (rank 1, "...weight") 1, biases 0, the rest
/// N(0, 0.02) from a generator seeded by `seed` and the name.
void setRandomWeights(decode::ProgramDecoder &d, uint64_t seed) {
  rt::Executor &exe = d.decodeExecutor();
  for (const proto::Buffer &b : exe.executable().proto().buffers()) {
    if (b.kind() != proto::PARAMETER)
      continue;
    std::string name = b.name();
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".scale") == 0)
      continue; // set with its int8 weight
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".q8") == 0)
      name.resize(name.size() - 3);
    rt::HostTensor t(proto::F32, std::vector<int64_t>(b.shape().begin(), b.shape().end()));
    float *v = reinterpret_cast<float *>(t.bytes.data());
    const int64_t n = t.numElements();
    const bool gain = b.shape_size() == 1 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    const bool bias = b.shape_size() == 1 && !gain;
    std::mt19937_64 rng(seed ^ std::hash<std::string>()(name));
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (int64_t i = 0; i < n; ++i)
      v[i] = gain ? 1.0f : bias ? 0.0f : normal(rng);
    check(rt::setWeightFromF32(exe, name, t));
  }
}

void setWeights(decode::BundleDecoder &d, const Flags &f) {
  if (f.weights.empty())
    return setRandomWeights(d, uint64_t(f.seed));
  rt::SafetensorsFile file = check(rt::SafetensorsFile::open(f.weights));
  auto q = file.metadata().find(rt::kQuantizeMetadataKey);
  check(rt::loadQuantizedParameters(file, d.decodeExecutor(), q == file.metadata().end() ? "" : q->second,
                                    d.info().model));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int64_t argmax(const float *row, int64_t n) { return int64_t(std::max_element(row, row + n) - row); }


/// The logits of a prefill of `prompt` and of `steps` greedy steps after it
/// ([steps + 1, rows, vocab]) and the tokens fed to each step ([steps,
/// rows]): the argmax of the previous logits, or `forced`'s when given.
struct LogitTrace {
  rt::HostTensor logits, tokens;
};

LogitTrace traceLogits(decode::ProgramDecoder &d, const std::vector<int64_t> &prompt,
                       const std::vector<int64_t> &mask, int64_t length, int64_t steps,
                       const rt::HostTensor *forced) {
  const int64_t rows = d.rows(), vocab = d.vocabSize();
  LogitTrace t{rt::HostTensor(proto::F32, {steps + 1, rows, vocab}), rt::HostTensor(proto::I64, {steps, rows})};
  std::vector<float> logits = check(d.prefill(prompt, mask, rows, length));
  std::vector<int64_t> next(static_cast<size_t>(rows));
  for (int64_t i = 0;; ++i) {
    std::memcpy(t.logits.data<float>() + i * rows * vocab, logits.data(), logits.size() * sizeof(float));
    if (i == steps)
      return t;
    for (int64_t r = 0; r < rows; ++r)
      next[size_t(r)] = forced ? forced->data<int64_t>()[i * rows + r] : argmax(logits.data() + r * vocab, vocab);
    std::memcpy(t.tokens.data<int64_t>() + i * rows, next.data(), next.size() * sizeof(int64_t));
    logits = check(d.step(next));
  }
}

/// Compares `mine` with the reference trace in `path`; returns the worst
/// |difference| / max |reference logit| and prints it with the greedy
/// tokens' agreement.
double checkTrace(decode::ProgramDecoder &d, const std::vector<int64_t> &prompt, const std::vector<int64_t> &mask,
                  int64_t length, const std::string &path) {
  rt::SafetensorsFile file = check(rt::SafetensorsFile::open(path));
  rt::HostTensor refLogits = check(file.read("logits")), refTokens = check(file.read("tokens"));
  const int64_t rows = d.rows(), vocab = d.vocabSize(), steps = refTokens.shape.at(0);
  if (refLogits.shape != std::vector<int64_t>{steps + 1, rows, vocab} || refTokens.shape.size() != 2 ||
      refTokens.shape[1] != rows)
    check(rt::invalidArgument(path + " holds a trace of another shape than this bundle's rows and vocabulary"));
  LogitTrace mine = traceLogits(d, prompt, mask, length, steps, &refTokens);
  double worst = 0;
  int64_t agree = 0;
  for (int64_t i = 0; i <= steps; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      const float *a = mine.logits.data<float>() + (i * rows + r) * vocab;
      const float *b = refLogits.data<float>() + (i * rows + r) * vocab;
      double diff = 0, scale = 0;
      for (int64_t v = 0; v < vocab; ++v) {
        diff = std::max(diff, double(std::fabs(a[v] - b[v])));
        scale = std::max(scale, double(std::fabs(b[v])));
      }
      worst = std::max(worst, diff / std::max(scale, 1e-30));
      agree += argmax(a, vocab) == argmax(b, vocab);
    }
  std::printf("  against %s: worst |logit difference| / max |logit| %.3g over %lld positions x rows; greedy "
              "tokens agree at %lld of %lld\n",
              path.c_str(), worst, (long long)((steps + 1) * rows), (long long)agree, (long long)((steps + 1) * rows));
  return worst;
}

} // namespace

int main(int argc, char **argv) {
  const Flags f = parseFlags(argc, argv);
  auto d = check(decode::BundleDecoder::open(f.bundle));
  const decode::DecoderBundleInfo &info = d->info();
  if (info.prefillLengths.empty())
    check(rt::invalidArgument("the bundle " + f.bundle + " has no prefill program"));
  const int64_t prompt = f.prompt ? f.prompt : info.prefillLengths.front();
  const int64_t rows = info.rows, vocab = info.vocab;
  // Positions a run fills: the prompt and the new tokens (a saved trace's steps + 1 when longer; a checked
  // trace's length is checked by the decoder's own bookkeeping).
  const int64_t newPositions = f.saveLogits.empty() ? f.newTokens : std::max(f.newTokens, f.traceSteps + 1);
  if (prompt + newPositions > info.maxLength)
    check(rt::invalidArgument("prompt " + std::to_string(prompt) + " + " + std::to_string(newPositions) +
                              " new tokens exceed the bundle's max length " + std::to_string(info.maxLength)));
  setWeights(*d, f);
  std::printf("weft-decode-bundle: %s, target %s, %s caches, rows %lld, prompt %lld, %lld new tokens\n",
              info.model.c_str(), info.target.c_str(), rt::dtypeName(info.cacheDtype), (long long)rows,
              (long long)prompt, (long long)f.newTokens);

  std::mt19937_64 rng(11);
  std::vector<int64_t> tokens(static_cast<size_t>(rows * prompt)), mask(tokens.size(), 1);
  for (int64_t &t : tokens)
    t = int64_t(rng() % uint64_t(vocab));

  double worst = 0;
  if (!f.checkLogits.empty())
    worst = checkTrace(*d, tokens, mask, prompt, f.checkLogits);
  if (!f.saveLogits.empty()) {
    LogitTrace t = traceLogits(*d, tokens, mask, prompt, f.traceSteps, nullptr);
    check(rt::writeSafetensors(f.saveLogits, {{"logits", std::move(t.logits)}, {"tokens", std::move(t.tokens)}},
                               {{"weft.model", info.model}, {"weft.target", info.target}}));
    std::printf("  wrote the logits of the prefill and %lld greedy steps to %s\n", (long long)f.traceSteps,
                f.saveLogits.c_str());
  }

  std::vector<double> stepMs, prefillMs;
  std::vector<int64_t> next(static_cast<size_t>(rows));
  for (int64_t r = 0; r < f.repeats + 1; ++r) { // the first run warms up (and captures CUDA graphs)
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> logits = check(d->prefill(tokens, mask, rows, prompt));
    if (r > 0)
      prefillMs.push_back(msSince(t0));
    for (int64_t i = 0; i + 1 < f.newTokens; ++i) {
      for (int64_t row = 0; row < rows; ++row)
        next[size_t(row)] = argmax(logits.data() + row * vocab, vocab);
      auto s = std::chrono::steady_clock::now();
      logits = check(d->step(next));
      if (r > 0)
        stepMs.push_back(msSince(s));
    }
  }
  const double step = median(stepMs);
  std::printf("  decode step: median %.3f ms (%.1f tokens/s over %lld rows), min %.3f, over %zu steps\n", step,
              1e3 * double(rows) / step, (long long)rows,
              stepMs.empty() ? 0.0 : *std::min_element(stepMs.begin(), stepMs.end()), stepMs.size());
  std::printf("  prefill %lld x %lld tokens: median %.3f ms\n", (long long)rows, (long long)prompt,
              median(prefillMs));
  std::printf("{\"target\": \"%s\", \"rows\": %lld, \"decode_ms_per_step\": %.4f, \"tokens_per_s\": %.1f, "
              "\"prefill_ms\": %.3f, \"worst_relative_logit_difference\": %.3g}\n",
              info.target.c_str(), (long long)rows, step, 1e3 * double(rows) / step, median(prefillMs), worst);
  if (!f.checkLogits.empty() && worst > f.tolerance) {
    std::fprintf(stderr, "weft-decode-bundle: the logits differ from %s by %.3g of the largest, above the "
                         "tolerance %.3g\n",
                 f.checkLogits.c_str(), worst, f.tolerance);
    return 1;
  }
  return 0;
}
