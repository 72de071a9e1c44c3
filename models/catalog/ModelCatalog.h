//===- ModelCatalog.h - the models the weft CLI can build -------*- C++ -*-===//
//
// This file declares how the command line turns a model name and its flags
// ("gpt2 --config config.json --seq 128", "mlp") into a DSL Program.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_MODELCATALOG_H
#define WEFT_MODELS_CATALOG_MODELCATALOG_H

#include "frontend/Program.h"
#include "frontend/nn/ParallelPlan.h"
#include "models/Gpt2.h"
#include "models/Llama.h"

#include <optional>
#include <string>

namespace weft {

/// What the command line says about the model.
struct ModelRequest {
  std::string name;          // "gpt2", "llama" or "mlp"
  std::string configPath;    // gpt2, llama: a Hugging Face config.json
  std::string preset;        // without a config: gpt2 "small" (124M) or "tiny"; llama "tiny"
  int batch = 1;
  int seq = 0;               // gpt2, llama: tokens per sequence (0: 128, at most the context)
  MeshSpec mesh;             // the devices (empty: one)
  nn::ParallelPlan plan;     // how the model splits over `mesh` (Strategies.h)
  bool recompute = false;    // training: gradient checkpointing per block (buildTrainLoss)
  LoraConfig lora;           // training: LoRA adapters, the rest frozen (r = 0: none)
};

/// The model names the catalog knows, for help texts.
const char *modelNames();

/// The GPT-2 configuration `request` selects (config file, else preset).
models::Gpt2Config gpt2ConfigFor(const ModelRequest &request);

/// The LLaMA configuration `request` selects (config file, else the "tiny"
/// preset, models/configs/llama-tiny.json's sizes). Throws
/// std::runtime_error for another preset.
models::LlamaConfig llamaConfigFor(const ModelRequest &request);

/// Whether `name` is a language model of the catalog (tokens in, logits
/// out; a training loss): "gpt2" or "llama".
bool isLanguageModel(const std::string &name);

/// The vocabulary size of language model `request.name`.
int64_t vocabSize(const ModelRequest &request);

/// The context length of language model `request.name` (gpt2's
/// n_positions, llama's max_position_embeddings).
int64_t contextLength(const ModelRequest &request);

/// Builds the program. Throws std::runtime_error for an unknown name or bad
/// flags (and DslError from the model itself).
Program buildModel(const ModelRequest &request);

/// Builds the training loss of language model `request.name` (inputs
/// "tokens", "targets"; output "loss"), its sequence length `request.seq`
/// (0: 128). Throws std::runtime_error for a model without one.
Program buildTrainLoss(const ModelRequest &request);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_MODELCATALOG_H
