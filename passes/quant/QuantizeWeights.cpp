//===- QuantizeWeights.cpp - weight-only int8 parameters ------------------===//
//
// This file implements weft-quantize-weights: it turns the f32 weight
// parameters of matmuls into int8 parameters with per-output-channel scales
// and the matmuls into weft.matmul_q8 (see the pass description in
// passes/Passes.td; the quantization itself happens when the weights are
// bound, runtime/cpu/Quantize.h).
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"
#include "ir/WeftQuantOps.h"
#include "passes/PassUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringSet.h"

namespace weft {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// Whether every use of `arg` is the rhs of a weft.matmul whose lhs is not
/// transposed (the only products weft.matmul_q8 expresses).
bool onlyMatmulWeight(BlockArgument arg) {
  if (arg.use_empty())
    return false;
  for (OpOperand &use : arg.getUses()) {
    auto mm = dyn_cast<weft::MatmulOp>(use.getOwner());
    if (!mm || use.getOperandNumber() != 1 || mm.getTransposeLhs())
      return false;
  }
  return true;
}

struct QuantizeWeightsPass : weft::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  /// 1. Check the mode and find the function.
  /// 2. Pick the f32 rank-2 parameters not in `keep` used only as matmul
  ///    weights; when any parameter is frozen, the frozen ones only.
  /// 3. For each, append NAME.q8 (i8, its shape) and NAME.scale (f32 [N],
  ///    N the output channels: dim 1, or dim 0 when its matmuls transpose it;
  ///    its matmuls must agree), frozen when NAME was, and rewrite each
  ///    matmul as weft.matmul_q8.
  /// 4. Erase the f32 parameters.
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode != "int8-weight") {
      module.emitError() << "weft-quantize-weights: unknown mode '" << mode
                         << "'; the modes are: int8-weight";
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>(function);
    if (!main) {
      module.emitError() << "weft-quantize-weights: no function @" << function;
      return signalPassFailure();
    }
    llvm::StringSet<> kept;
    if (keep.empty())
      kept.insert("lm_head.weight");
    for (const std::string &name : keep)
      kept.insert(name);

    MLIRContext *ctx = &getContext();
    llvm::BitVector erase(main.getNumArguments());
    const unsigned original = main.getNumArguments();
    auto isFrozen = [&](unsigned i) { return bool(main.getArgAttr(i, weft::kFrozenAttr)); };
    bool frozenOnly = false; // a LoRA program: its trainable adapters stay f32
    for (unsigned i = 0; i < original; ++i)
      frozenOnly |= isFrozen(i);
    for (unsigned i = 0; i < original; ++i) {
      auto name = main.getArgAttrOfType<StringAttr>(i, weft::kParamAttr);
      BlockArgument arg = main.getArgument(i);
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      const bool frozen = isFrozen(i);
      if (!name || kept.contains(name.getValue()) || !type || type.getRank() != 2 ||
          !type.getElementType().isF32() || (frozenOnly && !frozen) || !onlyMatmulWeight(arg))
        continue;
      std::optional<bool> transposed;
      bool agree = true;
      for (Operation *user : arg.getUsers()) {
        bool t = cast<weft::MatmulOp>(user).getTransposeRhs();
        agree &= !transposed || *transposed == t;
        transposed = t;
      }
      if (!agree) // one weight read both ways: its channels are ambiguous
        continue;
      const int64_t channels = type.getDimSize(*transposed ? 0 : 1);
      auto qType = RankedTensorType::get(type.getShape(), IntegerType::get(ctx, 8));
      auto sType = RankedTensorType::get({channels}, Float32Type::get(ctx));
      unsigned qIndex = main.getNumArguments();
      auto paramAttrs = [&](StringRef suffix) {
        NamedAttrList attrs(weft::tagAttrs(ctx, weft::kParamAttr, (name.getValue() + suffix).str()));
        if (frozen)
          attrs.set(weft::kFrozenAttr, UnitAttr::get(ctx));
        return attrs.getDictionary(ctx);
      };
      main.insertArgument(qIndex, qType, paramAttrs(".q8"), arg.getLoc());
      main.insertArgument(qIndex + 1, sType, paramAttrs(".scale"), arg.getLoc());
      Value q = main.getArgument(qIndex), s = main.getArgument(qIndex + 1);
      for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
        auto mm = cast<weft::MatmulOp>(user);
        OpBuilder b(mm);
        auto qmm = b.create<weft::MatmulQ8Op>(mm.getLoc(), mm.getLhs(), q, s, mm.getTransposeRhs());
        // Its dialect tags (e.g. "weft.recompute", the recompute group of a
        // training step) stay on the op; its own flags were passed above.
        for (NamedAttribute attr : mm->getAttrs())
          if (attr.getName().getValue().contains('.'))
            qmm->setAttr(attr.getName(), attr.getValue());
        mm.getResult().replaceAllUsesWith(qmm.getResult());
        mm.erase();
      }
      erase.resize(main.getNumArguments());
      erase.set(i);
    }
    erase.resize(main.getNumArguments());
    main.eraseArguments(erase);
  }
};

} // namespace
