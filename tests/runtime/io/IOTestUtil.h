//===- IOTestUtil.h - helpers for the tensor I/O tests -----------*- C++ -*-===//
//
// This file implements what the .npy and safetensors tests share: a fresh
// temporary directory per test, writing raw bytes to a file, random tensors of
// every dtype, and finding a Python interpreter (with NumPy when asked) so the
// tests can check files against what Python writes and reads.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_IO_IOTESTUTIL_H
#define WEFT_TESTS_IO_IOTESTUTIL_H

#include "runtime/HostTensor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace weft::rt::testing {

/// A directory under /tmp that exists for the life of the object.
class TempDir {
public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-io-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char *made = ::mkdtemp(buf.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = made ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// `name` inside the directory.
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  /// The directory itself.
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// Writes `bytes` to `path`, replacing it.
inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// Reads all of `path`.
inline std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A tensor of `dtype` and `shape` with random contents (bools are 0 or 1,
/// floats are finite normal samples; f16/bf16 are random finite bit patterns).
inline HostTensor randomTensor(DType dtype, std::vector<int64_t> shape, std::mt19937 &rng) {
  HostTensor t(dtype, std::move(shape));
  int64_t n = t.numElements();
  std::normal_distribution<float> normal(0.f, 3.f);
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case weft::proto::F32: t.data<float>()[i] = normal(rng); break;
    case weft::proto::F16:
    case weft::proto::BF16: {
      uint16_t bits = static_cast<uint16_t>(rng());
      // Keep the exponent below all-ones so that every value is finite.
      uint16_t expMask = dtype == weft::proto::F16 ? 0x7c00 : 0x7f80;
      if ((bits & expMask) == expMask)
        bits &= static_cast<uint16_t>(~0x4000);
      t.data<uint16_t>()[i] = bits;
      break;
    }
    case weft::proto::I32: t.data<int32_t>()[i] = static_cast<int32_t>(rng()); break;
    case weft::proto::I64:
      t.data<int64_t>()[i] = static_cast<int64_t>((uint64_t(rng()) << 32) | rng());
      break;
    case weft::proto::I1: t.data<uint8_t>()[i] = rng() & 1; break;
    default: ADD_FAILURE() << "randomTensor: unexpected dtype"; break;
    }
  }
  return t;
}

/// A random shape of rank 0..4 with dimensions 1..6.
inline std::vector<int64_t> randomShape(std::mt19937 &rng) {
  std::vector<int64_t> shape(rng() % 5);
  for (int64_t &d : shape)
    d = 1 + rng() % 6;
  return shape;
}

/// Runs `command` through the shell; true when it exits with status 0.
inline bool runCommand(const std::string &command) { return std::system(command.c_str()) == 0; }

/// A Python 3 interpreter that can `import numpy` ("" when none): Debian's
/// /usr/bin/python3 first (the one that has numpy here), then python3 on PATH.
inline std::string pythonWithNumpy() {
  for (const char *python : {"/usr/bin/python3", "python3"})
    if (runCommand(std::string(python) + " -c 'import numpy' >/dev/null 2>&1"))
      return python;
  return "";
}

/// Any Python 3 interpreter ("" when none).
inline std::string anyPython() {
  for (const char *python : {"python3", "/usr/bin/python3"})
    if (runCommand(std::string(python) + " -c 'import json, struct' >/dev/null 2>&1"))
      return python;
  return "";
}

/// Writes `script` to a file in `dir` and runs it with `python`, passing `args`.
inline bool runPython(const std::string &python, const TempDir &dir, const std::string &script,
                      const std::string &args = "") {
  std::string scriptPath = dir.file("script.py");
  std::ofstream(scriptPath) << script;
  return runCommand(python + " " + scriptPath + " " + args);
}

} // namespace weft::rt::testing

#endif // WEFT_TESTS_IO_IOTESTUTIL_H
