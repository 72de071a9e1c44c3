//===- WorkerPool.cpp - a few spinning threads for the host kernels -------===//
//
// This file implements WorkerPool. A task is published by storing its
// function and part count and bumping `generation_`; each worker (and the
// caller) then claims parts with an atomic counter until none is left, and
// the caller waits, spinning, until every part has finished. A worker that
// sees no new generation for kSpinMicros sleeps on a condition variable; the
// caller notifies it only when some worker sleeps, so back-to-back tasks never
// enter the kernel.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/WorkerPool.h"
#include "runtime/cpu/FloatControl.h"

#include <chrono>
#include <cstdlib>
#include <immintrin.h>

namespace weft::rt {

namespace {

/// How long a worker spins for the next task before it sleeps: long enough to
/// bridge the kernels between two products of a decode step (a layer norm,
/// the attention of one token: a few to a few tens of microseconds), short
/// enough not to steal a core from OpenMP kernels or OpenBLAS for long.
constexpr int64_t kSpinMicros = 200;

int configuredThreads() {
  if (const char *env = std::getenv("WEFT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1)
      return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

} // namespace

WorkerPool &WorkerPool::instance() {
  static WorkerPool pool(configuredThreads());
  return pool;
}

WorkerPool::WorkerPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void WorkerPool::runParts() {
  for (int p = nextPart_.fetch_add(1); p < parts_; p = nextPart_.fetch_add(1)) {
    fn_(context_, p);
    partsDone_.fetch_add(1, std::memory_order_release);
  }
}

void WorkerPool::workerLoop(int /*index*/) {
  uint64_t seen = 0;
  while (true) {
    auto start = std::chrono::steady_clock::now();
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && !stop_.load()) {
      _mm_pause();
      if (++spins % 256 == 0 &&
          std::chrono::steady_clock::now() - start > std::chrono::microseconds(kSpinMicros)) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] {
          return generation_.load(std::memory_order_acquire) != seen || stop_.load();
        });
        sleepers_.fetch_sub(1);
        break;
      }
    }
    if (stop_.load())
      return;
    seen = generation_.load(std::memory_order_acquire);
    setFloatControl(floatControl_); // the caller's subnormal handling
    runParts();
  }
}

void WorkerPool::run(int parts, PartFn fn, void *context) {
  if (workers_.empty() || parts <= 1) {
    for (int p = 0; p < parts; ++p)
      fn(context, p);
    return;
  }
  std::lock_guard<std::mutex> runLock(runMutex_);
  parts_ = parts, fn_ = fn, context_ = context, floatControl_ = floatControl();
  nextPart_.store(0), partsDone_.store(0);
  {
    // Under the mutex so that a worker between its check and its wait cannot
    // miss the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load() > 0)
    wake_.notify_all();
  runParts();
  while (partsDone_.load(std::memory_order_acquire) < parts)
    _mm_pause();
}

} // namespace weft::rt
