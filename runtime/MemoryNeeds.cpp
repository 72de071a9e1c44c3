//===- MemoryNeeds.cpp - what an Executable needs in device memory --------===//
//
// This file implements memoryNeeds, the byte formatting and the budget
// check (MemoryNeeds.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/MemoryNeeds.h"

#include <cstdio>
#include <limits>

namespace weft::rt {
namespace {

uint64_t addSaturating(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

} // namespace

uint64_t MemoryNeeds::total() const { return addSaturating(addSaturating(arena, parameters), state); }

std::string MemoryNeeds::describe() const {
  return formatBytes(total()) + " (arena " + formatBytes(arena) + ", parameters " +
         formatBytes(parameters) + ", optimizer state " + formatBytes(state) + ")";
}

MemoryNeeds memoryNeeds(const proto::Executable &exe) {
  MemoryNeeds needs;
  needs.arena = exe.arena_size();
  for (const proto::Buffer &b : exe.buffers()) {
    if (b.has_alias_of())
      continue;
    if (b.kind() == proto::PARAMETER)
      needs.parameters = addSaturating(needs.parameters, b.byte_size());
    else if (b.kind() == proto::STATE)
      needs.state = addSaturating(needs.state, b.byte_size());
  }
  return needs;
}

std::string describeRecompute(const proto::Executable &exe) {
  if (!exe.has_recompute())
    return "";
  const proto::RecomputeReport &r = exe.recompute();
  uint64_t saved = r.kept_bytes_before() > r.kept_bytes_after()
                       ? r.kept_bytes_before() - r.kept_bytes_after()
                       : 0;
  double flops = double(r.added_flops());
  bool giga = flops >= 1e8;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "recompute: %llu groups, activations kept for the backward %s -> %s (saves %s) for "
                "+%.2f %s per step (+%.1f%%, %llu ops recomputed)",
                (unsigned long long)r.groups(), formatBytes(r.kept_bytes_before()).c_str(),
                formatBytes(r.kept_bytes_after()).c_str(), formatBytes(saved).c_str(),
                giga ? flops / 1e9 : flops / 1e6, giga ? "GFLOP" : "MFLOP",
                r.step_flops() ? 100.0 * double(r.added_flops()) / double(r.step_flops()) : 0.0,
                (unsigned long long)r.ops());
  return buf;
}

std::string formatBytes(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)bytes);
  else
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

std::optional<Device::Available> memoryBudget(uint64_t limit,
                                              std::optional<Device::Available> deviceFree) {
  if (limit)
    return Device::Available{limit, "the limit given with --memory"};
  return deviceFree;
}

Status checkMemoryBudget(const MemoryNeeds &needs, const std::optional<Device::Available> &budget,
                         const std::string &what) {
  if (!budget || needs.total() <= budget->bytes)
    return Status::ok();
  return resourceExhausted(what + " needs " + needs.describe() + " but only " +
                           formatBytes(budget->bytes) + " are available (" + budget->limitedBy +
                           "); nothing was allocated. Use a smaller model, batch or sequence, "
                           "or a machine with more memory");
}

} // namespace weft::rt
