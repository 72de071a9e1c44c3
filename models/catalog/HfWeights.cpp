//===- HfWeights.cpp - Hugging Face weights into an Executor --------------===//
//
// This file implements loadHfWeights (see HfWeights.h): each tensor found in
// its file of the checkpoint; on a mesh each rank reads only its piece of
// each split weight (SafetensorsFile::readPiece).
//
//===----------------------------------------------------------------------===//

#include "models/catalog/HfWeights.h"

#include "runtime/comm/ShardedBuffer.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/SafetensorsCheckpoint.h"

#include <cmath>
#include <cstring>

namespace weft {

rt::StatusOr<rt::HostTensor> widenToF32(rt::HostTensor t, const std::string &name) {
  if (!rt::isFloatType(t.dtype))
    return rt::invalidArgument("tensor '" + name + "' has dtype " +
                               rt::dtypeName(t.dtype) + ", expected f32");
  return rt::castFloats(t, weft::proto::F32);
}

namespace {

/// DATA_LOSS naming the tensor when an f32 tensor holds NaN or infinity: a
/// corrupt file or diverged weights would otherwise surface only as NaN
/// logits or a loss blamed on the learning rate.
rt::Status checkFinite(const rt::HostTensor &t, const std::string &name, const std::string &path) {
  const float *v = t.data<float>();
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < t.numElements(); ++i)
    if (!std::isfinite(v[i])) {
      bad += 1;
      if (first < 0)
        first = i;
    }
  if (bad == 0)
    return rt::Status::ok();
  return rt::dataLoss("tensor '" + name + "' in '" + path + "' holds " + std::to_string(bad) +
                      " non-finite value" + (bad == 1 ? "" : "s") + " (the first, " +
                      (std::isnan(v[first]) ? "NaN" : v[first] > 0 ? "+inf" : "-inf") +
                      ", at element " + std::to_string(first) + " of " +
                      std::to_string(t.numElements()) +
                      "); the file is corrupt or the weights diverged");
}

} // namespace

rt::Status loadHfWeights(const std::string &path,
                         const std::vector<ParamSpec> &params,
                         rt::Executor &executor) {
  auto checkpoint = rt::SafetensorsCheckpoint::open(path);
  if (!checkpoint.isOk())
    return checkpoint.status();
  std::string files = checkpoint->numFiles() == 1
                          ? "weights file"
                          : "sharded weights (" + std::to_string(checkpoint->numFiles()) + " files)";
  for (const ParamSpec &p : params) {
    std::string key = p.name;
    if (!checkpoint->contains(key) && checkpoint->contains("transformer." + key))
      key = "transformer." + key;
    const rt::SafetensorsFile *file = checkpoint->fileOf(key);
    if (!file)
      return rt::notFound(files + " '" + path + "' " + (checkpoint->numFiles() == 1 ? "has" : "have") +
                          " no tensor '" + p.name + "'" +
                          (p.name.rfind("model.", 0) == 0 || p.name.rfind("lm_head.", 0) == 0
                               ? std::string()
                               : " (nor 'transformer." + p.name + "')") +
                          ", which the model needs with shape " + shapeStr(p.shape));
    auto info = file->info(key);
    if (!info.isOk())
      return info.status();
    if (info->shape != p.shape)
      return rt::invalidArgument("tensor '" + key + "' in '" + file->path() +
                                 "' has shape " + rt::shapeString(info->shape) +
                                 " but the model needs " + shapeStr(p.shape) +
                                 "; does config.json match the weights?");
    // HF stores every weight as the DSL's parameter is shaped (GPT-2's Conv1D
    // [in, out], LLaMA's Linear [out, in]: no transpose), so each rank copies only its own piece out of
    // the mapped file (the whole tensor on one device or when replicated).
    if (rt::isInt8Weight(executor, p.name)) { // --quantize int8-weight: quantized here
      auto whole = file->read(key);
      if (!whole.isOk())
        return whole.status();
      auto f32 = widenToF32(std::move(whole).value(), key);
      if (!f32.isOk())
        return f32.status();
      WEFT_RETURN_IF_ERROR(checkFinite(*f32, key, path));
      WEFT_RETURN_IF_ERROR(rt::setInt8Weight(executor, p.name, *f32));
      continue;
    }
    const proto::Buffer *buffer = executor.buffer(proto::PARAMETER, p.name);
    if (!buffer)
      return rt::notFound("the compiled program has no parameter '" + p.name + "'");
    auto piece = file->readPiece(key, rt::piecesOfBuffer(*buffer, executor.mesh(), executor.rank()));
    if (!piece.isOk())
      return piece.status();
    auto f32 = widenToF32(std::move(piece).value(), key);
    if (!f32.isOk())
      return f32.status();
    WEFT_RETURN_IF_ERROR(checkFinite(*f32, key, file->path()));
    // A program compiled with --precision bf16/f16 holds the weight narrow.
    WEFT_RETURN_IF_ERROR(executor.setLocalPiece(proto::PARAMETER, p.name,
                                                rt::castFloats(*f32, buffer->dtype())));
  }
  return rt::Status::ok();
}

} // namespace weft
