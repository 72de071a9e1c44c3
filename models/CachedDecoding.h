//===- CachedDecoding.h - the parts of every model's decoding programs -*- C++ -*-===//
//
// This file implements the declarations of what the key/value-cache
// decoding programs of every model share (models/Gpt2's and models/Llama's
// buildXPrefill / buildXDecodeStep / buildXCacheReorder): the checks of
// their sizes and plan, the cache states of every layer, the inputs that say
// where a program writes its keys and what it attends (a prefill's mask and
// causal bias, a step's mask over the cache and its write position), the
// caches returned as updates, and the beam reorder of every cache.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CACHEDDECODING_H
#define WEFT_MODELS_CACHEDDECODING_H

#include "frontend/Program.h"
#include "frontend/nn/Attention.h"
#include "frontend/nn/ParallelPlan.h"

#include <string>
#include <vector>

namespace weft::models {

/// The name of layer `layer`'s key (value: false) or value cache state.
using CacheNameFn = std::string (*)(int layer, bool value);

/// Throws DslError("<who>: error: ...") unless rows >= 1 and 1 <= length <=
/// maxLength <= context (the model's positions, named by `contextKey`), or
/// when `plan` asks for data or sequence parallelism (decoding splits over
/// tensor parallelism only: the rows are few).
void checkDecodeProgram(const char *who, int rows, int length, int maxLength, int64_t context,
                        const char *contextKey, const nn::ParallelPlan &plan);

/// Where a decoding program's layers write x's keys and values and what
/// they attend: a KvCacheStep without its caches.
struct CacheAccess {
  Tensor start, bias;
  bool overCache = false;
};

/// A prefill's: input "mask" [rows, length] i64 (0 at left padding); keys
/// written from position 0; attention causal within the prompt, never onto
/// padding, over the prompt's own keys.
CacheAccess prefillCacheAccess(Program &p, int rows, int length);

/// A decode step's: inputs "mask" [rows, maxLength] i64 (1 at every cache
/// position a row attends to) and "start" (rank-0 i64, the position
/// written); attention over the whole cache.
CacheAccess stepCacheAccess(Program &p, int rows, int maxLength);

/// The caches of `layers` layers, weft.state [rows, heads, maxLength,
/// headDim] named by `name`, split over the heads (dimension 1) by the
/// plan's tensor axis, each with `access`.
std::vector<nn::KvCacheStep> cacheStates(Program &p, int layers, int64_t rows, int64_t heads, int64_t maxLength,
                                         int64_t headDim, CacheNameFn name, const nn::ParallelPlan &plan,
                                         const CacheAccess &access = {});

/// Returns every cache (as the layers wrote it) as its state's update.
void updateCaches(Program &p, const std::vector<nn::KvCacheStep> &caches, CacheNameFn name);

/// Beam reordering of `caches`: input "source" [rows] i64, every cache
/// becomes cache[source] (row r takes row source[r]), a gather into a
/// temporary returned as the update.
void reorderCaches(Program &p, int rows, const std::vector<nn::KvCacheStep> &caches, CacheNameFn name);

} // namespace weft::models

#endif // WEFT_MODELS_CACHEDDECODING_H
