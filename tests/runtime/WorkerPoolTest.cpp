//===- WorkerPoolTest.cpp - the runtime's host thread pool ----------------===//
//
// This file implements tests of rt::WorkerPool: many small tasks back to
// back with more threads than cores (a pool of 4 on the 2-core CI machine,
// so workers are preempted mid-task), each part of each task run
// exactly once and every part finished when run() returns. A worker still
// leaving one task when the next was published used to claim a part of the
// new one against its reset progress; the caller then waited forever (found
// when `weft calibrate` timed ~10^5 GEMVs back to back on 4 ranks of 2
// cores), and one claimed twice (the part count and the next part were
// separate). A hang fails the test after a minute instead of stalling CI.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/WorkerPool.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <stdexcept>

namespace {

struct Task {
  std::array<std::atomic<int>, 8> hits{};
};

TEST(WorkerPool, EveryPartOfEveryTaskRunsOnceWhenThreadsOutnumberTheCores) {
  weft::rt::WorkerPool pool(4); // 3 workers and the caller: more threads than CI's 2 cores
  constexpr int kTasks = 200000;
  auto work = std::async(std::launch::async, [&pool] {
    int wrong = 0;
    for (int t = 0; t < kTasks; ++t) {
      Task task;
      const int parts = 2 + t % 7; // 2..8
      pool.run(parts, [](void *c, int p) { static_cast<Task *>(c)->hits[size_t(p)].fetch_add(1); }, &task);
      int bad = 0;
      for (int p = 0; p < 8; ++p)
        bad += task.hits[size_t(p)].load() != (p < parts ? 1 : 0);
      if (bad && wrong < 5) { // the first few wrong tasks: how often each part ran
        std::fprintf(stderr, "task %d of %d parts ran its parts", t, parts);
        for (int p = 0; p < 8; ++p) std::fprintf(stderr, " %d", task.hits[size_t(p)].load());
        std::fprintf(stderr, "\n");
      }
      wrong += bad;
    }
    return wrong;
  });
  if (work.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "WorkerPool: %d tasks did not finish within 60 s: run() hangs\n", kTasks);
    std::fflush(stderr);
    std::_Exit(1); // the spinning caller cannot be joined
  }
  EXPECT_EQ(work.get(), 0) << "parts run other than exactly once, or not finished when run() returned";
}

TEST(WorkerPool, RefusesMorePartsThanTheClaimWordHolds) {
  weft::rt::WorkerPool pool(2);
  EXPECT_THROW(pool.run(1 << 18, [](void *, int) {}, nullptr), std::invalid_argument);
}

} // namespace
