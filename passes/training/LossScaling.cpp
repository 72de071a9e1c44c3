//===- LossScaling.cpp - the weft-loss-scaling pass -----------------------===//
//
// This file implements weft-loss-scaling, the second half of f16 mixed
// precision: after weft-mixed-precision (loss-scaling), weft-autodiff (of
// "scaled_loss") and weft-optimizer (keep-gradients) it unscales the
// gradients before the optimizer reads them, skips the whole update when a
// gradient is not finite, and adjusts the dynamic loss scale: halve it on a
// skipped step, double it after growth-interval finite steps in a row.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/gradients/GradientUtils.h"
#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace weft {
#define GEN_PASS_DEF_LOSSSCALINGPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kShiftName = "amp.loss_scale_log2";
constexpr llvm::StringLiteral kGoodStepsName = "amp.good_steps";

struct LossScalingPass : weft::impl::LossScalingPassBase<LossScalingPass> {
  using LossScalingPassBase::LossScalingPassBase;

  /// 1. Find the input "amp.loss_scale_log2" (s), the outputs "loss_scale"
  ///    (S) and "scaled_loss", the "grad:<param>" outputs and the
  ///    "weft.update" results; reject a function without them.
  /// 2. Unscale: each gradient g is replaced, for every reader (the
  ///    optimizer's update and clipping), by g * (1 / S).
  /// 3. finite = (sum over all gradients of sum(g * 0) == 0): x * 0 is 0 for
  ///    a finite x and NaN for inf or NaN.
  /// 4. Every update becomes select(finite, new, old), old being the
  ///    parameter or state argument of the same name (a skipped step leaves
  ///    parameters and optimizer state unchanged).
  /// 5. The scale: good' = finite ? good + 1 : 0; when good' reaches
  ///    growth-interval, s' = s + 1 and good' = 0; when not finite,
  ///    s' = s - 1. s and good become state (`weft.state`, zero at start, so
  ///    the first scale is 2^init-scale-log2 of weft-mixed-precision).
  /// 6. Results: drop "scaled_loss" and, unless keep-gradients, the
  ///    gradients; append the updates of s and good.
  void runOnOperation() override {
    func::FuncOp main = weft::lookupFunctionOrError(
        getOperation(), "weft-loss-scaling", function, "pass function=<name>");
    if (!main)
      return signalPassFailure();
    if (growthInterval < 1) {
      main.emitError("weft-loss-scaling: growth-interval must be >= 1, got ")
          << std::to_string(growthInterval) << "; pass growth-interval=N with N >= 1";
      return signalPassFailure();
    }
    if (failed(transform(main)))
      signalPassFailure();
  }

private:
  LogicalResult transform(func::FuncOp main) {
    MLIRContext *ctx = &getContext();
    Block &body = main.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(ctx);

    // 1. What weft-mixed-precision, weft-autodiff and weft-optimizer left.
    int shiftIndex = -1;
    llvm::StringMap<BlockArgument> olds;
    for (unsigned i = 0; i < main.getNumArguments(); ++i) {
      if (auto in = main.getArgAttrOfType<StringAttr>(i, weft::kInputAttr);
          in && in.getValue() == kShiftName)
        shiftIndex = static_cast<int>(i);
      for (StringRef attr : {StringRef(weft::kParamAttr), StringRef(weft::kStateAttr)})
        if (auto name = main.getArgAttrOfType<StringAttr>(i, attr))
          olds[name.getValue()] = main.getArgument(i);
    }
    Value scale;
    int scaledIndex = -1;
    SmallVector<unsigned> gradIndices, updateIndices;
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      if (main.getResultAttr(i, weft::kUpdateAttr)) {
        updateIndices.push_back(i);
        continue;
      }
      auto tag = main.getResultAttrOfType<StringAttr>(i, weft::kOutputAttr);
      if (!tag)
        continue;
      if (tag.getValue() == "loss_scale")
        scale = ret.getOperand(i);
      else if (tag.getValue() == "scaled_loss")
        scaledIndex = static_cast<int>(i);
      else if (tag.getValue().starts_with("grad:"))
        gradIndices.push_back(i);
    }
    if (shiftIndex < 0 || !scale || scaledIndex < 0)
      return main.emitOpError("has no loss scale (input 'amp.loss_scale_log2', outputs "
                              "'loss_scale' and 'scaled_loss'); run weft-mixed-precision "
                              "with loss-scaling before weft-autodiff");
    if (gradIndices.empty() || updateIndices.empty())
      return main.emitOpError("has no gradient outputs or no updates; run weft-optimizer "
                              "with keep-gradients before weft-loss-scaling");
    auto scalar = RankedTensorType::get({}, b.getF32Type());

    // 2. Unscale each gradient where it is defined.
    weft::grad::Emitter top(b, main.getLoc());
    b.setInsertionPointAfterValue(scale);
    Value inverse = top.div(top.splat(scalar, 1.0), scale);
    SmallVector<Value> unscaled;
    for (unsigned i : gradIndices) {
      Value g = ret.getOperand(i);
      Operation *def = g.getDefiningOp();
      if (def && inverse.getDefiningOp()->isBeforeInBlock(def))
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointAfter(inverse.getDefiningOp());
      auto type = weft::grad::typeOf(g);
      weft::grad::Emitter e(b, g.getLoc());
      Value inv = inverse;
      if (!type.getElementType().isF32())
        inv = e.cast(inv, type.getElementType());
      Value u = e.mul(g, type.getRank() == 0 ? inv : e.broadcast(inv, type, {}));
      g.replaceAllUsesExcept(u, u.getDefiningOp());
      unscaled.push_back(u);
    }

    // 3. All gradients finite?
    b.setInsertionPoint(ret);
    weft::grad::Emitter e(b, main.getLoc());
    Value zeroSum;
    for (Value u : unscaled) {
      Value v = u;
      if (!weft::grad::typeOf(v).getElementType().isF32())
        v = e.cast(v, b.getF32Type());
      SmallVector<int64_t> all;
      for (int64_t d = 0; d < weft::grad::typeOf(v).getRank(); ++d)
        all.push_back(d);
      Value s = e.reduceSum(e.scale(v, 0.0), all);
      zeroSum = zeroSum ? e.add(zeroSum, s) : s;
    }
    Value finite = e.compareScalar(weft::CompareDirection::EQ, zeroSum, 0.0);

    // 4. Skip the update of every parameter and state when not finite.
    SmallVector<Value> results(ret.getOperands());
    for (unsigned i : updateIndices) {
      StringRef name = main.getResultAttrOfType<StringAttr>(i, weft::kUpdateAttr).getValue();
      auto it = olds.find(name);
      if (it == olds.end())
        return main.emitOpError("has the update '")
               << name << "' of no parameter or state argument; weft-loss-scaling "
                                "must run right after weft-optimizer";
      auto type = weft::grad::typeOf(results[i]);
      Value cond = type.getRank() == 0
                       ? finite
                       : e.broadcast(finite, RankedTensorType::get(type.getShape(),
                                                                   b.getI1Type()), {});
      results[i] = e.select(cond, results[i], it->second);
    }

    // 5. The scale's state.
    BlockArgument shift = main.getArgument(shiftIndex);
    main.removeArgAttr(shiftIndex, weft::kInputAttr);
    main.setArgAttr(shiftIndex, weft::kStateAttr, b.getStringAttr(kShiftName));
    unsigned goodIndex = main.getNumArguments();
    main.insertArgument(goodIndex, scalar,
                        weft::tagAttrs(ctx, weft::kStateAttr, kGoodStepsName),
                        main.getLoc());
    Value good = main.getArgument(goodIndex);
    Value zero = e.splat(scalar, 0.0), one = e.splat(scalar, 1.0);
    Value counted = e.add(good, one);
    Value grow = e.compareScalar(weft::CompareDirection::GE, counted,
                                 static_cast<double>(growthInterval));
    Value newGood = e.select(finite, e.select(grow, zero, counted), zero);
    Value newShift =
        e.select(finite, e.add(shift, e.select(grow, one, zero)), e.sub(shift, one));

    // 6. The results.
    SmallVector<Value> kept;
    SmallVector<DictionaryAttr> oldAttrs, attrs;
    main.getAllResultAttrs(oldAttrs);
    for (unsigned i = 0; i < results.size(); ++i) {
      if (static_cast<int>(i) == scaledIndex ||
          (!keepGradients && llvm::is_contained(gradIndices, i)))
        continue;
      kept.push_back(results[i]);
      attrs.push_back(oldAttrs[i]);
    }
    for (auto [v, name] : {std::pair{newShift, kShiftName}, std::pair{newGood, kGoodStepsName}}) {
      kept.push_back(v);
      attrs.push_back(weft::tagAttrs(ctx, weft::kUpdateAttr, name));
    }
    weft::setFunctionResults(main, kept, attrs);
    return success();
  }
};

} // namespace
