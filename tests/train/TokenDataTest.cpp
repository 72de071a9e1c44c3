//===- TokenDataTest.cpp - data sets and batch order of `weft train` ------===//
//
// This file implements the tests of TokenDataset and BatchSampler: rows and
// targets of byte-level text and .npy token rows, the 90/10 hold-out, file
// order, seeded shuffling, restoring the sampler state, and the errors for a
// missing file, a file too short for one batch and an out-of-vocabulary id;
// and that the GPT-2 loss program has the forward program's parameters.
//
//===----------------------------------------------------------------------===//

#include "TrainRunTestUtil.h"
#include "tests/common/FifoWriter.h"

#include "frontend/DslError.h"
#include "runtime/io/Npy.h"
#include "train/TokenData.h"

#include <algorithm>
#include <set>

using namespace weft;
using namespace weft::train;
using namespace weft::trainrun::test;

namespace {

std::vector<int64_t> values(const rt::HostTensor &t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numElements());
}

TEST(TrainRunData, TextRowsTargetsAndHoldOut) {
  std::string dir = scratchDir(), path = dir + "/text.txt";
  std::string text;
  for (int i = 0; i < 100; ++i)
    text.push_back(char('A' + i % 26));
  writeFile(path, text);
  auto d = TokenDataset::open(path, 256, /*batch=*/2, /*seq=*/4);
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  // 90 training bytes in rows of 5 with stride 4: starts 0, 4, ..., 84 -> 22 rows;
  // 10 held-out bytes: starts 0, 4 -> 2 rows.
  EXPECT_EQ(d->trainRows(), 22);
  EXPECT_EQ(d->heldOutRows(), 2);
  EXPECT_TRUE(d->isText());
  Batch b = d->trainBatch({0, 3});
  EXPECT_EQ(b.tokens.shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(values(b.tokens), (std::vector<int64_t>{'A', 'B', 'C', 'D', 'M', 'N', 'O', 'P'}));
  EXPECT_EQ(values(b.targets), (std::vector<int64_t>{'B', 'C', 'D', 'E', 'N', 'O', 'P', 'Q'}));
  // The held-out part starts at byte 90 ('A' + 90 % 26 = 'M').
  Batch h = d->heldOutBatch(0);
  EXPECT_EQ(values(h.tokens), (std::vector<int64_t>{'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T'}));
  EXPECT_EQ(d->heldOutRow(1), (std::vector<int64_t>{'Q', 'R', 'S', 'T', 'U'}));
}

TEST(TrainRunData, NpyRowsAndHoldOut) {
  std::string dir = scratchDir(), path = dir + "/tokens.npy";
  rt::HostTensor rows(weft::proto::I32, {20, 4});
  for (int i = 0; i < 80; ++i)
    rows.data<int32_t>()[i] = i;
  ASSERT_TRUE(rt::writeNpy(path, rows).isOk());
  auto d = TokenDataset::open(path, 100, /*batch=*/2, /*seq=*/3);
  ASSERT_TRUE(d.isOk()) << d.status().toString();
  EXPECT_EQ(d->trainRows(), 18);
  EXPECT_EQ(d->heldOutRows(), 2);
  EXPECT_FALSE(d->isText());
  Batch b = d->trainBatch({1, 17});
  EXPECT_EQ(values(b.tokens), (std::vector<int64_t>{4, 5, 6, 68, 69, 70}));
  EXPECT_EQ(values(b.targets), (std::vector<int64_t>{5, 6, 7, 69, 70, 71}));
  EXPECT_EQ(values(d->heldOutBatch(0).tokens), (std::vector<int64_t>{72, 73, 74, 76, 77, 78}));
}

TEST(TrainRunData, Errors) {
  std::string dir = scratchDir();
  auto missing = TokenDataset::open(dir + "/nope.txt", 256, 2, 4);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), rt::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.txt"), std::string::npos);

  writeFile(dir + "/short.txt", sampleText(30));
  auto shortText = TokenDataset::open(dir + "/short.txt", 256, 4, 8);
  ASSERT_FALSE(shortText.isOk());
  EXPECT_NE(shortText.status().message().find("too short"), std::string::npos)
      << shortText.status().message();
  EXPECT_NE(shortText.status().message().find("one batch needs 4"), std::string::npos);

  auto smallVocab = TokenDataset::open(dir + "/short.txt", 100, 1, 2);
  ASSERT_FALSE(smallVocab.isOk());
  EXPECT_NE(smallVocab.status().message().find("vocab_size is 100"), std::string::npos);

  rt::HostTensor rows(weft::proto::I64, {20, 5});
  for (int i = 0; i < 100; ++i)
    rows.data<int64_t>()[i] = i % 50;
  rows.data<int64_t>()[2 * 5 + 3] = 50; // row 2, column 3
  ASSERT_TRUE(rt::writeNpy(dir + "/bad.npy", rows).isOk());
  auto outside = TokenDataset::open(dir + "/bad.npy", 50, 2, 4);
  ASSERT_FALSE(outside.isOk());
  EXPECT_NE(outside.status().message().find("token id 50 at row 2, column 3"), std::string::npos)
      << outside.status().message();

  auto wrongWidth = TokenDataset::open(dir + "/bad.npy", 64, 2, 8);
  ASSERT_FALSE(wrongWidth.isOk());
  EXPECT_NE(wrongWidth.status().message().find("expected [N, 9]"), std::string::npos)
      << wrongWidth.status().message();
}

TEST(TrainRunSampler, FileOrderWrapsAndDropsThePartialBatch) {
  BatchSampler s(/*rows=*/7, /*batch=*/3, /*shuffle=*/false, /*seed=*/5);
  EXPECT_EQ(s.next(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(s.next(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(s.next(), (std::vector<int64_t>{0, 1, 2})); // row 6 is dropped
  EXPECT_EQ(s.state().epoch(), 1u);
  EXPECT_EQ(s.state().position(), 1u);
}

TEST(TrainRunSampler, ShuffleIsSeededAndAPermutationPerEpoch) {
  auto draw = [](uint64_t seed) {
    BatchSampler s(12, 4, true, seed);
    std::vector<int64_t> all;
    for (int i = 0; i < 6; ++i) {
      auto b = s.next();
      all.insert(all.end(), b.begin(), b.end());
    }
    return all;
  };
  std::vector<int64_t> a = draw(3), again = draw(3), other = draw(4);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, other);
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::set<int64_t> rows(a.begin() + epoch * 12, a.begin() + epoch * 12 + 12);
    EXPECT_EQ(rows.size(), 12u) << "epoch " << epoch;
  }
  std::vector<int64_t> identity(12);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(std::vector<int64_t>(a.begin(), a.begin() + 12), identity);
  // The second epoch is shuffled differently from the first.
  EXPECT_NE(std::vector<int64_t>(a.begin(), a.begin() + 12),
            std::vector<int64_t>(a.begin() + 12, a.end()));
}

TEST(TrainRunSampler, RestoredStateContinuesTheSameSequence) {
  BatchSampler s(10, 3, true, 9);
  for (int i = 0; i < 4; ++i) // into the second epoch
    s.next();
  proto::DataState saved = s.state();
  std::vector<std::vector<int64_t>> want;
  for (int i = 0; i < 5; ++i)
    want.push_back(s.next());
  BatchSampler r(10, 3, true, 9);
  ASSERT_TRUE(r.restore(saved).isOk());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(r.next(), want[size_t(i)]) << "batch " << i;

  BatchSampler unshuffled(10, 3, false, 0);
  rt::Status s2 = unshuffled.restore(saved);
  ASSERT_FALSE(s2.isOk());
  EXPECT_NE(s2.message().find("--shuffle/--seed"), std::string::npos) << s2.message();
}

TEST(TrainRunSampler, HugeRestoredPositionIsRefusedNotWrapped) {
  BatchSampler s(10, 3, false, 0);
  proto::DataState state = s.state();
  state.set_position((uint64_t(1) << 62) + 10000000); // times 3 wraps int64
  rt::Status r = s.restore(state);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.message().find("lies past the end of an epoch of 10 rows (3 batches)"),
            std::string::npos)
      << r.message();
}

TEST(TrainRunData, DataFromAFifoIsRefusedWithoutWaiting) {
  std::string dir = scratchDir();
  weft::test::FifoWriter fifo(dir + "/data.fifo");
  ASSERT_TRUE(fifo.made());
  auto d = TokenDataset::open(fifo.path(), 256, 2, 4);
  EXPECT_FALSE(fifo.releasedAWaitingReader()) << "open() waited for a writer";
  ASSERT_FALSE(d.isOk());
  EXPECT_NE(d.status().message().find("data.fifo"), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find("a FIFO"), std::string::npos) << d.status().message();
}

} // namespace

namespace {

TEST(TrainRunModel, LossProgramSharesTheForwardParameters) {
  models::Gpt2Config c = tinyConfig();
  Program forward = models::buildGpt2Forward(c, 2, 8);
  Program loss = models::buildGpt2TrainLoss(c, 2, 8);
  ASSERT_EQ(forward.params().size(), loss.params().size());
  for (size_t i = 0; i < loss.params().size(); ++i) {
    EXPECT_EQ(loss.params()[i].name, forward.params()[i].name);
    EXPECT_EQ(loss.params()[i].shape, forward.params()[i].shape) << loss.params()[i].name;
  }
  EXPECT_EQ(loss.inputNames(), (std::vector<std::string>{"tokens", "targets"}));
  EXPECT_EQ(loss.outputNames(), (std::vector<std::string>{"loss"}));
  EXPECT_THROW(models::buildGpt2TrainLoss(c, 2, 17), DslError); // seq > n_positions
}

} // namespace
