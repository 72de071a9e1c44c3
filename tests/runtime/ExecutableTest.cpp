//===- ExecutableTest.cpp - Executable framing, save and load -------------===//
//
// This file implements tests of the Executable's on-disk form: a save/load
// round trip keeps every byte and field, saving is atomic and leaves no
// temporary files, and each kind of damaged file (empty, missing, truncated,
// wrong magic, flipped payload byte, newer versions, garbage payload, trailing
// bytes) gets its own Status code and a message naming the file and cause.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/Executable.h"

#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

/// A small but complete executable: a parameter, an input, a constant, a
/// temporary alias, a gemm step and an output.
proto::Executable sampleExecutable() {
  proto::Executable exe = emptyExecutable("sample");
  exe.set_compiler_fingerprint("fp-1234");
  uint32_t w = addBuffer(exe, "w", proto::PARAMETER, {4, 3});
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {2, 4});
  uint32_t c = addBuffer(exe, "bias", proto::CONSTANT, {2, 3});
  std::string data(24, '\0');
  for (int i = 0; i < 24; ++i)
    data[i] = static_cast<char>(i * 7);
  exe.mutable_buffers(c)->set_data(data);
  uint32_t y = addBuffer(exe, "y", proto::OUTPUT, {2, 3});
  uint32_t flat = addBuffer(exe, "y_flat", proto::OUTPUT, {6});
  exe.mutable_buffers(flat)->set_alias_of(y);
  exe.mutable_buffers(flat)->set_arena_offset(0);
  proto::Step *step = exe.add_steps();
  step->set_label("matmul at model.cpp:12");
  proto::Gemm *g = step->mutable_gemm();
  g->set_a(x);
  g->set_b(w);
  g->set_c(y);
  g->set_batch(1);
  g->set_m(2);
  g->set_n(3);
  g->set_k(4);
  g->set_alpha(1.0f);
  g->set_dtype(proto::F32);
  exe.add_outputs(y);
  exe.add_outputs(flat);
  return exe;
}

/// Loads `bytes` written to a file and returns the status.
Status loadBytes(const ScratchDir &dir, const std::string &bytes, std::string &path) {
  path = dir.file("damaged.wexe");
  writeBytes(path, bytes);
  return Executable::load(path).status();
}

TEST(RuntimeExecutable, Fnv1aMatchesReferenceValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(RuntimeExecutable, HeaderLayout) {
  std::string bytes = Executable(sampleExecutable()).toBytes();
  ASSERT_GT(bytes.size(), kFrameHeaderSize);
  EXPECT_EQ(bytes.substr(0, 8), std::string("WEFTEXE\0", 8));
  EXPECT_EQ(static_cast<uint8_t>(bytes[8]), kFramingVersion);
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= uint64_t(static_cast<uint8_t>(bytes[16 + i])) << (8 * i);
  EXPECT_EQ(length, bytes.size() - kFrameHeaderSize);
}

TEST(RuntimeExecutable, SaveLoadRoundTrip) {
  ScratchDir dir;
  Executable original(sampleExecutable());
  ASSERT_TRUE(original.validate().isOk()) << original.validate().toString();
  std::string path = dir.file("prog.wexe");
  ASSERT_TRUE(original.save(path).isOk());
  EXPECT_EQ(readBytes(path), original.toBytes());

  StatusOr<Executable> loaded = Executable::load(path);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->source(), path);
  EXPECT_EQ(loaded->toBytes(), original.toBytes());
  const proto::Executable &p = loaded->proto();
  EXPECT_EQ(p.format_version(), kFormatVersion);
  EXPECT_EQ(p.program_name(), "sample");
  EXPECT_EQ(p.compiler_fingerprint(), "fp-1234");
  EXPECT_EQ(p.arena_size(), original.proto().arena_size());
  ASSERT_EQ(p.buffers_size(), 5);
  EXPECT_EQ(p.buffers(2).data(), original.proto().buffers(2).data());
  EXPECT_TRUE(p.buffers(4).has_alias_of());
  EXPECT_EQ(p.buffers(4).alias_of(), 3u);
  EXPECT_FALSE(p.buffers(3).has_alias_of());
  ASSERT_EQ(p.steps_size(), 1);
  EXPECT_EQ(p.steps(0).label(), "matmul at model.cpp:12");
  EXPECT_EQ(p.steps(0).gemm().k(), 4u);
  EXPECT_FLOAT_EQ(p.steps(0).gemm().alpha(), 1.0f);
  EXPECT_EQ(p.outputs_size(), 2);
}

TEST(RuntimeExecutable, SaveIsAtomicAndLeavesNoTemporaryFiles) {
  ScratchDir dir;
  std::string path = dir.file("prog.wexe");
  proto::Executable first = sampleExecutable();
  ASSERT_TRUE(Executable(first).save(path).isOk());
  proto::Executable second = sampleExecutable();
  second.set_program_name("second version");
  ASSERT_TRUE(Executable(second).save(path).isOk());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"prog.wexe"});
  StatusOr<Executable> loaded = Executable::load(path);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->proto().program_name(), "second version");
}

TEST(RuntimeExecutable, SaveIntoMissingDirectoryFails) {
  ScratchDir dir;
  std::string path = dir.file("no/such/dir/prog.wexe");
  Status st = Executable(sampleExecutable()).save(path);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});
}

TEST(RuntimeExecutable, MissingFileIsNotFound) {
  ScratchDir dir;
  std::string path = dir.file("absent.wexe");
  Status st = Executable::load(path).status();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("no such file"), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, EmptyFileIsDataLoss) {
  ScratchDir dir;
  std::string path;
  Status st = loadBytes(dir, "", path);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("empty"), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, TruncatedFileIsDataLoss) {
  ScratchDir dir;
  std::string full = Executable(sampleExecutable()).toBytes();
  for (size_t length : {size_t(3), size_t(8), size_t(20), kFrameHeaderSize - 1, kFrameHeaderSize,
                        kFrameHeaderSize + 1, full.size() / 2, full.size() - 1}) {
    std::string path;
    Status st = loadBytes(dir, full.substr(0, length), path);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << "length " << length << ": " << st.toString();
    EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  }
}

TEST(RuntimeExecutable, FlippedPayloadByteIsChecksumMismatch) {
  ScratchDir dir;
  std::string full = Executable(sampleExecutable()).toBytes();
  for (size_t at : {kFrameHeaderSize, kFrameHeaderSize + 10, full.size() - 1}) {
    std::string bytes = full;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
    std::string path;
    Status st = loadBytes(dir, bytes, path);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << "offset " << at;
    EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  }
}

TEST(RuntimeExecutable, WrongMagicIsRejected) {
  ScratchDir dir;
  std::string bytes = Executable(sampleExecutable()).toBytes();
  bytes[0] = 'X';
  std::string path;
  Status st = loadBytes(dir, bytes, path);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("wrong magic"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  // A short text file is a wrong magic too, not a truncation.
  st = loadBytes(dir, "hello", path);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("wrong magic"), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, NewerFramingVersionIsRejected) {
  ScratchDir dir;
  std::string bytes = Executable(sampleExecutable()).toBytes();
  bytes[8] = static_cast<char>(kFramingVersion + 1);
  std::string path;
  Status st = loadBytes(dir, bytes, path);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("framing version 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("newer"), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, NewerFormatVersionIsRejected) {
  ScratchDir dir;
  proto::Executable exe = sampleExecutable();
  exe.set_format_version(kFormatVersion + 1);
  std::string path = dir.file("future.wexe");
  ASSERT_TRUE(Executable(exe).save(path).isOk());
  Status st = Executable::load(path).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("format_version " + std::to_string(kFormatVersion + 1)), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("newer"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, UnparseablePayloadIsDataLoss) {
  ScratchDir dir;
  // A correctly framed payload that is not a protobuf message (field 0, bad wire type).
  std::string payload("\x07\xff\xff\xff\xff\xff", 6);
  Executable empty(emptyExecutable());
  std::string bytes = empty.toBytes().substr(0, 16);
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
  uint64_t sum = fnv1a64(payload);
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  bytes += payload;
  std::string path;
  Status st = loadBytes(dir, bytes, path);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("not a valid weft.proto.Executable"), std::string::npos)
      << st.message();
}

TEST(RuntimeExecutable, TrailingBytesAreDataLoss) {
  ScratchDir dir;
  std::string bytes = Executable(sampleExecutable()).toBytes() + "junk";
  std::string path;
  Status st = loadBytes(dir, bytes, path);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("4 unexpected bytes"), std::string::npos) << st.message();
}

TEST(RuntimeExecutable, StatusPrintsCodeName) {
  EXPECT_EQ(Status().toString(), "OK");
  EXPECT_EQ(dataLoss("x").toString(), "DATA_LOSS: x");
  EXPECT_STREQ(statusCodeName(StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
}

TEST(RuntimeExecutable, DtypeAndShapeHelpers) {
  EXPECT_EQ(dtypeSize(proto::F32), 4u);
  EXPECT_EQ(dtypeSize(proto::BF16), 2u);
  EXPECT_EQ(dtypeSize(proto::I64), 8u);
  EXPECT_EQ(dtypeSize(proto::I1), 1u);
  EXPECT_EQ(dtypeSize(proto::DTYPE_INVALID), 0u);
  EXPECT_STREQ(dtypeName(proto::F16), "f16");
  EXPECT_EQ(shapeString({2, 3}), "[2, 3]");
  EXPECT_EQ(shapeString({}), "[]");
  EXPECT_EQ(numElements({2, 3, 4}), 24);
  EXPECT_EQ(numElements({}), 1);
}

} // namespace
