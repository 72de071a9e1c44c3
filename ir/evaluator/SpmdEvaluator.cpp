//===- SpmdEvaluator.cpp - the reference evaluator on a simulated mesh ----===//
//
// This file implements evaluateSpmd: the evaluator's lockstep driver
// (detail::evaluateLockstep) over all ranks of a mesh, with each collective
// evaluated across the groups it spans: the ranks whose mesh coordinates
// differ only in the op's axes, ordered row-major over those axes.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/SpmdEvaluator.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/Twine.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;
using weft::detail::RankOperands;

namespace weft {
namespace {

/// The ranks of each group over some mesh axes, each group in group order.
using Groups = std::vector<std::vector<int64_t>>;

Groups groupsOf(MeshAttr mesh, ArrayRef<StringAttr> axes) {
  SmallVector<unsigned> axisIdx;
  for (StringAttr a : axes)
    axisIdx.push_back(*mesh.axisIndex(a.getValue()));
  int64_t g = mesh.groupSize(axes);
  // Key: the coordinates off the group's axes; position: row-major over axes.
  std::map<SmallVector<int64_t>, std::vector<int64_t>> byKey;
  for (int64_t r = 0; r < mesh.numDevices(); ++r) {
    SmallVector<int64_t> coords = mesh.coordinates(r);
    int64_t index = 0;
    for (unsigned i : axisIdx) {
      index = index * mesh.getAxisSizes()[i] + coords[i];
      coords[i] = 0;
    }
    std::vector<int64_t> &group = byKey[coords];
    group.resize(g, -1);
    group[index] = r;
  }
  Groups groups;
  for (auto &entry : byKey)
    groups.push_back(std::move(entry.second));
  return groups;
}

/// A tensor viewed as [outer, size of `dim`, inner].
struct Split3 {
  int64_t outer = 1, len, inner = 1;
  Split3(ArrayRef<int64_t> shape, int64_t dim) : len(shape[dim]) {
    for (int64_t d = 0; d < dim; ++d)
      outer *= shape[d];
    for (size_t d = dim + 1; d < shape.size(); ++d)
      inner *= shape[d];
  }
};

/// Block `i` of `count` equal blocks of `t` along `dim`.
RefTensor blockOf(const RefTensor &t, int64_t dim, int64_t count, int64_t i) {
  Split3 v(t.shape, dim);
  int64_t len = v.len / count;
  RefTensor r;
  r.shape = t.shape;
  r.shape[dim] = len;
  r.data.reserve(v.outer * len * v.inner);
  for (int64_t o = 0; o < v.outer; ++o) {
    auto begin = t.data.begin() + (o * v.len + i * len) * v.inner;
    r.data.insert(r.data.end(), begin, begin + len * v.inner);
  }
  return r;
}

/// The concatenation of `parts` (equal shapes) along `dim`.
RefTensor concatAlong(ArrayRef<const RefTensor *> parts, int64_t dim) {
  Split3 v(parts[0]->shape, dim);
  RefTensor r;
  r.shape = parts[0]->shape;
  r.shape[dim] = v.len * (int64_t)parts.size();
  r.data.reserve(r.numElements());
  for (int64_t o = 0; o < v.outer; ++o)
    for (const RefTensor *p : parts) {
      auto begin = p->data.begin() + o * v.len * v.inner;
      r.data.insert(r.data.end(), begin, begin + v.len * v.inner);
    }
  return r;
}

/// The elementwise sum (max, min) of `parts`.
RefTensor combine(ArrayRef<const RefTensor *> parts, ReduceKind kind) {
  RefTensor r = *parts[0];
  for (const RefTensor *p : parts.drop_front())
    for (size_t i = 0; i < r.data.size(); ++i) {
      double x = r.data[i], y = p->data[i];
      switch (kind) {
      case ReduceKind::Max: r.data[i] = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
      case ReduceKind::Min: r.data[i] = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
      default: r.data[i] = x + y; break;
      }
    }
  return r;
}

/// One collective over all ranks: out[r] is rank r's (single) result.
std::vector<RefTensor> evaluateCollective(Operation *op, MeshAttr mesh,
                                          RankOperands in) {
  // Every collective names its group's mesh axes in `axes`.
  auto axes = llvm::to_vector(op->getAttrOfType<ArrayAttr>("axes").getAsRange<StringAttr>());
  std::vector<RefTensor> out(in.size());
  for (const std::vector<int64_t> &group : groupsOf(mesh, axes)) {
    int64_t g = group.size();
    std::vector<const RefTensor *> operands;
    if (op->getNumOperands() == 1)
      for (int64_t r : group)
        operands.push_back(in[r][0]);
    TypeSwitch<Operation *>(op)
        .Case([&](AllReduceOp a) {
          RefTensor sum = combine(operands, a.getKind());
          for (int64_t r : group)
            out[r] = sum;
        })
        .Case([&](AllGatherOp a) {
          RefTensor all = concatAlong(operands, a.getDim());
          for (int64_t r : group)
            out[r] = all;
        })
        .Case([&](ReduceScatterOp a) {
          RefTensor sum = combine(operands, a.getKind());
          for (int64_t i = 0; i < g; ++i)
            out[group[i]] = blockOf(sum, a.getDim(), g, i);
        })
        .Case([&](AllToAllOp a) {
          // Receiver j concatenates block j of every sender, in group order.
          for (int64_t j = 0; j < g; ++j) {
            std::vector<RefTensor> blocks;
            for (const RefTensor *t : operands)
              blocks.push_back(blockOf(*t, a.getSplitDim(), g, j));
            std::vector<const RefTensor *> parts;
            for (const RefTensor &b : blocks)
              parts.push_back(&b);
            out[group[j]] = concatAlong(parts, a.getConcatDim());
          }
        })
        .Case([&](CollectivePermuteOp p) {
          for (int64_t r : group) {
            out[r] = *operands[0];
            std::fill(out[r].data.begin(), out[r].data.end(), 0.0);
          }
          for (auto [source, target] : p.getSourceTargetPairs())
            out[group[target]] = *operands[source];
        })
        .Case([&](AxisIndexOp) {
          for (int64_t i = 0; i < g; ++i)
            out[group[i]] = RefTensor{{}, {(double)i}};
        });
  }
  return out;
}

} // namespace

std::vector<std::vector<RefTensor>>
evaluateSpmd(func::FuncOp func, MeshAttr mesh, ArrayRef<std::vector<RefTensor>> argsPerRank) {
  if (!mesh)
    throw EvaluationError("evaluateSpmd: got a null mesh");
  if ((int64_t)argsPerRank.size() != mesh.numDevices())
    throw EvaluationError("evaluateSpmd: the mesh " + [&] {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << mesh;
      return s;
    }() + " has " + std::to_string(mesh.numDevices()) + " devices but arguments for " +
                          std::to_string(argsPerRank.size()) +
                          " ranks were given; pass one argument list per rank");
  if (func && getMesh(func) && getMesh(func) != mesh)
    throw EvaluationError(detail::opErrorMessage(
        func, "is evaluated on a mesh other than its module's weft.mesh; pass that one"));
  SmallVector<ArrayRef<RefTensor>> args(argsPerRank.begin(), argsPerRank.end());
  auto evalOp = [&](Operation *op, RankOperands operands) {
    std::vector<std::vector<RefTensor>> results(operands.size());
    if (isCollective(op)) {
      std::vector<RefTensor> out = evaluateCollective(op, mesh, operands);
      for (size_t r = 0; r < out.size(); ++r)
        results[r].push_back(std::move(out[r]));
      return results;
    }
    for (size_t r = 0; r < operands.size(); ++r)
      results[r] = detail::evaluateOp(op, operands[r]);
    return results;
  };
  return detail::evaluateLockstep(func, args, evalOp);
}

} // namespace weft
