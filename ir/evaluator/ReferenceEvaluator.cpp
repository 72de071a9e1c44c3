//===- ReferenceEvaluator.cpp - evaluation driver and random inputs -------===//
//
// This file implements the driver of the weft reference evaluator: it verifies
// the function, checks the arguments against the function's signature, walks
// the body in order handing each op to its evaluator (ReferenceEvaluatorOps.cpp),
// frees each value after its last use, and collects the func.return operands.
// The walk runs any number of ranks in lockstep (evaluateLockstep), so the SPMD
// evaluator (SpmdEvaluator.cpp) shares it; evaluate() is its one-rank case and
// refuses collectives.
// It also implements reproducible random tensors and error formatting.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/WeftCollectiveOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <memory>
#include <random>

using namespace mlir;

namespace weft {

int64_t RefTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// Renders a shape as [d0, d1, ...].
std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

/// Renders a location as "file:line:col" using the first file location inside
/// it (locations may be fused or named); other locations print as MLIR does.
std::string locationString(Location loc) {
  std::string out;
  loc->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l)) {
      out = (f.getFilename().getValue() + ":" + Twine(f.getLine()) + ":" +
             Twine(f.getColumn()))
                .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (out.empty()) {
    llvm::raw_string_ostream os(out);
    loc.print(os);
  }
  return out;
}

/// Wraps an integer result to the width of its element type and forces i1 to
/// 0/1, as the generated code does; floats keep full double precision.
void normalizeResult(RefTensor &t, Type elementType) {
  auto it = dyn_cast<IntegerType>(elementType);
  if (!it)
    return;
  if (it.getWidth() == 1) {
    for (double &v : t.data)
      v = v != 0.0 ? 1.0 : 0.0;
  } else if (it.getWidth() == 32) {
    for (double &v : t.data)
      if (v < INT32_MIN || v > INT32_MAX)
        v = detail::convertElement(v, IntegerType::get(it.getContext(), 64),
                                   elementType);
  }
}

/// Verifies `func`, capturing the diagnostics into the thrown error.
void verifyOrThrow(func::FuncOp func) {
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(func->getContext(), [&](Diagnostic &d) {
      diagnostics += locationString(d.getLocation()) + ": " + d.str() + "\n";
      return success();
    });
    if (succeeded(mlir::verify(func.getOperation())))
      return;
  }
  throw EvaluationError(locationString(func.getLoc()) + ": function '@" +
                        func.getSymName().str() +
                        "' is not valid IR; fix the following first:\n" +
                        diagnostics);
}

/// Checks the argument count, each argument's shape and element count;
/// `who` names the rank in the messages of an SPMD evaluation.
void checkArguments(func::FuncOp func, ArrayRef<RefTensor> args, const std::string &who) {
  std::string where = locationString(func.getLoc()) + ": function '@" +
                      func.getSymName().str() + "'" + who;
  FunctionType type = func.getFunctionType();
  if (args.size() != type.getNumInputs())
    throw EvaluationError(where + " takes " + std::to_string(type.getNumInputs()) +
                          " arguments but " + std::to_string(args.size()) +
                          " were given; pass one tensor per argument, in order");
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    auto tt = dyn_cast<RankedTensorType>(argType);
    std::string name = "argument #" + std::to_string(i);
    if (!tt || !tt.hasStaticShape())
      throw EvaluationError(where + " " + name +
                            " is not a statically shaped tensor; the evaluator "
                            "only takes static tensors");
    const RefTensor &arg = args[i];
    if (ArrayRef<int64_t>(arg.shape) != tt.getShape())
      throw EvaluationError(where + " " + name + " has shape " +
                            shapeString(arg.shape) + " but the function expects " +
                            shapeString(tt.getShape()) +
                            "; pass a tensor of the argument's shape");
    if ((int64_t)arg.data.size() != arg.numElements())
      throw EvaluationError(where + " " + name + " holds " +
                            std::to_string(arg.data.size()) +
                            " values but its shape " + shapeString(arg.shape) +
                            " needs " + std::to_string(arg.numElements()));
  }
}

/// A value's tensor during evaluation: arguments are borrowed, op results owned.
struct Slot {
  const RefTensor *tensor = nullptr;
  std::unique_ptr<RefTensor> owned;
};

} // namespace

std::string detail::opErrorMessage(Operation *op, const Twine &message) {
  return locationString(op->getLoc()) + ": '" +
         op->getName().getStringRef().str() + "' op " + message.str();
}

std::vector<std::vector<RefTensor>>
detail::evaluateLockstep(func::FuncOp func, ArrayRef<ArrayRef<RefTensor>> argsPerRank,
                         LockstepOpFn evalOp) {
  if (!func)
    throw EvaluationError("evaluate: got a null function");
  verifyOrThrow(func);
  if (func.isExternal())
    throw EvaluationError(locationString(func.getLoc()) + ": function '@" +
                          func.getSymName().str() +
                          "' has no body; the evaluator needs a definition");
  size_t ranks = argsPerRank.size();
  for (auto [r, args] : llvm::enumerate(argsPerRank))
    checkArguments(func, args, ranks == 1 ? "" : " on rank " + std::to_string(r));
  if (!func.getBody().hasOneBlock())
    throw EvaluationError(locationString(func.getLoc()) + ": function '@" +
                          func.getSymName().str() +
                          "' has several blocks; weft functions have one");
  Block &body = func.getBody().front();

  // The last op that reads each value, so that its tensor can be freed then.
  llvm::DenseMap<Operation *, SmallVector<Value>> lastUses;
  {
    llvm::DenseMap<Value, Operation *> lastUser;
    for (Operation &op : body)
      for (Value v : op.getOperands())
        lastUser[v] = &op;
    for (auto &[v, op] : lastUser)
      lastUses[op].push_back(v);
  }

  // One environment per rank; all ranks run the same op at the same time.
  std::vector<llvm::DenseMap<Value, Slot>> env(ranks);
  for (size_t r = 0; r < ranks; ++r)
    for (auto [arg, tensor] : llvm::zip(body.getArguments(), argsPerRank[r]))
      env[r][arg].tensor = &tensor;

  for (Operation &op : body) {
    std::vector<std::vector<const RefTensor *>> operands(ranks);
    for (size_t r = 0; r < ranks; ++r)
      for (Value v : op.getOperands()) {
        auto it = env[r].find(v);
        if (it == env[r].end())
          throw EvaluationError(detail::opErrorMessage(
              &op, "reads a value defined outside the function body"));
        operands[r].push_back(it->second.tensor);
      }

    if (isa<func::ReturnOp>(op)) {
      std::vector<std::vector<RefTensor>> results(ranks);
      for (size_t r = 0; r < ranks; ++r)
        for (const RefTensor *t : operands[r])
          results[r].push_back(*t);
      return results;
    }

    std::vector<std::vector<RefTensor>> results = evalOp(&op, operands);
    for (size_t r = 0; r < ranks; ++r) {
      if (results.size() != ranks || results[r].size() != op.getNumResults())
        throw EvaluationError(detail::opErrorMessage(
            &op, "evaluator produced " + Twine(results.size() == ranks ? results[r].size() : 0) +
                     " results for " + Twine(op.getNumResults()) + " (evaluator bug)"));
      for (auto [value, tensor] : llvm::zip(op.getResults(), results[r])) {
        auto tt = cast<RankedTensorType>(value.getType());
        if (ArrayRef<int64_t>(tensor.shape) != tt.getShape() ||
            (int64_t)tensor.data.size() != tt.getNumElements())
          throw EvaluationError(detail::opErrorMessage(
              &op, "evaluator produced shape " + shapeString(tensor.shape) +
                       " for result type " + shapeString(tt.getShape()) +
                       " (evaluator bug)"));
        normalizeResult(tensor, tt.getElementType());
        Slot &slot = env[r][value];
        slot.owned = std::make_unique<RefTensor>(std::move(tensor));
        slot.tensor = slot.owned.get();
      }
      for (Value v : lastUses.lookup(&op))
        env[r].erase(v);
    }
  }
  throw EvaluationError(locationString(func.getLoc()) + ": function '@" +
                        func.getSymName().str() +
                        "' does not end with func.return");
}

std::vector<RefTensor> evaluate(func::FuncOp func, ArrayRef<RefTensor> args) {
  ArrayRef<RefTensor> one[] = {args};
  auto evalOp = [](Operation *op, detail::RankOperands operands) {
    if (isCollective(op))
      throw EvaluationError(detail::opErrorMessage(
          op, "is a collective over the module's mesh; evaluate the function with "
              "evaluateSpmd (ir/evaluator/SpmdEvaluator.h), which runs every rank"));
    std::vector<std::vector<RefTensor>> results;
    results.push_back(detail::evaluateOp(op, operands[0]));
    return results;
  };
  return std::move(detail::evaluateLockstep(func, one, evalOp)[0]);
}

RefTensor randomTensor(RankedTensorType type, uint64_t seed, double lo,
                       double hi) {
  if (!type || !type.hasStaticShape())
    throw EvaluationError("randomTensor: needs a statically shaped tensor type");
  if (!(lo < hi))
    throw EvaluationError("randomTensor: empty range [" + std::to_string(lo) +
                          ", " + std::to_string(hi) + "); need lo < hi");
  RefTensor t;
  t.shape.assign(type.getShape().begin(), type.getShape().end());
  t.data.resize(type.getNumElements());
  // mt19937_64 is fully specified by the standard; the distributions are not,
  // so values are formed from its raw bits to be identical everywhere.
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return (double)(rng() >> 11) * 0x1.0p-53; };
  Type et = type.getElementType();
  Type f64 = Float64Type::get(type.getContext());
  if (et.isInteger(1)) {
    for (double &v : t.data)
      v = (double)(rng() >> 63);
  } else if (isa<IntegerType>(et)) {
    for (double &v : t.data)
      v = std::floor(lo + uniform() * (hi - lo));
  } else {
    for (double &v : t.data) {
      // Round to the element type; redraw the rare value rounded out of range.
      int tries = 0;
      do {
        if (++tries > 64)
          throw EvaluationError("randomTensor: no value of the element type "
                                "lies in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "); widen the range");
        v = detail::convertElement(lo + uniform() * (hi - lo), f64, et);
      } while (!(v >= lo && v < hi));
    }
  }
  return t;
}

} // namespace weft
