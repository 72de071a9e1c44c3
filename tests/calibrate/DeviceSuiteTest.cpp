//===- DeviceSuiteTest.cpp - the device suite and its derivation ----------===//
//
// The device suite's probes per target (the GPU's grids in f32 and bf16 on
// cold operands, the CPU's the sizes `weft calibrate` measures with) and
// deriveDevice: times made up from known rates (a launch cost plus FLOPs or
// bytes over a rate, a function's cost per element over its context's base)
// must give those rates back, and bad times are refused with the probe's
// name.
//
//===----------------------------------------------------------------------===//

#include "calibrate/DeviceSuite.h"
#include "calibrate/MeasureDevice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace weft;
using namespace weft::calibrate;

namespace {

/// Made-up device: rates per dtype, bandwidth, launch, per-element costs
/// (a GPU's by default).
struct FakeDevice {
  double launch = 5e-6, f32 = 50e12, bf16 = 700e12, f16 = 650e12, bandwidth = 3e12;
  double run = 8e-6; // a GPU run's own fixed cost (a graph launch and a synchronize)
  double functionNs[cost::kElementFunctions] = {0.5, 0, 0.25, 0.3, 2.0, 1.5, 1.0};

  double rate(rt::DType t) const { return t == proto::BF16 ? bf16 : t == proto::F16 ? f16 : f32; }
  double matmul(const Probe &p) const {
    return p.copies * (launch + 2.0 * double(p.m) * double(p.n) * double(p.k) / rate(p.dtype));
  }
  double negate(int64_t elements) const { return launch + 8.0 * double(elements) / bandwidth; }
  /// Every probe's time, the bases first.
  std::vector<double> times(const DeviceSuite &suite) const {
    std::vector<double> t = kernelTimes(suite);
    for (double &s : t)
      s += run;
    return t;
  }
  /// The times without the run's own cost.
  std::vector<double> kernelTimes(const DeviceSuite &suite) const {
    double linearBase = 0, fusionBase = 0;
    for (const Probe &p : suite.probes) {
      if (p.role == ProbeRole::EpilogueBase)
        linearBase = launch + 2.0 * double(p.m) * double(p.n) * double(p.k) / f32;
      if (p.role == ProbeRole::FusionBase)
        fusionBase = negate(p.elements);
    }
    std::vector<double> t;
    for (const Probe &p : suite.probes) {
      switch (p.role) {
      case ProbeRole::Launch:
      case ProbeRole::EmptyRun:
        t.push_back(p.copies * launch);
        break;
      case ProbeRole::Dram:
      case ProbeRole::Curve:
        t.push_back(negate(p.elements));
        break;
      case ProbeRole::EpilogueBase:
        t.push_back(linearBase);
        break;
      case ProbeRole::FusionBase:
        t.push_back(fusionBase);
        break;
      case ProbeRole::Function: {
        double base = p.program == ProbeProgram::Linear    ? linearBase
                      : p.program == ProbeProgram::Softmax ? launch
                                                           : fusionBase;
        t.push_back(base + 1e-9 * functionNs[size_t(*p.function)] * double(p.functionElements()));
        break;
      }
      default:
        t.push_back(matmul(p));
      }
    }
    return t;
  }
};

TEST(DeviceSuite, DerivesTheRatesTheTimesWereMadeFrom) {
  for (const char *target : {"cpu", "cuda"}) {
    SCOPED_TRACE(target);
    DeviceSuite suite = *deviceSuite(target, /*quick=*/false);
    FakeDevice dev;
    if (std::string(target) == "cpu") // a CPU's figures; its steps are timed without a run's cost
      dev.launch = 2e-6, dev.f32 = 200e9, dev.bf16 = 20e9, dev.f16 = 15e9, dev.bandwidth = 30e9, dev.run = 0;
    rt::StatusOr<cost::DeviceKind> derived = deriveDevice(suite, dev.times(suite), 80ull << 30);
    ASSERT_TRUE(derived.isOk()) << derived.status().message();
    const cost::DeviceKind &d = *derived;
    // The peaks include one launch per matmul: within 0.5% for the large squares.
    EXPECT_NEAR(d.peakFlopsF32 / dev.f32, 1, 5e-3);
    EXPECT_NEAR(d.peakFlopsBF16 / dev.bf16, 1, 5e-3);
    EXPECT_NEAR(d.peakFlopsF16 / dev.f16, 1, 5e-3);
    EXPECT_EQ(d.peakFlopsTF32, 0);
    EXPECT_NEAR(d.launchSeconds / dev.launch, 1, 1e-9);
    EXPECT_NEAR(d.memoryBandwidth / dev.bandwidth, 1, 1e-2);
    EXPECT_EQ(d.memoryBytes, 80ull << 30);
    EXPECT_GT(d.gemmEfficiency, 0.9);
    EXPECT_LE(d.gemmEfficiency, 1);
    // The grids subtract the launch: every point gives the rate back, but
    // for those whose work is under 1% of the launch (cost::gemmRateGrid
    // keeps 1% of a time).
    std::set<cost::MathType> types;
    for (const auto &[type, grid] : d.gemmRates) {
      types.insert(type);
      double want = type == cost::MathType::BF16 ? dev.bf16 : dev.f32;
      int exact = 0;
      for (size_t i = 0; i < grid.m.size(); ++i)
        for (size_t j = 0; j < grid.n.size(); ++j)
          for (size_t l = 0; l < grid.k.size(); ++l) {
            double work = 2 * grid.m[i] * grid.n[j] * grid.k[l] / want;
            if (work < 0.02 * dev.launch)
              continue;
            EXPECT_NEAR(grid.at(i, j, l) / want, 1, 1e-9) << grid.m[i] << " " << grid.n[j] << " " << grid.k[l];
            ++exact;
          }
      EXPECT_GT(exact, int(grid.flopsPerSecond.size()) / 2);
      EXPECT_EQ(grid.m, suite.sizes.gridM);
    }
    EXPECT_EQ(types.size(), suite.sizes.gridTypes.size());
    // The bandwidth curve likewise (the launch counted apart).
    const cost::SizeCurve &curve = d.bandwidthByBytes;
    ASSERT_EQ(curve.values.size(), suite.sizes.streamBytes.size() + 1);
    for (size_t i = 0; i < curve.values.size(); ++i)
      if (curve.sizes[i] / dev.bandwidth >= 0.02 * dev.launch)
        EXPECT_NEAR(curve.values[i] / dev.bandwidth, 1, 1e-9) << curve.sizes[i];
    for (const TimedFunction &tf : timedFunctions())
      EXPECT_NEAR(1e9 * d.elementFunctionSeconds[size_t(tf.f)], dev.functionNs[size_t(tf.f)], 1e-9)
          << cost::elementFunctionName(tf.f);
    // Written and read back as a description, the grids stay (4 significant digits).
    cost::ClusterSpec spec = *cost::loadClusterSpec(target == std::string("cuda") ? "h200" : "cpu");
    spec.device = d;
    rt::StatusOr<cost::ClusterSpec> back = cost::parseClusterSpec(cost::formatClusterSpec(spec), "derived");
    ASSERT_TRUE(back.isOk()) << back.status().message();
    EXPECT_EQ(back->device.gemmRates.size(), d.gemmRates.size());
    EXPECT_NEAR(back->device.peakFlopsBF16 / d.peakFlopsBF16, 1, 1e-3);
  }
}

TEST(DeviceSuite, TheGpuSuiteMeasuresBf16GridsOnColdOperands) {
  DeviceSuite suite = *deviceSuite("cuda", false);
  EXPECT_EQ(suite.sizes.gridTypes, (std::vector<rt::DType>{proto::F32, proto::BF16}));
  int grid = 0;
  std::set<std::string> names;
  for (const Probe &p : suite.probes) {
    EXPECT_TRUE(names.insert(p.name).second) << "two probes named " << p.name;
    if (p.role != ProbeRole::Grid)
      continue;
    ++grid;
    // Operands and result of all copies reach 256 MiB unless 64 copies are the most.
    double bytes = double(rt::dtypeSize(p.dtype)) * double(p.m * p.k + p.k * p.n + p.m * p.n);
    EXPECT_GE(p.copies, 1);
    EXPECT_LE(p.copies, 64);
    if (p.copies < 64)
      EXPECT_GE(bytes * p.copies, double(256 << 20)) << p.name;
    if (p.copies > 1)
      EXPECT_LT(bytes * (p.copies - 1), double(256 << 20)) << p.name;
  }
  EXPECT_EQ(grid, 2 * 6 * 5 * 5);
  // The quick suite: one copy each, a few seconds.
  for (const Probe &p : deviceSuite("cuda", true)->probes)
    EXPECT_EQ(p.copies, p.role == ProbeRole::Launch ? 64 : 1) << p.name;
  EXPECT_FALSE(deviceSuite("tpu", false).isOk());
}

TEST(DeviceSuite, AGpuRunsWholeGraphsLessTheRunsOwnCost) {
  DeviceSuite gpu = *deviceSuite("cuda", false), cpu = *deviceSuite("cpu", false);
  for (const Probe &p : gpu.probes)
    EXPECT_FALSE(p.stepsOnly) << p.name;
  for (const Probe &p : cpu.probes)
    EXPECT_EQ(p.stepsOnly, p.role != ProbeRole::Launch) << p.name;
  // Without the run's own cost subtracted, a 64-copy grid point of small
  // GEMMs would read slower by 8 us / 64 per GEMM; with it, the rates are
  // exact even where the run's cost exceeds the work.
  FakeDevice dev;
  dev.run = 50e-6;
  cost::DeviceKind d = *deriveDevice(gpu, dev.times(gpu), 1);
  EXPECT_NEAR(d.launchSeconds / dev.launch, 1, 1e-9);
  EXPECT_NEAR(d.gemmEfficiency, 1, 1e-2); // the shaped matmul's own launch stays in it
  const cost::GemmRateGrid &grid = d.gemmRates.at(cost::MathType::F32);
  EXPECT_NEAR(grid.rate(512, 3072, 3072) / dev.f32, 1, 1e-9); // 6 copies: 8 us per GEMM if not subtracted
  EXPECT_NEAR(grid.rate(16, 3072, 3072) / dev.f32, 1, 1e-9);  // 22 copies
  // 64 kernels no slower than one: refused.
  std::vector<double> times = dev.times(gpu);
  for (size_t i = 0; i < gpu.probes.size(); ++i)
    if (gpu.probes[i].role == ProbeRole::Launch)
      times[i] = 1e-6;
  rt::StatusOr<cost::DeviceKind> bad = deriveDevice(gpu, times, 1);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("64 kernels in one run"), std::string::npos) << bad.status().message();
}

TEST(DeviceSuite, RefusesTimesThatCannotBeRight) {
  DeviceSuite suite = *deviceSuite("cpu", true);
  std::vector<double> times = FakeDevice().times(suite);
  rt::StatusOr<cost::DeviceKind> few = deriveDevice(suite, {times.begin(), times.end() - 1}, 1);
  ASSERT_FALSE(few.isOk());
  EXPECT_NE(few.status().message().find("times for"), std::string::npos) << few.status().message();
  times[3] = 0;
  rt::StatusOr<cost::DeviceKind> zero = deriveDevice(suite, times, 1);
  ASSERT_FALSE(zero.isOk());
  EXPECT_NE(zero.status().message().find(suite.probes[3].name), std::string::npos) << zero.status().message();
  times[3] = std::nan("");
  EXPECT_FALSE(deriveDevice(suite, times, 1).isOk());
}

TEST(DeviceSuite, AGpuTakesTheLinksOfItsShippedDescription) {
  EXPECT_EQ(shippedDescriptionFor("cuda:0 (NVIDIA H200, sm_90, 132 SMs)"), "h200");
  EXPECT_EQ(shippedDescriptionFor("cuda:0 (NVIDIA H100 80GB HBM3, sm_90)"), "h100");
  EXPECT_EQ(shippedDescriptionFor("cuda:0 (NVIDIA A100-SXM4-80GB, sm_80)"), "a100");
  EXPECT_EQ(shippedDescriptionFor("cuda:0 (NVIDIA L40S, sm_89)"), "h100");
}

} // namespace
