//===- CpuSubnormalsTest.cpp - subnormal floats while a program runs ------===//
//
// This file implements tests of the runtime's float control on the CPU
// (runtime/cpu/FloatControl.h): while an Executor runs a compiled program,
// subnormal results are flushed to zero (FTZ) and subnormal inputs read as
// zero (DAZ), on every thread of the OpenMP pool the kernels split over (the
// operand is large enough for the loop to be divided between the cores);
// the caller's own modes are restored when the run returns. Without
// the flush, 1e-20 * 1e-20 is the subnormal 1e-40 and 1e-40 * 1e30 is 1e-10.
//
//===----------------------------------------------------------------------===//

#include "CodegenTestUtil.h"

#include "runtime/cpu/FloatControl.h"

using namespace weft;
using namespace weft::test;

namespace {

TEST_F(CodegenTest, SubnormalsAreFlushedWhileAProgramRuns) {
  const int64_t rows = 2048, cols = 512; // 1M elements: split over the pool's threads
  std::string t = tensorType({rows, cols}, "f32");
  std::string src = "func.func @main(%x: " + t + ", %s: tensor<f32>) -> " + t +
                    " {\n  %b = weft.broadcast %s dims = [] : tensor<f32> -> " + t + "\n  %y = weft.mul %x, %b : " +
                    t + "\n  return %y : " + t + "\n}\n";
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  auto executor = rt::Executor::create(rt::Executable(std::move(*exe)));
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  rt::Executor &ex = **executor;

  // {x, s, what the product is without the flush}
  const float cases[][3] = {{1e-20f, 1e-20f, 1e-40f},  // a subnormal result (FTZ)
                            {1e-40f, 1e30f, 1e-10f}};  // a subnormal input (DAZ)
  for (const auto &c : cases) {
    ASSERT_NE(c[2], 0.0f) << "the unflushed product must be representable";
    rt::HostTensor x(proto::F32, {rows, cols}), s(proto::F32, {});
    std::fill_n(x.data<float>(), x.numElements(), c[0]);
    s.data<float>()[0] = c[1];
    ASSERT_TRUE(ex.setInput("arg0", x).isOk());
    ASSERT_TRUE(ex.setInput("arg1", s).isOk());
    const unsigned kStatusFlags = 0x3f; // x86 MXCSR's sticky exception flags: the run may raise them
    const unsigned before = rt::floatControl() & ~kStatusFlags;
    rt::Status st = ex.run();
    ASSERT_TRUE(st.isOk()) << st.toString();
    EXPECT_EQ(rt::floatControl() & ~kStatusFlags, before) << "the caller's modes are restored";
    auto y = ex.output(0);
    ASSERT_TRUE(y.isOk()) << y.status().toString();
    int64_t nonzero = 0;
    for (int64_t i = 0; i < y->numElements(); ++i)
      nonzero += y->data<float>()[i] != 0.0f;
    EXPECT_EQ(nonzero, 0) << c[0] << " * " << c[1] << ": every element flushed to 0 (unflushed: " << c[2] << ")";
  }
}

} // namespace
