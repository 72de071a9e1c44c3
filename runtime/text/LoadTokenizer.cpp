//===- LoadTokenizer.cpp - picking a tokenizer format -----------------------===//
//
// This file implements loadTokenizer (a directory or file -> the loader of
// its format, then the directory's config files) and byteTokenizer.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/LoadTokenizer.h"

#include "runtime/FileUtil.h"
#include "runtime/text/ByteTokenizer.h"
#include "runtime/text/SpecialTokens.h"

#include <cerrno>
#include <filesystem>
#include <sys/stat.h>

namespace weft::text {

std::unique_ptr<Tokenizer> byteTokenizer() {
  return std::move(ByteTokenizer::create().value());
}

rt::StatusOr<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &path) {
  namespace fs = std::filesystem;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return rt::errnoStatus(errno, "cannot open the tokenizer", path);
  fs::path p(path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  rt::StatusOr<std::unique_ptr<Tokenizer>> loaded = rt::internalError("unreachable");
  if (S_ISDIR(st.st_mode)) {
    dir = p;
    if (fs::exists(p / "tokenizer.json", ec))
      loaded = loadTokenizerJson((p / "tokenizer.json").string());
    else if (fs::exists(p / "vocab.json", ec) && fs::exists(p / "merges.txt", ec))
      loaded = loadGpt2Files((p / "vocab.json").string(), (p / "merges.txt").string());
    else
      return rt::notFound("tokenizer directory '" + path +
                          "' holds neither tokenizer.json nor vocab.json + merges.txt");
  } else if (p.filename() == "vocab.json" || p.filename() == "merges.txt") {
    fs::path vocab = dir / "vocab.json", merges = dir / "merges.txt";
    fs::path missing = p.filename() == "vocab.json" ? merges : vocab;
    if (!fs::exists(missing, ec))
      return rt::notFound("tokenizer file '" + path + "' needs '" + missing.string() +
                          "' next to it (GPT-2's vocab.json + merges.txt)");
    loaded = loadGpt2Files(vocab.string(), merges.string());
  } else {
    loaded = loadTokenizerJson(path);
  }
  if (!loaded.isOk())
    return loaded.status();
  WEFT_RETURN_IF_ERROR(applyTokenizerConfig(**loaded, dir.string()));
  return loaded;
}

} // namespace weft::text
