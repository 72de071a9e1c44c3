//===- CollectiveGradTest.cpp - VJPs of the collectives -------------------===//
//
// This file tests the gradient models of the collective ops
// (ir/gradients/GradientsCollective.cpp) numerically on a simulated mesh
// (evaluateSpmd): each op's VJP is built through GradientOpInterface into a
// function returning (y, dx) for inputs (x, dy), and
//   - the linear collectives satisfy sum_r <dx_r, x_r> == sum_r <dy_r, y_r>
//     (the VJP is the transpose of the op);
//   - all_reduce / reduce_scatter max and min match central finite
//     differences of L = sum_r <dy_r, y_r>, and split ties evenly;
//   - sharding_constraint passes the cotangent through its own hint.
//
//===----------------------------------------------------------------------===//

#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/evaluator/SpmdEvaluator.h"
#include "ir/gradients/Gradients.h"
#include "ir/gradients/GradientInterface.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace weft::test {
namespace {

class CollectiveGrad : public ::testing::Test {
protected:
  CollectiveGrad() {
    DialectRegistry registry;
    registry.insert<WeftDialect, func::FuncDialect>();
    registerGradientInterfaces(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  /// Parses `module attributes {weft.mesh = MESH} { @f(%x: T, %dy: R) }`
  /// whose body is `%y = OP` and rewrites it to return (y, vjp(dy)).
  func::FuncOp build(const std::string &mesh, const std::string &xType,
                     const std::string &opText, const std::string &yType) {
    std::string src = "module attributes {weft.mesh = " + mesh + "} {\n" +
                      "func.func @f(%x: " + xType + ", %dy: " + yType + ") -> (" + yType +
                      ", " + xType + ") {\n  %y = " + opText + "\n  return %y, %x : " + yType +
                      ", " + xType + "\n}\n}";
    module = parseSourceString<ModuleOp>(src, &ctx, "test.mlir");
    if (!module) {
      ADD_FAILURE() << "cannot parse:\n" << src;
      return nullptr;
    }
    auto f = *module->getOps<func::FuncOp>().begin();
    auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
    Operation *op = ret.getOperand(0).getDefiningOp();
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    SmallVector<Value> cotangents;
    Value dy = f.getArgument(1);
    if (failed(cast<GradientOpInterface>(op).buildVjp(b, {dy}, {true}, cotangents))) {
      ADD_FAILURE() << "no VJP for " << opText;
      return nullptr;
    }
    EXPECT_EQ(cotangents.size(), 1u);
    ret->setOperand(1, cotangents[0]);
    EXPECT_TRUE(succeeded(verify(*module)));
    return f;
  }

  /// Random (x, dy) per rank for `f`'s argument types.
  std::vector<std::vector<RefTensor>> randomArgs(func::FuncOp f, uint64_t seed) {
    std::vector<std::vector<RefTensor>> args;
    for (int64_t r = 0; r < getMesh(f).numDevices(); ++r) {
      args.emplace_back();
      for (auto [i, t] : llvm::enumerate(f.getArgumentTypes()))
        args.back().push_back(randomTensor(cast<RankedTensorType>(t), seed * 100 + r * 10 + i));
    }
    return args;
  }

  static double dot(const RefTensor &a, const RefTensor &b) {
    double s = 0;
    for (size_t i = 0; i < a.data.size(); ++i)
      s += a.data[i] * b.data[i];
    return s;
  }

  /// sum_r <dx_r, x_r> against sum_r <dy_r, y_r>.
  void checkTranspose(const std::string &mesh, const std::string &xType,
                      const std::string &opText, const std::string &yType) {
    SCOPED_TRACE(mesh + ": " + opText);
    func::FuncOp f = build(mesh, xType, opText, yType);
    ASSERT_TRUE(f);
    for (uint64_t seed : {1, 2}) {
      auto args = randomArgs(f, seed);
      auto out = evaluateSpmd(f, getMesh(f), args);
      double lhs = 0, rhs = 0;
      for (size_t r = 0; r < out.size(); ++r) {
        lhs += dot(out[r][1], args[r][0]);
        rhs += dot(args[r][1], out[r][0]);
      }
      EXPECT_NEAR(lhs, rhs, 1e-9 * std::max(1.0, std::abs(rhs)));
      EXPECT_NE(rhs, 0.0);
    }
  }

  /// dx against central differences of L = sum_r <dy_r, y_r>.
  void checkFiniteDifferences(const std::string &mesh, const std::string &xType,
                              const std::string &opText, const std::string &yType) {
    SCOPED_TRACE(mesh + ": " + opText);
    func::FuncOp f = build(mesh, xType, opText, yType);
    ASSERT_TRUE(f);
    auto args = randomArgs(f, 7);
    auto out = evaluateSpmd(f, getMesh(f), args);
    auto loss = [&](const std::vector<std::vector<RefTensor>> &a) {
      auto o = evaluateSpmd(f, getMesh(f), a);
      double s = 0;
      for (size_t r = 0; r < o.size(); ++r)
        s += dot(a[r][1], o[r][0]);
      return s;
    };
    const double h = 1e-6;
    for (size_t r = 0; r < args.size(); ++r)
      for (size_t e = 0; e < args[r][0].data.size(); ++e) {
        auto plus = args, minus = args;
        plus[r][0].data[e] += h;
        minus[r][0].data[e] -= h;
        double fd = (loss(plus) - loss(minus)) / (2 * h);
        EXPECT_NEAR(out[r][1].data[e], fd, 1e-6) << "rank " << r << " element " << e;
      }
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
};

const char *kMesh2 = "#weft.mesh<x = 2>";
const char *kMesh2x4 = "#weft.mesh<dp = 2, tp = 4>";

TEST_F(CollectiveGrad, AllReduceSum) {
  checkTranspose(kMesh2, "tensor<3x4xf32>", "weft.all_reduce sum %x axes = [\"x\"] : tensor<3x4xf32>",
                 "tensor<3x4xf32>");
  checkTranspose(kMesh2x4, "tensor<3x4xf32>",
                 "weft.all_reduce sum %x axes = [\"tp\"] : tensor<3x4xf32>", "tensor<3x4xf32>");
}

TEST_F(CollectiveGrad, AllGatherAndReduceScatter) {
  for (const char *mesh : {kMesh2, kMesh2x4}) {
    std::string axes = mesh == kMesh2 ? "[\"x\"]" : "[\"dp\", \"tp\"]";
    std::string g = mesh == kMesh2 ? "2" : "8";
    checkTranspose(mesh, "tensor<2x3xf32>",
                   "weft.all_gather %x axes = " + axes + " dim = 1 : tensor<2x3xf32> -> tensor<2x" +
                       std::to_string(3 * std::stoi(g)) + "xf32>",
                   "tensor<2x" + std::to_string(3 * std::stoi(g)) + "xf32>");
    checkTranspose(mesh, "tensor<16x3xf32>",
                   "weft.reduce_scatter sum %x axes = " + axes + " dim = 0 : tensor<16x3xf32> -> tensor<" +
                       std::to_string(16 / std::stoi(g)) + "x3xf32>",
                   "tensor<" + std::to_string(16 / std::stoi(g)) + "x3xf32>");
  }
}

TEST_F(CollectiveGrad, AllToAll) {
  checkTranspose(kMesh2x4, "tensor<8x4xf32>",
                 "weft.all_to_all %x axes = [\"tp\"] split_dim = 0 concat_dim = 1 : tensor<8x4xf32> "
                 "-> tensor<2x16xf32>",
                 "tensor<2x16xf32>");
  checkTranspose(kMesh2x4, "tensor<8x4xf32>",
                 "weft.all_to_all %x axes = [\"tp\", \"dp\"] split_dim = 0 concat_dim = 0 : "
                 "tensor<8x4xf32> -> tensor<8x4xf32>",
                 "tensor<8x4xf32>");
}

TEST_F(CollectiveGrad, CollectivePermute) {
  checkTranspose(kMesh2x4, "tensor<3xf32>",
                 "weft.collective_permute %x axes = [\"tp\"] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] "
                 ": tensor<3xf32>",
                 "tensor<3xf32>");
  // Index 3 receives nothing (zeros) and index 0 sends nothing.
  checkTranspose(kMesh2x4, "tensor<3xf32>",
                 "weft.collective_permute %x axes = [\"tp\"] pairs = [[1, 0], [2, 1]] : tensor<3xf32>",
                 "tensor<3xf32>");
}

TEST_F(CollectiveGrad, MaxMinMatchFiniteDifferences) {
  for (std::string kind : {"max", "min"}) {
    checkFiniteDifferences(kMesh2x4, "tensor<2x2xf32>",
                           "weft.all_reduce " + kind + " %x axes = [\"tp\"] : tensor<2x2xf32>",
                           "tensor<2x2xf32>");
    checkFiniteDifferences(kMesh2x4, "tensor<4x2xf32>",
                           "weft.reduce_scatter " + kind +
                               " %x axes = [\"tp\"] dim = 0 : tensor<4x2xf32> -> tensor<1x2xf32>",
                           "tensor<1x2xf32>");
  }
}

TEST_F(CollectiveGrad, MaxSplitsTiesEvenly) {
  func::FuncOp f = build(kMesh2, "tensor<2xf32>",
                         "weft.all_reduce max %x axes = [\"x\"] : tensor<2xf32>", "tensor<2xf32>");
  ASSERT_TRUE(f);
  // Element 0 ties (5 on both ranks); element 1 has its max on rank 1.
  std::vector<std::vector<RefTensor>> args = {
      {RefTensor{{2}, {5, 1}}, RefTensor{{2}, {1, 10}}},
      {RefTensor{{2}, {5, 2}}, RefTensor{{2}, {3, 30}}}};
  auto out = evaluateSpmd(f, getMesh(f), args);
  EXPECT_EQ(out[0][1].data, (std::vector<double>{2, 0}));
  EXPECT_EQ(out[1][1].data, (std::vector<double>{2, 40}));
}

TEST_F(CollectiveGrad, ShardingConstraintKeepsItsHint) {
  func::FuncOp f = build(kMesh2x4, "tensor<8x4xf32>",
                         "weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}, {tp}]>} : "
                         "tensor<8x4xf32>",
                         "tensor<8x4xf32>");
  ASSERT_TRUE(f);
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  auto hint = ret.getOperand(1).getDefiningOp<ShardingConstraintOp>();
  ASSERT_TRUE(hint);
  EXPECT_EQ(hint.getInput(), f.getArgument(1));
  EXPECT_EQ(hint.getSharding(), ret.getOperand(0).getDefiningOp<ShardingConstraintOp>().getSharding());
}

TEST_F(CollectiveGrad, AxisIndexHasNoOperandsToDifferentiate) {
  OpBuilder b(&ctx);
  auto m = ModuleOp::create(b.getUnknownLoc());
  m->setAttr("weft.mesh", MeshAttr::get(&ctx, {StringAttr::get(&ctx, "x")}, {2}));
  b.setInsertionPointToEnd(m.getBody());
  auto index = b.create<AxisIndexOp>(b.getUnknownLoc(), ArrayRef<StringAttr>{StringAttr::get(&ctx, "x")});
  SmallVector<Value> cotangents;
  EXPECT_TRUE(succeeded(cast<GradientOpInterface>(index.getOperation())
                            .buildVjp(b, {Value()}, {}, cotangents)));
  EXPECT_TRUE(cotangents.empty());
  m->erase();
}

} // namespace
} // namespace weft::test
