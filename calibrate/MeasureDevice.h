//===- MeasureDevice.h - a device's description from its suite -*- C++ -*-===//
//
// This file declares measureDevice: time every program of a device suite on
// the device of its target and write the device's figures into a cluster
// description. For "cuda" it opens GPU 0 first (UNAVAILABLE, with the
// driver's reason, when there is none) and keeps it open throughout (the
// programs' Executors share its context); the topology (links between GPUs)
// is the shipped description's of the same GPU (h200, h100 or a100 by the
// GPU's name; h100 for another), as one GPU cannot measure links. For "cpu"
// the host's figures, and the shipped cpu description's links. Memory: the
// GPU's free memory (cuMemGetInfo) or the host's MemTotal. Runtime only.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CALIBRATE_MEASUREDEVICE_H
#define WEFT_CALIBRATE_MEASUREDEVICE_H

#include "calibrate/DeviceSuite.h"
#include "cost/ClusterSpec.h"
#include "runtime/Executable.h"

#include <cstdio>
#include <string>
#include <vector>

namespace weft::calibrate {

struct DeviceMeasurement {
  cost::ClusterSpec spec;
  std::vector<double> seconds; ///< every probe's median, in suite order
  std::string device;          ///< the device measured, e.g. "cuda:0 (NVIDIA H200, sm_90, ...)"
  std::string base;            ///< the shipped description whose topology the spec keeps
};

/// Times `executables` (one per probe, compiled for suite.target) and
/// returns the description named `name`. Each probe's line goes to `log`
/// (null: nothing printed) as it is measured.
rt::StatusOr<DeviceMeasurement> measureDevice(const DeviceSuite &suite, std::vector<rt::Executable> executables,
                                              const std::string &name, std::FILE *log);

/// The shipped description whose topology a GPU named `deviceName` takes:
/// "h200", "h100" or "a100" when the name says so, else "h100".
std::string shippedDescriptionFor(const std::string &deviceName);

/// MemTotal of /proc/meminfo in bytes, or 0.
uint64_t hostMemoryBytes();

/// OK when a description can be written to `path`, checked before minutes
/// are spent measuring: its folder exists and is writable, and it is not a
/// folder itself; otherwise the reason, naming the path.
rt::Status checkDescriptionWritable(const std::string &path);

/// Today's date in UTC, "YYYY-MM-DD" (descriptions say when they were measured).
std::string utcDate();

} // namespace weft::calibrate

#endif // WEFT_CALIBRATE_MEASUREDEVICE_H
