//===- ExecutableValidateTest.cpp - rejecting inconsistent Executables ----===//
//
// This file implements tests of Executable::validate through save and load:
// each inconsistency the Executor would trip over (wrong byte size, arena
// overflow, bad aliases, short constants, out-of-range kernel arguments and
// gemm operands, unknown target, ...) is rejected with INVALID_ARGUMENT and a
// message naming the file, the offending buffer/step/kernel and the numbers;
// bf16/f16 GEMMs load for target "cuda" only, with 2-byte elements and a bias
// of f32 or the GEMM's dtype.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/Executable.h"

#include <functional>
#include <optional>
#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

/// a[2,3] (input), b[3,4] (parameter), c = a x b (output), plus a kernel
/// "scale" called on (c, t) where t is a temporary of 8 floats.
proto::Executable validExecutable() {
  proto::Executable exe = emptyExecutable("valid");
  uint32_t a = addBuffer(exe, "a", proto::INPUT, {2, 3});
  uint32_t b = addBuffer(exe, "b", proto::PARAMETER, {3, 4});
  uint32_t c = addBuffer(exe, "c", proto::OUTPUT, {2, 4});
  uint32_t t = addBuffer(exe, "t", proto::TEMPORARY, {8});
  proto::Step *gemm = exe.add_steps();
  gemm->set_label("matmul@m.cpp:3");
  proto::Gemm *g = gemm->mutable_gemm();
  g->set_a(a), g->set_b(b), g->set_c(c);
  g->set_batch(1), g->set_m(2), g->set_n(4), g->set_k(3);
  g->set_alpha(1), g->set_dtype(proto::F32);
  exe.set_kernel_library(std::string("\x7f" "ELF", 4) + std::string(60, '\0'));
  proto::Kernel *k = exe.add_kernels();
  k->set_symbol("scale");
  k->set_num_args(2);
  proto::Step *call = exe.add_steps();
  call->set_label("mul@m.cpp:4");
  call->mutable_kernel_call()->set_kernel(0);
  call->mutable_kernel_call()->add_args(c);
  call->mutable_kernel_call()->add_args(t);
  describeKernelArgs(exe);
  exe.add_outputs(c);
  return exe;
}

/// Saves `exe`, loads it back and returns the load status; `path` gets the file.
Status saveAndLoad(const proto::Executable &exe, std::string &path) {
  static ScratchDir dir;
  path = dir.file("bad.wexe");
  Status saved = Executable(exe).save(path);
  if (!saved.isOk())
    return saved;
  return Executable::load(path).status();
}

/// Applies `damage` to a valid executable and expects INVALID_ARGUMENT with
/// every string of `mentions` (and the file path) in the message.
void expectRejected(const std::function<void(proto::Executable &)> &damage,
                    const std::vector<std::string> &mentions) {
  proto::Executable exe = validExecutable();
  damage(exe);
  std::string path;
  Status st = saveAndLoad(exe, path);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.toString();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  for (const std::string &m : mentions)
    EXPECT_NE(st.message().find(m), std::string::npos) << "missing '" << m << "' in: " << st.message();
}

TEST(RuntimeValidate, ValidExecutableLoads) {
  std::string path;
  Status st = saveAndLoad(validExecutable(), path);
  EXPECT_TRUE(st.isOk()) << st.toString();
}

TEST(RuntimeValidate, WrongByteSize) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(1)->set_byte_size(44); },
                 {"buffer 1 'b'", "byte_size 44", "f32[3, 4]", "12 x 4"});
}

TEST(RuntimeValidate, ArenaOverflow) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(3)->set_arena_offset(e.arena_size()); },
                 {"buffer 3 't'", "outside the arena"});
  expectRejected([](proto::Executable &e) { e.set_arena_size(e.arena_size() - 4); },
                 {"buffer 3 't'", "outside the arena"});
}

TEST(RuntimeValidate, MisalignedOffset) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(0)->set_arena_offset(2); },
                 {"buffer 0 'a'", "arena_offset 2", "element size 4"});
}

TEST(RuntimeValidate, IdMustEqualIndex) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(2)->set_id(7); },
                 {"buffer 2 'c'", "id 7"});
}

TEST(RuntimeValidate, NegativeDimension) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(3)->set_shape(0, -8); },
                 {"buffer 3 't'", "negative dimension"});
}

TEST(RuntimeValidate, KernelArgumentOutOfRange) {
  expectRejected([](proto::Executable &e) {
    e.mutable_steps(1)->mutable_kernel_call()->set_args(1, 9);
  }, {"step 1 'mul@m.cpp:4'", "argument 1", "'scale'", "buffer 9", "4 buffers"});
}

TEST(RuntimeValidate, KernelArgumentCountMismatch) {
  expectRejected([](proto::Executable &e) { e.mutable_kernels(0)->set_num_args(3); },
                 {"step 1 'mul@m.cpp:4'", "passes 2 arguments", "'scale'", "takes 3"});
}

TEST(RuntimeValidate, KernelArgumentRedirectedToASmallerBufferIsRejected) {
  // The heap-corruption probe: a call's argument pointed at a valid but
  // smaller buffer (checksum recomputed). The kernel would write 8 floats
  // into the 6 of 'a'.
  expectRejected([](proto::Executable &e) {
    e.mutable_steps(1)->mutable_kernel_call()->set_args(1, 0);
  }, {"step 1 'mul@m.cpp:4'", "argument 1 of kernel 'scale'", "buffer 0 'a' (f32, 24 bytes)",
      "reads or writes f32 of 32 bytes"});
  expectRejected([](proto::Executable &e) {
    e.mutable_kernels(0)->mutable_args(1)->set_dtype(proto::I32);
  }, {"argument 1 of kernel 'scale'", "reads or writes i32 of 32 bytes"});
}

TEST(RuntimeValidate, KernelWithoutArgumentSpecsIsRejected) {
  expectRejected([](proto::Executable &e) { e.mutable_kernels(0)->clear_args(); },
                 {"step 1 'mul@m.cpp:4'", "kernel 0 'scale' describes 0 arguments but takes 2",
                  "recompile"});
}

TEST(RuntimeValidate, KernelIndexOutOfRange) {
  expectRejected([](proto::Executable &e) { e.mutable_steps(1)->mutable_kernel_call()->set_kernel(5); },
                 {"step 1", "kernel 5", "1 kernels"});
}

TEST(RuntimeValidate, KernelsWithoutLibrary) {
  expectRejected([](proto::Executable &e) { e.clear_kernel_library(); },
                 {"kernel_library is empty"});
}

TEST(RuntimeValidate, GemmSizeMismatch) {
  expectRejected([](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_k(4); },
                 {"step 0 'matmul@m.cpp:3'", "operand a", "buffer 0 'a'", "24 bytes"});
  expectRejected([](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_batch(2); },
                 {"step 0", "batch 2"});
}

TEST(RuntimeValidate, GemmOperandOutOfRangeAndDtype) {
  expectRejected([](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_b(40); },
                 {"step 0", "operand b", "buffer 40"});
  // An f16 gemm over f32 buffers: the operands must have the gemm's dtype.
  expectRejected([](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_dtype(proto::F16); },
                 {"step 0", "operand a is buffer 0 'a' of dtype f32; expected the gemm's f16"});
}

TEST(RuntimeValidate, Int8ActivationsNeedInt8Weights) {
  expectRejected([](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_a_quantize(true); },
                 {"step 0", "a_quantize / a_outlier_threshold are set but b is not int8"});
  expectRejected(
      [](proto::Executable &e) { e.mutable_steps(0)->mutable_gemm()->set_a_outlier_threshold(6.0f); },
      {"step 0", "int8 activations need int8 weights"});
}

TEST(RuntimeValidate, StepWithoutKind) {
  expectRejected([](proto::Executable &e) { e.add_steps()->set_label("empty step"); },
                 {"step 2 'empty step'", "neither"});
}

TEST(RuntimeValidate, BadAliases) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(2)->set_alias_of(3); },
                 {"buffer 2 'c'", "earlier buffer"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(3)->set_alias_of(0); },
                 {"buffer 3 't'", "32 bytes", "buffer 0 'a'", "24 bytes"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(1)->set_alias_of(0); },
                 {"buffer 1 'b'", "PARAMETER", "only TEMPORARY and OUTPUT"});
}

/// validExecutable() plus a STATE buffer 's' (f32[3, 4]) and an OUTPUT
/// 'b_new' (buffer 5) that updates parameter 'b' in place.
proto::Executable withUpdate() {
  proto::Executable exe = validExecutable();
  addBuffer(exe, "s", proto::STATE, {3, 4});
  uint32_t u = addBuffer(exe, "b_new", proto::OUTPUT, {3, 4});
  exe.mutable_buffers(u)->set_alias_of(1);
  exe.mutable_buffers(u)->set_updates(1);
  exe.add_outputs(u);
  return exe;
}

TEST(RuntimeValidate, UpdateOutputAliasingItsParameterLoads) {
  std::string path;
  Status st = saveAndLoad(withUpdate(), path);
  EXPECT_TRUE(st.isOk()) << st.toString();
  proto::Executable exe = withUpdate();
  exe.mutable_buffers(5)->set_alias_of(4); // the state instead of the parameter
  exe.mutable_buffers(5)->set_updates(4);
  EXPECT_TRUE(Executable(exe).validate().isOk()) << Executable(exe).validate().toString();
}

TEST(RuntimeValidate, MalformedUpdateAliases) {
  auto rejected = [](const std::function<void(proto::Executable &)> &damage,
                     const std::vector<std::string> &mentions) {
    proto::Executable exe = withUpdate();
    damage(exe);
    Status st = Executable(exe).validate();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.toString();
    for (const std::string &m : mentions)
      EXPECT_NE(st.message().find(m), std::string::npos) << "missing '" << m << "' in: "
                                                         << st.message();
  };
  // An output sharing a parameter's storage without saying it updates it.
  rejected([](proto::Executable &e) { e.mutable_buffers(5)->clear_updates(); },
           {"buffer 5 'b_new'", "aliasing PARAMETER", "without `updates`"});
  // Updates a parameter but its storage is elsewhere (a copy, not in place).
  rejected([](proto::Executable &e) {
    e.mutable_buffers(5)->clear_alias_of();
    e.mutable_buffers(5)->set_arena_offset(0);
  }, {"buffer 5 'b_new'", "has storage of its own", "alias_of = updates"});
  // Updates an INPUT.
  rejected([](proto::Executable &e) { e.mutable_buffers(5)->set_updates(0); },
           {"buffer 5 'b_new'", "buffer 0 'a'", "INPUT", "only PARAMETER and STATE"});
  // Out of range.
  rejected([](proto::Executable &e) { e.mutable_buffers(5)->set_updates(99); },
           {"buffer 5 'b_new'", "buffer 99", "out of range"});
  // Only OUTPUT buffers update.
  rejected([](proto::Executable &e) { e.mutable_buffers(5)->set_kind(proto::TEMPORARY); },
           {"buffer 5 'b_new'", "TEMPORARY", "only OUTPUT"});
  // Same bytes, other shape.
  rejected([](proto::Executable &e) {
    e.mutable_buffers(5)->clear_shape();
    e.mutable_buffers(5)->add_shape(4);
    e.mutable_buffers(5)->add_shape(3);
  }, {"buffer 5 'b_new'", "f32[4, 3]", "f32[3, 4]", "same dtype and shape"});
  // Two updates of one parameter.
  rejected([](proto::Executable &e) {
    uint32_t u = addBuffer(e, "b_new2", proto::OUTPUT, {3, 4});
    e.mutable_buffers(u)->set_alias_of(1);
    e.mutable_buffers(u)->set_updates(1);
  }, {"buffer 6 'b_new2'", "already updates"});
  // A GEMM writing a parameter directly.
  rejected([](proto::Executable &e) {
    uint32_t view = addBuffer(e, "s view", proto::TEMPORARY, {2, 4});
    proto::Buffer *s = e.mutable_buffers(4);
    s->clear_shape();
    s->add_shape(2);
    s->add_shape(4);
    s->set_byte_size(32);
    e.mutable_buffers(view)->set_alias_of(4);
    e.mutable_steps(0)->mutable_gemm()->set_c(view);
  }, {"step 0", "gemm output c", "STATE 's'", "only an update output"});
  // STATE needs a name.
  rejected([](proto::Executable &e) { e.mutable_buffers(4)->clear_name(); },
           {"buffer 4 ''", "STATE", "without a name"});
}

TEST(RuntimeValidate, ConstantDataSize) {
  expectRejected([](proto::Executable &e) {
    e.mutable_buffers(3)->set_kind(proto::CONSTANT);
    e.mutable_buffers(3)->set_data(std::string(12, '\0'));
  }, {"buffer 3 't'", "12 bytes of data", "byte_size = 32"});
}

TEST(RuntimeValidate, SplatConstantIsOneElement) {
  // Buffer 3 't' is f32 [8] (32 bytes): a splat holds exactly 4 bytes.
  expectRejected([](proto::Executable &e) {
    e.mutable_buffers(3)->set_kind(proto::CONSTANT);
    e.mutable_buffers(3)->set_splat(true);
    e.mutable_buffers(3)->set_data(std::string(32, '\0'));
  }, {"buffer 3 't'", "splat CONSTANT with 32 bytes", "one f32 element (4 bytes)"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(3)->set_splat(true); },
                 {"buffer 3 't'", "marked splat", "only a CONSTANT"});
}

TEST(RuntimeValidate, ConstantOverlap) {
  expectRejected([](proto::Executable &e) {
    e.mutable_buffers(3)->set_kind(proto::CONSTANT);
    e.mutable_buffers(3)->set_data(std::string(32, '\0'));
    e.mutable_buffers(2)->set_arena_offset(e.buffers(3).arena_offset());
  }, {"buffer 2 'c'", "overlaps", "CONSTANT buffer 3 't'"});
}

TEST(RuntimeValidate, DuplicateOrMissingNames) {
  expectRejected([](proto::Executable &e) { e.mutable_buffers(1)->set_name("a"); },
                 {"buffer 1 'a'", "used by another"});
  expectRejected([](proto::Executable &e) { e.mutable_buffers(0)->clear_name(); },
                 {"buffer 0 ''", "without a name"});
}

TEST(RuntimeValidate, UnknownTargetAndBadAlignment) {
  expectRejected([](proto::Executable &e) { e.set_target("tpu"); }, {"target 'tpu'", "cpu"});
  expectRejected([](proto::Executable &e) { e.set_arena_alignment(48); },
                 {"arena_alignment 48", "power of two"});
}

TEST(RuntimeValidate, OutputOutOfRange) {
  expectRejected([](proto::Executable &e) { e.add_outputs(17); }, {"output 1", "buffer 17"});
}

TEST(RuntimeValidate, OldFormatVersion) {
  expectRejected([](proto::Executable &e) { e.set_format_version(0); },
                 {"format_version 0", "recompile"});
}

TEST(RuntimeValidate, InMemorySourceIsNamed) {
  proto::Executable exe = validExecutable();
  exe.mutable_buffers(0)->set_byte_size(1);
  Status st = Executable(exe).validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'<memory>'"), std::string::npos) << st.message();
}

/// A one-GEMM executable for `target`: c[2,4] = a[2,3] x b[3,4], all of
/// `dtype` with `cCols` columns declared for c (4 matches the GEMM); with
/// `biasDtype` set, a bias epilogue reading bias[4] of that dtype.
proto::Executable narrowGemm(proto::DType dtype, const std::string &target, int64_t cCols = 4,
                             std::optional<proto::DType> biasDtype = std::nullopt) {
  proto::Executable exe = emptyExecutable("narrow");
  exe.set_target(target);
  uint32_t a = addBuffer(exe, "a", proto::INPUT, {2, 3}, dtype);
  uint32_t b = addBuffer(exe, "b", proto::PARAMETER, {3, 4}, dtype);
  uint32_t c = addBuffer(exe, "c", proto::OUTPUT, {2, cCols}, dtype);
  proto::Step *step = exe.add_steps();
  step->set_label("matmul@n.cpp:1");
  proto::Gemm *g = step->mutable_gemm();
  g->set_a(a), g->set_b(b), g->set_c(c);
  g->set_batch(1), g->set_m(2), g->set_n(4), g->set_k(3);
  g->set_alpha(1), g->set_dtype(dtype);
  if (biasDtype) {
    g->set_epilogue(proto::GEMM_EPILOGUE_BIAS);
    g->set_bias(addBuffer(exe, "bias", proto::PARAMETER, {4}, *biasDtype));
  }
  exe.add_outputs(c);
  return exe;
}

TEST(RuntimeValidate, NarrowGemmOnEveryTarget) {
  for (proto::DType dtype : {proto::BF16, proto::F16})
    for (const char *target : {"cuda", "cpu"}) {
      Status st = Executable(narrowGemm(dtype, target)).validate();
      EXPECT_TRUE(st.isOk()) << target << ": " << st.toString();
    }
  // A GEMM epilogue is cuBLASLt's: the CPU runs epilogue kernels instead.
  Status epilogue = Executable(narrowGemm(proto::BF16, "cpu", 4, proto::BF16)).validate();
  EXPECT_EQ(epilogue.code(), StatusCode::kInvalidArgument) << epilogue.toString();
  // The operands must have the gemm's dtype.
  proto::Executable mixed = narrowGemm(proto::BF16, "cuda");
  mixed.mutable_steps(0)->mutable_gemm()->set_dtype(proto::F16);
  Status st = Executable(mixed).validate();
  EXPECT_NE(st.message().find("operand a is buffer 0 'a' of dtype bf16; expected the gemm's f16"),
            std::string::npos)
      << st.message();
  proto::Executable ints = narrowGemm(proto::I32, "cuda");
  st = Executable(ints).validate();
  EXPECT_NE(st.message().find("gemm dtype is i32; expected f32, bf16 or f16"), std::string::npos)
      << st.message();
}

TEST(RuntimeValidate, NarrowGemmByteSizes) {
  // c as bf16 [2,8]: 32 bytes, what an f32 [2,4] would take; the GEMM needs 2*4*2 = 16.
  Status st = Executable(narrowGemm(proto::BF16, "cuda", /*cCols=*/8)).validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("operand c is buffer 2 'c' of 32 bytes; batch 1 x 2 x 4 bf16 "
                              "needs 16"),
            std::string::npos)
      << st.message();
  // The same shape in f32 is still 4 bytes an element.
  st = Executable(narrowGemm(proto::F32, "cuda", /*cCols=*/2)).validate();
  EXPECT_NE(st.message().find("of 16 bytes; batch 1 x 2 x 4 f32 needs 32"), std::string::npos)
      << st.message();
}

TEST(RuntimeValidate, GemmBiasIsF32OrTheGemmDtype) {
  for (proto::DType bias : {proto::F32, proto::BF16}) {
    Status st = Executable(narrowGemm(proto::BF16, "cuda", 4, bias)).validate();
    EXPECT_TRUE(st.isOk()) << dtypeName(bias) << ": " << st.toString();
  }
  Status f16Bias = Executable(narrowGemm(proto::BF16, "cuda", 4, proto::F16)).validate();
  EXPECT_NE(f16Bias.message().find("bias is buffer 3 'bias' of dtype f16 and 8 bytes; expected "
                                   "f32 [4] or bf16 [4]"),
            std::string::npos)
      << f16Bias.message();
  Status narrowBiasOnF32 = Executable(narrowGemm(proto::F32, "cuda", 4, proto::BF16)).validate();
  EXPECT_NE(narrowBiasOnF32.message().find("of dtype bf16 and 8 bytes; expected f32 [4]"),
            std::string::npos)
      << narrowBiasOnF32.message();
  EXPECT_EQ(narrowBiasOnF32.message().find(" or "), std::string::npos)
      << narrowBiasOnF32.message();
}

} // namespace
