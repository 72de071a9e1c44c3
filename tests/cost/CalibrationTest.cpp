//===- CalibrationTest.cpp - the arithmetic of `weft calibrate` -----------===//
//
// This file implements tests of cost/Calibration.h and of writing a
// description back: the ring all-reduce fit recovers a known latency and
// bandwidth exactly from noise-free samples and within a few percent from
// noisy ones, pins a term the noise drives negative, refuses what it cannot
// fit; medians and rates; formatClusterSpec round-trips through
// parseClusterSpec, and writeClusterSpec names an unwritable path.
//
//===----------------------------------------------------------------------===//

#include "cost/Calibration.h"
#include "cost/ClusterSpec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

using namespace weft::cost;

namespace {

std::vector<AllReduceSample> ringSamples(int ranks, const Link &link, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
  std::vector<AllReduceSample> samples;
  for (double bytes = 8; bytes <= 64.0 * (1 << 20); bytes *= 4)
    samples.push_back({bytes, ringAllReduceSeconds(ranks, bytes, link) * (noise > 0 ? jitter(rng) : 1)});
  return samples;
}

TEST(Calibration, Median) {
  EXPECT_DOUBLE_EQ(median({}), 0);
  EXPECT_DOUBLE_EQ(median({3}), 3);
  EXPECT_DOUBLE_EQ(median({5, 1, 3}), 3);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 100}), 3.5);
}

TEST(Calibration, Rates) {
  EXPECT_DOUBLE_EQ(matmulFlopsPerSecond(1024, 1024, 1024, 0.5), 2.0 * 1024 * 1024 * 1024 / 0.5);
  EXPECT_DOUBLE_EQ(matmulFlopsPerSecond(2, 3, 4, 0), 0);
  EXPECT_DOUBLE_EQ(bytesPerSecond(256e6, 256e6, 0.05), 10.24e9);
}

TEST(Calibration, RingModel) {
  Link link{10e9, 5e-6};
  // 4 ranks, 1 MB: 6 latencies + 2 * 3/4 MB at 10 GB/s.
  EXPECT_DOUBLE_EQ(ringAllReduceSeconds(4, 1e6, link), 6 * 5e-6 + 1.5e6 / 10e9);
  EXPECT_DOUBLE_EQ(ringAllReduceSeconds(1, 1e6, link), 0);
}

TEST(Calibration, FitRecoversKnownLinkExactly) {
  for (int ranks : {2, 4, 8}) {
    for (Link truth : {Link{2.5e9, 3e-6}, Link{50e9, 20e-6}, Link{400e9, 1e-6}}) {
      auto fit = fitRingAllReduce(ranks, ringSamples(ranks, truth, 0, 0));
      ASSERT_TRUE(fit.isOk()) << fit.status().message();
      EXPECT_NEAR(fit->link.bandwidth, truth.bandwidth, 1e-9 * truth.bandwidth) << ranks;
      EXPECT_NEAR(fit->link.latencySeconds, truth.latencySeconds, 1e-9 * truth.latencySeconds);
      EXPECT_LT(fit->maxRelativeError, 1e-9);
    }
  }
}

TEST(Calibration, FitWithNoiseStaysClose) {
  Link truth{5e9, 4e-6};
  for (unsigned seed = 1; seed <= 20; ++seed) {
    auto fit = fitRingAllReduce(2, ringSamples(2, truth, 0.05, seed));
    ASSERT_TRUE(fit.isOk()) << fit.status().message();
    EXPECT_NEAR(fit->link.bandwidth / truth.bandwidth, 1, 0.06) << seed;
    EXPECT_NEAR(fit->link.latencySeconds / truth.latencySeconds, 1, 0.06) << seed;
    EXPECT_LE(fit->maxRelativeError, 0.12) << seed;
  }
}

TEST(Calibration, FitPinsATermNoiseDrivesNegative) {
  // Times that fall with size: the least-squares bandwidth term is negative,
  // so it is pinned (the largest sample's wire bytes, 4 MiB for 2 ranks, in
  // 0.1% of its time: a flat curve) and the latency refit to the mean level.
  std::vector<AllReduceSample> falling = {{8, 10e-6}, {1 << 20, 9e-6}, {4 << 20, 8e-6}};
  auto fit = fitRingAllReduce(2, falling);
  ASSERT_TRUE(fit.isOk()) << fit.status().message();
  EXPECT_NEAR(fit->link.bandwidth, double(4 << 20) / (1e-3 * 8e-6), 1e-6 * fit->link.bandwidth);
  EXPECT_NEAR(fit->link.latencySeconds, 4.424e-6, 0.001e-6); // 2 steps: ~8.85 us
  EXPECT_NEAR(fit->maxRelativeError, 0.1152, 0.0001);        // 10 us vs 8.85 us
  // Pure bandwidth (time proportional to size): the latency is pinned at
  // 0.1% of the smallest time over the 2(n-1) steps; the bandwidth exact.
  std::vector<AllReduceSample> linear = {{1e3, 1e-6}, {1e6, 1e-3}, {4e6, 4e-3}};
  fit = fitRingAllReduce(2, linear);
  ASSERT_TRUE(fit.isOk()) << fit.status().message();
  EXPECT_NEAR(fit->link.latencySeconds, 1e-3 * 1e-6 / 2, 1e-15);
  EXPECT_NEAR(fit->link.bandwidth, 1e9, 2e6); // 1e6 bytes on the wire per 1 ms
}

TEST(Calibration, FitRefusesWhatItCannotFit) {
  auto one = fitRingAllReduce(1, {{8, 1e-6}, {16, 2e-6}});
  ASSERT_FALSE(one.isOk());
  EXPECT_NE(one.status().message().find("needs at least 2 ranks, got 1"), std::string::npos);
  auto sameSize = fitRingAllReduce(2, {{8, 1e-6}, {8, 2e-6}});
  ASSERT_FALSE(sameSize.isOk());
  EXPECT_NE(sameSize.status().message().find("at least 2 different sizes, got 1"), std::string::npos);
  auto zero = fitRingAllReduce(2, {{8, 0}, {16, 2e-6}});
  ASSERT_FALSE(zero.isOk());
  EXPECT_NE(zero.status().message().find("must be positive"), std::string::npos);
}

TEST(Calibration, DescriptionRoundTrips) {
  ClusterSpec spec;
  spec.name = "measured";
  spec.description = "a \"quoted\" note";
  spec.device.peakFlopsF32 = 151.23456e9;
  spec.device.peakFlopsBF16 = 2.05e9;
  spec.device.peakFlopsF16 = 2.1e9;
  spec.device.memoryBandwidth = 7.46e9;
  spec.device.memoryBytes = uint64_t(11.77 * double(1ull << 30));
  spec.device.launchSeconds = 0.05e-6;
  spec.topology.devicesPerNode = 2;
  spec.topology.intraNode = spec.topology.interNode = Link{2.08e9, 2.06e-6};
  std::string text = formatClusterSpec(spec);
  EXPECT_NE(text.find("\"peak_tflops\": {\n      \"f32\": 0.1512,"), std::string::npos) << text;
  EXPECT_EQ(text.find("tf32"), std::string::npos) << text;
  auto back = parseClusterSpec(text, "round trip");
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->name, "measured");
  EXPECT_EQ(back->description, "a \"quoted\" note");
  EXPECT_NEAR(back->device.peakFlopsF32, 151.2e9, 1e6); // 4 significant digits
  EXPECT_DOUBLE_EQ(back->device.peakFlops(MathType::TF32), back->device.peakFlopsF32);
  EXPECT_NEAR(back->device.peakFlopsBF16, 2.05e9, 1e3);
  EXPECT_NEAR(back->device.memoryBandwidth, 7.46e9, 1e3);
  EXPECT_NEAR(double(back->device.memoryBytes), 11.77 * double(1ull << 30), 1e6);
  EXPECT_NEAR(back->device.launchSeconds, 0.05e-6, 1e-15);
  EXPECT_DOUBLE_EQ(back->device.gemmEfficiency, 1);
  EXPECT_EQ(back->topology.devicesPerNode, 2);
  EXPECT_NEAR(back->topology.interNode.bandwidth, 2.08e9, 1e3);
  EXPECT_NEAR(back->topology.intraNode.latencySeconds, 2.06e-6, 1e-15);
}

TEST(Calibration, WritesAtomicallyAndNamesABadPath) {
  auto cpu = loadClusterSpec("cpu");
  ASSERT_TRUE(cpu.isOk());
  std::string path = ::testing::TempDir() + "weft_calibration_write.json";
  ASSERT_TRUE(writeClusterSpec(*cpu, path).isOk());
  auto back = loadClusterSpec(path);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->name, "cpu");
  EXPECT_DOUBLE_EQ(back->device.peakFlopsF32, cpu->device.peakFlopsF32);
  std::remove(path.c_str());

  weft::rt::Status bad = writeClusterSpec(*cpu, "/nonexistent-weft-dir/cluster.json");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("cannot write the cluster description"), std::string::npos)
      << bad.message();
  EXPECT_NE(bad.message().find("/nonexistent-weft-dir/cluster.json"), std::string::npos)
      << bad.message();
}

} // namespace
