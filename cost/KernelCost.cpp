//===- KernelCost.cpp - the time of one kernel on a device ----------------===//
//
// This file implements the compute model of KernelCost.h.
//
//===----------------------------------------------------------------------===//

#include "cost/KernelCost.h"

#include <algorithm>

namespace weft::cost {

double computeRate(const KernelWork &work, const DeviceKind &device) {
  if (work.gemm)
    if (auto it = device.gemmRates.find(work.type); it != device.gemmRates.end() && !it->second.empty())
      return it->second.rate(work.m, work.n, work.k);
  return device.peakFlops(work.type) * device.gemmEfficiency;
}

double memoryRate(double bytes, const DeviceKind &device) {
  if (!device.bandwidthByBytes.empty())
    return device.bandwidthByBytes.at(bytes, AboveLast::Flat);
  return device.memoryBandwidth * device.memoryEfficiency;
}

double memorySeconds(double bytes, const DeviceKind &device) {
  return bytes > 0 ? bytes / memoryRate(bytes, device) : 0;
}

double dramRate(const DeviceKind &device) { return device.memoryBandwidth * device.memoryEfficiency; }

double cacheBytes(const DeviceKind &device) {
  const SizeCurve &curve = device.bandwidthByBytes;
  double beyond = 1.25 * dramRate(device), cache = 0;
  for (size_t i = 0; i < curve.sizes.size(); ++i)
    if (curve.values[i] >= beyond)
      cache = std::max(cache, curve.sizes[i]);
  return cache;
}

double kernelSeconds(const KernelWork &work, const DeviceKind &device) {
  double compute = work.flops > 0 ? work.flops / computeRate(work, device) : 0;
  for (int f = 0; f < kElementFunctions; ++f)
    compute += work.functionElements[size_t(f)] * device.elementFunctionSeconds[size_t(f)];
  double memory = 0;
  if (work.bytes > 0) {
    double cold = std::clamp(work.coldBytes, 0.0, work.bytes), rate = memoryRate(work.bytes, device);
    memory = (work.bytes - cold) / rate + cold / std::min(dramRate(device), rate);
  }
  return (work.passes > 1 ? compute + memory : std::max(compute, memory)) + device.launchSeconds;
}

} // namespace weft::cost
