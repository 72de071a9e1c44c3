//===- CudaDevice.h - one NVIDIA GPU as a Device ----------------*- C++ -*-===//
//
// This file implements the declaration of CudaDevice: a GPU's primary context,
// one stream on which every copy, kernel and GEMM of the device is ordered,
// device memory from cuMemAlloc (aligned as asked), copies between host and
// device, cubin modules, kernel launches and events for timing. Every failure
// is a Status naming the driver call (and, for launches, the kernel).
// Included only by runtime/cuda/*.cpp (it includes <cuda.h>).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUDADEVICE_H
#define WEFT_RUNTIME_CUDA_CUDADEVICE_H

#include "runtime/Device.h"
#include "runtime/cuda/CudaDriver.h"

#include <memory>
#include <string>
#include <unordered_map>

namespace weft::rt::cuda {

/// A GPU with one stream. Not thread-safe.
class CudaDevice final : public Device {
public:
  /// Opens GPU `ordinal`: loads the driver, retains the primary context and
  /// creates the stream. UNAVAILABLE when there is no driver or no such GPU.
  static StatusOr<std::unique_ptr<CudaDevice>> open(int ordinal = 0);
  ~CudaDevice() override;

  /// "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)".
  std::string name() const override { return name_; }
  /// cuMemAlloc; alignments above 256 bytes are met by over-allocating.
  StatusOr<void *> allocate(size_t bytes, size_t alignment) override;
  void free(void *ptr) override;
  /// Ordered on the stream and waited for (the host buffer may go away).
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  /// Ordered on the stream and waited for.
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
  /// cuMemsetD8Async on the stream.
  Status zero(void *dst, size_t bytes) override;
  /// cuStreamSynchronize.
  Status synchronize() override;
  /// cuMemGetInfo's free bytes of the GPU.
  std::optional<Available> availableMemory() const override;

  /// Device-to-device copy on the stream (not waited for).
  Status copyOnDevice(void *dst, const void *src, size_t bytes);
  /// Loads a cubin image; `what` names it in errors.
  StatusOr<CUmodule> loadModule(const std::string &image, const std::string &what);
  /// The function `function` of `module`; `what` names the module in errors.
  StatusOr<CUfunction> getFunction(CUmodule module, const std::string &function,
                                   const std::string &what);
  /// Launches `fn` on the stream; `kernel` names it in errors.
  Status launch(CUfunction fn, const unsigned grid[3], const unsigned block[3], void **params,
                const std::string &kernel);

  /// Records an event on the stream (created on first use, by index).
  Status recordEvent(int index);
  /// Milliseconds between two recorded events (waits for the second).
  StatusOr<float> elapsedMs(int from, int to);

  /// Compute capability as major * 10 + minor (90 for an H100).
  int computeCapability() const { return capability_; }
  CUstream stream() const { return stream_; }
  const CudaDriver &driver() const { return *driver_; }

private:
  CudaDevice() = default;
  Status makeCurrent() const;

  const CudaDriver *driver_ = nullptr;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::string name_;
  int capability_ = 0;
  std::unordered_map<void *, CUdeviceptr> raw_; // aligned pointer → allocation
  std::unordered_map<int, CUevent> events_;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_CUDADEVICE_H
