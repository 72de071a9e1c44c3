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

#include <optional>
#include <string>

namespace weft {

/// What the command line says about the model.
struct ModelRequest {
  std::string name;          // "gpt2" or "mlp"
  std::string configPath;    // gpt2: a Hugging Face config.json
  std::string preset;        // gpt2 without a config: "small" (124M) or "tiny"
  int batch = 1;
  int seq = 0;               // gpt2: tokens per sequence
  MeshSpec mesh;             // the devices (empty: one)
  nn::ParallelPlan plan;     // how the model splits over `mesh` (Strategies.h)
};

/// The model names the catalog knows, for help texts.
const char *modelNames();

/// The GPT-2 configuration `request` selects (config file, else preset).
models::Gpt2Config gpt2ConfigFor(const ModelRequest &request);

/// Builds the program. Throws std::runtime_error for an unknown name or bad
/// flags (and DslError from the model itself).
Program buildModel(const ModelRequest &request);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_MODELCATALOG_H
