//===- CudaRuntimeTest.cpp - the CUDA device, GEMMs and compiled cases ----===//
//
// This file tests the CUDA runtime without the compiler (it links only the
// runtime, so it runs on a GPU machine without MLIR):
//   - without a driver or GPU, opening the device fails UNAVAILABLE with a
//     message naming the cause, and every GPU test skips saying why;
//   - validation of CUDA launches (grid and block within limits);
//   - device memory: host → device → host round trips, zeroing, alignment;
//   - GEMM steps (cuBLASLt) for every transpose combination, batched, against
//     a double-precision host product; bf16 and f16 GEMMs (batched, bias and
//     GELU epilogues with f32 or narrow bias, beta 1), directly and through
//     the Executor, against the host product of the same rounded inputs;
//   - GEMM autotuning: the decision rule, the sharing key and the switch
//     (no GPU needed); tuned results equal the heuristic's within tolerance,
//     beta 1 GEMMs add c once (candidates write a scratch D), identical plans
//     share one choice;
//   - every case bundle in $WEFT_CUDA_CASES (written by WeftCudaCodegenTests)
//     against its reference outputs (runs replay a CUDA graph by default);
//   - CUDA graphs: replaying the captured step gives the eager launches'
//     outputs (every case bundle; a GEMM with new inputs between replays),
//     WEFT_CUDA_GRAPHS=0 and setCudaGraphs(false) turn graphs off, and
//     profiled runs launch step by step.
// With WEFT_CUDA_BENCH=1 it also prints the device-to-device copy bandwidth
// and the bandwidth of the compiled kernels in bench_add.wexe,
// bench_layer_norm.wexe and bench_softmax.wexe, and a GEMM + bias +
// gelu_tanh with the cuBLASLt epilogue against the GEMM followed by the
// epilogue kernel (bench_fc_gelu_*.wexe);
// with WEFT_CUDA_TIME_EXE=FILE.wexe, the time of one run of that executable
// on random weights and where it goes, by op.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/cuda/CublasLt.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/GemmAutotune.h"
#include "runtime/cuda/CudaProgram.h"
#include "tests/cuda/CaseBundle.h"
#include "tests/cuda/NarrowGemmTestUtil.h"
#include "tests/cuda/RandomBinding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

namespace weft {
namespace {

using rt::cuda::CudaDevice;
using test::GemmCase;
using test::GemmData;
using test::loadAs;
using test::runDirect;
using test::worstRatio;

/// Opens GPU 0, or skips the calling test with the reason.
#define OPEN_GPU_OR_SKIP(dev)                                                                 \
  auto dev##_or = CudaDevice::open(0);                                                        \
  if (!dev##_or.isOk()) {                                                                     \
    ASSERT_EQ(dev##_or.status().code(), rt::StatusCode::kUnavailable)                         \
        << dev##_or.status().toString();                                                      \
    GTEST_SKIP() << "no usable GPU: " << dev##_or.status().message();                         \
  }                                                                                           \
  CudaDevice &dev = *dev##_or.value();

TEST(CudaRuntime, OpenReportsGpuOrUnavailable) {
  rt::StatusOr<std::unique_ptr<rt::Device>> dev = rt::openCudaDevice();
  if (!dev.isOk()) {
    EXPECT_EQ(dev.status().code(), rt::StatusCode::kUnavailable);
    EXPECT_NE(dev.status().message().find("cuda"), std::string::npos)
        << dev.status().message();
    GTEST_SKIP() << "no usable GPU: " << dev.status().message();
  }
  EXPECT_EQ((*dev)->name().rfind("cuda:0 (", 0), 0u) << (*dev)->name();
}

TEST(CudaRuntime, CopiesRoundTripAndZero) {
  OPEN_GPU_OR_SKIP(dev);
  const size_t n = (1 << 20) + 3;
  std::vector<uint8_t> host(n), back(n, 0xAB);
  std::mt19937 rng(7);
  for (uint8_t &b : host)
    b = static_cast<uint8_t>(rng());
  rt::StatusOr<void *> p = dev.allocate(n, 4096);
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(*p) % 4096, 0u);
  ASSERT_TRUE(dev.copyToDevice(*p, host.data(), n).isOk());
  ASSERT_TRUE(dev.copyToHost(back.data(), *p, n).isOk());
  EXPECT_EQ(host, back);
  ASSERT_TRUE(dev.zero(static_cast<char *>(*p) + 5, n - 10).isOk());
  ASSERT_TRUE(dev.copyToHost(back.data(), *p, n).isOk());
  EXPECT_EQ(back[4], host[4]);
  EXPECT_EQ(back[n - 5], host[n - 5]);
  EXPECT_EQ(std::count(back.begin() + 5, back.end() - 5, 0), static_cast<long>(n - 10));
  dev.free(*p);
}

/// An Executable with one batched f32 GEMM step: A, B inputs, C output.
rt::Executable gemmExecutable(uint64_t batch, uint64_t m, uint64_t n, uint64_t k, bool ta,
                              bool tb, float alpha) {
  proto::Executable e;
  e.set_format_version(rt::kFormatVersion);
  e.set_target("cuda");
  e.set_program_name("gemm");
  uint64_t offset = 0;
  auto add = [&](const char *name, proto::BufferKind kind, std::vector<int64_t> shape) {
    proto::Buffer *b = e.add_buffers();
    b->set_id(static_cast<uint32_t>(e.buffers_size() - 1));
    b->set_name(name);
    b->set_kind(kind);
    b->set_dtype(proto::F32);
    uint64_t elems = 1;
    for (int64_t d : shape) {
      b->add_shape(d);
      elems *= static_cast<uint64_t>(d);
    }
    b->set_byte_size(elems * 4);
    b->set_arena_offset(offset);
    offset += (elems * 4 + 255) / 256 * 256;
  };
  add("a", proto::INPUT, {int64_t(batch), int64_t(ta ? k : m), int64_t(ta ? m : k)});
  add("b", proto::INPUT, {int64_t(batch), int64_t(tb ? n : k), int64_t(tb ? k : n)});
  add("c", proto::OUTPUT, {int64_t(batch), int64_t(m), int64_t(n)});
  e.set_arena_size(offset);
  e.set_arena_alignment(256);
  proto::Gemm *g = e.add_steps()->mutable_gemm();
  g->set_a(0);
  g->set_b(1);
  g->set_c(2);
  g->set_batch(batch);
  g->set_m(m);
  g->set_n(n);
  g->set_k(k);
  g->set_trans_a(ta);
  g->set_trans_b(tb);
  g->set_alpha(alpha);
  g->set_beta(0);
  g->set_dtype(proto::F32);
  e.add_outputs(2);
  return rt::Executable(std::move(e));
}

/// A cuda Executable with one kernel of one launch over one OUTPUT buffer.
proto::Executable launchExecutable(uint32_t gridX, uint32_t blockX) {
  proto::Executable e = gemmExecutable(1, 2, 2, 2, false, false, 1).proto();
  e.clear_steps();
  e.set_kernel_library("not needed by validate()");
  proto::Kernel *k = e.add_kernels();
  k->set_symbol("weft_k0");
  k->set_num_args(1);
  proto::CudaLaunch *l = k->add_cuda_launches();
  l->set_function("weft_k0_neg_l0");
  l->set_grid_x(gridX);
  l->set_grid_y(1);
  l->set_grid_z(1);
  l->set_block_x(blockX);
  l->set_block_y(1);
  l->set_block_z(1);
  proto::KernelCall *call = e.add_steps()->mutable_kernel_call();
  call->set_kernel(0);
  call->add_args(2);
  proto::KernelArg *spec = k->add_args();
  spec->set_dtype(e.buffers(2).dtype());
  spec->set_byte_size(e.buffers(2).byte_size());
  return e;
}

TEST(CudaRuntime, ValidationChecksLaunches) {
  EXPECT_TRUE(rt::Executable(launchExecutable(4, 256)).validate().isOk());
  rt::Status emptyBlock = rt::Executable(launchExecutable(4, 0)).validate();
  EXPECT_EQ(emptyBlock.code(), rt::StatusCode::kInvalidArgument);
  EXPECT_NE(emptyBlock.message().find("kernel 0 'weft_k0' launch 0 'weft_k0_neg_l0' has an "
                                      "empty grid or block"),
            std::string::npos)
      << emptyBlock.message();
  rt::Status tooBig = rt::Executable(launchExecutable(4, 2048)).validate();
  EXPECT_NE(tooBig.message().find("block of 2048 threads; at most 1024"), std::string::npos)
      << tooBig.message();
  proto::Executable listed = launchExecutable(4, 256);
  listed.mutable_kernels(0)->mutable_cuda_launches(0)->add_args(0);
  EXPECT_TRUE(rt::Executable(listed).validate().isOk());
  listed.mutable_kernels(0)->mutable_cuda_launches(0)->add_args(1);
  rt::Status badArg = rt::Executable(listed).validate();
  EXPECT_NE(badArg.message().find("launch 0 'weft_k0_neg_l0' passes argument 1 but the kernel "
                                  "takes 1"),
            std::string::npos)
      << badArg.message();
  proto::Executable cpu = launchExecutable(4, 256);
  cpu.set_target("cpu");
  rt::Status wrongTarget = rt::Executable(cpu).validate();
  EXPECT_NE(wrongTarget.message().find("has CUDA launches but the target is 'cpu'"),
            std::string::npos)
      << wrongTarget.message();
}

TEST(CudaRuntime, GemmStepsMatchHostProduct) {
  OPEN_GPU_OR_SKIP(dev);
  const uint64_t batch = 3, m = 37, n = 65, k = 129;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      SCOPED_TRACE(std::string("trans_a ") + (ta ? "1" : "0") + ", trans_b " + (tb ? "1" : "0"));
      auto ex = rt::Executor::create(gemmExecutable(batch, m, n, k, ta, tb, 0.5f));
      ASSERT_TRUE(ex.isOk()) << ex.status().toString();
      rt::HostTensor a(proto::F32, {int64_t(batch), int64_t(ta ? k : m), int64_t(ta ? m : k)});
      rt::HostTensor b(proto::F32, {int64_t(batch), int64_t(tb ? n : k), int64_t(tb ? k : n)});
      for (int64_t i = 0; i < a.numElements(); ++i)
        a.data<float>()[i] = dist(rng);
      for (int64_t i = 0; i < b.numElements(); ++i)
        b.data<float>()[i] = dist(rng);
      ASSERT_TRUE((*ex)->setInput("a", a).isOk());
      ASSERT_TRUE((*ex)->setInput("b", b).isOk());
      rt::Status ran = (*ex)->run();
      ASSERT_TRUE(ran.isOk()) << ran.toString();
      auto c = (*ex)->output(0);
      ASSERT_TRUE(c.isOk()) << c.status().toString();
      double worst = 0;
      for (uint64_t bi = 0; bi < batch; ++bi)
        for (uint64_t i = 0; i < m; ++i)
          for (uint64_t j = 0; j < n; ++j) {
            double want = 0, mag = 0;
            for (uint64_t p = 0; p < k; ++p) {
              double x = a.data<float>()[bi * m * k + (ta ? p * m + i : i * k + p)];
              double y = b.data<float>()[bi * k * n + (tb ? j * k + p : p * n + j)];
              want += x * y;
              mag += std::fabs(x * y);
            }
            want *= 0.5;
            double got = c->data<float>()[bi * m * n + i * n + j];
            // f32 accumulation of k terms: |err| <= k * 2^-24 * sum |x y| (loose bound).
            double allowed = 0.5 * mag * double(k) * std::ldexp(1.0, -24) + 1e-30;
            worst = std::max(worst, std::fabs(got - want) / allowed);
          }
      EXPECT_LE(worst, 1.0);
    }
  }
}

TEST(CudaRuntime, AutotuneDecisionRuleAndKey) {
  using rt::cuda::CandidateTiming;
  // The fastest candidate that ran; failures (whatever their time) are ignored;
  // ties go to the earlier (the heuristic's order); none ran: -1.
  EXPECT_EQ(rt::cuda::pickFastest({}), -1);
  EXPECT_EQ(rt::cuda::pickFastest({{false, 0.1f, "x"}, {false, 0.2f, "y"}}), -1);
  EXPECT_EQ(rt::cuda::pickFastest({{true, 0.5f, ""}, {false, 0.0f, "refused"}, {true, 0.3f, ""},
                                   {true, 0.3f, ""}}),
            2);
  EXPECT_EQ(rt::cuda::pickFastest({{false, 0.0f, "refused"}, {true, 1.0f, ""}}), 1);
  EXPECT_EQ(rt::cuda::medianMs({5, 1, 3}), 3);
  EXPECT_EQ(rt::cuda::medianMs({4, 1, 3, 2}), 3);
  EXPECT_EQ(rt::cuda::medianMs({}), 0);
  // One key for GEMMs that differ only in buffers, alpha or a bias dtype
  // without an epilogue; a different key for anything cuBLASLt sees.
  proto::Gemm g = gemmExecutable(2, 64, 48, 32, false, true, 1).proto().steps(0).gemm();
  std::string key = rt::cuda::gemmTuneKey(g, proto::F32, false);
  proto::Gemm same = g;
  same.set_a(7), same.set_c(9), same.set_alpha(0.25f);
  EXPECT_EQ(rt::cuda::gemmTuneKey(same, proto::BF16, false), key);
  auto differs = [&](auto change, proto::DType bias = proto::F32, bool tf32 = false) {
    proto::Gemm d = g;
    change(d);
    return rt::cuda::gemmTuneKey(d, bias, tf32) != key;
  };
  EXPECT_TRUE(differs([](proto::Gemm &d) { d.set_dtype(proto::BF16); }));
  EXPECT_TRUE(differs([](proto::Gemm &d) { d.set_beta(1); }));
  EXPECT_TRUE(differs([](proto::Gemm &d) { d.set_trans_a(true); }));
  EXPECT_TRUE(differs([](proto::Gemm &d) { d.set_batch(3); }));
  EXPECT_TRUE(differs([](proto::Gemm &) {}, proto::F32, /*tf32=*/true));
  g.set_epilogue(proto::GEMM_EPILOGUE_BIAS);
  key = rt::cuda::gemmTuneKey(g, proto::F32, false);
  EXPECT_TRUE(differs([](proto::Gemm &) {}, proto::BF16));
  EXPECT_TRUE(differs([](proto::Gemm &d) { d.set_epilogue(proto::GEMM_EPILOGUE_GELU_TANH_BIAS); }));
  // WEFT_GEMM_AUTOTUNE=0 turns tuning off; anything else leaves it on.
  ASSERT_EQ(::setenv("WEFT_GEMM_AUTOTUNE", "0", 1), 0);
  EXPECT_FALSE(rt::cuda::gemmAutotuneEnabledByEnvironment());
  ASSERT_EQ(::setenv("WEFT_GEMM_AUTOTUNE", "1", 1), 0);
  EXPECT_TRUE(rt::cuda::gemmAutotuneEnabledByEnvironment());
  ASSERT_EQ(::unsetenv("WEFT_GEMM_AUTOTUNE"), 0);
  EXPECT_TRUE(rt::cuda::gemmAutotuneEnabledByEnvironment());
}

const GemmCase kNarrowCases[] = {
    {"bf16 batched", proto::BF16, 3, 37, 65, 129, false, true, 0.5f, 0, proto::GEMM_EPILOGUE_NONE,
     proto::F32},
    {"f16 batched", proto::F16, 3, 37, 65, 129, true, false, 0.5f, 0, proto::GEMM_EPILOGUE_NONE,
     proto::F32},
    {"bf16 bias f32", proto::BF16, 1, 64, 96, 128, false, false, 1, 0, proto::GEMM_EPILOGUE_BIAS,
     proto::F32},
    {"bf16 gelu bias bf16", proto::BF16, 1, 64, 96, 128, false, true, 1, 0,
     proto::GEMM_EPILOGUE_GELU_TANH_BIAS, proto::BF16},
    {"f16 gelu bias f32", proto::F16, 1, 64, 96, 128, true, true, 1, 0,
     proto::GEMM_EPILOGUE_GELU_TANH_BIAS, proto::F32},
    {"f16 bias f16", proto::F16, 1, 50, 72, 40, false, false, 1, 0, proto::GEMM_EPILOGUE_BIAS,
     proto::F16},
    {"bf16 beta 1", proto::BF16, 2, 48, 80, 96, false, false, 1, 1, proto::GEMM_EPILOGUE_NONE,
     proto::F32},
    {"f16 beta 1", proto::F16, 2, 48, 80, 96, true, false, 0.5f, 1, proto::GEMM_EPILOGUE_NONE,
     proto::F32},
};

TEST(CudaRuntime, NarrowGemmsMatchHostProduct) {
  OPEN_GPU_OR_SKIP(dev);
  unsigned seed = 20;
  for (const GemmCase &gc : kNarrowCases) {
    SCOPED_TRACE(gc.name);
    GemmData in = randomData(gc, ++seed);
    std::vector<double> want, allowed;
    hostProduct(gc, in, want, allowed);
    std::vector<rt::cuda::GemmTuning> tunings;
    auto got = runDirect(dev, gc, in, /*autotune=*/true, 1, tunings);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    EXPECT_LE(worstRatio(gc.dtype, *got, want, allowed), 1.0);
  }
}

/// An Executable running `gc` as its one step: a, b (and bias) inputs, c output.
rt::Executable narrowExecutable(const GemmCase &gc) {
  proto::Executable e = gemmExecutable(gc.batch, gc.m, gc.n, gc.k, gc.ta, gc.tb, gc.alpha).proto();
  uint64_t offset = 0;
  auto place = [&](proto::Buffer *b, proto::DType dtype) {
    b->set_dtype(dtype);
    b->set_byte_size(uint64_t(rt::numElements({b->shape().begin(), b->shape().end()})) *
                     rt::dtypeSize(dtype));
    b->set_arena_offset(offset);
    offset += (b->byte_size() + 255) / 256 * 256;
  };
  for (int i = 0; i < 3; ++i)
    place(e.mutable_buffers(i), gc.dtype);
  if (gc.epilogue != proto::GEMM_EPILOGUE_NONE) {
    proto::Buffer *bias = e.add_buffers();
    bias->set_id(3), bias->set_name("bias"), bias->set_kind(proto::INPUT);
    bias->add_shape(int64_t(gc.n));
    place(bias, gc.biasDtype);
  }
  e.set_arena_size(offset);
  *e.mutable_steps(0)->mutable_gemm() = gemmOf(gc);
  return rt::Executable(std::move(e));
}

TEST(CudaRuntime, NarrowGemmStepsInExecutor) {
  OPEN_GPU_OR_SKIP(dev);
  // Through validation and CudaProgram (which passes the bias buffer's dtype),
  // three runs: eager (tuning, or a choice shared with the test above), graph
  // capture, replay.
  for (int c : {0, 3, 4, 5}) {
    const GemmCase &gc = kNarrowCases[c];
    SCOPED_TRACE(gc.name);
    GemmData in = randomData(gc, 40 + unsigned(c));
    auto ex = rt::Executor::create(narrowExecutable(gc));
    ASSERT_TRUE(ex.isOk()) << ex.status().toString();
    auto input = [&](const char *name, proto::DType dtype, std::vector<int64_t> shape,
                     const std::vector<uint8_t> &bytes) {
      rt::HostTensor t(dtype, std::move(shape));
      t.bytes = bytes;
      ASSERT_TRUE((*ex)->setInput(name, t).isOk()) << name;
    };
    int64_t b = int64_t(gc.batch), m = int64_t(gc.m), n = int64_t(gc.n), k = int64_t(gc.k);
    input("a", gc.dtype, {b, gc.ta ? k : m, gc.ta ? m : k}, in.a);
    input("b", gc.dtype, {b, gc.tb ? n : k, gc.tb ? k : n}, in.b);
    if (!in.bias.empty())
      input("bias", gc.biasDtype, {n}, in.bias);
    for (int run = 0; run < 3; ++run) {
      rt::Status st = (*ex)->run();
      ASSERT_TRUE(st.isOk()) << st.toString();
    }
    EXPECT_TRUE((*ex)->cudaGraphCaptured());
    auto out = (*ex)->output(0);
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    ASSERT_EQ(out->dtype, gc.dtype);
    std::vector<double> want, allowed;
    hostProduct(gc, in, want, allowed);
    EXPECT_LE(worstRatio(gc.dtype, out->bytes, want, allowed), 1.0);
  }
}

TEST(CudaRuntime, GemmAutotuneKeepsResults) {
  OPEN_GPU_OR_SKIP(dev);
  ASSERT_EQ(::setenv("WEFT_GEMM_AUTOTUNE", "0", 1), 0);
  auto off = rt::cuda::CublasLtGemms::create(dev, 0);
  ASSERT_EQ(::unsetenv("WEFT_GEMM_AUTOTUNE"), 0);
  ASSERT_TRUE(off.isOk()) << off.status().toString();
  EXPECT_FALSE((*off)->autotune());
  // Choices are shared by the whole process: start afresh, so that each case
  // below tunes its first plan.
  rt::cuda::CublasLtGemms::forgetTunedChoices();
  const GemmCase strictF32 = {"f32", proto::F32, 1, 256, 512, 384, false, true, 1, 0,
                              proto::GEMM_EPILOGUE_NONE, proto::F32};
  for (const GemmCase &gc : {strictF32, kNarrowCases[1], kNarrowCases[4], kNarrowCases[6],
                             kNarrowCases[7]}) {
    SCOPED_TRACE(gc.name);
    GemmData in = randomData(gc, 60);
    std::vector<double> want, allowed;
    hostProduct(gc, in, want, allowed);
    // Two identical plans: the first tunes, the second takes its choice. With
    // beta != 0, one plan: each run adds to c.
    int plans = gc.beta == 0 ? 2 : 1;
    std::vector<rt::cuda::GemmTuning> tuned, untuned;
    auto withTuning = runDirect(dev, gc, in, true, plans, tuned);
    auto heuristic = runDirect(dev, gc, in, false, plans, untuned);
    ASSERT_TRUE(withTuning.isOk()) << withTuning.status().toString();
    ASSERT_TRUE(heuristic.isOk()) << heuristic.status().toString();
    // Both match the host product (for beta 1: c + product once, so the
    // timed candidates did not write c), hence each other within twice the
    // tolerance.
    EXPECT_LE(worstRatio(gc.dtype, *withTuning, want, allowed), 1.0);
    EXPECT_LE(worstRatio(gc.dtype, *heuristic, want, allowed), 1.0);
    std::vector<double> untunedValues(want.size()), twice(allowed);
    for (size_t i = 0; i < want.size(); ++i)
      untunedValues[i] = loadAs(gc.dtype, *heuristic, i), twice[i] *= 2;
    EXPECT_LE(worstRatio(gc.dtype, *withTuning, untunedValues, twice), 1.0);
    ASSERT_EQ(tuned.size(), size_t(plans));
    const rt::cuda::GemmTuning &t = tuned[0];
    EXPECT_TRUE(t.decided);
    EXPECT_GE(t.candidates, 1u);
    EXPECT_LE(t.candidates, 8u);
    EXPECT_EQ(untuned[0].chosen, 0);
    EXPECT_EQ(untuned[0].timed, 0u);
    EXPECT_EQ(untuned[0].ms, -1);
    std::printf("autotune %s: %zu candidates, %zu timed, chose %d (%.4f ms)\n", gc.name,
                t.candidates, t.timed, t.chosen, t.ms);
    if (t.candidates > 1) {
      EXPECT_GE(t.timed, 1u);
      EXPECT_LT(size_t(t.chosen), t.candidates);
      EXPECT_GT(t.ms, 0);
      if (plans == 2) {
        EXPECT_TRUE(tuned[1].shared);
        EXPECT_EQ(tuned[1].chosen, t.chosen);
        EXPECT_EQ(tuned[1].timed, 0u);
      }
    }
  }
}

TEST(CudaGraphs, EnvironmentSwitch) {
  ASSERT_EQ(::setenv("WEFT_CUDA_GRAPHS", "0", 1), 0);
  bool off = rt::cudaGraphsEnabledByEnvironment();
  ASSERT_EQ(::setenv("WEFT_CUDA_GRAPHS", "1", 1), 0);
  bool on = rt::cudaGraphsEnabledByEnvironment();
  ASSERT_EQ(::unsetenv("WEFT_CUDA_GRAPHS"), 0);
  EXPECT_FALSE(off);
  EXPECT_EQ(on, rt::cudaRuntimeBuilt());
  EXPECT_EQ(rt::cudaGraphsEnabledByEnvironment(), rt::cudaRuntimeBuilt());
}

/// Runs a 2 x [33x47] x [47x29] GEMM executor three times with fresh
/// inputs (with graphs: eager, capture, replay) and returns the last output;
/// `captured` tells whether a graph was captured.
std::vector<float> gemmRuns(rt::Executor &ex, bool &captured) {
  std::vector<float> out;
  for (int run = 0; run < 3; ++run) {
    rt::HostTensor a(proto::F32, {2, 33, 47}), b(proto::F32, {2, 47, 29});
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<float>()[i] = float((i * 7 + run * 3) % 13) / 13.0f - 0.5f;
    for (int64_t i = 0; i < b.numElements(); ++i)
      b.data<float>()[i] = float((i * 5 + run) % 11) / 11.0f - 0.5f;
    EXPECT_TRUE(ex.setInput("a", a).isOk());
    EXPECT_TRUE(ex.setInput("b", b).isOk());
    rt::Status st = ex.run();
    EXPECT_TRUE(st.isOk()) << st.toString();
  }
  captured = ex.cudaGraphCaptured();
  auto c = ex.output(0);
  EXPECT_TRUE(c.isOk()) << c.status().toString();
  if (c.isOk())
    out.assign(c->data<float>(), c->data<float>() + c->numElements());
  return out;
}

TEST(CudaGraphs, SwitchesAndReplayOfNewInputs) {
  OPEN_GPU_OR_SKIP(dev);
  // WEFT_CUDA_GRAPHS=0 at create(): eager launches, no graph.
  ASSERT_EQ(::setenv("WEFT_CUDA_GRAPHS", "0", 1), 0);
  auto eager = rt::Executor::create(gemmExecutable(2, 33, 29, 47, false, false, 1.0f));
  ASSERT_EQ(::unsetenv("WEFT_CUDA_GRAPHS"), 0);
  ASSERT_TRUE(eager.isOk()) << eager.status().toString();
  EXPECT_FALSE((*eager)->cudaGraphs());
  bool captured = true;
  std::vector<float> want = gemmRuns(**eager, captured);
  EXPECT_FALSE(captured);

  // Default: run 1 eager, run 2 captures, run 3 replays, each on new inputs.
  auto graphed = rt::Executor::create(gemmExecutable(2, 33, 29, 47, false, false, 1.0f));
  ASSERT_TRUE(graphed.isOk()) << graphed.status().toString();
  EXPECT_TRUE((*graphed)->cudaGraphs());
  std::vector<float> got = gemmRuns(**graphed, captured);
  EXPECT_TRUE(captured);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.size(), size_t(2 * 33 * 29));
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * 4), 0)
      << "graph replay differs from eager launches";

  // setCudaGraphs(false) and profiling both launch step by step.
  auto off = rt::Executor::create(gemmExecutable(2, 33, 29, 47, false, false, 1.0f));
  ASSERT_TRUE(off.isOk());
  (*off)->setCudaGraphs(false);
  gemmRuns(**off, captured);
  EXPECT_FALSE(captured);
  auto profiled = rt::Executor::create(gemmExecutable(2, 33, 29, 47, false, false, 1.0f));
  ASSERT_TRUE(profiled.isOk());
  (*profiled)->setProfiling(true);
  std::vector<float> prof = gemmRuns(**profiled, captured);
  EXPECT_FALSE(captured);
  EXPECT_EQ((*profiled)->stepTimes().size(), 1u);
  EXPECT_EQ(std::memcmp(prof.data(), want.data(), want.size() * 4), 0);
  (*profiled)->setProfiling(false);
  std::vector<float> again = gemmRuns(**profiled, captured);
  EXPECT_TRUE(captured);
  EXPECT_EQ(std::memcmp(again.data(), want.data(), want.size() * 4), 0);
}

TEST(CudaGraphs, CompiledCasesReplayMatchesEager) {
  const char *dir = std::getenv("WEFT_CUDA_CASES");
  if (!dir || !std::filesystem::is_directory(dir))
    GTEST_SKIP() << "set WEFT_CUDA_CASES to a folder of case bundles written by "
                    "WeftCudaCodegenTests (WEFT_CUDA_CASES_OUT)";
  int compared = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    std::string path = entry.path().string();
    if (entry.path().extension() != ".wexe" ||
        !std::filesystem::exists(entry.path().parent_path() /
                                 (entry.path().stem().string() + ".safetensors")))
      continue;
    bool eagerCaptured = true, graphCaptured = false;
    auto eager = test::runCaseOutputs(path, /*cudaGraphs=*/false, 1, eagerCaptured);
    if (!eager.isOk() && eager.status().code() == rt::StatusCode::kUnavailable)
      GTEST_SKIP() << "no usable GPU: " << eager.status().message();
    ASSERT_TRUE(eager.isOk()) << path << ": " << eager.status().toString();
    auto graph = test::runCaseOutputs(path, /*cudaGraphs=*/true, 3, graphCaptured);
    ASSERT_TRUE(graph.isOk()) << path << ": " << graph.status().toString();
    EXPECT_FALSE(eagerCaptured) << path;
    EXPECT_TRUE(graphCaptured) << path;
    ASSERT_EQ(eager->size(), graph->size()) << path;
    for (size_t o = 0; o < eager->size(); ++o) {
      const rt::HostTensor &e = (*eager)[o], &g = (*graph)[o];
      ASSERT_EQ(e.bytes.size(), g.bytes.size()) << path << " output " << o;
      EXPECT_EQ(std::memcmp(e.bytes.data(), g.bytes.data(), e.bytes.size()), 0)
          << path << " output " << o << ": graph replay differs from eager launches";
    }
    ++compared;
  }
  std::printf("%d cases: graph replay == eager\n", compared);
  EXPECT_GT(compared, 0);
}

TEST(CudaRuntime, CompiledCasesMatchReference) {
  const char *dir = std::getenv("WEFT_CUDA_CASES");
  if (!dir || !std::filesystem::is_directory(dir))
    GTEST_SKIP() << "set WEFT_CUDA_CASES to a folder of case bundles written by "
                    "WeftCudaCodegenTests (WEFT_CUDA_CASES_OUT)";
  std::vector<std::string> cases;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".wexe" &&
        std::filesystem::exists(entry.path().parent_path() /
                                (entry.path().stem().string() + ".safetensors")))
      cases.push_back(entry.path().string());
  std::sort(cases.begin(), cases.end());
  ASSERT_FALSE(cases.empty()) << "no case bundles in " << dir;
  int ran = 0;
  for (const std::string &path : cases) {
    test::CaseResult r = test::runCase(path);
    if (r.status.code() == rt::StatusCode::kUnavailable)
      GTEST_SKIP() << "no usable GPU: " << r.status.message();
    EXPECT_TRUE(r.status.isOk()) << path << ": " << r.status.toString();
    if (!r.status.isOk())
      continue;
    ++ran;
    EXPECT_EQ(r.badElements, 0) << path << "\n" << r.report;
    std::printf("%s: worst err/allowed %.3g\n%s", std::filesystem::path(path).stem().c_str(),
                r.worstRatio, r.report.c_str());
  }
  std::printf("%d of %zu cases ran\n", ran, cases.size());
}

/// Median of `times`.
double median(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Times the steps of the kernel-only Executable at `path` (every buffer in
/// the arena, inputs uniform in [-1, 1)) with CUDA events, median of 20 after
/// 3 warm-up runs, and prints its bandwidth: every buffer's bytes moved once
/// (inputs read, outputs written), against `copyGBs`.
void benchCompiled(rt::cuda::CudaDevice &dev, const std::string &path, double copyGBs,
                   std::mt19937 &rng) {
  auto exe = rt::Executable::load(path);
  ASSERT_TRUE(exe.isOk()) << exe.status().toString();
  const proto::Executable &p = exe->proto();
  auto arena = dev.allocate(p.arena_size(), 256);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  std::vector<void *> addresses;
  uint64_t moved = 0;
  for (const proto::Buffer &b : p.buffers()) {
    addresses.push_back(static_cast<char *>(*arena) + b.arena_offset());
    moved += b.byte_size(); // each input read once, each output written once
    if (b.kind() == proto::INPUT) {
      std::vector<float> values(b.byte_size() / 4);
      std::uniform_real_distribution<float> dist(-1, 1);
      for (float &v : values)
        v = dist(rng);
      ASSERT_TRUE(dev.copyToDevice(addresses.back(), values.data(), b.byte_size()).isOk());
    }
  }
  auto program = rt::CudaProgram::load(dev, p, addresses, path);
  ASSERT_TRUE(program.isOk()) << program.status().toString();
  std::vector<double> ms;
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(dev.recordEvent(0).isOk());
    for (int s = 0; s < p.steps_size(); ++s)
      ASSERT_TRUE((*program)->runStep(s).isOk());
    ASSERT_TRUE(dev.recordEvent(1).isOk());
    auto t = dev.elapsedMs(0, 1);
    ASSERT_TRUE(t.isOk());
    if (i >= 3)
      ms.push_back(*t);
  }
  double kernelMs = median(ms);
  double gbs = double(moved) / (kernelMs * 1e-3) / 1e9;
  const proto::CudaLaunch &l = p.kernels(0).cuda_launches(0);
  std::printf("BENCH compiled %s (%s, %u x %u threads): %llu bytes moved, median %.4f ms, "
              "%.1f GB/s = %.1f%% of the copy\n",
              path.substr(path.rfind('/') + 1).c_str(), p.buffers(0).name().c_str(), l.grid_x(),
              l.block_x(), static_cast<unsigned long long>(moved), kernelMs, gbs,
              100.0 * gbs / copyGBs);
  program.value().reset();
  dev.free(*arena);
}

TEST(CudaBench, CopyAndElementwiseBandwidth) {
  if (!std::getenv("WEFT_CUDA_BENCH"))
    GTEST_SKIP() << "set WEFT_CUDA_BENCH=1 (and WEFT_CUDA_CASES for the elementwise kernel)";
  OPEN_GPU_OR_SKIP(dev);
  // 1. Device-to-device copy of 1 GiB: bytes read + written per second.
  const size_t bytes = size_t(1) << 30;
  auto src = dev.allocate(bytes, 256), dst = dev.allocate(bytes, 256);
  ASSERT_TRUE(src.isOk() && dst.isOk());
  std::vector<uint32_t> host(bytes / 4);
  std::mt19937 rng(3);
  for (uint32_t &v : host)
    v = rng();
  ASSERT_TRUE(dev.copyToDevice(*src, host.data(), bytes).isOk());
  std::vector<double> ms;
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(dev.recordEvent(0).isOk());
    ASSERT_TRUE(dev.copyOnDevice(*dst, *src, bytes).isOk());
    ASSERT_TRUE(dev.recordEvent(1).isOk());
    auto t = dev.elapsedMs(0, 1);
    ASSERT_TRUE(t.isOk()) << t.status().toString();
    if (i >= 3)
      ms.push_back(*t);
  }
  double copyMs = median(ms);
  double copyGBs = 2.0 * bytes / (copyMs * 1e-3) / 1e9;
  std::printf("BENCH d2d copy: %zu bytes, median %.4f ms over %zu runs, %.1f GB/s (read + "
              "written)\n",
              bytes, copyMs, ms.size(), copyGBs);
  EXPECT_GT(copyGBs, 10.0);
  dev.free(*src);
  dev.free(*dst);

  // 2. The compiled kernels of bench_*.wexe (add, LayerNorm, softmax; f32).
  const char *dir = std::getenv("WEFT_CUDA_CASES");
  if (!dir)
    return;
  for (const char *name : {"bench_add", "bench_layer_norm", "bench_softmax"}) {
    std::string path = std::string(dir) + "/" + name + ".wexe";
    if (!std::filesystem::exists(path))
      continue;
    SCOPED_TRACE(path);
    benchCompiled(dev, path, copyGBs, rng);
  }
}

/// Median time (CUDA events, 3 warm-up, 20 timed) of one eager run of every
/// step of the Executable at `path`, every buffer in the arena, inputs
/// uniform in [-1, 1).
double timeSteps(CudaDevice &dev, const std::string &path, std::mt19937 &rng) {
  auto exe = rt::Executable::load(path);
  EXPECT_TRUE(exe.isOk()) << exe.status().toString();
  if (!exe.isOk())
    return 0;
  const proto::Executable &p = exe->proto();
  auto arena = dev.allocate(p.arena_size(), 256);
  EXPECT_TRUE(arena.isOk()) << arena.status().toString();
  if (!arena.isOk())
    return 0;
  std::vector<void *> addresses;
  for (const proto::Buffer &b : p.buffers()) {
    addresses.push_back(static_cast<char *>(*arena) + b.arena_offset());
    if (b.kind() == proto::INPUT) {
      std::vector<float> values(b.byte_size() / 4);
      std::uniform_real_distribution<float> dist(-1, 1);
      for (float &v : values)
        v = dist(rng);
      EXPECT_TRUE(dev.copyToDevice(addresses.back(), values.data(), b.byte_size()).isOk());
    }
  }
  std::vector<double> ms;
  {
    auto program = rt::CudaProgram::load(dev, p, addresses, path);
    EXPECT_TRUE(program.isOk()) << program.status().toString();
    if (!program.isOk())
      return 0;
    for (int i = 0; i < 23; ++i) {
      EXPECT_TRUE(dev.recordEvent(0).isOk());
      rt::Status st = (*program)->runAll(/*useGraph=*/false);
      EXPECT_TRUE(st.isOk()) << st.toString();
      EXPECT_TRUE(dev.recordEvent(1).isOk());
      auto t = dev.elapsedMs(0, 1);
      EXPECT_TRUE(t.isOk());
      if (i >= 3 && t.isOk())
        ms.push_back(*t);
    }
  }
  dev.free(*arena);
  return ms.empty() ? 0 : median(ms);
}

TEST(CudaBench, GemmEpilogueVersusKernel) {
  const char *dir = std::getenv("WEFT_CUDA_CASES");
  if (!std::getenv("WEFT_CUDA_BENCH") || !dir)
    GTEST_SKIP() << "set WEFT_CUDA_BENCH=1 and WEFT_CUDA_CASES (bench_fc_gelu_*.wexe)";
  OPEN_GPU_OR_SKIP(dev);
  std::mt19937 rng(3);
  double fused = timeSteps(dev, std::string(dir) + "/bench_fc_gelu_epilogue.wexe", rng);
  double split = timeSteps(dev, std::string(dir) + "/bench_fc_gelu_kernel.wexe", rng);
  ASSERT_GT(fused, 0);
  ASSERT_GT(split, 0);
  double gflop = 2.0 * 1024 * 768 * 3072 / 1e9;
  std::printf("BENCH fc+bias+gelu_tanh 1024x768x3072 f32: cuBLASLt epilogue %.4f ms (%.1f "
              "TFLOP/s), GEMM + epilogue kernel %.4f ms (%.1f TFLOP/s): %.3fx\n",
              fused, gflop / fused, split, gflop / split, split / fused);
}

TEST(CudaBench, ExecutableStepTimes) {
  const char *path = std::getenv("WEFT_CUDA_TIME_EXE");
  if (!path)
    GTEST_SKIP() << "set WEFT_CUDA_TIME_EXE to a cuda .wexe to time it on random weights";
  auto exe = rt::Executable::load(path);
  ASSERT_TRUE(exe.isOk()) << exe.status().toString();
  auto ex = rt::Executor::create(std::move(*exe));
  if (!ex.isOk() && ex.status().code() == rt::StatusCode::kUnavailable)
    GTEST_SKIP() << "no usable GPU: " << ex.status().message();
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  const proto::Executable &p = (*ex)->executable().proto();
  std::mt19937 rng(5);
  ASSERT_TRUE(test::bindRandomParameters(**ex, rng).isOk());
  int stepCount = 0;
  auto bindInputs = [&] {
    rt::Status st = test::bindRandomInputs(**ex, ++stepCount, rng);
    ASSERT_TRUE(st.isOk()) << st.toString();
  };
  std::vector<double> ms, eagerMs;
  for (bool graphs : {false, true}) {
    (*ex)->setCudaGraphs(graphs);
    std::vector<double> &times = graphs ? ms : eagerMs;
    for (int i = 0; i < 13; ++i) {
      bindInputs();
      auto start = std::chrono::steady_clock::now();
      rt::Status st = (*ex)->run();
      ASSERT_TRUE(st.isOk()) << st.toString();
      double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           start).count();
      if (i >= 3)
        times.push_back(t);
    }
  }
  EXPECT_TRUE((*ex)->cudaGraphCaptured());
  std::printf("BENCH %s: %d steps, graphs off (each step launched): median run %.3f ms\n", path,
              p.steps_size(), median(eagerMs));
  auto out = (*ex)->output(0);
  ASSERT_TRUE(out.isOk());
  int64_t nonFinite = 0;
  ASSERT_TRUE(out->dtype == proto::F32 || out->dtype == proto::BF16 || out->dtype == proto::F16)
      << "output 0 is " << rt::dtypeName(out->dtype) << "; the finiteness check reads floats";
  for (int64_t i = 0; i < out->numElements(); ++i)
    nonFinite += !std::isfinite(test::loadAs(out->dtype, out->bytes, static_cast<size_t>(i)));
  EXPECT_EQ(nonFinite, 0);
  std::printf("BENCH %s: %d steps, graphs on (one replay): median run %.3f ms (wall, 10 runs "
              "after 3 warm-up)\n",
              path,
              p.steps_size(), median(ms));
  // Where the time goes: one profiled run (synchronizes after each step).
  bindInputs();
  (*ex)->setProfiling(true);
  ASSERT_TRUE((*ex)->run().isOk());
  std::map<std::string, std::pair<double, int>> byOp;
  double total = 0;
  for (const rt::StepTime &t : (*ex)->stepTimes()) {
    std::string op = t.kind == "gemm" ? "gemm (cuBLASLt)" : t.label.substr(0, t.label.find(" @"));
    byOp[op].first += t.microseconds;
    byOp[op].second += 1;
    total += t.microseconds;
  }
  std::vector<std::pair<double, std::string>> sorted;
  for (auto &[op, v] : byOp)
    sorted.push_back({v.first, op + " x" + std::to_string(v.second)});
  std::sort(sorted.rbegin(), sorted.rend());
  std::printf("BENCH profiled run: %.3f ms in steps (each synchronized)\n", total / 1000);
  for (size_t i = 0; i < sorted.size() && i < 10; ++i)
    std::printf("BENCH   %8.3f ms  %s\n", sorted[i].first / 1000, sorted[i].second.c_str());
}

} // namespace
} // namespace weft
