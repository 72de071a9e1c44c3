//===- CudaDevice.cpp - one NVIDIA GPU as a Device ------------------------===//
//
// This file implements CudaDevice. open() loads the driver, picks the GPU,
// retains its primary context (the one cuBLASLt and the CUDA runtime use too)
// and creates a non-blocking stream. Every call makes the context current
// first, so a device can be used from any thread (one at a time). Host-device
// copies are asynchronous on the stream and then waited for, which keeps them
// ordered after the kernels that produced the data.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDevice.h"

#include <cstdint>

namespace weft::rt::cuda {

StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::open(int ordinal) {
  StatusOr<const CudaDriver *> driver = CudaDriver::get();
  if (!driver.isOk())
    return driver.status();
  const CudaDriver &d = **driver;
  int count = 0;
  WEFT_RETURN_IF_ERROR(d.check(d.deviceGetCount(&count), "cuDeviceGetCount"));
  if (ordinal < 0 || ordinal >= count)
    return unavailable("cuda: no GPU with ordinal " + std::to_string(ordinal) + " (" +
                       std::to_string(count) + " present)");
  std::unique_ptr<CudaDevice> dev(new CudaDevice());
  dev->driver_ = &d;
  WEFT_RETURN_IF_ERROR(d.check(d.deviceGet(&dev->device_, ordinal), "cuDeviceGet"));
  char name[256] = {0};
  WEFT_RETURN_IF_ERROR(d.check(d.deviceGetName(name, sizeof(name) - 1, dev->device_),
                               "cuDeviceGetName"));
  int major = 0, minor = 0;
  WEFT_RETURN_IF_ERROR(d.check(
      d.deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev->device_),
      "cuDeviceGetAttribute"));
  WEFT_RETURN_IF_ERROR(d.check(
      d.deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev->device_),
      "cuDeviceGetAttribute"));
  dev->capability_ = major * 10 + minor;
  dev->name_ = "cuda:" + std::to_string(ordinal) + " (" + name + ", sm_" +
               std::to_string(dev->capability_) + ")";
  WEFT_RETURN_IF_ERROR(
      d.check(d.primaryCtxRetain(&dev->context_, dev->device_), "cuDevicePrimaryCtxRetain"));
  WEFT_RETURN_IF_ERROR(dev->makeCurrent());
  WEFT_RETURN_IF_ERROR(
      d.check(d.streamCreate(&dev->stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate"));
  return dev;
}

CudaDevice::~CudaDevice() {
  if (!driver_)
    return;
  (void)makeCurrent();
  if (stream_)
    driver_->streamSynchronize(stream_);
  for (auto &[index, event] : events_)
    driver_->eventDestroy(event);
  for (auto &[ptr, raw] : raw_)
    driver_->memFree(raw);
  if (stream_)
    driver_->streamDestroy(stream_);
  if (context_)
    driver_->primaryCtxRelease(device_);
}

Status CudaDevice::makeCurrent() const {
  return driver_->check(driver_->ctxSetCurrent(context_), "cuCtxSetCurrent");
}

StatusOr<void *> CudaDevice::allocate(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return invalidArgument("cuda allocate: alignment " + std::to_string(alignment) +
                           " is not a power of two");
  WEFT_RETURN_IF_ERROR(makeCurrent());
  // cuMemAlloc returns 256-byte aligned memory; ask for more only when needed.
  size_t extra = alignment > 256 ? alignment : 0;
  size_t request = (bytes == 0 ? 1 : bytes);
  if (request > SIZE_MAX - extra)
    return resourceExhausted("cuda allocate: " + std::to_string(bytes) + " bytes is too large");
  request += extra;
  CUdeviceptr raw = 0;
  WEFT_RETURN_IF_ERROR(driver_->check(driver_->memAlloc(&raw, request), "cuMemAlloc",
                                      "allocating " + std::to_string(bytes) + " bytes on " +
                                          name_));
  CUdeviceptr aligned = extra ? (raw + alignment - 1) / alignment * alignment : raw;
  void *ptr = reinterpret_cast<void *>(static_cast<uintptr_t>(aligned));
  raw_[ptr] = raw;
  return ptr;
}

void CudaDevice::free(void *ptr) {
  auto it = raw_.find(ptr);
  if (it == raw_.end())
    return;
  if (makeCurrent().isOk())
    driver_->memFree(it->second);
  raw_.erase(it);
}

static CUdeviceptr devicePtr(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

Status CudaDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  if (!bytes)
    return Status::ok();
  WEFT_RETURN_IF_ERROR(makeCurrent());
  WEFT_RETURN_IF_ERROR(driver_->check(
      driver_->memcpyHtoDAsync(devicePtr(dst), src, bytes, stream_), "cuMemcpyHtoDAsync",
      "copying " + std::to_string(bytes) + " bytes to " + name_));
  return synchronize();
}

Status CudaDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  if (!bytes)
    return Status::ok();
  WEFT_RETURN_IF_ERROR(makeCurrent());
  WEFT_RETURN_IF_ERROR(driver_->check(
      driver_->memcpyDtoHAsync(dst, devicePtr(src), bytes, stream_), "cuMemcpyDtoHAsync",
      "copying " + std::to_string(bytes) + " bytes from " + name_));
  return synchronize();
}

Status CudaDevice::copyOnDevice(void *dst, const void *src, size_t bytes) {
  if (!bytes)
    return Status::ok();
  WEFT_RETURN_IF_ERROR(makeCurrent());
  return driver_->check(driver_->memcpyDtoDAsync(devicePtr(dst), devicePtr(src), bytes, stream_),
                        "cuMemcpyDtoDAsync",
                        "copying " + std::to_string(bytes) + " bytes on " + name_);
}

Status CudaDevice::zero(void *dst, size_t bytes) {
  if (!bytes)
    return Status::ok();
  WEFT_RETURN_IF_ERROR(makeCurrent());
  return driver_->check(driver_->memsetD8Async(devicePtr(dst), 0, bytes, stream_),
                        "cuMemsetD8Async", "zeroing " + std::to_string(bytes) + " bytes");
}

std::optional<Device::Available> CudaDevice::availableMemory() const {
  if (!makeCurrent().isOk())
    return std::nullopt;
  size_t free = 0, total = 0;
  if (!driver_->check(driver_->memGetInfo(&free, &total), "cuMemGetInfo").isOk())
    return std::nullopt;
  return Available{free, "the free memory of " + name_ + " (cuMemGetInfo)"};
}

Status CudaDevice::synchronize() {
  WEFT_RETURN_IF_ERROR(makeCurrent());
  return driver_->check(driver_->streamSynchronize(stream_), "cuStreamSynchronize",
                        "on " + name_ + " (an earlier kernel or copy failed)");
}

StatusOr<CUmodule> CudaDevice::loadModule(const std::string &image, const std::string &what) {
  WEFT_RETURN_IF_ERROR(makeCurrent());
  CUmodule module = nullptr;
  WEFT_RETURN_IF_ERROR(driver_->check(driver_->moduleLoadData(&module, image.data()),
                                      "cuModuleLoadData",
                                      "loading " + what + " (" + std::to_string(image.size()) +
                                          " bytes) on " + name_));
  return module;
}

StatusOr<CUfunction> CudaDevice::getFunction(CUmodule module, const std::string &function,
                                             const std::string &what) {
  CUfunction fn = nullptr;
  WEFT_RETURN_IF_ERROR(
      driver_->check(driver_->moduleGetFunction(&fn, module, function.c_str()),
                     "cuModuleGetFunction", "for '" + function + "' in " + what));
  return fn;
}

Status CudaDevice::launch(CUfunction fn, const unsigned grid[3], const unsigned block[3],
                          void **params, const std::string &kernel) {
  WEFT_RETURN_IF_ERROR(makeCurrent());
  return driver_->check(driver_->launchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1],
                                              block[2], 0, stream_, params, nullptr),
                        "cuLaunchKernel",
                        "launching kernel '" + kernel + "' with grid " + std::to_string(grid[0]) +
                            "x" + std::to_string(grid[1]) + "x" + std::to_string(grid[2]) +
                            ", block " + std::to_string(block[0]) + "x" +
                            std::to_string(block[1]) + "x" + std::to_string(block[2]));
}

Status CudaDevice::recordEvent(int index) {
  WEFT_RETURN_IF_ERROR(makeCurrent());
  auto it = events_.find(index);
  if (it == events_.end()) {
    CUevent e = nullptr;
    WEFT_RETURN_IF_ERROR(driver_->check(driver_->eventCreate(&e, CU_EVENT_DEFAULT),
                                        "cuEventCreate"));
    it = events_.emplace(index, e).first;
  }
  return driver_->check(driver_->eventRecord(it->second, stream_), "cuEventRecord");
}

StatusOr<float> CudaDevice::elapsedMs(int from, int to) {
  auto a = events_.find(from), b = events_.find(to);
  if (a == events_.end() || b == events_.end())
    return failedPrecondition("cuda elapsedMs: event " +
                              std::to_string(a == events_.end() ? from : to) +
                              " was never recorded; call recordEvent first");
  WEFT_RETURN_IF_ERROR(makeCurrent());
  WEFT_RETURN_IF_ERROR(driver_->check(driver_->eventSynchronize(b->second), "cuEventSynchronize"));
  float ms = 0;
  WEFT_RETURN_IF_ERROR(
      driver_->check(driver_->eventElapsedTime(&ms, a->second, b->second), "cuEventElapsedTime"));
  return ms;
}

} // namespace weft::rt::cuda
