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
#include "frontend/Recompute.h"
#include "frontend/Sharding.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/TransformerBlock.h"
#include "models/CachedDecoding.h"
#include "models/ConfigJson.h"
#include "models/PlanCheck.h"

#include <climits>
#include <vector>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <sstream>

namespace weft::models {

Gpt2Config Gpt2Config::fromJsonText(const std::string &text,
                                    const std::string &origin) {
  return fromJson(ConfigJson(text, origin, "GPT-2"));
}

Gpt2Config Gpt2Config::fromJsonFile(const std::string &path) {
  return fromJson(ConfigJson::fromFile(path, "GPT-2"));
}

Gpt2Config Gpt2Config::fromJson(const ConfigJson &j) {
  Gpt2Config c;
  j.readInt("n_layer", c.n_layer, 1, Gpt2Config::kMaxLayers);
  j.readInt("n_head", c.n_head, 1, Gpt2Config::kMaxHeads);
  j.readInt("n_embd", c.n_embd, 1, Gpt2Config::kMaxWidth);
  j.readInt("vocab_size", c.vocab_size, 1, Gpt2Config::kMaxVocab);
  j.readInt("n_positions", c.n_positions, 1, Gpt2Config::kMaxPositions);
  j.readInt("n_inner", c.n_inner, 1, Gpt2Config::kMaxWidth, /*nullIsAbsent=*/true);
  j.readPositive("layer_norm_epsilon", c.layer_norm_epsilon);
  if (j.has("activation_function")) {
    const auto &act = j.at("activation_function");
    if (!act.is_string() || !nn::parseActivation(act.get<std::string>(), c.activation))
      j.fail("key 'activation_function' must be one of \"relu\", \"gelu\", \"gelu_new\", "
             "\"gelu_pytorch_tanh\", \"gelu_fast\", \"quick_gelu\", \"silu\", got " + act.dump());
  }
  c.validate(j.origin());
  return c;
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
  if (config.lora.enabled())
    p.setLora(config.lora);
  return p;
}

/// Input `name` [batch, seq] i64, split over the plan's data axis.
Tensor tokenInput(Program &p, const char *name, int64_t batch, int64_t seq,
                  const nn::ParallelPlan &plan) {
  return nn::shardDimIfMesh(p, p.input(name, {batch, seq}, DType::I64), 0, plan.dataAxis);
}

/// GPT-2's modules, parameters created in Hugging Face's order (wte, wpe,
/// h.0 ... h.{n-1}, ln_f) so every program built from them binds the same
/// weights by name.
struct Gpt2Modules {
  nn::Embedding wte, wpe;
  std::vector<nn::TransformerBlock> blocks;
  nn::LayerNorm ln_f;

  Gpt2Modules(Program &p, const Gpt2Config &config, const nn::ParallelPlan &plan)
      : wte(p, "wte", config.vocab_size, config.n_embd, Init::normal(0.02), plan.tensorAxis),
        wpe(p, "wpe", config.n_positions, config.n_embd, Init::normal(0.01)),
        blocks(makeBlocks(p, config, plan)),
        ln_f(p, "ln_f", config.n_embd, config.layer_norm_epsilon) {}

  static std::vector<nn::TransformerBlock> makeBlocks(Program &p, const Gpt2Config &config,
                                                      const nn::ParallelPlan &plan) {
    nn::BlockConfig block;
    block.n_embd = config.n_embd;
    block.n_head = config.n_head;
    block.n_inner = config.n_inner;
    block.eps = config.layer_norm_epsilon;
    block.activation = config.activation;
    block.layout = nn::WeightLayout::InOut; // Hugging Face Conv1D
    block.parallel = plan;
    std::vector<nn::TransformerBlock> blocks;
    for (int i = 0; i < config.n_layer; ++i)
      blocks.emplace_back(p, "h." + std::to_string(i), block);
    return blocks;
  }

  /// The LM head tied to wte: [N, C] x [V, C]^T after ln_f.
  Tensor logits(const Tensor &hidden) const {
    return matmul(ln_f(hidden), wte.weight, /*transpose_a=*/false, /*transpose_b=*/true);
  }
};

/// Builds the GPT-2 body on input "tokens" [batch, seq] and returns the
/// logits [batch * seq, vocab_size] (parameters named as in Hugging Face).
Tensor buildGpt2Logits(Program &p, const Gpt2Config &config, int batch, int seq,
                       const nn::ParallelPlan &plan) {
  const int64_t B = batch, T = seq, C = config.n_embd;
  Tensor tokens = tokenInput(p, "tokens", B, T, plan);
  Gpt2Modules m(p, config, plan);

  // [B, T, C] + [T, C]: the position embeddings broadcast over the batch.
  Tensor tokenEmb = m.wte(tokens);
  Tensor positions = iota(p, {T}, 0, DType::I64);
  Tensor x = tokenEmb + m.wpe(positions);
  for (const nn::TransformerBlock &layer : m.blocks) {
    RecomputeScope group(p, config.gradient_checkpointing);
    x = layer(x);
  }
  // LM head tied to wte: [B*T, C] x [V, C]^T.
  return m.logits(reshape(x, {B * T, C}));
}

/// The decoding body shared by prefill and decode step: inputs "tokens" and
/// "positions" [rows, T] embedded, every block run with its cache (written
/// and attended as `access` says), the caches returned as updates, and the
/// output "logits" [rows, V] of each row's last position.
void buildCachedBody(Program &p, const Gpt2Config &config, int rows, int T, int maxLength,
                     const CacheAccess &access, const nn::ParallelPlan &plan) {
  Tensor tokens = p.input("tokens", {rows, T}, DType::I64);
  Tensor positions = p.input("positions", {rows, T}, DType::I64);
  std::vector<nn::KvCacheStep> caches = cacheStates(p, config.n_layer, rows, config.n_head, maxLength,
                                                    config.n_embd / config.n_head, gpt2CacheName, plan, access);
  Gpt2Modules m(p, config, plan);
  Tensor x = m.wte(tokens) + m.wpe(positions);
  for (size_t i = 0; i < m.blocks.size(); ++i)
    x = m.blocks[i](x, caches[i]);
  Tensor last = reshape(narrow(x, 1, T - 1, 1), {rows, config.n_embd});
  p.output("logits", m.logits(last));
  updateCaches(p, caches, gpt2CacheName);
}

} // namespace

void checkGpt2Plan(const char *who, const Gpt2Config &config, int batch, int seq,
                   const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  int64_t hidden = config.n_inner > 0 ? config.n_inner : 4 * int64_t(config.n_embd);
  checkPlanFits(who, batch, seq,
                {{config.n_head, "n_head"}, {hidden, "the MLP width (n_inner, else 4 * n_embd)"}}, plan,
                mesh);
}

Program buildGpt2Forward(const Gpt2Config &config, int batch, int seq,
                         const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  Program p = makeProgram("buildGpt2Forward", config, batch, seq, plan, mesh);
  Tensor logits = buildGpt2Logits(p, config, batch, seq, plan);
  p.output("logits", reshape(logits, {batch, seq, config.vocab_size}));
  return p;
}

std::string gpt2CacheName(int layer, bool value) {
  return "cache.h." + std::to_string(layer) + (value ? ".v" : ".k");
}

/// A decoding program for `who`, on `mesh` with tensor parallelism only (the
/// rows are few; the heads and the MLP split): the decoding sizes checked,
/// then makeProgram's checks of the plan.
static Program makeDecodeProgram(const char *who, const Gpt2Config &config, int rows, int length, int maxLength,
                                 const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  config.validate();
  checkDecodeProgram(who, rows, length, maxLength, config.n_positions, "n_positions", plan);
  return makeProgram(who, config, rows, length, plan, mesh);
}

Program buildGpt2Prefill(const Gpt2Config &config, int rows, int length, int maxLength,
                         const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildGpt2Prefill", config, rows, length, maxLength, plan, mesh);
  buildCachedBody(p, config, rows, length, maxLength, prefillCacheAccess(p, rows, length), plan);
  return p;
}

Program buildGpt2DecodeStep(const Gpt2Config &config, int rows, int maxLength, const nn::ParallelPlan &plan,
                            const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildGpt2DecodeStep", config, rows, 1, maxLength, plan, mesh);
  buildCachedBody(p, config, rows, 1, maxLength, stepCacheAccess(p, rows, maxLength), plan);
  return p;
}

Program buildGpt2CacheReorder(const Gpt2Config &config, int rows, int maxLength, const nn::ParallelPlan &plan,
                              const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildGpt2CacheReorder", config, rows, 1, maxLength, plan, mesh);
  reorderCaches(p, rows,
                cacheStates(p, config.n_layer, rows, config.n_head, maxLength, config.n_embd / config.n_head,
                            gpt2CacheName, plan),
                gpt2CacheName);
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
