//===- SafetensorsCheckpointTest.cpp - sharded safetensors checkpoints ----===//
//
// This file implements the tests of rt::SafetensorsCheckpoint: one file, a
// sharded checkpoint opened by its index and by its directory (each tensor
// read back from its own shard, bit for bit), and the errors: a directory
// with neither file, an index naming a missing shard, an index putting a
// tensor in a shard that lacks it, an index that is not a weight_map.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/SafetensorsCheckpoint.h"

#include "tests/runtime/io/IOTestUtil.h"

#include <map>

namespace weft::rt {
namespace {

using testing::randomTensor;
using testing::TempDir;
using testing::writeBytes;

void expectError(const Status &status, StatusCode code, const std::vector<std::string> &parts) {
  EXPECT_EQ(status.code(), code) << status.toString();
  for (const std::string &part : parts)
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "message '" << status.message() << "' lacks '" << part << "'";
}

bool sameBytes(const HostTensor &a, const HostTensor &b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.bytes == b.bytes;
}

/// Two shards (a: x, y; b: z) and the index naming them.
struct Sharded {
  TempDir dir;
  std::map<std::string, HostTensor> tensors;
  Sharded() {
    std::mt19937 rng(7);
    tensors.emplace("x", randomTensor(weft::proto::F32, {3, 4}, rng));
    tensors.emplace("y", randomTensor(weft::proto::BF16, {5}, rng));
    tensors.emplace("z", randomTensor(weft::proto::F32, {2, 2, 2}, rng));
    EXPECT_TRUE(writeSafetensors(dir.file("model-00001-of-00002.safetensors"),
                                 {{"x", tensors.at("x")}, {"y", tensors.at("y")}})
                    .isOk());
    EXPECT_TRUE(writeSafetensors(dir.file("model-00002-of-00002.safetensors"), {{"z", tensors.at("z")}}).isOk());
    writeIndex(R"({"x": "model-00001-of-00002.safetensors", "y": "model-00001-of-00002.safetensors",
                   "z": "model-00002-of-00002.safetensors"})");
  }
  void writeIndex(const std::string &weightMap) {
    writeBytes(index(), R"({"metadata": {"total_size": 100}, "weight_map": )" + weightMap + "}");
  }
  std::string index() const { return dir.file("model.safetensors.index.json"); }
};

TEST(IOSafetensorsCheckpoint, OneFileAndItsDirectory) {
  TempDir dir;
  std::mt19937 rng(3);
  HostTensor w = randomTensor(weft::proto::F32, {4, 2}, rng);
  ASSERT_TRUE(writeSafetensors(dir.file("model.safetensors"), {{"w", w}}).isOk());
  for (const std::string &path : {dir.file("model.safetensors"), dir.path()}) {
    auto c = SafetensorsCheckpoint::open(path);
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    EXPECT_EQ(c->numFiles(), 1u);
    ASSERT_TRUE(c->contains("w"));
    EXPECT_FALSE(c->contains("v"));
    EXPECT_EQ(c->fileOf("v"), nullptr);
    auto got = c->fileOf("w")->read("w");
    ASSERT_TRUE(got.isOk());
    EXPECT_TRUE(sameBytes(*got, w));
  }
}

TEST(IOSafetensorsCheckpoint, ShardedByIndexAndByDirectory) {
  Sharded s;
  for (const std::string &path : {s.index(), s.dir.path()}) {
    auto c = SafetensorsCheckpoint::open(path);
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    EXPECT_EQ(c->numFiles(), 2u);
    EXPECT_EQ(c->names(), (std::vector<std::string>{"x", "y", "z"}));
    for (const auto &[name, want] : s.tensors) {
      const SafetensorsFile *file = c->fileOf(name);
      ASSERT_NE(file, nullptr) << name;
      EXPECT_NE(file->path().find(name == "z" ? "00002" : "00001"), std::string::npos) << file->path();
      auto got = file->read(name);
      ASSERT_TRUE(got.isOk()) << got.status().toString();
      EXPECT_TRUE(sameBytes(*got, want)) << name;
    }
  }
}

TEST(IOSafetensorsCheckpoint, Errors) {
  {
    TempDir empty;
    expectError(SafetensorsCheckpoint::open(empty.path()).status(), StatusCode::kNotFound,
                {empty.path(), "model.safetensors.index.json", "model.safetensors"});
  }
  {
    Sharded s;
    s.writeIndex(R"({"x": "model-00001-of-00002.safetensors", "z": "model-00003-of-00003.safetensors"})");
    expectError(SafetensorsCheckpoint::open(s.dir.path()).status(), StatusCode::kNotFound,
                {"model-00003-of-00003.safetensors", "'z'", "does not exist"});
  }
  {
    Sharded s;
    s.writeIndex(R"({"x": "model-00001-of-00002.safetensors", "w": "model-00002-of-00002.safetensors"})");
    expectError(SafetensorsCheckpoint::open(s.index()).status(), StatusCode::kDataLoss,
                {"'w'", "model-00002-of-00002.safetensors", "does not hold it"});
  }
  {
    Sharded s;
    writeBytes(s.index(), R"({"metadata": {}})");
    expectError(SafetensorsCheckpoint::open(s.index()).status(), StatusCode::kDataLoss, {"weight_map"});
    writeBytes(s.index(), "not json");
    expectError(SafetensorsCheckpoint::open(s.index()).status(), StatusCode::kDataLoss, {"not a JSON object"});
  }
  expectError(SafetensorsCheckpoint::open("/nonexistent/weights.safetensors").status(), StatusCode::kNotFound,
              {"/nonexistent/weights.safetensors"});
}

} // namespace
} // namespace weft::rt
