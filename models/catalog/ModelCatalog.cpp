//===- ModelCatalog.cpp - the models the weft CLI can build ---------------===//
//
// This file implements the model catalog (see ModelCatalog.h).
//
//===----------------------------------------------------------------------===//

#include "models/catalog/ModelCatalog.h"

#include "models/Mlp.h"

#include <stdexcept>

namespace weft {

const char *modelNames() { return "gpt2, llama, mlp"; }

models::Gpt2Config gpt2ConfigFor(const ModelRequest &request) {
  if (!request.configPath.empty())
    return models::Gpt2Config::fromJsonFile(request.configPath);
  if (request.preset.empty() || request.preset == "small")
    return models::Gpt2Config::small();
  if (request.preset == "tiny") // GPT-2 small's settings at tiny sizes
    return models::Gpt2Config{.n_layer = 2, .n_head = 4, .n_embd = 128,
                              .vocab_size = 512, .n_positions = 256};
  throw std::runtime_error("unknown --preset '" + request.preset +
                           "'; presets: small, tiny");
}

models::LlamaConfig llamaConfigFor(const ModelRequest &request) {
  if (!request.configPath.empty())
    return models::LlamaConfig::fromJsonFile(request.configPath);
  if (request.preset == "tiny") // models/configs/llama-tiny.json
    return models::LlamaConfig{.vocab_size = 256, .hidden_size = 64, .intermediate_size = 176,
                               .num_hidden_layers = 2, .num_attention_heads = 4,
                               .num_key_value_heads = 2, .max_position_embeddings = 256};
  throw std::runtime_error(request.preset.empty() || request.preset == "small"
                               ? "llama needs --config C.json (a Hugging Face LlamaForCausalLM config.json, e.g. "
                                 "models/configs/llama-tiny.json) or --preset tiny"
                               : "unknown --preset '" + request.preset + "' for llama; presets: tiny");
}

bool isLanguageModel(const std::string &name) { return name == "gpt2" || name == "llama"; }

int64_t vocabSize(const ModelRequest &request) {
  return request.name == "llama" ? llamaConfigFor(request).vocab_size : gpt2ConfigFor(request).vocab_size;
}

int64_t contextLength(const ModelRequest &request) {
  return request.name == "llama" ? llamaConfigFor(request).max_position_embeddings
                                 : gpt2ConfigFor(request).n_positions;
}

namespace {

/// The sequence length of `request` (0: 128), at most the model's context.
int sequenceLength(const ModelRequest &request, int context, const char *contextKey) {
  int seq = request.seq > 0 ? request.seq : 128;
  if (seq > context)
    throw std::runtime_error("--seq " + std::to_string(seq) + " exceeds the model's " + contextKey + " " +
                             std::to_string(context));
  return seq;
}

} // namespace

Program buildModel(const ModelRequest &request) {
  if (request.batch < 1)
    throw std::runtime_error("--batch must be at least 1");
  if (request.name == "gpt2") {
    models::Gpt2Config config = gpt2ConfigFor(request);
    int seq = sequenceLength(request, config.n_positions, "n_positions");
    return models::buildGpt2Forward(config, request.batch, seq, request.plan, request.mesh);
  }
  if (request.name == "llama") {
    models::LlamaConfig config = llamaConfigFor(request);
    int seq = sequenceLength(request, config.max_position_embeddings, "max_position_embeddings");
    return models::buildLlamaForward(config, request.batch, seq, request.plan, request.mesh);
  }
  if (request.name == "mlp")
    return models::buildMlp(request.batch, {256, 512, 256, 10}, nn::Activation::Relu,
                            request.plan, request.mesh);
  throw std::runtime_error("unknown model '" + request.name +
                           "'; models: " + modelNames() +
                           ", or a .mlir / .wexe file");
}

Program buildTrainLoss(const ModelRequest &request) {
  if (request.batch < 1)
    throw std::runtime_error("--batch must be at least 1");
  if (request.name == "gpt2") {
    models::Gpt2Config config = gpt2ConfigFor(request);
    config.gradient_checkpointing = request.recompute;
    if (request.lora.enabled())
      config.lora = request.lora;
    int seq = sequenceLength(request, config.n_positions, "n_positions");
    return models::buildGpt2TrainLoss(config, request.batch, seq, request.plan, request.mesh);
  }
  if (request.name == "llama") {
    models::LlamaConfig config = llamaConfigFor(request);
    config.gradient_checkpointing = request.recompute;
    if (request.lora.enabled())
      config.lora = request.lora;
    int seq = sequenceLength(request, config.max_position_embeddings, "max_position_embeddings");
    return models::buildLlamaTrainLoss(config, request.batch, seq, request.plan, request.mesh);
  }
  throw std::runtime_error("--train is supported for gpt2 and llama, not '" + request.name + "'");
}

} // namespace weft
