//===- DecodeTestUtil.h - helpers of the decoding tests ---------*- C++ -*-===//
//
// This file implements what the decoding tests share: a small GPT-2 whose
// weights are drawn with a chosen scale (large enough, its greedy
// generations depend on the context instead of repeating one token), a
// Gpt2Decoder and the full forward (buildGpt2Forward, no cache) compiled
// with the same weights, and the oracle: the full forward run on whole
// sequences, read at each row's last real position (positions after it do
// not change it: the forward is causal).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_DECODE_DECODETESTUTIL_H
#define WEFT_TESTS_DECODE_DECODETESTUTIL_H

#include "compiler/Compile.h"
#include "decode/Gpt2Decoder.h"
#include "models/Gpt2.h"
#include "models/catalog/ParamInit.h"
#include "runtime/Executor.h"

#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace weft::test {

/// GPT-2 with 2 layers, 4 heads, 32 wide, vocabulary 61, 24 positions.
inline models::Gpt2Config smallDecodeConfig() {
  return {.n_layer = 2, .n_head = 4, .n_embd = 32, .vocab_size = 61, .n_positions = 24};
}

/// Compile options with a cache folder of this test binary's own.
inline CompileOptions decodeCompileOptions(const std::string &target = "cpu") {
  CompileOptions o;
  o.target = target;
  o.cacheDir = ::testing::TempDir() + "weft-decode-cache-" + std::to_string(::getpid());
  return o;
}

/// The weights: each parameter's initial value (models/catalog/ParamInit)
/// times `scale` (LayerNorm gains and biases too: the model is shaped, not trained).
inline std::vector<std::pair<std::string, rt::HostTensor>>
scaledWeights(const std::vector<ParamSpec> &params, uint64_t seed, float scale) {
  std::vector<std::pair<std::string, rt::HostTensor>> out;
  for (const ParamSpec &spec : params) {
    rt::HostTensor t = initialValue(spec, seed);
    float *v = t.data<float>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      v[i] *= scale;
    out.push_back({spec.name, std::move(t)});
  }
  return out;
}

/// A decoder and the cache-free forward over [rows, maxLength] with the same weights.
struct DecodePair {
  std::unique_ptr<decode::Gpt2Decoder> decoder;
  std::unique_ptr<rt::Executor> forward;
  models::Gpt2Config config;
  int64_t rows = 0, maxLength = 0;

  /// The forward's logits [V] at position `last` of each row's sequence
  /// (sequences shorter than maxLength are filled with token 0 after their end).
  std::vector<std::vector<float>> forwardLogits(const std::vector<std::vector<int64_t>> &seqs) {
    rt::HostTensor tokens(weft::proto::I64, {rows, maxLength});
    std::fill(tokens.data<int64_t>(), tokens.data<int64_t>() + rows * maxLength, 0);
    for (int64_t r = 0; r < rows; ++r)
      std::copy(seqs[size_t(r)].begin(), seqs[size_t(r)].end(),
                tokens.data<int64_t>() + r * maxLength);
    EXPECT_TRUE(forward->setInput("tokens", tokens).isOk());
    rt::Status st = forward->run();
    EXPECT_TRUE(st.isOk()) << st.toString();
    rt::StatusOr<rt::HostTensor> out = forward->output("logits");
    EXPECT_TRUE(out.isOk());
    const int64_t V = config.vocab_size;
    std::vector<std::vector<float>> result;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t last = int64_t(seqs[size_t(r)].size()) - 1;
      const float *row = out->data<float>() + (r * maxLength + last) * V;
      result.emplace_back(row, row + V);
    }
    return result;
  }
};

/// A decoder for `rows` x `maxLength` on `target` with the weights of `seed`
/// scaled by `scale` (null, with a test failure, when it cannot be created).
inline std::unique_ptr<decode::Gpt2Decoder> makeDecoder(const models::Gpt2Config &config,
                                                        int64_t rows, int64_t maxLength,
                                                        uint64_t seed, float scale,
                                                        const std::string &target = "cpu") {
  decode::Gpt2DecoderOptions options;
  options.rows = rows;
  options.maxLength = maxLength;
  options.compile = decodeCompileOptions(target);
  auto decoder = decode::Gpt2Decoder::create(config, options);
  EXPECT_TRUE(decoder.isOk()) << decoder.status().toString();
  if (!decoder.isOk())
    return nullptr;
  for (auto &[name, value] : scaledWeights((*decoder)->params(), seed, scale))
    EXPECT_TRUE((*decoder)->setParameter(name, value).isOk()) << name;
  return std::move(decoder.value());
}

/// Builds both with weights of `seed` scaled by `scale`.
inline DecodePair makeDecodePair(const models::Gpt2Config &config, int64_t rows,
                                 int64_t maxLength, uint64_t seed, float scale) {
  DecodePair p;
  p.config = config;
  p.rows = rows;
  p.maxLength = maxLength;
  p.decoder = makeDecoder(config, rows, maxLength, seed, scale);
  if (!p.decoder)
    return p;
  Program fwd = models::buildGpt2Forward(config, int(rows), int(maxLength));
  CompileResult compiled = compile(fwd.module(), decodeCompileOptions());
  auto forward = rt::Executor::create(*compiled.executable);
  EXPECT_TRUE(forward.isOk()) << forward.status().toString();
  if (!forward.isOk())
    return p;
  p.forward = std::move(forward.value());
  for (auto &[name, value] : scaledWeights(p.decoder->params(), seed, scale))
    EXPECT_TRUE(p.forward->setParameter(name, value).isOk()) << name;
  return p;
}

/// f32 on both sides, in different orders (a step attends over the whole
/// masked cache, the forward over its causal square): logits agree within
/// 2e-5 + 1e-4 relative (measured worst ~2e-6 at |logit| up to ~3).
constexpr double kLogitAtol = 2e-5, kLogitRtol = 1e-4;

/// Expects |got - want| <= kLogitAtol + kLogitRtol |want| for every logit
/// of every row (got: [rows, V]); returns the largest difference.
inline double expectLogitsClose(const std::vector<float> &got,
                                const std::vector<std::vector<float>> &want,
                                const std::string &what) {
  double worst = 0;
  size_t V = want[0].size();
  EXPECT_EQ(got.size(), want.size() * V) << what;
  for (size_t r = 0; r < want.size(); ++r)
    for (size_t v = 0; v < V && r * V + v < got.size(); ++v) {
      double err = std::fabs(double(got[r * V + v]) - want[r][v]);
      worst = std::max(worst, err);
      if (err > kLogitAtol + kLogitRtol * std::fabs(want[r][v])) {
        ADD_FAILURE() << what << ": row " << r << " logit " << v << " is " << got[r * V + v]
                      << ", the forward gives " << want[r][v];
        return worst;
      }
    }
  return worst;
}

/// Index of the largest value (the first of equal ones).
inline int64_t argmax(const float *v, int64_t n) {
  return int64_t(std::max_element(v, v + n) - v);
}

} // namespace weft::test

#endif // WEFT_TESTS_DECODE_DECODETESTUTIL_H
