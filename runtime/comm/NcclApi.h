//===- NcclApi.h - the few NCCL declarations weft uses -----------*- C++ -*-===//
//
// This file implements the declaration of the NCCL entry points, types and
// enumerators that NcclCommunicator uses, declared here (in namespace
// weft::rt::nccl, values as in NCCL 2.x's nccl.h) so that weft compiles
// without nccl.h, and NcclLibrary: those entry points resolved from
// dlopen("libnccl.so.2") at run time, as runtime/cuda/ loads libcuda.
// tests/runtime/comm/NcclApiTest.cpp checks the values against nccl.h where
// the toolkit is installed.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_NCCLAPI_H
#define WEFT_RUNTIME_COMM_NCCLAPI_H

#include "runtime/Status.h"

#include <cstddef>
#include <string>

namespace weft::rt::nccl {

typedef struct ncclComm *ncclComm_t;
typedef struct {
  char internal[128]; // NCCL_UNIQUE_ID_BYTES
} ncclUniqueId;
typedef enum { ncclSuccess = 0, ncclInProgress = 7 } ncclResult_t;
typedef enum { ncclSum = 0, ncclMax = 2, ncclMin = 3 } ncclRedOp_t;
typedef enum {
  ncclUint8 = 1,
  ncclInt32 = 2,
  ncclInt64 = 4,
  ncclFloat16 = 6,
  ncclFloat32 = 7,
  ncclBfloat16 = 9
} ncclDataType_t;
typedef void *cudaStream_t; // a CUstream

/// The NCCL entry points in use, resolved from libnccl.so.2.
struct NcclLibrary {
  ncclResult_t (*getUniqueId)(ncclUniqueId *) = nullptr;
  ncclResult_t (*commInitRank)(ncclComm_t *, int, ncclUniqueId, int) = nullptr;
  ncclResult_t (*commSplit)(ncclComm_t, int, int, ncclComm_t *, void *config) = nullptr;
  ncclResult_t (*commDestroy)(ncclComm_t) = nullptr;
  ncclResult_t (*commAbort)(ncclComm_t) = nullptr;
  ncclResult_t (*commGetAsyncError)(ncclComm_t, ncclResult_t *) = nullptr;
  const char *(*getErrorString)(ncclResult_t) = nullptr;
  ncclResult_t (*allReduce)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t,
                            cudaStream_t) = nullptr;
  ncclResult_t (*allGather)(const void *, void *, size_t, ncclDataType_t, ncclComm_t,
                            cudaStream_t) = nullptr;
  ncclResult_t (*reduceScatter)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t,
                                ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*send)(const void *, size_t, ncclDataType_t, int, ncclComm_t,
                       cudaStream_t) = nullptr;
  ncclResult_t (*recv)(void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*groupStart)() = nullptr;
  ncclResult_t (*groupEnd)() = nullptr;

  /// Loads libnccl.so.2 once per process and resolves every entry point;
  /// UNAVAILABLE naming the library or the missing symbols otherwise (the
  /// failure is remembered).
  static StatusOr<const NcclLibrary *> get();

  /// OK for ncclSuccess; otherwise "<ref>: <call> failed: <NCCL's text>".
  Status check(ncclResult_t result, const char *call, const std::string &ref) const;
};

} // namespace weft::rt::nccl

#endif // WEFT_RUNTIME_COMM_NCCLAPI_H
