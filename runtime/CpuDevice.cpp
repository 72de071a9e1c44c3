//===- CpuDevice.cpp - the host as a Device -------------------------------===//
//
// This file implements CpuDevice's allocation (aligned_alloc, at least 64-byte
// aligned, sizes rounded up as aligned_alloc requires; buffers of 4 MiB and
// more on 2 MiB boundaries with transparent huge pages requested), its
// copies, and its memory budget (runtime/HostMemory.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuDevice.h"
#include "runtime/HostMemory.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>

namespace weft::rt {

static constexpr size_t kHugePageBytes = size_t(2) << 20;
static constexpr size_t kHugePageMinBytes = size_t(4) << 20;

StatusOr<void *> CpuDevice::allocate(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return invalidArgument("cpu allocate: alignment " + std::to_string(alignment) +
                           " is not a power of two");
  if (alignment < kMinAlignment)
    alignment = kMinAlignment;
  size_t rounded = bytes == 0 ? alignment : bytes;
  if (rounded > SIZE_MAX - alignment)
    return resourceExhausted("cpu allocate: " + std::to_string(bytes) + " bytes is too large");
  // Large buffers (weights, arenas) start on a 2 MiB boundary and ask for
  // transparent huge pages: a decode step streams every weight once, and with
  // 4 KiB pages that stream takes a TLB miss every 4 KiB.
  if (rounded >= kHugePageMinBytes && alignment < kHugePageBytes)
    alignment = kHugePageBytes;
  rounded = (rounded + alignment - 1) / alignment * alignment;
  void *ptr = std::aligned_alloc(alignment, rounded);
  if (!ptr)
    return resourceExhausted("cpu allocate: out of memory allocating " + std::to_string(bytes) +
                             " bytes aligned to " + std::to_string(alignment));
  if (rounded >= kHugePageMinBytes)
    (void)::madvise(ptr, rounded, MADV_HUGEPAGE); // advice only: failure changes nothing
  return ptr;
}

void CpuDevice::free(void *ptr) { std::free(ptr); }

Status CpuDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return Status::ok();
}

Status CpuDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return Status::ok();
}

std::optional<Device::Available> CpuDevice::availableMemory() const {
  return hostAvailableMemory();
}

} // namespace weft::rt
