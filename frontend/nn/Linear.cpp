//===- Linear.cpp - affine layer ------------------------------------------===//
//
// This file implements nn::Linear: parameter creation in either layout and
// application as reshape → weft.matmul (transposed for [out, in]) → add bias
// → reshape, and its parallel style as shard hints on the parameters; a
// LoRA target adds (x A^T) B^T * alpha / r to the output.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Linear.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

#include <cmath>

namespace weft::nn {

LinearOptions projectionOptions(WeightLayout layout, Init init, LinearParallel parallel) {
  LinearOptions o;
  o.layout = layout;
  o.weightInit = init;
  o.parallel = std::move(parallel);
  return o;
}

Linear::Linear(Program &p, const std::string &name, int64_t in, int64_t out,
               LinearOptions options, Loc loc)
    : in(in), out(out), path(p.scopedName(name)), program_(&p),
      options_(options) {
  ModuleCall call(p, loc);
  auto scope = openScope(p, name);
  Shape shape = options.layout == WeightLayout::InOut ? Shape{in, out}
                                                      : Shape{out, in};
  weight = p.param("weight", shape, options.weightInit);
  if (options.bias)
    bias = p.param("bias", {out}, options.biasInit);
  // The weight's dimension of output (column) or input (row) features.
  const LinearParallel &par = options.parallel;
  bool inOut = options.layout == WeightLayout::InOut;
  if (par.style == ParallelStyle::Column) {
    weight = shardDimIfMesh(p, weight, inOut ? 1 : 0, par.axis, par.blocks);
    if (bias.valid())
      bias = shardDimIfMesh(p, bias, 0, par.axis, par.blocks);
  } else if (par.style == ParallelStyle::Row) {
    weight = shardDimIfMesh(p, weight, inOut ? 0 : 1, par.axis, par.blocks);
  }
  detail::ProgramState &s = p.state();
  if (!s.lora.enabled())
    return;
  s.linearPaths.push_back(path);
  if (!s.lora.matches(path))
    return;
  for (const std::string &target : s.lora.targets)
    if (matchesLoraTarget(path, target))
      s.matchedLoraTargets.insert(target);
  const int64_t r = s.lora.r;
  // Dropout draws from the program's input "lora.seed" (one per program,
  // created by the first adapter), a stream per adapted layer.
  if (s.lora.dropout > 0) {
    if (!s.loraSeed.valid())
      s.loraSeed = p.input(kLoraSeedInput, {}, DType::I64, loc);
    dropoutStream_ = s.loraStreams++;
  }
  // PEFT: kaiming_uniform_(a=sqrt(5)) on [r, in] is U(-1/sqrt(in), 1/sqrt(in)).
  loraA = p.param("lora_A.weight", {r, in}, Init::uniform(1.0 / std::sqrt(double(in))));
  loraB = p.param("lora_B.weight", {out, r}, Init::zeros());
}

Tensor Linear::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  Shape xs = x.shape();
  if (xs.empty() || xs.back() != in)
    program_->state().fail(
        Loc::current(), "Linear '" + path + "' expects inputs [..., " +
                 std::to_string(in) + "], got " + shapeStr(xs));
  Tensor x2 = xs.size() == 2 ? x : reshape(x, {-1, in});
  Tensor y = matmul(x2, weight, /*transpose_a=*/false,
                    /*transpose_b=*/options_.layout == WeightLayout::OutIn);
  if (bias.valid())
    y = y + bias;
  if (loraA.valid()) {
    // [N, in] x [r, in]^T x [out, r]^T: the rank-r update, scaled.
    const detail::ProgramState &s = program_->state();
    Tensor in = s.lora.dropout > 0 ? dropout(x2, s.lora.dropout, s.loraSeed, dropoutStream_) : x2;
    Tensor down = matmul(in, loraA, /*transpose_a=*/false, /*transpose_b=*/true);
    Tensor up = matmul(down, loraB, /*transpose_a=*/false, /*transpose_b=*/true);
    y = y + up * program_->lora().scaling();
  }
  if (xs.size() == 2)
    return y;
  Shape ys(xs.begin(), xs.end() - 1);
  ys.push_back(out);
  return reshape(y, ys);
}

} // namespace weft::nn
