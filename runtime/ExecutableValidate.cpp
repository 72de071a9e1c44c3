//===- ExecutableValidate.cpp - checks before an Executable runs ----------===//
//
// This file implements Executable::validate: every invariant the Executor
// relies on, checked once at load time so that running never reads or writes
// out of bounds. Each error names the executable's source, the offending
// buffer, kernel or step by index and name/label, and what was expected.
//
// The rules:
//   1. format_version == kFormatVersion; target is one this runtime runs.
//   2. arena_alignment is 0 (default 64) or a power of two.
//   3. Buffers: id == index; valid kind and dtype; dimensions >= 0;
//      byte_size == elements * dtype size; INPUT/OUTPUT/TEMPORARY/CONSTANT
//      buffers lie inside the arena at an offset aligned to their element;
//      CONSTANT data holds exactly byte_size bytes (a splat: one element);
//      PARAMETER, STATE and INPUT names are non-empty and unique; only an
//      i32/i64 INPUT has an index_limit.
//   4. alias_of names an earlier, non-alias buffer of the same byte size; only
//      TEMPORARY and OUTPUT buffers may be aliases. An OUTPUT that aliases a
//      PARAMETER or STATE buffer must declare it in `updates`.
//   4b. updates (the in-place update of a parameter or optimizer state): only
//      on an OUTPUT; names a PARAMETER or STATE buffer of the same dtype and
//      shape; alias_of == updates; at most one output updates each buffer.
//   5. No other arena buffer overlaps a CONSTANT or MESH_INDEX (both are
//      written once, at load).
//   6. Kernels have a symbol and one argument spec (dtype, byte size) per
//      argument; a library is present when kernels exist; for target "cuda"
//      each launch has a function and a grid/block within limits.
//   7. Steps: a kernel call names an existing kernel with num_args buffer ids
//      in range, each buffer of the dtype and byte size the kernel's
//      argument spec says (a kernel never touches bytes outside its buffers); a GEMM's dtype is f32, bf16 or f16
//      (the CPU runs narrow ones through runtime/cpu/NarrowGemm.h), its operands have that dtype and sizes
//      that match batch, m, n, k, and its c is not a PARAMETER or STATE (nor
//      a view of one) unless c is an update output. A GEMM epilogue (bias,
//      gelu_tanh + bias) needs target "cuda", batch 1, beta 0 and a [n] bias
//      of f32 or the GEMM's dtype that does not overlap c.
//   8. Outputs are buffer ids in range.
//   9. The mesh (format 4): axis names valid and unique, sizes >= 1, at most
//      2^31-1 ranks; MESH_INDEX buffers are i64 scalars with distinct, valid
//      mesh_axes and no alias (no other buffer has mesh_axes), and no arena
//      buffer overlaps them (rule 5); a collective step has valid, distinct
//      axes (at least one), input and output buffers of its dtype whose sizes
//      match its kind, the group size and count, writes no parameter, state,
//      constant or mesh index, and a permute's pairs lie within the group
//      with no target twice (runtime/ExecutableValidateMesh.cpp).
//
//===----------------------------------------------------------------------===//

#include "runtime/Executable.h"
#include "runtime/HostTensor.h"
#include "runtime/ValidateSupport.h"

#include <cmath>
#include <climits>
#include <unordered_set>
#include <vector>

namespace weft::rt {

namespace {

using proto::Buffer;
using namespace validate;

/// Names bound by the caller: parameters, optimizer state and inputs.
bool isBoundByName(const Buffer &b) {
  return ownsStorage(b) || b.kind() == proto::INPUT;
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t &out) {
  return __builtin_mul_overflow(a, b, &out);
}

/// Rule 4b for buffer `i` (its shape and alias_of already checked).
Status checkUpdate(const proto::Executable &exe, int i, const Reporter &r) {
  const Buffer &b = exe.buffers(i);
  if (!b.has_updates())
    return Status::ok();
  std::string ref = bufferRef(exe, static_cast<uint64_t>(i));
  if (b.kind() != proto::OUTPUT)
    return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                  " with `updates`; only OUTPUT buffers may update a parameter or state");
  if (b.updates() >= static_cast<uint32_t>(exe.buffers_size()))
    return r.fail(ref + " updates buffer " + std::to_string(b.updates()) + ", out of range (" +
                  std::to_string(exe.buffers_size()) + " buffers)");
  const Buffer &target = exe.buffers(static_cast<int>(b.updates()));
  if (!ownsStorage(target))
    return r.fail(ref + " updates " + bufferRef(exe, b.updates()) + ", a " +
                  proto::BufferKind_Name(target.kind()) +
                  "; only PARAMETER and STATE buffers are updated in place");
  if (!b.has_alias_of() || b.alias_of() != b.updates())
    return r.fail(ref + " updates " + bufferRef(exe, b.updates()) + " but " +
                  (b.has_alias_of() ? "aliases buffer " + std::to_string(b.alias_of())
                                    : std::string("has storage of its own")) +
                  "; an update output must alias the buffer it updates (alias_of = updates)");
  std::vector<int64_t> shape(b.shape().begin(), b.shape().end());
  std::vector<int64_t> targetShape(target.shape().begin(), target.shape().end());
  if (b.dtype() != target.dtype() || shape != targetShape)
    return r.fail(ref + " of " + dtypeName(b.dtype()) + shapeString(shape) + " updates " +
                  bufferRef(exe, b.updates()) + " of " + dtypeName(target.dtype()) +
                  shapeString(targetShape) + "; an update must have the same dtype and shape");
  for (int j = 0; j < i; ++j)
    if (exe.buffers(j).has_updates() && exe.buffers(j).updates() == b.updates())
      return r.fail(ref + " updates " + bufferRef(exe, b.updates()) + ", which " +
                    bufferRef(exe, static_cast<uint64_t>(j)) +
                    " already updates; each parameter or state has at most one update");
  return Status::ok();
}

Status checkBuffer(const proto::Executable &exe, int i, const Reporter &r) {
  const Buffer &b = exe.buffers(i);
  std::string ref = bufferRef(exe, i);
  if (b.id() != static_cast<uint32_t>(i))
    return r.fail(ref + " has id " + std::to_string(b.id()) + "; ids must equal the buffer's index");
  if (!proto::BufferKind_IsValid(b.kind()) || b.kind() == proto::BUFFER_KIND_INVALID)
    return r.fail(ref + " has no valid kind (" + std::to_string(b.kind()) + ")");
  size_t elemSize = dtypeSize(b.dtype());
  if (elemSize == 0)
    return r.fail(ref + " has no valid dtype (" + std::to_string(b.dtype()) + ")");
  uint64_t elements = 1;
  for (int64_t d : b.shape()) {
    if (d < 0)
      return r.fail(ref + " has a negative dimension in shape " +
                    shapeString({b.shape().begin(), b.shape().end()}));
    if (mulOverflows(elements, static_cast<uint64_t>(d), elements))
      return r.fail(ref + " has a shape whose element count overflows");
  }
  uint64_t expected;
  if (mulOverflows(elements, elemSize, expected) || b.byte_size() != expected)
    return r.fail(ref + " has byte_size " + std::to_string(b.byte_size()) + " but " +
                  dtypeName(b.dtype()) + shapeString({b.shape().begin(), b.shape().end()}) +
                  " needs " + std::to_string(elements) + " x " + std::to_string(elemSize) + " bytes");
  if (b.has_alias_of()) {
    if (b.kind() != proto::TEMPORARY && b.kind() != proto::OUTPUT)
      return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                    " with alias_of; only TEMPORARY and OUTPUT buffers may alias another buffer");
    if (b.alias_of() >= static_cast<uint32_t>(i))
      return r.fail(ref + " aliases buffer " + std::to_string(b.alias_of()) +
                    "; alias_of must name an earlier buffer");
    const Buffer &target = exe.buffers(static_cast<int>(b.alias_of()));
    if (target.has_alias_of())
      return r.fail(ref + " aliases " + bufferRef(exe, b.alias_of()) +
                    ", which is itself an alias; point alias_of at the buffer with storage");
    if (target.byte_size() != b.byte_size())
      return r.fail(ref + " (" + std::to_string(b.byte_size()) + " bytes) aliases " +
                    bufferRef(exe, b.alias_of()) + " of " + std::to_string(target.byte_size()) +
                    " bytes; an alias must have the same byte size");
    if (b.kind() == proto::OUTPUT && ownsStorage(target) && !b.has_updates())
      return r.fail(ref + " is an OUTPUT aliasing " + proto::BufferKind_Name(target.kind()) + " " +
                    bufferRef(exe, b.alias_of()) +
                    " without `updates`; only the in-place update of a parameter or state may "
                    "share its storage (set updates = alias_of, or copy into a fresh output)");
  }
  WEFT_RETURN_IF_ERROR(checkUpdate(exe, i, r));
  if (livesInArena(b)) {
    uint64_t end;
    if (__builtin_add_overflow(b.arena_offset(), b.byte_size(), &end) || end > exe.arena_size())
      return r.fail(ref + " occupies arena bytes [" + std::to_string(b.arena_offset()) + ", " +
                    std::to_string(b.arena_offset() + b.byte_size()) +
                    ") outside the arena of " + std::to_string(exe.arena_size()) + " bytes");
    if (b.arena_offset() % elemSize != 0)
      return r.fail(ref + " has arena_offset " + std::to_string(b.arena_offset()) +
                    ", not a multiple of its element size " + std::to_string(elemSize));
  }
  if (b.splat() && b.kind() != proto::CONSTANT)
    return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                  " marked splat; only a CONSTANT can be");
  if (b.kind() == proto::CONSTANT && b.splat() &&
      (b.data().size() != elemSize || b.byte_size() % elemSize != 0))
    return r.fail(ref + " is a splat CONSTANT with " + std::to_string(b.data().size()) +
                  " bytes of data; expected one " + dtypeName(b.dtype()) + " element (" +
                  std::to_string(elemSize) + " bytes)");
  if (b.kind() == proto::CONSTANT && !b.splat() && b.data().size() != b.byte_size())
    return r.fail(ref + " is a CONSTANT with " + std::to_string(b.data().size()) +
                  " bytes of data; expected byte_size = " + std::to_string(b.byte_size()));
  if (isBoundByName(b) && b.name().empty())
    return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                  " without a name; parameters, state and inputs are bound by name");
  if (b.index_limit() > 0 &&
      (b.kind() != proto::INPUT || (b.dtype() != proto::I32 && b.dtype() != proto::I64)))
    return r.fail(ref + " has an index_limit but is not an i32 or i64 INPUT");
  return Status::ok();
}

/// Rule 5: constants are written once at load and must not share arena bytes.
Status checkConstantsUntouched(const proto::Executable &exe, const Reporter &r) {
  for (int c = 0; c < exe.buffers_size(); ++c) {
    const Buffer &cb = exe.buffers(c);
    if ((cb.kind() != proto::CONSTANT && cb.kind() != proto::MESH_INDEX) || cb.byte_size() == 0)
      continue;
    for (int o = 0; o < exe.buffers_size(); ++o) {
      const Buffer &ob = exe.buffers(o);
      if (o == c || !livesInArena(ob) || ob.byte_size() == 0)
        continue;
      bool overlap = ob.arena_offset() < cb.arena_offset() + cb.byte_size() &&
                     cb.arena_offset() < ob.arena_offset() + ob.byte_size();
      if (overlap)
        return r.fail(bufferRef(exe, o) + " overlaps the arena bytes of " +
                      proto::BufferKind_Name(cb.kind()) + " " + bufferRef(exe, c) +
                      "; constants and mesh indices are written once and must not be reused");
    }
  }
  return Status::ok();
}

Status checkGemm(const proto::Executable &exe, int s, const proto::Gemm &g, const Reporter &r) {
  std::string ref = stepRef(exe, s);
  if (g.dtype() != proto::F32 && g.dtype() != proto::BF16 && g.dtype() != proto::F16)
    return r.fail(ref + ": gemm dtype is " + dtypeName(g.dtype()) +
                  "; expected f32, bf16 or f16");
  const std::string gemmType = dtypeName(g.dtype());
  if (g.batch() == 0 || g.m() == 0 || g.n() == 0 || g.k() == 0)
    return r.fail(ref + ": gemm has a zero dimension (batch " + std::to_string(g.batch()) +
                  ", m " + std::to_string(g.m()) + ", n " + std::to_string(g.n()) + ", k " +
                  std::to_string(g.k()) + "); all must be >= 1");
  if (g.m() > INT_MAX || g.n() > INT_MAX || g.k() > INT_MAX)
    return r.fail(ref + ": gemm m, n and k must each fit in a 32-bit int for BLAS");
  struct Operand {
    const char *name;
    uint32_t id;
    uint64_t rows, cols;
  } operands[] = {{"a", g.a(), g.m(), g.k()}, {"b", g.b(), g.k(), g.n()}, {"c", g.c(), g.m(), g.n()}};
  const bool int8B = g.b_dtype() != proto::DTYPE_INVALID;
  if (int8B) {
    if (g.b_dtype() != proto::I8 || g.dtype() != proto::F32 || exe.target() != "cpu" ||
        g.batch() != 1)
      return r.fail(ref + ": gemm b_dtype is " + dtypeName(g.b_dtype()) + " with dtype " +
                    gemmType + ", batch " + std::to_string(g.batch()) + " on target '" +
                    exe.target() + "'; only weight-only int8 (b_dtype i8, dtype f32, batch 1, "
                    "target cpu) is supported");
    if (g.b_scales() >= static_cast<uint32_t>(exe.buffers_size()))
      return r.fail(ref + ": gemm b_scales is buffer " + std::to_string(g.b_scales()) +
                    ", out of range (" + std::to_string(exe.buffers_size()) + " buffers)");
    const Buffer &scales = exe.buffers(static_cast<int>(g.b_scales()));
    if (scales.dtype() != proto::F32 || scales.byte_size() != g.n() * 4)
      return r.fail(ref + ": gemm b_scales is " + bufferRef(exe, g.b_scales()) + " of dtype " +
                    dtypeName(scales.dtype()) + " and " + std::to_string(scales.byte_size()) +
                    " bytes; expected f32 [n] = " + std::to_string(g.n() * 4) + " bytes");
    if (g.trans_a() && g.m() > 1)
      return r.fail(ref + ": an int8-weight gemm needs a plain (not transposed) a when m > 1");
    if (!(g.a_outlier_threshold() >= 0.0f) || std::isinf(g.a_outlier_threshold()) ||
        (g.a_outlier_threshold() > 0.0f && !g.a_quantize()))
      return r.fail(ref + ": gemm a_outlier_threshold is " + std::to_string(g.a_outlier_threshold()) +
                    (g.a_quantize() ? "" : " without a_quantize") +
                    "; it must be 0 or a positive finite number, and needs a_quantize");
  } else if (g.a_quantize() || g.a_outlier_threshold() != 0.0f) {
    return r.fail(ref + ": gemm a_quantize / a_outlier_threshold are set but b is not int8 "
                        "(b_dtype unset); int8 activations need int8 weights");
  }
  for (const Operand &op : operands) {
    if (op.id >= static_cast<uint32_t>(exe.buffers_size()))
      return r.fail(ref + ": gemm operand " + op.name + " is buffer " + std::to_string(op.id) +
                    ", out of range (" + std::to_string(exe.buffers_size()) + " buffers)");
    const Buffer &b = exe.buffers(static_cast<int>(op.id));
    const bool isB = std::string(op.name) == "b";
    const DType want = isB && int8B ? g.b_dtype() : g.dtype();
    const uint64_t size = dtypeSize(want);
    if (b.dtype() != want)
      return r.fail(ref + ": gemm operand " + op.name + " is " + bufferRef(exe, op.id) +
                    " of dtype " + dtypeName(b.dtype()) + "; expected " +
                    (isB && int8B ? "the b_dtype " : "the gemm's ") + dtypeName(want));
    uint64_t need;
    if (mulOverflows(g.batch(), op.rows, need) || mulOverflows(need, op.cols, need) ||
        mulOverflows(need, size, need) || need != b.byte_size())
      return r.fail(ref + ": gemm operand " + op.name + " is " + bufferRef(exe, op.id) + " of " +
                    std::to_string(b.byte_size()) + " bytes; batch " + std::to_string(g.batch()) +
                    " x " + std::to_string(op.rows) + " x " + std::to_string(op.cols) + " " +
                    dtypeName(want) + " needs " +
                    std::to_string(g.batch() * op.rows * op.cols * size));
  }
  if (g.c() == g.a() || g.c() == g.b())
    return r.fail(ref + ": gemm output c is also an input (buffer " + std::to_string(g.c()) + ")");
  if (g.epilogue() != proto::GEMM_EPILOGUE_NONE) {
    std::string what = ref + ": gemm epilogue " + proto::GemmEpilogue_Name(g.epilogue());
    if (exe.target() != "cuda")
      return r.fail(what + " needs target 'cuda' (cuBLASLt) but the target is '" + exe.target() +
                    "'; emit a separate epilogue kernel instead");
    if (g.batch() != 1 || g.beta() != 0)
      return r.fail(what + " needs batch 1 and beta 0 (got batch " + std::to_string(g.batch()) +
                    ", beta " + std::to_string(g.beta()) + ")");
    if (g.bias() >= static_cast<uint32_t>(exe.buffers_size()))
      return r.fail(what + ": bias is buffer " + std::to_string(g.bias()) + ", out of range (" +
                    std::to_string(exe.buffers_size()) + " buffers)");
    const Buffer &bias = exe.buffers(static_cast<int>(g.bias()));
    bool biasTypeOk = bias.dtype() == proto::F32 || bias.dtype() == g.dtype();
    if (!biasTypeOk || bias.byte_size() != g.n() * dtypeSize(bias.dtype()))
      return r.fail(what + ": bias is " + bufferRef(exe, g.bias()) + " of dtype " +
                    dtypeName(bias.dtype()) + " and " + std::to_string(bias.byte_size()) +
                    " bytes; expected f32 [" + std::to_string(g.n()) + "]" +
                    (g.dtype() != proto::F32
                         ? " or " + gemmType + " [" + std::to_string(g.n()) + "]"
                         : std::string()));
    if (g.bias() == g.c())
      return r.fail(what + ": bias is the output c (buffer " + std::to_string(g.c()) + ")");
    const Buffer &out = exe.buffers(static_cast<int>(g.c()));
    if (livesInArena(bias) && livesInArena(out) &&
        bias.arena_offset() < out.arena_offset() + out.byte_size() &&
        out.arena_offset() < bias.arena_offset() + bias.byte_size())
      return r.fail(what + ": bias " + bufferRef(exe, g.bias()) +
                    " overlaps the arena bytes of the output " + bufferRef(exe, g.c()) +
                    "; the GEMM reads the bias while it writes c");
  }
  return checkWritable(exe, g.c(), ref + ": gemm output c", r);
}

Status checkSteps(const proto::Executable &exe, const Reporter &r) {
  for (int s = 0; s < exe.steps_size(); ++s) {
    const proto::Step &step = exe.steps(s);
    std::string ref = stepRef(exe, s);
    if (step.has_gemm()) {
      WEFT_RETURN_IF_ERROR(checkGemm(exe, s, step.gemm(), r));
      continue;
    }
    if (step.has_collective()) {
      WEFT_RETURN_IF_ERROR(checkCollective(exe, s, r));
      continue;
    }
    if (!step.has_kernel_call())
      return r.fail(ref + " is neither a kernel call, a gemm nor a collective");
    const proto::KernelCall &call = step.kernel_call();
    if (call.kernel() >= static_cast<uint32_t>(exe.kernels_size()))
      return r.fail(ref + " calls kernel " + std::to_string(call.kernel()) + ", out of range (" +
                    std::to_string(exe.kernels_size()) + " kernels)");
    const proto::Kernel &k = exe.kernels(static_cast<int>(call.kernel()));
    if (static_cast<uint32_t>(call.args_size()) != k.num_args())
      return r.fail(ref + " passes " + std::to_string(call.args_size()) + " arguments to kernel " +
                    std::to_string(call.kernel()) + " '" + k.symbol() + "', which takes " +
                    std::to_string(k.num_args()));
    if (static_cast<uint32_t>(k.args_size()) != k.num_args())
      return r.fail(ref + ": kernel " + std::to_string(call.kernel()) + " '" + k.symbol() +
                    "' describes " + std::to_string(k.args_size()) + " arguments but takes " +
                    std::to_string(k.num_args()) + "; recompile the program");
    for (int a = 0; a < call.args_size(); ++a) {
      if (call.args(a) >= static_cast<uint32_t>(exe.buffers_size()))
        return r.fail(ref + ": argument " + std::to_string(a) + " of kernel '" + k.symbol() +
                      "' is buffer " + std::to_string(call.args(a)) + ", out of range (" +
                      std::to_string(exe.buffers_size()) + " buffers)");
      const Buffer &b = exe.buffers(static_cast<int>(call.args(a)));
      const proto::KernelArg &spec = k.args(a);
      if (b.dtype() != spec.dtype() || b.byte_size() != spec.byte_size())
        return r.fail(ref + ": argument " + std::to_string(a) + " of kernel '" + k.symbol() +
                      "' is " + bufferRef(exe, call.args(a)) + " (" + dtypeName(b.dtype()) + ", " +
                      std::to_string(b.byte_size()) + " bytes) but the kernel reads or writes " +
                      dtypeName(spec.dtype()) + " of " + std::to_string(spec.byte_size()) +
                      " bytes there");
    }
  }
  return Status::ok();
}

/// Rule 6 for target "cuda": every launch names a function, has a grid and
/// block of at least 1 in each dimension, within CUDA's limits, and passes
/// only arguments the kernel has; cpu kernels have no launches.
Status checkCudaLaunches(const proto::Executable &exe, int k, const Reporter &r) {
  const proto::Kernel &kernel = exe.kernels(k);
  std::string ref = "kernel " + std::to_string(k) + " '" + kernel.symbol() + "'";
  if (exe.target() != "cuda") {
    if (kernel.cuda_launches_size() > 0)
      return r.fail(ref + " has CUDA launches but the target is '" + exe.target() + "'");
    return Status::ok();
  }
  for (int i = 0; i < kernel.cuda_launches_size(); ++i) {
    const proto::CudaLaunch &l = kernel.cuda_launches(i);
    std::string lref = ref + " launch " + std::to_string(i);
    if (l.function().empty())
      return r.fail(lref + " names no function");
    uint64_t threads = uint64_t(l.block_x()) * l.block_y() * l.block_z();
    if (l.grid_x() == 0 || l.grid_y() == 0 || l.grid_z() == 0 || threads == 0)
      return r.fail(lref + " '" + l.function() + "' has an empty grid or block");
    if (threads > 1024 || l.grid_y() > 65535 || l.grid_z() > 65535 || l.grid_x() > INT_MAX)
      return r.fail(lref + " '" + l.function() + "' exceeds CUDA's limits (block of " +
                    std::to_string(threads) + " threads; at most 1024, grid y/z at most 65535)");
    for (uint32_t a : l.args())
      if (a >= kernel.num_args())
        return r.fail(lref + " '" + l.function() + "' passes argument " + std::to_string(a) +
                      " but the kernel takes " + std::to_string(kernel.num_args()));
  }
  return Status::ok();
}

} // namespace

Status Executable::validate() const {
  const proto::Executable &exe = proto_;
  Reporter r{source_};
  if (exe.format_version() != kFormatVersion)
    return r.fail("format_version " + std::to_string(exe.format_version()) +
                  " is not supported; this runtime reads version " +
                  std::to_string(kFormatVersion) +
                  (exe.format_version() > kFormatVersion
                       ? " (written by a newer weft: upgrade the runtime or recompile)"
                       : " (recompile the program)"));
  if (exe.target() != "cpu" && exe.target() != "cuda")
    return r.fail("target '" + exe.target() +
                  "' is not one this runtime runs (known: cpu, cuda)");
  uint64_t align = exe.arena_alignment();
  if (align != 0 && (align & (align - 1)) != 0)
    return r.fail("arena_alignment " + std::to_string(align) + " is not a power of two");
  if (align > (uint64_t(1) << 30))
    return r.fail("arena_alignment " + std::to_string(align) + " exceeds 1 GiB");

  WEFT_RETURN_IF_ERROR(checkMesh(exe, r));
  std::unordered_set<std::string> boundNames;
  for (int i = 0; i < exe.buffers_size(); ++i) {
    WEFT_RETURN_IF_ERROR(checkBuffer(exe, i, r));
    const Buffer &b = exe.buffers(i);
    if (isBoundByName(b) && !boundNames.insert(b.name()).second)
      return r.fail(bufferRef(exe, i) + ": the name is used by another parameter, state or input");
  }
  WEFT_RETURN_IF_ERROR(checkConstantsUntouched(exe, r));

  for (int k = 0; k < exe.kernels_size(); ++k) {
    const proto::Kernel &kernel = exe.kernels(k);
    if (kernel.symbol().empty())
      return r.fail("kernel " + std::to_string(k) + " has no symbol");
    for (const proto::KernelArg &a : kernel.args())
      if (dtypeSize(a.dtype()) == 0)
        return r.fail("kernel " + std::to_string(k) + " '" + kernel.symbol() +
                      "' has an argument of invalid dtype " + std::to_string(int(a.dtype())));
    WEFT_RETURN_IF_ERROR(checkCudaLaunches(exe, k, r));
  }
  if (exe.kernels_size() > 0 && exe.kernel_library().empty())
    return r.fail(std::to_string(exe.kernels_size()) +
                  " kernels are declared but kernel_library is empty");
  WEFT_RETURN_IF_ERROR(checkSteps(exe, r));

  for (int o = 0; o < exe.outputs_size(); ++o)
    if (exe.outputs(o) >= static_cast<uint32_t>(exe.buffers_size()))
      return r.fail("output " + std::to_string(o) + " is buffer " + std::to_string(exe.outputs(o)) +
                    ", out of range (" + std::to_string(exe.buffers_size()) + " buffers)");
  return Status::ok();
}

} // namespace weft::rt
