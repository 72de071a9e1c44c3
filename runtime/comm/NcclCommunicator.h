//===- NcclCommunicator.h - collectives on GPU buffers with NCCL -*- C++ -*-===//
//
// This file implements the declaration of NcclCommunicator: a Communicator
// whose buffers are device pointers of the current CUDA context, running
// NCCL's collectives on a CUDA stream (libnccl.so.2 is loaded with dlopen,
// runtime/comm/NcclApi.h). Built only with the CUDA runtime (see
// runtime/comm/CMakeLists.txt). The group is bootstrapped over a host
// Communicator (MpiCommunicator): rank 0 creates the ncclUniqueId and an
// all-gather of bytes hands it to every rank, then ncclCommInitRank.
//
// all_reduce, all_gather and reduce_scatter are NCCL's; all_to_all and
// permute are grouped ncclSend/ncclRecv (a rank that no pair targets gets
// zeros, cuMemsetD8Async). Each collective waits for its stream: it polls
// cuStreamQuery and ncclCommGetAsyncError until the deadline (timeout()),
// then calls ncclCommAbort and fails UNAVAILABLE; which rank was missing is
// what the host communicator's timeout names. NCCL's reductions follow NCCL's
// ring/tree order: deterministic for a fixed group and size, but not the
// host communicators' rank-order bits. barrier() is the host communicator's.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_NCCLCOMMUNICATOR_H
#define WEFT_RUNTIME_COMM_NCCLCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

#include <memory>
#include <string>

namespace weft::rt {

/// One rank's NCCL communicator, on one GPU and stream.
class NcclCommunicator final : public Communicator {
public:
  /// Every rank of `bootstrap`'s group calls it, with the CUDA context of its
  /// GPU current; `stream` (a CUstream) is where collectives are enqueued.
  /// UNAVAILABLE when libnccl.so.2 or the CUDA driver cannot be loaded.
  static StatusOr<std::shared_ptr<NcclCommunicator>> create(std::shared_ptr<Communicator> bootstrap,
                                                            void *stream);
  ~NcclCommunicator() override;

  int rank() const override { return bootstrap_->rank(); }
  int size() const override { return bootstrap_->size(); }
  std::string groupName() const override { return bootstrap_->groupName(); }

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
  /// Splits the host communicator and bootstraps a new NCCL group on it.
  StatusOr<std::shared_ptr<Communicator>> split(int color, int key,
                                                const std::string &name) override;
  /// ncclCommAbort, then the host communicator's abort (ends the job).
  void abort(const std::string &message) override;

  struct State; // the NCCL handles

private:
  NcclCommunicator(std::shared_ptr<Communicator> bootstrap, std::unique_ptr<State> state);
  /// Checks `result` (an ncclResult_t of `call`), then waits.
  Status finish(int result, const char *call, const std::string &ref);
  /// Waits for the stream; on the deadline or an async error, aborts NCCL.
  Status wait(const std::string &ref);

  std::shared_ptr<Communicator> bootstrap_;
  std::unique_ptr<State> state_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_NCCLCOMMUNICATOR_H
