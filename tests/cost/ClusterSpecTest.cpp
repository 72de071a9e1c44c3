//===- ClusterSpecTest.cpp - device and topology descriptions -------------===//
//
// This file implements tests of ClusterSpec: every shipped description loads
// with the rates its datasheet gives, a user's file is read, and a malformed
// description or an unknown kind is refused with the key and the value. The
// optional measured tables (GEMM rates by shape, bandwidth by working set,
// element functions, collective step times) are read, written back, absent
// from the shipped GPU files (which keep their single figures), and a
// malformed table is refused naming its key and the file.
//
//===----------------------------------------------------------------------===//

#include "cost/ClusterSpec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace weft::cost;

namespace {

/// One edit of a good description and the error it must give.
struct Case {
  std::string from, to, message;
};

/// Applies each case's edit to `good` and expects parseClusterSpec to refuse
/// it with the case's message and the source's name.
void expectRefused(const std::string &good, const std::vector<Case> &cases) {
  for (const Case &c : cases) {
    std::string text = good;
    size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto spec = parseClusterSpec(text, "bad.json");
    ASSERT_FALSE(spec.isOk()) << c.message;
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos) << spec.status().message();
    EXPECT_NE(spec.status().message().find("'bad.json'"), std::string::npos);
  }
}

TEST(ClusterSpec, ShippedDescriptionsLoad) {
  std::vector<std::string> names = builtinClusterNames();
  for (const char *want : {"a100", "cpu", "h100", "h200"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const std::string &name : names) {
    auto spec = loadClusterSpec(name);
    ASSERT_TRUE(spec.isOk()) << spec.status().message();
    EXPECT_EQ(spec->name, name);
    EXPECT_GT(spec->device.peakFlops(MathType::BF16), 0);
    // cpu is one machine (measured by `weft calibrate`): the same link both ways.
    if (name == "cpu")
      EXPECT_DOUBLE_EQ(spec->topology.intraNode.bandwidth, spec->topology.interNode.bandwidth);
    else
      EXPECT_GT(spec->topology.intraNode.bandwidth, spec->topology.interNode.bandwidth) << name;
  }
  auto h100 = loadClusterSpec("h100"), h200 = loadClusterSpec("h200");
  ASSERT_TRUE(h100.isOk() && h200.isOk());
  EXPECT_DOUBLE_EQ(h100->device.peakFlops(MathType::BF16), 989e12);
  EXPECT_DOUBLE_EQ(h200->device.peakFlops(MathType::BF16), 989e12); // same SMs
  EXPECT_DOUBLE_EQ(h100->device.memoryBandwidth, 3350e9);
  EXPECT_DOUBLE_EQ(h200->device.memoryBandwidth, 4800e9);
  EXPECT_EQ(h100->device.memoryBytes, 80ull << 30);
  EXPECT_EQ(h100->topology.devicesPerNode, 8);
  EXPECT_DOUBLE_EQ(h100->device.peakFlops(MathType::TF32), 495e12);
}

TEST(ClusterSpec, ReadsAUsersFile) {
  std::string path = ::testing::TempDir() + "weft_cluster_test.json";
  std::ofstream(path) << R"({"name": "mine", "device": {"peak_tflops": {"f32": 2, "bf16": 4, "f16": 4},
    "memory_gbps": 100, "memory_gib": 16, "launch_us": 1, "gemm_efficiency": 0.5, "memory_efficiency": 0.5},
    "topology": {"devices_per_node": 4, "intra_node": {"gbps": 20, "latency_us": 2},
                 "inter_node": {"gbps": 10, "latency_us": 20}}})";
  auto spec = loadClusterSpec(path);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(spec->name, "mine");
  EXPECT_DOUBLE_EQ(spec->device.peakFlops(MathType::TF32), 2e12); // no tf32: the f32 rate
  EXPECT_DOUBLE_EQ(spec->topology.interNode.latencySeconds, 20e-6);
  std::remove(path.c_str());
}

TEST(ClusterSpec, BadDescriptionsNameTheKey) {
  auto unknown = loadClusterSpec("tpu9");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("unknown device kind 'tpu9'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("h100"), std::string::npos);

  auto notJson = parseClusterSpec("{nope", "x.json");
  ASSERT_FALSE(notJson.isOk());
  EXPECT_NE(notJson.status().message().find("'x.json' is not a JSON object"), std::string::npos);

  const std::string good = R"({"name": "n", "device": {"peak_tflops": {"f32": 1, "bf16": 1, "f16": 1},
    "memory_gbps": 1, "memory_gib": 1, "launch_us": 1, "gemm_efficiency": 1, "memory_efficiency": 1},
    "topology": {"devices_per_node": 1, "intra_node": {"gbps": 1, "latency_us": 1},
                 "inter_node": {"gbps": 1, "latency_us": 1}}})";
  ASSERT_TRUE(parseClusterSpec(good, "good").isOk());
  const std::vector<Case> cases = {
      {"\"memory_gbps\": 1", "\"memory_gbps\": -3", "device.memory_gbps must be positive, got -3"},
      {"\"memory_gbps\": 1, ", "", "device.memory_gbps is missing"},
      {"\"bf16\": 1", "\"bf16\": \"fast\"", "device.peak_tflops.bf16 is not a number"},
      {"\"gemm_efficiency\": 1", "\"gemm_efficiency\": 1.5", "gemm_efficiency is a fraction"},
      {"\"devices_per_node\": 1", "\"devices_per_node\": 0", "topology.devices_per_node must be a positive integer"},
      {"\"inter_node\": {\"gbps\": 1", "\"inter_node\": {\"gbs\": 1", "topology.inter_node.gbps is missing"},
  };
  expectRefused(good, cases);
}

const std::string kTables = R"({"name": "t", "device": {"peak_tflops": {"f32": 1, "bf16": 1, "f16": 1},
    "memory_gbps": 10, "memory_gib": 1, "launch_us": 1, "gemm_efficiency": 1, "memory_efficiency": 1,
    "gemm_rates": {"f32": {"m": [1, 128], "n": [64, 768], "k": [768],
                           "gflops": [[[5], [10]], [[100], [200]]]}},
    "bandwidth_by_bytes": {"bytes": [65536, 1048576, 536870912], "gbps": [50, 30, 7]},
    "element_ns": {"gelu_tanh": 2.5, "exp": 1}},
    "topology": {"devices_per_node": 2, "intra_node": {"gbps": 3, "latency_us": 1.5,
                   "step_us": {"all_reduce": {"chunk_bytes": [64, 1048576], "us": [2, 400]},
                               "all_gather": {"chunk_bytes": [64], "us": [3]}}},
                 "inter_node": {"gbps": 3, "latency_us": 1.5}}})";

TEST(ClusterSpec, ReadsMeasuredTables) {
  auto spec = parseClusterSpec(kTables, "tables.json");
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  const DeviceKind &d = spec->device;
  ASSERT_EQ(d.gemmRates.count(MathType::F32), 1u);
  const GemmRateGrid &g = d.gemmRates.at(MathType::F32);
  EXPECT_EQ(g.m, (std::vector<double>{1, 128}));
  EXPECT_DOUBLE_EQ(g.at(1, 0, 0), 100e9); // gflops[1][0][0]: m 128, n 64
  EXPECT_DOUBLE_EQ(g.at(0, 1, 0), 10e9);
  EXPECT_EQ(d.bandwidthByBytes.sizes.size(), 3u);
  EXPECT_DOUBLE_EQ(d.bandwidthByBytes.values[2], 7e9);
  EXPECT_DOUBLE_EQ(d.elementFunctionSeconds[size_t(ElementFunction::GeluTanh)], 2.5e-9);
  EXPECT_DOUBLE_EQ(d.elementFunctionSeconds[size_t(ElementFunction::Gelu)], 0);
  const Link &l = spec->topology.intraNode;
  ASSERT_EQ(l.stepSeconds.size(), 2u);
  EXPECT_DOUBLE_EQ(l.stepSeconds.at(CollectiveKind::AllReduce).values[1], 400e-6);
  EXPECT_TRUE(spec->topology.interNode.stepSeconds.empty());

  // Written back and read again: the same tables.
  auto back = parseClusterSpec(formatClusterSpec(*spec), "back");
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->device.gemmRates.at(MathType::F32).flopsPerSecond, g.flopsPerSecond);
  EXPECT_EQ(back->device.bandwidthByBytes.sizes, d.bandwidthByBytes.sizes);
  EXPECT_EQ(back->device.elementFunctionSeconds, d.elementFunctionSeconds);
  EXPECT_EQ(back->topology.intraNode.stepSeconds.at(CollectiveKind::AllGather).sizes,
            l.stepSeconds.at(CollectiveKind::AllGather).sizes);
}

TEST(ClusterSpec, FilesWithoutTablesKeepTheSingleFigures) {
  for (const char *name : {"h100", "h200", "a100"}) {
    auto spec = loadClusterSpec(name);
    ASSERT_TRUE(spec.isOk());
    EXPECT_TRUE(spec->device.gemmRates.empty()) << name;
    EXPECT_TRUE(spec->device.bandwidthByBytes.empty()) << name;
    EXPECT_TRUE(spec->topology.interNode.stepSeconds.empty()) << name;
    // Nothing is added when written back.
    std::string text = formatClusterSpec(*spec);
    for (const char *key : {"gemm_rates", "bandwidth_by_bytes", "element_ns", "step_us"})
      EXPECT_EQ(text.find(key), std::string::npos) << name << " " << key;
  }
}

TEST(ClusterSpec, MalformedTablesNameTheKey) {
  ASSERT_TRUE(parseClusterSpec(kTables, "good").isOk());
  const std::vector<Case> cases = {
      {"\"m\": [1, 128]", "\"m\": [128, 1]",
       "device.gemm_rates.f32.m must be strictly increasing (entry 1 is not above entry 0)"},
      {"\"k\": [768]", "\"k\": []", "device.gemm_rates.f32.k must be a non-empty array of numbers"},
      {"[[100], [200]]", "[[100], [200], [300]]", "device.gemm_rates.f32.gflops[1] must be an array of 2 entries"},
      {"[[5], [10]]", "[[5, 6], [10]]", "device.gemm_rates.f32.gflops[0][0] must be an array of 1 entries"},
      {"[[100], [200]]", "[[100], [-2]]", "device.gemm_rates.f32.gflops[1][1][0] must be a positive number, got -2"},
      {"\"gemm_rates\": {\"f32\"", "\"gemm_rates\": {\"f64\"", "device.gemm_rates.f64 is not a type"},
      {"\"gflops\": ", "\"gflop\": ", "device.gemm_rates.f32.gflops is missing"},
      {"[50, 30, 7]", "[50, 30]", "device.bandwidth_by_bytes has 3 bytes but 2 gbps"},
      {"[65536, 1048576, 536870912]", "[65536, 65536, 536870912]",
       "device.bandwidth_by_bytes.bytes must be strictly increasing"},
      {"\"gbps\": [50", "\"gbps\": [\"fast\"", "device.bandwidth_by_bytes.gbps[0] must be a positive number"},
      {"\"gelu_tanh\": 2.5", "\"gelu_fast\": 2.5", "device.element_ns.gelu_fast is not an element function"},
      {"\"exp\": 1", "\"exp\": 0", "device.element_ns.exp must be positive, got 0"},
      {"\"all_gather\": {", "\"permute\": {",
       "topology.intra_node.step_us.permute is not a measured collective"},
      {"\"us\": [2, 400]", "\"us\": [2]", "topology.intra_node.step_us.all_reduce has 2 chunk_bytes but 1 us"},
      {"\"chunk_bytes\": [64, 1048576]", "\"chunk_bytes\": 64",
       "topology.intra_node.step_us.all_reduce.chunk_bytes must be a non-empty array"},
  };
  expectRefused(kTables, cases);
}

} // namespace
