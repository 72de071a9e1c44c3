//===- Gpt2Decoder.h - GPT-2 decoding with a compiled KV cache --*- C++ -*-===//
//
// This file implements the declaration of Gpt2Decoder, the GPT-2
// CompiledDecoder (decode/CompiledDecoder.h): its prefill, decode-step and
// cache-reorder programs are models/Gpt2's buildGpt2Prefill,
// buildGpt2DecodeStep and buildGpt2CacheReorder, whose key/value caches are
// STATE buffers [rows, heads, max length, head dim] per layer.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_GPT2DECODER_H
#define WEFT_DECODE_GPT2DECODER_H

#include "decode/CompiledDecoder.h"
#include "models/Gpt2.h"

#include <memory>
#include <string>

namespace weft::decode {

/// The sizes and target a Gpt2Decoder is compiled for.
using Gpt2DecoderOptions = DecoderOptions;

/// GPT-2 decoding with the compiled prefill / decode-step programs.
class Gpt2Decoder final : public CompiledDecoder {
public:
  /// Compiles the decode step and the reorder program and loads them (the
  /// weights are then unset: loadWeights or setParameter). INVALID_ARGUMENT
  /// for sizes the model refuses (a max length above n_positions, ...) or a
  /// failed compile, with the compiler's message.
  static rt::StatusOr<std::unique_ptr<Gpt2Decoder>> create(const models::Gpt2Config &config,
                                                           const DecoderOptions &options);

  /// "gpt2 n_layer=.. n_head=.. n_embd=.. n_inner=.. vocab_size=..
  /// n_positions=..": the weft.model a saved file is checked against.
  std::string modelDescription() const override;

private:
  Gpt2Decoder(const models::Gpt2Config &config, const DecoderOptions &options, int64_t maxLength)
      : CompiledDecoder("GPT-2", config.vocab_size, options, maxLength), config_(config) {}
  Program buildPrefill(int64_t length) const override;

  models::Gpt2Config config_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_GPT2DECODER_H
