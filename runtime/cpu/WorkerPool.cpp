//===- WorkerPool.cpp - a few spinning threads for the host kernels -------===//
//
// This file implements WorkerPool. A task is published by storing its
// function, then its claim word (the task's number, its part count and the
// next part, one atomic), then bumping `generation_`; each worker (and the
// caller) claims parts by a compare-exchange on the claim word that
// succeeds only while the word still names its task, and
// the caller waits, spinning, until every part has finished. A worker still
// leaving one task when the next is published cannot claim a part of the
// next by mistake (a single counter let it take a part counted against the
// new task's reset progress, or run one twice: the caller then waited
// forever, or returned early). A worker that
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
#include <stdexcept>
#include <string>

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

namespace {

// The claim word: the task's number (low 28 bits of it), its part count and
// the next unclaimed part, in one atomic so that a claim sees all three of
// one task together.
constexpr int kPartBits = 18, kTaskBits = 64 - 2 * kPartBits;
constexpr uint64_t kPartMask = (uint64_t(1) << kPartBits) - 1;
constexpr uint64_t kTaskMask = (uint64_t(1) << kTaskBits) - 1;

uint64_t claimWord(uint64_t task, uint64_t parts, uint64_t next) {
  return ((task & kTaskMask) << (2 * kPartBits)) | (parts << kPartBits) | next;
}
uint64_t taskOf(uint64_t w) { return w >> (2 * kPartBits); }
uint64_t partsOf(uint64_t w) { return (w >> kPartBits) & kPartMask; }
uint64_t nextOf(uint64_t w) { return w & kPartMask; }

} // namespace

void WorkerPool::runParts(uint64_t task) {
  const uint64_t mine = task & kTaskMask;
  uint64_t w = claim_.load(std::memory_order_acquire);
  while (taskOf(w) == mine && nextOf(w) < partsOf(w)) {
    if (!claim_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire))
      continue; // another thread claimed it (or a new task began): w was reloaded
    fn_(context_, int(nextOf(w)));
    partsDone_.fetch_add(1, std::memory_order_release);
    w = claim_.load(std::memory_order_acquire);
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
    setFloatControl(floatControl_.load(std::memory_order_relaxed)); // the caller's subnormal handling
    runParts(seen);
  }
}

void WorkerPool::run(int parts, PartFn fn, void *context) {
  if (workers_.empty() || parts <= 1) {
    for (int p = 0; p < parts; ++p)
      fn(context, p);
    return;
  }
  if (uint64_t(parts) > kPartMask)
    throw std::invalid_argument("WorkerPool::run: " + std::to_string(parts) + " parts; at most " +
                                std::to_string(kPartMask));
  std::lock_guard<std::mutex> runLock(runMutex_);
  const uint64_t task = generation_.load(std::memory_order_relaxed) + 1;
  fn_ = fn, context_ = context;
  floatControl_.store(floatControl(), std::memory_order_relaxed);
  partsDone_.store(0, std::memory_order_relaxed);
  claim_.store(claimWord(task, uint64_t(parts), 0), std::memory_order_release); // publishes the task
  {
    // Under the mutex so that a worker between its check and its wait cannot
    // miss the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.store(task, std::memory_order_release);
  }
  if (sleepers_.load() > 0)
    wake_.notify_all();
  runParts(task);
  while (partsDone_.load(std::memory_order_acquire) < parts)
    _mm_pause();
}

} // namespace weft::rt
