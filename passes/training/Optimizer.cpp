//===- Optimizer.cpp - the weft-optimizer pass ----------------------------===//
//
// This file implements weft-optimizer: it turns a function with gradient
// outputs (`weft.output = "grad:<param>"`, from weft-autodiff) into a
// training step that also applies the optimizer. The update is built in weft
// ops, per parameter, after everything else in the function:
//
//   SGD:   g += wd * p (coupled weight decay, as PyTorch's SGD);
//          buf = momentum * buf + g (with momentum > 0; buf starts at 0, so
//          the first step gives buf = g as in PyTorch); p -= lr * buf (or g).
//   AdamW: m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//          p = p (1 - lr wd) - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//          (decoupled weight decay and bias correction, as PyTorch's AdamW).
//
// `lr` (the host computes warmup and decay per step) and, for AdamW, `step`
// (t, 1-based) are new f32 scalar inputs. Optimizer state (m, v, momentum
// buffers) are new arguments tagged `weft.state = "<kind>:<param>"`; the new
// parameter and state values are new results tagged `weft.update = "<name>"`
// (see ir/AttrNames.h). With clip_norm > 0 the gradients are first
// scaled by min(1, clip / (||g|| + 1e-6)), ||g|| being one L2 norm over all
// gradients, which is also returned as `weft.output = "grad_norm"`.
//
// Fusion: the per-step scalars (lr / (1 - b1^t), the decay factor, the clip
// scale, and the constants b1, 1 - b1, ...) are packed into one f32 vector by
// a weft.concat and each parameter's update reads them through weft.slice +
// weft.broadcast. Slices are not fusible, so weft-fuse-elementwise keeps
// every parameter's update a group of its own (one kernel per parameter)
// instead of merging all of them through the shared scalars, and no constant
// the size of a parameter is ever created (a broadcast of a constant would
// fold into one).
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"
#include "ir/gradients/GradientUtils.h"
#include "passes/PassUtils.h"
#include "passes/parallel/ZeroSharding.h"
#include "passes/Passes.h"
#include "passes/training/GradientOutputs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

namespace weft {
#define GEN_PASS_DEF_OPTIMIZERPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// One argument of optimizer state and its name.
struct State {
  BlockArgument arg;
  std::string name;
};

/// One parameter the optimizer updates.
struct Trained {
  BlockArgument param;
  std::string name;
  Value grad;
};

/// The per-step scalars, packed into one f32 vector (see the file comment).
class Coefficients {
public:
  /// Registers a scalar (a rank-0 f32 value); returns its index.
  unsigned add(Value scalar) {
    scalars.push_back(scalar);
    return scalars.size() - 1;
  }
  /// Builds the packed vector; call once, after every add().
  void pack(weft::grad::Emitter &e) {
    SmallVector<Value> parts;
    for (Value s : scalars)
      parts.push_back(e.reshape(s, {1}));
    packed = parts.size() == 1 ? parts.front() : e.concat(parts, 0);
  }
  /// Scalar `index` broadcast to the shape and element type of `like`.
  Value like(weft::grad::Emitter &e, unsigned index, Value like) {
    auto type = weft::grad::typeOf(like);
    int64_t i = static_cast<int64_t>(index);
    Value one = e.slice(packed, {i}, {i + 1}, {1});
    if (type.getElementType() != weft::grad::typeOf(one).getElementType())
      one = e.cast(one, type.getElementType());
    if (type.getRank() == 0)
      return e.reshape(one, {});
    return e.broadcast(one, type, {0});
  }

private:
  SmallVector<Value> scalars;
  Value packed;
};

struct OptimizerPass : weft::impl::OptimizerPassBase<OptimizerPass> {
  using OptimizerPassBase::OptimizerPassBase;

  /// 1. Find @main, its gradient results and the parameters they belong to;
  ///    reject a function that has no gradients, is already a training step
  ///    or already has an input named lr/step.
  /// 2. Append the scalar inputs (lr; step for AdamW) and one state argument
  ///    per parameter and kind of state.
  /// 3. With clipping: the global norm, the `grad_norm` output, the scale.
  /// 4. Pack the per-step scalars (Coefficients).
  /// 5. Per parameter, in argument order: its update (SGD or AdamW) and the
  ///    update of its state.
  /// 6. Replace the results: the forward outputs, the gradients only with
  ///    keep-gradients, grad_norm, then the updates tagged weft.update.
  void runOnOperation() override {
    func::FuncOp main = weft::lookupFunctionOrError(
        getOperation(), "weft-optimizer", function,
        "name the training function '" + function + "' or pass function=<name>");
    if (!main)
      return signalPassFailure();
    if (optimizer != "sgd" && optimizer != "adamw") {
      main.emitError("weft-optimizer: unknown optimizer '")
          << optimizer << "'; use optimizer=sgd or optimizer=adamw";
      return signalPassFailure();
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) ||
        !(weightDecay >= 0) || !(momentum >= 0 && momentum < 1) || !(clipNorm >= 0)) {
      main.emitError("weft-optimizer: invalid hyperparameters (beta1 = ")
          << beta1 << ", beta2 = " << beta2 << ", eps = " << eps
          << ", weight-decay = " << weightDecay << ", momentum = " << momentum
          << ", clip-norm = " << clipNorm
          << "); need 0 <= beta1, beta2, momentum < 1, eps > 0, weight-decay >= 0 "
             "and clip-norm >= 0 (0 = off)";
      return signalPassFailure();
    }
    if (zero < 0 || zero > 3) {
      main.emitError("weft-optimizer: zero must be 0, 1, 2 or 3, got ") << zero;
      return signalPassFailure();
    }
    if (failed(transform(main)))
      signalPassFailure();
  }

private:
  bool isAdamW() const { return optimizer == "adamw"; }

  /// Weight decay applies to weights of rank >= 2 (matrices, embeddings)
  /// unless decay-all: biases and LayerNorm gains are not decayed (GPT-2).
  bool decays(BlockArgument param) const {
    return weightDecay > 0 &&
           (decayAll || weft::grad::typeOf(param).getRank() >= 2);
  }

  LogicalResult collect(func::FuncOp main, SmallVectorImpl<Trained> &trained,
                        llvm::BitVector &gradResults) {
    Block &body = main.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    for (BlockArgument arg : body.getArguments()) {
      unsigned i = arg.getArgNumber();
      if (main.getArgAttr(i, weft::kStateAttr))
        return main.emitOpError("already has optimizer state (argument #")
               << i << " is tagged " << weft::kStateAttr
               << "); run weft-optimizer once per training step";
      if (auto input = main.getArgAttrOfType<StringAttr>(i, weft::kInputAttr);
          input && (input.getValue() == "lr" || input.getValue() == "step"))
        return main.emitOpError("already has an input named '")
               << input.getValue()
               << "', which weft-optimizer adds for the learning rate and step "
                  "count; rename that input";
    }
    for (unsigned i = 0; i < main.getNumResults(); ++i)
      if (main.getResultAttr(i, weft::kUpdateAttr))
        return main.emitOpError("already has update results; run weft-optimizer "
                                "once per training step");
    SmallVector<weft::GradientOutput> grads;
    if (failed(weft::collectGradientOutputs(main, grads)))
      return failure();
    gradResults.resize(main.getNumResults());
    for (const weft::GradientOutput &g : grads) {
      trained.push_back({g.param, g.name, ret.getOperand(g.result)});
      gradResults.set(g.result);
    }
    if (trained.empty())
      return main.emitOpError("has no gradient outputs (weft.output = \"grad:<param>\"); "
                              "run weft-autodiff before weft-optimizer");
    llvm::sort(trained, [](const Trained &a, const Trained &b) {
      return a.param.getArgNumber() < b.param.getArgNumber();
    });
    return success();
  }

  /// ZeRO: the state arguments split as zeroSharding() says, the gradient
  /// constrained whole (level 1: all-reduced) or split like the state
  /// (levels 2 and 3: reduce-scattered), the parameter split too (level 3).
  LogicalResult splitOptimizerData(func::FuncOp main, OpBuilder &b, MutableArrayRef<Trained> trained,
                                   ArrayRef<SmallVector<State, 2>> states) {
    weft::MeshAttr mesh = weft::getMesh(main);
    if (!mesh || !mesh.axisIndex(zeroAxis))
      return main.emitError("weft-optimizer: zero=")
             << zero << " splits over mesh axis '" << zeroAxis << "', but the module's mesh is "
             << (mesh ? Attribute(mesh) : Attribute(b.getStringAttr("missing")))
             << "; give it the axis (e.g. --mesh " << zeroAxis << "=2)";
    StringAttr axis = b.getStringAttr(zeroAxis);
    for (auto [t, s] : llvm::zip(trained, states)) {
      auto type = weft::grad::typeOf(t.param);
      unsigned index = t.param.getArgNumber();
      auto param = main.getArgAttrOfType<weft::ShardingAttr>(index, weft::kShardingAttr);
      if (!param)
        param = weft::ShardingAttr::replicated(b.getContext(), unsigned(type.getRank()));
      weft::ShardingAttr split = weft::sharding::zeroSharding(param, type, mesh, axis);
      for (const State &state : s)
        main.setArgAttr(state.arg.getArgNumber(), weft::kShardingAttr, split);
      t.grad = b.create<weft::ShardingConstraintOp>(t.grad.getLoc(), t.grad, zero == 1 ? param : split);
      if (zero < 3) // stored whole: fixed, so the split update does not leak into it
        main.setArgAttr(index, weft::kShardingAttr, param);
      if (zero == 3) {
        // Stored split; the forward and backward passes read it gathered
        // (their old uses), the update below reads the rank's piece.
        main.setArgAttr(index, weft::kShardingAttr, split);
        OpBuilder top = OpBuilder::atBlockBegin(&main.getBody().front());
        Value gathered = top.create<weft::ShardingConstraintOp>(t.param.getLoc(), t.param, param);
        t.param.replaceAllUsesExcept(gathered, gathered.getDefiningOp());
      }
    }
    return success();
  }

  /// Appends an argument tagged `attr = value`.
  BlockArgument appendArgument(func::FuncOp main, Type type, StringRef attr, StringRef value) {
    unsigned index = main.getNumArguments();
    main.insertArgument(index, type, weft::tagAttrs(main.getContext(), attr, value),
                        main.getLoc());
    return main.getArgument(index);
  }

  LogicalResult transform(func::FuncOp main) {
    if (!main.getBody().hasOneBlock())
      return main.emitOpError("has several blocks; weft-optimizer expects one");
    SmallVector<Trained> trained;
    llvm::BitVector gradResults;
    if (failed(collect(main, trained, gradResults)))
      return failure();
    MLIRContext *ctx = main.getContext();
    OpBuilder b(ctx);
    auto scalarType = RankedTensorType::get({}, b.getF32Type());

    // 2. New arguments.
    Value lr = appendArgument(main, scalarType, weft::kInputAttr, "lr");
    Value step = isAdamW()
                     ? appendArgument(main, scalarType, weft::kInputAttr, "step")
                     : Value();
    SmallVector<SmallVector<State, 2>> states(trained.size());
    for (auto [t, s] : llvm::zip(trained, states)) {
      SmallVector<std::string, 2> kinds;
      if (isAdamW())
        kinds = {"adamw.m", "adamw.v"};
      else if (momentum > 0)
        kinds = {"sgd.momentum"};
      for (const std::string &kind : kinds) {
        std::string name = kind + ":" + t.name;
        s.push_back({appendArgument(main, t.param.getType(), weft::kStateAttr, name), name});
      }
    }

    auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
    b.setInsertionPoint(ret);
    if (zero > 0 && failed(splitOptimizerData(main, b, trained, states)))
      return failure();
    weft::grad::Emitter scalars(b, main.getLoc());
    auto constant = [&](double v) { return scalars.splat(scalarType, v); };

    // 3. Clipping by the global norm.
    Value gradNorm, clipScale;
    if (clipNorm > 0) {
      Value sumSq;
      for (const Trained &t : trained) {
        weft::grad::Emitter e(b, t.grad.getLoc());
        Value g = t.grad;
        if (!weft::grad::typeOf(g).getElementType().isF32())
          g = e.cast(g, b.getF32Type());
        SmallVector<int64_t> all;
        for (int64_t d = 0; d < weft::grad::typeOf(g).getRank(); ++d)
          all.push_back(d);
        Value sq = e.reduceSum(e.mul(g, g), all);
        sumSq = sumSq ? scalars.add(sumSq, sq) : sq;
      }
      gradNorm = b.create<weft::SqrtOp>(main.getLoc(), sumSq);
      Value ratio = scalars.div(constant(clipNorm), scalars.add(gradNorm, constant(1e-6)));
      clipScale = b.create<weft::MinOp>(main.getLoc(), ratio, constant(1.0));
    }

    // 4. The per-step scalars.
    Coefficients coef;
    unsigned cLr = 0, cStepSize = 0, cRbc2 = 0, cDecay = 0, cScale = 0, cB1 = 0, cOneMinusB1 = 0,
             cB2 = 0, cOneMinusB2 = 0, cEps = 0, cMomentum = 0, cWd = 0;
    if (isAdamW()) {
      // lr / (1 - b1^t) and 1 / sqrt(1 - b2^t).
      Value bc1 = scalars.sub(constant(1.0), scalars.pow(constant(beta1), step));
      Value bc2 = scalars.sub(constant(1.0), scalars.pow(constant(beta2), step));
      cStepSize = coef.add(scalars.div(lr, bc1));
      cRbc2 = coef.add(b.create<weft::RsqrtOp>(main.getLoc(), bc2));
      if (weightDecay > 0)
        cDecay = coef.add(scalars.sub(constant(1.0), scalars.mul(lr, constant(weightDecay))));
      cB1 = coef.add(constant(beta1));
      cOneMinusB1 = coef.add(constant(1.0 - beta1));
      cB2 = coef.add(constant(beta2));
      cOneMinusB2 = coef.add(constant(1.0 - beta2));
      cEps = coef.add(constant(eps));
    } else {
      cLr = coef.add(lr);
      if (momentum > 0)
        cMomentum = coef.add(constant(momentum));
      if (weightDecay > 0)
        cWd = coef.add(constant(weightDecay));
    }
    if (clipScale)
      cScale = coef.add(clipScale);
    coef.pack(scalars);

    // 5. The updates.
    SmallVector<Value> updates;
    SmallVector<std::string> updateNames;
    for (auto [t, s] : llvm::zip(trained, states)) {
      weft::grad::Emitter e(b, t.param.getLoc());
      Value p = t.param;
      auto c = [&](unsigned index) { return coef.like(e, index, p); };
      Value g = t.grad;
      if (clipScale)
        g = e.mul(g, c(cScale));
      if (isAdamW()) {
        Value m = e.add(e.mul(c(cB1), s[0].arg), e.mul(c(cOneMinusB1), g));
        Value v = e.add(e.mul(c(cB2), s[1].arg), e.mul(c(cOneMinusB2), e.mul(g, g)));
        Value denom =
            e.add(e.mul(b.create<weft::SqrtOp>(t.param.getLoc(), v), c(cRbc2)), c(cEps));
        Value delta = e.div(e.mul(c(cStepSize), m), denom);
        Value base = decays(t.param) ? e.mul(p, c(cDecay)) : p;
        updates.append({e.sub(base, delta), m, v});
        updateNames.append({t.name, s[0].name, s[1].name});
        continue;
      }
      if (decays(t.param))
        g = e.add(g, e.mul(c(cWd), p));
      Value direction = g;
      if (momentum > 0)
        direction = e.add(e.mul(c(cMomentum), s[0].arg), g);
      updates.push_back(e.sub(p, e.mul(c(cLr), direction)));
      updateNames.push_back(t.name);
      if (momentum > 0) {
        updates.push_back(direction);
        updateNames.push_back(s[0].name);
      }
    }

    // 6. The results.
    SmallVector<Value> results;
    SmallVector<DictionaryAttr> oldAttrs, attrs;
    main.getAllResultAttrs(oldAttrs);
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      if (gradResults.test(i) && !keepGradients)
        continue;
      results.push_back(ret.getOperand(i));
      attrs.push_back(oldAttrs[i]);
    }
    if (gradNorm) {
      results.push_back(gradNorm);
      attrs.push_back(weft::tagAttrs(ctx, weft::kOutputAttr, "grad_norm"));
    }
    for (auto [v, name] : llvm::zip(updates, updateNames)) {
      results.push_back(v);
      attrs.push_back(weft::tagAttrs(ctx, weft::kUpdateAttr, name));
    }
    weft::setFunctionResults(main, results, attrs);
    return success();
  }
};

} // namespace
