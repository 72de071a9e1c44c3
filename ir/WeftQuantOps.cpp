//===- WeftQuantOps.cpp - products with quantized weights -----------------===//
//
// This file implements the result-type inference of weft.matmul_q8, which
// also checks its operands: a 2-D lhs [M, K], a 2-D weight [K, N] ([N, K]
// with transpose_rhs) and scales [N]; and its verifier (an outlier
// threshold needs quantize_lhs and is positive).
//
//===----------------------------------------------------------------------===//

#include "ir/WeftQuantOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;
using namespace weft;

#define GET_OP_CLASSES
#include "ir/WeftQuantOps.cpp.inc"

namespace weft {

LogicalResult MatmulQ8Op::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                           ValueRange operands, DictionaryAttr attrs,
                                           OpaqueProperties props, RegionRange regions,
                                           SmallVectorImpl<Type> &results) {
  MatmulQ8Op::Adaptor a(operands, attrs, props, regions);
  auto lhs = dyn_cast<RankedTensorType>(a.getLhs().getType());
  auto weight = dyn_cast<RankedTensorType>(a.getWeight().getType());
  auto scales = dyn_cast<RankedTensorType>(a.getScales().getType());
  if (!lhs || !weight || !scales)
    return emitOptionalError(loc, "'weft.matmul_q8' op operands must be ranked tensors");
  if (lhs.getRank() != 2 || weight.getRank() != 2)
    return emitOptionalError(loc, "'weft.matmul_q8' op lhs and weight must be 2-D, got ranks ",
                             lhs.getRank(), " and ", weight.getRank(),
                             "; reshape batched activations to [M, K] first");
  const bool transposed = a.getTransposeRhs();
  const int64_t m = lhs.getDimSize(0), k = lhs.getDimSize(1);
  const int64_t wk = weight.getDimSize(transposed ? 1 : 0);
  const int64_t n = weight.getDimSize(transposed ? 0 : 1);
  if (wk != k)
    return emitOptionalError(loc, "'weft.matmul_q8' op contraction sizes differ: lhs [", m, ", ",
                             k, "] and weight [", weight.getDimSize(0), ", ",
                             weight.getDimSize(1), "]",
                             transposed ? " (transposed: [N, K])" : " ([K, N])");
  if (scales.getRank() != 1 || scales.getDimSize(0) != n)
    return emitOptionalError(loc, "'weft.matmul_q8' op scales must be [N] = [", n,
                             "] (one per output channel), got a tensor of rank ",
                             scales.getRank(),
                             scales.getRank() == 1 ? " and size " : "",
                             scales.getRank() == 1 ? std::to_string(scales.getDimSize(0)) : "");
  results.push_back(RankedTensorType::get({m, n}, Float32Type::get(ctx)));
  return success();
}

LogicalResult MatmulQ8Op::verify() {
  std::optional<llvm::APFloat> t = getOutlierThreshold();
  if (!t)
    return success();
  if (!getQuantizeLhs()) {
    InFlightDiagnostic d = emitOpError("has an outlier_threshold but not quantize_lhs; the outlier "
                                       "columns are those kept f32 when the activations are "
                                       "quantized (LLM.int8())");
    d.attachNote(getLoc()) << "add quantize_lhs, or drop outlier_threshold";
    return d;
  }
  const double v = t->convertToDouble();
  if (!(v > 0.0) || std::isinf(v))
    return emitOpError("outlier_threshold must be a positive finite number, got ") << v;
  return success();
}

} // namespace weft
