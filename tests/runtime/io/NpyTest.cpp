//===- NpyTest.cpp - tests of the .npy reader and writer --------------------===//
//
// This file implements the tests of writeNpy/readNpy: round trips of random
// tensors of every dtype, files written and read by NumPy itself, and corrupt
// or unsupported files, each checked for its Status code and message.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include "tests/runtime/io/IOTestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace weft::rt;
using namespace weft::rt::testing;

namespace {

/// A .npy file by hand: magic, version `major`.0, `dict` padded to 64 bytes, `data`.
std::string makeNpy(const std::string &dict, const std::string &data, int major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  size_t headerLen = total - prefix;
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += static_cast<char>((headerLen >> (8 * i)) & 0xff);
  out += dict;
  out.append(headerLen - dict.size() - 1, ' ');
  out += '\n';
  return out + data;
}

std::string floatBytes(const std::vector<float> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float));
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

TEST(IONpy, RoundTripEveryDtype) {
  TempDir dir;
  std::mt19937 rng(1234);
  for (DType dtype : {weft::proto::F32, weft::proto::F16, weft::proto::I32, weft::proto::I64,
                      weft::proto::I1}) {
    std::vector<std::vector<int64_t>> shapes = {{}, {0, 4}, {7}};
    for (int i = 0; i < 4; ++i)
      shapes.push_back(randomShape(rng));
    for (const auto &shape : shapes) {
      HostTensor t = randomTensor(dtype, shape, rng);
      std::string path = dir.file(std::string("t_") + dtypeName(dtype) + ".npy");
      Status st = writeNpy(path, t);
      ASSERT_TRUE(st.isOk()) << st.toString();
      std::string raw = readBytes(path);
      ASSERT_EQ((raw.size() - t.bytes.size()) % 64, 0u) << "data must start 64-byte aligned";
      EXPECT_EQ(raw.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
      auto back = readNpy(path);
      ASSERT_TRUE(back.isOk()) << back.status().toString();
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->bytes, t.bytes) << dtypeName(dtype) << " " << shapeString(shape);
    }
  }
}

TEST(IONpy, WriteRejectsBf16AndBadSizes) {
  TempDir dir;
  HostTensor bf16(weft::proto::BF16, {2, 2});
  Status st = writeNpy(dir.file("b.npy"), bf16);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("bf16"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("f32"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.npy")));

  HostTensor bad(weft::proto::F32, {2, 3});
  bad.bytes.resize(20);
  st = writeNpy(dir.file("bad.npy"), bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("needs 24 bytes but holds 20"), std::string::npos) << st.message();
}

TEST(IONpy, WriteIsAtomicAndReplaces) {
  TempDir dir;
  std::string path = dir.file("x.npy");
  HostTensor a(weft::proto::I32, {3});
  for (int i = 0; i < 3; ++i)
    a.data<int32_t>()[i] = i + 10;
  ASSERT_TRUE(writeNpy(path, a).isOk());
  HostTensor b(weft::proto::I64, {2});
  b.data<int64_t>()[0] = -5;
  b.data<int64_t>()[1] = int64_t(1) << 40;
  ASSERT_TRUE(writeNpy(path, b).isOk());
  auto back = readNpy(path);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  ASSERT_EQ(back->dtype, weft::proto::I64);
  EXPECT_EQ(back->data<int64_t>()[0], -5);
  EXPECT_EQ(back->data<int64_t>()[1], int64_t(1) << 40);
  // No temporary file is left next to it.
  int files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "x.npy");
  }
  EXPECT_EQ(files, 1);

  Status st = writeNpy(dir.file("no/such/dir/y.npy"), b);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("no/such/dir/y.npy"), std::string::npos) << st.message();
}

TEST(IONpy, MissingFile) {
  TempDir dir;
  expectError(readNpy(dir.file("absent.npy")), StatusCode::kNotFound, {"absent.npy"});
}

TEST(IONpy, ReadsFilesWrittenByNumpy) {
  std::string python = pythonWithNumpy();
  if (python.empty())
    GTEST_SKIP() << "no python3 with numpy";
  TempDir dir;
  std::string script = R"(
import sys, numpy as np
d = sys.argv[1]
np.save(d + '/f32.npy', (np.arange(24, dtype=np.float32) * 0.5 - 3).reshape(2, 3, 4))
np.save(d + '/f16.npy', np.array([0.5, -1.25, 65504.0, 0.0], dtype=np.float16))
np.save(d + '/i32.npy', np.array([[1, -2], [2147483647, -2147483648], [7, 0]], dtype=np.int32))
np.save(d + '/i64.npy', np.array([2**40, -7, 3], dtype=np.int64))
np.save(d + '/b1.npy', np.array([[True, False, False], [False, True, True]]))
np.save(d + '/scalar.npy', np.float32(3.5))
np.save(d + '/empty.npy', np.zeros((0, 4), dtype=np.float32))
np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
with open(d + '/v2.npy', 'wb') as f:
    np.lib.format.write_array(f, np.array([1.5, 2.5, -3.5], dtype=np.float32), version=(2, 0))
)";
  ASSERT_TRUE(runPython(python, dir, script, dir.path()));

  auto f32 = readNpy(dir.file("f32.npy"));
  ASSERT_TRUE(f32.isOk()) << f32.status().toString();
  EXPECT_EQ(f32->dtype, weft::proto::F32);
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 3, 4}));
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(f32->data<float>()[i], i * 0.5f - 3.f) << i;

  auto f16 = readNpy(dir.file("f16.npy"));
  ASSERT_TRUE(f16.isOk()) << f16.status().toString();
  EXPECT_EQ(f16->dtype, weft::proto::F16);
  EXPECT_EQ(f16->shape, (std::vector<int64_t>{4}));
  const uint16_t f16Bits[] = {0x3800, 0xbd00, 0x7bff, 0x0000};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(f16->data<uint16_t>()[i], f16Bits[i]) << i;

  auto i32 = readNpy(dir.file("i32.npy"));
  ASSERT_TRUE(i32.isOk()) << i32.status().toString();
  EXPECT_EQ(i32->shape, (std::vector<int64_t>{3, 2}));
  const int32_t i32Values[] = {1, -2, 2147483647, -2147483647 - 1, 7, 0};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(i32->data<int32_t>()[i], i32Values[i]) << i;

  auto i64 = readNpy(dir.file("i64.npy"));
  ASSERT_TRUE(i64.isOk()) << i64.status().toString();
  EXPECT_EQ(i64->dtype, weft::proto::I64);
  EXPECT_EQ(i64->data<int64_t>()[0], int64_t(1) << 40);
  EXPECT_EQ(i64->data<int64_t>()[1], -7);
  EXPECT_EQ(i64->data<int64_t>()[2], 3);

  auto b1 = readNpy(dir.file("b1.npy"));
  ASSERT_TRUE(b1.isOk()) << b1.status().toString();
  EXPECT_EQ(b1->dtype, weft::proto::I1);
  EXPECT_EQ(b1->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b1->bytes, (std::vector<uint8_t>{1, 0, 0, 0, 1, 1}));

  auto scalar = readNpy(dir.file("scalar.npy"));
  ASSERT_TRUE(scalar.isOk()) << scalar.status().toString();
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->data<float>()[0], 3.5f);

  auto empty = readNpy(dir.file("empty.npy"));
  ASSERT_TRUE(empty.isOk()) << empty.status().toString();
  EXPECT_EQ(empty->shape, (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(empty->bytes.empty());

  auto v2 = readNpy(dir.file("v2.npy"));
  ASSERT_TRUE(v2.isOk()) << v2.status().toString();
  EXPECT_EQ(v2->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(v2->data<float>()[2], -3.5f);

  expectError(readNpy(dir.file("fortran.npy")), StatusCode::kInvalidArgument,
              {"fortran.npy", "Fortran-order"});
}

TEST(IONpy, NumpyReadsFilesWeWrite) {
  std::string python = pythonWithNumpy();
  if (python.empty())
    GTEST_SKIP() << "no python3 with numpy";
  TempDir dir;
  HostTensor f32(weft::proto::F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    f32.data<float>()[i] = 0.25f * i - 1.f;
  HostTensor i64(weft::proto::I64, {2});
  i64.data<int64_t>()[0] = -(int64_t(1) << 50);
  i64.data<int64_t>()[1] = 9;
  HostTensor b1(weft::proto::I1, {3});
  b1.bytes = {0, 1, 1};
  ASSERT_TRUE(writeNpy(dir.file("f32.npy"), f32).isOk());
  ASSERT_TRUE(writeNpy(dir.file("i64.npy"), i64).isOk());
  ASSERT_TRUE(writeNpy(dir.file("b1.npy"), b1).isOk());
  std::string script = R"(
import sys, numpy as np
d = sys.argv[1]
a = np.load(d + '/f32.npy')
assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)
assert np.array_equal(a, (np.arange(6, dtype=np.float32) * 0.25 - 1).reshape(2, 3)), a
b = np.load(d + '/i64.npy')
assert b.dtype == np.int64 and b.tolist() == [-(2**50), 9], b
c = np.load(d + '/b1.npy')
assert c.dtype == np.bool_ and c.tolist() == [False, True, True], c
)";
  EXPECT_TRUE(runPython(python, dir, script, dir.path()));
}

TEST(IONpy, TruncatedFiles) {
  TempDir dir;
  std::string good = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                             floatBytes({1, 2, 3, 4}));
  std::string path = dir.file("t.npy");
  writeBytes(path, good.substr(0, good.size() - 3));
  expectError(readNpy(path), StatusCode::kDataLoss,
              {"t.npy", "truncated", "needs 16 data bytes but the file has 13"});
  writeBytes(path, good.substr(0, 30));
  expectError(readNpy(path), StatusCode::kDataLoss, {"t.npy", "header length 118"});
  writeBytes(path, good.substr(0, 9));
  expectError(readNpy(path), StatusCode::kDataLoss, {"t.npy", "truncated before the header length"});
  writeBytes(path, "");
  expectError(readNpy(path), StatusCode::kDataLoss, {"t.npy", "bad magic"});
  writeBytes(path, good + "xyz");
  expectError(readNpy(path), StatusCode::kDataLoss, {"t.npy", "3 unexpected bytes"});
}

TEST(IONpy, BadMagic) {
  TempDir dir;
  std::string bytes = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                              floatBytes({1}));
  bytes[1] = 'X';
  writeBytes(dir.file("m.npy"), bytes);
  expectError(readNpy(dir.file("m.npy")), StatusCode::kDataLoss, {"m.npy", "bad magic"});
}

TEST(IONpy, FortranOrderIsRejected) {
  TempDir dir;
  writeBytes(dir.file("f.npy"),
             makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                     floatBytes({1, 2, 3, 4})));
  expectError(readNpy(dir.file("f.npy")), StatusCode::kInvalidArgument,
              {"f.npy", "Fortran-order", "ascontiguousarray"});
}

TEST(IONpy, MalformedAndUnsupportedHeaders) {
  TempDir dir;
  std::string path = dir.file("h.npy");
  struct Case {
    std::string dict;
    std::string data;
    StatusCode code;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "", StatusCode::kDataLoss,
       "negative dimension"},
      {"{'descr': '<f4', 'shape': (1,), }", floatBytes({1}), StatusCode::kDataLoss,
       "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", floatBytes({1}),
       StatusCode::kDataLoss, "expected True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", floatBytes({1}),
       StatusCode::kDataLoss, "unexpected key 'extra'"},
      {"['descr', '<f4']", floatBytes({1}), StatusCode::kDataLoss, "expected '{'"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", floatBytes({1}),
       StatusCode::kInvalidArgument, "big-endian"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'),
       StatusCode::kInvalidArgument, "unsupported dtype '<f8'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", floatBytes({1}),
       StatusCode::kInvalidArgument, "structured dtypes"},
      {"{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\x01\x02\x00", 3),
       StatusCode::kDataLoss, "bool element 1 is 2"},
  };
  for (const Case &c : cases) {
    writeBytes(path, makeNpy(c.dict, c.data));
    expectError(readNpy(path), c.code, {"h.npy", c.expected});
  }
  std::string v3 = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                           floatBytes({1}), 2);
  v3[6] = 3;
  writeBytes(path, v3);
  expectError(readNpy(path), StatusCode::kInvalidArgument, {"h.npy", "format version 3.0"});
}

} // namespace
