//===- Llama.h - LLaMA-family decoder written in the weft DSL ---*- C++ -*-===//
//
// This file implements the declarations of the LLaMA-family model: its
// configuration (read from a Hugging Face LlamaForCausalLM config.json) and
// the forward and training-loss program builders. Parameter names and
// layouts are Hugging Face's (model.embed_tokens.weight,
// model.layers.N.self_attn.q_proj.weight [out, in], ..., model.norm.weight,
// lm_head.weight unless the embeddings are tied). With a mesh and a
// ParallelPlan the builders split the program like GPT-2's: the batch over
// the data axis, Megatron tensor parallelism over the tensor axis (q/k/v and
// gate/up column-parallel, o/down row-parallel, the embedding and LM head
// vocabulary-parallel).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_LLAMA_H
#define WEFT_MODELS_LLAMA_H

#include "frontend/Program.h"
#include "frontend/nn/ParallelPlan.h"

#include <string>

namespace weft::models {

class ConfigJson;

/// LLaMA hyper-parameters (Hugging Face LlamaConfig names and defaults:
/// LLaMA-7B). An aggregate: a smaller model names only what it changes.
struct LlamaConfig {
  int vocab_size = 32000;
  int hidden_size = 4096;
  int intermediate_size = 11008;
  int num_hidden_layers = 32;
  int num_attention_heads = 32;
  /// Key/value heads of grouped-query attention; 0 (Hugging Face's null or
  /// absent) means num_attention_heads.
  int num_key_value_heads = 0;
  int max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  /// The LM head is the token embedding (no lm_head.weight).
  bool tie_word_embeddings = false;
  /// Gradient checkpointing (not a Hugging Face key): one RecomputeScope per
  /// decoder layer, as Gpt2Config::gradient_checkpointing.
  bool gradient_checkpointing = false;
  /// The standard deviation of the normal initial weights.
  double initializer_range = 0.02;
  /// LoRA adapters (not a Hugging Face key; r = 0: none), as
  /// Gpt2Config::lora: every builder puts "<linear>.lora_A.weight" /
  /// ".lora_B.weight" on the targeted projections (q_proj, k_proj, v_proj,
  /// o_proj, gate_proj, up_proj, down_proj) and freezes every other
  /// parameter.
  LoraConfig lora;

  /// The largest sizes a config may give; larger values are refused.
  static constexpr int kMaxLayers = 4096, kMaxHeads = 4096, kMaxWidth = 1 << 20,
                       kMaxVocab = 1 << 24, kMaxPositions = 1 << 24;

  /// Reads a Hugging Face LlamaForCausalLM config.json. Missing keys keep
  /// the defaults above. hidden_act must be "silu"; attention_bias and
  /// mlp_bias false; rope_scaling null; head_dim (when given)
  /// hidden_size / num_attention_heads. An unreadable file, invalid JSON, a
  /// key of the wrong type or range, or a setting weft does not implement
  /// throws DslError("<path>: error: ... '<key>' ...").
  static LlamaConfig fromJsonFile(const std::string &path);
  /// Parses config.json text; `origin` names it in errors.
  static LlamaConfig fromJsonText(const std::string &text, const std::string &origin);
  /// Reads the keys of a parsed config.json (ConfigJson.h).
  static LlamaConfig fromJson(const ConfigJson &json);
  /// Throws DslError naming the key when a size is not positive or exceeds
  /// the kMax* bounds, hidden_size % num_attention_heads != 0, the heads are
  /// not a multiple of the key/value heads, or the head dimension is odd.
  void validate(const std::string &origin = "LlamaConfig") const;

  /// num_key_value_heads, or num_attention_heads when 0.
  int kvHeads() const { return num_key_value_heads > 0 ? num_key_value_heads : num_attention_heads; }
  /// hidden_size / num_attention_heads.
  int headDim() const { return hidden_size / num_attention_heads; }
};

/// The LLaMA forward pass: input "tokens" [batch, seq] i64, output "logits"
/// [batch, seq, vocab_size] f32. Positions 0 .. seq-1 (rotary tables as
/// constants). Requires batch >= 1 and 1 <= seq <= max_position_embeddings.
/// With a non-empty `mesh` the program is on it and split by `plan`
/// (checkLlamaPlan first).
Program buildLlamaForward(const LlamaConfig &config, int batch, int seq,
                          const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// The LLaMA training loss: inputs "tokens" and "targets" [batch, seq] i64,
/// output "loss", the mean cross-entropy over all positions (rank-0 f32).
/// Parameters as buildLlamaForward's.
Program buildLlamaTrainLoss(const LlamaConfig &config, int batch, int seq,
                            const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// The name of layer `layer`'s key (value: false) or value cache state,
/// "cache.model.layers.<layer>.k" / ".v".
std::string llamaCacheName(int layer, bool value);

/// The prefill of incremental decoding: inputs "tokens", "positions" and
/// "mask" [rows, length] i64 (prompts left-padded; mask 1 for a real token,
/// 0 for padding; positions = cumsum(mask) - 1 at real tokens, the rotary
/// angles' positions), states llamaCacheName(i, ...) [rows, kvHeads(),
/// maxLength, head dim] f32 for every layer (the key/value heads only: the
/// query heads of a group share them), written at positions 0 .. length-1
/// in place (keys after their rotation), and output "logits" [rows,
/// vocab_size] of each row's last position. Causal, never attending to
/// padding. Parameters as buildLlamaForward's. Requires rows >= 1 and
/// 1 <= length <= maxLength <= max_position_embeddings; with a mesh, tensor
/// parallelism only (the caches split by key/value heads).
Program buildLlamaPrefill(const LlamaConfig &config, int rows, int length, int maxLength,
                          const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// One decode step: inputs "tokens" and "positions" [rows, 1] i64, "mask"
/// [rows, maxLength] i64 (1 at every cache position a row attends to, the
/// written one included) and "start" (rank-0 i64, the cache position
/// written, the same in every row), the caches of buildLlamaPrefill (written
/// at `start` in place) and output "logits" [rows, vocab_size].
Program buildLlamaDecodeStep(const LlamaConfig &config, int rows, int maxLength,
                             const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// Beam reordering: input "source" [rows] i64; every cache becomes
/// cache[source] (row r takes row source[r]).
Program buildLlamaCacheReorder(const LlamaConfig &config, int rows, int maxLength,
                               const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// Throws DslError("<who>: error: ...") when `plan` does not fit the model
/// on `mesh` (checkPlanFits: tensor parallelism must divide the heads, the
/// key/value heads and intermediate_size) or asks for sequence parallelism
/// (not implemented for LLaMA).
void checkLlamaPlan(const char *who, const LlamaConfig &config, int batch, int seq,
                    const nn::ParallelPlan &plan, const MeshSpec &mesh);

} // namespace weft::models

#endif // WEFT_MODELS_LLAMA_H
