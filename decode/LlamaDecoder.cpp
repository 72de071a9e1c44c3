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
  const int64_t context = config.max_position_embeddings;
  const int64_t maxLength = options.maxLength > 0 ? options.maxLength : context;
  if (options.rows < 1 || options.rows > (int64_t(1) << 30) || maxLength > context)
    return rt::invalidArgument("LlamaDecoder: need 1 <= rows and max length <= max_position_embeddings (" +
                               std::to_string(context) + "), got rows " + std::to_string(options.rows) +
                               " and max length " + std::to_string(maxLength) +
                               "; the model was not trained for positions past its context");
  std::unique_ptr<LlamaDecoder> d(new LlamaDecoder(config, options, maxLength));
  const int rows = int(options.rows), length = int(maxLength);
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
