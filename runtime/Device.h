//===- Device.h - where an executable's memory lives and runs ---*- C++ -*-===//
//
// This file implements the abstract Device: the few operations the Executor
// needs from a piece of hardware — aligned allocation of the arena and of
// parameter storage, copies between host and device memory, and waiting for
// outstanding work. CpuDevice is the host implementation; a CUDA device will
// implement the same interface.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_DEVICE_H
#define WEFT_RUNTIME_DEVICE_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <cstring>
#include <string>

namespace weft::rt {

/// A device that owns memory and runs an executable's steps.
class Device {
public:
  virtual ~Device() = default;

  /// A short human-readable name, e.g. "cpu".
  virtual std::string name() const = 0;
  /// Allocates `bytes` (0 is allowed) aligned to `alignment` (a power of two).
  virtual StatusOr<void *> allocate(size_t bytes, size_t alignment) = 0;
  /// Frees memory returned by allocate(); null is ignored.
  virtual void free(void *ptr) = 0;
  /// Copies `bytes` from host memory `src` to device memory `dst`.
  virtual Status copyToDevice(void *dst, const void *src, size_t bytes) = 0;
  /// Copies `bytes` from device memory `src` to host memory `dst`.
  virtual Status copyToHost(void *dst, const void *src, size_t bytes) = 0;
  /// Sets `bytes` bytes of device memory at `dst` to zero. The default is
  /// for devices whose memory the host can write (memset).
  virtual Status zero(void *dst, size_t bytes) {
    if (bytes)
      std::memset(dst, 0, bytes);
    return Status::ok();
  }
  /// Waits until all work submitted to the device has finished.
  virtual Status synchronize() = 0;
  /// Bytes the device can still allocate, and what limits them (e.g. "the
  /// cgroup's memory.max"); nullopt where the device cannot tell.
  struct Available {
    uint64_t bytes = 0;
    std::string limitedBy;
  };
  virtual std::optional<Available> availableMemory() const { return std::nullopt; }
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_DEVICE_H
