//===- LlamaConfigTest.cpp - reading LLaMA config.json files --------------===//
//
// This file implements the tests of models::LlamaConfig: the keys of a
// Hugging Face LlamaForCausalLM config.json read with their defaults
// (num_key_value_heads null = the heads), the repository's configs, and bad
// input refused with the file and the key named: wrong types and ranges,
// sizes that do not divide, an odd head dimension, and settings weft does not
// implement (rope_scaling, another hidden_act, projection biases).
//
//===----------------------------------------------------------------------===//

#include "frontend/DslError.h"
#include "models/Llama.h"
#include "models/catalog/ModelCatalog.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace weft {
namespace {

using models::LlamaConfig;

/// The DslError message of parsing `json`, "" when it parses.
std::string errorOf(const std::string &json) {
  try {
    LlamaConfig::fromJsonText(json, "cfg.json");
  } catch (const DslError &e) {
    return e.what();
  }
  return "";
}

TEST(FrontendLlamaConfig, ReadsKeysAndFallsBackToDefaults) {
  LlamaConfig c = LlamaConfig::fromJsonText(
      R"({"hidden_size": 128, "num_attention_heads": 8, "num_key_value_heads": null, "num_hidden_layers": 3,
          "intermediate_size": 344, "vocab_size": 1000, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
          "tie_word_embeddings": true, "rope_scaling": null, "hidden_act": "silu", "attention_bias": false,
          "mlp_bias": false, "head_dim": 16, "pretraining_tp": 1, "model_type": "llama"})",
      "cfg.json");
  EXPECT_EQ(c.hidden_size, 128);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.kvHeads(), 8); // null: multi-head attention
  EXPECT_EQ(c.headDim(), 16);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.intermediate_size, 344);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.max_position_embeddings, 2048); // missing: Hugging Face's default
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.tie_word_embeddings);
  LlamaConfig d = LlamaConfig::fromJsonText("{}", "empty.json"); // LLaMA-7B
  EXPECT_EQ(d.hidden_size, 4096);
  EXPECT_EQ(d.intermediate_size, 11008);
  EXPECT_EQ(d.kvHeads(), 32);
  EXPECT_FALSE(d.tie_word_embeddings);
}

TEST(FrontendLlamaConfig, RepositoryConfigsParse) {
  std::string dir = std::string(WEFT_SOURCE_DIR) + "/models/configs/";
  LlamaConfig tiny = LlamaConfig::fromJsonFile(dir + "llama-tiny.json");
  EXPECT_EQ(tiny.num_hidden_layers, 2);
  EXPECT_EQ(tiny.kvHeads(), 2);
  LlamaConfig b7 = LlamaConfig::fromJsonFile(dir + "llama-7b.json");
  EXPECT_EQ(b7.hidden_size, 4096);
  EXPECT_EQ(b7.intermediate_size, 11008);
  EXPECT_EQ(b7.num_hidden_layers, 32);
  EXPECT_EQ(b7.max_position_embeddings, 2048);
  EXPECT_EQ(b7.vocab_size, 32000);
  LlamaConfig m100 = LlamaConfig::fromJsonFile(dir + "llama-100m.json");
  EXPECT_EQ(m100.kvHeads(), 4);
  // The catalog's tiny preset is llama-tiny.json.
  ModelRequest r;
  r.name = "llama";
  r.preset = "tiny";
  LlamaConfig preset = llamaConfigFor(r);
  EXPECT_EQ(preset.hidden_size, tiny.hidden_size);
  EXPECT_EQ(preset.intermediate_size, tiny.intermediate_size);
  EXPECT_EQ(preset.kvHeads(), tiny.kvHeads());
  EXPECT_EQ(preset.vocab_size, tiny.vocab_size);
  EXPECT_EQ(preset.max_position_embeddings, tiny.max_position_embeddings);
  r.preset = "";
  try {
    llamaConfigFor(r);
    ADD_FAILURE() << "llama without --config or --preset should be refused";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("llama needs --config"), std::string::npos) << e.what();
  }
}

TEST(FrontendLlamaConfig, BadInputNamesTheFileAndKey) {
  struct Case {
    const char *json, *expected;
  };
  for (const Case &c : std::initializer_list<Case>{
           {R"({"hidden_size": "wide"})", "key 'hidden_size' must be an integer"},
           {R"({"num_hidden_layers": 0})", "key 'num_hidden_layers' must be an integer from 1"},
           {R"({"rms_norm_eps": -1})", "key 'rms_norm_eps' must be a positive number"},
           {R"({"rope_theta": "big"})", "key 'rope_theta' must be a positive number"},
           {R"({"tie_word_embeddings": 1})", "key 'tie_word_embeddings' must be true or false"},
           {R"({"hidden_size": 100, "num_attention_heads": 8})", "key 'hidden_size' (100) must be divisible"},
           {R"({"num_attention_heads": 32, "num_key_value_heads": 5})",
            "key 'num_attention_heads' (32) must be a multiple of key 'num_key_value_heads' (5)"},
           {R"({"hidden_size": 24, "num_attention_heads": 8})", "(3) must be even"},
           {R"({"hidden_act": "gelu"})", "key 'hidden_act' must be \"silu\""},
           {R"({"rope_scaling": {"type": "linear", "factor": 2.0}})", "key 'rope_scaling' is"},
           {R"({"attention_bias": true})", "key 'attention_bias' is true"},
           {R"({"mlp_bias": true})", "key 'mlp_bias' is true"},
           {R"({"head_dim": 64, "hidden_size": 4096, "num_attention_heads": 32})", "key 'head_dim' (64)"},
           {R"({"pretraining_tp": 2})", "key 'pretraining_tp' must be 1"},
           {R"({"vocab_size": 2147483648})", "key 'vocab_size' must be an integer from 1 to"},
           {R"({"hidden_size": 64,)", "not valid JSON; expected a Hugging Face LLaMA config.json"},
           {R"([1, 2])", "expected a JSON object"},
       }) {
    std::string msg = errorOf(c.json);
    EXPECT_NE(msg.find("cfg.json: error: "), std::string::npos) << c.json << " -> " << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.json << " -> " << msg;
  }
  try {
    LlamaConfig::fromJsonFile("/nonexistent/config.json");
    ADD_FAILURE() << "expected a DslError";
  } catch (const DslError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/config.json: error: cannot open the LLaMA config file"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
} // namespace weft
