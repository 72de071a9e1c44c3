//===- Elimination.h - the exact optimum by dynamic programming --*- C++ -*-===//
//
// This file declares an exact solver of a GroupedProblem without a memory
// budget that shares nothing with the ILP: bucket (variable) elimination,
// the dynamic program over a graph. Groups are eliminated in min-degree
// order; eliminating one builds, for every combination of its neighbours'
// strategies, the cheapest of its own (a table over the neighbours), and
// the choices are recovered backwards. It enumerates implicitly every
// combination of strategies, so it finds what brute force would, in time
// exponential only in the graph's induced width — small for a transformer
// step after ties — and gives up (nullopt) when a table would exceed
// `maxEntries`. The tests check the ILP's plans against it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_ELIMINATION_H
#define WEFT_PASSES_PARALLEL_SEARCH_ELIMINATION_H

#include "passes/parallel/search/StrategyProblem.h"

#include <optional>

namespace weft::search {

/// The optimum of `problem` (its memory budget ignored), or nullopt when an
/// intermediate table would hold more than `maxEntries` entries.
std::optional<Solution> solveByElimination(const GroupedProblem &problem, uint64_t maxEntries = 1u << 24);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_ELIMINATION_H
