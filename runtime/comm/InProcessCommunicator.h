//===- InProcessCommunicator.h - ranks as threads of one process -*- C++ -*-===//
//
// This file implements the declaration of InProcessCommunicator: the ranks of
// a group are threads of one process that share memory through one Group
// object (a generation-counting barrier on a mutex and condition variable).
// Each collective copies this rank's input into a staging buffer (so in-place
// calls work), waits for every rank, reads the others' staging buffers
// directly and waits again before anyone may reuse them. It is what the unit
// tests run on, and a one-rank run needs no MPI.
//
// A rank that does not arrive within timeout() makes the waiting ones fail
// with UNAVAILABLE naming the ranks that did not arrive; the group is then
// broken and every later collective fails with the same message.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_INPROCESSCOMMUNICATOR_H
#define WEFT_RUNTIME_COMM_INPROCESSCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace weft::rt {

/// One rank of a group of threads. Give each thread its own object.
class InProcessCommunicator final : public Communicator {
public:
  /// `n` communicators, the one at index r being rank r of one group named
  /// `name` (world ranks 0 .. n-1).
  static std::vector<std::shared_ptr<InProcessCommunicator>> createGroup(
      int n, const std::string &name = "world");

  int rank() const override { return rank_; }
  int size() const override;
  std::string groupName() const override;

  Status allReduce(const void *send, void *recv, size_t count, proto::DType dtype, ReduceOp op,
                   std::string_view label = {}) override;
  Status allGather(const void *send, void *recv, size_t countPerRank, proto::DType dtype,
                   std::string_view label = {}) override;
  Status reduceScatter(const void *send, void *recv, size_t countPerRank, proto::DType dtype,
                       ReduceOp op, std::string_view label = {}) override;
  Status allToAll(const void *send, void *recv, size_t countPerRank, proto::DType dtype,
                  std::string_view label = {}) override;
  Status permute(const void *send, void *recv, size_t count, proto::DType dtype,
                 const std::vector<SourceTarget> &pairs, std::string_view label = {}) override;
  Status barrier(std::string_view label = {}) override;
  StatusOr<std::shared_ptr<Communicator>> split(int color, int key,
                                                const std::string &name) override;
  void abort(const std::string &message) override;

  struct Group; // shared by the ranks of one group

private:
  InProcessCommunicator(std::shared_ptr<Group> group, int rank)
      : group_(std::move(group)), rank_(rank) {}

  /// Stages `bytes` bytes of `send`, waits for every rank, runs `work` with
  /// each rank's staged bytes (indexed by rank), then waits for every rank
  /// again. Errors are prefixed with `ref`.
  Status exchange(const std::string &ref, const void *send, size_t bytes,
                  const std::function<Status(const std::vector<const void *> &)> &work);

  /// all_gather (ownBlock false: each rank sends its one block) and
  /// all_to_all (ownBlock true: each rank sends sendBlocks blocks and this
  /// rank takes block rank() of each): recv block r comes from rank r.
  Status gatherBlocks(const char *collective, const void *send, size_t sendBlocks, void *recv,
                      size_t countPerRank, proto::DType dtype, bool ownBlock,
                      std::string_view label);

  std::shared_ptr<Group> group_;
  int rank_;
  uint64_t splits_ = 0;           // split() calls so far (the same on every rank)
  std::vector<unsigned char> staging_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_INPROCESSCOMMUNICATOR_H
