//===- Communicator.h - collectives among the ranks of a group ---*- C++ -*-===//
//
// This file implements the declaration of Communicator: the interface through
// which the runtime runs collective steps among the ranks of a group, on raw
// buffers of `count` elements of a dtype. Implementations:
//   - InProcessCommunicator (runtime/comm/InProcessCommunicator.h): ranks are
//     threads of one process (unit tests, one-rank runs without MPI);
//   - MpiCommunicator (runtime/comm/MpiCommunicator.h): host buffers over an
//     MPI communicator (OpenMPI);
//   - NcclCommunicator (runtime/comm/NcclCommunicator.h): GPU buffers, NCCL.
//
// Semantics shared by all (n = size(), blocks are contiguous runs of `count`
// elements):
//   allReduce      recv = op over ranks of send (count elements; send == recv
//                  is in place);
//   allGather      recv (n*count) = the ranks' sends, concatenated in rank order;
//   reduceScatter  send holds n blocks; rank i gets op over ranks of block i;
//   allToAll       block j of send goes to rank j; recv block i came from rank i;
//   permute        each pair sends `count` elements from its source rank to its
//                  target rank; a rank that no pair targets gets zeros.
// Reductions are deterministic: each element is reduced in rank order (rank 0
// first), in float for bf16/f16 (rounded to nearest even once at the end), so
// every rank gets bit-identical results and a run repeats bitwise (the host
// communicators; NCCL uses its own order, see NcclCommunicator.h).
//
// Every collective is collective: all ranks of the group call it, in the same
// order. A rank that does not arrive within the timeout makes the others fail
// with UNAVAILABLE naming the collective, its label, the group and the ranks
// that did not arrive; the caller should then abort() so that no rank hangs.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_COMMUNICATOR_H
#define WEFT_RUNTIME_COMM_COMMUNICATOR_H

#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weft::rt {

/// How allReduce and reduceScatter combine the ranks' values.
enum class ReduceOp { kSum, kMax, kMin };

/// "sum", "max", "min".
const char *reduceOpName(ReduceOp op);

/// One transfer of a permute: from group rank `source` to group rank `target`.
struct SourceTarget {
  int source = 0;
  int target = 0;
};

/// The ranks of one group and the collectives among them. Each rank holds its
/// own Communicator object; none is thread-safe.
class Communicator {
public:
  virtual ~Communicator() = default;

  /// This rank's index in the group, 0 .. size()-1.
  virtual int rank() const = 0;
  /// The number of ranks in the group.
  virtual int size() const = 0;
  /// The group in errors: "<name>: ranks 0,1,2,3" (world ranks).
  virtual std::string groupName() const = 0;

  /// See the file comment. `label` (e.g. the step's) is quoted in errors.
  virtual Status allReduce(const void *send, void *recv, size_t count, proto::DType dtype,
                           ReduceOp op, std::string_view label = {}) = 0;
  virtual Status allGather(const void *send, void *recv, size_t countPerRank, proto::DType dtype,
                           std::string_view label = {}) = 0;
  virtual Status reduceScatter(const void *send, void *recv, size_t countPerRank,
                               proto::DType dtype, ReduceOp op, std::string_view label = {}) = 0;
  virtual Status allToAll(const void *send, void *recv, size_t countPerRank, proto::DType dtype,
                          std::string_view label = {}) = 0;
  virtual Status permute(const void *send, void *recv, size_t count, proto::DType dtype,
                         const std::vector<SourceTarget> &pairs, std::string_view label = {}) = 0;
  /// Returns once every rank of the group has called it.
  virtual Status barrier(std::string_view label = {}) = 0;

  /// MPI_Comm_split: every rank of this group calls it; ranks with the same
  /// `color` (>= 0) form a new group, ordered by (`key`, rank here). `name`
  /// names the new group in errors ("dp").
  virtual StatusOr<std::shared_ptr<Communicator>> split(int color, int key,
                                                        const std::string &name) = 0;

  /// Ends every rank of the job after printing `message` (MPI_Abort under
  /// MPI); an in-process group instead fails every pending and later
  /// collective with `message`.
  virtual void abort(const std::string &message) = 0;

  /// How long a rank waits for the others in one collective.
  void setTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::chrono::milliseconds timeout() const { return timeout_; }

protected:
  std::chrono::milliseconds timeout_ = defaultCollectiveTimeout();

public:
  /// WEFT_COLLECTIVE_TIMEOUT_S from the environment (seconds, may be
  /// fractional, > 0), else 30 s.
  static std::chrono::milliseconds defaultCollectiveTimeout();
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_COMMUNICATOR_H
