//===- Gpt2.h - GPT-2 decoder written in the weft DSL -----------*- C++ -*-===//
//
// This file implements the declarations of the GPT-2 model: its
// configuration (read from a Hugging Face config.json) and the forward
// program builder. Parameter names and layouts are Hugging Face GPT-2's
// (without the "transformer." prefix); lm_head is tied to wte. With a mesh
// and a ParallelPlan the builders put the program on the mesh and split it:
// the batch over the plan's data axis, Megatron tensor parallelism (and
// sequence parallelism) over its tensor axis, the embedding (and with it the
// tied LM head and the cross-entropy) vocabulary-parallel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_GPT2_H
#define WEFT_MODELS_GPT2_H

#include "frontend/Program.h"
#include "frontend/nn/Activation.h"
#include "frontend/nn/ParallelPlan.h"

#include <string>

namespace weft::models {

class ConfigJson;

/// GPT-2 hyper-parameters (Hugging Face GPT2Config names and defaults). An
/// aggregate: a smaller model names only the sizes it changes, e.g.
/// `Gpt2Config{.n_layer = 2, .n_head = 4, .n_embd = 128}`, and keeps GPT-2
/// small's other settings.
struct Gpt2Config {
  int n_layer = 12;
  int n_head = 12;
  int n_embd = 768;
  int vocab_size = 50257;
  int n_positions = 1024;
  double layer_norm_epsilon = 1e-5;
  /// MLP hidden width; 0 (Hugging Face's null) means 4 * n_embd.
  int n_inner = 0;
  /// Hugging Face activation_function; "gelu_new" by default.
  nn::Activation activation = nn::Activation::GeluTanh;
  /// Gradient checkpointing (not a Hugging Face key): the training and
  /// forward builders open one RecomputeScope per transformer block, so a
  /// training step compiled with TrainOptions::recompute = "blocks" keeps
  /// only the blocks' inputs for the backward pass and recomputes the rest.
  bool gradient_checkpointing = false;
  /// LoRA adapters (not a Hugging Face config key; r = 0: none). With them
  /// every builder below puts "<linear>.lora_A.weight" / ".lora_B.weight"
  /// on the targeted Conv1D layers and freezes every other parameter.
  LoraConfig lora;

  /// The largest sizes a config may give (generous: GPT-3 175B and LLaMA
  /// vocabularies and contexts fit); larger values are refused when read or
  /// validated, before any shape arithmetic can overflow.
  static constexpr int kMaxLayers = 4096, kMaxHeads = 4096, kMaxWidth = 1 << 20,
                       kMaxVocab = 1 << 24, kMaxPositions = 1 << 24;

  /// Reads a Hugging Face config.json. Missing keys keep the defaults above;
  /// an unreadable file, invalid JSON or a key of the wrong type or range
  /// throws DslError("<path>: error: ... '<key>' ...").
  static Gpt2Config fromJsonFile(const std::string &path);
  /// Parses config.json text; `origin` names it in errors.
  static Gpt2Config fromJsonText(const std::string &text,
                                 const std::string &origin);
  /// Reads the keys of a parsed config.json (ConfigJson.h).
  static Gpt2Config fromJson(const ConfigJson &json);
  /// GPT-2 small (124M parameters): 12 layers, 12 heads, 768 wide.
  static Gpt2Config small();
  /// Throws DslError when sizes are not positive, exceed the kMax* bounds,
  /// or n_embd % n_head != 0.
  void validate(const std::string &origin = "Gpt2Config") const;
};

/// The GPT-2 forward pass: input "tokens" [batch, seq] i64, output "logits"
/// [batch, seq, vocab_size] f32. Positions are iota(seq) gathered from wpe;
/// the LM head is a matmul with wte transposed (no lm_head parameter).
/// Requires batch >= 1 and 1 <= seq <= n_positions. With a non-empty `mesh`
/// the program is on it and split by `plan` (checkGpt2Plan first).
Program buildGpt2Forward(const Gpt2Config &config, int batch, int seq,
                         const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// The GPT-2 training loss: inputs "tokens" and "targets" [batch, seq] i64
/// (targets[b, t] is the token that follows tokens[b, t]), output "loss", the
/// mean cross-entropy over all batch * seq positions (a rank-0 f32). The
/// parameters are buildGpt2Forward's, with the same names and shapes, so
/// weights move between the two programs. `plan` and `mesh` as for
/// buildGpt2Forward; the targets are split like the tokens.
Program buildGpt2TrainLoss(const Gpt2Config &config, int batch, int seq,
                           const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// The name of layer `layer`'s key (value: false) or value cache state,
/// "cache.h.<layer>.k" / ".v".
std::string gpt2CacheName(int layer, bool value);

/// The prefill of incremental decoding: inputs "tokens", "positions" and
/// "mask" [rows, length] i64 (prompts left-padded; mask 1 for a real token,
/// 0 for padding; positions = cumsum(mask) - 1 for real tokens), states
/// gpt2CacheName(i, ...) [rows, n_head, maxLength, head dim] f32 for every
/// layer, written at positions 0 .. length-1 (in place: each is returned as
/// its weft.update), and output "logits" [rows, vocab_size] of each row's last
/// position. Attention is causal and never attends to padding. The
/// parameters are buildGpt2Forward's. Requires rows >= 1 and 1 <= length <=
/// maxLength <= n_positions.
Program buildGpt2Prefill(const Gpt2Config &config, int rows, int length, int maxLength,
                         const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// One decode step: inputs "tokens" and "positions" [rows, 1] i64, "mask"
/// [rows, maxLength] i64 (1 at every cache position a row may attend to, the
/// written one included) and "start" (rank 0 i64: the cache position the
/// new key and value go to, the same in every row), the caches of
/// buildGpt2Prefill (written at `start`, in place) and output "logits"
/// [rows, vocab_size]. One compiled step serves every position.
Program buildGpt2DecodeStep(const Gpt2Config &config, int rows, int maxLength,
                            const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// Beam reordering: input "source" [rows] i64; every cache becomes
/// cache[source] (row r takes row source[r]), a gather into a temporary
/// copied back into the cache's storage.
Program buildGpt2CacheReorder(const Gpt2Config &config, int rows, int maxLength,
                              const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

/// Throws DslError("<who>: error: ...") naming the numbers when `plan` does
/// not fit the model on `mesh`: an axis of the plan the mesh lacks, tensor
/// parallelism whose size does not divide n_head or the MLP width, data
/// parallelism whose size does not divide `batch`, sequence parallelism
/// whose size does not divide `seq`. (The vocabulary need not divide: the
/// embedding's last piece is padded.)
void checkGpt2Plan(const char *who, const Gpt2Config &config, int batch, int seq,
                   const nn::ParallelPlan &plan, const MeshSpec &mesh);

} // namespace weft::models

#endif // WEFT_MODELS_GPT2_H
