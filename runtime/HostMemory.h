//===- HostMemory.h - how much memory this process may still use -*- C++ -*-===//
//
// This file declares the host-memory budget a CPU Executable is checked
// against before anything is allocated: the least of what the kernel says
// is available (MemAvailable), what the process's cgroup still allows
// (memory.max - memory.current, cgroup v2 or v1), and what the address-space
// and data ulimits leave above the process's current use. A program that
// needs more fails with both numbers instead of being OOM-killed or dying of
// std::bad_alloc half-way.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_HOSTMEMORY_H
#define WEFT_RUNTIME_HOSTMEMORY_H

#include "runtime/Device.h"

#include <optional>

namespace weft::rt {

/// The bytes this process can still allocate and the limit that says so;
/// nullopt when none of the sources can be read.
std::optional<Device::Available> hostAvailableMemory();

} // namespace weft::rt

#endif // WEFT_RUNTIME_HOSTMEMORY_H
