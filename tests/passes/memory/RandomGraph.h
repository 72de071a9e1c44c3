//===- RandomGraph.h - random weft functions for tests -------*- C++ -*-===//
//
// This file declares the generator of random weft functions (as MLIR text) that
// the memory-planning tests schedule and plan: random DAGs of elementwise,
// matmul, reduce, reshape, transpose, broadcast, concat, cast, select and
// constant ops over random shapes, with inputs, parameters and outputs.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_MEMORY_RANDOMGRAPH_H
#define WEFT_TESTS_MEMORY_RANDOMGRAPH_H

#include <string>

namespace weft::testing {

/// Returns a module holding one function `@main` with about `numOps` ops,
/// determined by `seed`.
std::string makeRandomGraph(unsigned seed, int numOps);

} // namespace weft::testing

#endif // WEFT_TESTS_MEMORY_RANDOMGRAPH_H
