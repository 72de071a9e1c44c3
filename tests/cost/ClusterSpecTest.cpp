//===- ClusterSpecTest.cpp - device and topology descriptions -------------===//
//
// This file implements tests of ClusterSpec: every shipped description loads
// with the rates its datasheet gives, a user's file is read, and a malformed
// description or an unknown kind is refused with the key and the value.
//
//===----------------------------------------------------------------------===//

#include "cost/ClusterSpec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace weft::cost;

namespace {

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
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"\"memory_gbps\": 1", "\"memory_gbps\": -3", "device.memory_gbps must be positive, got -3"},
      {"\"memory_gbps\": 1, ", "", "device.memory_gbps is missing"},
      {"\"bf16\": 1", "\"bf16\": \"fast\"", "device.peak_tflops.bf16 is not a number"},
      {"\"gemm_efficiency\": 1", "\"gemm_efficiency\": 1.5", "gemm_efficiency is a fraction"},
      {"\"devices_per_node\": 1", "\"devices_per_node\": 0", "topology.devices_per_node must be a positive integer"},
      {"\"inter_node\": {\"gbps\": 1", "\"inter_node\": {\"gbs\": 1", "topology.inter_node.gbps is missing"},
  };
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

} // namespace
