//===- RateTables.cpp - measured rate tables and their interpolation ------===//
//
// This file implements the interpolation of RateTables.h: each axis is
// bracketed by the two neighbouring points of the query's logarithm (clamped
// to the ends), and the logarithms of the values are blended linearly.
//
//===----------------------------------------------------------------------===//

#include "cost/RateTables.h"

#include <algorithm>
#include <cmath>

namespace weft::cost {
namespace {

/// Where `q` falls on `axis` (strictly increasing, non-empty): the
/// neighbouring indices and the weight of the upper one, in log space,
/// clamped to the axis's ends.
struct Bracket {
  size_t lo = 0, hi = 0;
  double t = 0;
};

Bracket bracket(const std::vector<double> &axis, double q) {
  Bracket b;
  if (axis.size() == 1 || q <= axis.front())
    return b;
  if (q >= axis.back()) {
    b.lo = b.hi = axis.size() - 1;
    return b;
  }
  b.hi = size_t(std::upper_bound(axis.begin(), axis.end(), q) - axis.begin());
  b.lo = b.hi - 1;
  b.t = std::log(q / axis[b.lo]) / std::log(axis[b.hi] / axis[b.lo]);
  return b;
}

double blend(double a, double b, double t) { return t == 0 ? a : t == 1 ? b : a + (b - a) * t; }

} // namespace

double GemmRateGrid::rate(double qm, double qn, double qk) const {
  Bracket bm = bracket(m, std::max(1.0, qm)), bn = bracket(n, std::max(1.0, qn)),
          bk = bracket(k, std::max(1.0, qk));
  auto logAt = [&](size_t i, size_t j, size_t l) { return std::log(at(i, j, l)); };
  auto alongK = [&](size_t i, size_t j) { return blend(logAt(i, j, bk.lo), logAt(i, j, bk.hi), bk.t); };
  auto alongN = [&](size_t i) { return blend(alongK(i, bn.lo), alongK(i, bn.hi), bn.t); };
  return std::exp(blend(alongN(bm.lo), alongN(bm.hi), bm.t));
}

double SizeCurve::at(double size, AboveLast above) const {
  if (above == AboveLast::Proportional && size > sizes.back())
    return values.back() * (size / sizes.back());
  Bracket b = bracket(sizes, std::max(size, 1e-300));
  return std::exp(blend(std::log(values[b.lo]), std::log(values[b.hi]), b.t));
}

} // namespace weft::cost
