//===- RuntimeTestUtil.h - building Executables by hand for tests -*- C++ -*-===//
//
// This file implements helpers shared by the runtime tests: adding buffers to
// a hand-built Executable, random tensors, a scratch directory removed at the
// end of a test, and compiling a C source into a shared object with the
// system's C compiler (so kernel tests run real machine code).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_RUNTIME_RUNTIMETESTUTIL_H
#define WEFT_TESTS_RUNTIME_RUNTIMETESTUTIL_H

#include "runtime/Executable.h"
#include "runtime/HostTensor.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace weft::rt::testing {

/// An empty, valid CPU executable (format version 1, 64-byte arena alignment).
inline proto::Executable emptyExecutable(const std::string &name = "test") {
  proto::Executable exe;
  exe.set_format_version(kFormatVersion);
  exe.set_target("cpu");
  exe.set_program_name(name);
  exe.set_arena_alignment(64);
  return exe;
}

/// Appends a buffer; arena buffers (not PARAMETER or STATE) go at the end of
/// the arena, 64-byte aligned, and grow arena_size. Returns the buffer id.
inline uint32_t addBuffer(proto::Executable &exe, const std::string &name, proto::BufferKind kind,
                          std::vector<int64_t> shape, proto::DType dtype = proto::F32) {
  proto::Buffer *b = exe.add_buffers();
  b->set_id(static_cast<uint32_t>(exe.buffers_size() - 1));
  b->set_name(name);
  b->set_kind(kind);
  b->set_dtype(dtype);
  for (int64_t d : shape)
    b->add_shape(d);
  b->set_byte_size(static_cast<uint64_t>(numElements(shape)) * dtypeSize(dtype));
  if (kind != proto::PARAMETER && kind != proto::STATE) {
    uint64_t offset = (exe.arena_size() + 63) / 64 * 64;
    b->set_arena_offset(offset);
    exe.set_arena_size(offset + b->byte_size());
  }
  return b->id();
}

/// Gives every kernel of `exe` that has none the argument specs (dtype, byte
/// size) of the buffers its first call passes, as the code generator does.
inline void describeKernelArgs(proto::Executable &exe) {
  for (const proto::Step &s : exe.steps()) {
    if (!s.has_kernel_call() || s.kernel_call().kernel() >= uint32_t(exe.kernels_size()))
      continue;
    proto::Kernel *k = exe.mutable_kernels(int(s.kernel_call().kernel()));
    if (k->args_size() > 0)
      continue;
    for (uint32_t a : s.kernel_call().args()) {
      proto::KernelArg *spec = k->add_args();
      spec->set_dtype(exe.buffers(int(a)).dtype());
      spec->set_byte_size(exe.buffers(int(a)).byte_size());
    }
  }
}

/// An f32 tensor of `shape` with uniform values in [-1, 1) from `seed`.
inline HostTensor randomTensor(std::vector<int64_t> shape, unsigned seed) {
  HostTensor t(proto::F32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = dist(rng);
  return t;
}

/// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-rt-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = mkdtemp(buf.data()) ? buf.data() : "";
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto &e : std::filesystem::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  std::string path_;
};

inline std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// True when a C compiler `cc` is on PATH.
inline bool haveCCompiler() { return std::system("command -v cc >/dev/null 2>&1") == 0; }

/// Compiles C `source` with `cc -shared -fPIC -O2 <flags>` in `dir`; the
/// .so's bytes, or nullopt when compilation failed.
inline std::optional<std::string> compileSharedObject(const ScratchDir &dir,
                                                      const std::string &source,
                                                      const std::string &flags = "") {
  writeBytes(dir.file("kernels.c"), source);
  std::string cmd = "cc -shared -fPIC -O2 " + flags + " -o '" + dir.file("kernels.so") + "' '" +
                    dir.file("kernels.c") + "' 2>'" + dir.file("cc.log") + "'";
  if (std::system(cmd.c_str()) != 0)
    return std::nullopt;
  return readBytes(dir.file("kernels.so"));
}

} // namespace weft::rt::testing

#endif // WEFT_TESTS_RUNTIME_RUNTIMETESTUTIL_H
