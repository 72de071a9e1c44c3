//===- NarrowGemm.cpp - bf16 and f16 GEMM steps on the CPU ----------------===//
//
// This file implements NarrowGemm (see the header): a oneDNN matmul primitive
// for bf16, with the transposes given as strides, alpha as the output scale
// and beta as a sum post-op (dst = alpha * A B + beta * dst); otherwise the
// operands widened to f32 scratch, cblas_sgemm, and c rounded back.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/NarrowGemm.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/ReduceMath.h"
#include "runtime/cpu/OpenMp.h"

#include <cblas.h>
#include <dnnl.hpp>

#include <cstdint>
#include <vector>

namespace weft::rt {
namespace {

using dnnl::memory;

/// The process's CPU engine (oneDNN's engines are cheap to share).
dnnl::engine &cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

/// [batch, rows, cols] stored row-major, or its transpose ([batch, cols, rows]).
memory::desc matrixDesc(const proto::Gemm &g, memory::dim rows, memory::dim cols, bool transposed,
                        memory::data_type type) {
  memory::dims dims = {memory::dim(g.batch()), rows, cols};
  memory::dims strides = transposed ? memory::dims{rows * cols, 1, rows}
                                    : memory::dims{rows * cols, cols, 1};
  return memory::desc(dims, type, strides);
}

/// Products oneDNN 2.6.3 (Debian's) gets wrong: with AMX and more than one
/// thread its bf16 matmul (brg:avx512_core_amx_bf16) returns wrong values
/// when 49 <= n <= 63 (measured on this machine: every m <= 32 we tried, every
/// layout, transposed B worst, errors of ~10 on products of magnitude ~3;
/// correct with one thread or without AMX). Those run widened to f32.
bool oneDnnBf16Miscomputes(const proto::Gemm &g) { return g.n() >= 49 && g.n() <= 63; }

/// The matmul primitive descriptor of `g` in bf16; throws dnnl::error when
/// oneDNN has no implementation for it here (or one we cannot trust).
dnnl::matmul::primitive_desc bf16Plan(const proto::Gemm &g) {
  if (oneDnnBf16Miscomputes(g))
    throw dnnl::error(dnnl_unimplemented, "weft: oneDNN 2.6's AMX bf16 matmul miscomputes 49 <= n <= 63");
  stopOpenMpSpinning(); // oneDNN's first OpenMP query initializes libomp
  const memory::dim m = memory::dim(g.m()), n = memory::dim(g.n()), k = memory::dim(g.k());
  const memory::data_type bf16 = memory::data_type::bf16;
  dnnl::primitive_attr attr;
  if (g.alpha() != 1.0f)
    attr.set_output_scales(0, {g.alpha()});
  if (g.beta() != 0.0f) {
    dnnl::post_ops ops;
    ops.append_sum(g.beta());
    attr.set_post_ops(ops);
  }
  dnnl::matmul::desc desc(matrixDesc(g, m, k, g.trans_a(), bf16),
                          matrixDesc(g, k, n, g.trans_b(), bf16), matrixDesc(g, m, n, false, bf16));
  return dnnl::matmul::primitive_desc(desc, attr, cpuEngine());
}

class OneDnnGemm final : public NarrowGemm {
public:
  OneDnnGemm(const dnnl::matmul::primitive_desc &pd, std::string ref)
      : matmul_(pd), stream_(cpuEngine()), a_(pd.src_desc(), cpuEngine(), DNNL_MEMORY_NONE),
        b_(pd.weights_desc(), cpuEngine(), DNNL_MEMORY_NONE), c_(pd.dst_desc(), cpuEngine(), DNNL_MEMORY_NONE),
        ref_(std::move(ref)) {}

  Status run(const void *a, const void *b, void *c) override {
    try { // the memory objects are made once; a run only points them at its buffers
      a_.set_data_handle(const_cast<void *>(a));
      b_.set_data_handle(const_cast<void *>(b));
      c_.set_data_handle(c);
      matmul_.execute(stream_, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, b_}, {DNNL_ARG_DST, c_}});
      stream_.wait();
    } catch (const dnnl::error &e) {
      return internalError(ref_ + ": oneDNN matmul failed: " + e.what());
    }
    return Status::ok();
  }
  const char *path() const override { return "onednn"; }

private:
  dnnl::matmul matmul_;
  dnnl::stream stream_;
  memory a_, b_, c_;
  std::string ref_;
};

/// bf16 or f16 widened to f32, cblas_sgemm, c rounded back.
class WidenedGemm final : public NarrowGemm {
public:
  explicit WidenedGemm(const proto::Gemm &g) : g_(g) {}

  Status run(const void *a, const void *b, void *c) override {
    const size_t sa = g_.m() * g_.k(), sb = g_.k() * g_.n(), sc = g_.m() * g_.n();
    const size_t total = g_.batch();
    widen(a, sa * total, a_);
    widen(b, sb * total, b_);
    if (g_.beta() != 0.0f)
      widen(c, sc * total, c_);
    else
      c_.assign(sc * total, 0.0f);
    const int m = int(g_.m()), n = int(g_.n()), k = int(g_.k());
    for (size_t i = 0; i < total; ++i)
      cblas_sgemm(CblasRowMajor, g_.trans_a() ? CblasTrans : CblasNoTrans,
                  g_.trans_b() ? CblasTrans : CblasNoTrans, m, n, k, g_.alpha(), a_.data() + i * sa,
                  g_.trans_a() ? m : k, b_.data() + i * sb, g_.trans_b() ? k : n, g_.beta(),
                  c_.data() + i * sc, n);
    uint16_t *out = static_cast<uint16_t *>(c);
    const bool bf16 = g_.dtype() == proto::BF16;
    for (size_t i = 0; i < c_.size(); ++i)
      out[i] = bf16 ? floatToBf16(c_[i]) : floatToF16(c_[i]);
    return Status::ok();
  }
  const char *path() const override { return "widened to f32"; }

private:
  void widen(const void *src, size_t count, std::vector<float> &dst) const {
    const uint16_t *in = static_cast<const uint16_t *>(src);
    dst.resize(count);
    const bool bf16 = g_.dtype() == proto::BF16;
    for (size_t i = 0; i < count; ++i)
      dst[i] = bf16 ? bf16ToFloat(in[i]) : f16ToFloat(in[i]);
  }

  proto::Gemm g_;
  std::vector<float> a_, b_, c_;
};

} // namespace

bool oneDnnRunsBf16(const proto::Gemm &g) {
  try {
    bf16Plan(g);
    return true;
  } catch (const dnnl::error &) {
    return false;
  }
}

StatusOr<std::unique_ptr<NarrowGemm>> NarrowGemm::create(const proto::Gemm &g, const std::string &ref,
                                                          bool allowOneDnn) {
  if (g.dtype() != proto::BF16 && g.dtype() != proto::F16)
    return invalidArgument(ref + ": a narrow GEMM is bf16 or f16, not " + dtypeName(g.dtype()));
  if (g.dtype() == proto::BF16 && allowOneDnn) {
    try {
      return std::unique_ptr<NarrowGemm>(new OneDnnGemm(bf16Plan(g), ref));
    } catch (const dnnl::error &) {
      // No bf16 implementation on this processor: widen to f32 below.
    }
  }
  return std::unique_ptr<NarrowGemm>(new WidenedGemm(g));
}

} // namespace weft::rt
