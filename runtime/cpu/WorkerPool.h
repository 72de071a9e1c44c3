//===- WorkerPool.h - a few spinning threads for the host kernels -*- C++ -*-===//
//
// This file implements the declaration of WorkerPool: the threads that the
// runtime's own host kernels (the small-M GEMVs of runtime/cpu/Gemv.h) split
// their work over, one per core beyond the calling thread. A decode step runs
// ~50 such products of 20-400 us each, so a wake-up through the kernel (a
// futex, ~5-20 us) would cost as much as the work: the workers spin for a
// short while after each task (kSpinMicros) and only then sleep.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_WORKERPOOL_H
#define WEFT_RUNTIME_CPU_WORKERPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::rt {

/// A fixed set of worker threads that run one task at a time, split in parts.
class WorkerPool {
public:
  /// A task part: `fn(context, part)` for part in [0, parts).
  using PartFn = void (*)(void *context, int part);

  /// The process-wide pool: hardware_concurrency() threads in all (the caller
  /// included), or WEFT_NUM_THREADS when set (1: no workers).
  static WorkerPool &instance();

  /// Threads that run parts, the caller included.
  int threads() const { return int(workers_.size()) + 1; }

  /// Runs fn(context, p) for every p in [0, parts) over the pool and the
  /// calling thread; returns when all have finished. Not reentrant: parts must
  /// not call run() themselves.
  void run(int parts, PartFn fn, void *context);

  ~WorkerPool();

private:
  explicit WorkerPool(int threads);
  void workerLoop(int index);
  void runParts();

  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0}; // bumped per task; workers wait for a change
  std::atomic<int> nextPart_{0};
  std::atomic<int> partsDone_{0};
  int parts_ = 0;
  PartFn fn_ = nullptr;
  void *context_ = nullptr;
  unsigned floatControl_ = 0; // the caller's (FloatControl.h), set in each worker per task
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex runMutex_; // one task at a time (several Executors may run)
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_WORKERPOOL_H
