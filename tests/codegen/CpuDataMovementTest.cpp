//===- CpuDataMovementTest.cpp - data movement weft ops on the CPU --------===//
//
// This file tests the weft ops that move elements (reshape, transpose,
// broadcast, slice, concat, gather, iota, constant) compiled for the CPU
// against the reference evaluator, plus the output rules of the partition: a
// returned reshape, input, parameter or constant, and a value returned twice.
// Every result must match exactly: no arithmetic happens.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

namespace weft::test {
namespace {

const Tolerance kExact{0, 0};

std::string unaryOp(const std::string &in, const std::string &out, const std::string &op) {
  return "func.func @main(%x: " + in + ") -> " + out + " {\n  %r = " + op +
         "\n  return %r : " + out + "\n}\n";
}

TEST_F(CodegenTest, TransposeMatchesReference) {
  struct Case {
    std::vector<int64_t> shape, perm;
  } cases[] = {{{7, 33}, {1, 0}}, {{2, 3, 17}, {2, 0, 1}}, {{2, 3, 17}, {1, 0, 2}},
               {{1, 5, 1, 3}, {3, 2, 1, 0}}, {{128, 12, 64}, {1, 0, 2}}};
  for (const char *et : {"f32", "bf16", "i64", "i1"})
    for (const Case &c : cases) {
      std::vector<int64_t> out;
      std::string perm;
      for (int64_t p : c.perm) {
        out.push_back(c.shape[p]);
        perm += (perm.empty() ? "" : ", ") + std::to_string(p);
      }
      std::string in = tensorType(c.shape, et);
      check(unaryOp(in, tensorType(out, et),
                    "weft.transpose %x permutation = [" + perm + "] : " + in),
            1, {kExact}, {{-9, 9}});
    }
}

TEST_F(CodegenTest, BroadcastMatchesReference) {
  struct Case {
    std::vector<int64_t> in, dims, out;
  } cases[] = {{{33}, {1}, {7, 33}},          {{7}, {0}, {7, 33}},
               {{1, 33}, {0, 1}, {7, 33}},    {{}, {}, {3, 5}},
               {{7, 1}, {0, 2}, {7, 4, 5}},   {{768}, {1}, {128, 768}}};
  for (const Case &c : cases) {
    std::string dims;
    for (int64_t d : c.dims)
      dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    std::string in = tensorType(c.in, "f32"), out = tensorType(c.out, "f32");
    check(unaryOp(in, out, "weft.broadcast %x dims = [" + dims + "] : " + in + " -> " + out), 2,
          {kExact});
  }
}

TEST_F(CodegenTest, SliceMatchesReference) {
  std::string in = tensorType({9, 33}, "f32");
  check(unaryOp(in, tensorType({3, 11}, "f32"),
                "weft.slice %x start = [1, 2] limit = [9, 33] strides = [3, 3] : " + in),
        3, {kExact});
  check(unaryOp(in, tensorType({9, 1}, "f32"),
                "weft.slice %x start = [0, 32] limit = [9, 33] strides = [1, 1] : " + in),
        4, {kExact});
  std::string qkv = tensorType({128, 2304}, "f32");
  check(unaryOp(qkv, tensorType({128, 768}, "f32"),
                "weft.slice %x start = [0, 768] limit = [128, 1536] strides = [1, 1] : " + qkv),
        5, {kExact});
}

TEST_F(CodegenTest, ConcatMatchesReference) {
  for (int64_t dim : {0, 1}) {
    std::vector<int64_t> a = {3, 7}, b = {3, 7}, c = {3, 7}, out = {3, 7};
    a[dim] = 2;
    b[dim] = 5;
    c[dim] = 1;
    out[dim] = 8;
    std::string at = tensorType(a, "i32"), bt = tensorType(b, "i32"), ct = tensorType(c, "i32");
    std::string ot = tensorType(out, "i32");
    check("func.func @main(%a: " + at + ", %b: " + bt + ", %c: " + ct + ") -> " + ot +
              " {\n  %r = weft.concat %a, %b, %c dim = " + std::to_string(dim) + " : " + at +
              ", " + bt + ", " + ct + "\n  return %r : " + ot + "\n}\n",
          6, {kExact}, {{-99, 99}, {-99, 99}, {-99, 99}});
  }
}

TEST_F(CodegenTest, GatherMatchesReference) {
  for (const char *it : {"i32", "i64"}) {
    std::string table = tensorType({50, 33}, "f32"), idx = tensorType({7}, it);
    check("func.func @main(%t: " + table + ", %i: " + idx + ") -> tensor<7x33xf32> {\n"
              "  %r = weft.gather %t[%i] : " + table + ", " + idx +
              "\n  return %r : tensor<7x33xf32>\n}\n",
          7, {kExact}, {{-1, 1}, {0, 50}});
    std::string idx2 = tensorType({2, 3}, it), table3 = tensorType({10, 4, 5}, "bf16");
    check("func.func @main(%t: " + table3 + ", %i: " + idx2 + ") -> tensor<2x3x4x5xbf16> {\n"
              "  %r = weft.gather %t[%i] : " + table3 + ", " + idx2 +
              "\n  return %r : tensor<2x3x4x5xbf16>\n}\n",
          8, {kExact}, {{-1, 1}, {0, 10}});
    // A bf16 table's rows widened after the gather (weft-mixed-precision's
    // store-parameters on an embedding: GPT-2's tied wte).
    std::string wide = tensorType({50, 33}, "bf16");
    check("func.func @main(%t: " + wide + ", %i: " + idx + ") -> tensor<7x33xf32> {\n"
              "  %r = weft.gather %t[%i] : " + wide + ", " + idx +
              "\n  %w = weft.cast %r : tensor<7x33xbf16> -> tensor<7x33xf32>\n  return %w : tensor<7x33xf32>\n}\n",
          10, {kExact}, {{-1, 1}, {0, 50}});
  }
}

TEST_F(CodegenTest, IotaMatchesReference) {
  for (const char *et : {"f32", "i64", "i32", "bf16", "i1"})
    for (int64_t dim : {0, 1}) {
      std::string t = tensorType({7, 33}, et);
      check("func.func @main() -> " + t + " {\n  %r = weft.iota dim = " + std::to_string(dim) +
                " : " + t + "\n  return %r : " + t + "\n}\n",
            9, {kExact});
    }
}

TEST_F(CodegenTest, ReshapesAndReturnedArgumentsAndConstants) {
  // Outputs that are a reshape of a temporary (an OUTPUT alias), an input, a
  // parameter, a constant, and the same value twice (copy kernels).
  check(R"(
func.func @main(%x: tensor<4x6xf32> {weft.input = "x"}, %w: tensor<6xf32> {weft.param = "w"})
    -> (tensor<24xf32> {weft.output = "flat"}, tensor<4x6xf32> {weft.output = "x_again"},
        tensor<6xf32> {weft.output = "w_again"}, tensor<2x2xi1> {weft.output = "mask"},
        tensor<4x6xf32> {weft.output = "y"}, tensor<4x6xf32> {weft.output = "y_again"},
        tensor<2x3x4xf32> {weft.output = "y3"}) {
  %c = weft.constant dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  %h = weft.constant dense<0.5> : tensor<4x6xf32>
  %wb = weft.broadcast %w dims = [1] : tensor<6xf32> -> tensor<4x6xf32>
  %y0 = weft.mul %x, %wb : tensor<4x6xf32>
  %y = weft.add %y0, %h : tensor<4x6xf32>
  %flat = weft.reshape %y : tensor<4x6xf32> -> tensor<24xf32>
  %y3 = weft.reshape %flat : tensor<24xf32> -> tensor<2x3x4xf32>
  return %flat, %x, %w, %c, %y, %y, %y3
      : tensor<24xf32>, tensor<4x6xf32>, tensor<6xf32>, tensor<2x2xi1>, tensor<4x6xf32>,
        tensor<4x6xf32>, tensor<2x3x4xf32>
}
)",
        10, {{1e-7, 0}}); // x * w + 0.5 rounds twice in f32
}

TEST_F(CodegenTest, SplatConstantsAreStoredAsOneElement) {
  // A 64x64 splat is 4 bytes in the Executable (the runtime repeats it); a
  // non-splat keeps all its bytes; both come back whole.
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(R"(
func.func @main() -> (tensor<64x64xf32>, tensor<2xi32>) {
  %s = weft.constant dense<2.5> : tensor<64x64xf32>
  %v = weft.constant dense<[7, -3]> : tensor<2xi32>
  return %s, %v : tensor<64x64xf32>, tensor<2xi32>
}
)");
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  int splats = 0, dense = 0;
  for (const proto::Buffer &b : exe->buffers()) {
    if (b.kind() != proto::CONSTANT)
      continue;
    if (b.splat()) {
      ++splats;
      EXPECT_EQ(b.data().size(), 4u);
      EXPECT_EQ(b.byte_size(), 64u * 64 * 4);
    } else {
      ++dense;
      EXPECT_EQ(b.data().size(), b.byte_size());
    }
  }
  EXPECT_EQ(splats, 1);
  EXPECT_EQ(dense, 1);
  auto ex = rt::Executor::create(rt::Executable(*exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  ASSERT_TRUE((*ex)->run().isOk());
  auto s = (*ex)->output(0);
  ASSERT_TRUE(s.isOk());
  for (int64_t i = 0; i < s->numElements(); ++i)
    ASSERT_EQ(s->data<float>()[i], 2.5f) << i;
  auto v = (*ex)->output(1);
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->data<int32_t>()[0], 7);
  EXPECT_EQ(v->data<int32_t>()[1], -3);
}

TEST_F(CodegenTest, ReshapeOfAnInputFeedsAGemm) {
  check(R"(
func.func @main(%x: tensor<2x3x8xf32>, %w: tensor<8x5xf32>) -> tensor<6x5xf32> {
  %x2 = weft.reshape %x : tensor<2x3x8xf32> -> tensor<6x8xf32>
  %y = weft.matmul %x2, %w : tensor<6x8xf32>, tensor<8x5xf32>
  return %y : tensor<6x5xf32>
}
)",
        11, {{1e-6, 1e-6}});
}

} // namespace
} // namespace weft::test
