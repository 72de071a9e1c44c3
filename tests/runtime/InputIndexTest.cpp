//===- InputIndexTest.cpp - index inputs stay inside their table -----------===//
//
// This file implements the tests of Buffer.index_limit: an integer input
// that selects rows of a table (token ids into an embedding) is checked when
// it is set, so an id outside the table is an error naming the element and
// the range instead of the row the generated gather would clamp it to; and
// the validator allows the limit only on integer inputs.
//
//===----------------------------------------------------------------------===//

#include "tests/runtime/RuntimeTestUtil.h"

#include "runtime/Executor.h"

#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

proto::Executable tokensProgram(proto::DType dtype) {
  proto::Executable exe = emptyExecutable("tokens");
  uint32_t ids = addBuffer(exe, "tokens", proto::INPUT, {2, 3}, dtype);
  exe.mutable_buffers(int(ids))->set_index_limit(512);
  exe.add_outputs(ids);
  return exe;
}

TEST(RuntimeInputIndex, IdsOutsideTheTableAreRefusedWhenSet) {
  for (proto::DType dtype : {proto::I64, proto::I32}) {
    auto ex = Executor::create(Executable(tokensProgram(dtype)));
    ASSERT_TRUE(ex.isOk()) << ex.status().toString();
    HostTensor ids(dtype, {2, 3});
    for (int64_t i = 0; i < 6; ++i) {
      int64_t v = i == 4 ? 99999 : 511 - i;
      if (dtype == proto::I64)
        ids.data<int64_t>()[i] = v;
      else
        ids.data<int32_t>()[i] = int32_t(v);
    }
    Status s = (*ex)->setInput("tokens", ids);
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("element 4 of 'tokens' is 99999, outside [0, 512)"),
              std::string::npos)
        << s.message();
    if (dtype == proto::I64)
      ids.data<int64_t>()[4] = -1;
    else
      ids.data<int32_t>()[4] = -1;
    EXPECT_FALSE((*ex)->setInput("tokens", ids).isOk());
    if (dtype == proto::I64)
      ids.data<int64_t>()[4] = 0;
    else
      ids.data<int32_t>()[4] = 0;
    EXPECT_TRUE((*ex)->setInput("tokens", ids).isOk());
  }
}

TEST(RuntimeInputIndex, OnlyIntegerInputsHaveALimit) {
  proto::Executable exe = emptyExecutable("bad");
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {4});
  exe.mutable_buffers(int(x))->set_index_limit(10);
  Status s = Executable(exe).validate();
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("has an index_limit but is not an i32 or i64 INPUT"),
            std::string::npos)
      << s.message();
}

} // namespace
