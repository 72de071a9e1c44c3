//===- RateTablesTest.cpp - measured tables and the compute model ---------===//
//
// This file implements tests of cost/RateTables.h and cost/KernelCost.h with
// synthetic data: the GEMM grid returns its points exactly, blends in log
// space between them (a rate that is a power of the sizes is reproduced
// everywhere inside the grid) and clamps outside; a size curve interpolates
// log-log, is flat below and flat or proportional above; a kernel priced with
// a grid built from timed samples predicts those samples back, and a device
// without tables prices kernels as the single figures did.
//
//===----------------------------------------------------------------------===//

#include "cost/Calibration.h"
#include "cost/KernelCost.h"
#include "cost/RateTables.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace weft::cost;

namespace {

/// A rate that is a power law of the sizes: log-linear in log m, log n and
/// log k, which trilinear interpolation of the logarithms reproduces exactly.
double powerLaw(double m, double n, double k) { return 1e9 * std::pow(m, 0.5) * std::pow(n, 0.25) / std::pow(k, 0.1); }

GemmRateGrid powerLawGrid() {
  GemmRateGrid g;
  g.m = {1, 16, 128, 2048};
  g.n = {64, 768, 3072};
  g.k = {64, 3072};
  for (double m : g.m)
    for (double n : g.n)
      for (double k : g.k)
        g.flopsPerSecond.push_back(powerLaw(m, n, k));
  return g;
}

// Relative tolerance for values that are exact up to exp(log(x)) rounding.
constexpr double kRounding = 1e-12;

TEST(RateTables, GridIsExactAtItsPoints) {
  GemmRateGrid g = powerLawGrid();
  for (size_t i = 0; i < g.m.size(); ++i)
    for (size_t j = 0; j < g.n.size(); ++j)
      for (size_t l = 0; l < g.k.size(); ++l)
        EXPECT_NEAR(g.rate(g.m[i], g.n[j], g.k[l]), g.at(i, j, l), kRounding * g.at(i, j, l));
}

TEST(RateTables, GridInterpolatesInLogSpace) {
  GemmRateGrid g = powerLawGrid();
  for (double m : {2.0, 100.0, 512.0})
    for (double n : {100.0, 1000.0})
      for (double k : {65.0, 700.0, 3000.0})
        EXPECT_NEAR(g.rate(m, n, k), powerLaw(m, n, k), kRounding * powerLaw(m, n, k)) << m << " " << n << " " << k;
  // Half-way in log space between two rates is their geometric mean.
  GemmRateGrid two{{1, 100}, {10}, {10}, {1e9, 100e9}};
  EXPECT_NEAR(two.rate(10, 10, 10), 10e9, 10e9 * kRounding);
}

TEST(RateTables, GridClampsOutside) {
  GemmRateGrid g = powerLawGrid();
  EXPECT_NEAR(g.rate(8192, 50257, 12288), powerLaw(2048, 3072, 3072), kRounding * 1e12);
  EXPECT_NEAR(g.rate(0, 8, 1), powerLaw(1, 64, 64), kRounding * 1e12); // below 1 counts as 1
  GemmRateGrid single{{128}, {768}, {768}, {50e9}};
  EXPECT_DOUBLE_EQ(single.rate(1, 1, 1), 50e9);
  EXPECT_DOUBLE_EQ(single.rate(1e6, 1e6, 1e6), 50e9);
}

TEST(RateTables, SizeCurve) {
  SizeCurve c{{1e3, 1e6, 1e9}, {10, 1000, 1000}};
  EXPECT_NEAR(c.at(1e3, AboveLast::Flat), 10, 10 * kRounding);
  EXPECT_NEAR(c.at(1e6, AboveLast::Flat), 1000, 1000 * kRounding);
  EXPECT_NEAR(c.at(31622.7766016838, AboveLast::Flat), 100, 100 * 1e-9); // log-log: half-way is the geometric mean
  EXPECT_NEAR(c.at(1e7, AboveLast::Flat), 1000, 1000 * kRounding);
  EXPECT_DOUBLE_EQ(c.at(1, AboveLast::Flat), 10);              // flat below
  EXPECT_DOUBLE_EQ(c.at(0, AboveLast::Proportional), 10);      // also flat below
  EXPECT_DOUBLE_EQ(c.at(1e12, AboveLast::Flat), 1000);         // flat above
  EXPECT_DOUBLE_EQ(c.at(4e9, AboveLast::Proportional), 4000);  // in proportion above
}

DeviceKind plainDevice() {
  DeviceKind d;
  d.peakFlopsF32 = 100e9, d.peakFlopsBF16 = 400e9, d.peakFlopsF16 = 50e9;
  d.memoryBandwidth = 10e9, d.launchSeconds = 2e-6, d.gemmEfficiency = 0.8, d.memoryEfficiency = 0.5;
  return d;
}

TEST(KernelCost, WithoutTablesTheSingleFigures) {
  DeviceKind d = plainDevice();
  KernelWork gemm{2e9, 1e6, MathType::F32, true, 1, 1000, 1000, 1000, {}};
  EXPECT_DOUBLE_EQ(kernelSeconds(gemm, d), 2e9 / (100e9 * 0.8) + 2e-6);
  KernelWork stream{1e6, 1e9, MathType::BF16, false, 1, 0, 0, 0, {}};
  EXPECT_DOUBLE_EQ(kernelSeconds(stream, d), 1e9 / (10e9 * 0.5) + 2e-6);
  EXPECT_DOUBLE_EQ(memorySeconds(0, d), 0);
  // A grid for f32 does not change a bf16 GEMM.
  d.gemmRates[MathType::F32] = powerLawGrid();
  KernelWork bf16 = gemm;
  bf16.type = MathType::BF16;
  EXPECT_DOUBLE_EQ(kernelSeconds(bf16, d), 2e9 / (400e9 * 0.8) + 2e-6);
}

TEST(KernelCost, PassesOneAfterAnotherAddComputeAndMemory) {
  // One loop nest: the larger of compute and memory. A fused kernel of
  // three nests (two reductions, then the elementwise results): a
  // compute-bound nest does not hide the memory-bound ones, so the sum.
  DeviceKind d = plainDevice();
  KernelWork one{1e9, 1e9, MathType::F32, false, 1, 0, 0, 0, {}};
  const double compute = 1e9 / (100e9 * 0.8), memory = 1e9 / (10e9 * 0.5);
  EXPECT_DOUBLE_EQ(kernelSeconds(one, d), std::max(compute, memory) + 2e-6);
  KernelWork three = one;
  three.passes = 3;
  EXPECT_DOUBLE_EQ(kernelSeconds(three, d), compute + memory + 2e-6);
}

TEST(KernelCost, AGridPredictsItsSamplesBack) {
  // Times of matmuls on a grid (a made-up machine: slower for a few rows),
  // turned into rates as calibrate does, then priced by the model.
  const std::vector<double> m{1, 128, 2048}, n{64, 3072}, k{64, 768};
  std::vector<double> seconds;
  const double launch = 1e-6;
  for (double mm : m)
    for (double nn : n)
      for (double kk : k)
        seconds.push_back(2 * mm * nn * kk / (mm < 16 ? 5e9 : 80e9) + launch);
  auto grid = gemmRateGrid(m, n, k, seconds, launch);
  ASSERT_TRUE(grid.isOk()) << grid.status().message();
  DeviceKind d = plainDevice();
  d.launchSeconds = launch;
  d.gemmRates[MathType::F32] = *grid;
  size_t at = 0;
  for (double mm : m)
    for (double nn : n)
      for (double kk : k) {
        KernelWork w{2 * mm * nn * kk, 4 * (mm * kk + kk * nn + mm * nn) * 1e-3, MathType::F32, true,
                     1, mm, nn, kk, {}}; // bytes small: compute-bound
        EXPECT_NEAR(kernelSeconds(w, d), seconds[at], 1e-9 * seconds[at]) << mm << "x" << kk << "x" << nn;
        ++at;
      }
  // Not a GEMM: the peak x efficiency, whatever the grid says.
  KernelWork elementwise{1e9, 0, MathType::F32, false, 1, 0, 0, 0, {}};
  EXPECT_DOUBLE_EQ(kernelSeconds(elementwise, d), 1e9 / (100e9 * 0.8) + launch);
}

TEST(KernelCost, BandwidthByWorkingSet) {
  DeviceKind d = plainDevice();
  d.bandwidthByBytes = SizeCurve{{1e6, 1e8}, {40e9, 10e9}};
  EXPECT_NEAR(memoryRate(1e5, d), 40e9, 40e9 * kRounding); // in the caches
  EXPECT_NEAR(memoryRate(1e7, d), 20e9, 20e9 * kRounding); // log-log half-way
  EXPECT_NEAR(memoryRate(1e9, d), 10e9, 10e9 * kRounding); // DRAM
  KernelWork copy{0, 1e7, MathType::F32, false, 1, 0, 0, 0, {}};
  EXPECT_NEAR(kernelSeconds(copy, d), 1e7 / 20e9 + 2e-6, 1e-15);
}

TEST(KernelCost, ColdBytesMoveAtTheDramRate) {
  DeviceKind d = plainDevice(); // memory_gbps 10 x efficiency 0.5: DRAM at 5 GB/s
  EXPECT_DOUBLE_EQ(dramRate(d), 5e9);
  EXPECT_DOUBLE_EQ(cacheBytes(d), 0); // no curve: no cache to speak of
  KernelWork copy{0, 1e7, MathType::F32, false, 1, 0, 0, 0, {}};
  copy.coldBytes = 4e6;
  EXPECT_DOUBLE_EQ(kernelSeconds(copy, d), 1e7 / 5e9 + 2e-6); // without a curve all bytes are at the DRAM rate
  d.bandwidthByBytes = SizeCurve{{1e6, 1e8, 1e9}, {40e9, 20e9, 5e9}};
  EXPECT_DOUBLE_EQ(cacheBytes(d), 1e8); // the largest working set at >= 1.25x the DRAM rate
  double hotRate = memoryRate(1e7, d);
  EXPECT_NEAR(hotRate, std::sqrt(40e9 * 20e9), 30e9 * kRounding);
  EXPECT_NEAR(kernelSeconds(copy, d), 6e6 / hotRate + 4e6 / 5e9 + 2e-6, 1e-15);
  copy.coldBytes = 5e7; // never more than the kernel moves
  EXPECT_NEAR(kernelSeconds(copy, d), 1e7 / 5e9 + 2e-6, 1e-15);
  d.bandwidthByBytes = SizeCurve{{1e6, 1e9}, {6e9, 5e9}}; // flat: nothing beats DRAM by 1.25x
  EXPECT_DOUBLE_EQ(cacheBytes(d), 0);
}

TEST(KernelCost, ElementFunctionsAddToCompute) {
  DeviceKind d = plainDevice();
  KernelWork w{1e6, 1e3, MathType::F32, false, 1, 0, 0, 0, {}};
  w.functionElements[size_t(ElementFunction::GeluTanh)] = 1e6;
  EXPECT_DOUBLE_EQ(kernelSeconds(w, d), 1e6 / 80e9 + 2e-6); // no per-element time: nothing added
  d.elementFunctionSeconds[size_t(ElementFunction::GeluTanh)] = 4e-9;
  EXPECT_DOUBLE_EQ(kernelSeconds(w, d), 1e6 / 80e9 + 4e-3 + 2e-6);
}

TEST(Calibration, TablesFromSamples) {
  // Step curve: 4 ranks, all-reduce (6 steps of S / 4), samples out of order
  // and one size twice (merged into the median).
  std::vector<CollectiveSample> s{{4096, 60e-6}, {1024, 30e-6}, {4096, 120e-6}, {4096, 90e-6}};
  auto curve = collectiveStepCurve(CollectiveKind::AllReduce, 4, s);
  ASSERT_TRUE(curve.isOk()) << curve.status().message();
  EXPECT_EQ(curve->sizes, (std::vector<double>{256, 1024}));
  EXPECT_DOUBLE_EQ(curve->values[0], 5e-6);
  EXPECT_DOUBLE_EQ(curve->values[1], 15e-6);
  EXPECT_FALSE(collectiveStepCurve(CollectiveKind::Permute, 4, s).isOk());
  EXPECT_FALSE(collectiveStepCurve(CollectiveKind::AllGather, 1, s).isOk());
  EXPECT_FALSE(collectiveStepCurve(CollectiveKind::AllGather, 2, {}).isOk());
  auto bad = collectiveStepCurve(CollectiveKind::AllGather, 2, {{1024, 0}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("all_gather"), std::string::npos) << bad.status().message();

  // Bandwidth: the launch is taken out of each time.
  auto bw = bandwidthCurve({{1e6, 51e-6}, {1e3, 2e-6}}, 1e-6);
  ASSERT_TRUE(bw.isOk());
  EXPECT_EQ(bw->sizes, (std::vector<double>{1e3, 1e6}));
  EXPECT_DOUBLE_EQ(bw->values[0], 1e9);
  EXPECT_DOUBLE_EQ(bw->values[1], 20e9);

  auto grid = gemmRateGrid({1, 2}, {3}, {4}, {1.0}, 0);
  ASSERT_FALSE(grid.isOk());
  EXPECT_NE(grid.status().message().find("1 times for 2 x 1 x 1 shapes"), std::string::npos);
}

} // namespace
