//===- CachedDecoding.cpp - the parts of every model's decoding programs --===//
//
// This file implements the shared parts of the decoding programs (see
// CachedDecoding.h) with DSL ops only: inputs, additive masks, weft.state
// caches, updates and gathers.
//
//===----------------------------------------------------------------------===//

#include "models/CachedDecoding.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"

namespace weft::models {

void checkDecodeProgram(const char *who, int rows, int length, int maxLength, int64_t context,
                        const char *contextKey, const nn::ParallelPlan &plan) {
  if (rows < 1 || maxLength < 1 || maxLength > context || length < 1 || length > maxLength)
    throw DslError(std::string(who) + ": error: need rows >= 1, 1 <= max length <= " + contextKey + " (" +
                   std::to_string(context) + ") and 1 <= length <= max length, got rows " + std::to_string(rows) +
                   ", length " + std::to_string(length) + " and max length " + std::to_string(maxLength));
  if (!plan.dataAxis.empty() || plan.sequenceParallel)
    throw DslError(std::string(who) + ": error: decoding splits over tensor parallelism only (the heads and the "
                                      "MLP); the plan asks for data or sequence parallelism");
}

CacheAccess prefillCacheAccess(Program &p, int rows, int length) {
  Tensor mask = p.input("mask", {rows, length}, DType::I64);
  // Causal within the prompt and never onto a padding position.
  return {scalar(p, 0, DType::I64), nn::keyPaddingBias(mask) + causal_mask(p, length, DType::F32),
          /*overCache=*/false};
}

CacheAccess stepCacheAccess(Program &p, int rows, int maxLength) {
  Tensor mask = p.input("mask", {rows, maxLength}, DType::I64);
  Tensor start = p.input("start", {}, DType::I64);
  return {start, nn::keyPaddingBias(mask), /*overCache=*/true};
}

std::vector<nn::KvCacheStep> cacheStates(Program &p, int layers, int64_t rows, int64_t heads, int64_t maxLength,
                                         int64_t headDim, CacheNameFn name, const nn::ParallelPlan &plan,
                                         const CacheAccess &access) {
  std::vector<nn::KvCacheStep> caches;
  for (int i = 0; i < layers; ++i) {
    nn::KvCacheStep c;
    c.k = nn::shardDimIfMesh(p, p.state(name(i, /*value=*/false), {rows, heads, maxLength, headDim}), 1,
                             plan.tensorAxis);
    c.v = nn::shardDimIfMesh(p, p.state(name(i, /*value=*/true), {rows, heads, maxLength, headDim}), 1,
                             plan.tensorAxis);
    c.start = access.start;
    c.bias = access.bias;
    c.overCache = access.overCache;
    caches.push_back(c);
  }
  return caches;
}

void updateCaches(Program &p, const std::vector<nn::KvCacheStep> &caches, CacheNameFn name) {
  for (size_t i = 0; i < caches.size(); ++i) {
    p.update(name(int(i), false), caches[i].k);
    p.update(name(int(i), true), caches[i].v);
  }
}

void reorderCaches(Program &p, int rows, const std::vector<nn::KvCacheStep> &caches, CacheNameFn name) {
  Tensor source = p.input("source", {rows}, DType::I64);
  for (size_t i = 0; i < caches.size(); ++i) {
    p.update(name(int(i), false), gather(caches[i].k, source));
    p.update(name(int(i), true), gather(caches[i].v, source));
  }
}

} // namespace weft::models
