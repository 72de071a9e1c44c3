//===- InProcessTestUtil.h - running a test body on N thread-ranks -*- C++ -*-===//
//
// This file implements runOnRanks: one thread per rank of an in-process group,
// each running the same test body with its own communicator (gtest
// expectations are thread-safe).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_RUNTIME_COMM_INPROCESSTESTUTIL_H
#define WEFT_TESTS_RUNTIME_COMM_INPROCESSTESTUTIL_H

#include "runtime/comm/InProcessCommunicator.h"

#include <functional>
#include <thread>
#include <vector>

namespace weft::rt::testing {

/// Runs `body(comm)` on `n` threads, comm being rank r's communicator of one
/// group (timeout `timeout`), and joins them.
inline void runOnRanks(int n, const std::function<void(const std::shared_ptr<Communicator> &)> &body,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto comms = InProcessCommunicator::createGroup(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    comms[size_t(r)]->setTimeout(timeout);
    threads.emplace_back([&, r] { body(comms[size_t(r)]); });
  }
  for (std::thread &t : threads)
    t.join();
}

} // namespace weft::rt::testing

#endif // WEFT_TESTS_RUNTIME_COMM_INPROCESSTESTUTIL_H
