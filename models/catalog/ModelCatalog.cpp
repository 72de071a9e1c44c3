//===- ModelCatalog.cpp - the models the weft CLI can build ---------------===//
//
// This file implements the model catalog (see ModelCatalog.h).
//
//===----------------------------------------------------------------------===//

#include "models/catalog/ModelCatalog.h"

#include "models/Mlp.h"

#include <stdexcept>

namespace weft {

const char *modelNames() { return "gpt2, mlp"; }

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

Program buildModel(const ModelRequest &request) {
  if (request.batch < 1)
    throw std::runtime_error("--batch must be at least 1");
  if (request.name == "gpt2") {
    models::Gpt2Config config = gpt2ConfigFor(request);
    int seq = request.seq > 0 ? request.seq : 128;
    if (seq > config.n_positions)
      throw std::runtime_error("--seq " + std::to_string(seq) +
                               " exceeds the model's n_positions " +
                               std::to_string(config.n_positions));
    return models::buildGpt2Forward(config, request.batch, seq, request.plan, request.mesh);
  }
  if (request.name == "mlp")
    return models::buildMlp(request.batch, {256, 512, 256, 10}, nn::Activation::Relu,
                            request.plan, request.mesh);
  throw std::runtime_error("unknown model '" + request.name +
                           "'; models: " + modelNames() +
                           ", or a .mlir / .wexe file");
}

} // namespace weft
