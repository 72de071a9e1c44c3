//===- CpuDevice.h - the host as a Device -----------------------*- C++ -*-===//
//
// This file implements CpuDevice: host memory from aligned_alloc (at least
// 64-byte aligned, so kernels can use full-width vector loads), copies as
// memcpy, and a synchronize that has nothing to wait for.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPUDEVICE_H
#define WEFT_RUNTIME_CPUDEVICE_H

#include "runtime/Device.h"

namespace weft::rt {

/// The host CPU; memory is ordinary host memory.
class CpuDevice final : public Device {
public:
  /// The smallest alignment allocate() hands out.
  static constexpr size_t kMinAlignment = 64;

  std::string name() const override { return "cpu"; }
  /// aligned_alloc with max(alignment, 64), size rounded up to the alignment.
  StatusOr<void *> allocate(size_t bytes, size_t alignment) override;
  void free(void *ptr) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
  Status synchronize() override { return Status::ok(); }
  /// The least of: MemAvailable (/proc/meminfo), the cgroup's memory.max
  /// less its memory.current, and the address-space and data ulimits less
  /// what the process already uses.
  std::optional<Available> availableMemory() const override;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPUDEVICE_H
