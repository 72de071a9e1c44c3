//===- QuantizeWeights.cpp - weight-only int8 parameters ------------------===//
//
// This file implements weft-quantize-weights: it turns the f32 weight
// parameters of matmuls into int8 parameters with per-output-channel scales
// and the matmuls into weft.matmul_q8 with int8 activations (int8-weight),
// plus LLM.int8()'s f32 outlier columns (llm-int8); see the pass description
// in passes/Passes.td; the quantization itself happens when the weights are
// bound, runtime/cpu/Quantize.h.
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

/// The uses of a weight: the weft.matmul ops that read it as their rhs with
/// a plain lhs (the products weft.matmul_q8 expresses) and the weft.gather
/// ops that read it as their table (a tied embedding).
struct WeightUses {
  SmallVector<weft::MatmulOp> matmuls;
  SmallVector<weft::GatherOp> gathers;
};

/// The uses of `arg`, or nothing when it has another kind of use, or
/// gathers and `allowGathers` is false.
std::optional<WeightUses> weightUses(BlockArgument arg, bool allowGathers) {
  WeightUses out;
  for (OpOperand &use : arg.getUses()) {
    Operation *user = use.getOwner();
    auto mm = dyn_cast<weft::MatmulOp>(user);
    if (mm && use.getOperandNumber() == 1 && !mm.getTransposeLhs())
      out.matmuls.push_back(mm);
    else if (isa<weft::GatherOp>(user) && use.getOperandNumber() == 0 && allowGathers)
      out.gathers.push_back(cast<weft::GatherOp>(user));
    else
      return std::nullopt;
  }
  return out;
}

/// Rewrites `gather` (rows of an f32 table) to read the table's int8 form:
/// the rows of `q` (i8 [V, D]) and the entries of `scale` (f32 [V], one per
/// row) at the same indices, the rows cast to f32 and multiplied by their
/// scales: the lookup of the dequantized table, without the f32 table.
void gatherDequantizedRows(weft::GatherOp gather, Value q, Value scale) {
  OpBuilder b(gather);
  Location loc = gather.getLoc();
  auto rowsType = cast<RankedTensorType>(gather.getType());
  Value qRows = b.create<weft::GatherOp>(loc, q, gather.getIndices());
  Value scales = b.create<weft::GatherOp>(loc, scale, gather.getIndices());
  Value rows = b.create<weft::CastOp>(loc, rowsType, qRows);
  // The scales [I...] spread over each row's D entries: dims 0 .. rank-2.
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d + 1 < rowsType.getRank(); ++d)
    dims.push_back(d);
  Value spread = b.create<weft::BroadcastOp>(loc, rowsType, scales, b.getDenseI64ArrayAttr(dims));
  Value dequantized = b.create<weft::MulOp>(loc, rowsType, rows, spread);
  gather.getResult().replaceAllUsesWith(dequantized);
  gather.erase();
}

/// Whether the products quantize the LM head: `lmHead` when set (int8 or
/// f32), else per mode: int8-weight yes (ggml's q8_0 does), llm-int8 no
/// (Hugging Face's int8 loading keeps it in full precision).
bool quantizesLmHead(StringRef mode, StringRef lmHead) {
  if (lmHead.empty())
    return mode == "int8-weight";
  return lmHead == "int8";
}

struct QuantizeWeightsPass : weft::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  /// 1. Check the mode and find the function.
  /// 2. Pick the f32 rank-2 parameters not in `keep` used as matmul weights
  ///    only, or, when the LM head is quantized (lm-head; by default with
  ///    int8-weight), as transposed matmul weights and gather tables (a tied
  ///    embedding such as GPT-2's wte); when any parameter is frozen (a LoRA
  ///    program), the frozen ones only.
  /// 3. For each, append NAME.q8 (i8, its shape) and NAME.scale (f32 [N],
  ///    N the output channels: dim 1, or dim 0 when its matmuls transpose it;
  ///    its matmuls must agree), frozen when NAME was, and rewrite each
  ///    matmul as weft.matmul_q8, with quantize_lhs (and outlier_threshold
  ///    for llm-int8) unless `activations` is off. When the scales are per
  ///    row (transposed: the tied LM head [V, D]), each gather of the table
  ///    reads the int8 rows and their scales instead (gatherDequantizedRows),
  ///    so that the table is held once, in int8.
  /// 4. Erase the f32 parameters left without a use.
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode != "int8-weight" && mode != "llm-int8") {
      module.emitError() << "weft-quantize-weights: unknown mode '" << mode
                         << "'; the modes are: int8-weight, llm-int8";
      return signalPassFailure();
    }
    if (mode == "llm-int8" && !(threshold > 0.0)) {
      module.emitError() << "weft-quantize-weights: the llm-int8 outlier threshold must be "
                            "positive, got "
                         << threshold;
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>(function);
    if (!main) {
      module.emitError() << "weft-quantize-weights: no function @" << function;
      return signalPassFailure();
    }
    if (!lmHead.empty() && lmHead != "int8" && lmHead != "f32") {
      module.emitError() << "weft-quantize-weights: unknown lm-head '" << lmHead
                         << "'; the choices are: int8, f32 (default: int8 with int8-weight, f32 with llm-int8)";
      return signalPassFailure();
    }
    const bool quantizeLmHead = quantizesLmHead(mode, lmHead);
    llvm::StringSet<> kept;
    if (keep.empty() && !quantizeLmHead)
      kept.insert("lm_head.weight");
    for (const std::string &name : keep)
      kept.insert(name);
    FloatAttr outlierThreshold;
    if (mode == "llm-int8")
      outlierThreshold = FloatAttr::get(Float32Type::get(&getContext()), threshold);

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
          !type.getElementType().isF32() || (frozenOnly && !frozen))
        continue;
      std::optional<WeightUses> uses = weightUses(arg, quantizeLmHead);
      if (!uses || uses->matmuls.empty())
        continue;
      SmallVector<weft::MatmulOp> &matmuls = uses->matmuls;
      std::optional<bool> transposed;
      bool agree = true;
      for (weft::MatmulOp mm : matmuls) {
        bool t = mm.getTransposeRhs();
        agree &= !transposed || *transposed == t;
        transposed = t;
      }
      // One weight read both ways: its channels are ambiguous. A gathered
      // table needs one scale per row (its products transposed).
      if (!agree || (!uses->gathers.empty() && !*transposed))
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
      for (weft::MatmulOp mm : matmuls) {
        OpBuilder b(mm);
        auto qmm = b.create<weft::MatmulQ8Op>(mm.getLoc(), mm.getLhs(), q, s, mm.getTransposeRhs(),
                                              /*quantize_lhs=*/activations,
                                              activations ? outlierThreshold : FloatAttr());
        // Its dialect tags (e.g. "weft.recompute", the recompute group of a
        // training step) stay on the op; its own flags were passed above.
        for (NamedAttribute attr : mm->getAttrs())
          if (attr.getName().getValue().contains('.'))
            qmm->setAttr(attr.getName(), attr.getValue());
        mm.getResult().replaceAllUsesWith(qmm.getResult());
        mm.erase();
      }
      for (weft::GatherOp gather : uses->gathers) // one scale per row
        gatherDequantizedRows(gather, q, s);
      erase.resize(main.getNumArguments());
      if (arg.use_empty())
        erase.set(i);
    }
    erase.resize(main.getNumArguments());
    main.eraseArguments(erase);
  }
};

} // namespace
