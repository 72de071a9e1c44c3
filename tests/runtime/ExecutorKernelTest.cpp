//===- ExecutorKernelTest.cpp - running compiled CPU kernels --------------===//
//
// This file implements tests of kernel-call steps on real machine code: a C
// source is compiled with `cc -shared -fPIC` at test time (skipped when there
// is no C compiler), its bytes embedded as the kernel_library, and the
// Executor runs it. Covered: adding two buffers, alias buffers sharing bytes,
// constant buffers, inputs whose bytes a run reuses (restaged every run), missing symbols, non-ELF
// libraries, and loading a new library after another was unloaded.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/Executor.h"
#include "runtime/KernelLibrary.h"

#include <cstdio>
#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

const char *kKernels = R"(
void add_f32(void **args) {
  const float *a = (const float *)args[0], *b = (const float *)args[1];
  float *c = (float *)args[2];
  for (int i = 0; i < 16; ++i) c[i] = a[i] + b[i];
}
void scale2_f32(void **args) {
  const float *a = (const float *)args[0];
  float *o = (float *)args[1];
  for (int i = 0; i < 16; ++i) o[i] = 2.0f * a[i];
}
)";

/// Compiles `source` into `bytes`, or skips the test when there is no `cc`.
#define COMPILE_KERNELS_OR_SKIP(bytes, source)                                 \
  ScratchDir bytes##Dir;                                                       \
  if (!haveCCompiler())                                                        \
    GTEST_SKIP() << "no C compiler (cc) to build test kernels";                \
  std::optional<std::string> bytes = compileSharedObject(bytes##Dir, source);  \
  ASSERT_TRUE(bytes.has_value()) << readBytes(bytes##Dir.file("cc.log"))

uint32_t addKernel(proto::Executable &exe, const std::string &symbol, uint32_t numArgs) {
  proto::Kernel *k = exe.add_kernels();
  k->set_symbol(symbol);
  k->set_num_args(numArgs);
  return static_cast<uint32_t>(exe.kernels_size() - 1);
}

void addCall(proto::Executable &exe, const std::string &label, uint32_t kernel,
             std::vector<uint32_t> args) {
  proto::Step *s = exe.add_steps();
  s->set_label(label);
  s->mutable_kernel_call()->set_kernel(kernel);
  for (uint32_t a : args)
    s->mutable_kernel_call()->add_args(a);
  describeKernelArgs(exe);
}

/// z = x + y over 16 floats.
proto::Executable addProgram(const std::string &library) {
  proto::Executable exe = emptyExecutable("add");
  exe.set_kernel_library(library);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {16});
  uint32_t y = addBuffer(exe, "y", proto::INPUT, {16});
  uint32_t z = addBuffer(exe, "z", proto::OUTPUT, {16});
  addCall(exe, "add@kernel_test.cpp", addKernel(exe, "add_f32", 3), {x, y, z});
  exe.add_outputs(z);
  return exe;
}

TEST(RuntimeKernel, AddsTwoBuffers) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  auto ex = Executor::create(Executable(addProgram(*library)));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  Executor &e = **ex;
  HostTensor x = randomTensor({16}, 1), y = randomTensor({16}, 2);
  ASSERT_TRUE(e.setInput("x", x).isOk());
  ASSERT_TRUE(e.setInput("y", y).isOk());
  e.setProfiling(true);
  ASSERT_TRUE(e.run().isOk());
  StatusOr<HostTensor> z = e.output(0);
  ASSERT_TRUE(z.isOk());
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(z->data<float>()[i], x.data<float>()[i] + y.data<float>()[i]) << i;
  ASSERT_EQ(e.stepTimes().size(), 1u);
  EXPECT_EQ(e.stepTimes()[0].kind, "kernel:add_f32");
  // Inputs not overwritten by the run stay bound: a second run needs no re-binding.
  ASSERT_TRUE(e.run().isOk());
}

TEST(RuntimeKernel, AliasBuffersShareBytes) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  proto::Executable exe = emptyExecutable("alias");
  exe.set_kernel_library(*library);
  uint32_t scale = addKernel(exe, "scale2_f32", 2), add = addKernel(exe, "add_f32", 3);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {16});
  uint32_t t = addBuffer(exe, "t", proto::TEMPORARY, {16});
  uint32_t t2d = addBuffer(exe, "t reshaped", proto::TEMPORARY, {4, 4});
  exe.mutable_buffers(t2d)->set_alias_of(t);
  uint32_t out = addBuffer(exe, "out", proto::OUTPUT, {4, 4});
  uint32_t flat = addBuffer(exe, "out_flat", proto::OUTPUT, {16});
  exe.mutable_buffers(flat)->set_alias_of(out);
  addCall(exe, "t = 2x", scale, {x, t});
  addCall(exe, "out = t2d + x", add, {t2d, x, out});
  exe.add_outputs(out);
  exe.add_outputs(flat);
  auto ex = Executor::create(Executable(exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  HostTensor xv = randomTensor({16}, 5);
  ASSERT_TRUE((*ex)->setInput("x", xv).isOk());
  ASSERT_TRUE((*ex)->run().isOk());
  StatusOr<HostTensor> o = (*ex)->output("out"), f = (*ex)->output("out_flat");
  ASSERT_TRUE(o.isOk() && f.isOk());
  EXPECT_EQ(o->shape, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(f->shape, (std::vector<int64_t>{16}));
  EXPECT_EQ(o->bytes, f->bytes);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(o->data<float>()[i], 3.0f * xv.data<float>()[i]) << i;
}

TEST(RuntimeKernel, ConstantBufferIsWrittenAtLoad) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  proto::Executable exe = emptyExecutable("const");
  exe.set_kernel_library(*library);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {16});
  uint32_t c = addBuffer(exe, "c", proto::CONSTANT, {16});
  HostTensor cv(proto::F32, {16});
  for (int i = 0; i < 16; ++i)
    cv.data<float>()[i] = 0.5f * i - 3.0f;
  exe.mutable_buffers(c)->set_data(std::string(cv.bytes.begin(), cv.bytes.end()));
  uint32_t z = addBuffer(exe, "z", proto::OUTPUT, {16});
  addCall(exe, "z = x + c", addKernel(exe, "add_f32", 3), {x, c, z});
  exe.add_outputs(z);
  auto ex = Executor::create(Executable(exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  HostTensor xv = randomTensor({16}, 9);
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE((*ex)->setInput("x", xv).isOk());
    ASSERT_TRUE((*ex)->run().isOk());
    StatusOr<HostTensor> zv = (*ex)->output("z");
    ASSERT_TRUE(zv.isOk());
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(zv->data<float>()[i], xv.data<float>()[i] + (0.5f * i - 3.0f)) << i;
  }
}

TEST(RuntimeKernel, SplatConstantFillsItsBuffer) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  proto::Executable exe = emptyExecutable("splat");
  exe.set_kernel_library(*library);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {16});
  uint32_t c = addBuffer(exe, "c", proto::CONSTANT, {16});
  const float value = -1.25f;
  exe.mutable_buffers(c)->set_data(std::string(reinterpret_cast<const char *>(&value), 4));
  exe.mutable_buffers(c)->set_splat(true);
  uint32_t z = addBuffer(exe, "z", proto::OUTPUT, {16});
  addCall(exe, "z = x + c", addKernel(exe, "add_f32", 3), {x, c, z});
  exe.add_outputs(z);
  auto ex = Executor::create(Executable(exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  HostTensor xv = randomTensor({16}, 10);
  ASSERT_TRUE((*ex)->setInput("x", xv).isOk());
  ASSERT_TRUE((*ex)->run().isOk());
  StatusOr<HostTensor> zv = (*ex)->output("z");
  ASSERT_TRUE(zv.isOk());
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(zv->data<float>()[i], xv.data<float>()[i] + value) << i;
}

TEST(RuntimeKernel, InputReusedByArenaIsStagedForEveryRun) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  proto::Executable exe = emptyExecutable("reuse");
  exe.set_kernel_library(*library);
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {16});
  uint32_t t = addBuffer(exe, "t", proto::TEMPORARY, {16});
  uint32_t z = addBuffer(exe, "z", proto::OUTPUT, {16});
  exe.mutable_buffers(z)->set_arena_offset(exe.buffers(x).arena_offset()); // z reuses x's bytes
  exe.set_arena_size(exe.arena_size());
  addCall(exe, "t = 2x", addKernel(exe, "scale2_f32", 2), {x, t});
  addCall(exe, "z = 2t", 0, {t, z});
  exe.add_outputs(z);
  auto ex = Executor::create(Executable(exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  HostTensor xv = randomTensor({16}, 3);
  ASSERT_TRUE((*ex)->setInput("x", xv).isOk());
  ASSERT_TRUE((*ex)->run().isOk());
  StatusOr<HostTensor> zv = (*ex)->output("z");
  ASSERT_TRUE(zv.isOk());
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(zv->data<float>()[i], 4.0f * xv.data<float>()[i]) << i;
  // The run overwrote x's bytes with z; a second run without setInput must
  // still see x (the executor restages it), not z.
  ASSERT_TRUE((*ex)->run().isOk());
  StatusOr<HostTensor> again = (*ex)->output("z");
  ASSERT_TRUE(again.isOk());
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(again->data<float>()[i], 4.0f * xv.data<float>()[i]) << i;
}

TEST(RuntimeKernel, MissingSymbolIsNamed) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  proto::Executable exe = addProgram(*library);
  exe.mutable_kernels(0)->set_symbol("fused_gelu_7");
  auto ex = Executor::create(Executable(exe));
  EXPECT_EQ(ex.status().code(), StatusCode::kNotFound);
  EXPECT_NE(ex.status().message().find("kernel 0"), std::string::npos) << ex.status().message();
  EXPECT_NE(ex.status().message().find("'fused_gelu_7'"), std::string::npos)
      << ex.status().message();
}

TEST(RuntimeKernel, NonElfLibraryIsRejected) {
  proto::Executable exe = addProgram("this is not a shared object");
  auto ex = Executor::create(Executable(exe));
  EXPECT_EQ(ex.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ex.status().message().find("not an ELF shared object"), std::string::npos)
      << ex.status().message();
  // ELF magic followed by garbage: dlopen's error is reported, not a crash.
  exe.set_kernel_library(std::string("\x7f" "ELF", 4) + std::string(200, '\x01'));
  ex = Executor::create(Executable(exe));
  EXPECT_EQ(ex.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ex.status().message().find("cannot load kernel library"), std::string::npos)
      << ex.status().message();
}

TEST(RuntimeKernel, LibrariesLoadedOneAfterAnotherStayDistinct) {
  COMPILE_KERNELS_OR_SKIP(plus, kKernels);
  std::string minusSource = "void add_f32(void **a) { for (int i = 0; i < 16; ++i)"
                            " ((float *)a[2])[i] = ((float *)a[0])[i] - ((float *)a[1])[i]; }";
  ScratchDir minusDir;
  std::optional<std::string> minus = compileSharedObject(minusDir, minusSource);
  ASSERT_TRUE(minus.has_value());
  HostTensor x = randomTensor({16}, 11), y = randomTensor({16}, 12);
  // Alternate: each library is unloaded before the next one takes its place
  // (and, with memfd, possibly the same fd number); one pair lives at once.
  for (int round = 0; round < 3; ++round) {
    auto first = Executor::create(Executable(addProgram(*plus)));
    auto second = Executor::create(Executable(addProgram(*minus)));
    ASSERT_TRUE(first.isOk() && second.isOk());
    for (auto *ex : {&first, &second}) {
      ASSERT_TRUE((**ex)->setInput("x", x).isOk());
      ASSERT_TRUE((**ex)->setInput("y", y).isOk());
      ASSERT_TRUE((**ex)->run().isOk());
    }
    HostTensor a = *(*first)->output(0), b = *(*second)->output(0);
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(a.data<float>()[i], x.data<float>()[i] + y.data<float>()[i]) << round;
      EXPECT_EQ(b.data<float>()[i], x.data<float>()[i] - y.data<float>()[i]) << round;
    }
  }
}

/// Runs z = x + y with each image in turn; returns 0 when every result matches
/// (minus images subtract), else prints the mismatch and returns 1.
int runImagesInTurn(const std::vector<const std::string *> &images, const std::string *minus) {
  HostTensor x = randomTensor({16}, 21), y = randomTensor({16}, 22);
  for (const std::string *image : images) {
    auto ex = Executor::create(Executable(addProgram(*image)));
    if (!ex.isOk() || !(*ex)->setInput("x", x).isOk() || !(*ex)->setInput("y", y).isOk() ||
        !(*ex)->run().isOk()) {
      std::fprintf(stderr, "executor failed: %s\n", ex.status().toString().c_str());
      return 1;
    }
    HostTensor z = *(*ex)->output(0);
    float sign = image == minus ? -1.0f : 1.0f;
    for (int i = 0; i < 16; ++i)
      if (z.data<float>()[i] != x.data<float>()[i] + sign * y.data<float>()[i]) {
        std::fprintf(stderr, "element %d: got %g, the other library's result\n", i,
                     z.data<float>()[i]);
        return 1;
      }
  }
  return 0;
}

TEST(RuntimeKernel, ResidentLibraryDoesNotShadowTheNextOne) {
  COMPILE_KERNELS_OR_SKIP(plus, kKernels);
  // -z nodelete keeps the first library mapped after dlclose, under its
  // /proc/self/fd/N name; the next library may get the same fd number. Run in
  // a child process so the resident library does not outlive this test.
  ScratchDir stickyDir, minusDir;
  std::optional<std::string> sticky = compileSharedObject(stickyDir, kKernels, "-Wl,-z,nodelete");
  std::optional<std::string> minus = compileSharedObject(
      minusDir, "void add_f32(void **a) { for (int i = 0; i < 16; ++i)"
                " ((float *)a[2])[i] = ((float *)a[0])[i] - ((float *)a[1])[i]; }");
  ASSERT_TRUE(sticky.has_value() && minus.has_value());
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(runImagesInTurn({&*sticky, &*minus, &*sticky, &*minus}, &*minus)),
              ::testing::ExitedWithCode(0), "");
}

TEST(RuntimeKernel, KernelLibraryLoadsFromMemory) {
  COMPILE_KERNELS_OR_SKIP(library, kKernels);
  auto lib = KernelLibrary::load(*library, "unit test");
  ASSERT_TRUE(lib.isOk()) << lib.status().toString();
  EXPECT_TRUE((*lib)->loadedFromMemfd());
  StatusOr<KernelFn> fn = (*lib)->lookup("scale2_f32");
  ASSERT_TRUE(fn.isOk());
  float in[16], out[16];
  for (int i = 0; i < 16; ++i)
    in[i] = float(i);
  void *args[] = {in, out};
  (*fn)(args);
  EXPECT_EQ(out[7], 14.0f);
  EXPECT_EQ((*lib)->lookup("nope").status().code(), StatusCode::kNotFound);
}

} // namespace
