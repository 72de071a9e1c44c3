//===- RandomBinding.cpp - random weights and inputs for a loaded step ----===//
//
// This file implements the helpers of RandomBinding.h.
//
//===----------------------------------------------------------------------===//

#include "tests/cuda/RandomBinding.h"
#include "tests/cuda/NarrowGemmTestUtil.h"

namespace weft::test {

rt::HostTensor randomBufferValue(const proto::Buffer &b, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0, 0.02f);
  rt::HostTensor t(b.dtype(), {b.shape().begin(), b.shape().end()});
  for (int64_t i = 0; i < t.numElements(); ++i) {
    if (b.dtype() == proto::F32)
      t.data<float>()[i] = normal(rng);
    else if (b.dtype() == proto::BF16 || b.dtype() == proto::F16)
      storeAs(b.dtype(), normal(rng), t.bytes, static_cast<size_t>(i));
    else if (b.dtype() == proto::I64)
      t.data<int64_t>()[i] = static_cast<int64_t>(rng() % 50257);
  }
  return t;
}

rt::Status bindRandomParameters(rt::Executor &ex, std::mt19937 &rng) {
  for (const proto::Buffer &b : ex.executable().proto().buffers())
    if (b.kind() == proto::PARAMETER)
      WEFT_RETURN_IF_ERROR(ex.setParameter(b.name(), randomBufferValue(b, rng)));
  return rt::Status::ok();
}

rt::Status bindRandomInputs(rt::Executor &ex, int step, std::mt19937 &rng) {
  for (const proto::Buffer &b : ex.executable().proto().buffers()) {
    if (b.kind() != proto::INPUT)
      continue;
    rt::HostTensor value = randomBufferValue(b, rng);
    bool schedule = b.name() == "lr" || b.name() == "step";
    if (schedule && b.dtype() == proto::F32 && value.numElements() == 1)
      value.data<float>()[0] = b.name() == "lr" ? 1e-4f : float(step);
    WEFT_RETURN_IF_ERROR(ex.setInput(b.name(), value));
  }
  return rt::Status::ok();
}

} // namespace weft::test
