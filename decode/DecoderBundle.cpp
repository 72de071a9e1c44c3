//===- DecoderBundle.cpp - a decoder's compiled programs as files ---------===//
//
// This file implements the decoder bundle: writing the programs and the
// manifest (each file atomically, the manifest last), parsing the manifest
// line by line with errors that name the file and line, and BundleDecoder,
// whose programs are the bundle's files, checked against the manifest when
// loaded.
//
//===----------------------------------------------------------------------===//

#include "decode/DecoderBundle.h"

#include "runtime/FileUtil.h"
#include "runtime/HostTensor.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

namespace weft::decode {
namespace {

constexpr int kBundleVersion = 1;

std::string programPath(const std::string &dir, const std::string &file) { return dir + "/" + file; }
std::string prefillFile(int64_t length) { return "prefill_" + std::to_string(length) + ".wexe"; }

/// Creates `dir` and its missing parents.
rt::Status makeDirectories(const std::string &dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/')
      continue;
    std::string prefix = dir.substr(0, i);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return rt::errnoStatus(errno, "cannot create the decoder bundle directory", prefix);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return rt::invalidArgument("decoder bundle: " + dir + " is not a directory");
  return rt::Status::ok();
}

/// The cache types a manifest may name.
constexpr proto::DType kCacheDtypes[] = {proto::F32, proto::BF16, proto::F16};

/// INVALID_ARGUMENT unless `exe` holds its caches in `want` (`whose` names
/// where `want` comes from).
rt::Status checkCacheDtype(const rt::Executable &exe, proto::DType want, const char *whose) {
  rt::StatusOr<proto::DType> got = cacheDtypeOf(exe);
  if (!got.isOk())
    return got.status();
  if (*got != want)
    return rt::invalidArgument(exe.source() + " holds its key/value caches in " + rt::dtypeName(*got) + " but " +
                               whose + " " + rt::dtypeName(want) + "; export the bundle again");
  return rt::Status::ok();
}

/// A positive integer, all of `text`; false otherwise.
bool parsePositive(const std::string &text, int64_t &out) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::strtoll(text.c_str(), nullptr, 10);
  return out > 0;
}

} // namespace

rt::Status writeDecoderBundle(const std::string &dir, DecoderBundleInfo info, const rt::Executable &step,
                              const rt::Executable &reorder,
                              const std::map<int64_t, const rt::Executable *> &prefills) {
  if (info.model.empty() || info.model.find('\n') != std::string::npos || info.vocab < 1 || info.rows < 1 ||
      info.maxLength < 1 || (info.target != "cpu" && info.target != "cuda"))
    return rt::invalidArgument("decoder bundle: need a one-line model description, target cpu or cuda and "
                               "positive vocab, rows and max length");
  rt::StatusOr<proto::DType> cacheDtype = cacheDtypeOf(step);
  if (!cacheDtype.isOk())
    return cacheDtype.status();
  info.cacheDtype = *cacheDtype;
  WEFT_RETURN_IF_ERROR(checkCacheDtype(reorder, info.cacheDtype, "the decode step holds them in"));
  for (const auto &[length, program] : prefills)
    if (program)
      WEFT_RETURN_IF_ERROR(checkCacheDtype(*program, info.cacheDtype, "the decode step holds them in"));
  WEFT_RETURN_IF_ERROR(makeDirectories(dir));
  WEFT_RETURN_IF_ERROR(step.save(programPath(dir, "step.wexe")));
  WEFT_RETURN_IF_ERROR(reorder.save(programPath(dir, "reorder.wexe")));
  info.prefillLengths.clear();
  for (const auto &[length, program] : prefills) {
    if (length < 1 || length > info.maxLength || !program)
      return rt::invalidArgument("decoder bundle: a prefill of length " + std::to_string(length) +
                                 " does not fit the max length " + std::to_string(info.maxLength));
    WEFT_RETURN_IF_ERROR(program->save(programPath(dir, prefillFile(length))));
    info.prefillLengths.push_back(length);
  }
  std::ostringstream manifest;
  manifest << "weft-decoder-bundle " << kBundleVersion << "\nmodel " << info.model << "\ntarget " << info.target
           << "\nvocab " << info.vocab << "\nrows " << info.rows << "\nmax_length " << info.maxLength
           << "\ncache_dtype " << rt::dtypeName(info.cacheDtype) << "\n";
  for (int64_t length : info.prefillLengths)
    manifest << "prefill " << length << "\n";
  const std::string text = manifest.str();
  return rt::writeFileAtomically(programPath(dir, kDecoderBundleManifest), {text});
}

rt::StatusOr<DecoderBundleInfo> readDecoderBundleInfo(const std::string &dir) {
  const std::string path = programPath(dir, kDecoderBundleManifest);
  std::vector<uint8_t> bytes;
  rt::Status read = rt::readWholeFile(path, bytes);
  if (!read.isOk())
    return rt::notFound("decoder bundle " + dir + " has no readable manifest " + kDecoderBundleManifest + " (" +
                        read.message() + "); write one with CompiledDecoder::exportBundle");
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  DecoderBundleInfo info;
  bool sawVersion = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto bad = [&](const std::string &why) {
      return rt::invalidArgument(path + ":" + std::to_string(number) + ": " + why);
    };
    if (line.empty())
      continue;
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (!sawVersion) {
      if (key != "weft-decoder-bundle")
        return bad("not a weft decoder bundle manifest (the first line must be 'weft-decoder-bundle " +
                   std::to_string(kBundleVersion) + "')");
      if (value != std::to_string(kBundleVersion))
        return bad("bundle version '" + value + "'; this build reads version " + std::to_string(kBundleVersion) +
                   ": export the bundle again");
      sawVersion = true;
      continue;
    }
    int64_t number64 = 0;
    if (key == "model") {
      if (value.empty())
        return bad("'model' needs the model's description");
      info.model = value;
    } else if (key == "target") {
      if (value != "cpu" && value != "cuda")
        return bad("target '" + value + "' is neither cpu nor cuda");
      info.target = value;
    } else if (key == "cache_dtype") {
      const proto::DType *known = std::find_if(std::begin(kCacheDtypes), std::end(kCacheDtypes),
                                               [&](proto::DType d) { return value == rt::dtypeName(d); });
      if (known == std::end(kCacheDtypes))
        return bad("cache_dtype '" + value + "' is none of f32, bf16, f16");
      info.cacheDtype = *known;
    } else if (key == "vocab" || key == "rows" || key == "max_length" || key == "prefill") {
      if (!parsePositive(value, number64))
        return bad("'" + key + "' needs a positive integer, got '" + value + "'");
      if (key == "vocab")
        info.vocab = number64;
      else if (key == "rows")
        info.rows = number64;
      else if (key == "max_length")
        info.maxLength = number64;
      else if (std::find(info.prefillLengths.begin(), info.prefillLengths.end(), number64) !=
               info.prefillLengths.end())
        return bad("prefill length " + value + " is listed twice");
      else
        info.prefillLengths.push_back(number64);
    } else {
      return bad("unknown key '" + key + "' (known: model, target, vocab, rows, max_length, cache_dtype, prefill)");
    }
  }
  if (!sawVersion)
    return rt::invalidArgument(path + ": empty manifest");
  const std::pair<const char *, bool> required[] = {{"model", !info.model.empty()},
                                                     {"target", !info.target.empty()},
                                                     {"vocab", info.vocab > 0},
                                                     {"rows", info.rows > 0},
                                                     {"max_length", info.maxLength > 0}};
  for (const auto &[key, present] : required)
    if (!present)
      return rt::invalidArgument(path + ": the key '" + key + "' is missing");
  for (int64_t length : info.prefillLengths)
    if (length > info.maxLength)
      return rt::invalidArgument(path + ": prefill length " + std::to_string(length) + " exceeds max_length " +
                                 std::to_string(info.maxLength));
  std::sort(info.prefillLengths.begin(), info.prefillLengths.end());
  return info;
}

BundleDecoder::BundleDecoder(std::string dir, DecoderBundleInfo info, std::shared_ptr<rt::Communicator> communicator)
    : ProgramDecoder(info.model, info.vocab, info.rows, info.maxLength, std::move(communicator)),
      dir_(std::move(dir)), info_(std::move(info)) {}

rt::StatusOr<std::unique_ptr<BundleDecoder>> BundleDecoder::open(const std::string &dir,
                                                                 std::shared_ptr<rt::Communicator> communicator) {
  rt::StatusOr<DecoderBundleInfo> info = readDecoderBundleInfo(dir);
  if (!info.isOk())
    return info.status();
  rt::StatusOr<rt::Executable> step = rt::Executable::load(programPath(dir, "step.wexe"));
  if (!step.isOk())
    return step.status();
  rt::StatusOr<rt::Executable> reorder = rt::Executable::load(programPath(dir, "reorder.wexe"));
  if (!reorder.isOk())
    return reorder.status();
  for (const rt::Executable *exe : {&step.value(), &reorder.value()})
    if (exe->proto().target() != info->target)
      return rt::invalidArgument(exe->source() + " is a '" + exe->proto().target() +
                                 "' program but the bundle's manifest says target " + info->target);
  // The step's logits must be what the manifest promises: [rows, vocab].
  bool logitsMatch = false;
  for (const proto::Buffer &b : step->proto().buffers())
    if (b.kind() == proto::OUTPUT && b.name() == "logits")
      logitsMatch = rt::numElements({b.shape().begin(), b.shape().end()}) == info->rows * info->vocab;
  if (!logitsMatch)
    return rt::invalidArgument(step->source() + ": the decode step has no 'logits' output of rows x vocab = " +
                               std::to_string(info->rows) + " x " + std::to_string(info->vocab) +
                               " values, as the manifest says");
  for (const rt::Executable *exe : {&step.value(), &reorder.value()})
    WEFT_RETURN_IF_ERROR(checkCacheDtype(*exe, info->cacheDtype, "the bundle's manifest says cache_dtype"));
  std::unique_ptr<BundleDecoder> d(new BundleDecoder(dir, std::move(*info), std::move(communicator)));
  WEFT_RETURN_IF_ERROR(d->loadPrograms(std::move(*step), std::move(*reorder)));
  return d;
}

rt::StatusOr<rt::Executable> BundleDecoder::prefillProgram(int64_t length) {
  if (std::find(info_.prefillLengths.begin(), info_.prefillLengths.end(), length) == info_.prefillLengths.end()) {
    std::string have;
    for (int64_t l : info_.prefillLengths)
      have += (have.empty() ? "" : ", ") + std::to_string(l);
    return rt::notFound("decoder bundle " + dir_ + " has no prefill program for prompts of length " +
                        std::to_string(length) + " (it has: " + (have.empty() ? "none" : have) +
                        "); export it with that prefill length");
  }
  rt::StatusOr<rt::Executable> program = rt::Executable::load(programPath(dir_, prefillFile(length)));
  if (program.isOk())
    WEFT_RETURN_IF_ERROR(checkCacheDtype(*program, info_.cacheDtype, "the bundle's manifest says cache_dtype"));
  return program;
}

} // namespace weft::decode
