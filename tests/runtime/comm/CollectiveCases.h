//===- CollectiveCases.h - every collective against a local oracle -*- C++ -*-===//
//
// This file implements the checks that the communicator tests share (the
// in-process tests on threads, the MPI tests under mpirun): every rank fills
// its inputs from a formula of (rank, element) known to all, runs each
// collective, and compares its output bit for bit with what it computes
// locally from the other ranks' known inputs (reductions folded in rank
// order, bf16/f16 in float with one rounding at the end).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_RUNTIME_COMM_COLLECTIVECASES_H
#define WEFT_TESTS_RUNTIME_COMM_COLLECTIVECASES_H

#include "runtime/HostTensor.h"
#include "runtime/comm/Communicator.h"
#include "runtime/comm/ReduceMath.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace weft::rt::testing {

/// The value rank `r` holds at element `e`, before conversion to the dtype:
/// fractions that round differently in different orders, signs that vary.
inline double caseValue(int r, size_t e) {
  return ((static_cast<double>((r * 7919 + static_cast<int64_t>(e) * 104729) % 2003) - 1001.0) /
          97.0) *
         (1.0 + r * 0.125);
}

/// An element of `dtype` as a double (to compare and fold).
inline double loadElement(const std::vector<uint8_t> &bytes, proto::DType dtype, size_t e) {
  switch (dtype) {
  case proto::F32: {
    float f;
    std::memcpy(&f, bytes.data() + 4 * e, 4);
    return f;
  }
  case proto::BF16:
  case proto::F16: {
    uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * e, 2);
    return dtype == proto::BF16 ? bf16ToFloat(h) : f16ToFloat(h);
  }
  case proto::I32: {
    int32_t i;
    std::memcpy(&i, bytes.data() + 4 * e, 4);
    return i;
  }
  default: {
    int64_t i;
    std::memcpy(&i, bytes.data() + 8 * e, 8);
    return static_cast<double>(i);
  }
  }
}

/// `count` elements of `dtype`: element e is caseValue(rank, first + e)
/// (integers: scaled by 1000 and truncated).
inline std::vector<uint8_t> caseBlock(proto::DType dtype, int rank, size_t first, size_t count) {
  std::vector<uint8_t> out(count * dtypeSize(dtype));
  for (size_t e = 0; e < count; ++e) {
    double v = caseValue(rank, first + e);
    if (dtype == proto::F32) {
      float f = static_cast<float>(v);
      std::memcpy(out.data() + 4 * e, &f, 4);
    } else if (dtype == proto::BF16 || dtype == proto::F16) {
      uint16_t h = dtype == proto::BF16 ? floatToBf16(static_cast<float>(v))
                                        : floatToF16(static_cast<float>(v));
      std::memcpy(out.data() + 2 * e, &h, 2);
    } else if (dtype == proto::I32) {
      int32_t i = static_cast<int32_t>(v * 1000);
      std::memcpy(out.data() + 4 * e, &i, 4);
    } else {
      int64_t i = static_cast<int64_t>(v * 1000) * 1000003;
      std::memcpy(out.data() + 8 * e, &i, 8);
    }
  }
  return out;
}

/// Element e of the rank-order fold of ranks 0..n-1's caseBlock(first, ...),
/// stored as `dtype` would store it (bit patterns compared as bytes).
inline std::vector<uint8_t> foldedBlock(proto::DType dtype, int n, size_t first, size_t count,
                                        ReduceOp op) {
  std::vector<std::vector<uint8_t>> blocks;
  for (int r = 0; r < n; ++r)
    blocks.push_back(caseBlock(dtype, r, first, count));
  std::vector<uint8_t> out(count * dtypeSize(dtype));
  auto pick = [op](auto acc, auto v) {
    return op == ReduceOp::kSum ? acc + v : op == ReduceOp::kMax ? (v > acc ? v : acc)
                                                                 : (v < acc ? v : acc);
  };
  for (size_t e = 0; e < count; ++e) {
    if (dtype == proto::I64 || dtype == proto::I32) {
      int64_t acc = static_cast<int64_t>(loadElement(blocks[0], dtype, e));
      for (int r = 1; r < n; ++r)
        acc = pick(acc, static_cast<int64_t>(loadElement(blocks[size_t(r)], dtype, e)));
      if (dtype == proto::I64)
        std::memcpy(out.data() + 8 * e, &acc, 8);
      else {
        int32_t a = static_cast<int32_t>(acc);
        std::memcpy(out.data() + 4 * e, &a, 4);
      }
      continue;
    }
    float acc = static_cast<float>(loadElement(blocks[0], dtype, e));
    for (int r = 1; r < n; ++r)
      acc = pick(acc, static_cast<float>(loadElement(blocks[size_t(r)], dtype, e)));
    if (dtype == proto::F32) {
      std::memcpy(out.data() + 4 * e, &acc, 4);
    } else {
      uint16_t h = dtype == proto::BF16 ? floatToBf16(acc) : floatToF16(acc);
      std::memcpy(out.data() + 2 * e, &h, 2);
    }
  }
  return out;
}

/// The index of the first element where `got` and `want` differ, or -1.
inline long firstDifference(const std::vector<uint8_t> &got, const std::vector<uint8_t> &want,
                            size_t elemSize) {
  if (got.size() != want.size())
    return 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i])
      return static_cast<long>(i / elemSize);
  return -1;
}

#define WEFT_EXPECT_SAME_BYTES(got, want, dtype, what)                                             \
  do {                                                                                             \
    long at_ = ::weft::rt::testing::firstDifference(got, want, ::weft::rt::dtypeSize(dtype));      \
    EXPECT_EQ(at_, -1) << (what) << ": element " << at_ << " is "                                  \
                       << ::weft::rt::testing::loadElement(got, dtype, size_t(at_ < 0 ? 0 : at_)) \
                       << ", expected "                                                            \
                       << ::weft::rt::testing::loadElement(want, dtype, size_t(at_ < 0 ? 0 : at_)); \
  } while (0)

/// Runs every collective kind on `comm` with `count` elements per block of
/// `dtype` and checks this rank's outputs. Every rank of the group calls it.
inline void checkEveryCollective(Communicator &comm, proto::DType dtype, size_t count) {
  const int n = comm.size(), me = comm.rank();
  const size_t es = dtypeSize(dtype);
  const std::string where = std::string(dtypeName(dtype)) + " count " + std::to_string(count) +
                            " rank " + std::to_string(me) + "/" + std::to_string(n);
  std::vector<uint8_t> mine = caseBlock(dtype, me, 0, count);

  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin}) {
    std::vector<uint8_t> recv(count * es);
    Status st = comm.allReduce(mine.data(), recv.data(), count, dtype, op, "test");
    ASSERT_TRUE(st.isOk()) << st.toString();
    WEFT_EXPECT_SAME_BYTES(recv, foldedBlock(dtype, n, 0, count, op), dtype,
                           where + " all_reduce " + reduceOpName(op));
  }
  { // in place
    std::vector<uint8_t> buf = mine;
    Status st = comm.allReduce(buf.data(), buf.data(), count, dtype, ReduceOp::kSum, "in place");
    ASSERT_TRUE(st.isOk()) << st.toString();
    WEFT_EXPECT_SAME_BYTES(buf, foldedBlock(dtype, n, 0, count, ReduceOp::kSum), dtype,
                           where + " all_reduce in place");
  }
  { // all_gather: the ranks' blocks in rank order
    std::vector<uint8_t> recv(count * es * size_t(n)), want;
    Status st = comm.allGather(mine.data(), recv.data(), count, dtype, "test");
    ASSERT_TRUE(st.isOk()) << st.toString();
    for (int r = 0; r < n; ++r) {
      std::vector<uint8_t> b = caseBlock(dtype, r, 0, count);
      want.insert(want.end(), b.begin(), b.end());
    }
    WEFT_EXPECT_SAME_BYTES(recv, want, dtype, where + " all_gather");
  }
  // Inputs of n blocks: block j of rank r holds caseValue(r, j*count + e).
  std::vector<uint8_t> wide = caseBlock(dtype, me, 0, count * size_t(n));
  {
    std::vector<uint8_t> recv(count * es);
    Status st = comm.reduceScatter(wide.data(), recv.data(), count, dtype, ReduceOp::kSum, "test");
    ASSERT_TRUE(st.isOk()) << st.toString();
    WEFT_EXPECT_SAME_BYTES(recv, foldedBlock(dtype, n, size_t(me) * count, count, ReduceOp::kSum),
                           dtype, where + " reduce_scatter");
  }
  {
    std::vector<uint8_t> recv(count * es * size_t(n)), want;
    Status st = comm.allToAll(wide.data(), recv.data(), count, dtype, "test");
    ASSERT_TRUE(st.isOk()) << st.toString();
    for (int r = 0; r < n; ++r) {
      std::vector<uint8_t> b = caseBlock(dtype, r, size_t(me) * count, count);
      want.insert(want.end(), b.begin(), b.end());
    }
    WEFT_EXPECT_SAME_BYTES(recv, want, dtype, where + " all_to_all");
  }
  { // permute: a shift by one where the last rank sends nothing, so rank 0 gets zeros
    std::vector<SourceTarget> pairs;
    for (int r = 0; r + 1 < n; ++r)
      pairs.push_back({r, r + 1});
    std::vector<uint8_t> recv(count * es, 0xab);
    Status st = comm.permute(mine.data(), recv.data(), count, dtype, pairs, "test");
    ASSERT_TRUE(st.isOk()) << st.toString();
    std::vector<uint8_t> want =
        me == 0 ? std::vector<uint8_t>(count * es, 0) : caseBlock(dtype, me - 1, 0, count);
    WEFT_EXPECT_SAME_BYTES(recv, want, dtype, where + " permute");
  }
  { // permute in place, reversed order: rank r gets rank n-1-r's block
    std::vector<SourceTarget> pairs;
    for (int r = 0; r < n; ++r)
      pairs.push_back({n - 1 - r, r});
    std::vector<uint8_t> buf = mine;
    Status st = comm.permute(buf.data(), buf.data(), count, dtype, pairs, "reverse");
    ASSERT_TRUE(st.isOk()) << st.toString();
    WEFT_EXPECT_SAME_BYTES(buf, caseBlock(dtype, n - 1 - me, 0, count), dtype,
                           where + " permute in place");
  }
}

} // namespace weft::rt::testing

#endif // WEFT_TESTS_RUNTIME_COMM_COLLECTIVECASES_H
