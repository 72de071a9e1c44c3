//===- LlamaDecoder.cpp - LLaMA decoding with a compiled KV cache ---------===//
//
// This file implements LlamaDecoder: the size checks of create(), LLaMA's
// three decoding programs for CompiledDecoder, and the model description
// saved weights carry.
//
//===----------------------------------------------------------------------===//

#include "decode/LlamaDecoder.h"

#include <cstdio>

namespace weft::decode {

rt::StatusOr<std::unique_ptr<LlamaDecoder>> LlamaDecoder::create(const models::LlamaConfig &config,
                                                                 const DecoderOptions &options) {
  rt::StatusOr<int64_t> maxLength =
      checkedMaxLength("LlamaDecoder", options, config.max_position_embeddings, "max_position_embeddings",
                       "the model was not trained for positions past its context");
  if (!maxLength.isOk())
    return maxLength.status();
  std::unique_ptr<LlamaDecoder> d(new LlamaDecoder(config, options, *maxLength));
  const int rows = int(options.rows), length = int(*maxLength);
  WEFT_RETURN_IF_ERROR(d->init(
      [&] { return models::buildLlamaDecodeStep(config, rows, length, options.plan, options.mesh); },
      [&] { return models::buildLlamaCacheReorder(config, rows, length, options.plan, options.mesh); }));
  return d;
}

Program LlamaDecoder::buildPrefill(int64_t length) const {
  return models::buildLlamaPrefill(config_, int(options().rows), int(length), int(maxLength()), options().plan,
                                   options().mesh);
}

std::string LlamaDecoder::modelDescription() const {
  const models::LlamaConfig &c = config_;
  char theta[32];
  std::snprintf(theta, sizeof theta, "%g", c.rope_theta);
  return "llama layers=" + std::to_string(c.num_hidden_layers) + " hidden=" + std::to_string(c.hidden_size) +
         " heads=" + std::to_string(c.num_attention_heads) + " kv_heads=" + std::to_string(c.kvHeads()) +
         " intermediate=" + std::to_string(c.intermediate_size) + " vocab=" + std::to_string(c.vocab_size) +
         " positions=" + std::to_string(c.max_position_embeddings) + " theta=" + theta +
         " tied=" + (c.tie_word_embeddings ? "1" : "0");
}

} // namespace weft::decode
