//===- FifoWriter.h - a FIFO whose reader cannot wait forever ---*- C++ -*-===//
//
// This file implements a test helper for "reading a FIFO must not hang":
// it creates a named pipe and, until stopped, keeps trying to open it for
// writing without blocking. If the code under test blocks in open() waiting
// for a writer (the defect), the helper's open succeeds and releases it, so
// the test fails on its assertions instead of hanging the suite.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_FIFOWRITER_H
#define WEFT_TESTS_COMMON_FIFOWRITER_H

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::test {

/// A FIFO at `path` with a background writer that unblocks a waiting reader.
class FifoWriter {
public:
  explicit FifoWriter(std::string path) : path_(std::move(path)) {
    made_ = ::mkfifo(path_.c_str(), 0600) == 0;
    thread_ = std::thread([this] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!stop_ && std::chrono::steady_clock::now() < deadline) {
        int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0) { // a reader was waiting: it gets end-of-file
          ::close(fd);
          released_ = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~FifoWriter() {
    stop_ = true;
    thread_.join();
    ::unlink(path_.c_str());
  }
  /// Whether mkfifo succeeded.
  bool made() const { return made_; }
  /// Whether a reader was found waiting in open() and had to be released.
  bool releasedAWaitingReader() const { return released_; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  bool made_ = false;
  std::atomic<bool> stop_{false}, released_{false};
  std::thread thread_;
};

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_FIFOWRITER_H
