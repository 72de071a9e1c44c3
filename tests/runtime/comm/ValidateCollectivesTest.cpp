//===- ValidateCollectivesTest.cpp - rejecting bad meshes and collectives ===//
//
// This file implements tests of Executable::validate for format 4: a bad mesh,
// MESH_INDEX buffers of the wrong type or axes, and collective steps whose
// axes, buffers, dtypes, sizes, reductions or permute pairs disagree are each
// rejected with INVALID_ARGUMENT naming the step or buffer and the numbers.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeTestUtil.h"
#include "runtime/Executable.h"

#include <gtest/gtest.h>

#include <functional>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

/// dp=2,tp=4; buffers: idx (MESH_INDEX over tp), x f32[12], y f32[12],
/// w f32[48] (4 blocks of 12), p (PARAMETER f32[12]); step 0: all_reduce x → y over tp.
proto::Executable meshExecutable() {
  proto::Executable exe = emptyExecutable("mesh");
  for (auto [name, size] : {std::pair<const char *, int64_t>{"dp", 2}, {"tp", 4}}) {
    proto::MeshAxis *a = exe.mutable_mesh()->add_axes();
    a->set_name(name);
    a->set_size(size);
  }
  uint32_t idx = addBuffer(exe, "idx", proto::MESH_INDEX, {}, proto::I64);
  exe.mutable_buffers(int(idx))->add_mesh_axes(1);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {12});
  uint32_t y = addBuffer(exe, "y", proto::OUTPUT, {12});
  addBuffer(exe, "w", proto::TEMPORARY, {48});
  addBuffer(exe, "p", proto::PARAMETER, {12});
  proto::Step *s = exe.add_steps();
  s->set_label("sum@m.cpp:9");
  proto::Collective *c = s->mutable_collective();
  c->set_kind(proto::ALL_REDUCE);
  c->set_input(x);
  c->set_output(y);
  c->add_axes(1);
  c->set_reduction(proto::REDUCE_SUM);
  c->set_dtype(proto::F32);
  c->set_count(12);
  return exe;
}

proto::Collective &collective(proto::Executable &exe) {
  return *exe.mutable_steps(0)->mutable_collective();
}

void expectRejected(const std::function<void(proto::Executable &)> &damage,
                    const std::vector<std::string> &mentions) {
  proto::Executable exe = meshExecutable();
  damage(exe);
  Status st = Executable(exe, "mesh.wexe").validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.toString();
  EXPECT_NE(st.message().find("invalid executable 'mesh.wexe'"), std::string::npos) << st.message();
  for (const std::string &m : mentions)
    EXPECT_NE(st.message().find(m), std::string::npos) << "missing '" << m << "' in: " << st.message();
}

TEST(ValidateCollectives, ValidMeshExecutable) {
  proto::Executable exe = meshExecutable();
  EXPECT_TRUE(Executable(exe).validate().isOk()) << Executable(exe).validate().toString();
  // every kind with consistent sizes
  collective(exe).set_kind(proto::ALL_GATHER);
  collective(exe).set_count(3);
  collective(exe).set_input(1); // x f32[12] is 4 blocks of 3? no: all_gather input = count
  exe.mutable_buffers(1)->set_shape(0, 3);
  exe.mutable_buffers(1)->set_byte_size(12);
  EXPECT_TRUE(Executable(exe).validate().isOk()) << Executable(exe).validate().toString();
  collective(exe).set_kind(proto::REDUCE_SCATTER);
  collective(exe).set_input(3); // w f32[48] = 4 blocks of 12
  collective(exe).set_count(12);
  EXPECT_TRUE(Executable(exe).validate().isOk()) << Executable(exe).validate().toString();
  collective(exe).set_kind(proto::PERMUTE);
  collective(exe).set_input(2);
  collective(exe).set_output(4);
  EXPECT_FALSE(Executable(exe).validate().isOk()); // writes a parameter
}

TEST(ValidateCollectives, BadMesh) {
  expectRejected([](proto::Executable &e) { e.mutable_mesh()->mutable_axes(1)->set_size(0); },
                 {"mesh axis 1 'tp' has size 0"});
  expectRejected([](proto::Executable &e) { e.mutable_mesh()->mutable_axes(1)->set_name("dp"); },
                 {"mesh axis 1 'dp'", "unique"});
  expectRejected([](proto::Executable &e) { e.mutable_mesh()->mutable_axes(0)->set_name(""); },
                 {"mesh axis 0 ''"});
}

TEST(ValidateCollectives, BadMeshIndexBuffers) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(0)->add_mesh_axes(1); },
                 {"buffer 0 'idx': mesh_axes names mesh axis 1 'tp' twice"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(0)->set_mesh_axes(0, 2); },
                 {"buffer 0 'idx': mesh_axes names mesh axis 2", "(dp=2,tp=4) has 2 axes"});
  expectRejected(
      [](proto::Executable &e) {
        e.mutable_buffers(0)->set_dtype(proto::I32);
        e.mutable_buffers(0)->set_byte_size(4);
      },
      {"buffer 0 'idx' is a MESH_INDEX of i32[]", "i64 scalar"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(1)->add_mesh_axes(0); },
                 {"buffer 1 'x' is a INPUT with mesh_axes"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(2)->set_arena_offset(0); },
                 {"overlaps the arena bytes of MESH_INDEX buffer 0 'idx'"});
}

TEST(ValidateCollectives, BadCollectiveSteps) {
  const std::string step = "step 0 'sum@m.cpp:9': all_reduce";
  expectRejected([](proto::Executable &e) { collective(e).clear_axes(); },
                 {step + " names no mesh axes"});
  expectRejected([](proto::Executable &e) { collective(e).add_axes(1); },
                 {step + ": axes names mesh axis 1 'tp' twice"});
  expectRejected([](proto::Executable &e) { collective(e).set_axes(0, 5); },
                 {step + ": axes names mesh axis 5"});
  expectRejected([](proto::Executable &e) { collective(e).set_kind(proto::COLLECTIVE_KIND_INVALID); },
                 {"step 0 'sum@m.cpp:9' is a collective of no valid kind"});
  expectRejected([](proto::Executable &e) { collective(e).set_reduction(proto::REDUCE_OP_INVALID); },
                 {step + " has no valid reduction"});
  expectRejected([](proto::Executable &e) { collective(e).set_output(17); },
                 {step + " names buffer 17, out of range (5 buffers)"});
  expectRejected([](proto::Executable &e) { collective(e).set_dtype(proto::BF16); },
                 {step + ": input buffer 1 'x' is f32; the collective moves bf16"});
  expectRejected([](proto::Executable &e) { collective(e).set_count(6); },
                 {step + ": input buffer 1 'x' has 48 bytes, but count 6 in a group of 4 needs 6 "
                         "f32 elements (24 bytes)"});
  expectRejected(
      [](proto::Executable &e) {
        collective(e).set_kind(proto::ALL_GATHER);
        collective(e).set_count(3);
      },
      {"all_gather: input buffer 1 'x' has 48 bytes, but count 3 in a group of 4 needs 3"});
  expectRejected(
      [](proto::Executable &e) {
        collective(e).set_kind(proto::ALL_TO_ALL);
        collective(e).set_output(1);
      },
      {"all_to_all has the same buffer 1 as input and output; only all_reduce runs in place"});
  expectRejected([](proto::Executable &e) { collective(e).set_output(4); },
                 {step + " output is buffer 4 'p', the storage of PARAMETER 'p'"});
  expectRejected([](proto::Executable &e) { collective(e).set_output(0); },
                 {step + ": output buffer 0 'idx' is i64"});
  expectRejected(
      [](proto::Executable &e) {
        proto::SourceTarget *p = collective(e).add_pairs();
        p->set_source(0);
        p->set_target(1);
      },
      {step + " has source-target pairs; only a permute has them"});
}

TEST(ValidateCollectives, BadPermutePairs) {
  auto permute = [](std::vector<std::pair<uint32_t, uint32_t>> pairs) {
    return [pairs](proto::Executable &e) {
      collective(e).set_kind(proto::PERMUTE);
      for (auto [s, t] : pairs) {
        proto::SourceTarget *p = collective(e).add_pairs();
        p->set_source(s);
        p->set_target(t);
      }
    };
  };
  expectRejected(permute({{0, 1}, {3, 4}}),
                 {"step 0 'sum@m.cpp:9': permute: pair 1 (3 -> 4) names a rank outside the "
                  "group of 4"});
  expectRejected(permute({{0, 1}, {2, 1}}),
                 {"permute: pair 1 (2 -> 1) targets rank 1, which another pair targets too"});
  proto::Executable ok = meshExecutable();
  permute({{0, 1}, {1, 0}, {3, 3}})(ok);
  EXPECT_TRUE(Executable(ok).validate().isOk()) << Executable(ok).validate().toString();
}

TEST(ValidateCollectives, OldFormatIsRefused) {
  proto::Executable exe = meshExecutable();
  exe.set_format_version(3);
  Status st = Executable(exe).validate();
  EXPECT_NE(st.message().find("format_version 3 is not supported; this runtime reads version 4"),
            std::string::npos)
      << st.message();
}

} // namespace
