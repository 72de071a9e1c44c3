//===- Llama.cpp - LLaMA-family decoder written in the weft DSL -----------===//
//
// This file implements LLaMA's configuration parsing and its programs: token
// embedding, num_hidden_layers pre-RMSNorm decoder layers (grouped-query
// attention with rotary embeddings, SwiGLU MLP), a final RMSNorm and the LM
// head (its own weight, or the embedding when tied). It uses only the DSL.
//
//===----------------------------------------------------------------------===//

#include "models/Llama.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/Recompute.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/GatedMlp.h"
#include "frontend/nn/GroupedQueryAttention.h"
#include "frontend/nn/RMSNorm.h"
#include "frontend/nn/Rotary.h"
#include "models/CachedDecoding.h"
#include "models/ConfigJson.h"
#include "models/PlanCheck.h"

#include <tuple>
#include <vector>

namespace weft::models {

LlamaConfig LlamaConfig::fromJsonText(const std::string &text, const std::string &origin) {
  return fromJson(ConfigJson(text, origin, "LLaMA"));
}

LlamaConfig LlamaConfig::fromJsonFile(const std::string &path) {
  return fromJson(ConfigJson::fromFile(path, "LLaMA"));
}

LlamaConfig LlamaConfig::fromJson(const ConfigJson &j) {
  LlamaConfig c;
  j.readInt("vocab_size", c.vocab_size, 1, kMaxVocab);
  j.readInt("hidden_size", c.hidden_size, 1, kMaxWidth);
  j.readInt("intermediate_size", c.intermediate_size, 1, kMaxWidth);
  j.readInt("num_hidden_layers", c.num_hidden_layers, 1, kMaxLayers);
  j.readInt("num_attention_heads", c.num_attention_heads, 1, kMaxHeads);
  j.readInt("num_key_value_heads", c.num_key_value_heads, 1, kMaxHeads, /*nullIsAbsent=*/true);
  j.readInt("max_position_embeddings", c.max_position_embeddings, 1, kMaxPositions);
  j.readPositive("rms_norm_eps", c.rms_norm_eps);
  j.readPositive("rope_theta", c.rope_theta);
  j.readPositive("initializer_range", c.initializer_range);
  j.readBool("tie_word_embeddings", c.tie_word_embeddings);
  // Settings of the family weft does not implement are refused, not ignored.
  if (j.has("hidden_act") && j.at("hidden_act") != "silu")
    j.fail("key 'hidden_act' must be \"silu\" (LLaMA's SwiGLU MLP), got " + j.at("hidden_act").dump());
  for (const char *key : {"attention_bias", "mlp_bias"}) {
    bool bias = false;
    j.readBool(key, bias);
    if (bias)
      j.fail(std::string("key '") + key + "' is true; weft's LLaMA has no projection biases");
  }
  if (j.has("rope_scaling") && !j.at("rope_scaling").is_null())
    j.fail("key 'rope_scaling' is " + j.at("rope_scaling").dump() +
           "; weft implements plain rotary embeddings only: set it to null");
  if (j.has("pretraining_tp") && j.at("pretraining_tp") != 1)
    j.fail("key 'pretraining_tp' must be 1 (the sliced-projection emulation is not implemented), got " +
           j.at("pretraining_tp").dump());
  c.validate(j.origin());
  if (j.has("head_dim")) {
    int headDim = 0;
    j.readInt("head_dim", headDim, 1, kMaxWidth);
    if (headDim != c.headDim())
      j.fail("key 'head_dim' (" + std::to_string(headDim) +
             ") must equal hidden_size / num_attention_heads (" + std::to_string(c.headDim()) + ")");
  }
  return c;
}

void LlamaConfig::validate(const std::string &origin) const {
  for (auto [name, value, max] :
       {std::tuple{"vocab_size", vocab_size, kMaxVocab}, std::tuple{"hidden_size", hidden_size, kMaxWidth},
        std::tuple{"intermediate_size", intermediate_size, kMaxWidth},
        std::tuple{"num_hidden_layers", num_hidden_layers, kMaxLayers},
        std::tuple{"num_attention_heads", num_attention_heads, kMaxHeads},
        std::tuple{"num_key_value_heads", kvHeads(), kMaxHeads},
        std::tuple{"max_position_embeddings", max_position_embeddings, kMaxPositions}}) {
    if (value < 1)
      configError(origin, std::string("key '") + name + "' must be positive, got " + std::to_string(value));
    if (value > max)
      configError(origin, std::string("key '") + name + "' = " + std::to_string(value) +
                              " exceeds the largest weft supports (" + std::to_string(max) + ")");
  }
  if (!(rms_norm_eps > 0) || !(rope_theta > 0) || !(initializer_range > 0))
    configError(origin, "keys 'rms_norm_eps', 'rope_theta' and 'initializer_range' must be positive");
  if (hidden_size % num_attention_heads != 0)
    configError(origin, "key 'hidden_size' (" + std::to_string(hidden_size) +
                            ") must be divisible by key 'num_attention_heads' (" +
                            std::to_string(num_attention_heads) + ")");
  if (num_attention_heads % kvHeads() != 0)
    configError(origin, "key 'num_attention_heads' (" + std::to_string(num_attention_heads) +
                            ") must be a multiple of key 'num_key_value_heads' (" + std::to_string(kvHeads()) +
                            "): each key/value head serves a whole group of query heads");
  if (headDim() % 2 != 0)
    configError(origin, "the head dimension hidden_size / num_attention_heads (" + std::to_string(headDim()) +
                            ") must be even for the rotary embedding's two halves");
}

void checkLlamaPlan(const char *who, const LlamaConfig &config, int batch, int seq,
                    const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  if (plan.sequenceParallel && !mesh.empty())
    throw DslError(std::string(who) + ": error: sequence parallelism (strategy sp) is not implemented for llama; "
                                      "use tp (or dp,tp), or --mesh auto");
  checkPlanFits(who, batch, seq,
                {{config.num_attention_heads, "num_attention_heads"},
                 {config.kvHeads(), "num_key_value_heads"},
                 {config.intermediate_size, "intermediate_size"}},
                plan, mesh);
}

namespace {

/// A program for `who` with its sizes and plan checked.
Program makeProgram(const char *who, const LlamaConfig &config, int batch, int seq,
                    const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  config.validate();
  if (batch < 1 || seq < 1 || seq > config.max_position_embeddings)
    throw DslError(std::string(who) + ": error: need batch >= 1 and 1 <= seq <= max_position_embeddings (" +
                   std::to_string(config.max_position_embeddings) + "), got batch " + std::to_string(batch) +
                   " and seq " + std::to_string(seq));
  checkLlamaPlan(who, config, batch, seq, plan, mesh);
  Program p;
  p.setMesh(mesh);
  if (config.lora.enabled())
    p.setLora(config.lora);
  return p;
}

/// One decoder layer: x + self_attn(input_layernorm(x)), then
/// h + mlp(post_attention_layernorm(h)) (Hugging Face LlamaDecoderLayer).
struct LlamaLayer {
  nn::RMSNorm input_layernorm;
  nn::GroupedQueryAttention self_attn;
  nn::RMSNorm post_attention_layernorm;
  nn::GatedMlp mlp;

  LlamaLayer(Program &p, const std::string &name, const LlamaConfig &c, const nn::ParallelPlan &plan)
      : input_layernorm(p, name + ".input_layernorm", c.hidden_size, c.rms_norm_eps),
        self_attn(p, name + ".self_attn",
                  nn::GqaConfig{.hidden = c.hidden_size,
                                .numHeads = c.num_attention_heads,
                                .numKvHeads = c.kvHeads(),
                                .bias = false,
                                .init = Init::normal(c.initializer_range),
                                .parallel = plan}),
        post_attention_layernorm(p, name + ".post_attention_layernorm", c.hidden_size, c.rms_norm_eps),
        mlp(p, name + ".mlp", c.hidden_size, c.intermediate_size, nn::Activation::Silu,
            Init::normal(c.initializer_range), /*bias=*/false, plan) {}

  Tensor operator()(const Tensor &x, const nn::RotaryEmbedding &rope, const nn::RotaryTables &tables) const {
    Tensor h = x + self_attn(input_layernorm(x), rope, tables);
    return h + mlp(post_attention_layernorm(h));
  }

  /// The same layer reading and writing a key/value cache (decoding).
  Tensor operator()(const Tensor &x, const nn::RotaryEmbedding &rope, const nn::RotaryTables &tables,
                    nn::KvCacheStep &cache) const {
    Tensor h = x + self_attn(input_layernorm(x), rope, tables, cache);
    return h + mlp(post_attention_layernorm(h));
  }
};

/// LLaMA's modules, parameters created in Hugging Face's order
/// (model.embed_tokens, model.layers.0 ... model.layers.{n-1}, model.norm,
/// lm_head) so every program built from them binds the same weights by name.
struct LlamaModules {
  nn::Embedding embed_tokens;
  std::vector<LlamaLayer> layers;
  nn::RMSNorm norm;
  /// lm_head.weight [vocab, hidden]; invalid when tied to embed_tokens.
  Tensor lmHead;
  nn::RotaryEmbedding rope;

  LlamaModules(Program &p, const LlamaConfig &c, const nn::ParallelPlan &plan)
      : embed_tokens(p, "model.embed_tokens", c.vocab_size, c.hidden_size, Init::normal(c.initializer_range),
                     plan.tensorAxis),
        layers(makeLayers(p, c, plan)), norm(p, "model.norm", c.hidden_size, c.rms_norm_eps),
        rope(p, c.headDim(), c.rope_theta, c.max_position_embeddings) {
    if (!c.tie_word_embeddings) {
      auto scope = p.scope("lm_head");
      lmHead = nn::shardDimIfMesh(
          p, p.param("weight", {c.vocab_size, c.hidden_size}, Init::normal(c.initializer_range)), 0,
          plan.tensorAxis);
    }
  }

  static std::vector<LlamaLayer> makeLayers(Program &p, const LlamaConfig &c, const nn::ParallelPlan &plan) {
    std::vector<LlamaLayer> layers;
    layers.reserve(size_t(c.num_hidden_layers));
    for (int i = 0; i < c.num_hidden_layers; ++i)
      layers.emplace_back(p, "model.layers." + std::to_string(i), c, plan);
    return layers;
  }

  /// The LM head after the final norm: [N, C] x [V, C]^T.
  Tensor logits(const Tensor &hidden) const {
    return matmul(norm(hidden), lmHead.valid() ? lmHead : embed_tokens.weight, /*transpose_a=*/false,
                  /*transpose_b=*/true);
  }
};

/// Builds the body on input "tokens" [batch, seq] and returns the logits
/// [batch * seq, vocab_size].
Tensor buildLlamaLogits(Program &p, const LlamaConfig &config, int batch, int seq, const nn::ParallelPlan &plan) {
  const int64_t B = batch, T = seq, C = config.hidden_size;
  Tensor tokens = nn::shardDimIfMesh(p, p.input("tokens", {B, T}, DType::I64), 0, plan.dataAxis);
  LlamaModules m(p, config, plan);
  nn::RotaryTables tables = m.rope(T);
  Tensor x = m.embed_tokens(tokens);
  for (const LlamaLayer &layer : m.layers) {
    RecomputeScope group(p, config.gradient_checkpointing);
    x = layer(x, m.rope, tables);
  }
  return m.logits(reshape(x, {B * T, C}));
}

/// A decoding program for `who`: its sizes and plan checked (tensor
/// parallelism only), then makeProgram's checks.
Program makeDecodeProgram(const char *who, const LlamaConfig &config, int rows, int length, int maxLength,
                          const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  config.validate();
  checkDecodeProgram(who, rows, length, maxLength, config.max_position_embeddings, "max_position_embeddings",
                     plan);
  return makeProgram(who, config, rows, length, plan, mesh);
}

/// The key and value caches of every layer: [rows, KVH, maxLength, D], the
/// key/value heads only (split under tensor parallelism like the k_proj /
/// v_proj columns that write them).
std::vector<nn::KvCacheStep> llamaCaches(Program &p, const LlamaConfig &c, int rows, int maxLength,
                                         const nn::ParallelPlan &plan, const CacheAccess &access = {}) {
  return cacheStates(p, c.num_hidden_layers, rows, c.kvHeads(), maxLength, c.headDim(), llamaCacheName, plan,
                     access);
}

/// The decoding body of prefill and decode step: inputs "tokens" and
/// "positions" [rows, T], every layer run with its cache (written and
/// attended as `access` says), the rotary tables gathered at the rows'
/// positions, the caches returned as updates, and output "logits" [rows, V]
/// of each row's last position.
void buildLlamaCachedBody(Program &p, const LlamaConfig &c, int rows, int T, int maxLength,
                          const CacheAccess &access, const nn::ParallelPlan &plan) {
  Tensor tokens = p.input("tokens", {rows, T}, DType::I64);
  Tensor positions = p.input("positions", {rows, T}, DType::I64);
  std::vector<nn::KvCacheStep> caches = llamaCaches(p, c, rows, maxLength, plan, access);
  LlamaModules m(p, c, plan);
  // Positions never exceed the cache position they are written at: tables
  // of maxLength rows suffice.
  nn::RotaryEmbedding rope(p, c.headDim(), c.rope_theta, maxLength);
  nn::RotaryTables tables = rope(positions);
  Tensor x = m.embed_tokens(tokens);
  for (size_t i = 0; i < m.layers.size(); ++i)
    x = m.layers[i](x, rope, tables, caches[i]);
  p.output("logits", m.logits(reshape(narrow(x, 1, T - 1, 1), {rows, c.hidden_size})));
  updateCaches(p, caches, llamaCacheName);
}

} // namespace

std::string llamaCacheName(int layer, bool value) {
  return "cache.model.layers." + std::to_string(layer) + (value ? ".v" : ".k");
}

Program buildLlamaPrefill(const LlamaConfig &config, int rows, int length, int maxLength,
                          const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildLlamaPrefill", config, rows, length, maxLength, plan, mesh);
  buildLlamaCachedBody(p, config, rows, length, maxLength, prefillCacheAccess(p, rows, length), plan);
  return p;
}

Program buildLlamaDecodeStep(const LlamaConfig &config, int rows, int maxLength, const nn::ParallelPlan &plan,
                             const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildLlamaDecodeStep", config, rows, 1, maxLength, plan, mesh);
  buildLlamaCachedBody(p, config, rows, 1, maxLength, stepCacheAccess(p, rows, maxLength), plan);
  return p;
}

Program buildLlamaCacheReorder(const LlamaConfig &config, int rows, int maxLength, const nn::ParallelPlan &plan,
                               const MeshSpec &mesh) {
  Program p = makeDecodeProgram("buildLlamaCacheReorder", config, rows, 1, maxLength, plan, mesh);
  reorderCaches(p, rows, llamaCaches(p, config, rows, maxLength, plan), llamaCacheName);
  return p;
}

Program buildLlamaForward(const LlamaConfig &config, int batch, int seq, const nn::ParallelPlan &plan,
                          const MeshSpec &mesh) {
  Program p = makeProgram("buildLlamaForward", config, batch, seq, plan, mesh);
  Tensor logits = buildLlamaLogits(p, config, batch, seq, plan);
  p.output("logits", reshape(logits, {batch, seq, config.vocab_size}));
  return p;
}

Program buildLlamaTrainLoss(const LlamaConfig &config, int batch, int seq, const nn::ParallelPlan &plan,
                            const MeshSpec &mesh) {
  Program p = makeProgram("buildLlamaTrainLoss", config, batch, seq, plan, mesh);
  Tensor logits = buildLlamaLogits(p, config, batch, seq, plan);
  Tensor targets = nn::shardDimIfMesh(p, p.input("targets", {batch, seq}, DType::I64), 0, plan.dataAxis);
  p.output("loss", cross_entropy(logits, reshape(targets, {int64_t(batch) * seq})));
  return p;
}

} // namespace weft::models
