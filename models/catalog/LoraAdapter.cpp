//===- LoraAdapter.cpp - PEFT LoRA adapters on disk and in an Executor ----===//
//
// This file implements PEFT adapter directories: adapter_config.json parsed
// and written with PEFT 0.10's LoraConfig keys, adapter_model.safetensors
// read and written with PEFT's tensor names (namePrefix + weft's parameter
// name, no adapter name: PEFT strips ".default" when saving), their checks,
// binding to an Executor's LoRA parameters, and the merge into base weights.
//
//===----------------------------------------------------------------------===//

#include "models/catalog/LoraAdapter.h"

#include "models/catalog/HfWeights.h"
#include "runtime/FileUtil.h"
#include "runtime/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

namespace weft {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

/// The base weight of the module of an adapter tensor.
std::string baseWeightName(const std::string &linearPath) { return linearPath + ".weight"; }

/// The dimensions (in, out) of adapter module `path` from its A [r, in] and
/// B [out, r]; INVALID_ARGUMENT when they are not rank 2 with rank r.
rt::Status checkPair(const std::string &path, const rt::HostTensor &a, const rt::HostTensor &b, int r,
                     const std::string &where) {
  bool ok = a.shape.size() == 2 && b.shape.size() == 2 && a.shape[0] == r && b.shape[1] == r;
  if (!ok)
    return rt::invalidArgument(where + ": module '" + path + "' has lora_A " + rt::shapeString(a.shape) +
                               " and lora_B " + rt::shapeString(b.shape) + ", but r = " +
                               std::to_string(r) + " needs lora_A [r, in] and lora_B [out, r]");
  return rt::Status::ok();
}

/// One row per catalog model with LoRA: name, PEFT prefix, layout, targets.
struct PeftModelRow {
  const char *model;
  const char *namePrefix;
  bool fanInFanOut;
  std::vector<std::string> defaultTargets;
};

const std::vector<PeftModelRow> &peftModelTable() {
  static const std::vector<PeftModelRow> table = {
      // GPT2LMHeadModel: transformer.h.N.attn.c_attn (Conv1D, [in, out]).
      {"gpt2", "base_model.model.transformer.", true, {"c_attn"}},
      // LlamaForCausalLM: model.layers.N.self_attn.q_proj (nn.Linear, [out, in]).
      {"llama", "base_model.model.", false, {"q_proj", "v_proj"}},
  };
  return table;
}

const PeftModelRow *findPeftModel(const std::string &model) {
  for (const PeftModelRow &row : peftModelTable())
    if (model == row.model)
      return &row;
  return nullptr;
}

} // namespace

bool hasPeftModelInfo(const std::string &model) { return findPeftModel(model) != nullptr; }

PeftModelInfo peftModelInfo(const std::string &model, const std::string &baseModel) {
  const PeftModelRow *row = findPeftModel(model);
  if (!row) {
    std::string names;
    for (const PeftModelRow &r : peftModelTable())
      names += (names.empty() ? "" : ", ") + std::string(r.model);
    throw std::invalid_argument("LoRA is available for " + names + ", not '" + model + "'");
  }
  return PeftModelInfo{row->namePrefix, baseModel.empty() ? row->model : baseModel, row->fanInFanOut,
                       row->defaultTargets};
}

rt::StatusOr<LoraAdapter> parseAdapterConfig(const std::string &text, const std::string &origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string &m) { return rt::invalidArgument(origin + ": " + m); };
  if (j.is_discarded() || !j.is_object())
    return bad("not a JSON object; expected PEFT's adapter_config.json");
  auto type = j.find("peft_type");
  if (type == j.end() || !type->is_string() || type->get<std::string>() != "LORA")
    return bad("key 'peft_type' must be \"LORA\", got " + (type == j.end() ? "nothing" : type->dump()));
  LoraAdapter a;
  auto r = j.find("r");
  if (r == j.end() || !r->is_number_integer() || r->get<int64_t>() < 1 || r->get<int64_t>() > 65536)
    return bad("key 'r' must be an integer from 1 to 65536, got " + (r == j.end() ? "nothing" : r->dump()));
  a.config.r = int(r->get<int64_t>());
  for (auto [key, out] : {std::pair{"lora_alpha", &a.config.alpha}, std::pair{"lora_dropout", &a.config.dropout}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
      continue;
    if (!it->is_number())
      return bad(std::string("key '") + key + "' must be a number, got " + it->dump());
    *out = it->get<double>();
  }
  auto targets = j.find("target_modules");
  if (targets == j.end() || targets->is_null())
    return bad("key 'target_modules' is missing; it lists the adapted module names");
  if (targets->is_string())
    return bad("key 'target_modules' is the regular expression " + targets->dump() +
               "; weft reads a list of module names (e.g. [\"c_attn\"])");
  if (!targets->is_array())
    return bad("key 'target_modules' must be a list of module names, got " + targets->dump());
  for (const json &t : *targets) {
    if (!t.is_string())
      return bad("key 'target_modules' must hold strings, got " + t.dump());
    a.config.targets.push_back(t.get<std::string>());
  }
  if (auto it = j.find("fan_in_fan_out"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean())
      return bad("key 'fan_in_fan_out' must be true or false, got " + it->dump());
    a.fanInFanOut = it->get<bool>();
  }
  if (auto it = j.find("bias"); it != j.end() && !(it->is_string() && it->get<std::string>() == "none"))
    return bad("key 'bias' is " + it->dump() + "; weft applies adapters with bias \"none\" only");
  for (const char *key : {"use_dora", "use_rslora"})
    if (auto it = j.find(key); it != j.end() && !(it->is_boolean() && !it->get<bool>()))
      return bad(std::string("key '") + key + "' is " + it->dump() + "; weft supports plain LoRA only");
  for (const char *key : {"rank_pattern", "alpha_pattern", "layers_to_transform", "modules_to_save"})
    if (auto it = j.find(key); it != j.end() && !it->is_null() && !it->empty())
      return bad(std::string("key '") + key + "' is " + it->dump() +
                 "; weft applies one r and alpha to every target module and saves no other modules");
  try {
    a.config.validate(origin);
  } catch (const std::invalid_argument &e) {
    return rt::invalidArgument(e.what());
  }
  return a;
}

std::string adapterConfigJson(const LoraConfig &c, const PeftModelInfo &model) {
  // PEFT 0.10's LoraConfig fields, in its (alphabetical) saved order.
  ordered_json j;
  j["alpha_pattern"] = json::object();
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] = model.baseModel;
  j["bias"] = "none";
  j["fan_in_fan_out"] = model.fanInFanOut;
  j["inference_mode"] = true;
  j["init_lora_weights"] = true;
  j["layer_replication"] = nullptr;
  j["layers_pattern"] = nullptr;
  j["layers_to_transform"] = nullptr;
  j["loftq_config"] = json::object();
  // PEFT's lora_alpha is an int unless a fraction was given.
  if (c.alpha == std::floor(c.alpha) && std::fabs(c.alpha) < 1e15)
    j["lora_alpha"] = int64_t(c.alpha);
  else
    j["lora_alpha"] = c.alpha;
  j["lora_dropout"] = c.dropout;
  j["megatron_config"] = nullptr;
  j["megatron_core"] = "megatron.core";
  j["modules_to_save"] = nullptr;
  j["peft_type"] = "LORA";
  j["r"] = c.r;
  j["rank_pattern"] = json::object();
  j["revision"] = nullptr;
  j["target_modules"] = c.targets;
  j["task_type"] = "CAUSAL_LM";
  j["use_dora"] = false;
  j["use_rslora"] = false;
  return j.dump(2) + "\n";
}

rt::StatusOr<LoraAdapter> loadLoraAdapter(const std::string &dir, const PeftModelInfo &model) {
  namespace fs = std::filesystem;
  std::string configPath = (fs::path(dir) / kAdapterConfigFile).string();
  std::string weightsPath = (fs::path(dir) / kAdapterWeightsFile).string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return rt::notFound("LoRA adapter '" + dir + "' is not a directory; pass the directory holding " +
                        kAdapterConfigFile + " and " + kAdapterWeightsFile);
  std::vector<uint8_t> bytes;
  WEFT_RETURN_IF_ERROR(rt::readWholeFile(configPath, bytes));
  auto parsed = parseAdapterConfig(std::string(bytes.begin(), bytes.end()), configPath);
  if (!parsed.isOk())
    return parsed.status();
  LoraAdapter adapter = std::move(parsed).value();
  auto file = rt::SafetensorsFile::open(weightsPath);
  if (!file.isOk())
    return file.status();
  // Every tensor is PEFT-named; A and B come in pairs per module.
  std::map<std::string, std::pair<const rt::HostTensor *, const rt::HostTensor *>> modules;
  for (const std::string &key : file->names()) {
    std::string path;
    bool isB = false;
    if (key.rfind(model.namePrefix, 0) != 0 || !isLoraParamName(key.substr(model.namePrefix.size()), &path, &isB))
      return rt::invalidArgument("'" + weightsPath + "' holds tensor '" + key + "'; PEFT's LoRA tensors are named '" +
                                 model.namePrefix + "<module>.lora_A.weight' and '.lora_B.weight'");
    std::string name = key.substr(model.namePrefix.size());
    if (!adapter.config.matches(path))
      return rt::invalidArgument("'" + weightsPath + "' holds tensor '" + key + "' for module '" + path +
                                 "', which target_modules of '" + configPath + "' does not name");
    auto t = file->read(key);
    if (!t.isOk())
      return t.status();
    auto f32 = widenToF32(std::move(t).value(), key);
    if (!f32.isOk())
      return f32.status();
    adapter.tensors.emplace_back(name, std::move(f32).value());
  }
  for (const auto &[name, t] : adapter.tensors) {
    std::string path;
    bool isB = false;
    isLoraParamName(name, &path, &isB);
    (isB ? modules[path].second : modules[path].first) = &t;
  }
  if (modules.empty())
    return rt::invalidArgument("'" + weightsPath + "' holds no LoRA tensor");
  for (const auto &[path, pair] : modules) {
    if (!pair.first || !pair.second)
      return rt::notFound("'" + weightsPath + "' has no tensor '" + model.namePrefix +
                          loraParamName(path, /*b=*/pair.second == nullptr) + "' (its pair is there)");
    WEFT_RETURN_IF_ERROR(checkPair(path, *pair.first, *pair.second, adapter.config.r, weightsPath));
  }
  return adapter;
}

rt::Status saveLoraAdapter(const std::string &dir, const LoraConfig &config, const PeftModelInfo &model,
                           const rt::Executor &executor) {
  std::vector<std::pair<std::string, rt::HostTensor>> tensors;
  for (const std::string &name : executor.parameterNames()) {
    if (!isLoraParamName(name))
      continue;
    auto t = executor.parameter(name);
    if (!t.isOk())
      return t.status();
    tensors.emplace_back(model.namePrefix + name, std::move(t).value());
  }
  if (tensors.empty())
    return rt::failedPrecondition("cannot save a LoRA adapter to '" + dir +
                                  "': the program has no LoRA parameter (train with --lora)");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return rt::errnoStatus(ec.value(), "cannot create the adapter directory", dir);
  namespace fs = std::filesystem;
  WEFT_RETURN_IF_ERROR(rt::writeSafetensors((fs::path(dir) / kAdapterWeightsFile).string(), tensors,
                                            {{"format", "pt"}}));
  std::string text = adapterConfigJson(config, model);
  return rt::writeFileAtomically((fs::path(dir) / kAdapterConfigFile).string(), {text});
}

rt::Status setLoraParameters(const LoraAdapter &adapter, rt::Executor &executor) {
  std::set<std::string> given;
  for (const auto &[name, t] : adapter.tensors) {
    const proto::Buffer *buffer = executor.buffer(proto::PARAMETER, name);
    if (!buffer)
      return rt::notFound("the adapter's tensor '" + name +
                          "' names no LoRA parameter of the model (an unknown module, or other "
                          "target modules than this run's)");
    given.insert(name);
    WEFT_RETURN_IF_ERROR(executor.setParameter(name, t));
  }
  for (const std::string &name : executor.parameterNames())
    if (isLoraParamName(name) && !given.count(name))
      return rt::notFound("the adapter has no tensor for the model's LoRA parameter '" + name + "'");
  return rt::Status::ok();
}

rt::Status mergeLoraAdapter(const LoraAdapter &adapter, const PeftModelInfo &model,
                            std::vector<std::pair<std::string, rt::HostTensor>> &weights) {
  std::map<std::string, rt::HostTensor *> byName;
  for (auto &[name, t] : weights)
    byName[name] = &t;
  std::map<std::string, std::pair<const rt::HostTensor *, const rt::HostTensor *>> modules;
  for (const auto &[name, t] : adapter.tensors) {
    std::string path;
    bool isB = false;
    if (isLoraParamName(name, &path, &isB))
      (isB ? modules[path].second : modules[path].first) = &t;
  }
  const double scaling = adapter.config.scaling();
  for (const auto &[path, pair] : modules) {
    if (!pair.first || !pair.second)
      return rt::notFound("the adapter lacks lora_A or lora_B of module '" + path + "'");
    auto it = byName.find(baseWeightName(path));
    if (it == byName.end())
      return rt::notFound("the adapter has module '" + path + "' but the model has no weight '" +
                          baseWeightName(path) + "' (an unknown module name)");
    rt::HostTensor &w = *it->second;
    const rt::HostTensor &a = *pair.first, &b = *pair.second;
    const int64_t r = a.shape[0], in = a.shape[1], out = b.shape[0];
    std::vector<int64_t> want = model.fanInFanOut ? std::vector<int64_t>{in, out} : std::vector<int64_t>{out, in};
    if (w.shape != want || w.dtype != weft::proto::F32)
      return rt::invalidArgument("weight '" + baseWeightName(path) + "' has shape " + rt::shapeString(w.shape) +
                                 " but the adapter's lora_A " + rt::shapeString(a.shape) + " and lora_B " +
                                 rt::shapeString(b.shape) + " need " + rt::shapeString(want));
    const float *A = a.data<float>(), *B = b.data<float>();
    float *W = w.data<float>();
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i) {
        double d = 0;
        for (int64_t k = 0; k < r; ++k)
          d += double(B[o * r + k]) * double(A[k * in + i]);
        float &slot = model.fanInFanOut ? W[i * out + o] : W[o * in + i];
        slot = float(double(slot) + d * scaling);
      }
  }
  return rt::Status::ok();
}

rt::Status mergeLoraIntoExecutor(const LoraAdapter &adapter, const PeftModelInfo &model, rt::Executor &executor) {
  std::vector<std::pair<std::string, rt::HostTensor>> weights;
  std::set<std::string> wanted;
  for (const auto &[name, t] : adapter.tensors) {
    std::string path;
    if (isLoraParamName(name, &path))
      wanted.insert(baseWeightName(path));
  }
  for (const std::string &name : wanted) {
    if (!executor.buffer(proto::PARAMETER, name))
      return rt::notFound("the adapter has module '" + name.substr(0, name.size() - 7) +
                          "' but the model has no parameter '" + name + "' (an unknown module name)");
    auto t = executor.parameter(name);
    if (!t.isOk())
      return t.status();
    weights.emplace_back(name, std::move(t).value());
  }
  WEFT_RETURN_IF_ERROR(mergeLoraAdapter(adapter, model, weights));
  for (const auto &[name, t] : weights)
    WEFT_RETURN_IF_ERROR(executor.setParameter(name, t));
  return rt::Status::ok();
}

} // namespace weft
