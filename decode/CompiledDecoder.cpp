//===- CompiledDecoder.cpp - KV-cache decoding with compiled programs -----===//
//
// This file implements CompiledDecoder: init() builds the model's decode step
// and cache reorder and compiles them for ProgramDecoder to load; the prefill
// of a prompt length is built and compiled when ProgramDecoder first needs
// it; weights come from Hugging Face files, saved quantized files or training
// checkpoints; exportBundle() writes the compiled programs as a decoder
// bundle. Compile and DSL errors are turned into a Status here: nothing
// throws out.
//
//===----------------------------------------------------------------------===//

#include "decode/CompiledDecoder.h"

#include "decode/DecoderBundle.h"
#include "frontend/DslError.h"
#include "frontend/Program.h"
#include "models/catalog/HfWeights.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <exception>

namespace weft::decode {

CompiledDecoder::CompiledDecoder(const char *model, int64_t vocab, const DecoderOptions &options,
                                 int64_t maxLength)
    : ProgramDecoder(model, vocab, options.rows, maxLength, options.communicator), options_(options) {}

rt::StatusOr<rt::Executable> CompiledDecoder::compileProgram(Program &program, const char *what) const {
  const CompileOptions &options = options_.compile;
  std::optional<rt::Executable> exe;
  try {
    CompileResult compiled = compile(program.module(), options);
    exe = std::move(compiled.executable);
  } catch (const std::exception &e) {
    return rt::invalidArgument("cannot compile the " + modelName() + " " + what + ": " + e.what());
  }
  if (!exe)
    return rt::invalidArgument("cannot compile the " + modelName() + " " + what +
                               ": the compile options stop before code generation (" + options.compileTo +
                               "); compile to the end");
  return std::move(*exe);
}

rt::StatusOr<int64_t> CompiledDecoder::checkedMaxLength(const char *who, const DecoderOptions &options,
                                                        int64_t context, const char *contextKey, const char *why) {
  const int64_t maxLength = options.maxLength > 0 ? options.maxLength : context;
  if (options.rows < 1 || options.rows > (int64_t(1) << 30) || maxLength > context)
    return rt::invalidArgument(std::string(who) + ": need 1 <= rows and max length <= " + contextKey + " (" +
                               std::to_string(context) + "), got rows " + std::to_string(options.rows) +
                               " and max length " + std::to_string(maxLength) + "; " + why);
  return maxLength;
}

rt::Status CompiledDecoder::init(const std::function<Program()> &buildStep,
                                 const std::function<Program()> &buildReorder) {
  try {
    Program step = buildStep();
    params_ = step.params();
    rt::StatusOr<rt::Executable> stepExe = compileProgram(step, "decode step");
    if (!stepExe.isOk())
      return stepExe.status();
    Program reorder = buildReorder();
    rt::StatusOr<rt::Executable> reorderExe = compileProgram(reorder, "cache reorder");
    if (!reorderExe.isOk())
      return reorderExe.status();
    if (options_.compileOnly) {
      compiledStep_ = std::move(*stepExe);
      compiledReorder_ = std::move(*reorderExe);
      return rt::Status::ok();
    }
    return loadPrograms(std::move(*stepExe), std::move(*reorderExe));
  } catch (const DslError &e) {
    return rt::invalidArgument(modelName() + " decoder: " + e.what());
  }
}

rt::StatusOr<rt::Executable> CompiledDecoder::prefillProgram(int64_t length) {
  try {
    Program program = buildPrefill(length);
    return compileProgram(program, "prefill");
  } catch (const DslError &e) {
    return rt::invalidArgument(std::string("prefill: ") + e.what());
  }
}

rt::Status CompiledDecoder::loadWeights(const std::string &safetensorsPath) {
  WEFT_RETURN_IF_ERROR(checkLoaded("loadWeights"));
  if (llvm::StringRef(safetensorsPath).ends_with(".safetensors")) {
    // A file saveWeights wrote (quantized) says so in its metadata.
    auto file = rt::SafetensorsFile::open(safetensorsPath);
    if (file.isOk()) {
      const auto &meta = file->metadata();
      if (meta.count(rt::kQuantizeMetadataKey) || meta.count(rt::kModelMetadataKey))
        return rt::loadQuantizedParameters(*file, decodeExecutor(), options_.compile.quantize,
                                           modelDescription());
    }
  }
  return loadHfWeights(safetensorsPath, params_, decodeExecutor());
}

rt::Status CompiledDecoder::saveWeights(const std::string &safetensorsPath) const {
  WEFT_RETURN_IF_ERROR(checkLoaded("saveWeights"));
  return rt::saveParameters(decodeExecutor(), safetensorsPath, options_.compile.quantize, modelDescription());
}

rt::Status CompiledDecoder::loadCheckpointWeights(const proto::Checkpoint &checkpoint) {
  WEFT_RETURN_IF_ERROR(checkLoaded("loadCheckpointWeights"));
  return rt::restoreParameters(checkpoint, decodeExecutor());
}

rt::Status CompiledDecoder::setParameter(const std::string &name, const rt::HostTensor &value) {
  WEFT_RETURN_IF_ERROR(checkLoaded("setParameter"));
  return rt::setWeightFromF32(decodeExecutor(), name, value); // quantized, or rounded to bf16/f16, as held
}

rt::Status CompiledDecoder::exportBundle(const std::string &dir, const std::vector<int64_t> &prefillLengths) {
  std::map<int64_t, const rt::Executable *> prefills;
  std::vector<rt::Executable> compiledOnly; // the prefills of a compile-only decoder
  compiledOnly.reserve(prefillLengths.size());
  for (int64_t length : prefillLengths) {
    if (length < 1 || length > maxLength())
      return rt::invalidArgument("exportBundle: a prefill of length " + std::to_string(length) +
                                 " does not fit the max length " + std::to_string(maxLength()));
    if (options_.compileOnly) {
      rt::StatusOr<rt::Executable> program = prefillProgram(length);
      if (!program.isOk())
        return program.status();
      compiledOnly.push_back(std::move(*program));
      prefills[length] = &compiledOnly.back();
      continue;
    }
    rt::StatusOr<rt::Executor *> exe = prefillExecutor(length);
    if (!exe.isOk())
      return exe.status();
    prefills[length] = &(*exe)->executable();
  }
  DecoderBundleInfo info;
  info.model = modelDescription();
  info.target = options_.compile.target;
  info.vocab = vocabSize();
  info.rows = rows();
  info.maxLength = maxLength();
  if (options_.compileOnly)
    return writeDecoderBundle(dir, std::move(info), *compiledStep_, *compiledReorder_, prefills);
  return writeDecoderBundle(dir, std::move(info), decodeExecutor().executable(), reorderExecutor().executable(),
                            prefills);
}

} // namespace weft::decode
