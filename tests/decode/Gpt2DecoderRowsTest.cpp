//===- Gpt2DecoderRowsTest.cpp - beam reordering and bad input ------------===//
//
// This file implements the tests of Gpt2Decoder's row handling on the CPU:
// reorderRows permutes every cache row on the device (bit for bit) and the
// steps after it continue the source rows' sequences (against the
// cache-free forward); prompts longer than the max length, token ids outside
// the vocabulary, right padding, steps before a prefill or past the max
// length and out-of-range beam sources are refused with the cause named,
// and a refused call leaves the sequences as they were.
//
//===----------------------------------------------------------------------===//

#include "tests/decode/DecodeChecks.h"

#include <cmath>

namespace weft::test {
namespace {

using rt::StatusCode;

TEST(Gpt2DecoderRows, ReorderPermutesTheCacheRowsOnTheDevice) {
  DecodePair pair = makeDecodePair(smallDecodeConfig(), /*rows=*/3, /*maxLength=*/12, /*seed=*/9, /*scale=*/4.0f);
  ASSERT_TRUE(pair.decoder && pair.forward);
  expectReorderContinuesTheSources(pair, {models::gpt2CacheName(0, false), models::gpt2CacheName(1, true)});
}

TEST(Gpt2DecoderRows, BadInputIsRefusedWithTheCause) {
  auto d = makeDecoder(smallDecodeConfig(), /*rows=*/2, /*maxLength=*/6, /*seed=*/1, /*scale=*/1.0f);
  ASSERT_TRUE(d);
  const int64_t V = smallDecodeConfig().vocab_size;
  // Before any prompt.
  expectError(d->step({1, 2}).status(), StatusCode::kFailedPrecondition, "call prefill");
  expectError(d->reorderRows({0, 1}), StatusCode::kFailedPrecondition, "call prefill");
  // A prompt longer than the max length (6).
  std::vector<int64_t> seven(14, 1);
  expectError(d->prefill(seven, seven, 2, 7).status(), StatusCode::kInvalidArgument,
              "prompt of length 7 does not fit the max length 6");
  // A token id outside the vocabulary, named by row and column.
  expectError(d->prefill({1, 2, 3, V}, {1, 1, 1, 1}, 2, 2).status(), StatusCode::kInvalidArgument,
              "token id 61 at row 1, column 1 is outside the vocabulary [0, 61)");
  // Right padding, a mask value other than 0/1, the wrong number of rows.
  expectError(d->prefill({1, 2, 3, 4}, {1, 0, 1, 1}, 2, 2).status(), StatusCode::kInvalidArgument,
              "row 0 ends with padding");
  expectError(d->prefill({1, 2, 3, 4}, {1, 2, 1, 1}, 2, 2).status(), StatusCode::kInvalidArgument,
              "mask value 2 at row 0, column 1");
  expectError(d->prefill({1, 2, 3}, {1, 1, 1}, 3, 1).status(), StatusCode::kInvalidArgument,
              "compiled for 2");

  // A valid prompt of 4, two steps fill the 6 positions, a third is refused.
  auto first = d->prefill({1, 2, 3, 4, 0, 5, 6, 7}, {1, 1, 1, 1, 0, 1, 1, 1}, 2, 4);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  expectError(d->step({1, V + 5}).status(), StatusCode::kInvalidArgument,
              "token id 66 at row 1, column 0 is outside the vocabulary");
  expectError(d->step({1}).status(), StatusCode::kInvalidArgument, "one per row needed (2)");
  expectError(d->reorderRows({0, 2}), StatusCode::kInvalidArgument,
              "source 2 of row 1 is outside [0, 2)");
  // A refused prompt leaves the sequences as they were.
  expectError(d->prefill(seven, seven, 2, 7).status(), StatusCode::kInvalidArgument, "max length");
  auto a = d->step({8, 9});
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  auto b = d->step({10, 11});
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  expectError(d->step({12, 13}).status(), StatusCode::kFailedPrecondition,
              "already holds the max length of 6 positions");
  // The same steps from a fresh prefill give the same logits: the refused
  // calls changed nothing.
  ASSERT_TRUE(d->prefill({1, 2, 3, 4, 0, 5, 6, 7}, {1, 1, 1, 1, 0, 1, 1, 1}, 2, 4).isOk());
  EXPECT_EQ(*d->step({8, 9}), *a);
  EXPECT_EQ(*d->step({10, 11}), *b);
}

TEST(Gpt2DecoderRows, SizesTheModelCannotHoldAreRefused) {
  decode::Gpt2DecoderOptions options;
  options.maxLength = smallDecodeConfig().n_positions + 1;
  options.compile = decodeCompileOptions();
  auto d = decode::Gpt2Decoder::create(smallDecodeConfig(), options);
  ASSERT_FALSE(d.isOk());
  expectError(d.status(), StatusCode::kInvalidArgument, "max length 25");
  options.maxLength = 4;
  options.rows = 0;
  expectError(decode::Gpt2Decoder::create(smallDecodeConfig(), options).status(),
              StatusCode::kInvalidArgument, "rows 0");
}

} // namespace
} // namespace weft::test
