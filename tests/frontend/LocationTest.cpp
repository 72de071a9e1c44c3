//===- LocationTest.cpp - source locations, scopes and argument tags ------===//
//
// This file implements tests that every op and argument built by the DSL
// carries the C++ line that created it (call-site locations inside nn
// modules), that name scopes compose parameter names, and that inputs,
// params and outputs are tagged on the function.
//
//===----------------------------------------------------------------------===//

#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Linear.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"

#include <gtest/gtest.h>

using namespace weft;

namespace {

/// The file:line of a FileLineColLoc (or "" for other locations).
std::string fileLine(mlir::Location loc) {
  auto fl = mlir::dyn_cast<mlir::FileLineColLoc>(loc);
  if (!fl)
    return "";
  return fl.getFilename().str() + ":" + std::to_string(fl.getLine());
}

std::string here(int line) { return std::string(__FILE__) + ":" + std::to_string(line); }

mlir::Location locOf(const Tensor &t) {
  return t.value().getDefiningOp()->getLoc();
}

TEST(FrontendLocations, OpLocationIsTheCallingLine) {
  Program p;
  Tensor a = p.input("a", {8, 16});
  Tensor w = p.param("w", {4, 16});
  const int line = __LINE__ + 1;
  Tensor y = matmul(a, w, false, true);
  EXPECT_EQ(fileLine(locOf(y)), here(line));
  const int line2 = __LINE__ + 1;
  Tensor z = y * 2.0;
  EXPECT_EQ(fileLine(locOf(z)), here(line2));
  // The splat constant for the scalar is located at the same line.
  EXPECT_EQ(fileLine(z.value().getDefiningOp()->getOperand(1).getDefiningOp()->getLoc()),
            here(line2));
  const int line3 = __LINE__ + 1;
  Tensor s = softmax(z);
  EXPECT_EQ(fileLine(locOf(s)), here(line3));
}

TEST(FrontendLocations, ArgumentsCarryTheirLines) {
  Program p;
  const int line = __LINE__ + 1;
  Tensor x = p.input("x", {2});
  auto arg = mlir::cast<mlir::BlockArgument>(x.value());
  EXPECT_EQ(fileLine(arg.getLoc()), here(line));
}

TEST(FrontendLocations, ModuleOpsGetCallSiteLocations) {
  Program p;
  nn::Linear fc(p, "fc", 16, 8, nn::LinearOptions{nn::WeightLayout::OutIn});
  Tensor x = p.input("x", {4, 16});
  const int line = __LINE__ + 1;
  Tensor y = fc(x);
  auto cs = mlir::dyn_cast<mlir::CallSiteLoc>(locOf(y));
  ASSERT_TRUE(cs);
  EXPECT_EQ(fileLine(cs.getCaller()), here(line));
  EXPECT_NE(fileLine(cs.getCallee()).find("frontend/nn/Linear.cpp:"),
            std::string::npos);
  // Operand 0 of the bias add is the matmul, built in Linear.cpp too.
  auto *mm = y.value().getDefiningOp()->getOperand(0).getDefiningOp();
  EXPECT_EQ(mm->getName().getStringRef(), "weft.matmul");
  EXPECT_TRUE(mm->hasAttr("transpose_rhs"));
}

TEST(FrontendLocations, ScopesComposeParameterNames) {
  Program p;
  {
    Scope h = p.scope("h.0");
    Scope attn = p.scope("attn");
    Scope c = p.scope("c_attn");
    p.param("weight", {4, 12});
    EXPECT_EQ(p.scopedName("bias"), "h.0.attn.c_attn.bias");
  }
  p.param("top", {3}, Init::ones());
  {
    Scope blk = p.scope("blk");
    nn::Linear fc(p, "mlp.c_fc", 4, 8, nn::LinearOptions{nn::WeightLayout::InOut});
  }
  const std::vector<ParamSpec> &ps = p.params();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0].name, "h.0.attn.c_attn.weight");
  EXPECT_EQ(ps[0].shape, (Shape{4, 12}));
  EXPECT_EQ(ps[0].init.kind, Init::Kind::Normal);
  EXPECT_DOUBLE_EQ(ps[0].init.value, 0.02);
  EXPECT_EQ(ps[1].name, "top");
  EXPECT_EQ(ps[1].init.kind, Init::Kind::Constant);
  EXPECT_DOUBLE_EQ(ps[1].init.value, 1.0);
  EXPECT_EQ(ps[2].name, "blk.mlp.c_fc.weight");
  EXPECT_EQ(ps[2].shape, (Shape{4, 8}));
  EXPECT_EQ(ps[3].name, "blk.mlp.c_fc.bias");
  EXPECT_EQ(ps[3].shape, (Shape{8}));
  EXPECT_DOUBLE_EQ(ps[3].init.value, 0.0);
}

TEST(FrontendLocations, FunctionArgumentsAndResultsAreTagged) {
  Program p("forward");
  Tensor x = p.input("x", {2, 3});
  Tensor w = p.param("w", {3}, Init::zeros(), DType::F16);
  p.output("y", x + cast(w, DType::F32));
  p.output("n", reduce_sum(x, {0, 1}));
  EXPECT_EQ(p.inputNames(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(p.outputNames(), (std::vector<std::string>{"y", "n"}));
  mlir::ModuleOp m = p.module();
  auto f = *m.getOps<mlir::func::FuncOp>().begin();
  EXPECT_EQ(f.getSymName(), "forward");
  ASSERT_EQ(f.getNumArguments(), 2u);
  ASSERT_EQ(f.getNumResults(), 2u);
  auto str = [](mlir::Attribute a) {
    return a ? mlir::cast<mlir::StringAttr>(a).getValue().str() : "<none>";
  };
  EXPECT_EQ(str(f.getArgAttr(0, "weft.input")), "x");
  EXPECT_EQ(str(f.getArgAttr(1, "weft.param")), "w");
  EXPECT_EQ(str(f.getResultAttr(0, "weft.output")), "y");
  EXPECT_EQ(str(f.getResultAttr(1, "weft.output")), "n");
  auto r1 = mlir::cast<mlir::RankedTensorType>(f.getResultTypes()[1]);
  EXPECT_EQ(r1.getRank(), 0);
  EXPECT_TRUE(mlir::cast<mlir::RankedTensorType>(f.getArgumentTypes()[1])
                  .getElementType()
                  .isF16());
  EXPECT_EQ(w.dtype(), DType::F16);
  EXPECT_EQ(x.rank(), 2);
  EXPECT_EQ(x.dim(-1), 3);
}

} // namespace
