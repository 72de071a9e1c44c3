//===- ExecutorUpdateTest.cpp - parameters and state updated in place -----===//
//
// This file implements tests of training-step executables on real machine
// code (kernels compiled from C at test time): STATE buffers start at zero
// and are bound and read by name; an OUTPUT with `updates` writes the new
// value into the parameter's or state's own storage, so two runs apply two
// updates and parameter()/state() return the latest values.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/Executor.h"

#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

// m_new = 0.9 m + g; w_new = w - 0.5 m_new (each element read, then written in place).
const char *kSgdKernels = R"(
void momentum_f32(void **args) {
  const float *g = (const float *)args[0], *m = (const float *)args[1];
  float *m_new = (float *)args[2];
  for (int i = 0; i < 16; ++i) m_new[i] = 0.9f * m[i] + g[i];
}
void apply_f32(void **args) {
  const float *w = (const float *)args[0], *m_new = (const float *)args[1];
  float *w_new = (float *)args[2];
  for (int i = 0; i < 16; ++i) w_new[i] = w[i] - 0.5f * m_new[i];
}
)";

struct SgdProgram {
  proto::Executable exe;
  uint32_t w, m, mNew, wNew;
};

SgdProgram sgdProgram(const std::string &library) {
  SgdProgram p;
  p.exe = emptyExecutable("sgd");
  p.exe.set_kernel_library(library);
  p.w = addBuffer(p.exe, "w", proto::PARAMETER, {16});
  p.m = addBuffer(p.exe, "sgd.momentum:w", proto::STATE, {16});
  uint32_t g = addBuffer(p.exe, "g", proto::INPUT, {16});
  p.mNew = addBuffer(p.exe, "update:sgd.momentum:w", proto::OUTPUT, {16});
  p.wNew = addBuffer(p.exe, "update:w", proto::OUTPUT, {16});
  for (auto [out, target] : {std::pair{p.mNew, p.m}, std::pair{p.wNew, p.w}}) {
    proto::Buffer *b = p.exe.mutable_buffers(out);
    b->set_alias_of(target);
    b->set_updates(target);
    b->set_arena_offset(0);
  }
  auto addKernel = [&](const char *symbol) {
    proto::Kernel *k = p.exe.add_kernels();
    k->set_symbol(symbol);
    k->set_num_args(3);
    return static_cast<uint32_t>(p.exe.kernels_size() - 1);
  };
  auto addCall = [&](const char *label, uint32_t kernel, std::vector<uint32_t> args) {
    proto::Step *s = p.exe.add_steps();
    s->set_label(label);
    s->mutable_kernel_call()->set_kernel(kernel);
    for (uint32_t a : args)
      s->mutable_kernel_call()->add_args(a);
  };
  addCall("momentum", addKernel("momentum_f32"), {g, p.m, p.mNew});
  addCall("apply", addKernel("apply_f32"), {p.w, p.mNew, p.wNew});
  describeKernelArgs(p.exe);
  p.exe.add_outputs(p.mNew);
  p.exe.add_outputs(p.wNew);
  return p;
}

TEST(RuntimeUpdate, StateStartsAtZeroAndUpdatesPersistAcrossRuns) {
  ScratchDir dir;
  if (!haveCCompiler())
    GTEST_SKIP() << "no C compiler (cc) to build test kernels";
  std::optional<std::string> library = compileSharedObject(dir, kSgdKernels);
  ASSERT_TRUE(library.has_value()) << readBytes(dir.file("cc.log"));
  auto ex = Executor::create(Executable(sgdProgram(*library).exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  Executor &e = **ex;
  EXPECT_EQ(e.parameterNames(), std::vector<std::string>{"w"});
  EXPECT_EQ(e.stateNames(), std::vector<std::string>{"sgd.momentum:w"});
  EXPECT_EQ(e.inputNames(), std::vector<std::string>{"g"});

  StatusOr<HostTensor> m0 = e.state("sgd.momentum:w");
  ASSERT_TRUE(m0.isOk()) << m0.status().toString();
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(m0->data<float>()[i], 0.0f) << i;

  HostTensor w = randomTensor({16}, 11), g1 = randomTensor({16}, 12), g2 = randomTensor({16}, 13);
  ASSERT_TRUE(e.setParameter("w", w).isOk());
  std::vector<float> wRef(w.data<float>(), w.data<float>() + 16), mRef(16, 0.0f);
  for (const HostTensor *g : {&g1, &g2}) {
    ASSERT_TRUE(e.setInput("g", *g).isOk());
    ASSERT_TRUE(e.run().isOk());
    for (int i = 0; i < 16; ++i) {
      mRef[i] = 0.9f * mRef[i] + g->data<float>()[i];
      wRef[i] = wRef[i] - 0.5f * mRef[i];
    }
    StatusOr<HostTensor> wNow = e.parameter("w"), mNow = e.state("sgd.momentum:w");
    StatusOr<HostTensor> wOut = e.output("update:w");
    ASSERT_TRUE(wNow.isOk() && mNow.isOk() && wOut.isOk());
    EXPECT_EQ(wNow->bytes, wOut->bytes);
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(wNow->data<float>()[i], wRef[i]) << i;
      EXPECT_EQ(mNow->data<float>()[i], mRef[i]) << i;
    }
  }

  // Resuming: state set by name replaces the running value.
  HostTensor m = randomTensor({16}, 14);
  ASSERT_TRUE(e.setState("sgd.momentum:w", m).isOk());
  StatusOr<HostTensor> mBack = e.state("sgd.momentum:w");
  ASSERT_TRUE(mBack.isOk());
  EXPECT_EQ(mBack->bytes, m.bytes);
}

TEST(RuntimeUpdate, StateErrorsNameTheState) {
  ScratchDir dir;
  if (!haveCCompiler())
    GTEST_SKIP() << "no C compiler (cc) to build test kernels";
  std::optional<std::string> library = compileSharedObject(dir, kSgdKernels);
  ASSERT_TRUE(library.has_value());
  auto ex = Executor::create(Executable(sgdProgram(*library).exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  Status st = (*ex)->setState("adamw.m:w", randomTensor({16}, 1));
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("no state named 'adamw.m:w'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("sgd.momentum:w"), std::string::npos) << st.message();
  st = (*ex)->setState("sgd.momentum:w", randomTensor({4, 4}, 1));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("f32[16]"), std::string::npos) << st.message();
  EXPECT_EQ((*ex)->state("nope").status().code(), StatusCode::kNotFound);
  // A state is not a parameter: setParameter does not find it.
  EXPECT_EQ((*ex)->setParameter("sgd.momentum:w", randomTensor({16}, 1)).code(),
            StatusCode::kNotFound);
}

} // namespace
