//===- ReplayMain.cpp - runs a fuzz harness over files ---------------------===//
//
// This file implements the main() that the normal build links with each
// harness of fuzz/ (weft-fuzz-replay-<name>): it runs LLVMFuzzerTestOneInput
// once on every file named on the command line and every regular file under
// the directories named there (in sorted order), without mutating anything,
// and prints how many inputs it ran and the slowest one. ctest runs it over
// the seed corpus; it also replays a crash reproducer without libFuzzer.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

/// The regular files at `arg`: itself, or those under it when it is a directory.
std::vector<std::filesystem::path> filesAt(const std::filesystem::path &arg) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg)) {
    for (const auto &entry : std::filesystem::recursive_directory_iterator(arg))
      if (entry.is_regular_file())
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  } else if (std::filesystem::is_regular_file(arg)) {
    files.push_back(arg);
  }
  return files;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  size_t ran = 0;
  double slowest = 0;
  std::string slowestName;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files = filesAt(argv[i]);
    if (files.empty()) {
      std::fprintf(stderr, "%s: no input files at '%s'\n", argv[0], argv[i]);
      return 1;
    }
    for (const auto &path : files) {
      std::ifstream in(path, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "%s: cannot read '%s'\n", argv[0], path.c_str());
        return 1;
      }
      // An exact-size copy, so that AddressSanitizer sees a read past its end.
      std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
      std::copy(bytes.begin(), bytes.end(), data.get());
      std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
      auto start = std::chrono::steady_clock::now();
      LLVMFuzzerTestOneInput(data.get(), bytes.size());
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (seconds >= slowest) {
        slowest = seconds;
        slowestName = path.string();
      }
      ++ran;
    }
  }
  std::printf("ran %zu inputs; slowest %.1f ms (%s)\n", ran, slowest * 1e3, slowestName.c_str());
  return 0;
}
