//===- RandomBinding.h - random weights and inputs for a loaded step -*- C++ -*-===//
//
// This file implements the declaration of the helpers the GPU runtime tests
// use to run an Executable they did not build: every PARAMETER gets N(0, 0.02)
// values (floats) or token ids, every INPUT random values, except a training
// step's schedule inputs ("lr" a small rate, "step" the 1-based step count).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_RANDOMBINDING_H
#define WEFT_TESTS_CUDA_RANDOMBINDING_H

#include "runtime/Executor.h"
#include "runtime/HostTensor.h"

#include <random>

namespace weft::test {

/// Random contents for buffer `b`: floats N(0, 0.02), i64 ids below 50257.
rt::HostTensor randomBufferValue(const proto::Buffer &b, std::mt19937 &rng);

/// Sets every PARAMETER of `ex` from randomBufferValue; the first error.
rt::Status bindRandomParameters(rt::Executor &ex, std::mt19937 &rng);

/// Sets every INPUT of `ex` for its step number `step` (1-based): "lr" 1e-4,
/// "step" `step`, the others random; the first error.
rt::Status bindRandomInputs(rt::Executor &ex, int step, std::mt19937 &rng);

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_RANDOMBINDING_H
