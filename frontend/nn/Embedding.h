//===- Embedding.h - lookup table -------------------------------*- C++ -*-===//
//
// This file implements nn::Embedding: a [num, dim] table parameter
// "<name>.weight" whose rows are gathered by integer ids, optionally
// vocabulary-parallel (its rows split over a mesh axis).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_EMBEDDING_H
#define WEFT_FRONTEND_NN_EMBEDDING_H

#include "frontend/Program.h"

#include <string>

namespace weft::nn {

/// A learned lookup table.
class Embedding {
public:
  /// Creates "<name>.weight" of shape [num, dim]; with `vocabAxis` its rows
  /// (the vocabulary) are split over that mesh axis when the program's mesh
  /// has it (the count need not divide: the last pieces are padded).
  Embedding(Program &p, const std::string &name, int64_t num, int64_t dim,
            Init init = Init::normal(0.02), const std::string &vocabAxis = "",
            Loc loc = Loc::current());

  /// ids [I...] (i32/i64) -> [I..., dim].
  Tensor operator()(const Tensor &ids, Loc loc = Loc::current()) const;

  Tensor weight;
  int64_t num, dim;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_EMBEDDING_H
