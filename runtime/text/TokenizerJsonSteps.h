//===- TokenizerJsonSteps.h - tokenizer.json's pipeline sections -*- C++ -*-===//
//
// This file implements the declarations of the readers of tokenizer.json's
// "normalizer", "pre_tokenizer", "decoder" and "post_processor" sections.
// Each reads one component (or a Sequence of them) into weft's step lists
// and refuses a component weft does not implement with UNIMPLEMENTED naming
// the file, the key and the type ("tokenizer.json: pre_tokenizer.type
// 'Whitespace' is not supported (weft reads ...)"). Only the tokenizer.json
// loader includes it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_TOKENIZERJSONSTEPS_H
#define WEFT_RUNTIME_TEXT_TOKENIZERJSONSTEPS_H

#include "runtime/text/Decoder.h"
#include "runtime/text/JsonFields.h"
#include "runtime/text/Normalizer.h"
#include "runtime/text/PreTokenizer.h"
#include "runtime/text/Tokenizer.h"

namespace weft::text {

/// Appends the steps of the normalizer `value` (at `place`) to `out`.
rt::Status readNormalizer(const Json &value, const JsonPlace &place, Normalizer &out);
/// Appends the steps of the pre-tokenizer `value` to `out`.
rt::Status readPreTokenizer(const Json &value, const JsonPlace &place, PreTokenizer &out);
/// Appends the steps of the decoder `value` to `out`.
rt::Status readDecoder(const Json &value, const JsonPlace &place, Decoder &out);
/// Adds the ids the post processor `value` puts around a single text to `out`.
rt::Status readPostProcessor(const Json &value, const JsonPlace &place, PostTemplate &out);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_TOKENIZERJSONSTEPS_H
