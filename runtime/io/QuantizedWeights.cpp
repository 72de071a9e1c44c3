//===- QuantizedWeights.cpp - int8 weights: bind, save, load --------------===//
//
// This file implements the binding of f32 weights to a program's int8 pairs
// and the save/load of a quantized program's parameters (QuantizedWeights.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/io/QuantizedWeights.h"
#include "runtime/cpu/Quantize.h"

#include <algorithm>
#include <optional>
#include <set>

namespace weft::rt {
namespace {

/// The layout of NAME.q8 as the program's Gemm reads it, or nothing when no
/// Gemm reads it. An int8 Gemm (the CPU's) reads it directly. On a target
/// without one (CUDA: weft-expand-matmul-q8) an f32 Gemm reads its f32 copy:
/// the f32 output of a kernel that reads NAME.q8, or int8 rows gathered from
/// it (int8 temporaries of kernels reading those), with the shape of what it
/// read (a cast; gathered blocks of rows of an LM head).
std::optional<WeightLayout> int8Layout(const Executor &executor, const std::string &name) {
  const proto::Buffer *q = executor.buffer(proto::PARAMETER, name + ".q8");
  if (!q)
    return std::nullopt;
  const proto::Executable &exe = executor.executable().proto();
  auto layoutOf = [](const proto::Gemm &g) { return g.trans_b() ? WeightLayout::NK : WeightLayout::KN; };
  for (const proto::Step &step : exe.steps())
    if (step.has_gemm() && step.gemm().b_dtype() == proto::I8 && step.gemm().b() == q->id())
      return layoutOf(step.gemm());
  auto sameShape = [&](uint32_t a, uint32_t b) {
    const auto &x = exe.buffers(int(a)).shape(), &y = exe.buffers(int(b)).shape();
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  };
  std::set<uint32_t> int8Data = {q->id()}, copies;
  for (const proto::Step &step : exe.steps()) {
    if (step.has_gemm() && copies.count(step.gemm().b()))
      return layoutOf(step.gemm());
    if (!step.has_kernel_call())
      continue;
    const auto &args = step.kernel_call().args();
    for (uint32_t read : args) {
      if (!int8Data.count(read))
        continue;
      for (uint32_t other : args) {
        const proto::Buffer &b = exe.buffers(int(other));
        if (other == read || b.kind() != proto::TEMPORARY)
          continue;
        if (b.dtype() == proto::I8)
          int8Data.insert(other);
        else if (b.dtype() == proto::F32 && sameShape(read, other))
          copies.insert(other);
      }
    }
  }
  return std::nullopt;
}

/// When `file` holds the weight behind parameter `name` in the other form (an
/// int8 pair where the program holds f32, or the converse: a quantized LM
/// head saved with another --lm-head), a hint saying so; else "".
std::string heldOtherwise(const SafetensorsFile &file, const std::string &name) {
  auto endsWith = [&](const std::string &suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const bool pair = endsWith(".q8") || endsWith(".scale");
  const std::string base = name.substr(0, name.rfind('.'));
  if (pair && file.contains(base))
    return "; the file holds '" + base + "' in f32 (saved with --lm-head f32, or before the LM head "
           "was int8 by default): load it with --lm-head f32";
  if (!pair && file.contains(name + ".q8"))
    return "; the file holds it in int8 ('" + name + ".q8', saved with --lm-head int8): load it with "
           "--lm-head int8";
  return "";
}

} // namespace

bool isInt8Weight(const Executor &executor, const std::string &name) {
  return executor.buffer(proto::PARAMETER, name + ".scale") && int8Layout(executor, name);
}

Status setInt8Weight(Executor &executor, const std::string &name, const HostTensor &value) {
  std::optional<WeightLayout> layout = int8Layout(executor, name);
  const proto::Buffer *q = executor.buffer(proto::PARAMETER, name + ".q8");
  if (!layout || !q || !executor.buffer(proto::PARAMETER, name + ".scale"))
    return notFound("the program has no int8 weight '" + name + "' (" + name + ".q8 and " + name +
                    ".scale read by a gemm)");
  std::vector<int64_t> shape(q->shape().begin(), q->shape().end());
  if (value.dtype != proto::F32 || value.shape != shape)
    return invalidArgument("weight '" + name + "' is " + dtypeName(value.dtype) + " " +
                           shapeString(value.shape) + "; its int8 form needs f32 " +
                           shapeString(shape));
  const bool nk = *layout == WeightLayout::NK;
  const int64_t n = nk ? shape[0] : shape[1], k = nk ? shape[1] : shape[0];
  HostTensor qt(proto::I8, shape), scales(proto::F32, {n});
  quantizeQ8(*layout, n, k, value.data<float>(), qt.data<int8_t>(), scales.data<float>());
  WEFT_RETURN_IF_ERROR(executor.setParameter(name + ".q8", qt));
  return executor.setParameter(name + ".scale", scales);
}

Status setWeightFromF32(Executor &executor, const std::string &name, const HostTensor &value) {
  if (isInt8Weight(executor, name))
    return setInt8Weight(executor, name, value);
  const proto::Buffer *b = executor.buffer(proto::PARAMETER, name);
  if (b && value.dtype == proto::F32 && (b->dtype() == proto::BF16 || b->dtype() == proto::F16))
    return executor.setParameter(name, castFloats(value, b->dtype()));
  return executor.setParameter(name, value);
}

Status saveParameters(const Executor &executor, const std::string &path,
                      const std::string &quantize, const std::string &model) {
  std::vector<std::pair<std::string, HostTensor>> tensors;
  for (const std::string &name : executor.parameterNames()) {
    StatusOr<HostTensor> t = executor.parameter(name);
    if (!t.isOk())
      return t.status();
    tensors.emplace_back(name, std::move(t).value());
  }
  std::map<std::string, std::string> metadata = {{kModelMetadataKey, model}};
  if (!quantize.empty())
    metadata[kQuantizeMetadataKey] = quantize;
  return writeSafetensors(path, tensors, metadata);
}

Status loadQuantizedParameters(const SafetensorsFile &file, Executor &executor,
                               const std::string &quantize, const std::string &model) {
  const auto &meta = file.metadata();
  auto q = meta.find(kQuantizeMetadataKey);
  const std::string fileQuantize = q == meta.end() ? "" : q->second;
  if (fileQuantize != quantize)
    return invalidArgument("weights file '" + file.path() + "' holds " +
                           (fileQuantize.empty() ? std::string("f32") : fileQuantize) +
                           " weights but the program was compiled for " +
                           (quantize.empty() ? std::string("f32") : quantize) +
                           "; pass --quantize " +
                           (fileQuantize.empty() ? std::string("none") : fileQuantize));
  auto m = meta.find(kModelMetadataKey);
  if (m == meta.end() || m->second != model)
    return invalidArgument("weights file '" + file.path() + "' was saved for the model '" +
                           (m == meta.end() ? std::string("(not recorded)") : m->second) +
                           "', not for this one ('" + model +
                           "'); use the config the file was saved with");
  for (const std::string &name : executor.parameterNames()) {
    if (!file.contains(name))
      return notFound("weights file '" + file.path() + "' has no tensor '" + name +
                      "', which the program needs" + heldOtherwise(file, name));
    StatusOr<HostTensor> t = file.read(name);
    if (!t.isOk())
      return t.status();
    Status st = executor.setParameter(name, *t);
    if (!st.isOk())
      return Status(st.code(), "weights file '" + file.path() + "': " + st.message());
  }
  return Status::ok();
}

} // namespace weft::rt
