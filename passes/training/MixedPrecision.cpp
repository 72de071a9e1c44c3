//===- MixedPrecision.cpp - the weft-mixed-precision pass -----------------===//
//
// This file implements weft-mixed-precision: it rewrites a forward function
// with a loss (BEFORE weft-autodiff, so that the backward pass is derived in
// the low precision by the casts' and ops' own gradients) to compute its
// matmuls and the elementwise math between them in bf16 or f16, while the
// parameters stay f32 arguments (master weights) and every reduction,
// normalization, softmax and the loss stay f32. With loss-scaling (f16) it
// also multiplies the loss by a dynamic scale 2^(init + s), s being a new
// scalar input "amp.loss_scale_log2" that weft-loss-scaling turns into
// optimizer state after weft-optimizer. For inference (store-parameters) it
// then holds the parameters that only low math and gathers read in the low
// type; in training (store-frozen) the frozen ones of those. For inference
// (store-states) it also holds the key/value caches (weft.state arguments
// that are only written in place, moved, gathered and read by products) in
// the low type.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/gradients/GradientUtils.h"
#include "ir/WeftOps.h"
#include "ir/WeftStateOps.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <functional>

namespace weft {
#define GEN_PASS_DEF_MIXEDPRECISIONPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// True for a ranked tensor of f32.
bool isF32Tensor(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.getElementType().isF32();
}

/// Contractions always compute in the low type.
bool isContraction(Operation *op) { return isa<weft::MatmulOp, weft::BatchMatmulOp>(op); }

/// Elementwise math that may compute in the low type (never exp, log, sqrt,
/// rsqrt or pow: those build normalizations, softmax and the loss).
bool isLowElementwise(Operation *op) {
  return isa<weft::AddOp, weft::SubOp, weft::MulOp, weft::DivOp, weft::NegOp, weft::MaxOp,
             weft::MinOp, weft::ReluOp, weft::TanhOp, weft::SigmoidOp, weft::GeluOp,
             weft::GeluTanhOp, weft::FastGeluOp>(op);
}

/// Data movement that keeps a low value low.
bool isMovement(Operation *op) {
  return isa<weft::ReshapeOp, weft::TransposeOp, weft::BroadcastOp, weft::SliceOp>(op);
}

/// True when `v` is a weft.state argument (a key/value cache) or, through data
/// movement and the in-place weft.dynamic_update_slice that writes a step's
/// row, a view of one.
bool readsState(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto update = dyn_cast<weft::DynamicUpdateSliceOp>(def))
      v = update.getInput();
    else if (isMovement(def))
      v = def->getOperand(0);
    else
      return false;
  }
  auto arg = dyn_cast<BlockArgument>(v);
  auto fn = arg ? dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()) : func::FuncOp();
  return fn && fn.getArgAttr(arg.getArgNumber(), weft::kStateAttr);
}

/// Contractions that stay f32: those reading an f32 state (a decode step's
/// key/value cache that store-states did not make low). In the low type every
/// step would cast the whole cache (read 4 + write 2 + read 2 bytes per
/// element, as a separate kernel) for a product whose other side is one query
/// row; in f32 the product reads the cache once.
bool keepsF32(Operation *op) {
  return llvm::any_of(op->getOperands(), [](Value v) { return isF32Tensor(v.getType()) && readsState(v); });
}

/// Ops through which a low cache's values stay low (store-states): the
/// in-place write of new rows and a beam reorder's gather, each reading the
/// cache as operand 0 (the input written into, the table).
bool carriesCache(Operation *op) { return isa<weft::DynamicUpdateSliceOp, weft::GatherOp>(op); }

/// store-states: whether the f32 weft.state argument `state` is a key/value
/// cache that can be held in the low type. It is when every value it flows
/// into through carriesCache ops (as operand 0) and single-operand data
/// movement is read only by those ops, by contractions, or by the return as
/// the state's own weft.update, and when that update, if returned, is one of
/// those values. Anything else (elementwise math, a reduction, the cache
/// written into another tensor or returned as an output) keeps it f32.
bool isLowCache(func::FuncOp main, BlockArgument state) {
  if (!isF32Tensor(state.getType()))
    return false;
  auto name = main.getArgAttrOfType<StringAttr>(state.getArgNumber(), weft::kStateAttr);
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  auto isOwnUpdate = [&](unsigned result) {
    return main.getResultAttrOfType<StringAttr>(result, weft::kUpdateAttr) == name;
  };
  llvm::DenseSet<Value> web{state};
  SmallVector<Value> work{state};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user == ret.getOperation()) {
        if (!isOwnUpdate(use.getOperandNumber()))
          return false;
        continue;
      }
      if (isContraction(user))
        continue;
      bool flows = (carriesCache(user) && use.getOperandNumber() == 0) ||
                   (isMovement(user) && user->getNumOperands() == 1);
      if (!flows || user->getNumResults() != 1)
        return false;
      if (web.insert(user->getResult(0)).second)
        work.push_back(user->getResult(0));
    }
  }
  for (unsigned i = 0; i < ret.getNumOperands(); ++i)
    if (isOwnUpdate(i) && !web.contains(ret.getOperand(i)))
      return false;
  return true;
}

struct MixedPrecisionPass : weft::impl::MixedPrecisionPassBase<MixedPrecisionPass> {
  using MixedPrecisionPassBase::MixedPrecisionPassBase;

  /// 1. Find the function and check the options.
  /// 2. Walk its ops in order. A value is "low" when a low-precision copy of
  ///    it exists (lowOf). A value is "plain" when it is a function argument
  ///    or constant, possibly moved by broadcast/reshape/transpose/slice (no
  ///    arithmetic, so no statistic of a reduction).
  ///    - matmul / batch_matmul with an f32 result: always low;
  ///    - add, sub, mul, div, neg, max, min, relu, tanh, sigmoid, gelu*: low
  ///      when some float operand is low and every float operand is low or
  ///      plain (so x - max(x) of a softmax or x - mean(x) of a LayerNorm,
  ///      whose statistic operand is neither, stays f32);
  ///    - broadcast, reshape, transpose, slice of a low value: low;
  ///    - everything else (reduce, exp, log, sqrt, rsqrt, pow, gather,
  ///      select, fused ops...) stays f32.
  ///    A low op is rebuilt on low operands (an f32 operand without a low
  ///    copy gets one weft.cast, shared by every later use, e.g. a
  ///    parameter's; a plain broadcast of a parameter is redone on the
  ///    parameter's cast), followed by a weft.cast back to f32 that replaces
  ///    its old result for the f32 consumers.
  ///    With store-states, first every state isLowCache accepts becomes an
  ///    argument of the low type read through one weft.cast back to f32
  ///    (its low copy: the state itself); a dynamic_update_slice or gather
  ///    whose operand 0 is such a cache, or a view of one, is then low too
  ///    (the new rows written are cast once, unless computed low already),
  ///    so the products reading the cache read it low, and the return hands
  ///    back the low cache as the state's update.
  /// 3. Erase the casts back and the f32 movement ops that nothing reads.
  /// 4. With loss-scaling: add the input "amp.loss_scale_log2" (s), and the
  ///    outputs "loss_scale" = 2^(init + s) and "scaled_loss" = loss * that.
  void runOnOperation() override {
    func::FuncOp main = weft::lookupFunctionOrError(
        getOperation(), "weft-mixed-precision", function, "pass function=<name>");
    if (!main)
      return signalPassFailure();
    Type low;
    if (precision == "bf16")
      low = BFloat16Type::get(&getContext());
    else if (precision == "f16")
      low = Float16Type::get(&getContext());
    else {
      main.emitError("weft-mixed-precision: unknown precision '")
          << precision << "'; use precision=bf16 or precision=f16";
      return signalPassFailure();
    }
    if (!main.getBody().hasOneBlock()) {
      main.emitOpError("has several blocks; weft-mixed-precision expects one");
      return signalPassFailure();
    }
    if (lossScaling && failed(checkLossScaling(main)))
      return signalPassFailure();
    SmallVector<BlockArgument> lowStates;
    if (storeStates)
      for (BlockArgument arg : main.getBody().front().getArguments())
        if (main.getArgAttr(arg.getArgNumber(), weft::kStateAttr) && isLowCache(main, arg))
          lowStates.push_back(arg);
    convert(main, low, lowStates);
    if (lossScaling)
      addLossScale(main);
    if (storeParameters || storeFrozen)
      storeParametersLow(main, low, /*frozenOnly=*/!storeParameters);
  }

private:
  /// 5. (store-parameters) Every parameter whose uses are all weft.casts to
  ///    `low` or gathers that read it as their table (an embedding, tied to
  ///    an LM head or not) becomes an argument of type `low`: the casts go;
  ///    each gather reads the low table, and its rows are cast back to f32
  ///    for the readers that want f32 (a cast of the rows to `low` reads the
  ///    low rows instead), so the table is held once, low, and no step casts
  ///    it whole. With `frozenOnly` (store-frozen, a training program), only
  ///    parameters marked weft.frozen.
  void storeParametersLow(func::FuncOp main, Type low, bool frozenOnly) {
    Block &body = main.getBody().front();
    OpBuilder b(&getContext());
    auto isCastToLow = [&](Operation *op) {
      auto cast = dyn_cast<weft::CastOp>(op);
      return cast && getElementTypeOrSelf(cast.getType()) == low;
    };
    for (BlockArgument arg : body.getArguments()) {
      if (!main.getArgAttr(arg.getArgNumber(), weft::kParamAttr) || arg.use_empty() ||
          (frozenOnly && !main.getArgAttr(arg.getArgNumber(), weft::kFrozenAttr)))
        continue;
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      bool lowUses = type && type.getElementType().isF32() &&
                     llvm::all_of(arg.getUses(), [&](OpOperand &use) {
                       auto gather = dyn_cast<weft::GatherOp>(use.getOwner());
                       return isCastToLow(use.getOwner()) ||
                              (gather && use.getOperandNumber() == 0); // the table
                     });
      if (!lowUses)
        continue;
      arg.setType(type.clone(low));
      for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
        if (auto gather = dyn_cast<weft::GatherOp>(user)) {
          widenGatheredRows(b, gather, low, isCastToLow);
          continue;
        }
        user->getResult(0).replaceAllUsesWith(arg);
        user->erase();
      }
    }
    main.setFunctionType(FunctionType::get(main.getContext(), body.getArgumentTypes(),
                                           main.getFunctionType().getResults()));
  }

  /// `gather` now reads a `low` table: its result becomes `low`; readers
  /// that cast it to `low` read it directly, the others through one cast
  /// back to f32 right after the gather.
  template <typename IsCastToLow>
  void widenGatheredRows(OpBuilder &b, weft::GatherOp gather, Type low, IsCastToLow isCastToLow) {
    Value rows = gather.getResult();
    auto wide = cast<RankedTensorType>(rows.getType());
    rows.setType(wide.clone(low));
    SmallVector<Operation *> castsToLow;
    for (Operation *user : rows.getUsers())
      if (isCastToLow(user))
        castsToLow.push_back(user);
    if (castsToLow.size() != size_t(std::distance(rows.use_begin(), rows.use_end()))) {
      b.setInsertionPointAfter(gather);
      auto up = b.create<weft::CastOp>(gather.getLoc(), wide, rows);
      rows.replaceUsesWithIf(up.getResult(), [&](OpOperand &use) {
        return use.getOwner() != up && !llvm::is_contained(castsToLow, use.getOwner());
      });
    }
    for (Operation *c : castsToLow) {
      c->getResult(0).replaceAllUsesWith(rows);
      c->erase();
    }
  }

  LogicalResult checkLossScaling(func::FuncOp main) {
    for (unsigned i = 0; i < main.getNumArguments(); ++i)
      if (auto in = main.getArgAttrOfType<StringAttr>(i, weft::kInputAttr);
          in && in.getValue() == "amp.loss_scale_log2")
        return main.emitOpError("already has the input 'amp.loss_scale_log2'; run "
                                "weft-mixed-precision with loss-scaling once");
    if (lossIndex(main) < 0)
      return main.emitOpError("has no f32 scalar output named '")
             << loss << "' to scale; name the loss output or pass loss=<name>";
    return success();
  }

  int lossIndex(func::FuncOp main) {
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      auto tag = main.getResultAttrOfType<StringAttr>(i, weft::kOutputAttr);
      auto type = dyn_cast<RankedTensorType>(main.getResultTypes()[i]);
      if (tag && tag.getValue() == loss && type && type.getRank() == 0 &&
          type.getElementType().isF32())
        return static_cast<int>(i);
    }
    return -1;
  }

  void convert(func::FuncOp main, Type low, ArrayRef<BlockArgument> lowStates) {
    Block &body = main.getBody().front();
    llvm::DenseMap<Value, Value> lowOf;
    llvm::DenseSet<Value> plain;
    llvm::DenseSet<Value> computedLow; // f32 results of ops rebuilt in the low type
    llvm::DenseSet<Value> cacheViews;  // the f32 casts back of low caches and their views
    SmallVector<Operation *> castsUp;
    SmallVector<Operation *> deadCandidates; // f32 movement ops replaced by low copies
    for (BlockArgument a : body.getArguments())
      plain.insert(a);
    OpBuilder b(&getContext());

    // Each low cache: the argument becomes low, its f32 readers read one cast
    // back (erased below when every reader was rebuilt low).
    b.setInsertionPointToStart(&body);
    for (BlockArgument state : lowStates) {
      auto wide = cast<RankedTensorType>(state.getType());
      state.setType(wide.clone(low));
      auto up = b.create<weft::CastOp>(state.getLoc(), wide, state);
      state.replaceAllUsesExcept(up.getResult(), up);
      lowOf[up.getResult()] = state;
      computedLow.insert(up.getResult());
      cacheViews.insert(up.getResult());
      castsUp.push_back(up);
    }

    // The low copy of an f32 value: a plain broadcast/reshape/transpose/slice
    // is re-applied to the low copy of its operand (so a bias is cast at its
    // own small shape, once); anything else gets one weft.cast right after
    // its definition, which dominates every later use that shares it.
    std::function<Value(Value)> lowValue = [&](Value v) -> Value {
      if (Value l = lowOf.lookup(v))
        return l;
      auto type = cast<RankedTensorType>(v.getType());
      Operation *def = v.getDefiningOp();
      OpBuilder::InsertionGuard guard(b);
      if (def && isMovement(def) && plain.contains(v) && def->getNumOperands() == 1) {
        Value inner = lowValue(def->getOperand(0));
        b.setInsertionPointAfter(def);
        IRMapping mapping;
        mapping.map(def->getOperand(0), inner);
        Operation *moved = b.clone(*def, mapping);
        moved->getResult(0).setType(type.clone(low));
        deadCandidates.push_back(def);
        return lowOf[v] = moved->getResult(0);
      }
      if (def)
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(&body);
      auto c = b.create<weft::CastOp>(v.getLoc(), type.clone(low), v);
      // A cast belongs to its producer's recompute group (weft-recompute).
      if (Attribute group = def ? def->getAttr(weft::kRecomputeAttr) : Attribute())
        c->setAttr(weft::kRecomputeAttr, group);
      lowOf[v] = c;
      return c;
    };

    for (Operation &opRef : llvm::make_early_inc_range(body.without_terminator())) {
      Operation *op = &opRef;
      if (op->getNumResults() != 1 || !isF32Tensor(op->getResult(0).getType()))
        continue;
      bool anyLow = false, allLowOrPlain = true;
      for (Value v : op->getOperands()) {
        if (!isF32Tensor(v.getType()))
          continue;
        bool isLow = computedLow.contains(v);
        anyLow |= isLow;
        allLowOrPlain &= isLow || plain.contains(v);
      }
      const bool readsCache = op->getNumOperands() > 0 && cacheViews.contains(op->getOperand(0)) &&
                              (carriesCache(op) || isMovement(op));
      bool toLow = (isContraction(op) && !keepsF32(op)) || (isLowElementwise(op) && anyLow && allLowOrPlain) ||
                   (isMovement(op) && anyLow) || readsCache;
      if (!toLow) {
        if ((isMovement(op) && llvm::all_of(op->getOperands(),
                                            [&](Value v) { return plain.contains(v); })) ||
            isa<weft::ConstantOp>(op))
          plain.insert(op->getResult(0));
        continue;
      }
      b.setInsertionPoint(op);
      IRMapping mapping;
      for (Value v : op->getOperands())
        if (isF32Tensor(v.getType()))
          mapping.map(v, lowValue(v));
      Operation *lowOp = b.clone(*op, mapping);
      Value result = op->getResult(0);
      auto type = cast<RankedTensorType>(result.getType());
      lowOp->getResult(0).setType(type.clone(low));
      auto up = b.create<weft::CastOp>(op->getLoc(), type, lowOp->getResult(0));
      if (Attribute group = op->getAttr(weft::kRecomputeAttr))
        up->setAttr(weft::kRecomputeAttr, group);
      castsUp.push_back(up);
      result.replaceAllUsesWith(up.getResult());
      lowOf[up.getResult()] = lowOp->getResult(0);
      computedLow.insert(up.getResult());
      if (readsCache)
        cacheViews.insert(up.getResult());
      op->erase();
    }
    // A low cache's update is returned low (isLowCache: it is one of the
    // cache's views, each rebuilt low above).
    if (!lowStates.empty()) {
      auto ret = cast<func::ReturnOp>(body.getTerminator());
      for (OpOperand &operand : ret->getOpOperands())
        if (Value l = lowOf.lookup(operand.get()); l && cacheViews.contains(operand.get()))
          operand.set(l);
      main.setFunctionType(FunctionType::get(main.getContext(), body.getArgumentTypes(), ret.getOperandTypes()));
    }
    for (Operation *up : llvm::reverse(castsUp))
      if (up->use_empty())
        up->erase();
    for (Operation *op : llvm::reverse(deadCandidates))
      if (op->use_empty())
        op->erase();
  }

  void addLossScale(func::FuncOp main) {
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto scalar = RankedTensorType::get({}, b.getF32Type());
    unsigned index = main.getNumArguments();
    main.insertArgument(index, scalar,
                        weft::tagAttrs(ctx, weft::kInputAttr, "amp.loss_scale_log2"),
                        main.getLoc());
    Value shift = main.getArgument(index);
    auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
    Value lossValue = ret.getOperand(lossIndex(main));
    b.setInsertionPoint(ret);
    weft::grad::Emitter e(b, lossValue.getLoc());
    Value exponent = e.add(e.splat(scalar, initScaleLog2), shift);
    Value scale = e.pow(e.splat(scalar, 2.0), exponent);
    Value scaled = e.mul(lossValue, scale);
    SmallVector<Value> results(ret.getOperands());
    results.push_back(scale);
    results.push_back(scaled);
    SmallVector<DictionaryAttr> attrs;
    main.getAllResultAttrs(attrs);
    for (const char *name : {"loss_scale", "scaled_loss"})
      attrs.push_back(weft::tagAttrs(ctx, weft::kOutputAttr, name));
    weft::setFunctionResults(main, results, attrs);
  }
};

} // namespace
