//===- MpiCommunicator.cpp - collectives over MPI on host buffers ---------===//
//
// This file implements MpiCommunicator (see the header for the design):
//   - each collective posts non-blocking MPI calls on element datatypes
//     (counts must fit in an int) and wait()s for them;
//   - wait() polls MPI_Testall, answers pings on the control channel, backs
//     off from yielding (the first 2 ms) to 50 µs sleeps, and calls
//     diagnose() at the deadline;
//   - diagnose() pings every other member (by world rank, on the control
//     channel) and names those that stay silent for kPingWindow.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/MpiCommunicator.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/CollectiveSupport.h"
#include "runtime/comm/MeshShape.h"
#include "runtime/comm/MpiEnvironment.h"
#include "runtime/comm/ReduceMath.h"

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <thread>

namespace weft::rt {

namespace {

constexpr int kPingTag = 1, kPongTag = 2, kPermuteTag = 3;
constexpr auto kPingWindow = std::chrono::seconds(2);

/// The MPI datatype that moves one element of `dtype` (reductions are local).
MPI_Datatype elementType(proto::DType dtype) {
  switch (dtype) {
  case proto::F32:
    return MPI_FLOAT;
  case proto::I32:
    return MPI_INT32_T;
  case proto::I64:
    return MPI_INT64_T;
  case proto::BF16:
  case proto::F16:
    return MPI_UINT16_T;
  default:
    return MPI_UINT8_T;
  }
}

/// INVALID_ARGUMENT when `count` elements do not fit MPI's int counts.
Status checkCount(size_t count, const std::string &ref) {
  if (count > static_cast<size_t>(INT_MAX))
    return invalidArgument(ref + ": " + std::to_string(count) +
                           " elements per block exceed MPI's limit of " + std::to_string(INT_MAX));
  return Status::ok();
}

/// Between two polls of a wait that began at `start`: yield for the first
/// 2 ms, then sleep 50 us. The budget is time, not a count of yields: with
/// 200 yields (~60 us on a free core) two ranks that once waited long on
/// each other both fell asleep on every round of every later collective,
/// and small all-reduces stayed at ~350 us instead of ~2.5 us (measured by
/// `weft calibrate` on 2 ranks of a 2-core machine).
void pause(std::chrono::steady_clock::time_point start) {
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2))
    std::this_thread::yield();
  else
    std::this_thread::sleep_for(std::chrono::microseconds(50));
}

} // namespace

/// A duplicate of MPI_COMM_WORLD on which waiting ranks answer pings.
struct MpiCommunicator::Control {
  MPI_Comm comm = MPI_COMM_NULL;
  ~Control() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm != MPI_COMM_NULL)
      MPI_Comm_free(&comm);
  }
  /// Answers every ping that has arrived.
  void service() {
    while (true) {
      int flag = 0;
      MPI_Status st;
      if (MPI_Iprobe(MPI_ANY_SOURCE, kPingTag, comm, &flag, &st) != MPI_SUCCESS || !flag)
        return;
      int token = 0;
      MPI_Recv(&token, 1, MPI_INT, st.MPI_SOURCE, kPingTag, comm, MPI_STATUS_IGNORE);
      MPI_Request r;
      if (MPI_Isend(&pongToken, 1, MPI_INT, st.MPI_SOURCE, kPongTag, comm, &r) == MPI_SUCCESS)
        MPI_Request_free(&r);
    }
  }
  int pongToken = 1; // outlives the freed sends
};

MpiCommunicator::MpiCommunicator(MPI_Comm comm, std::string name, std::shared_ptr<Control> control)
    : comm_(comm), name_(std::move(name)), control_(std::move(control)) {
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  MPI_Group group, world;
  MPI_Comm_group(comm_, &group);
  MPI_Comm_group(MPI_COMM_WORLD, &world);
  std::vector<int> local(static_cast<size_t>(size_)), global(static_cast<size_t>(size_));
  for (int i = 0; i < size_; ++i)
    local[static_cast<size_t>(i)] = i;
  MPI_Group_translate_ranks(group, size_, local.data(), world, global.data());
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  worldRanks_.assign(global.begin(), global.end());
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL)
    MPI_Comm_free(&comm_);
}

StatusOr<std::shared_ptr<MpiCommunicator>> MpiCommunicator::world() {
  WEFT_RETURN_IF_ERROR(MpiEnvironment::initialize());
  auto control = std::make_shared<Control>();
  MPI_Comm comm;
  if (MPI_Comm_dup(MPI_COMM_WORLD, &control->comm) != MPI_SUCCESS ||
      MPI_Comm_dup(MPI_COMM_WORLD, &comm) != MPI_SUCCESS)
    return unavailable("mpi: cannot duplicate MPI_COMM_WORLD");
  MPI_Comm_set_errhandler(control->comm, MPI_ERRORS_RETURN);
  return std::shared_ptr<MpiCommunicator>(new MpiCommunicator(comm, "world", std::move(control)));
}

std::string MpiCommunicator::groupName() const { return name_ + ": ranks " + rankList(worldRanks_); }

Status MpiCommunicator::mpiError(int code, const char *call, const std::string &ref) const {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    length = std::snprintf(text, sizeof text, "error %d", code);
  return internalError(ref + ": " + call + " failed: " + std::string(text, size_t(length)));
}

Status MpiCommunicator::wait(std::vector<MPI_Request> &requests, const std::string &ref) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout_;
  while (true) {
    int done = 0;
    int rc = MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done,
                         MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS)
      return mpiError(rc, "MPI_Testall", ref);
    if (done)
      return Status::ok();
    control_->service();
    if (std::chrono::steady_clock::now() > deadline)
      return diagnose(ref);
    pause(start);
  }
}

Status MpiCommunicator::diagnose(const std::string &ref) {
  const int self = static_cast<int>(worldRanks_[static_cast<size_t>(rank_)]);
  std::vector<int> pong(worldRanks_.size(), 0);
  std::vector<MPI_Request> pending(worldRanks_.size(), MPI_REQUEST_NULL);
  int ping = 1;
  for (size_t i = 0; i < worldRanks_.size(); ++i) {
    int peer = static_cast<int>(worldRanks_[i]);
    if (peer == self)
      continue;
    MPI_Request send;
    if (MPI_Isend(&ping, 1, MPI_INT, peer, kPingTag, control_->comm, &send) == MPI_SUCCESS)
      MPI_Request_free(&send);
    MPI_Irecv(&pong[i], 1, MPI_INT, peer, kPongTag, control_->comm, &pending[i]);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + kPingWindow;
  while (std::chrono::steady_clock::now() < until) {
    bool all = true;
    for (MPI_Request &r : pending) {
      int flag = 1;
      if (r != MPI_REQUEST_NULL && MPI_Test(&r, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        flag = 0;
      all = all && flag;
    }
    if (all)
      break;
    control_->service();
    pause(start);
  }
  std::vector<int64_t> silent;
  for (size_t i = 0; i < pending.size(); ++i)
    if (pending[i] != MPI_REQUEST_NULL) {
      silent.push_back(worldRanks_[i]);
      MPI_Cancel(&pending[i]);
      MPI_Request_free(&pending[i]);
    }
  if (silent.empty())
    return unavailable(ref + ": not complete within " +
                       secondsText(timeout_) +
                       " although every rank of the group answers; a rank may be waiting in "
                       "another collective (do all ranks run the same steps in the same order?)");
  return unavailable(didNotArriveMessage(silent, ref, timeout_));
}

Status MpiCommunicator::prepare(std::string &ref, const char *collective, std::string_view label,
                                proto::DType dtype, size_t count) const {
  ref = collectiveRef(collective, label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  return checkCount(count, ref);
}

Status MpiCommunicator::finish(int rc, const char *call, MPI_Request &request,
                               const std::string &ref) {
  if (rc != MPI_SUCCESS)
    return mpiError(rc, call, ref);
  std::vector<MPI_Request> requests{request};
  return wait(requests, ref);
}

Status MpiCommunicator::blockwise(const char *collective, const char *call, BlockwiseCall post,
                                  const void *send, void *recv, size_t countPerRank,
                                  proto::DType dtype, std::string_view label) {
  std::string ref;
  WEFT_RETURN_IF_ERROR(prepare(ref, collective, label, dtype, countPerRank));
  const int n = static_cast<int>(countPerRank);
  MPI_Datatype t = elementType(dtype);
  MPI_Request r;
  return finish(post(send, n, t, recv, n, t, comm_, &r), call, r, ref);
}

Status MpiCommunicator::allGather(const void *send, void *recv, size_t countPerRank,
                                  proto::DType dtype, std::string_view label) {
  return blockwise("all_gather", "MPI_Iallgather", &MPI_Iallgather, send, recv, countPerRank,
                   dtype, label);
}

Status MpiCommunicator::allToAll(const void *send, void *recv, size_t countPerRank,
                                 proto::DType dtype, std::string_view label) {
  return blockwise("all_to_all", "MPI_Ialltoall", &MPI_Ialltoall, send, recv, countPerRank, dtype,
                   label);
}

Status MpiCommunicator::reduceScatter(const void *send, void *recv, size_t countPerRank,
                                      proto::DType dtype, ReduceOp op, std::string_view label) {
  std::string ref;
  WEFT_RETURN_IF_ERROR(prepare(ref, "reduce_scatter", label, dtype, countPerRank));
  const size_t block = countPerRank * dtypeSize(dtype);
  std::vector<unsigned char> gathered(block * static_cast<size_t>(size_));
  const int n = static_cast<int>(countPerRank);
  MPI_Datatype t = elementType(dtype);
  MPI_Request r;
  WEFT_RETURN_IF_ERROR(finish(MPI_Ialltoall(send, n, t, gathered.data(), n, t, comm_, &r),
                              "MPI_Ialltoall", r, ref));
  std::vector<const void *> blocks;
  for (int r = 0; r < size_; ++r)
    blocks.push_back(gathered.data() + static_cast<size_t>(r) * block);
  return reduceInRankOrder(blocks.data(), size_, recv, countPerRank, dtype, op);
}

Status MpiCommunicator::allReduce(const void *send, void *recv, size_t count, proto::DType dtype,
                                  ReduceOp op, std::string_view label) {
  std::string ref;
  WEFT_RETURN_IF_ERROR(prepare(ref, "all_reduce", label, dtype, count));
  // Chunk r of every rank's input goes to rank r, which reduces it in rank
  // order; then every rank gathers all reduced chunks.
  const size_t elem = dtypeSize(dtype);
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    displs[size_t(r)] = static_cast<int>(chunkBegin(count, size_, r));
    counts[size_t(r)] = static_cast<int>(chunkBegin(count, size_, r + 1)) - displs[size_t(r)];
  }
  const int mine = counts[size_t(rank_)];
  std::vector<int> recvCounts(static_cast<size_t>(size_), mine);
  std::vector<int> recvDispls(static_cast<size_t>(size_));
  for (int r = 0; r < size_; ++r)
    recvDispls[size_t(r)] = r * mine;
  std::vector<unsigned char> chunks(static_cast<size_t>(mine) * elem * size_t(size_) + 1);
  std::vector<unsigned char> reduced(static_cast<size_t>(mine) * elem + 1);
  MPI_Datatype t = elementType(dtype);
  MPI_Request r;
  WEFT_RETURN_IF_ERROR(finish(MPI_Ialltoallv(send, counts.data(), displs.data(), t, chunks.data(),
                                             recvCounts.data(), recvDispls.data(), t, comm_, &r),
                              "MPI_Ialltoallv", r, ref));
  std::vector<const void *> blocks;
  for (int r = 0; r < size_; ++r)
    blocks.push_back(chunks.data() + static_cast<size_t>(r) * size_t(mine) * elem);
  WEFT_RETURN_IF_ERROR(
      reduceInRankOrder(blocks.data(), size_, reduced.data(), size_t(mine), dtype, op));
  return finish(MPI_Iallgatherv(reduced.data(), mine, t, recv, counts.data(), displs.data(), t,
                                comm_, &r),
                "MPI_Iallgatherv", r, ref);
}

Status MpiCommunicator::permute(const void *send, void *recv, size_t count, proto::DType dtype,
                                const std::vector<SourceTarget> &pairs, std::string_view label) {
  std::string ref;
  WEFT_RETURN_IF_ERROR(prepare(ref, "permute", label, dtype, count));
  StatusOr<PermuteRole> role = permuteRole(pairs, size_, rank_, ref);
  if (!role.isOk())
    return role.status();
  const size_t bytes = count * dtypeSize(dtype);
  MPI_Datatype t = elementType(dtype);
  // In place (send == recv) with an incoming block: receive into a copy.
  std::vector<unsigned char> copy;
  void *into = recv;
  if (role->recvFrom >= 0 && send == recv) {
    copy.resize(bytes);
    into = copy.data();
  }
  std::vector<MPI_Request> req;
  if (role->recvFrom >= 0) {
    req.emplace_back();
    if (int rc = MPI_Irecv(into, int(count), t, role->recvFrom, kPermuteTag, comm_, &req.back());
        rc != MPI_SUCCESS)
      return mpiError(rc, "MPI_Irecv", ref);
  }
  for (int target : role->sendTo) {
    req.emplace_back();
    if (int rc = MPI_Isend(send, int(count), t, target, kPermuteTag, comm_, &req.back());
        rc != MPI_SUCCESS)
      return mpiError(rc, "MPI_Isend", ref);
  }
  WEFT_RETURN_IF_ERROR(wait(req, ref));
  if (role->recvFrom < 0)
    std::memset(recv, 0, bytes);
  else if (into != recv)
    std::memcpy(recv, into, bytes);
  return Status::ok();
}

Status MpiCommunicator::barrier(std::string_view label) {
  std::string ref = "barrier";
  if (!label.empty())
    ref += " '" + std::string(label) + "'";
  ref += " (group " + groupName() + ")";
  MPI_Request r;
  return finish(MPI_Ibarrier(comm_, &r), "MPI_Ibarrier", r, ref);
}

StatusOr<std::shared_ptr<Communicator>> MpiCommunicator::split(int color, int key,
                                                               const std::string &name) {
  std::string ref = "split into '" + name + "' (group " + groupName() + ")";
  if (color < 0)
    return invalidArgument(ref + ": color " + std::to_string(color) + " is negative");
  // Every rank is known to be here before the blocking MPI_Comm_split.
  WEFT_RETURN_IF_ERROR(barrier("split into '" + name + "'"));
  MPI_Comm comm;
  if (int rc = MPI_Comm_split(comm_, color, key, &comm); rc != MPI_SUCCESS)
    return mpiError(rc, "MPI_Comm_split", ref);
  std::shared_ptr<MpiCommunicator> child(new MpiCommunicator(comm, name, control_));
  child->setTimeout(timeout_);
  return std::shared_ptr<Communicator>(std::move(child));
}

void MpiCommunicator::abort(const std::string &message) {
  std::fprintf(stderr, "weft: rank %lld: %s\n",
               static_cast<long long>(worldRanks_[static_cast<size_t>(rank_)]), message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1); // MPI_Abort does not return; in case it does
}

} // namespace weft::rt
