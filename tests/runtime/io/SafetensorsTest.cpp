//===- SafetensorsTest.cpp - tests of the safetensors reader and writer -----===//
//
// This file implements the tests of SafetensorsFile and writeSafetensors: a
// round trip of every dtype with metadata, a file written by hand in Python
// (json + struct) with BF16 and I64 tensors, and bad files (truncated header,
// offsets out of range, size mismatches, unknown dtypes, invalid JSON,
// overlaps, missing names), each checked for its Status code and message.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"

#include "tests/runtime/io/IOTestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace weft::rt;
using namespace weft::rt::testing;

namespace {

/// A safetensors file by hand: the header length (or `lengthOverride`), `header`, `data`.
std::string makeSafetensors(const std::string &header, const std::string &data,
                            int64_t lengthOverride = -1) {
  uint64_t len = lengthOverride >= 0 ? uint64_t(lengthOverride) : header.size();
  std::string out;
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

/// Expects `result` to have failed with `code` and a message holding every one of `parts`.
template <typename T>
void expectError(const StatusOr<T> &result, StatusCode code, const std::vector<std::string> &parts) {
  ASSERT_FALSE(result.isOk()) << "expected an error containing '" << parts.front() << "'";
  EXPECT_EQ(result.status().code(), code) << result.status().message();
  for (const std::string &part : parts)
    EXPECT_NE(result.status().message().find(part), std::string::npos)
        << "message '" << result.status().message() << "' lacks '" << part << "'";
}

uint64_t readLength(const std::string &raw) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(uint8_t(raw[i])) << (8 * i);
  return n;
}

TEST(IOSafetensors, RoundTripWithMetadata) {
  TempDir dir;
  std::mt19937 rng(42);
  std::vector<std::pair<std::string, HostTensor>> tensors = {
      {"z.weight", randomTensor(weft::proto::F32, {3, 5}, rng)},
      {"a.half", randomTensor(weft::proto::F16, {7}, rng)},
      {"m.bf16", randomTensor(weft::proto::BF16, {2, 3, 2}, rng)},
      {"ids32", randomTensor(weft::proto::I32, {4, 1}, rng)},
      {"ids64", randomTensor(weft::proto::I64, {3}, rng)},
      {"mask", randomTensor(weft::proto::I1, {5}, rng)},
      {"scalar", randomTensor(weft::proto::F32, {}, rng)},
      {"empty", randomTensor(weft::proto::F32, {0, 3}, rng)},
  };
  for (int i = 0; i < 4; ++i)
    tensors.push_back({"rand" + std::to_string(i), randomTensor(weft::proto::F32, randomShape(rng), rng)});
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "gr\xc3\xbc\xc3\x9f"}};
  std::string path = dir.file("m.safetensors");
  Status st = writeSafetensors(path, tensors, metadata);
  ASSERT_TRUE(st.isOk()) << st.toString();

  std::string raw = readBytes(path);
  uint64_t headerLen = readLength(raw);
  EXPECT_EQ(headerLen % 8, 0u);
  std::string header = raw.substr(8, headerLen);
  EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}')) << "padding must be spaces";
  uint64_t dataBytes = 0;
  for (const auto &t : tensors)
    dataBytes += t.second.bytes.size();
  EXPECT_EQ(raw.size(), 8 + headerLen + dataBytes);

  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  EXPECT_EQ(file->metadata(), metadata);
  // Zero-size tensors share their offset with the next one, so compare as a set
  // plus the order of the non-empty ones.
  std::vector<std::string> names = file->names();
  ASSERT_EQ(names.size(), tensors.size());
  std::vector<std::string> nonEmptyExpected, nonEmptyGot;
  for (const auto &t : tensors)
    if (!t.second.bytes.empty())
      nonEmptyExpected.push_back(t.first);
  for (const std::string &n : names)
    if (file->info(n)->dataEnd != file->info(n)->dataBegin)
      nonEmptyGot.push_back(n);
  EXPECT_EQ(nonEmptyGot, nonEmptyExpected);

  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    EXPECT_TRUE(file->contains(name));
    auto info = file->info(name);
    ASSERT_TRUE(info.isOk()) << info.status().toString();
    EXPECT_EQ(info->dtype, tensor.dtype) << name;
    EXPECT_EQ(info->shape, tensor.shape) << name;
    EXPECT_EQ(info->dataBegin, offset) << name;
    EXPECT_EQ(info->dataEnd, offset + tensor.bytes.size()) << name;
    offset += tensor.bytes.size();
    auto back = file->read(name);
    ASSERT_TRUE(back.isOk()) << back.status().toString();
    EXPECT_EQ(back->dtype, tensor.dtype) << name;
    EXPECT_EQ(back->shape, tensor.shape) << name;
    EXPECT_EQ(back->bytes, tensor.bytes) << name;
  }
  EXPECT_FALSE(file->contains("__metadata__"));

  // A copy shares the mapping and outlives the original.
  SafetensorsFile copy = file.value();
  file = SafetensorsFile::open(path);
  auto again = copy.read("z.weight");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->bytes, tensors[0].second.bytes);
}

TEST(IOSafetensors, NoTensorsAndNoMetadata) {
  TempDir dir;
  std::string path = dir.file("e.safetensors");
  ASSERT_TRUE(writeSafetensors(path, {}).isOk());
  EXPECT_EQ(readBytes(path), makeSafetensors("{}      ", ""));
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  EXPECT_TRUE(file->names().empty());
  EXPECT_TRUE(file->metadata().empty());
  expectError(file->read("x"), StatusCode::kNotFound, {"'x'", "e.safetensors", "no tensors"});
}

TEST(IOSafetensors, WriteRejectsBadTensors) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  HostTensor t(weft::proto::F32, {2});
  HostTensor bad(weft::proto::I64, {2, 2});
  bad.bytes.resize(31);
  struct Case {
    std::vector<std::pair<std::string, HostTensor>> tensors;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{{"a", t}, {"a", t}}, "'a' appears twice"},
      {{{"", t}}, "empty name"},
      {{{"__metadata__", t}}, "reserved"},
      {{{"b", bad}}, "tensor 'b' of shape [2, 2] and dtype I64 needs 32 bytes but holds 31"},
      {{{std::string("bad\xff", 4), t}}, "not valid UTF-8"},
  };
  for (const Case &c : cases) {
    Status st = writeSafetensors(path, c.tensors);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.toString();
    EXPECT_NE(st.message().find(c.expected), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("w.safetensors"), std::string::npos) << st.message();
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

TEST(IOSafetensors, ReadsFileWrittenByPython) {
  std::string python = anyPython();
  if (python.empty())
    GTEST_SKIP() << "no python3";
  TempDir dir;
  // Written with json + struct only, the way the format is specified; the
  // header is not padded and the tensors are not in alphabetical order.
  std::string script = R"(
import json, struct, sys
entries = [
    ('ids', 'I64', [3], struct.pack('<3q', 2**40, -1, 5)),
    ('wte.weight', 'F32', [2, 3], struct.pack('<6f', 0.5, -1.0, 2.25, 3.0, -4.5, 100.0)),
    ('emb.bf16', 'BF16', [2, 2], struct.pack('<4H', 0x3F80, 0xC000, 0x3F00, 0x4040)),
    ('mask', 'BOOL', [3], bytes([1, 0, 1])),
]
header, data = {'__metadata__': {'format': 'pt', 'source': 'python'}}, b''
for name, dtype, shape, raw in entries:
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header).encode()
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + data)
)";
  std::string path = dir.file("py.safetensors");
  ASSERT_TRUE(runPython(python, dir, script, path));
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  EXPECT_EQ(file->names(), (std::vector<std::string>{"ids", "wte.weight", "emb.bf16", "mask"}));
  EXPECT_EQ(file->metadata(),
            (std::map<std::string, std::string>{{"format", "pt"}, {"source", "python"}}));

  auto ids = file->read("ids");
  ASSERT_TRUE(ids.isOk()) << ids.status().toString();
  EXPECT_EQ(ids->dtype, weft::proto::I64);
  EXPECT_EQ(ids->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(ids->data<int64_t>()[0], int64_t(1) << 40);
  EXPECT_EQ(ids->data<int64_t>()[1], -1);
  EXPECT_EQ(ids->data<int64_t>()[2], 5);

  auto w = file->read("wte.weight");
  ASSERT_TRUE(w.isOk()) << w.status().toString();
  EXPECT_EQ(w->dtype, weft::proto::F32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  const float expected[] = {0.5f, -1.f, 2.25f, 3.f, -4.5f, 100.f};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(w->data<float>()[i], expected[i]) << i;

  auto bf = file->read("emb.bf16");
  ASSERT_TRUE(bf.isOk()) << bf.status().toString();
  EXPECT_EQ(bf->dtype, weft::proto::BF16);
  EXPECT_EQ(bf->shape, (std::vector<int64_t>{2, 2}));
  // bf16 is the top half of an f32: 1.0, -2.0, 0.5, 3.0.
  const float bfValues[] = {1.f, -2.f, 0.5f, 3.f};
  for (int i = 0; i < 4; ++i) {
    uint32_t bits = uint32_t(bf->data<uint16_t>()[i]) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    EXPECT_EQ(v, bfValues[i]) << i;
  }

  auto mask = file->read("mask");
  ASSERT_TRUE(mask.isOk()) << mask.status().toString();
  EXPECT_EQ(mask->dtype, weft::proto::I1);
  EXPECT_EQ(mask->bytes, (std::vector<uint8_t>{1, 0, 1}));

  auto info = file->info("emb.bf16");
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->dataBegin, 48u);
  EXPECT_EQ(info->dataEnd, 56u);
}

TEST(IOSafetensors, BadFiles) {
  TempDir dir;
  std::string path = dir.file("bad.safetensors");
  std::string f16bytes(16, '\x01');
  struct Case {
    std::string bytes;
    StatusCode code;
    std::vector<std::string> expected;
  };
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  std::vector<Case> cases = {
      {makeSafetensors(ok, f16bytes, 1000), StatusCode::kDataLoss,
       {"header length 1000 exceeds the file size"}},
      {std::string("\x05\x00\x00", 3), StatusCode::kDataLoss, {"3 bytes, too short"}},
      {makeSafetensors(ok, f16bytes.substr(0, 12)), StatusCode::kDataLoss,
       {"tensor 'w'", "data_offsets [0, 16] lie outside the data section of 12 bytes"}},
      {makeSafetensors(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", f16bytes),
       StatusCode::kDataLoss,
       {"tensor 'w'", "span 12 bytes but dtype F32 and shape [2, 2] need 16"}},
      {makeSafetensors(R"({"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}})", f16bytes),
       StatusCode::kDataLoss, {"tensor 'w'", "span 16 bytes but dtype F16 and shape [2, 2] need 8"}},
      {makeSafetensors(R"({"w":{"dtype":"F33","shape":[2,2],"data_offsets":[0,16]}})", f16bytes),
       StatusCode::kInvalidArgument, {"tensor 'w'", "unsupported dtype 'F33'"}},
      {makeSafetensors(R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", f16bytes),
       StatusCode::kInvalidArgument, {"tensor 'w'", "unsupported dtype 'F64'"}},
      {makeSafetensors(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})", f16bytes),
       StatusCode::kDataLoss, {"header is not valid JSON"}},
      {makeSafetensors(R"([1, 2])", f16bytes), StatusCode::kDataLoss, {"not a JSON object"}},
      {makeSafetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}})",
                       f16bytes),
       StatusCode::kDataLoss, {"tensor 'b' at [4, 12] overlaps tensor 'a' at [0, 8]"}},
      {makeSafetensors(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                       R"("b":{"dtype":"BOOL","shape":[],"data_offsets":[15,16]}})",
                       f16bytes),
       StatusCode::kDataLoss, {"tensor 'b' at [15, 16] overlaps tensor 'a' at [0, 16]"}},
      {makeSafetensors(R"({"w":{"dtype":"F32","shape":[-2,2],"data_offsets":[0,16]}})", f16bytes),
       StatusCode::kDataLoss, {"tensor 'w'", "non-negative integers"}},
      {makeSafetensors(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,0]}})", f16bytes),
       StatusCode::kDataLoss, {"tensor 'w'", "end before they begin"}},
      {makeSafetensors(R"({"w":{"dtype":"F32","shape":[2,2]}})", f16bytes), StatusCode::kDataLoss,
       {"tensor 'w'", "\"data_offsets\" must be a list"}},
      {makeSafetensors(R"({"w":{"shape":[2,2],"data_offsets":[0,16]}})", f16bytes),
       StatusCode::kDataLoss, {"tensor 'w'", "missing string field \"dtype\""}},
      {makeSafetensors(R"({"w":[1]})", f16bytes), StatusCode::kDataLoss,
       {"tensor 'w'", "not a JSON object"}},
      {makeSafetensors(R"({"__metadata__":{"k":1}})", ""), StatusCode::kDataLoss,
       {"__metadata__", "key 'k'"}},
  };
  for (const Case &c : cases) {
    writeBytes(path, c.bytes);
    auto file = SafetensorsFile::open(path);
    std::vector<std::string> expected = c.expected;
    expected.push_back("bad.safetensors");
    expectError(file, c.code, expected);
  }
}

TEST(IOSafetensors, TrailingBytesAfterTheLastTensorAreRefused) {
  TempDir dir;
  std::string path = dir.file("trailing.safetensors");
  const std::string header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  writeBytes(path, makeSafetensors(header, std::string(16, '\x01') + "junk"));
  expectError(SafetensorsFile::open(path), StatusCode::kDataLoss,
              {"trailing.safetensors", "the tensors cover 16 bytes", "holds 20",
               "trailing bytes, or a wrong header length"});
}

TEST(IOSafetensors, HeaderLengthOneByteShortIsRefused) {
  TempDir dir;
  std::string path = dir.file("short.safetensors");
  // Padded like a real writer's header: one byte shorter still parses as JSON.
  const std::string header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}   )";
  writeBytes(path, makeSafetensors(header, std::string(16, '\x01'), int64_t(header.size()) - 1));
  expectError(SafetensorsFile::open(path), StatusCode::kDataLoss,
              {"short.safetensors", "the tensors cover 16 bytes", "holds 17"});
}

TEST(IOSafetensors, GapBetweenTensorsIsRefused) {
  TempDir dir;
  std::string path = dir.file("gap.safetensors");
  writeBytes(path, makeSafetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("b":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}})",
                                   std::string(20, '\0')));
  expectError(SafetensorsFile::open(path), StatusCode::kDataLoss,
              {"gap.safetensors", "a gap of 4 bytes at offset 8, before tensor 'b'"});
}

TEST(IOSafetensors, MissingFileAndMissingTensor) {
  TempDir dir;
  expectError(SafetensorsFile::open(dir.file("absent.safetensors")), StatusCode::kNotFound,
              {"absent.safetensors"});
  std::string path = dir.file("f.safetensors");
  HostTensor t(weft::proto::F32, {2});
  ASSERT_TRUE(writeSafetensors(path, {{"h.0.attn.c_attn.weight", t}, {"wte.weight", t}}).isOk());
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  EXPECT_FALSE(file->contains("transformer.wte.weight"));
  expectError(file->read("transformer.wte.weight"), StatusCode::kNotFound,
              {"no tensor named 'transformer.wte.weight'", "f.safetensors", "'wte.weight'"});
  expectError(file->info("nope"), StatusCode::kNotFound, {"'nope'", "f.safetensors"});
}

TEST(IOSafetensors, BoolBytesMustBeZeroOrOne) {
  TempDir dir;
  std::string path = dir.file("b.safetensors");
  writeBytes(path, makeSafetensors(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                                   std::string("\x01\x00\x07", 3)));
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  expectError(file->read("m"), StatusCode::kDataLoss, {"tensor 'm'", "element 2 is 7"});
}

} // namespace
