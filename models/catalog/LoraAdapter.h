//===- LoraAdapter.h - PEFT LoRA adapters on disk and in an Executor -*- C++ -*-//
//
// This file declares the reading and writing of LoRA adapters in Hugging Face
// PEFT's format (a directory with adapter_config.json and
// adapter_model.safetensors, as PeftModel.save_pretrained writes it), their
// binding to the "<linear>.lora_A.weight" / ".lora_B.weight" parameters of a
// compiled weft program, and merging them into the base weights
// (W0 + B A * alpha / r in the stored layout). Model-independent: the model
// gives the prefix of PEFT's tensor names and its weight layout.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_LORAADAPTER_H
#define WEFT_MODELS_CATALOG_LORAADAPTER_H

#include "frontend/LoraConfig.h"
#include "runtime/Executor.h"
#include "runtime/HostTensor.h"
#include "runtime/Status.h"

#include <string>
#include <utility>
#include <vector>

namespace weft {

/// How a catalog model's LoRA adapters are named and stored by PEFT: one
/// entry per model of models/catalog/ModelCatalog.h that takes --lora.
struct PeftModelInfo {
  /// The prefix of PEFT's tensor names before weft's parameter name, e.g.
  /// "base_model.model.transformer." for a GPT2LMHeadModel.
  std::string namePrefix;
  /// adapter_config.json's base_model_name_or_path.
  std::string baseModel;
  /// True when the base weights are stored [in, out] (Hugging Face Conv1D,
  /// GPT-2: PEFT's fan_in_fan_out = true); false for [out, in] (nn.Linear).
  bool fanInFanOut = false;
  /// PEFT's default target_modules for the architecture.
  std::vector<std::string> defaultTargets;
};

/// The PEFT description of catalog model `model`:
///   gpt2:  prefix "base_model.model.transformer.", fan_in_fan_out true,
///          default targets {c_attn};
///   llama: prefix "base_model.model." (weft's names start with "model."),
///          fan_in_fan_out false, default targets {q_proj, v_proj}.
/// `baseModel` goes into adapter_config.json (empty: the model's name).
/// Throws std::invalid_argument naming the models with LoRA for another one.
PeftModelInfo peftModelInfo(const std::string &model, const std::string &baseModel = "");

/// Whether catalog model `model` takes LoRA adapters (peftModelInfo knows it).
bool hasPeftModelInfo(const std::string &model);

/// The file names inside an adapter directory.
inline constexpr const char *kAdapterConfigFile = "adapter_config.json";
inline constexpr const char *kAdapterWeightsFile = "adapter_model.safetensors";

/// A LoRA adapter read from a PEFT directory.
struct LoraAdapter {
  /// r, lora_alpha, lora_dropout and target_modules of its config.
  LoraConfig config;
  /// Its fan_in_fan_out.
  bool fanInFanOut = false;
  /// Tensors by weft parameter name ("h.0.attn.c_attn.lora_A.weight"), f32.
  std::vector<std::pair<std::string, rt::HostTensor>> tensors;
};

/// Parses adapter_config.json text (`origin` names it in errors): peft_type
/// must be "LORA", r a positive integer, target_modules a list of names;
/// lora_alpha (default 8), lora_dropout (0) and fan_in_fan_out (false) are
/// read. What weft cannot apply (bias other than "none", use_dora,
/// use_rslora, rank_pattern, alpha_pattern, layers_to_transform,
/// modules_to_save, a regex target_modules string) is INVALID_ARGUMENT naming
/// the key.
rt::StatusOr<LoraAdapter> parseAdapterConfig(const std::string &text, const std::string &origin);

/// The adapter_config.json text PEFT 0.10 writes for `config` (every key of
/// its LoraConfig, peft_type "LORA", task_type "CAUSAL_LM").
std::string adapterConfigJson(const LoraConfig &config, const PeftModelInfo &model);

/// Reads directory `dir`: its config (parseAdapterConfig) and its tensors,
/// each named namePrefix + "<module>.lora_A.weight" or ".lora_B.weight"
/// (widened to f32). Errors name the file and tensor: a missing file, a
/// tensor with another name, an A without its B (or the reverse), A not
/// [r, in] or B not [out, r] with the config's r, a module the config's
/// target_modules does not name.
rt::StatusOr<LoraAdapter> loadLoraAdapter(const std::string &dir, const PeftModelInfo &model);

/// Writes `dir` (created if needed): adapter_model.safetensors with every
/// LoRA parameter of `executor` under PEFT's names and adapter_config.json
/// for `config`, each written atomically. FAILED_PRECONDITION when the
/// executor has no LoRA parameter.
rt::Status saveLoraAdapter(const std::string &dir, const LoraConfig &config,
                           const PeftModelInfo &model, const rt::Executor &executor);

/// Sets the executor's LoRA parameters from `adapter`. NOT_FOUND when the
/// program lacks one of the adapter's tensors (an unknown module) or the
/// adapter lacks one of the program's; INVALID_ARGUMENT for a shape
/// mismatch (both shapes named).
rt::Status setLoraParameters(const LoraAdapter &adapter, rt::Executor &executor);

/// Adds B A * alpha / r of every adapted module to "<module>.weight" in
/// `weights` (by weft name; [in, out] when model.fanInFanOut, else
/// [out, in]), accumulating in double. NOT_FOUND for a module without its
/// base weight, INVALID_ARGUMENT for a shape mismatch.
rt::Status mergeLoraAdapter(const LoraAdapter &adapter, const PeftModelInfo &model,
                            std::vector<std::pair<std::string, rt::HostTensor>> &weights);

/// mergeLoraAdapter on the parameters of `executor` (read, merged, set back).
rt::Status mergeLoraIntoExecutor(const LoraAdapter &adapter, const PeftModelInfo &model,
                                 rt::Executor &executor);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_LORAADAPTER_H
