//===- TokenData.cpp - training data for `weft train` ---------------------===//
//
// This file implements TokenDataset (byte-level text and .npy token rows, the
// 90/10 split, batch assembly) and BatchSampler (file order or a seeded
// shuffle per epoch, with a state that checkpoints can hold).
//
//===----------------------------------------------------------------------===//

#include "train/TokenData.h"

#include "runtime/FileUtil.h"
#include "runtime/io/Npy.h"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace weft::train {
namespace {

bool hasSuffix(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Cuts `tokens` into rows of seq + 1 with stride seq (consecutive rows share
/// one boundary token) and appends them flattened to `out`.
void cutRows(const std::vector<int64_t> &tokens, int seq, std::vector<int64_t> &out) {
  if (tokens.size() < size_t(seq) + 1)
    return;
  for (size_t start = 0; start + seq + 1 <= tokens.size(); start += seq)
    out.insert(out.end(), tokens.begin() + start, tokens.begin() + start + seq + 1);
}

} // namespace

rt::StatusOr<TokenDataset> TokenDataset::open(const std::string &path, int64_t vocabSize,
                                              int batch, int seq) {
  if (batch < 1 || seq < 1)
    return rt::invalidArgument("data '" + path + "': need batch >= 1 and seq >= 1");
  TokenDataset d;
  d.batch_ = batch;
  d.seq_ = seq;
  const size_t rowLen = size_t(seq) + 1;
  if (hasSuffix(path, ".npy")) {
    auto array = rt::readNpy(path);
    if (!array.isOk())
      return array.status();
    const rt::HostTensor &a = *array;
    if (a.dtype != weft::proto::I32 && a.dtype != weft::proto::I64)
      return rt::invalidArgument("data '" + path + "' has dtype " + rt::dtypeName(a.dtype) +
                                 "; token arrays must be int32 or int64");
    if (a.shape.size() != 2 || a.shape[1] != int64_t(rowLen))
      return rt::invalidArgument("data '" + path + "' has shape " + rt::shapeString(a.shape) +
                                 "; expected [N, " + std::to_string(rowLen) +
                                 "] (rows of --seq + 1 tokens)");
    const int64_t n = a.shape[0];
    std::vector<int64_t> all(size_t(a.numElements()));
    for (int64_t i = 0; i < a.numElements(); ++i) {
      int64_t v = a.dtype == weft::proto::I32 ? a.data<int32_t>()[i] : a.data<int64_t>()[i];
      if (v < 0 || v >= vocabSize)
        return rt::invalidArgument("data '" + path + "': token id " + std::to_string(v) +
                                   " at row " + std::to_string(i / int64_t(rowLen)) +
                                   ", column " + std::to_string(i % int64_t(rowLen)) +
                                   " is outside the vocabulary [0, " +
                                   std::to_string(vocabSize) + ")");
      all[size_t(i)] = v;
    }
    const int64_t held = n / 10, trainRows = n - held;
    d.train_.assign(all.begin(), all.begin() + trainRows * int64_t(rowLen));
    d.heldOut_.assign(all.begin() + trainRows * int64_t(rowLen), all.end());
  } else {
    if (vocabSize < 256)
      return rt::invalidArgument("data '" + path + "' is read as byte-level text (tokens 0-255) "
                                 "but the model's vocab_size is " + std::to_string(vocabSize) +
                                 "; use a config with vocab_size >= 256 or a .npy token file");
    std::vector<uint8_t> bytes;
    rt::Status read = rt::readWholeFile(path, bytes);
    if (!read.isOk())
      return read;
    const size_t trainBytes = bytes.size() - bytes.size() / 10;
    std::vector<int64_t> first(bytes.begin(), bytes.begin() + trainBytes);
    std::vector<int64_t> last(bytes.begin() + trainBytes, bytes.end());
    cutRows(first, seq, d.train_);
    cutRows(last, seq, d.heldOut_);
    d.text_ = true;
  }
  const std::string unit = d.text_ ? "rows of --seq + 1 bytes" : "rows";
  if (d.trainRows() < batch)
    return rt::invalidArgument("data '" + path + "' is too short: its training part (first 90%) has " +
                               std::to_string(d.trainRows()) + " " + unit + ", one batch needs " +
                               std::to_string(batch) + "; use a longer file or a smaller --batch/--seq");
  if (d.heldOutRows() < batch)
    return rt::invalidArgument("data '" + path + "' is too short: its held-out part (last 10%) has " +
                               std::to_string(d.heldOutRows()) + " " + unit + ", one batch needs " +
                               std::to_string(batch) + "; use a longer file or a smaller --batch/--seq");
  return d;
}

Batch TokenDataset::makeBatch(const std::vector<int64_t> &rows, const std::vector<int64_t> &source,
                              int batch, int seq) {
  Batch b{rt::HostTensor(weft::proto::I64, {batch, seq}),
          rt::HostTensor(weft::proto::I64, {batch, seq})};
  int64_t *tok = b.tokens.data<int64_t>(), *tgt = b.targets.data<int64_t>();
  const size_t rowLen = size_t(seq) + 1;
  for (int r = 0; r < batch; ++r) {
    const int64_t *row = source.data() + size_t(rows[size_t(r)]) * rowLen;
    std::copy(row, row + seq, tok + size_t(r) * seq);
    std::copy(row + 1, row + seq + 1, tgt + size_t(r) * seq);
  }
  return b;
}

Batch TokenDataset::trainBatch(const std::vector<int64_t> &rows) const {
  return makeBatch(rows, train_, batch_, seq_);
}

Batch TokenDataset::heldOutBatch(int64_t k) const {
  std::vector<int64_t> rows(static_cast<size_t>(batch_));
  std::iota(rows.begin(), rows.end(), k * batch_);
  return makeBatch(rows, heldOut_, batch_, seq_);
}

std::vector<int64_t> TokenDataset::heldOutRow(int64_t row) const {
  auto begin = heldOut_.begin() + row * int64_t(rowLength());
  return std::vector<int64_t>(begin, begin + int64_t(rowLength()));
}

BatchSampler::BatchSampler(int64_t rows, int batch, bool shuffle, uint64_t seed)
    : rows_(rows), batch_(batch), shuffle_(shuffle), seed_(shuffle ? seed : 0), rng_(seed_) {
  startEpoch();
}

void BatchSampler::startEpoch() {
  std::ostringstream s;
  s << rng_;
  epochRngState_ = s.str();
  order_.resize(size_t(rows_));
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_)
    std::shuffle(order_.begin(), order_.end(), rng_);
}

std::vector<int64_t> BatchSampler::next() {
  if (int64_t(position_ + 1) * batch_ > rows_) {
    ++epoch_;
    position_ = 0;
    startEpoch();
  }
  auto begin = order_.begin() + int64_t(position_) * batch_;
  ++position_;
  return std::vector<int64_t>(begin, begin + batch_);
}

proto::DataState BatchSampler::state() const {
  proto::DataState s;
  s.set_position(position_);
  s.set_epoch(epoch_);
  s.set_seed(seed_);
  s.set_shuffle(shuffle_);
  s.set_rng_state(epochRngState_);
  return s;
}

rt::Status BatchSampler::restore(const proto::DataState &state) {
  if (state.shuffle() != shuffle_ || state.seed() != seed_)
    return rt::invalidArgument(
        "checkpoint data order (shuffle " + std::to_string(state.shuffle()) + ", seed " +
        std::to_string(state.seed()) + ") differs from this run's (shuffle " +
        std::to_string(shuffle_) + ", seed " + std::to_string(seed_) +
        "); resume with the same --shuffle/--seed");
  // Compared by division: a position near 2^64 must not wrap around.
  if (state.position() > uint64_t(rows_ / batch_))
    return rt::invalidArgument("checkpoint data position " + std::to_string(state.position()) +
                               " lies past the end of an epoch of " + std::to_string(rows_) +
                               " rows (" + std::to_string(rows_ / batch_) +
                               " batches); was it written for other data or --batch?");
  std::istringstream in(state.rng_state());
  std::mt19937_64 rng;
  in >> rng;
  if (in.fail())
    return rt::invalidArgument("checkpoint data generator state is corrupt");
  rng_ = rng;
  startEpoch();
  position_ = state.position();
  epoch_ = state.epoch();
  return rt::Status::ok();
}

} // namespace weft::train
