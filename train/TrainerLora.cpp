//===- TrainerLora.cpp - the Trainer's initial weights and LoRA adapters --===//
//
// This file implements the parts of train::Trainer that frozen parameters and
// LoRA adapters touch: the initial weights (base weights from safetensors,
// adapters from a PEFT directory or their initialisers), the PEFT adapter
// export, the merged-weights export and the memory report that shows what
// freezing saves (parameters split trainable / frozen, gradients, optimizer
// state).
//
//===----------------------------------------------------------------------===//

#include "train/Trainer.h"

#include "frontend/Program.h"
#include "models/catalog/HfWeights.h"
#include "models/catalog/LoraAdapter.h"
#include "models/catalog/ParamInit.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"
#include "train/StatusCheck.h"

#include <algorithm>
#include <stdexcept>

namespace weft::train {

rt::HostTensor Trainer::loraSeedFor(uint64_t initSeed, int t) {
  rt::HostTensor seed(weft::proto::I64, {});
  seed.data<int64_t>()[0] = int64_t((initSeed << 32) + uint64_t(t));
  return seed;
}

std::pair<uint64_t, uint64_t> Trainer::parameterBytes(const Program &loss) {
  uint64_t trainable = 0, frozen = 0;
  for (const ParamSpec &p : loss.params())
    (p.trainable ? trainable : frozen) += uint64_t(rt::numElements(p.shape)) * 4;
  return {trainable, frozen};
}

void Trainer::setInitialWeights(const Program &loss) {
  const TrainConfig &c = config_;
  std::vector<ParamSpec> base, adapters;
  for (const ParamSpec &p : loss.params())
    (isLoraParamName(p.name) ? adapters : base).push_back(p);
  if (!c.weightsPath.empty())
    check(loadHfWeights(c.weightsPath, base, *train_), "cannot load --weights");
  else
    for (const ParamSpec &p : base) // an int8 base weight (--quantize) is quantized here
      check(rt::setWeightFromF32(*train_, p.name, initialValue(p, c.initSeed)), "cannot set '" + p.name + "'");
  if (!c.loraAdapterPath.empty()) {
    if (adapters.empty())
      throw std::runtime_error("--lora-adapter '" + c.loraAdapterPath +
                               "' needs a model with LoRA adapters (--lora)");
    auto adapter = loadLoraAdapter(c.loraAdapterPath, peftModelInfo(c.modelName()));
    check(adapter.status(), "cannot load --lora-adapter");
    check(setLoraParameters(adapter.value(), *train_), "cannot load --lora-adapter '" + c.loraAdapterPath + "'");
    return;
  }
  for (const ParamSpec &p : adapters)
    check(train_->setParameter(p.name, initialValue(p, c.initSeed)), "cannot set '" + p.name + "'");
}

void Trainer::saveAdapter(const std::string &dir, const std::string &baseModel) const {
  if (!config_.lora().enabled())
    throw std::runtime_error("cannot save a LoRA adapter: this run trains without --lora");
  if (config_.writeFiles)
    check(saveLoraAdapter(dir, config_.lora(), peftModelInfo(config_.modelName(), baseModel), *train_),
          "cannot write the adapter to '" + dir + "'");
}

void Trainer::exportMergedWeights(const std::string &path) const {
  if (!config_.lora().enabled())
    throw std::runtime_error("cannot merge LoRA adapters: this run trains without --lora");
  if (!config_.compile.quantize.empty())
    throw std::runtime_error("cannot merge LoRA adapters into the " + config_.compile.quantize +
                             " base: the merged weights would be f32; save the adapter (--save-adapter) and "
                             "merge it into the f32 base weights");
  LoraAdapter adapter;
  adapter.config = config_.lora();
  std::vector<std::pair<std::string, rt::HostTensor>> base;
  for (const std::string &name : train_->parameterNames())
    (isLoraParamName(name) ? adapter.tensors : base).emplace_back(name, parameterWide(name));
  PeftModelInfo model = peftModelInfo(config_.modelName());
  adapter.fanInFanOut = model.fanInFanOut;
  check(mergeLoraAdapter(adapter, model, base), "cannot merge the adapters");
  if (config_.writeFiles)
    check(rt::writeSafetensors(path, base, {{"format", "pt"}}), "cannot write --merge-lora '" + path + "'");
}

std::string Trainer::memoryReport() const {
  const proto::Executable &exe = train_->executable().proto();
  rt::MemoryNeeds needs = stepMemory(); // with micro-batches both programs' arenas
  auto [trainable, frozen] = paramBytes_;
  // An int8 base (--quantize int8-weight) or a bf16/f16 one (--precision:
  // weft-mixed-precision's store-frozen): the frozen weights are what the
  // step holds besides the (f32) trainable ones, one byte (two) per weight
  // plus the f32 scales and the rest.
  uint64_t narrow = 0;
  const char *narrowType = nullptr;
  for (const proto::Buffer &b : exe.buffers())
    if (b.kind() == proto::PARAMETER && b.dtype() != proto::F32) {
      narrow += b.byte_size();
      narrowType = rt::dtypeName(b.dtype());
    }
  std::string frozenText = rt::formatBytes(frozen);
  if (narrow > 0) {
    frozen = needs.parameters - std::min(needs.parameters, trainable);
    frozenText = rt::formatBytes(frozen) + ": " + (std::string(narrowType) == "i8" ? "int8" : narrowType) +
                 " weights " + rt::formatBytes(narrow) + ", f32 " +
                 (std::string(narrowType) == "i8" ? "scales and the rest " : "rest ") +
                 rt::formatBytes(frozen - std::min(frozen, narrow));
  }
  return "parameters " + rt::formatBytes(trainable + frozen) + " (trainable " + rt::formatBytes(trainable) +
         ", frozen " + frozenText + "), gradients " + rt::formatBytes(trainable) +
         " (in the arena), optimizer state " + rt::formatBytes(needs.state) + ", arena " +
         rt::formatBytes(needs.arena);
}

} // namespace weft::train
