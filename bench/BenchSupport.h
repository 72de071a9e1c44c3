//===- BenchSupport.h - what the CPU benchmark programs share ---*- C++ -*-===//
//
// This file implements the helpers of the benchmark programs in bench/: exit
// with the message on a failed runtime Status (a benchmark has nothing to
// recover), and wall time in milliseconds.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BENCH_BENCHSUPPORT_H
#define WEFT_BENCH_BENCHSUPPORT_H

#include "runtime/Status.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace weft::bench {

/// The value of `v`; prints the error and exits when it failed.
template <typename T> T check(rt::StatusOr<T> v) {
  if (!v.isOk()) {
    std::fprintf(stderr, "error: %s\n", v.status().toString().c_str());
    std::exit(1);
  }
  return std::move(v).value();
}

/// Prints the error and exits when `s` failed.
inline void check(const rt::Status &s) {
  if (!s.isOk()) {
    std::fprintf(stderr, "error: %s\n", s.toString().c_str());
    std::exit(1);
  }
}

/// Milliseconds since `t0`.
inline double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace weft::bench

#endif // WEFT_BENCH_BENCHSUPPORT_H
