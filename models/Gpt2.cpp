//===- Gpt2.cpp - GPT-2 decoder written in the weft DSL -------------------===//
//
// This file implements GPT-2's configuration parsing and its forward program:
// token + position embeddings, n_layer pre-LN blocks, a final LayerNorm and
// the LM head tied to the token embedding. It uses only the DSL.
//
//===----------------------------------------------------------------------===//

#include "models/Gpt2.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/Sharding.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/TransformerBlock.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <sstream>

namespace weft::models {

namespace {

using nlohmann::json;

[[noreturn]] void configError(const std::string &origin,
                              const std::string &message) {
  throw DslError(origin + ": error: " + message);
}

/// Reads integer key `key` into `out` when present; must lie in [min, max].
void readInt(const json &j, const char *key, int &out, int min, int max,
             const std::string &origin) {
  auto it = j.find(key);
  if (it == j.end())
    return;
  bool inRange = it->is_number_unsigned()
                     ? it->get<uint64_t>() >= uint64_t(std::max(min, 0)) &&
                           it->get<uint64_t>() <= uint64_t(max)
                     : it->is_number_integer() && it->get<int64_t>() >= min &&
                           it->get<int64_t>() <= max;
  if (!inRange)
    configError(origin, std::string("key '") + key + "' must be an integer from " +
                            std::to_string(min) + " to " + std::to_string(max) + ", got " +
                            it->dump());
  out = int(it->get<int64_t>());
}

} // namespace

Gpt2Config Gpt2Config::fromJsonText(const std::string &text,
                                    const std::string &origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    configError(origin, "not valid JSON; expected a Hugging Face GPT-2 "
                        "config.json object");
  if (!j.is_object())
    configError(origin, "expected a JSON object at the top level, got " +
                            std::string(j.type_name()));
  Gpt2Config c;
  readInt(j, "n_layer", c.n_layer, 1, Gpt2Config::kMaxLayers, origin);
  readInt(j, "n_head", c.n_head, 1, Gpt2Config::kMaxHeads, origin);
  readInt(j, "n_embd", c.n_embd, 1, Gpt2Config::kMaxWidth, origin);
  readInt(j, "vocab_size", c.vocab_size, 1, Gpt2Config::kMaxVocab, origin);
  readInt(j, "n_positions", c.n_positions, 1, Gpt2Config::kMaxPositions, origin);
  if (auto it = j.find("n_inner"); it != j.end() && !it->is_null())
    readInt(j, "n_inner", c.n_inner, 1, Gpt2Config::kMaxWidth, origin);
  if (auto it = j.find("layer_norm_epsilon"); it != j.end()) {
    if (!it->is_number() || it->get<double>() <= 0)
      configError(origin, "key 'layer_norm_epsilon' must be a positive "
                          "number, got " + it->dump());
    c.layer_norm_epsilon = it->get<double>();
  }
  if (auto it = j.find("activation_function"); it != j.end()) {
    if (!it->is_string() ||
        !nn::parseActivation(it->get<std::string>(), c.activation))
      configError(origin, "key 'activation_function' must be one of \"relu\", "
                          "\"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\", "
                          "\"gelu_fast\", \"quick_gelu\", got " + it->dump());
  }
  c.validate(origin);
  return c;
}

Gpt2Config Gpt2Config::fromJsonFile(const std::string &path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    configError(path, std::string("cannot read the GPT-2 config: it is ") +
                          (std::filesystem::is_directory(status) ? "a directory" : "not a regular file") +
                          "; pass the path of a config.json file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    configError(path, "cannot open the GPT-2 config file");
  std::ostringstream text;
  text << in.rdbuf();
  return fromJsonText(text.str(), path);
}

Gpt2Config Gpt2Config::small() { return Gpt2Config{}; }

void Gpt2Config::validate(const std::string &origin) const {
  if (n_layer < 1 || n_head < 1 || n_embd < 1 || vocab_size < 1 ||
      n_positions < 1 || n_inner < 0)
    configError(origin, "n_layer, n_head, n_embd, vocab_size and n_positions "
                        "must be positive");
  for (auto [name, value, max] : {std::tuple{"n_layer", n_layer, kMaxLayers},
                                  std::tuple{"n_head", n_head, kMaxHeads},
                                  std::tuple{"n_embd", n_embd, kMaxWidth},
                                  std::tuple{"n_inner", n_inner, kMaxWidth},
                                  std::tuple{"vocab_size", vocab_size, kMaxVocab},
                                  std::tuple{"n_positions", n_positions, kMaxPositions}})
    if (value > max)
      configError(origin, std::string(name) + " = " + std::to_string(value) +
                              " exceeds the largest weft supports (" + std::to_string(max) + ")");
  if (n_embd % n_head != 0)
    configError(origin, "key 'n_embd' (" + std::to_string(n_embd) +
                            ") must be divisible by key 'n_head' (" +
                            std::to_string(n_head) + ")");
}

namespace {

/// Checks the shapes buildGpt2Forward and buildGpt2TrainLoss accept.
void checkShape(const char *who, const Gpt2Config &config, int batch, int seq) {
  config.validate();
  if (batch < 1 || seq < 1 || seq > config.n_positions)
    throw DslError(std::string(who) + ": error: need batch >= 1 and 1 <= seq <= "
                   "n_positions (" + std::to_string(config.n_positions) +
                   "), got batch " + std::to_string(batch) + " and seq " +
                   std::to_string(seq));
}

/// A program for `who`, on `mesh` (checked against `plan` and the model).
Program makeProgram(const char *who, const Gpt2Config &config, int batch, int seq,
                    const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  checkShape(who, config, batch, seq);
  checkGpt2Plan(who, config, batch, seq, plan, mesh);
  Program p;
  p.setMesh(mesh);
  return p;
}

/// Input `name` [batch, seq] i64, split over the plan's data axis.
Tensor tokenInput(Program &p, const char *name, int64_t batch, int64_t seq,
                  const nn::ParallelPlan &plan) {
  return nn::shardDimIfMesh(p, p.input(name, {batch, seq}, DType::I64), 0, plan.dataAxis);
}

/// Builds the GPT-2 body on input "tokens" [batch, seq] and returns the
/// logits [batch * seq, vocab_size] (parameters named as in Hugging Face).
Tensor buildGpt2Logits(Program &p, const Gpt2Config &config, int batch, int seq,
                       const nn::ParallelPlan &plan) {
  const int64_t B = batch, T = seq, C = config.n_embd, V = config.vocab_size;
  Tensor tokens = tokenInput(p, "tokens", B, T, plan);
  nn::Embedding wte(p, "wte", V, C, Init::normal(0.02), plan.tensorAxis);
  nn::Embedding wpe(p, "wpe", config.n_positions, C, Init::normal(0.01));

  // [B, T, C] + [T, C]: the position embeddings broadcast over the batch.
  Tensor tokenEmb = wte(tokens);
  Tensor positions = iota(p, {T}, 0, DType::I64);
  Tensor x = tokenEmb + wpe(positions);

  nn::BlockConfig block;
  block.n_embd = C;
  block.n_head = config.n_head;
  block.n_inner = config.n_inner;
  block.eps = config.layer_norm_epsilon;
  block.activation = config.activation;
  block.layout = nn::WeightLayout::InOut; // Hugging Face Conv1D
  block.parallel = plan;
  for (int i = 0; i < config.n_layer; ++i) {
    nn::TransformerBlock layer(p, "h." + std::to_string(i), block);
    x = layer(x);
  }
  nn::LayerNorm ln_f(p, "ln_f", C, config.layer_norm_epsilon);
  x = ln_f(x);

  // LM head tied to wte: [B*T, C] x [V, C]^T.
  return matmul(reshape(x, {B * T, C}), wte.weight,
                /*transpose_a=*/false, /*transpose_b=*/true);
}

} // namespace

void checkGpt2Plan(const char *who, const Gpt2Config &config, int batch, int seq,
                   const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  if (mesh.empty())
    return;
  auto fail = [&](const std::string &message) {
    throw DslError(std::string(who) + ": error: " + message);
  };
  auto need = [&](const std::string &axis, const char *role) {
    if (!axis.empty() && !mesh.has(axis))
      fail(std::string(role) + " parallelism is over the axis '" + axis + "' but the mesh " +
           mesh.str() + " has none; its axes are " + mesh.axisNames());
    return axis.empty() ? int64_t(1) : mesh.axisSize(axis);
  };
  int64_t dp = need(plan.dataAxis, "data"), tp = need(plan.tensorAxis, "tensor");
  int64_t hidden = config.n_inner > 0 ? config.n_inner : 4 * int64_t(config.n_embd);
  auto divides = [&](int64_t ways, const std::string &axis, int64_t n, const std::string &what) {
    if (n % ways != 0)
      fail(what + " (" + std::to_string(n) + ") is not divisible by the " + axis + " size " +
           std::to_string(ways) + " of the mesh " + mesh.str() + "; choose a mesh whose " +
           axis + " divides it");
  };
  divides(dp, plan.dataAxis, batch, "the batch");
  divides(tp, plan.tensorAxis, config.n_head, "n_head");
  divides(tp, plan.tensorAxis, hidden, "the MLP width (n_inner, else 4 * n_embd)");
  if (plan.sequenceParallel)
    divides(tp, plan.tensorAxis, seq, "the sequence length");
}

Program buildGpt2Forward(const Gpt2Config &config, int batch, int seq,
                         const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  Program p = makeProgram("buildGpt2Forward", config, batch, seq, plan, mesh);
  Tensor logits = buildGpt2Logits(p, config, batch, seq, plan);
  p.output("logits", reshape(logits, {batch, seq, config.vocab_size}));
  return p;
}

Program buildGpt2TrainLoss(const Gpt2Config &config, int batch, int seq,
                           const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  Program p = makeProgram("buildGpt2TrainLoss", config, batch, seq, plan, mesh);
  Tensor logits = buildGpt2Logits(p, config, batch, seq, plan);
  Tensor targets = tokenInput(p, "targets", batch, seq, plan);
  p.output("loss", cross_entropy(logits, reshape(targets, {int64_t(batch) * seq})));
  return p;
}

} // namespace weft::models
