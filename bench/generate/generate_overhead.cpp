//===- generate_overhead.cpp - host time of the generation loop ----------===//
//
// This file implements a benchmark of what runtime/generate/ adds per token on
// the host, apart from the model: a DecodeModel that returns precomputed
// GPT-2-sized logits (vocabulary 50257, picked by the last token so that
// generations vary) drives greedy search, greedy with repetition penalty and
// no-repeat 3-grams, sampling (top-k 50, top-p 0.9, temperature 0.8) and beam
// search with 4 beams; it prints the median milliseconds per generated token
// of each (prompt 16, 128 new tokens, 5 runs). The decode budget is
// 17 ms/token for the whole step.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Generate.h"
#include "runtime/generate/Sampler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

using namespace weft;

/// Logits from a table of 64 rows, chosen by each row's last token.
class TableModel : public gen::DecodeModel {
public:
  static constexpr int64_t kVocab = 50257, kTableRows = 64;
  TableModel() : table_(kTableRows * kVocab) {
    gen::SplitMix64 rng(7);
    for (float &x : table_)
      x = static_cast<float>(rng.uniform() * 8.0 - 4.0);
  }
  int64_t vocabSize() const override { return kVocab; }
  int64_t maxLength() const override { return 1024; }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens, const std::vector<int64_t> &,
                                           int64_t rows, int64_t length) override {
    last_.assign(rows, 0);
    for (int64_t r = 0; r < rows; ++r)
      last_[r] = tokens[r * length + length - 1];
    return logits();
  }
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override {
    last_ = tokens;
    return logits();
  }
  rt::Status reorderRows(const std::vector<int64_t> &) override { return rt::Status::ok(); }

private:
  std::vector<float> logits() const {
    std::vector<float> out(last_.size() * kVocab);
    for (size_t r = 0; r < last_.size(); ++r)
      std::copy_n(table_.begin() + (last_[r] % kTableRows) * kVocab, kVocab, out.begin() + r * kVocab);
    return out;
  }
  std::vector<float> table_;
  std::vector<int64_t> last_;
};

double medianMsPerToken(const gen::GenerationConfig &config) {
  TableModel model;
  std::vector<int64_t> prompt(16);
  for (int64_t i = 0; i < 16; ++i)
    prompt[i] = 100 + 37 * i;
  std::vector<double> times;
  for (int run = 0; run < 5; ++run) {
    auto start = std::chrono::steady_clock::now();
    auto out = gen::generate(model, {prompt}, config);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!out.isOk()) {
      std::fprintf(stderr, "%s\n", out.status().toString().c_str());
      return -1;
    }
    times.push_back(ms / static_cast<double>(out->steps));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace

int main() {
  gen::GenerationConfig greedy;
  greedy.maxNewTokens = 128;
  gen::GenerationConfig penalized = greedy;
  penalized.repetitionPenalty = 1.2;
  penalized.noRepeatNgramSize = 3;
  gen::GenerationConfig sampling = greedy;
  sampling.doSample = true;
  sampling.topP = 0.9;
  sampling.temperature = 0.8;
  gen::GenerationConfig beams = greedy;
  beams.numBeams = 4;
  std::printf("host time per generated token (vocabulary 50257, prompt 16, 128 new tokens, median of 5):\n");
  std::printf("  greedy                                   %.3f ms\n", medianMsPerToken(greedy));
  std::printf("  greedy + repetition 1.2 + no-repeat 3    %.3f ms\n", medianMsPerToken(penalized));
  std::printf("  sampling top-k 50, top-p 0.9, T 0.8      %.3f ms\n", medianMsPerToken(sampling));
  std::printf("  beam search, 4 beams                     %.3f ms\n", medianMsPerToken(beams));
  return 0;
}
