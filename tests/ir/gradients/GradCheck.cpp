//===- GradCheck.cpp - finite-difference checks of weft-autodiff ----------===//
//
// This file implements the gradient checker of GradCheck.h: building the
// checked function, running weft-autodiff through a PassManager, and the
// central-difference comparison in the double-precision reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "ir/AttrNames.h"
#include "ir/gradients/Gradients.h"
#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;

namespace weft::test {

Value BodyBuilder::randomConstant(RankedTensorType type, double lo, double hi) {
  return constant(type, randomTensor(type, rng(), lo, hi).data);
}

Value BodyBuilder::constant(RankedTensorType type,
                            const std::vector<double> &values) {
  Type et = type.getElementType();
  DenseElementsAttr attr;
  if (et.isF32()) {
    std::vector<float> v(values.begin(), values.end());
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<float>(v));
  } else if (auto ft = dyn_cast<FloatType>(et)) {
    std::vector<APFloat> v;
    for (double x : values) {
      APFloat f(x);
      bool lost = false;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      v.push_back(f);
    }
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<APFloat>(v));
  } else if (et.isInteger(1)) {
    std::vector<bool> bits(values.begin(), values.end());
    llvm::SmallVector<bool> v(bits.begin(), bits.end());
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<bool>(v));
  } else {
    std::vector<APInt> v;
    for (double x : values)
      v.push_back(APInt(et.getIntOrFloatBitWidth(), (int64_t)x, true));
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<APInt>(v));
  }
  return b.create<ConstantOp>(loc, cast<ElementsAttr>(attr));
}

GradChecker::GradChecker() {
  DialectRegistry registry;
  registry.insert<WeftDialect, func::FuncDialect>();
  registerGradientInterfaces(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
}

RankedTensorType GradChecker::type(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape,
                               element ? element : Float32Type::get(&ctx));
}
Type GradChecker::f16() { return Float16Type::get(&ctx); }
Type GradChecker::bf16() { return BFloat16Type::get(&ctx); }
Type GradChecker::i64() { return IntegerType::get(&ctx, 64); }

OwningOpRef<ModuleOp> GradChecker::buildForward(ArrayRef<GradParam> params,
                                                const GradBody &body,
                                                uint64_t seed) {
  OpBuilder b(&ctx);
  Location loc = FileLineColLoc::get(&ctx, "gradcheck", 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> inputs;
  for (const GradParam &p : params)
    inputs.push_back(p.type);
  auto fn = b.create<func::FuncOp>(loc, "main", b.getFunctionType(inputs, {}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);
  BodyBuilder bb{b, loc, rng};
  SmallVector<Value> args(entry->getArguments());
  Value out = body(bb, args);
  auto outType = cast<RankedTensorType>(out.getType());
  Value weighted = b.create<MulOp>(loc, out, bb.randomConstant(outType));
  Value loss = weighted;
  if (outType.getRank() > 0) {
    SmallVector<int64_t> all(outType.getRank());
    std::iota(all.begin(), all.end(), 0);
    loss = b.create<ReduceOp>(loc, ReduceKind::Sum, weighted, all);
  }
  b.create<func::ReturnOp>(loc, loss);
  fn.setFunctionType(b.getFunctionType(inputs, {loss.getType()}));
  for (unsigned i = 0; i < params.size(); ++i)
    fn.setArgAttr(i, kParamAttr,
                  b.getStringAttr("p" + std::to_string(i)));
  fn.setResultAttr(0, kOutputAttr, b.getStringAttr("loss"));
  return module;
}

bool runAutodiff(ModuleOp module, std::string &diagnostics,
                 const std::string &lossName) {
  MLIRContext *ctx = module.getContext();
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d.getLocation() << ": " << d << "\n";
    for (Diagnostic &note : d.getNotes())
      os << "  note: " << note << "\n";
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  AutodiffPassOptions options;
  options.loss = lossName;
  pm.addPass(createAutodiffPass(options));
  return succeeded(pm.run(module));
}

void compareWithFiniteDifferences(
    const std::string &what, ModuleOp forward, ModuleOp grads,
    const std::vector<RefTensor> &args,
    const std::vector<std::pair<unsigned, std::string>> &paramArgs,
    unsigned lossIndex, GradTolerance tol, uint64_t seed) {
  auto fmain = forward.lookupSymbol<func::FuncOp>("main");
  auto gmain = grads.lookupSymbol<func::FuncOp>("main");
  ASSERT_TRUE(fmain && gmain) << what << ": no @main";
  std::vector<RefTensor> outs = evaluate(gmain, args);
  std::mt19937_64 rng(seed + 12345);
  for (const auto &[argIndex, name] : paramArgs) {
    std::optional<unsigned> resultIndex;
    for (unsigned r = 0; r < gmain.getNumResults(); ++r)
      if (auto tag = gmain.getResultAttrOfType<StringAttr>(
              r, kOutputAttr);
          tag && tag.getValue() == "grad:" + name)
        resultIndex = r;
    ASSERT_TRUE(resultIndex) << what << ": no output grad:" << name;
    const RefTensor &ad = outs[*resultIndex];
    ASSERT_EQ(ad.shape, args[argIndex].shape) << what << ": grad:" << name;

    std::vector<int64_t> elements(ad.numElements());
    std::iota(elements.begin(), elements.end(), 0);
    if ((int64_t)elements.size() > tol.maxElements) {
      std::shuffle(elements.begin(), elements.end(), rng);
      elements.resize(tol.maxElements);
    }
    std::vector<RefTensor> moved = args;
    double largest = 0.0;
    for (int64_t i : elements) {
      double x = args[argIndex].data[i];
      moved[argIndex].data[i] = x + tol.step;
      double up = evaluate(fmain, moved)[lossIndex].data[0];
      moved[argIndex].data[i] = x - tol.step;
      double down = evaluate(fmain, moved)[lossIndex].data[0];
      moved[argIndex].data[i] = x;
      double fd = (up - down) / (2.0 * tol.step);
      largest = std::max(largest, std::fabs(fd));
      EXPECT_LE(std::fabs(ad.data[i] - fd),
                tol.rel * std::max(tol.floor, std::fabs(fd)))
          << what << ": d loss / d " << name << "[" << i << "]: autodiff "
          << ad.data[i] << " vs central difference " << fd;
    }
    EXPECT_GT(largest, 0.0) << what << ": the loss does not depend on " << name
                            << ", so its check proves nothing";
  }
}

void GradChecker::check(const std::string &what, ArrayRef<GradParam> params,
                        const GradBody &body, uint64_t seed,
                        GradTolerance tol) {
  OwningOpRef<ModuleOp> forward = buildForward(params, body, seed);
  OwningOpRef<ModuleOp> grads = forward->clone();
  std::string diagnostics;
  ASSERT_TRUE(runAutodiff(*grads, diagnostics))
      << what << ": weft-autodiff failed:\n"
      << diagnostics;
  std::vector<RefTensor> args;
  std::vector<std::pair<unsigned, std::string>> paramArgs;
  for (unsigned i = 0; i < params.size(); ++i) {
    args.push_back(randomTensor(params[i].type, seed * 131 + i, params[i].lo,
                                params[i].hi));
    paramArgs.emplace_back(i, "p" + std::to_string(i));
  }
  compareWithFiniteDifferences(what, *forward, *grads, args, paramArgs, 0, tol,
                               seed);
}

std::vector<int64_t> randomShape(std::mt19937_64 &rng, int rank, int lo,
                                 int hi) {
  std::vector<int64_t> shape;
  for (int i = 0; i < rank; ++i)
    shape.push_back(lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1)));
  return shape;
}

} // namespace weft::test
