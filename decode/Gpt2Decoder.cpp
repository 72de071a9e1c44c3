//===- Gpt2Decoder.cpp - GPT-2 decoding with a compiled KV cache ----------===//
//
// This file implements Gpt2Decoder: the size checks of create(), GPT-2's
// three decoding programs for CompiledDecoder, and the model description
// saved weights carry.
//
//===----------------------------------------------------------------------===//

#include "decode/Gpt2Decoder.h"

namespace weft::decode {

rt::StatusOr<std::unique_ptr<Gpt2Decoder>> Gpt2Decoder::create(const models::Gpt2Config &config,
                                                               const DecoderOptions &options) {
  rt::StatusOr<int64_t> maxLength = checkedMaxLength("Gpt2Decoder", options, config.n_positions, "n_positions",
                                                     "every cache position needs a position embedding");
  if (!maxLength.isOk())
    return maxLength.status();
  std::unique_ptr<Gpt2Decoder> d(new Gpt2Decoder(config, options, *maxLength));
  const int rows = int(options.rows), length = int(*maxLength);
  WEFT_RETURN_IF_ERROR(d->init(
      [&] { return models::buildGpt2DecodeStep(config, rows, length, options.plan, options.mesh); },
      [&] { return models::buildGpt2CacheReorder(config, rows, length, options.plan, options.mesh); }));
  return d;
}

Program Gpt2Decoder::buildPrefill(int64_t length) const {
  return models::buildGpt2Prefill(config_, int(options().rows), int(length), int(maxLength()), options().plan,
                                  options().mesh);
}

std::string Gpt2Decoder::modelDescription() const {
  const models::Gpt2Config &c = config_;
  return "gpt2 n_layer=" + std::to_string(c.n_layer) + " n_head=" + std::to_string(c.n_head) +
         " n_embd=" + std::to_string(c.n_embd) + " n_inner=" + std::to_string(c.n_inner) +
         " vocab_size=" + std::to_string(c.vocab_size) +
         " n_positions=" + std::to_string(c.n_positions);
}

} // namespace weft::decode
