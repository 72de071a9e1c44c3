//===- MeasureDevice.cpp - a device's description from its suite ----------===//
//
// This file implements measureDevice (MeasureDevice.h).
//
//===----------------------------------------------------------------------===//

#include "calibrate/MeasureDevice.h"

#include "calibrate/ExecutableTimer.h"
#include "runtime/Device.h"
#include "runtime/cuda/CudaProgram.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <memory>
#include <unistd.h>
#include <utility>

namespace weft::calibrate {

std::string shippedDescriptionFor(const std::string &deviceName) {
  const std::pair<const char *, const char *> kinds[] = {{"H200", "h200"}, {"H100", "h100"}, {"A100", "a100"}};
  for (const auto &[marketing, shipped] : kinds)
    if (deviceName.find(marketing) != std::string::npos)
      return shipped;
  return "h100";
}

uint64_t hostMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  uint64_t kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemTotal:")
      return kib * 1024;
  return 0;
}

rt::Status checkDescriptionWritable(const std::string &path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::string what = "cannot write the cluster description to '" + path + "': ";
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec))
    return rt::invalidArgument(what + "it is a folder; give a file name");
  if (!std::filesystem::is_directory(dir, ec))
    return rt::notFound(what + "the folder '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    return rt::failedPrecondition(what + "the folder '" + dir.string() + "' is not writable (" +
                                  std::strerror(errno) + ")");
  return rt::Status::ok();
}

std::string utcDate() {
  std::time_t now = std::time(nullptr);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", std::gmtime(&now));
  return day;
}

rt::StatusOr<DeviceMeasurement> measureDevice(const DeviceSuite &suite, std::vector<rt::Executable> executables,
                                              const std::string &name, std::FILE *log) {
  if (executables.size() != suite.probes.size())
    return rt::invalidArgument("calibrate: " + std::to_string(executables.size()) + " programs for " +
                               std::to_string(suite.probes.size()) + " probes");
  DeviceMeasurement m;
  uint64_t memory = 0;
  std::unique_ptr<rt::Device> gpu; // held open: every program's Executor then shares its context
  if (suite.target == "cuda") {
    rt::StatusOr<std::unique_ptr<rt::Device>> opened = rt::openCudaDevice(0);
    if (!opened.isOk())
      return rt::Status(opened.status().code(),
                        "calibrate: no GPU to measure: " + opened.status().message());
    gpu = std::move(*opened);
    m.device = gpu->name();
    std::optional<rt::Device::Available> free = gpu->availableMemory();
    if (!free)
      return rt::unavailable("calibrate: " + m.device + " does not report its free memory (cuMemGetInfo)");
    memory = free->bytes;
    m.base = shippedDescriptionFor(m.device);
  } else {
    m.device = "cpu (the host)";
    memory = hostMemoryBytes();
    if (memory == 0)
      return rt::unavailable("calibrate: cannot read MemTotal from /proc/meminfo: the memory size is unknown");
    m.base = "cpu";
  }
  rt::StatusOr<cost::ClusterSpec> base = cost::loadClusterSpec(m.base);
  if (!base.isOk())
    return base.status();
  if (log)
    std::fprintf(log, "weft calibrate: %s, %zu programs compiled for %s%s\n", m.device.c_str(),
                 suite.probes.size(), suite.target.c_str(), suite.quick ? " (quick)" : "");

  for (size_t i = 0; i < suite.probes.size(); ++i) {
    const Probe &p = suite.probes[i];
    TimingPlan plan;
    plan.warmup = 2, plan.stepsOnly = p.stepsOnly;
    plan.budgetSeconds = p.budgetSeconds, plan.leastRuns = p.leastRuns, plan.mostRuns = p.mostRuns;
    rt::StatusOr<KernelTiming> t = timeExecutable(p.name, std::move(executables[i]), plan);
    if (!t.isOk())
      return t.status();
    m.seconds.push_back(t->seconds);
    if (log) {
      std::fputs(formatProbeLine(p, t->seconds).c_str(), log);
      std::fflush(log);
    }
  }
  rt::StatusOr<cost::DeviceKind> device = deriveDevice(suite, m.seconds, memory);
  if (!device.isOk())
    return device.status();
  m.spec = *base;
  m.spec.name = name;
  m.spec.device = *device;
  m.spec.description = "measured on " + m.device + " on " + utcDate() + ". " + describeSuite(suite) +
                       "memory_gib: " + (suite.target == "cuda" ? "the GPU's free memory (cuMemGetInfo)"
                                                                : "MemTotal") +
                       ". Topology: the shipped " + m.base + " description's (one device measures no links).";
  return m;
}

} // namespace weft::calibrate
