//===- AccumulateGradients.cpp - the weft-accumulate-gradients pass -------===//
//
// This file implements weft-accumulate-gradients (Passes.td describes it):
// the two programs of a training step run as K micro-batches.
//
//   micro: after weft-autodiff, each gradient output "grad:<p>" becomes the
//          in-place update grad_accum:<p> + g / K of a new state argument.
//   apply: after weft-optimizer (keep-gradients) and weft-loss-scaling,
//          every use of a gradient reads grad_accum:<p> instead, the
//          accumulators are zeroed, and what only the forward and backward
//          passes read (ops, then inputs) is erased.
//
// Both modes declare the accumulator alike (accumulatorArgument): split as
// its parameter, partial over the data axis when the mesh has one, so the
// two programs share its storage and each rank keeps its own addend.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftDialect.h"
#include "ir/gradients/GradientUtils.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"
#include "passes/training/GradientOutputs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringMap.h"

namespace weft {
#define GEN_PASS_DEF_ACCUMULATEGRADIENTSPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAccumPrefix = "grad_accum:";

using Gradient = weft::GradientOutput;

struct AccumulateGradientsPass
    : weft::impl::AccumulateGradientsPassBase<AccumulateGradientsPass> {
  using AccumulateGradientsPassBase::AccumulateGradientsPassBase;

  /// 1. Check the options; find @main and its gradient outputs.
  /// 2. On a mesh: fix every parameter's sharding (its hint, else
  ///    replicated) and declare each accumulator split like it, partial
  ///    over the data axis.
  /// 3. micro: the accumulating updates; apply: the scaled reads, the
  ///    zeroing updates, then the dead forward and backward erased.
  void runOnOperation() override {
    func::FuncOp main = weft::lookupFunctionOrError(
        getOperation(), "weft-accumulate-gradients", function,
        "name the training function '" + function + "' or pass function=<name>");
    if (!main)
      return signalPassFailure();
    if (mode != "micro" && mode != "apply") {
      main.emitError("weft-accumulate-gradients: unknown mode '")
          << mode << "'; use mode=micro or mode=apply";
      return signalPassFailure();
    }
    if (microBatches < 1) {
      main.emitError("weft-accumulate-gradients: micro-batches must be at least 1, got ")
          << microBatches;
      return signalPassFailure();
    }
    if (zero == 3) {
      main.emitError("weft-accumulate-gradients: gradient accumulation does not support ZeRO 3 "
                     "(the micro-step would read parameters split unlike the update's); use "
                     "zero 1 or 2, or one micro-batch");
      return signalPassFailure();
    }
    if (!main.getBody().hasOneBlock()) {
      main.emitOpError("has several blocks; weft-accumulate-gradients expects one");
      return signalPassFailure();
    }
    SmallVector<Gradient> grads;
    if (failed(collect(main, grads)))
      return signalPassFailure();
    if (failed(mode == "micro" ? buildMicroStep(main, grads) : buildApplyStep(main, grads)))
      signalPassFailure();
  }

private:
  LogicalResult collect(func::FuncOp main, SmallVectorImpl<Gradient> &grads) {
    for (BlockArgument arg : main.getArguments())
      if (auto state = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), weft::kStateAttr);
          state && state.getValue().starts_with(kAccumPrefix))
        return main.emitOpError("already has the accumulator '")
               << state.getValue() << "'; run weft-accumulate-gradients once per program";
    if (failed(weft::collectGradientOutputs(main, grads)))
      return failure();
    if (grads.empty())
      return main.emitOpError("has no gradient outputs (weft.output = \"grad:<param>\"); run "
                              "weft-autodiff (and, for mode=apply, weft-optimizer with "
                              "keep-gradients) first");
    return success();
  }

  /// The new state argument grad_accum:<param>, shaped like the parameter;
  /// on a mesh split like it and partial over the data axis.
  BlockArgument accumulatorArgument(func::FuncOp main, const Gradient &g) {
    MLIRContext *ctx = main.getContext();
    unsigned index = main.getNumArguments();
    std::string name = (kAccumPrefix + g.name).str();
    main.insertArgument(index, g.param.getType(), weft::tagAttrs(ctx, weft::kStateAttr, name),
                        g.param.getLoc());
    if (weft::MeshAttr mesh = weft::getMesh(main)) {
      unsigned p = g.param.getArgNumber();
      auto sharding = main.getArgAttrOfType<weft::ShardingAttr>(p, weft::kShardingAttr);
      if (!sharding) { // fixed, so that both programs lay the parameter out alike
        sharding = weft::ShardingAttr::replicated(ctx, unsigned(weft::grad::typeOf(g.param).getRank()));
        main.setArgAttr(p, weft::kShardingAttr, sharding);
      }
      SmallVector<StringAttr> partial(sharding.getPartial().begin(), sharding.getPartial().end());
      StringAttr axis = StringAttr::get(ctx, dataAxis);
      if (mesh.axisIndex(dataAxis) && !llvm::is_contained(sharding.usedAxes(), axis))
        partial.push_back(axis);
      main.setArgAttr(index, weft::kShardingAttr, sharding.withPartial(partial));
    }
    return main.getArgument(index);
  }

  /// Where the 1 / K of the mean over the micro-batches is applied (the
  /// mean loss over K equal micro-batches is the batch's mean loss). One
  /// device: in the micro-step, fused into the accumulating kernel, so the
  /// update reads the accumulator itself and no mean gradient is
  /// materialized in the apply step's arena. On a mesh: in the apply step,
  /// on the pending sum before its reduction (the reduced gradient is a
  /// buffer of the arena anyway), because a scaling after the backward's
  /// last op can resolve a partial gradient early in the micro-step (a
  /// collective per micro-batch).
  bool scalesInMicroStep(func::FuncOp main) const {
    return microBatches > 1 && !weft::getMesh(main);
  }

  LogicalResult buildMicroStep(func::FuncOp main, ArrayRef<Gradient> grads) {
    auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
    OpBuilder b(ret);
    SmallVector<Value> results;
    SmallVector<DictionaryAttr> oldAttrs, attrs;
    main.getAllResultAttrs(oldAttrs);
    llvm::BitVector isGrad(main.getNumResults());
    for (const Gradient &g : grads)
      isGrad.set(g.result);
    for (unsigned i = 0; i < main.getNumResults(); ++i)
      if (!isGrad.test(i)) {
        results.push_back(ret.getOperand(i));
        attrs.push_back(oldAttrs[i]);
      }
    for (const Gradient &g : grads) {
      BlockArgument accum = accumulatorArgument(main, g);
      weft::grad::Emitter e(b, g.param.getLoc());
      Value grad = ret.getOperand(g.result);
      if (scalesInMicroStep(main))
        grad = e.scale(grad, 1.0 / double(microBatches));
      results.push_back(e.add(accum, grad));
      attrs.push_back(weft::tagAttrs(main.getContext(), weft::kUpdateAttr, (kAccumPrefix + g.name).str()));
    }
    weft::setFunctionResults(main, results, attrs);
    return success();
  }

  LogicalResult buildApplyStep(func::FuncOp main, ArrayRef<Gradient> grads) {
    MLIRContext *ctx = main.getContext();
    Block &body = main.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    // Every use of g reads the mean over the micro-batches: the
    // accumulator itself when the micro-steps scaled, else accumulator / K
    // (at the top of the function: the optimizer's ops come after).
    OpBuilder top = OpBuilder::atBlockBegin(&body);
    SmallVector<BlockArgument> accums;
    SmallVector<Value> gradValues;
    for (const Gradient &g : grads)
      gradValues.push_back(ret.getOperand(g.result));
    for (auto [g, value] : llvm::zip(grads, gradValues)) {
      BlockArgument accum = accumulatorArgument(main, g);
      accums.push_back(accum);
      weft::grad::Emitter e(top, g.param.getLoc());
      bool scaled = scalesInMicroStep(main) || microBatches == 1;
      value.replaceAllUsesWith(scaled ? Value(accum) : e.scale(accum, 1.0 / double(microBatches)));
    }

    // The results: the optimizer's outputs (not the loss or other forward
    // outputs), the gradients with keep-gradients, then the zeroed
    // accumulators. Each is new_param * 0: an elementwise kernel (the splat
    // zero is inlined, not stored) that depends on the parameter's update,
    // which itself reads every value computed from the accumulators (its own
    // mean through the optimizer state, all of them through the clipping
    // norm), so the schedule cannot zero an accumulator before a read of it.
    // (A non-finite new parameter leaves a non-finite accumulator: the run
    // has diverged then anyway.)
    OpBuilder b(ret);
    SmallVector<Value> results;
    SmallVector<DictionaryAttr> oldAttrs, attrs;
    main.getAllResultAttrs(oldAttrs);
    llvm::StringMap<Value> newParams;
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      auto output = main.getResultAttrOfType<StringAttr>(i, weft::kOutputAttr);
      auto update = main.getResultAttrOfType<StringAttr>(i, weft::kUpdateAttr);
      if (update)
        newParams[update.getValue()] = ret.getOperand(i);
      bool keep = update || (output && (output.getValue() == "grad_norm" || output.getValue() == "loss_scale")) ||
                  (output && output.getValue().starts_with(weft::kGradOutputPrefix) && keepGradients);
      if (keep) {
        results.push_back(ret.getOperand(i));
        attrs.push_back(oldAttrs[i]);
      }
    }
    for (auto [g, accum] : llvm::zip(grads, accums)) {
      weft::grad::Emitter e(b, g.param.getLoc());
      Value after = newParams.lookup(g.name);
      if (!after || after.getType() != accum.getType())
        return main.emitOpError("has no update of parameter '")
               << g.name << "' of its type; mode=apply runs after weft-optimizer";
      results.push_back(e.scale(after, 0.0));
      attrs.push_back(weft::tagAttrs(ctx, weft::kUpdateAttr, (kAccumPrefix + g.name).str()));
    }
    weft::setFunctionResults(main, results, attrs);

    // The forward and backward passes are dead now: erase them, then the
    // inputs nothing reads any more (tokens, targets, dropout seeds).
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops)) // users before what they read
      if (isOpTriviallyDead(op))
        op->erase();
    llvm::BitVector unused(main.getNumArguments());
    for (BlockArgument arg : main.getArguments())
      if (arg.use_empty() && main.getArgAttr(arg.getArgNumber(), weft::kInputAttr))
        unused.set(arg.getArgNumber());
    main.eraseArguments(unused);
    return success();
  }
};

} // namespace
