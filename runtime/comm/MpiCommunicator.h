//===- MpiCommunicator.h - collectives over MPI on host buffers --*- C++ -*-===//
//
// This file implements the declaration of MpiCommunicator: a Communicator
// over an MPI communicator (OpenMPI) for host buffers. Every collective is made
// of non-blocking MPI calls polled with MPI_Testall until a deadline
// (timeout(); WEFT_COLLECTIVE_TIMEOUT_S, default 30 s), with MPI_ERRORS_RETURN
// so that MPI errors come back as a Status.
//
// Reductions are deterministic (rank order, see Communicator.h): rather than
// MPI_Iallreduce, whose reduction order depends on OpenMPI's algorithm choice,
// an all-reduce is an MPI_Ialltoallv that hands each rank one chunk of every
// rank's input, a local reduction of that chunk in rank order
// (runtime/comm/ReduceMath.h, float for bf16/f16), and an MPI_Iallgatherv —
// the same bytes on the wire as a ring all-reduce, 2(n-1)/n of the buffer. A
// reduce-scatter is an MPI_Ialltoall plus the local reduction. No user MPI_Op
// is needed for bf16/f16.
//
// A rank that does not arrive: while waiting, every rank answers "ping"
// messages on a control communicator (a duplicate of MPI_COMM_WORLD shared by
// all communicators of the process). When the deadline passes, the waiting
// rank pings every member of the group and names those that do not answer
// within 2 s: "rank 3 did not reach all_reduce 'step 12 …' (group dp: ranks
// 0,1,2,3) on f32 within 30 s: it died or hangs" (UNAVAILABLE). The caller
// then calls abort() (MPI_Abort), which ends every rank of the job.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_MPICOMMUNICATOR_H
#define WEFT_RUNTIME_COMM_MPICOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

namespace weft::rt {

/// One rank's handle on a group of MPI processes. Call from the thread that
/// initialized MPI only (MPI_THREAD_FUNNELED).
class MpiCommunicator final : public Communicator {
public:
  /// MPI_COMM_WORLD (duplicated), initializing MPI first if needed
  /// (MpiEnvironment). Every rank must call it.
  static StatusOr<std::shared_ptr<MpiCommunicator>> world();
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
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
  /// A barrier (with the timeout, so a dead rank is named), then
  /// MPI_Comm_split.
  StatusOr<std::shared_ptr<Communicator>> split(int color, int key,
                                                const std::string &name) override;
  /// Prints "weft: rank R: <message>" to stderr and calls MPI_Abort on
  /// MPI_COMM_WORLD: mpirun then ends every rank.
  [[noreturn]] void abort(const std::string &message) override;

  /// The world ranks of this group's members, by rank here.
  const std::vector<int64_t> &worldRanks() const { return worldRanks_; }

  struct Control; // the process-wide ping channel

private:
  MpiCommunicator(MPI_Comm comm, std::string name, std::shared_ptr<Control> control);

  /// Sets `ref` (how errors name the collective) and checks the dtype and
  /// that `count` fits MPI's int counts.
  Status prepare(std::string &ref, const char *collective, std::string_view label,
                 proto::DType dtype, size_t count) const;
  /// MPI_Iallgather and MPI_Ialltoall: `countPerRank` elements per block.
  using BlockwiseCall = int (*)(const void *, int, MPI_Datatype, void *, int, MPI_Datatype,
                                MPI_Comm, MPI_Request *);
  Status blockwise(const char *collective, const char *call, BlockwiseCall post, const void *send,
                   void *recv, size_t countPerRank, proto::DType dtype, std::string_view label);
  /// Waits for `request`, which `call` posted with result `rc` (by
  /// reference: read after the call that fills it, whatever the order in
  /// which the arguments are evaluated).
  Status finish(int rc, const char *call, MPI_Request &request, const std::string &ref);
  /// Polls `requests` until all complete, answering pings meanwhile; on the
  /// deadline, finds the unresponsive members (diagnose).
  Status wait(std::vector<MPI_Request> &requests, const std::string &ref);
  /// The error after a timeout: pings the members, names the silent ones.
  Status diagnose(const std::string &ref);
  /// "<ref>: <call> failed: <MPI error string>" (INTERNAL).
  Status mpiError(int code, const char *call, const std::string &ref) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string name_;
  std::shared_ptr<Control> control_;
  int rank_ = 0, size_ = 1;
  std::vector<int64_t> worldRanks_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_MPICOMMUNICATOR_H
