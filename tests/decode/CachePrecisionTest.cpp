//===- CachePrecisionTest.cpp - bf16 and f16 key/value caches -------------===//
//
// This file tests decoders compiled with --precision bf16 / f16
// (CompileOptions::precision; weft-mixed-precision's store-states): the
// key/value caches are STATE buffers of the low type in the decode step, the
// reorder and every prefill (half of f32's bytes), and the step's attention
// products read them as they are held (the small-M kernels in the low type,
// no cast of the cache); the prefill and every step give the f32 decoder's
// logits within the tolerance below (teacher forced, left-padded prompts, up
// to the max length), for GPT-2 and for LLaMA (grouped-query attention, its
// rotated keys cast once as they are written); a beam reordering permutes
// the low cache rows bit for bit and the steps after it follow the f32
// decoder's; a whole beam search over bf16 caches scores each returned beam
// as decoding it straight does. (Greedy tokens against f32's, on a briefly
// trained model: tests/e2e/generate_cli_test.py.)
//
//===----------------------------------------------------------------------===//

#include "tests/decode/DecodeChecks.h"

#include "runtime/HostTensor.h"
#include "runtime/generate/Generate.h"

#include <cmath>
#include <cstdio>
#include <functional>

namespace weft::test {
namespace {

/// A 16-bit precision and its unit roundoff: the spacing of its numbers in
/// [1, 2), 2^-8 for bf16's 8-bit significand, 2^-11 for f16's 11-bit one.
struct Low {
  const char *precision;
  proto::DType dtype;
  double unit;
};
const Low kBf16{"bf16", proto::BF16, std::ldexp(1.0, -8)};
const Low kF16{"f16", proto::F16, std::ldexp(1.0, -11)};

/// The tolerance, in units of the type's roundoff times the largest |logit|
/// of the f32 decoder's step. Each product rounds its operands and result to
/// the low type (at most half a unit each, relative); the caches add no
/// rounding of their own for GPT-2 (the keys and values are the c_attn
/// product's low results, held as they are) and one for LLaMA's rotated keys.
/// Over the cache, the scores q.K^T are rounded once and the context P.V once;
/// both accumulate in f32, and P.V is a convex combination of the values (the
/// probabilities sum to 1), so its rounding error stays within half a unit of
/// the largest value however long the sequence: the error grows with the
/// depth, not with the positions attended (measured: no trend over the 24
/// positions). Measured worst over every prefill and step of these 2-layer
/// models (weights 4x GPT-2's initial scale, logits up to ~6): bf16 6.3
/// (GPT-2) and 6.7 (LLaMA), f16 6.1 and 12.5; the same decoders with f32
/// caches (before the caches were held low) gave bf16 6.7 and 8.7, f16 6.5
/// and 6.7, so the error is the low products', not the cache's. A briefly
/// trained GPT-2 measures ~1.3 (tests/e2e/generate_cli_test.py). We allow
/// 16. A cache read as the wrong type, or a row written at the wrong
/// position, is off by the logits' own size (hundreds of units).
constexpr double kUnits = 16.0;

/// Largest |v|.
double largestMagnitude(const std::vector<float> &v) {
  double m = 0;
  for (float x : v)
    m = std::max(m, double(std::fabs(x)));
  return m;
}

/// Expects low within kUnits units of `low`'s roundoff times the largest
/// |want| of `want` (same [rows, V] layout) and returns the difference in
/// those units.
double expectWithinUnits(const std::vector<float> &got, const std::vector<float> &want, const Low &low,
                         const std::string &what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - double(want[i])));
  const double units = worst / (low.unit * largestMagnitude(want));
  EXPECT_LE(units, kUnits) << what << ": the " << low.precision << " decoder's logits are " << worst
                           << " from the f32 decoder's (largest |logit| " << largestMagnitude(want) << ")";
  return units;
}

/// Decoder options for `precision`.
decode::DecoderOptions lowOptions(const char *precision, int64_t rows, int64_t maxLength) {
  decode::DecoderOptions options = decoderOptions(rows, maxLength);
  options.compile.precision = precision;
  return options;
}

/// A model's decoders in f32 and in a 16-bit precision, with the same weights.
struct DecoderTwins {
  std::unique_ptr<decode::CompiledDecoder> f32, low;
  std::vector<std::string> cacheNames; // every cache state, in the step program
};

DecoderTwins gpt2Twins(const Low &low, int64_t rows, int64_t maxLength, uint64_t seed, float scale) {
  const models::Gpt2Config config = smallDecodeConfig();
  DecoderTwins t;
  t.f32 = makeDecoder(config, rows, maxLength, seed, scale);
  t.low = withWeights(decode::Gpt2Decoder::create(config, lowOptions(low.precision, rows, maxLength)), seed, scale);
  for (int layer = 0; layer < config.n_layer; ++layer)
    for (bool value : {false, true})
      t.cacheNames.push_back(models::gpt2CacheName(layer, value));
  return t;
}

/// LLaMA with 4 query heads sharing 2 key/value heads (LlamaDecoderTest's).
DecoderTwins llamaTwins(const Low &low, int64_t rows, int64_t maxLength, uint64_t seed, float scale) {
  const models::LlamaConfig config{.vocab_size = 61, .hidden_size = 32, .intermediate_size = 80,
                                   .num_hidden_layers = 2, .num_attention_heads = 4, .num_key_value_heads = 2,
                                   .max_position_embeddings = 24};
  DecoderTwins t;
  t.f32 = makeLlamaDecoder(config, rows, maxLength, seed, scale);
  t.low =
      withWeights(decode::LlamaDecoder::create(config, lowOptions(low.precision, rows, maxLength)), seed, scale);
  for (int layer = 0; layer < config.num_hidden_layers; ++layer)
    for (bool value : {false, true})
      t.cacheNames.push_back(models::llamaCacheName(layer, value));
  return t;
}

/// The caches are held in `low` in the step, the reorder and the prefill of
/// `prefillLength` (cacheDtypeOf each program), with half of f32's bytes; the
/// decode step's attention products read them in the low type.
void expectCachesHeldLow(DecoderTwins &t, const Low &low, int64_t prefillLength) {
  EXPECT_EQ(t.f32->cacheDtype(), proto::F32);
  EXPECT_EQ(t.low->cacheDtype(), low.dtype);
  auto prefill = t.low->prefillExecutor(prefillLength);
  ASSERT_TRUE(prefill.isOk()) << prefill.status().toString();
  for (const rt::Executable *exe : {&t.low->decodeExecutor().executable(), &t.low->reorderExecutor().executable(),
                                    &(*prefill)->executable()}) {
    auto dtype = decode::cacheDtypeOf(*exe);
    ASSERT_TRUE(dtype.isOk()) << dtype.status().toString();
    EXPECT_EQ(*dtype, low.dtype) << exe->source();
  }
  for (const std::string &name : t.cacheNames) {
    auto wide = t.f32->decodeExecutor().state(name);
    auto held = t.low->decodeExecutor().state(name);
    ASSERT_TRUE(wide.isOk() && held.isOk()) << name;
    EXPECT_EQ(held->dtype, low.dtype) << name;
    EXPECT_EQ(held->shape, wide->shape) << name;
    EXPECT_EQ(2 * held->bytes.size(), wide->bytes.size()) << name;
  }
}

/// After a prefill: one profiled step of the low decoder; every batched
/// product (the attention's, over the cache) runs the small-M kernels in the
/// low type.
void expectAttentionReadsTheLowCache(decode::CompiledDecoder &d, const Low &low, const std::vector<int64_t> &next) {
  d.decodeExecutor().setProfiling(true);
  ASSERT_TRUE(d.step(next).isOk());
  d.decodeExecutor().setProfiling(false);
  int products = 0;
  for (const rt::StepTime &s : d.decodeExecutor().stepTimes())
    if (s.kind == "gemm" && s.label.rfind("weft.batch_matmul", 0) == 0) {
      ++products;
      EXPECT_EQ(s.route, std::string("small-m ") + low.precision) << s.label;
    }
  EXPECT_GT(products, 0);
}

/// Prefills left-padded prompts of `lengths` into both decoders, then feeds
/// both the same random tokens up to the max length: every logit of the low
/// decoder within kUnits of the f32 decoder's. Returns the worst in units.
double expectLogitsFollowF32(DecoderTwins &t, const Low &low, const std::vector<int64_t> &lengths, uint64_t seed) {
  const int64_t rows = t.f32->rows(), V = t.f32->vocabSize();
  Prompts prompts = leftPadded(lengths, V, seed);
  auto want = t.f32->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
  auto got = t.low->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
  EXPECT_TRUE(want.isOk() && got.isOk()) << want.status().toString() << got.status().toString();
  if (!want.isOk() || !got.isOk())
    return 0;
  double worst = expectWithinUnits(*got, *want, low, "prefill");
  EXPECT_GT(largestMagnitude(*want), 1.0); // logits of some size: the tolerance means something
  std::mt19937_64 rng(seed + 1);
  for (int64_t position = prompts.length; position < t.f32->maxLength(); ++position) {
    std::vector<int64_t> next;
    for (int64_t r = 0; r < rows; ++r)
      next.push_back(int64_t(rng() % uint64_t(V)));
    want = t.f32->step(next);
    got = t.low->step(next);
    EXPECT_TRUE(want.isOk() && got.isOk()) << want.status().toString() << got.status().toString();
    if (!want.isOk() || !got.isOk())
      return worst;
    worst = std::max(worst, expectWithinUnits(*got, *want, low, "position " + std::to_string(position)));
  }
  std::printf("%s cache: worst logit difference to the f32 decoder over %lld positions: %.2f unit roundoffs\n",
              low.precision, (long long)t.f32->maxLength(), worst);
  EXPECT_GT(worst, 0.0); // the low decoder really computes in the low type
  return worst;
}

/// A model's twins (gpt2Twins, llamaTwins).
using TwinsFn = DecoderTwins (*)(const Low &, int64_t rows, int64_t maxLength, uint64_t seed, float scale);

/// For bf16 and f16: the caches held low, the logits following f32's over
/// left-padded prompts of 5, 2 and 7 tokens up to 24 positions.
void expectHeldLowAndFollowingF32(TwinsFn twins) {
  for (const Low &low : {kBf16, kF16}) {
    SCOPED_TRACE(low.precision);
    DecoderTwins t = twins(low, /*rows=*/3, /*maxLength=*/24, /*seed=*/7, /*scale=*/4.0f);
    ASSERT_TRUE(t.f32 && t.low);
    expectCachesHeldLow(t, low, /*prefillLength=*/7);
    expectLogitsFollowF32(t, low, {5, 2, 7}, /*seed=*/11);
  }
}

TEST(CachePrecision, Gpt2CachesAreHeldLowAndTheLogitsFollowF32) { expectHeldLowAndFollowingF32(&gpt2Twins); }

TEST(CachePrecision, LlamaCachesAreHeldLowAndTheLogitsFollowF32) { expectHeldLowAndFollowingF32(&llamaTwins); }

TEST(CachePrecision, TheAttentionProductsReadTheLowCache) {
  for (const Low &low : {kBf16, kF16}) {
    SCOPED_TRACE(low.precision);
    for (TwinsFn twins : {&gpt2Twins, &llamaTwins}) {
      DecoderTwins t = twins(low, /*rows=*/1, /*maxLength=*/8, /*seed=*/3, /*scale=*/1.0f);
      ASSERT_TRUE(t.low);
      ASSERT_TRUE(t.low->prefill({1, 2, 3}, {1, 1, 1}, 1, 3).isOk());
      expectAttentionReadsTheLowCache(*t.low, low, {4});
    }
  }
}

/// Prefills prompts of 4, 2 and 3 tokens and runs one step in both decoders,
/// then reorderRows({2, 0, 0}): the low caches hold the source rows bit for
/// bit, and three more steps follow the f32 decoder's (reordered alike).
void expectLowReorderFollowsF32(DecoderTwins &t, const Low &low) {
  const int64_t rows = 3;
  std::vector<int64_t> tokens = {1, 2, 3, 4, 0, 0, 5, 6, 0, 7, 8, 9};
  std::vector<int64_t> mask = {1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1};
  for (auto *d : {t.f32.get(), t.low.get()}) {
    ASSERT_TRUE(d->prefill(tokens, mask, rows, 4).isOk());
    ASSERT_TRUE(d->step({10, 11, 12}).isOk());
  }
  std::vector<rt::HostTensor> before;
  for (const std::string &n : t.cacheNames)
    before.push_back(*t.low->decodeExecutor().state(n));
  const std::vector<int64_t> source = {2, 0, 0};
  ASSERT_TRUE(t.f32->reorderRows(source).isOk());
  ASSERT_TRUE(t.low->reorderRows(source).isOk());
  for (size_t i = 0; i < t.cacheNames.size(); ++i) {
    rt::HostTensor after = *t.low->decodeExecutor().state(t.cacheNames[i]);
    ASSERT_EQ(after.dtype, low.dtype);
    expectRowsPermuted(before[i], after, source, t.cacheNames[i]);
  }
  for (int step = 0; step < 3; ++step) {
    std::vector<int64_t> next = {int64_t(20 + step), int64_t(30 + step), int64_t(40 + step)};
    auto want = t.f32->step(next);
    auto got = t.low->step(next);
    ASSERT_TRUE(want.isOk() && got.isOk());
    expectWithinUnits(*got, *want, low, "step " + std::to_string(step) + " after the reorder");
  }
}

TEST(CachePrecision, ReorderPermutesTheLowCacheRows) {
  for (const Low &low : {kBf16, kF16}) {
    SCOPED_TRACE(low.precision);
    for (TwinsFn twins : {&gpt2Twins, &llamaTwins}) {
      DecoderTwins t = twins(low, /*rows=*/3, /*maxLength=*/12, /*seed=*/9, /*scale=*/4.0f);
      ASSERT_TRUE(t.f32 && t.low);
      expectLowReorderFollowsF32(t, low);
    }
  }
}

// A whole beam search over bf16 caches (3 beams, the rows reordered on the
// device every step): each returned sequence, decoded straight through the
// same decoder (no reorder: its prompt prefilled into every row, then its
// tokens), gives the score the search reported: the sum of its tokens'
// log-probabilities over its length. A cache row lost or mixed up by a
// reorder would give a beam logits of another history. Both sides run the
// same bf16 programs (every row computes alike, whatever the other rows
// hold); only the log-softmax sums differ in order: 1e-5 relative.
TEST(CachePrecision, BeamSearchOverBf16CachesScoresEachBeamAsItsStraightDecode) {
  DecoderTwins t = gpt2Twins(kBf16, /*rows=*/3, /*maxLength=*/20, /*seed=*/5, /*scale=*/25.0f);
  ASSERT_TRUE(t.low);
  gen::GenerationConfig config;
  config.maxNewTokens = 14;
  config.numBeams = 3;
  config.numReturnSequences = 3;
  const std::vector<int64_t> prompt = {5, 17, 33};
  auto beams = gen::generate(*t.low, {prompt}, config);
  ASSERT_TRUE(beams.isOk()) << beams.status().toString();
  ASSERT_EQ(beams->numSequences, 3);
  ASSERT_EQ(beams->sequenceScores.size(), size_t(3));
  const int64_t V = t.low->vocabSize(), rows = 3, length = beams->length;
  std::set<std::vector<int64_t>> distinct;
  for (int64_t j = 0; j < beams->numSequences; ++j) {
    std::vector<int64_t> seq(beams->sequences.begin() + j * length, beams->sequences.begin() + (j + 1) * length);
    distinct.insert(seq);
    std::vector<int64_t> tokens, mask(prompt.size() * rows, 1);
    for (int64_t r = 0; r < rows; ++r)
      tokens.insert(tokens.end(), prompt.begin(), prompt.end());
    auto logits = t.low->prefill(tokens, mask, rows, int64_t(prompt.size()));
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
    double sum = 0;
    for (int64_t i = beams->promptLength; i < length; ++i) {
      const float *row = logits->data();
      double top = *std::max_element(row, row + V), total = 0;
      for (int64_t v = 0; v < V; ++v)
        total += std::exp(double(row[v]) - top);
      sum += double(row[seq[size_t(i)]]) - top - std::log(total);
      if (i + 1 == length)
        break;
      logits = t.low->step(std::vector<int64_t>(size_t(rows), seq[size_t(i)]));
      ASSERT_TRUE(logits.isOk()) << logits.status().toString();
    }
    const double straight = sum / double(length - beams->promptLength);
    EXPECT_NEAR(beams->sequenceScores[size_t(j)], straight, 1e-5 * std::fabs(straight) + 1e-6) << "beam " << j;
  }
  EXPECT_EQ(distinct.size(), size_t(3)); // three different beams: the search did reorder rows
}

} // namespace
} // namespace weft::test
