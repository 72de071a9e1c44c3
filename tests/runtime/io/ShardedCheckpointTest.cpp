//===- ShardedCheckpointTest.cpp - checkpoints in per-rank pieces ---------===//
//
// This file implements tests of sharded checkpoints (runtime/io/
// ShardedCheckpoint.h) on hand-built Executables run by thread-ranks
// (InProcessCommunicator): a dp=2,tp=2 save writes one shard file per owning
// rank plus the manifest, each piece once and no split tensor whole; the
// checkpoint restores bitwise on tp=4 with other splits (uneven, blocked) and
// on one device; a later save removes the earlier step's shards; and a
// missing, corrupt or foreign shard file, a manifest naming a file that is
// not there and a checkpoint of another model are errors naming the file and
// the tensor. Also: SafetensorsFile::readPiece equals extractShard of read()
// on uneven, padded and blocked splits.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeTestUtil.h"
#include "../comm/InProcessTestUtil.h"

#include "runtime/Executor.h"
#include "runtime/ShardLayout.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/Safetensors.h"
#include "runtime/io/ShardedCheckpoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

/// How one tensor is split: per dimension the mesh axes and blocks.
struct Split {
  std::vector<std::vector<uint32_t>> axes; // per dimension; empty: not split
  std::vector<int64_t> blocks;             // per dimension; empty: all 1
};

struct TensorSpec {
  std::string name;
  proto::BufferKind kind;
  std::vector<int64_t> shape;
};

/// The tensors of the test "model": a weight with 5 rows (uneven over 2 and
/// 4), a fused QKV of 3 blocks, a bias, and an optimizer state.
const std::vector<TensorSpec> kTensors = {{"w", proto::PARAMETER, {5, 3}},
                                          {"qkv", proto::PARAMETER, {2, 6}},
                                          {"b", proto::PARAMETER, {4}},
                                          {"m", proto::STATE, {5, 3}}};

/// An Executable of the tensors on `axes` (name, size), split as `splits`.
Executable meshExecutable(const std::vector<std::pair<std::string, int64_t>> &axes,
                          const std::map<std::string, Split> &splits) {
  proto::Executable exe = emptyExecutable("sharded");
  MeshShape mesh;
  std::vector<MeshAxis> meshAxes;
  for (const auto &[name, size] : axes) {
    proto::MeshAxis *a = exe.mutable_mesh()->add_axes();
    a->set_name(name);
    a->set_size(size);
    meshAxes.push_back({name, size});
  }
  if (!meshAxes.empty())
    mesh = MeshShape::create(meshAxes).value();
  for (const TensorSpec &t : kTensors) {
    auto it = splits.find(t.name);
    if (it == splits.end()) {
      addBuffer(exe, t.name, t.kind, t.shape);
      continue;
    }
    proto::BufferSharding s;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      s.add_global_shape(t.shape[d]);
      proto::DimSplit *split = s.add_dims();
      for (uint32_t a : it->second.axes[d])
        split->add_axes(a);
      split->set_blocks(it->second.blocks.empty() ? 1 : it->second.blocks[d]);
    }
    uint32_t id = addBuffer(exe, t.name, t.kind, localShape(t.shape, piecesOf(s, mesh, 0)));
    *exe.mutable_buffers(int(id))->mutable_sharding() = s;
  }
  Executable e(exe);
  EXPECT_TRUE(e.validate().isOk()) << e.validate().toString();
  return e;
}

/// dp=2,tp=2: w rows over tp (3 per rank, one padding row), qkv columns over
/// tp in 3 blocks, b replicated, m rows over dp and tp (ZeRO-like, uneven).
Executable dp2tp2() {
  return meshExecutable({{"dp", 2}, {"tp", 2}},
                        {{"w", {{{1}, {}}}}, {"qkv", {{{}, {1}}, {1, 3}}}, {"m", {{{0, 1}, {}}}}});
}

/// tp=4: other splits of the same tensors (w columns, qkv rows, b, m whole).
Executable tp4() {
  return meshExecutable({{"tp", 4}}, {{"w", {{{}, {0}}}}, {"qkv", {{{0}, {}}}}, {"b", {{{0}}}}});
}

HostTensor valueOf(const TensorSpec &t, float salt) {
  HostTensor v(proto::F32, t.shape);
  for (int64_t i = 0; i < v.numElements(); ++i)
    v.data<float>()[i] = salt + float(i) * 0.25f + float(t.name.size());
  return v;
}

proto::Checkpoint meta(uint64_t step) {
  proto::Checkpoint c;
  c.set_step(step);
  c.set_model_config_json("{\"model\":\"test\"}");
  return c;
}

/// Creates the executor of `exe` on `comm` (null: one device) and sets every
/// tensor whole to valueOf(salt).
std::unique_ptr<Executor> withValues(const Executable &exe, std::shared_ptr<Communicator> comm,
                                     float salt) {
  ExecutorOptions options;
  options.communicator = std::move(comm);
  auto e = Executor::create(exe, options);
  EXPECT_TRUE(e.isOk()) << e.status().toString();
  for (const TensorSpec &t : kTensors) {
    Status s = t.kind == proto::STATE ? (*e)->setState(t.name, valueOf(t, salt))
                                      : (*e)->setParameter(t.name, valueOf(t, salt));
    EXPECT_TRUE(s.isOk()) << s.toString();
  }
  return std::move(e).value();
}

/// Saves the dp=2,tp=2 executor's values (salt) at `step` into `dir`.
void saveOnDp2Tp2(const std::string &dir, uint64_t step, float salt) {
  Executable exe = dp2tp2();
  runOnRanks(4, [&](const std::shared_ptr<Communicator> &comm) {
    auto e = withValues(exe, comm, salt);
    Status s = saveShardedCheckpoint(dir, meta(step), *e, *comm);
    EXPECT_TRUE(s.isOk()) << s.toString();
  });
}

/// Restores `dir` into an executor of `exe` on one device; the status.
Status restoreOnOneDevice(const std::string &dir, const Executable &exe) {
  auto e = Executor::create(exe);
  EXPECT_TRUE(e.isOk());
  auto c = loadCheckpoint(dir);
  if (!c.isOk())
    return c.status();
  return restoreCheckpoint(dir, *c, **e);
}

Executable oneDevice() { return meshExecutable({}, {}); }

proto::Checkpoint readFramed(const std::string &path) {
  std::string bytes = readBytes(path);
  auto c = checkpointFromBytes(bytes, path);
  EXPECT_TRUE(c.isOk()) << c.status().toString();
  return c.isOk() ? *c : proto::Checkpoint();
}

int64_t wholeElements(const std::string &name) {
  for (const TensorSpec &t : kTensors)
    if (t.name == name)
      return numElements(t.shape);
  return 0;
}

void expectValues(Executor &e, float salt) {
  for (const TensorSpec &t : kTensors) {
    auto got = t.kind == proto::STATE ? e.state(t.name) : e.parameter(t.name);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    EXPECT_EQ(got->shape, t.shape) << t.name;
    EXPECT_EQ(got->bytes, valueOf(t, salt).bytes) << t.name << " on rank " << e.rank();
  }
}

TEST(ShardedCheckpoint, EachPieceIsWrittenOnceByItsOwner) {
  ScratchDir dir;
  saveOnDp2Tp2(dir.path(), 7, 1.0f);
  proto::Checkpoint manifest = readFramed(dir.file("checkpoint.pb"));
  EXPECT_EQ(manifest.format_version(), kShardedCheckpointFormat);
  EXPECT_EQ(manifest.step(), 7u);
  EXPECT_EQ(manifest.parameters_size() + manifest.optimizer_state_size(), 0);
  EXPECT_EQ(manifest.shards().mesh().axes_size(), 2);
  // m is split over both axes, so every rank owns a piece and writes a file.
  ASSERT_EQ(manifest.shards().files_size(), 4);
  std::map<std::string, int> copies; // pieces of each tensor over all files
  for (int r = 0; r < 4; ++r) {
    std::string name = "shard-7-rank" + std::to_string(r) + "-of-4.pb";
    EXPECT_EQ(manifest.shards().files(r), name);
    proto::Checkpoint shard = readFramed(dir.file(name));
    EXPECT_EQ(shard.format_version(), kShardedCheckpointFormat);
    for (const auto *list : {&shard.parameters(), &shard.optimizer_state()})
      for (const proto::CheckpointTensor &t : *list) {
        copies[t.name()] += 1;
        if (t.name() != "b") // a split tensor is never written whole
          EXPECT_LT(t.data().size(), size_t(wholeElements(t.name())) * 4)
              << t.name() << " in " << name;
      }
  }
  // w and qkv: one piece per tp index (written by dp = 0), b once, m four times.
  EXPECT_EQ(copies, (std::map<std::string, int>{{"w", 2}, {"qkv", 2}, {"b", 1}, {"m", 4}}));
  for (const proto::ShardedTensor &t : manifest.shards().parameters())
    if (t.name() == "w") {
      ASSERT_EQ(t.pieces_size(), 2);
      EXPECT_EQ(t.pieces(0).rank(), 0);
      EXPECT_EQ(t.pieces(1).rank(), 1);
    }
}

TEST(ShardedCheckpoint, RestoresOnAnotherMeshAndOnOneDevice) {
  ScratchDir dir;
  saveOnDp2Tp2(dir.path(), 7, 2.0f);
  Executable other = tp4();
  runOnRanks(4, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto e = Executor::create(other, options);
    ASSERT_TRUE(e.isOk());
    auto c = loadCheckpoint(dir.path());
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    Status s = restoreCheckpoint(dir.path(), *c, **e);
    ASSERT_TRUE(s.isOk()) << s.toString();
    expectValues(**e, 2.0f); // gathers: every rank calls it
  });
  auto one = Executor::create(oneDevice());
  ASSERT_TRUE(one.isOk());
  auto c = loadCheckpoint(dir.path());
  ASSERT_TRUE(c.isOk());
  ASSERT_TRUE(restoreCheckpoint(dir.path(), *c, **one).isOk());
  expectValues(**one, 2.0f);
  // And back onto the mesh that wrote it.
  Executable same = dp2tp2();
  runOnRanks(4, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto e = Executor::create(same, options);
    ASSERT_TRUE(e.isOk());
    ASSERT_TRUE(restoreCheckpoint(dir.path(), *c, **e).isOk());
    expectValues(**e, 2.0f);
  });
}

TEST(ShardedCheckpoint, ALaterSaveRemovesTheEarlierShardsAfterItsManifest) {
  ScratchDir dir;
  saveOnDp2Tp2(dir.path(), 7, 1.0f);
  writeBytes(dir.file("shard-7-rank2-of-4.pb.tmp.abc123"), "interrupted");
  writeBytes(dir.file("shard-5-rank6-of-8.pb.tmp.def456"), "interrupted on another mesh");
  writeBytes(dir.file("shard-5-rank6-of-8.pb"), "a shard of an older save");
  saveOnDp2Tp2(dir.path(), 8, 3.0f);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"checkpoint.pb", "shard-8-rank0-of-4.pb",
                                             "shard-8-rank1-of-4.pb", "shard-8-rank2-of-4.pb",
                                             "shard-8-rank3-of-4.pb"}));
  ASSERT_TRUE(restoreOnOneDevice(dir.path(), oneDevice()).isOk());
  // A one-device save over it writes checkpoint.pb whole and drops the shards.
  auto e = withValues(oneDevice(), nullptr, 4.0f);
  proto::Checkpoint c = meta(9);
  ASSERT_TRUE(captureTensors(*e, c).isOk());
  ASSERT_TRUE(saveCheckpoint(dir.path(), c).isOk());
  EXPECT_FALSE(std::filesystem::exists(dir.file("shard-8-rank0-of-4.pb")));
  EXPECT_TRUE(restoreOnOneDevice(dir.path(), oneDevice()).isOk());
}

TEST(ShardedCheckpoint, MissingCorruptAndForeignShardsNameTheFileAndTensor) {
  ScratchDir dir;
  saveOnDp2Tp2(dir.path(), 7, 1.0f);
  const std::string rank1 = dir.file("shard-7-rank1-of-4.pb");
  const std::string good = readBytes(rank1);

  std::filesystem::remove(rank1);
  Status s = restoreOnOneDevice(dir.path(), oneDevice());
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.toString();
  EXPECT_NE(s.message().find(rank1), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("parameter 'w'"), std::string::npos) << s.message();

  std::string corrupt = good;
  corrupt[corrupt.size() - 20] ^= 0x40; // a data byte of rank 1's last piece
  writeBytes(rank1, corrupt);
  s = restoreOnOneDevice(dir.path(), oneDevice());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.toString();
  EXPECT_NE(s.message().find(rank1), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("optimizer state 'm'"), std::string::npos) << s.message();

  // A well-formed shard of another save at the same step: its checksums differ.
  ScratchDir other;
  saveOnDp2Tp2(other.path(), 7, 5.0f);
  std::filesystem::copy_file(other.file("shard-7-rank1-of-4.pb"), rank1,
                             std::filesystem::copy_options::overwrite_existing);
  s = restoreOnOneDevice(dir.path(), oneDevice());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.toString();
  EXPECT_NE(s.message().find(rank1), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("parameter 'w'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("the manifest expects"), std::string::npos) << s.message();
  writeBytes(rank1, good);
  EXPECT_TRUE(restoreOnOneDevice(dir.path(), oneDevice()).isOk());

  // A manifest naming a shard file that is not there.
  proto::Checkpoint manifest = readFramed(dir.file("checkpoint.pb"));
  manifest.mutable_shards()->set_files(2, "shard-7-rank9-of-4.pb");
  writeBytes(dir.file("checkpoint.pb"), checkpointToBytes(manifest));
  s = restoreOnOneDevice(dir.path(), oneDevice());
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.toString();
  EXPECT_NE(s.message().find(dir.file("shard-7-rank9-of-4.pb")), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("optimizer state 'm'"), std::string::npos) << s.message();
}

TEST(ShardedCheckpoint, ACheckpointOfAnotherModelIsRefusedNamingTheTensor) {
  ScratchDir dir;
  saveOnDp2Tp2(dir.path(), 7, 1.0f);
  proto::Executable p = emptyExecutable("other");
  addBuffer(p, "w", proto::PARAMETER, {6, 3});
  addBuffer(p, "qkv", proto::PARAMETER, {2, 6});
  addBuffer(p, "b", proto::PARAMETER, {4});
  addBuffer(p, "m", proto::STATE, {5, 3});
  Status s = restoreOnOneDevice(dir.path(), Executable(p));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.toString();
  EXPECT_NE(s.message().find("parameter 'w'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[5, 3]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[6, 3]"), std::string::npos) << s.message();

  proto::Executable q = emptyExecutable("fewer");
  addBuffer(q, "w", proto::PARAMETER, {5, 3});
  addBuffer(q, "m", proto::STATE, {5, 3});
  s = restoreOnOneDevice(dir.path(), Executable(q));
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.toString();
  EXPECT_NE(s.message().find("parameter 'b', which the model does not have"), std::string::npos)
      << s.message();
}

TEST(ShardedCheckpoint, PiecesOverlapOnlyWhereTheyShareElements) {
  // 5 rows: over 2 ways [0,3) and [3,5); over 4 ways [0,2) [2,4) [4,5) and none.
  std::vector<int64_t> shape = {5};
  auto piece = [](int64_t ways, int64_t index) { return std::vector<DimPiece>{{ways, index, 1}}; };
  EXPECT_TRUE(piecesOverlap(shape, piece(2, 0), piece(4, 1)));
  EXPECT_FALSE(piecesOverlap(shape, piece(2, 0), piece(4, 2)));
  EXPECT_TRUE(piecesOverlap(shape, piece(2, 1), piece(4, 2)));
  EXPECT_FALSE(piecesOverlap(shape, piece(2, 1), piece(4, 3))); // rank 3 holds only padding
  // Blocks: 6 columns in 3 blocks over 2 ways: piece 0 holds 0, 2, 4.
  std::vector<DimPiece> blocked = {{2, 0, 3}};
  EXPECT_TRUE(piecesOverlap({6}, blocked, piece(3, 2)));  // column 4
  EXPECT_FALSE(piecesOverlap({6}, blocked, std::vector<DimPiece>{{6, 1, 1}})); // column 1
}

TEST(SafetensorsPiece, ReadPieceEqualsExtractShardOfTheWholeTensor) {
  ScratchDir dir;
  HostTensor a(proto::F32, {5, 7}), h(proto::F16, {6, 4});
  for (int64_t i = 0; i < a.numElements(); ++i)
    a.data<float>()[i] = float(i) - 3.5f;
  for (int64_t i = 0; i < h.numElements(); ++i)
    h.data<uint16_t>()[i] = uint16_t(0x3c00 + i);
  ASSERT_TRUE(writeSafetensors(dir.file("w.safetensors"), {{"a", a}, {"h", h}}).isOk());
  auto file = SafetensorsFile::open(dir.file("w.safetensors"));
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  const std::vector<std::vector<DimPiece>> splits = {
      {{1, 0, 1}, {1, 0, 1}},   // whole
      {{2, 1, 1}, {1, 0, 1}},   // rows 3..4 and a padding row
      {{4, 3, 1}, {1, 0, 1}},   // only padding
      {{1, 0, 1}, {3, 2, 1}},   // columns 6 and two padding columns
      {{2, 0, 1}, {4, 1, 1}},   // both dimensions
  };
  for (const std::vector<DimPiece> &pieces : splits) {
    HostTensor want(proto::F32, localShape(a.shape, pieces));
    extractShard(a.bytes.data(), a.shape, 4, pieces, want.bytes.data());
    auto got = file->readPiece("a", pieces);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    EXPECT_EQ(got->shape, want.shape);
    EXPECT_EQ(got->bytes, want.bytes);
  }
  // f16 with blocks (a fused QKV: 3 blocks of 2 rows, each split 2 ways).
  std::vector<DimPiece> blocked = {{2, 1, 3}, {2, 0, 1}};
  HostTensor want(proto::F16, localShape(h.shape, blocked));
  extractShard(h.bytes.data(), h.shape, 2, blocked, want.bytes.data());
  auto got = file->readPiece("h", blocked);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->dtype, proto::F16);
  EXPECT_EQ(got->bytes, want.bytes);

  auto bad = file->readPiece("a", {{2, 2, 1}, {1, 0, 1}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'a'"), std::string::npos) << bad.status().message();
  EXPECT_EQ(file->readPiece("nope", {{1, 0, 1}}).status().code(), StatusCode::kNotFound);
}

} // namespace
