//===- CudaDriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// This file implements the declaration of CudaDriver: the CUDA driver entry
// points weft uses, resolved with dlopen("libcuda.so.1") + dlsym so that
// binaries start (and run CPU work) on machines without a GPU or driver, and
// the conversion of every CUresult into a Status naming the failed call.
// Included only by runtime/cuda/*.cpp (it includes <cuda.h>).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUDADRIVER_H
#define WEFT_RUNTIME_CUDA_CUDADRIVER_H

#include "runtime/Status.h"

#include <cuda.h>

#include <string>

namespace weft::rt::cuda {

/// The driver entry points in use. Each member has the type of the driver
/// function of the same name (after cuda.h's versioning macros, so
/// `memAlloc` is cuMemAlloc_v2).
struct CudaDriver {
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuDriverGetVersion) driverGetVersion = nullptr;
  decltype(&::cuGetErrorName) getErrorName = nullptr;
  decltype(&::cuGetErrorString) getErrorString = nullptr;
  decltype(&::cuDeviceGetCount) deviceGetCount = nullptr;
  decltype(&::cuDeviceGet) deviceGet = nullptr;
  decltype(&::cuDeviceGetName) deviceGetName = nullptr;
  decltype(&::cuDeviceGetAttribute) deviceGetAttribute = nullptr;
  decltype(&::cuDeviceTotalMem) deviceTotalMem = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) primaryCtxRetain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) primaryCtxRelease = nullptr;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&::cuStreamCreate) streamCreate = nullptr;
  decltype(&::cuStreamDestroy) streamDestroy = nullptr;
  decltype(&::cuStreamSynchronize) streamSynchronize = nullptr;
  decltype(&::cuStreamQuery) streamQuery = nullptr;
  decltype(&::cuMemAlloc) memAlloc = nullptr;
  decltype(&::cuMemFree) memFree = nullptr;
  decltype(&::cuMemGetInfo) memGetInfo = nullptr;
  decltype(&::cuMemcpyHtoDAsync) memcpyHtoDAsync = nullptr;
  decltype(&::cuMemcpyDtoHAsync) memcpyDtoHAsync = nullptr;
  decltype(&::cuMemcpyDtoDAsync) memcpyDtoDAsync = nullptr;
  decltype(&::cuMemsetD8Async) memsetD8Async = nullptr;
  decltype(&::cuModuleLoadData) moduleLoadData = nullptr;
  decltype(&::cuModuleUnload) moduleUnload = nullptr;
  decltype(&::cuModuleGetFunction) moduleGetFunction = nullptr;
  decltype(&::cuLaunchKernel) launchKernel = nullptr;
  decltype(&::cuEventCreate) eventCreate = nullptr;
  decltype(&::cuEventDestroy) eventDestroy = nullptr;
  decltype(&::cuEventRecord) eventRecord = nullptr;
  decltype(&::cuEventSynchronize) eventSynchronize = nullptr;
  decltype(&::cuEventElapsedTime) eventElapsedTime = nullptr;
  decltype(&::cuStreamBeginCapture) streamBeginCapture = nullptr;
  decltype(&::cuStreamEndCapture) streamEndCapture = nullptr;
  decltype(&::cuGraphInstantiate) graphInstantiate = nullptr;
  decltype(&::cuGraphLaunch) graphLaunch = nullptr;
  decltype(&::cuGraphExecDestroy) graphExecDestroy = nullptr;
  decltype(&::cuGraphDestroy) graphDestroy = nullptr;

  /// Loads libcuda.so.1 once per process, resolves every entry point and
  /// calls cuInit(0). Fails UNAVAILABLE when the library or an entry point is
  /// missing or cuInit fails (no GPU, driver/kernel-module mismatch); the
  /// failure is remembered and returned again on later calls.
  static StatusOr<const CudaDriver *> get();

  /// OK for CUDA_SUCCESS; otherwise a Status "<call> failed: CUDA_ERROR_X
  /// (<description>)" followed by `context` when it is not empty.
  Status check(CUresult result, const char *call, const std::string &context = "") const;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_CUDADRIVER_H
