//===- LimitParallelLoops.cpp - the weft-cpu-limit-parallel-loops pass ----===//
//
// This file implements weft-cpu-limit-parallel-loops: it decides which
// scf.parallel loops become OpenMP work-sharing loops. Forking the team costs
// a few microseconds, so only outermost loop nests with enough work stay
// parallel (min-work innermost iterations, 32768 by default: an f32
// elementwise op over 32768 elements moves at least 256 KiB, ~25 us on one
// core, so the fork costs under ~10%), and only over their leading
// dimensions; everything else becomes sequential scf.for loops, which also
// keeps the innermost loop a plain loop for LLVM's vectorizer.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <limits>

namespace weft::codegen {

#define GEN_PASS_DEF_LIMITPARALLELLOOPSPASS
#include "codegen/Passes.h.inc"

namespace {

using namespace mlir;

constexpr int64_t kUnknownTrips = int64_t(1) << 20;
constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max() / 4;

int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) || r > kSaturated ? kSaturated : r;
}

/// Iterations of one loop dimension; a large guess when not constant.
int64_t tripCount(Value lb, Value ub, Value step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub), s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return kUnknownTrips;
  return *u > *l ? (*u - *l + *s - 1) / *s : 0;
}

int64_t parallelTrips(scf::ParallelOp p, unsigned from, unsigned to) {
  int64_t trips = 1;
  for (unsigned d = from; d < to; ++d)
    trips = saturatingMul(trips, tripCount(p.getLowerBound()[d], p.getUpperBound()[d],
                                           p.getStep()[d]));
  return trips;
}

/// Innermost iterations executed by one run of `block` (at least 1).
int64_t workOf(Block &block) {
  int64_t total = 0;
  for (Operation &op : block) {
    if (auto f = dyn_cast<scf::ForOp>(op)) {
      int64_t t = tripCount(f.getLowerBound(), f.getUpperBound(), f.getStep());
      total += saturatingMul(t, workOf(*f.getBody()));
    } else if (auto p = dyn_cast<scf::ParallelOp>(op)) {
      total += saturatingMul(parallelTrips(p, 0, p.getNumLoops()), workOf(*p.getBody()));
    } else {
      int64_t most = 0;
      for (Region &r : op.getRegions())
        for (Block &b : r)
          most = std::max(most, workOf(b));
      total += most;
    }
    total = std::min(total, kSaturated);
  }
  return std::max<int64_t>(total, 1);
}

/// Rewrites `p` so that only its first `keep` dimensions stay parallel; the
/// others become nested scf.for loops around the original body.
void keepParallelPrefix(scf::ParallelOp p, unsigned keep) {
  OpBuilder b(p);
  Location loc = p.getLoc();
  unsigned n = p.getNumLoops();
  SmallVector<Value> ivs;
  if (keep > 0) {
    auto outer = b.create<scf::ParallelOp>(loc, p.getLowerBound().take_front(keep),
                                           p.getUpperBound().take_front(keep),
                                           p.getStep().take_front(keep));
    llvm::append_range(ivs, outer.getInductionVars());
    b.setInsertionPoint(outer.getBody()->getTerminator());
  }
  for (unsigned d = keep; d < n; ++d) {
    auto loop = b.create<scf::ForOp>(loc, p.getLowerBound()[d], p.getUpperBound()[d],
                                     p.getStep()[d]);
    ivs.push_back(loop.getInductionVar());
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  Block *body = p.getBody();
  for (unsigned d = 0; d < n; ++d)
    body->getArgument(d).replaceAllUsesWith(ivs[d]);
  Block *dest = b.getInsertionBlock();
  dest->getOperations().splice(b.getInsertionPoint(), body->getOperations(), body->begin(),
                               std::prev(body->end()));
  p.erase();
}

struct LimitParallelLoops : impl::LimitParallelLoopsPassBase<LimitParallelLoops> {
  using LimitParallelLoopsPassBase::LimitParallelLoopsPassBase;

  /// 1. Visit the scf.parallel loops outermost first.
  /// 2. One nested in another loop becomes sequential (one fork per nest).
  /// 3. An outermost one whose nest does fewer than min-work innermost
  ///    iterations becomes sequential.
  /// 4. Otherwise keep the shortest prefix of its dimensions with at least
  ///    min-trips iterations (all dimensions if none has) parallel; the rest
  ///    become scf.for loops inside it.
  /// Loops with reductions (init values) are left as they are.
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ParallelOp p) { loops.push_back(p); });
    for (scf::ParallelOp p : loops) {
      if (p.getNumReductions() > 0)
        continue;
      unsigned n = p.getNumLoops();
      bool nested = p->getParentOfType<scf::ForOp>() || p->getParentOfType<scf::ParallelOp>();
      int64_t work = saturatingMul(parallelTrips(p, 0, n), workOf(*p.getBody()));
      if (nested || work < minWork) {
        keepParallelPrefix(p, 0);
        continue;
      }
      unsigned keep = n;
      for (unsigned k = 1; k <= n; ++k)
        if (parallelTrips(p, 0, k) >= minTrips) {
          keep = k;
          break;
        }
      if (keep < n)
        keepParallelPrefix(p, keep);
    }
  }
};

} // namespace
} // namespace weft::codegen
