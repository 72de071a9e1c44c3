//===- MemoryNeeds.h - what an Executable needs in device memory -*- C++ -*-===//
//
// This file declares the memory a loaded Executable takes on its device —
// the arena (inputs, outputs, temporaries, constants, kernel scratch), the
// parameters' own storage and the optimizer state's — and the check of that
// need against the device's budget, made before anything is allocated. The
// compiler prints the same figures in its memory report.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_MEMORYNEEDS_H
#define WEFT_RUNTIME_MEMORYNEEDS_H

#include "runtime/Device.h"
#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <cstdint>
#include <optional>
#include <string>

namespace weft::rt {

/// Device bytes of one Executable.
struct MemoryNeeds {
  uint64_t arena = 0;
  uint64_t parameters = 0;
  uint64_t state = 0;
  /// The sum (saturating: a forged file cannot wrap it around).
  uint64_t total() const;
  /// "12.90 GiB (arena 12.60 GiB, parameters 297.00 MiB, optimizer state 0 B)".
  std::string describe() const;
};

/// What `exe` takes on its device once loaded.
MemoryNeeds memoryNeeds(const proto::Executable &exe);

/// The trade of a training step compiled with recompute (its
/// RecomputeReport), e.g. "recompute: 12 groups, activations kept for the
/// backward 1.20 GiB -> 120.00 MiB (saves 1.08 GiB) for +20.10 GFLOP per step
/// (MFLOP below 0.1 GFLOP)
/// (+21.3%, 387 ops recomputed)"; empty when `exe` has no report.
std::string describeRecompute(const proto::Executable &exe);

/// "1.50 GiB", "297.00 MiB", "4.00 KiB", "12 B".
std::string formatBytes(uint64_t bytes);

/// The budget a program is checked against: `limit` bytes when it is set
/// (`--memory`), else what the device has free (`deviceFree`, nullopt when
/// it cannot tell).
std::optional<Device::Available> memoryBudget(uint64_t limit,
                                              std::optional<Device::Available> deviceFree);

/// OK when `needs` fits in `budget` (a --memory limit, else what the device
/// says it has; no check when neither is known); RESOURCE_EXHAUSTED naming
/// `what`, both figures and what limits the budget otherwise.
Status checkMemoryBudget(const MemoryNeeds &needs, const std::optional<Device::Available> &budget,
                         const std::string &what);

} // namespace weft::rt

#endif // WEFT_RUNTIME_MEMORYNEEDS_H
