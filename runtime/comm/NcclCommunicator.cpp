//===- NcclCommunicator.cpp - collectives on GPU buffers with NCCL --------===//
//
// This file implements NcclCommunicator (see the header): the bootstrap of
// the ncclUniqueId over the host communicator, each collective as NCCL calls
// on the stream followed by wait(), and all_to_all / permute as grouped
// ncclSend/ncclRecv.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/NcclCommunicator.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/CollectiveSupport.h"
#include "runtime/comm/NcclApi.h"
#include "runtime/cuda/CudaDriver.h"

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace weft::rt {

using namespace nccl;

struct NcclCommunicator::State {
  const NcclLibrary *lib = nullptr;
  const cuda::CudaDriver *driver = nullptr;
  ncclComm_t comm = nullptr;
  CUstream stream = nullptr;
  bool aborted = false;
};

namespace {

ncclDataType_t ncclType(proto::DType dtype) {
  switch (dtype) {
  case proto::F32:
    return ncclFloat32;
  case proto::F16:
    return ncclFloat16;
  case proto::BF16:
    return ncclBfloat16;
  case proto::I32:
    return ncclInt32;
  case proto::I64:
    return ncclInt64;
  default:
    return ncclUint8; // i1: bytes 0/1
  }
}

ncclRedOp_t ncclOp(ReduceOp op, proto::DType dtype) {
  if (op == ReduceOp::kMin)
    return ncclMin;
  if (op == ReduceOp::kMax || dtype == proto::I1) // i1: sum is "any", as on the host
    return ncclMax;
  return ncclSum;
}

/// The NCCL communicator of `bootstrap`'s group: rank 0's unique id, shared
/// by an all-gather of its bytes, then ncclCommInitRank.
StatusOr<ncclComm_t> initRank(const NcclLibrary &lib, Communicator &bootstrap) {
  const std::string ref = "nccl init (group " + bootstrap.groupName() + ")";
  ncclUniqueId id{};
  if (bootstrap.rank() == 0)
    WEFT_RETURN_IF_ERROR(lib.check(lib.getUniqueId(&id), "ncclGetUniqueId", ref));
  std::vector<char> all(sizeof id * size_t(bootstrap.size()));
  WEFT_RETURN_IF_ERROR(bootstrap.allGather(&id, all.data(), sizeof id, proto::I1, "nccl id"));
  std::memcpy(&id, all.data(), sizeof id); // rank 0's
  ncclComm_t comm = nullptr;
  WEFT_RETURN_IF_ERROR(lib.check(lib.commInitRank(&comm, bootstrap.size(), id, bootstrap.rank()),
                                 "ncclCommInitRank", ref));
  return comm;
}

} // namespace

NcclCommunicator::NcclCommunicator(std::shared_ptr<Communicator> bootstrap,
                                   std::unique_ptr<State> state)
    : bootstrap_(std::move(bootstrap)), state_(std::move(state)) {
  timeout_ = bootstrap_->timeout();
}

NcclCommunicator::~NcclCommunicator() {
  if (state_ && state_->comm && !state_->aborted)
    state_->lib->commDestroy(state_->comm);
}

StatusOr<std::shared_ptr<NcclCommunicator>>
NcclCommunicator::create(std::shared_ptr<Communicator> bootstrap, void *stream) {
  StatusOr<const NcclLibrary *> lib = NcclLibrary::get();
  if (!lib.isOk())
    return lib.status();
  StatusOr<const cuda::CudaDriver *> driver = cuda::CudaDriver::get();
  if (!driver.isOk())
    return driver.status();
  StatusOr<ncclComm_t> comm = initRank(**lib, *bootstrap);
  if (!comm.isOk())
    return comm.status();
  auto state = std::make_unique<State>();
  state->lib = *lib;
  state->driver = *driver;
  state->comm = *comm;
  state->stream = static_cast<CUstream>(stream);
  return std::shared_ptr<NcclCommunicator>(
      new NcclCommunicator(std::move(bootstrap), std::move(state)));
}

Status NcclCommunicator::wait(const std::string &ref) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  const NcclLibrary &lib = *state_->lib;
  while (true) {
    CUresult r = state_->driver->streamQuery(state_->stream);
    if (r == CUDA_SUCCESS)
      return Status::ok();
    if (r != CUDA_ERROR_NOT_READY)
      return state_->driver->check(r, "cuStreamQuery", ref);
    ncclResult_t async = ncclSuccess;
    lib.commGetAsyncError(state_->comm, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      Status st = lib.check(async, "an NCCL operation", ref);
      lib.commAbort(state_->comm);
      state_->aborted = true;
      return st;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      lib.commAbort(state_->comm);
      state_->aborted = true;
      return unavailable(ref + ": not complete within " +
                         secondsText(timeout_) + ": a rank of the group died or hangs (NCCL aborted)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

Status NcclCommunicator::finish(int result, const char *call, const std::string &ref) {
  WEFT_RETURN_IF_ERROR(state_->lib->check(static_cast<ncclResult_t>(result), call, ref));
  return wait(ref);
}

Status NcclCommunicator::allReduce(const void *send, void *recv, size_t count, proto::DType dtype,
                                   ReduceOp op, std::string_view label) {
  std::string ref = collectiveRef("all_reduce", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const NcclLibrary &lib = *state_->lib;
  return finish(lib.allReduce(send, recv, count, ncclType(dtype), ncclOp(op, dtype), state_->comm,
                              state_->stream),
                "ncclAllReduce", ref);
}

Status NcclCommunicator::allGather(const void *send, void *recv, size_t countPerRank,
                                   proto::DType dtype, std::string_view label) {
  std::string ref = collectiveRef("all_gather", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const NcclLibrary &lib = *state_->lib;
  return finish(lib.allGather(send, recv, countPerRank, ncclType(dtype), state_->comm,
                              state_->stream),
                "ncclAllGather", ref);
}

Status NcclCommunicator::reduceScatter(const void *send, void *recv, size_t countPerRank,
                                       proto::DType dtype, ReduceOp op, std::string_view label) {
  std::string ref = collectiveRef("reduce_scatter", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const NcclLibrary &lib = *state_->lib;
  return finish(lib.reduceScatter(send, recv, countPerRank, ncclType(dtype), ncclOp(op, dtype),
                                  state_->comm, state_->stream),
                "ncclReduceScatter", ref);
}

Status NcclCommunicator::allToAll(const void *send, void *recv, size_t countPerRank,
                                  proto::DType dtype, std::string_view label) {
  std::string ref = collectiveRef("all_to_all", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const NcclLibrary &lib = *state_->lib;
  const size_t block = countPerRank * dtypeSize(dtype);
  WEFT_RETURN_IF_ERROR(lib.check(lib.groupStart(), "ncclGroupStart", ref));
  for (int peer = 0; peer < size(); ++peer) {
    lib.send(static_cast<const char *>(send) + size_t(peer) * block, countPerRank,
             ncclType(dtype), peer, state_->comm, state_->stream);
    lib.recv(static_cast<char *>(recv) + size_t(peer) * block, countPerRank, ncclType(dtype),
             peer, state_->comm, state_->stream);
  }
  return finish(lib.groupEnd(), "ncclGroupEnd (send/recv)", ref);
}

Status NcclCommunicator::permute(const void *send, void *recv, size_t count, proto::DType dtype,
                                 const std::vector<SourceTarget> &pairs, std::string_view label) {
  std::string ref = collectiveRef("permute", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  StatusOr<PermuteRole> role = permuteRole(pairs, size(), rank(), ref);
  if (!role.isOk())
    return role.status();
  if (send == recv && role->recvFrom >= 0)
    return invalidArgument(ref + ": in place with an incoming block is not supported on the GPU");
  const NcclLibrary &lib = *state_->lib;
  const size_t bytes = count * dtypeSize(dtype);
  if (role->recvFrom < 0)
    WEFT_RETURN_IF_ERROR(state_->driver->check(
        state_->driver->memsetD8Async(reinterpret_cast<CUdeviceptr>(recv), 0, bytes,
                                      state_->stream),
        "cuMemsetD8Async", ref));
  WEFT_RETURN_IF_ERROR(lib.check(lib.groupStart(), "ncclGroupStart", ref));
  for (int target : role->sendTo)
    lib.send(send, count, ncclType(dtype), target, state_->comm, state_->stream);
  if (role->recvFrom >= 0)
    lib.recv(recv, count, ncclType(dtype), role->recvFrom, state_->comm, state_->stream);
  return finish(lib.groupEnd(), "ncclGroupEnd (send/recv)", ref);
}

Status NcclCommunicator::barrier(std::string_view label) { return bootstrap_->barrier(label); }

StatusOr<std::shared_ptr<Communicator>> NcclCommunicator::split(int color, int key,
                                                                const std::string &name) {
  StatusOr<std::shared_ptr<Communicator>> host = bootstrap_->split(color, key, name);
  if (!host.isOk())
    return host.status();
  StatusOr<std::shared_ptr<NcclCommunicator>> child = create(host.value(), state_->stream);
  if (!child.isOk())
    return child.status();
  return std::shared_ptr<Communicator>(std::move(child.value()));
}

void NcclCommunicator::abort(const std::string &message) {
  if (!state_->aborted) {
    state_->lib->commAbort(state_->comm);
    state_->aborted = true;
  }
  bootstrap_->abort(message);
}

} // namespace weft::rt
