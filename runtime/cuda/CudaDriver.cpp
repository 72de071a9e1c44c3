//===- CudaDriver.cpp - the CUDA driver API, loaded at run time -----------===//
//
// This file implements CudaDriver::get: dlopen("libcuda.so.1"), one dlsym per
// entry point under the name cuda.h maps it to (cuMemAlloc → cuMemAlloc_v2),
// then cuInit(0). The result, success or failure, is computed once per
// process. It also implements CudaDriver::check, which turns a CUresult into
// a Status with the error's name and description.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include "runtime/cuda/SymbolResolver.h"

#include <dlfcn.h>

namespace weft::rt::cuda {
namespace {

// The name a driver function is exported under: its macro expansion in cuda.h.
#define WEFT_CUDA_NAME_(x) #x
#define WEFT_CUDA_NAME(x) WEFT_CUDA_NAME_(x)

struct Loaded {
  CudaDriver driver;
  Status status;
};

Loaded load() {
  Loaded l;
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *err = dlerror();
    l.status = unavailable(std::string("cuda: cannot load the driver library libcuda.so.1 (") +
                           (err ? err : "unknown error") +
                           "); install the NVIDIA driver or run on a machine with a GPU");
    return l;
  }
  SymbolResolver resolve(lib);
  CudaDriver &d = l.driver;
#define WEFT_RESOLVE(member, fn) resolve(d.member, WEFT_CUDA_NAME(fn))
  WEFT_RESOLVE(init, cuInit);
  WEFT_RESOLVE(driverGetVersion, cuDriverGetVersion);
  WEFT_RESOLVE(getErrorName, cuGetErrorName);
  WEFT_RESOLVE(getErrorString, cuGetErrorString);
  WEFT_RESOLVE(deviceGetCount, cuDeviceGetCount);
  WEFT_RESOLVE(deviceGet, cuDeviceGet);
  WEFT_RESOLVE(deviceGetName, cuDeviceGetName);
  WEFT_RESOLVE(deviceGetAttribute, cuDeviceGetAttribute);
  WEFT_RESOLVE(deviceTotalMem, cuDeviceTotalMem);
  WEFT_RESOLVE(primaryCtxRetain, cuDevicePrimaryCtxRetain);
  WEFT_RESOLVE(primaryCtxRelease, cuDevicePrimaryCtxRelease);
  WEFT_RESOLVE(ctxSetCurrent, cuCtxSetCurrent);
  WEFT_RESOLVE(streamCreate, cuStreamCreate);
  WEFT_RESOLVE(streamDestroy, cuStreamDestroy);
  WEFT_RESOLVE(streamSynchronize, cuStreamSynchronize);
  WEFT_RESOLVE(streamQuery, cuStreamQuery);
  WEFT_RESOLVE(memAlloc, cuMemAlloc);
  WEFT_RESOLVE(memFree, cuMemFree);
  WEFT_RESOLVE(memGetInfo, cuMemGetInfo);
  WEFT_RESOLVE(memcpyHtoDAsync, cuMemcpyHtoDAsync);
  WEFT_RESOLVE(memcpyDtoHAsync, cuMemcpyDtoHAsync);
  WEFT_RESOLVE(memcpyDtoDAsync, cuMemcpyDtoDAsync);
  WEFT_RESOLVE(memsetD8Async, cuMemsetD8Async);
  WEFT_RESOLVE(moduleLoadData, cuModuleLoadData);
  WEFT_RESOLVE(moduleUnload, cuModuleUnload);
  WEFT_RESOLVE(moduleGetFunction, cuModuleGetFunction);
  WEFT_RESOLVE(launchKernel, cuLaunchKernel);
  WEFT_RESOLVE(eventCreate, cuEventCreate);
  WEFT_RESOLVE(eventDestroy, cuEventDestroy);
  WEFT_RESOLVE(eventRecord, cuEventRecord);
  WEFT_RESOLVE(eventSynchronize, cuEventSynchronize);
  WEFT_RESOLVE(eventElapsedTime, cuEventElapsedTime);
  WEFT_RESOLVE(streamBeginCapture, cuStreamBeginCapture);
  WEFT_RESOLVE(streamEndCapture, cuStreamEndCapture);
  WEFT_RESOLVE(graphInstantiate, cuGraphInstantiate);
  WEFT_RESOLVE(graphLaunch, cuGraphLaunch);
  WEFT_RESOLVE(graphExecDestroy, cuGraphExecDestroy);
  WEFT_RESOLVE(graphDestroy, cuGraphDestroy);
#undef WEFT_RESOLVE
  if (!resolve.missing().empty()) {
    l.status = unavailable("cuda: the driver library libcuda.so.1 lacks " + resolve.missing() +
                           "; it is older than CUDA " + std::to_string(CUDA_VERSION / 1000) +
                           ": update the NVIDIA driver");
    return l;
  }
  if (CUresult r = d.init(0); r != CUDA_SUCCESS) {
    Status s = d.check(r, "cuInit");
    l.status = unavailable("cuda: " + s.message() + "; is a GPU present and the driver loaded?");
  }
  return l;
}

} // namespace

StatusOr<const CudaDriver *> CudaDriver::get() {
  static const Loaded loaded = load();
  if (!loaded.status.isOk())
    return loaded.status;
  return &loaded.driver;
}

Status CudaDriver::check(CUresult result, const char *call, const std::string &context) const {
  if (result == CUDA_SUCCESS)
    return Status::ok();
  const char *name = nullptr, *text = nullptr;
  if (!getErrorName || getErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "CUDA_ERROR_UNKNOWN";
  if (!getErrorString || getErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = "no description";
  std::string message = std::string(call) + " failed: " + name + " (" + std::to_string(result) +
                        ": " + text + ")";
  if (!context.empty())
    message += " " + context;
  StatusCode code = result == CUDA_ERROR_OUT_OF_MEMORY   ? StatusCode::kResourceExhausted
                    : result == CUDA_ERROR_INVALID_VALUE ? StatusCode::kInvalidArgument
                    : result == CUDA_ERROR_NO_DEVICE     ? StatusCode::kUnavailable
                                                         : StatusCode::kInternal;
  return Status(code, message);
}

} // namespace weft::rt::cuda
