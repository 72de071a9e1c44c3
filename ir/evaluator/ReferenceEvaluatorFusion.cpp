//===- ReferenceEvaluatorFusion.cpp - evaluator of weft.fusion ------------===//
//
// This file implements the reference evaluator of weft.fusion: the body is a
// nested function, so it is evaluated like the function driver does
// (ReferenceEvaluator.cpp): block arguments bound to the operand tensors,
// each inner op handed to its evaluator in order (detail::evaluateOp), inner
// integer results wrapped to their width exactly as top-level results are,
// each value freed after its last use, and the weft.yield operands returned.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluatorFusion.h"
#include "ir/WeftOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Twine.h"

#include <memory>

using namespace mlir;

namespace weft {
namespace {

/// Wraps integer values to the width of `elementType` and forces i1 to 0/1,
/// as the driver does for top-level results.
void normalize(RefTensor &t, Type elementType) {
  auto it = dyn_cast<IntegerType>(elementType);
  if (!it)
    return;
  Type i64 = IntegerType::get(it.getContext(), 64);
  for (double &v : t.data) {
    if (it.getWidth() == 1)
      v = v != 0.0 ? 1.0 : 0.0;
    else if (it.getWidth() < 64)
      v = detail::convertElement(v, i64, elementType);
  }
}

} // namespace

std::vector<RefTensor>
detail::evaluateFusion(FusionOp op, ArrayRef<const RefTensor *> operands) {
  Block &body = op.getBody().front();
  // Values whose last reader is each op, so their tensors die there.
  llvm::DenseMap<Operation *, SmallVector<Value>> lastUses;
  {
    llvm::DenseMap<Value, Operation *> lastUser;
    for (Operation &inner : body)
      for (Value v : inner.getOperands())
        lastUser[v] = &inner;
    for (auto &[v, user] : lastUser)
      lastUses[user].push_back(v);
  }
  // Operands are borrowed; inner results are owned by `owned`.
  llvm::DenseMap<Value, const RefTensor *> env;
  llvm::DenseMap<Value, std::unique_ptr<RefTensor>> owned;
  for (auto [arg, tensor] : llvm::zip(body.getArguments(), operands))
    env[arg] = tensor;

  for (Operation &inner : body) {
    SmallVector<const RefTensor *> in;
    for (Value v : inner.getOperands()) {
      auto it = env.find(v);
      if (it == env.end())
        throw EvaluationError(opErrorMessage(
            &inner, "reads a value the weft.fusion body does not define"));
      in.push_back(it->second);
    }
    if (isa<YieldOp>(inner)) {
      std::vector<RefTensor> results;
      for (const RefTensor *t : in)
        results.push_back(*t);
      return results;
    }
    std::vector<RefTensor> results = evaluateOp(&inner, in);
    if (results.size() != inner.getNumResults())
      throw EvaluationError(opErrorMessage(
          &inner, "evaluator produced " + Twine(results.size()) +
                      " results for " + Twine(inner.getNumResults()) +
                      " (evaluator bug)"));
    for (auto [value, tensor] : llvm::zip(inner.getResults(), results)) {
      normalize(tensor, cast<RankedTensorType>(value.getType()).getElementType());
      auto &slot = owned[value];
      slot = std::make_unique<RefTensor>(std::move(tensor));
      env[value] = slot.get();
    }
    for (Value v : lastUses.lookup(&inner)) {
      env.erase(v);
      owned.erase(v);
    }
  }
  throw EvaluationError(
      opErrorMessage(op, "body does not end with weft.yield"));
}

} // namespace weft
