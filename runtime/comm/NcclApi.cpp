//===- NcclApi.cpp - libnccl.so.2 loaded at run time ----------------------===//
//
// This file implements NcclLibrary::get: dlopen("libnccl.so.2") once per
// process and one dlsym per entry point (through runtime/cuda's
// SymbolResolver, which lists every missing name), and NcclLibrary::check.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/NcclApi.h"
#include "runtime/cuda/SymbolResolver.h"

#include <dlfcn.h>

namespace weft::rt::nccl {
namespace {

struct Loaded {
  NcclLibrary library;
  Status status;
};

Loaded load() {
  Loaded l;
  void *lib = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *err = dlerror();
    l.status = unavailable(std::string("nccl: cannot load libnccl.so.2 (") +
                           (err ? err : "unknown error") +
                           "); install NCCL (the CUDA toolkit's, or libnccl2) for GPU collectives");
    return l;
  }
  cuda::SymbolResolver resolve(lib);
  NcclLibrary &n = l.library;
  resolve(n.getUniqueId, "ncclGetUniqueId");
  resolve(n.commInitRank, "ncclCommInitRank");
  resolve(n.commSplit, "ncclCommSplit");
  resolve(n.commDestroy, "ncclCommDestroy");
  resolve(n.commAbort, "ncclCommAbort");
  resolve(n.commGetAsyncError, "ncclCommGetAsyncError");
  resolve(n.getErrorString, "ncclGetErrorString");
  resolve(n.allReduce, "ncclAllReduce");
  resolve(n.allGather, "ncclAllGather");
  resolve(n.reduceScatter, "ncclReduceScatter");
  resolve(n.send, "ncclSend");
  resolve(n.recv, "ncclRecv");
  resolve(n.groupStart, "ncclGroupStart");
  resolve(n.groupEnd, "ncclGroupEnd");
  if (!resolve.missing().empty())
    l.status = unavailable("nccl: libnccl.so.2 lacks " + resolve.missing() +
                           "; weft needs NCCL 2.18 or newer");
  return l;
}

} // namespace

StatusOr<const NcclLibrary *> NcclLibrary::get() {
  static const Loaded loaded = load();
  if (!loaded.status.isOk())
    return loaded.status;
  return &loaded.library;
}

Status NcclLibrary::check(ncclResult_t result, const char *call, const std::string &ref) const {
  if (result == ncclSuccess)
    return Status::ok();
  const char *text = getErrorString ? getErrorString(result) : nullptr;
  return internalError(ref + ": " + call + " failed: " + (text ? text : "unknown NCCL error") +
                       " (" + std::to_string(int(result)) + ")");
}

} // namespace weft::rt::nccl
