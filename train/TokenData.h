//===- TokenData.h - training data for `weft train` -------------*- C++ -*-===//
//
// This file implements the declarations of the token data sets `weft train`
// reads and the order it draws batches in. A data set is a list of rows of
// seq + 1 tokens (inputs = the first seq, targets = the last seq):
//   - a text file, byte-level (vocab 256: each byte is a token): the first
//     90% of the bytes are cut into training rows with stride seq (row i is
//     bytes [i*seq, i*seq + seq]), the last 10% into held-out rows the same way;
//   - a .npy file of int32 or int64 with shape [N, seq + 1] (nanoGPT/llm.c
//     style): the first N - N/10 rows train, the last N/10 rows are held out.
// Batches are taken in file order by default (reproducible); with shuffle the
// order of each epoch is a permutation drawn from a seeded std::mt19937_64.
// The sampler's position and generator state go into checkpoints so that a
// resumed run draws the same batches as an uninterrupted one.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TRAIN_TOKENDATA_H
#define WEFT_TRAIN_TOKENDATA_H

#include "runtime/HostTensor.h"
#include "runtime/Status.h"
#include "runtime/checkpoint.pb.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace weft::train {

/// One batch: "tokens" and "targets", both [batch, seq] i64.
struct Batch {
  rt::HostTensor tokens, targets;
};

/// Training and held-out rows of seq + 1 tokens each.
class TokenDataset {
public:
  /// Opens `path`: a .npy file (by its extension) of int32/int64 [N, seq + 1],
  /// else a text file read as bytes. Errors name the file: NOT_FOUND when it
  /// is missing; INVALID_ARGUMENT when it is too short for one training
  /// batch or one held-out batch (with the counts), when a token id is
  /// negative or >= vocabSize (with its row and column, or byte offset), when
  /// a text file is used with vocabSize < 256, or when the .npy has the wrong
  /// rank, dtype or row length.
  static rt::StatusOr<TokenDataset> open(const std::string &path, int64_t vocabSize, int batch,
                                         int seq);

  /// Number of training rows.
  int64_t trainRows() const { return int64_t(train_.size() / rowLength()); }
  /// Number of held-out rows.
  int64_t heldOutRows() const { return int64_t(heldOut_.size() / rowLength()); }
  /// Whether the data is byte-level text (tokens print as characters).
  bool isText() const { return text_; }
  int batch() const { return batch_; }
  int seq() const { return seq_; }

  /// The training batch made of rows `rows` (indices into the training rows).
  Batch trainBatch(const std::vector<int64_t> &rows) const;
  /// The k-th held-out batch in file order (k < heldOutRows() / batch).
  Batch heldOutBatch(int64_t k) const;
  /// Held-out row `row` (seq + 1 tokens), e.g. a prompt for sampling.
  std::vector<int64_t> heldOutRow(int64_t row) const;

private:
  size_t rowLength() const { return size_t(seq_) + 1; }
  static Batch makeBatch(const std::vector<int64_t> &rows, const std::vector<int64_t> &source,
                         int batch, int seq);

  std::vector<int64_t> train_, heldOut_; // rows of seq + 1 tokens, flattened
  int batch_ = 1, seq_ = 1;
  bool text_ = false;
};

/// The order batches are drawn in: file order, or a seeded shuffle per epoch.
class BatchSampler {
public:
  /// A sampler over `rows` training rows, `batch` rows per batch (a partial
  /// batch at the end of an epoch is dropped).
  BatchSampler(int64_t rows, int batch, bool shuffle, uint64_t seed);

  /// The row indices of the next batch.
  std::vector<int64_t> next();

  /// The state to store in a checkpoint.
  proto::DataState state() const;
  /// Continues from `state`. INVALID_ARGUMENT when it does not fit this
  /// sampler (another shuffle or seed, a position past the epoch, a bad
  /// generator state).
  rt::Status restore(const proto::DataState &state);

private:
  void startEpoch();

  int64_t rows_;
  int batch_;
  bool shuffle_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  std::string epochRngState_; // generator state before this epoch's shuffle
  std::vector<int64_t> order_;
  uint64_t position_ = 0, epoch_ = 0;
};

} // namespace weft::train

#endif // WEFT_TRAIN_TOKENDATA_H
