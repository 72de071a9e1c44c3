//===- DecodeTestUtil.h - helpers of the decoding tests ---------*- C++ -*-===//
//
// This file implements what the decoding tests share: small GPT-2 and LLaMA
// models whose weights are drawn with a chosen scale (large enough, their
// greedy generations depend on the context instead of repeating one token),
// a decoder (Gpt2Decoder, LlamaDecoder) and the model's full forward
// (buildGpt2Forward / buildLlamaForward, no cache) compiled with the same
// weights, left-padded prompts of random tokens, and the oracle: the full
// forward run on whole sequences, read at each row's last real position
// (positions after it do not change it: the forward is causal).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_DECODE_DECODETESTUTIL_H
#define WEFT_TESTS_DECODE_DECODETESTUTIL_H

#include "compiler/Compile.h"
#include "decode/Gpt2Decoder.h"
#include "decode/LlamaDecoder.h"
#include "models/Gpt2.h"
#include "models/Llama.h"
#include "models/catalog/ParamInit.h"
#include "runtime/Executor.h"

#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
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
  std::unique_ptr<decode::CompiledDecoder> decoder;
  std::unique_ptr<rt::Executor> forward;
  int64_t vocab = 0, rows = 0, maxLength = 0;

  /// The forward's logits [V] at position `last` of each row's sequence
  /// (sequences shorter than maxLength are filled with token 0 after their end).
  std::vector<std::vector<float>> forwardLogits(const std::vector<std::vector<int64_t>> &seqs) {
    rt::HostTensor tokens(weft::proto::I64, {rows, maxLength});
    std::fill(tokens.data<int64_t>(), tokens.data<int64_t>() + rows * maxLength, 0);
    for (int64_t r = 0; r < rows; ++r)
      std::copy(seqs[size_t(r)].begin(), seqs[size_t(r)].end(),
                tokens.data<int64_t>() + r * maxLength);
    rt::Status set = forward->setInput("tokens", tokens);
    EXPECT_TRUE(set.isOk()) << set.toString();
    rt::Status st = forward->run();
    EXPECT_TRUE(st.isOk()) << st.toString();
    rt::StatusOr<rt::HostTensor> out = forward->output("logits");
    EXPECT_TRUE(out.isOk());
    const int64_t V = vocab;
    std::vector<std::vector<float>> result;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t last = int64_t(seqs[size_t(r)].size()) - 1;
      const float *row = out->data<float>() + (r * maxLength + last) * V;
      result.emplace_back(row, row + V);
    }
    return result;
  }
};

/// Decoder options for `rows` x `maxLength` on `target`.
inline decode::DecoderOptions decoderOptions(int64_t rows, int64_t maxLength, const std::string &target = "cpu") {
  decode::DecoderOptions options;
  options.rows = rows;
  options.maxLength = maxLength;
  options.compile = decodeCompileOptions(target);
  return options;
}

/// `decoder` (null, with a test failure, when it could not be created) with
/// the weights of `seed` scaled by `scale` set.
template <typename Decoder>
std::unique_ptr<Decoder> withWeights(rt::StatusOr<std::unique_ptr<Decoder>> decoder, uint64_t seed, float scale) {
  EXPECT_TRUE(decoder.isOk()) << decoder.status().toString();
  if (!decoder.isOk())
    return nullptr;
  for (auto &[name, value] : scaledWeights((*decoder)->params(), seed, scale))
    EXPECT_TRUE((*decoder)->setParameter(name, value).isOk()) << name;
  return std::move(decoder.value());
}

/// A decoder for `rows` x `maxLength` on `target` with the weights of `seed`
/// scaled by `scale` (null, with a test failure, when it cannot be created).
inline std::unique_ptr<decode::Gpt2Decoder> makeDecoder(const models::Gpt2Config &config,
                                                        int64_t rows, int64_t maxLength,
                                                        uint64_t seed, float scale,
                                                        const std::string &target = "cpu") {
  return withWeights(decode::Gpt2Decoder::create(config, decoderOptions(rows, maxLength, target)), seed, scale);
}

/// The pair of `decoder` and `forward` (the model's cache-free forward over
/// [rows, maxLength]), both with the weights of `seed` scaled by `scale`.
inline DecodePair pairWithForward(std::unique_ptr<decode::CompiledDecoder> decoder, Program forwardProgram,
                                  int64_t vocab, int64_t rows, int64_t maxLength, uint64_t seed, float scale) {
  DecodePair p;
  p.vocab = vocab;
  p.rows = rows;
  p.maxLength = maxLength;
  p.decoder = std::move(decoder);
  if (!p.decoder)
    return p;
  CompileResult compiled = compile(forwardProgram.module(), decodeCompileOptions());
  auto forward = rt::Executor::create(*compiled.executable);
  EXPECT_TRUE(forward.isOk()) << forward.status().toString();
  if (!forward.isOk())
    return p;
  p.forward = std::move(forward.value());
  for (auto &[name, value] : scaledWeights(p.decoder->params(), seed, scale))
    EXPECT_TRUE(p.forward->setParameter(name, value).isOk()) << name;
  return p;
}

/// Builds both with weights of `seed` scaled by `scale`.
inline DecodePair makeDecodePair(const models::Gpt2Config &config, int64_t rows,
                                 int64_t maxLength, uint64_t seed, float scale) {
  return pairWithForward(makeDecoder(config, rows, maxLength, seed, scale),
                         models::buildGpt2Forward(config, int(rows), int(maxLength)), config.vocab_size, rows,
                         maxLength, seed, scale);
}

/// A LlamaDecoder for `rows` x `maxLength` with the weights of `seed` scaled by `scale`.
inline std::unique_ptr<decode::LlamaDecoder> makeLlamaDecoder(const models::LlamaConfig &config, int64_t rows,
                                                              int64_t maxLength, uint64_t seed, float scale) {
  return withWeights(decode::LlamaDecoder::create(config, decoderOptions(rows, maxLength)), seed, scale);
}

/// A LlamaDecoder and buildLlamaForward with weights of `seed` scaled by `scale`.
inline DecodePair makeLlamaDecodePair(const models::LlamaConfig &config, int64_t rows, int64_t maxLength,
                                      uint64_t seed, float scale) {
  return pairWithForward(makeLlamaDecoder(config, rows, maxLength, seed, scale),
                         models::buildLlamaForward(config, int(rows), int(maxLength)), config.vocab_size, rows,
                         maxLength, seed, scale);
}

/// Prompts of given lengths, left-padded to the longest: tokens and mask.
struct Prompts {
  std::vector<std::vector<int64_t>> seqs; // the real tokens of each row
  std::vector<int64_t> tokens, mask;      // [rows, length]
  int64_t length = 0;
};

/// Random prompts of `lengths` over `vocab` tokens, left-padded with random
/// (masked) ids.
inline Prompts leftPadded(const std::vector<int64_t> &lengths, int64_t vocab, uint64_t seed) {
  Prompts p;
  std::mt19937_64 rng(seed);
  p.length = *std::max_element(lengths.begin(), lengths.end());
  for (int64_t n : lengths) {
    std::vector<int64_t> seq;
    for (int64_t i = 0; i < n; ++i)
      seq.push_back(int64_t(rng() % uint64_t(vocab)));
    for (int64_t i = 0; i < p.length - n; ++i) {
      p.tokens.push_back(int64_t(rng() % uint64_t(vocab))); // padding: any id, masked
      p.mask.push_back(0);
    }
    for (int64_t t : seq) {
      p.tokens.push_back(t);
      p.mask.push_back(1);
    }
    p.seqs.push_back(seq);
  }
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
