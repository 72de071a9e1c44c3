//===- Autodiff.cpp - the weft-autodiff pass ------------------------------===//
//
// This file implements weft-autodiff, reverse-mode automatic differentiation
// of a weft function: it appends to @main the gradient of its scalar loss
// output with respect to every float `weft.param` argument that is not
// `weft.frozen` (frozen parameters are constants to it), built from the
// per-op vector-Jacobian products of GradientOpInterface
// (ir/gradients/Gradients*.cpp). The forward outputs are kept; the gradients
// are new results tagged `weft.output = "grad:<param name>"`, in parameter
// order.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/gradients/GradientInterface.h"
#include "ir/gradients/Gradients.h"
#include "ir/WeftOps.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

#include <deque>

namespace weft {
#define GEN_PASS_DEF_AUTODIFFPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

bool isFloatTensor(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  return tt && isa<FloatType>(tt.getElementType());
}

/// The facts about the forward function that decide which ops get VJPs.
struct Reach {
  /// Values the loss depends on, through values of any type.
  llvm::DenseSet<Value> useful;
  /// Float values the loss depends on through float values only.
  llvm::DenseSet<Value> floatUseful;
  /// Float values that depend on a float parameter through float values.
  llvm::DenseSet<Value> active;

  /// A value that needs a cotangent: on a float path param -> value -> loss.
  bool needsCotangent(Value v) const {
    return active.contains(v) && floatUseful.contains(v);
  }
};

/// Fills `reach` for the ops of `body` (in order) and the loss `loss`.
Reach computeReach(Block &body, ArrayRef<BlockArgument> params, Value loss) {
  Reach r;
  for (BlockArgument p : params)
    r.active.insert(p);
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return r.active.contains(v); }))
      for (Value res : op.getResults())
        if (isFloatTensor(res.getType()))
          r.active.insert(res);
  r.useful.insert(loss);
  if (isFloatTensor(loss.getType()))
    r.floatUseful.insert(loss);
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    bool any = llvm::any_of(op.getResults(),
                            [&](Value v) { return r.useful.contains(v); });
    bool anyFloat = llvm::any_of(
        op.getResults(), [&](Value v) { return r.floatUseful.contains(v); });
    for (Value v : op.getOperands()) {
      if (any)
        r.useful.insert(v);
      if (anyFloat && isFloatTensor(v.getType()))
        r.floatUseful.insert(v);
    }
  }
  return r;
}

/// For a parameter the loss depends on only through integer or i1 values:
/// the op nearest to the parameter that turns one of its float descendants
/// into a non-float value the loss depends on.
Operation *findGradientBreak(Value param, const Reach &reach) {
  llvm::SetVector<Value> seen;
  std::deque<Value> queue{param};
  seen.insert(param);
  while (!queue.empty()) {
    Value v = queue.front();
    queue.pop_front();
    for (Operation *user : v.getUsers()) {
      for (Value res : user->getResults()) {
        if (!reach.useful.contains(res))
          continue;
        if (isFloatTensor(v.getType()) && !isFloatTensor(res.getType()))
          return user;
        if (seen.insert(res))
          queue.push_back(res);
      }
    }
  }
  return nullptr;
}

struct AutodiffPass : weft::impl::AutodiffPassBase<AutodiffPass> {
  using AutodiffPassBase::AutodiffPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    AutodiffPassBase::getDependentDialects(registry);
    weft::registerGradientInterfaces(registry);
  }

  /// 1. Find @main and its output named by `loss`; check that it is a rank-0
  ///    float tensor and that the function has no gradient outputs yet.
  /// 2. Mark the values the loss depends on (any type, and float-only paths)
  ///    and the float values that depend on a float parameter. Values on a
  ///    float path parameter -> loss need cotangents; everything else is
  ///    pruned (dead gradients are never built).
  /// 3. A parameter the loss depends on only through integer/i1 values is an
  ///    error at the op where its path leaves the float types.
  /// 4. Seed the loss cotangent with 1.0 and walk the body in reverse
  ///    (reverse topological order): for each op with a result cotangent and
  ///    an operand that needs one, build its VJP through GradientOpInterface
  ///    (an op without it is "not differentiable") and accumulate each
  ///    operand cotangent with weft.add when a value has several uses.
  ///    Frozen parameters (`weft.frozen`) are not differentiated at all.
  /// 5. Append one result per trainable float parameter, in argument order: its
  ///    cotangent, or zeros when the loss does not depend on it, tagged
  ///    weft.output = "grad:<name>".
  void runOnOperation() override {
    func::FuncOp main = weft::lookupFunctionOrError(
        getOperation(), "weft-autodiff", function,
        "name the forward function '" + function + "' or pass function=<name>");
    if (!main)
      return signalPassFailure();
    if (failed(differentiate(main)))
      signalPassFailure();
  }

private:
  LogicalResult differentiate(func::FuncOp main) {
    if (!main.getBody().hasOneBlock())
      return main.emitOpError("has several blocks; weft-autodiff expects one");
    Block &body = main.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
    if (!ret)
      return main.emitOpError("does not end with func.return");

    // 1. The loss.
    std::optional<unsigned> lossIndex;
    SmallVector<std::string> names;
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      auto name = main.getResultAttrOfType<StringAttr>(i, weft::kOutputAttr);
      if (!name)
        continue;
      names.push_back("'" + name.str() + "'");
      if (name.getValue() == loss)
        lossIndex = i;
      if (name.getValue().starts_with("grad:"))
        return main.emitOpError("already has the gradient output '")
               << name.getValue()
               << "'; run weft-autodiff once per forward function";
    }
    if (!lossIndex)
      return main.emitOpError("has no output named '")
             << loss << "' (outputs: "
             << (names.empty() ? std::string("none") : llvm::join(names, ", "))
             << "); tag the loss result with weft.output = \"" << loss
             << "\" or pass loss=<output name>";
    Value lossValue = ret.getOperand(*lossIndex);
    Operation *lossAt = lossValue.getDefiningOp();
    if (!lossAt)
      lossAt = ret;
    auto lossType = dyn_cast<RankedTensorType>(lossValue.getType());
    if (!lossType || lossType.getRank() != 0)
      return lossAt->emitOpError("produces the loss output '")
             << loss << "' of type " << lossValue.getType()
             << ", but the loss must be a scalar (rank-0 tensor); reduce it, "
                "e.g. with weft.reduce mean over every dimension";
    if (!isa<FloatType>(lossType.getElementType()))
      return lossAt->emitOpError("produces the loss output '")
             << loss << "' of type " << lossValue.getType()
             << ", but the loss must be a float scalar (f32); cast it";

    SmallVector<BlockArgument> params;
    SmallVector<StringAttr> paramNames;
    for (BlockArgument arg : body.getArguments()) {
      auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), weft::kParamAttr);
      bool frozen = bool(main.getArgAttr(arg.getArgNumber(), weft::kFrozenAttr));
      if (name && !frozen && isFloatTensor(arg.getType())) {
        params.push_back(arg);
        paramNames.push_back(name);
      }
    }

    // 2. Reachability.
    Reach reach = computeReach(body, params, lossValue);

    // 3. Parameters cut off from the loss by integer values.
    for (auto [param, name] : llvm::zip(params, paramNames)) {
      if (reach.floatUseful.contains(param) || !reach.useful.contains(param))
        continue;
      Operation *cut = findGradientBreak(param, reach);
      Operation *at = cut ? cut : lossAt;
      InFlightDiagnostic diag = at->emitOpError("is not differentiable: ");
      diag << "parameter '" << name.getValue() << "' reaches the loss only "
           << "through its non-float result, and integer and i1 tensors carry "
              "no gradient; keep the parameter's path to the loss in float "
              "ops or take it out of the loss";
      diag.attachNote(param.getLoc())
          << "parameter '" << name.getValue() << "' is defined here";
      return diag;
    }

    // 4. The reverse walk.
    SmallVector<Operation *> forward;
    for (Operation &op : body.without_terminator())
      forward.push_back(&op);
    OpBuilder b(ret);
    llvm::DenseMap<Value, Value> cotangent;
    auto accumulate = [&](Value v, Value ct) {
      Value &slot = cotangent[v];
      slot =
          slot ? b.create<weft::AddOp>(v.getLoc(), slot, ct).getResult() : ct;
    };
    {
      auto attr = DenseElementsAttr::get(
          lossType, b.getFloatAttr(lossType.getElementType(), 1.0));
      cotangent[lossValue] = b.create<weft::ConstantOp>(
          lossValue.getLoc(), cast<ElementsAttr>(attr));
    }
    for (Operation *op : llvm::reverse(forward)) {
      SmallVector<Value> resultCts;
      bool anyResult = false;
      for (Value res : op->getResults()) {
        Value ct = reach.needsCotangent(res) ? cotangent.lookup(res) : Value();
        resultCts.push_back(ct);
        anyResult |= bool(ct);
      }
      SmallVector<bool> needs;
      bool anyOperand = false;
      for (Value v : op->getOperands()) {
        needs.push_back(reach.needsCotangent(v));
        anyOperand |= needs.back();
      }
      if (!anyResult || !anyOperand)
        continue;
      auto iface = dyn_cast<weft::GradientOpInterface>(op);
      if (!iface)
        return op->emitOpError("is not differentiable: it has no gradient "
                               "(GradientOpInterface) and lies between a "
                               "parameter and the loss; run weft-autodiff "
                               "before the passes that create it, or give "
                               "it a model in ir/gradients/Gradients*.cpp");
      SmallVector<Value> operandCts;
      if (failed(iface.buildVjp(b, resultCts, needs, operandCts)))
        return failure();
      if (operandCts.size() != op->getNumOperands())
        return op->emitOpError("gradient model returned ")
               << operandCts.size() << " cotangents for "
               << op->getNumOperands() << " operands (a bug in its model)";
      for (auto [i, v] : llvm::enumerate(op->getOperands())) {
        Value ct = operandCts[i];
        if (!needs[i] || !ct)
          continue;
        if (ct.getType() != v.getType())
          return op->emitOpError("gradient model built a cotangent of type ")
                 << ct.getType() << " for operand #" << i << " of type "
                 << v.getType() << " (a bug in its model)";
        accumulate(v, ct);
      }
    }

    // 5. The gradient outputs.
    SmallVector<Value> results(ret.getOperands());
    unsigned next = main.getNumResults();
    for (auto [param, name] : llvm::zip(params, paramNames)) {
      Value grad = cotangent.lookup(param);
      if (!grad) {
        auto type = cast<RankedTensorType>(param.getType());
        auto zero = DenseElementsAttr::get(
            type, b.getFloatAttr(type.getElementType(), 0.0));
        grad = b.create<weft::ConstantOp>(param.getLoc(),
                                          cast<ElementsAttr>(zero));
      }
      results.push_back(grad);
      NamedAttribute tag(b.getStringAttr(weft::kOutputAttr),
                         b.getStringAttr("grad:" + name.getValue()));
      main.insertResult(next++, grad.getType(), b.getDictionaryAttr({tag}));
    }
    ret->setOperands(results);
    return success();
  }
};

} // namespace
