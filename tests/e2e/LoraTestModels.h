//===- LoraTestModels.h - the narrow models of the LoRA tests ---*- C++ -*-===//
//
// This file implements what LoraTest.cpp and LoraInt8Test.cpp share: a
// narrow GPT-2 and a narrow LLaMA with LoRA adapters (by catalog name), their
// loss and forward programs, parameter values with non-zero adapters, token
// batches, and compiling, binding and running a program.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_E2E_LORATESTMODELS_H
#define WEFT_TESTS_E2E_LORATESTMODELS_H

#include "tests/e2e/E2ETestUtil.h"

#include "models/Gpt2.h"
#include "models/Llama.h"
#include "models/catalog/ParamInit.h"

#include <map>
#include <random>
#include <string>

namespace weft::lora_test {

constexpr int kBatch = 2, kSeq = 4, kVocab = 32;

/// The adapters of the narrow models (r = 0: none): alpha = 2r + 1, so that
/// scaling != 1 and a missing factor shows.
inline LoraConfig loraOf(const std::string &model, int r, double dropout = 0) {
  LoraConfig c;
  if (r == 0)
    return c;
  c.r = r;
  c.alpha = 2.0 * r + 1;
  c.dropout = dropout;
  // GPT-2: the fused qkv and both output projections; LLaMA: PEFT's default
  // q_proj, v_proj (v_proj narrower: grouped-query) and the MLP's down_proj.
  c.targets = model == "gpt2" ? std::vector<std::string>{"c_attn", "c_proj"}
                              : std::vector<std::string>{"q_proj", "v_proj", "down_proj"};
  return c;
}

inline models::Gpt2Config loraGpt2(int r = 2, double dropout = 0) {
  models::Gpt2Config c{.n_layer = 1, .n_head = 2, .n_embd = 16, .vocab_size = kVocab, .n_positions = 16};
  c.lora = loraOf("gpt2", r, dropout);
  return c;
}

inline models::LlamaConfig loraLlama(int r = 2, double dropout = 0) {
  models::LlamaConfig c{.vocab_size = kVocab,
                        .hidden_size = 16,
                        .intermediate_size = 24,
                        .num_hidden_layers = 1,
                        .num_attention_heads = 2,
                        .num_key_value_heads = 1,
                        .max_position_embeddings = 16};
  c.lora = loraOf("llama", r, dropout);
  return c;
}

/// The training loss ("tokens", "targets" -> "loss") of narrow `model`.
inline Program lossProgram(const std::string &model, int r = 2, double dropout = 0) {
  return model == "gpt2" ? models::buildGpt2TrainLoss(loraGpt2(r, dropout), kBatch, kSeq)
                         : models::buildLlamaTrainLoss(loraLlama(r, dropout), kBatch, kSeq);
}

/// The forward ("tokens" -> "logits") of narrow `model`.
inline Program forwardProgram(const std::string &model, int r = 2) {
  return model == "gpt2" ? models::buildGpt2Forward(loraGpt2(r), kBatch, kSeq)
                         : models::buildLlamaForward(loraLlama(r), kBatch, kSeq);
}

/// A random tensor of `shape` in [-scale, scale).
inline rt::HostTensor randomHost(const Shape &shape, uint64_t seed, double scale) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-float(scale), float(scale));
  rt::HostTensor t(weft::proto::F32, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = u(rng);
  return t;
}

/// Parameter values: the initialisers, with lora_B random (non-zero) when
/// `randomB`, so every adapter gradient is non-zero.
inline std::map<std::string, rt::HostTensor> paramValues(const Program &p, bool randomB, uint64_t seed = 7) {
  std::map<std::string, rt::HostTensor> values;
  for (const ParamSpec &spec : p.params()) {
    bool isB = false;
    values[spec.name] = randomB && isLoraParamName(spec.name, nullptr, &isB) && isB
                            ? randomHost(spec.shape, seed + values.size(), 0.3)
                            : initialValue(spec, seed);
  }
  return values;
}

/// A [kBatch, kSeq] batch of token ids that depends on `salt`.
inline rt::HostTensor tokens(int64_t salt) {
  rt::HostTensor ids(weft::proto::I64, {kBatch, kSeq});
  for (int64_t e = 0; e < kBatch * kSeq; ++e)
    ids.data<int64_t>()[e] = (e * 7 + salt * 3 + 1) % kVocab;
  return ids;
}

inline std::unique_ptr<rt::Executor> compileProgram(Program &p, const std::string &quantize = "") {
  CompileOptions options;
  options.useCache = false;
  options.quantize = quantize;
  CompileResult r = compile(p.module(), options);
  EXPECT_TRUE(r.executable.has_value());
  auto exe = rt::Executor::create(std::move(*r.executable));
  EXPECT_TRUE(exe.isOk()) << exe.status().toString();
  return std::move(exe).value();
}

inline void setAll(rt::Executor &exe, const std::map<std::string, rt::HostTensor> &values) {
  for (const std::string &name : exe.parameterNames()) {
    auto it = values.find(name);
    ASSERT_NE(it, values.end()) << name;
    ASSERT_TRUE(exe.setParameter(name, it->second).isOk()) << name;
  }
}

inline rt::HostTensor logitsOf(rt::Executor &exe, const rt::HostTensor &ids) {
  EXPECT_TRUE(exe.setInput("tokens", ids).isOk());
  rt::Status ran = exe.run();
  EXPECT_TRUE(ran.isOk()) << ran.toString();
  return exe.output("logits").value();
}

inline bool bitwiseEqual(const rt::HostTensor &a, const rt::HostTensor &b) {
  return a.shape == b.shape && a.bytes == b.bytes;
}

/// Sets the scalar inputs of a training step: "lr" and, for AdamW, "step".
inline void setStepInputs(rt::Executor &exe, float lr, int step) {
  rt::HostTensor lrT(weft::proto::F32, {}), stepT(weft::proto::F32, {});
  lrT.data<float>()[0] = lr;
  stepT.data<float>()[0] = float(step);
  ASSERT_TRUE(exe.setInput("lr", lrT).isOk());
  for (const std::string &name : exe.inputNames())
    if (name == "step")
      ASSERT_TRUE(exe.setInput("step", stepT).isOk());
}

/// Every adapter in `before` (parameter values by name) changed in `exe`,
/// every other parameter is bitwise what it was.
inline void expectOnlyAdaptersChanged(rt::Executor &exe, const std::map<std::string, rt::HostTensor> &before) {
  for (const auto &[name, value] : before) {
    rt::HostTensor now = exe.parameter(name).value();
    if (isLoraParamName(name))
      EXPECT_FALSE(bitwiseEqual(now, value)) << name << " did not train";
    else
      EXPECT_TRUE(bitwiseEqual(now, value)) << name << " (frozen) changed";
  }
}

} // namespace weft::lora_test

#endif // WEFT_TESTS_E2E_LORATESTMODELS_H
