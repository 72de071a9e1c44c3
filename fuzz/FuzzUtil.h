//===- FuzzUtil.h - helpers shared by the fuzz harnesses --------*- C++ -*-===//
//
// This file implements what several harnesses of fuzz/ need: framing an input
// as an Executable or checkpoint file image (so that mutations reach the
// protobuf parser and the validation behind the payload checksum), and a
// scratch file for the readers that take a path.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FUZZ_FUZZUTIL_H
#define WEFT_FUZZ_FUZZUTIL_H

#include "runtime/Executable.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

namespace weft::fuzz {

/// The file image of an input to a framed loader (Executable, checkpoint).
/// An input that starts with 'W' (the first byte of both magics) is taken as
/// the whole file, header included; any other input is taken as the payload
/// and framed here with `magic`, framing version 1, its length and its
/// FNV-1a-64 checksum. No payload is lost to the raw case: 'W' (0x57) is a
/// protobuf tag of wire type 7, which never parses.
inline std::string fileImage(std::string_view input, const char (&magic)[8]) {
  if (!input.empty() && input[0] == 'W')
    return std::string(input);
  std::string out(magic, 8);
  auto put = [&](uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
      out.push_back(char((value >> (8 * i)) & 0xff));
  };
  put(1, 4); // framing version
  put(0, 4); // reserved
  put(input.size(), 8);
  put(rt::fnv1a64(input), 8);
  out.append(input);
  return out;
}

/// Reports a broken invariant as a crash, which the fuzzer records.
[[noreturn]] inline void fail(const char *harness, const std::string &what) {
  std::fprintf(stderr, "%s: invariant broken: %s\n", harness, what.c_str());
  std::abort();
}

/// A file that each input is written to, for readers that take a path:
/// /dev/shm/weft-fuzz-<name>-<pid><suffix> (the temporary directory when
/// /dev/shm is missing), removed when the process exits normally.
class ScratchFile {
public:
  ScratchFile(const char *name, const char *suffix) {
    std::error_code ec;
    std::filesystem::path dir = "/dev/shm";
    if (!std::filesystem::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
      dir = std::filesystem::temp_directory_path();
    path_ = (dir / ("weft-fuzz-" + std::string(name) + "-" + std::to_string(::getpid()) +
                    suffix)).string();
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile &) = delete;
  ScratchFile &operator=(const ScratchFile &) = delete;

  /// Replaces the file's contents with `size` bytes at `data`.
  const std::string &write(const uint8_t *data, size_t size) {
    std::FILE *f = std::fopen(path_.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0)
      fail("ScratchFile", "cannot write " + path_);
    return path_;
  }

private:
  std::string path_;
};

} // namespace weft::fuzz

#endif // WEFT_FUZZ_FUZZUTIL_H
