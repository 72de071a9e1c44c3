//===- HostMemory.cpp - how much memory this process may still use --------===//
//
// This file implements hostAvailableMemory (HostMemory.h) from /proc and
// /sys/fs/cgroup (Linux) and getrlimit.
//
//===----------------------------------------------------------------------===//

#include "runtime/HostMemory.h"

#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>

namespace weft::rt {
namespace {

/// The value of `key` (in kB) in a /proc file of "Key:   123 kB" lines.
std::optional<uint64_t> procKilobytes(const char *path, const std::string &key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream words(line.substr(key.size() + 1));
      uint64_t kb = 0;
      if (words >> kb)
        return kb * 1024;
    }
  return std::nullopt;
}

/// A file holding one number ("max" or unreadable: nullopt).
std::optional<uint64_t> fileNumber(const char *path) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (in >> v)
    return v;
  return std::nullopt;
}

/// Keeps the smaller of `best` and `candidate`, with its reason.
void consider(std::optional<Device::Available> &best, std::optional<uint64_t> candidate,
              const std::string &why) {
  if (candidate && (!best || *candidate < best->bytes))
    best = Device::Available{*candidate, why};
}

/// What an rlimit leaves above `used` (nullopt when unlimited).
std::optional<uint64_t> rlimitLeft(int resource, std::optional<uint64_t> used) {
  struct rlimit limit;
  if (::getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || !used)
    return std::nullopt;
  return limit.rlim_cur > *used ? limit.rlim_cur - *used : 0;
}

/// The cgroup's limit less its usage (v2, then v1).
std::optional<uint64_t> cgroupLeft() {
  for (auto [max, current] : {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
                              std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                        "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    std::optional<uint64_t> limit = fileNumber(max), used = fileNumber(current);
    // cgroup v1 reports "no limit" as a huge number near 2^63.
    if (limit && used && *limit < (uint64_t(1) << 60))
      return *limit > *used ? *limit - *used : 0;
  }
  return std::nullopt;
}

} // namespace

std::optional<Device::Available> hostAvailableMemory() {
  std::optional<Device::Available> best;
  consider(best, procKilobytes("/proc/meminfo", "MemAvailable"), "MemAvailable in /proc/meminfo");
  consider(best, cgroupLeft(), "the cgroup's memory limit");
  consider(best, rlimitLeft(RLIMIT_AS, procKilobytes("/proc/self/status", "VmSize")),
           "the address-space ulimit (ulimit -v)");
  consider(best, rlimitLeft(RLIMIT_DATA, procKilobytes("/proc/self/status", "VmData")),
           "the data-segment ulimit (ulimit -d)");
  return best;
}

} // namespace weft::rt
