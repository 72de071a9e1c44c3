//===- DecoderBundleTest.cpp - decoder bundles: export, reload, errors ----===//
//
// This file tests decode/DecoderBundle: a GPT-2 decoder's programs exported
// by CompiledDecoder::exportBundle (from a compile-only decoder, as for a GPU
// this machine lacks) and run by BundleDecoder (the runtime alone) give the
// compiled decoder's logits to the bit — prefill, steps and a beam reordering
// of the rows — since they are the same programs with the same weights, with
// f32 caches and with bf16 ones (--precision bf16: the manifest's
// cache_dtype says so and the bundle's caches are bf16); and every malformed
// bundle, or one whose manifest names another cache type than its programs
// hold, is refused with an error naming the file (and the line of the
// manifest) and the cause.
//
//===----------------------------------------------------------------------===//

#include "decode/DecoderBundle.h"
#include "tests/decode/DecodeTestUtil.h"

#include "runtime/FileUtil.h"
#include "runtime/HostTensor.h"
#include "runtime/io/QuantizedWeights.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace weft::test {
namespace {

std::string freshDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "weft-bundle-" + std::to_string(::getpid()) + "-" + name;
  rt::removeFilesIf(dir, [](std::string_view) { return true; });
  return dir;
}

void writeText(const std::string &path, const std::string &text) { std::ofstream(path) << text; }

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Replaces the first occurrence of `from` in the file at `path` by `to`.
void editFile(const std::string &path, const std::string &from, const std::string &to) {
  std::string text = readText(path);
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  writeText(path, text.replace(at, from.size(), to));
}

constexpr int64_t kRows = 2, kMaxLength = 20;
constexpr uint64_t kSeed = 5;
constexpr float kScale = 6.0f; // large enough that the logits vary from token to token

/// A decoder of smallDecodeConfig() in `precision` with weights; its
/// programs, compiled again by a compile-only decoder (no device opened, no
/// weights), are exported to `dir` (prefills of 4 and 7 tokens).
std::unique_ptr<decode::Gpt2Decoder> exportSmall(const std::string &dir, const std::string &precision = "f32") {
  decode::DecoderOptions options = decoderOptions(kRows, kMaxLength);
  options.compile.precision = precision;
  auto d = withWeights(decode::Gpt2Decoder::create(smallDecodeConfig(), options), kSeed, kScale);
  if (!d)
    return nullptr;
  options.compileOnly = true;
  auto compileOnly = decode::Gpt2Decoder::create(smallDecodeConfig(), options);
  EXPECT_TRUE(compileOnly.isOk()) << compileOnly.status().toString();
  if (!compileOnly.isOk())
    return nullptr;
  // A compile-only decoder decodes nothing and says why.
  auto refused = (*compileOnly)->prefill(std::vector<int64_t>(8, 1), std::vector<int64_t>(8, 1), kRows, 4);
  EXPECT_EQ(refused.status().code(), rt::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("compiled but not loaded"), std::string::npos);
  rt::Status st = (*compileOnly)->exportBundle(dir, {7, 4});
  EXPECT_TRUE(st.isOk()) << st.toString();
  return d;
}

/// The bundle in `dir` opened, with the weights `reference` uses.
std::unique_ptr<decode::BundleDecoder> openWithWeights(const std::string &dir, const decode::CompiledDecoder &reference) {
  auto b = decode::BundleDecoder::open(dir);
  EXPECT_TRUE(b.isOk()) << b.status().toString();
  if (!b.isOk())
    return nullptr;
  for (auto &[name, value] : scaledWeights(reference.params(), kSeed, kScale))
    EXPECT_TRUE(rt::setWeightFromF32((*b)->decodeExecutor(), name, value).isOk()) << name;
  return std::move(b.value());
}

/// Exports a decoder in `precision` whose caches are `cacheDtype`, reopens it
/// as a bundle and expects the bundle's logits to be the compiled decoder's,
/// bit for bit, through prefills, steps and a beam reordering.
void expectBundleRunsToTheBit(const std::string &precision, proto::DType cacheDtype) {
  const std::string dir = freshDir("equal-" + precision);
  auto compiled = exportSmall(dir, precision);
  ASSERT_TRUE(compiled);
  EXPECT_EQ(compiled->cacheDtype(), cacheDtype);
  auto info = decode::readDecoderBundleInfo(dir);
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  EXPECT_EQ(info->model, compiled->modelDescription());
  EXPECT_EQ(info->target, "cpu");
  EXPECT_EQ(info->vocab, smallDecodeConfig().vocab_size);
  EXPECT_EQ(info->rows, kRows);
  EXPECT_EQ(info->maxLength, kMaxLength);
  EXPECT_EQ(info->cacheDtype, cacheDtype);
  EXPECT_NE(readText(dir + "/" + decode::kDecoderBundleManifest)
                .find(std::string("\ncache_dtype ") + rt::dtypeName(cacheDtype) + "\n"),
            std::string::npos);
  EXPECT_EQ(info->prefillLengths, (std::vector<int64_t>{4, 7}));

  auto bundle = openWithWeights(dir, *compiled);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->cacheDtype(), cacheDtype);
  auto cache = bundle->decodeExecutor().state(models::gpt2CacheName(0, false));
  ASSERT_TRUE(cache.isOk()) << cache.status().toString();
  EXPECT_EQ(cache->dtype, cacheDtype);
  // Left-padded prompts of 7 positions (the second row has 5 real tokens).
  std::vector<int64_t> tokens{3, 14, 15, 9, 26, 5, 35, 0, 0, 8, 9, 7, 9, 3};
  std::vector<int64_t> mask{1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
  auto a = compiled->prefill(tokens, mask, kRows, 7);
  auto b = bundle->prefill(tokens, mask, kRows, 7);
  ASSERT_TRUE(a.isOk() && b.isOk()) << a.status().toString() << b.status().toString();
  ASSERT_EQ(*a, *b);
  const int64_t V = smallDecodeConfig().vocab_size;
  std::vector<int64_t> next(kRows);
  bool branched = false; // the greedy tokens must not be one token repeated
  for (int i = 0; i < 8; ++i) {
    for (int64_t r = 0; r < kRows; ++r)
      next[size_t(r)] = int64_t(std::max_element(a->begin() + r * V, a->begin() + (r + 1) * V) - (a->begin() + r * V));
    if (i == 4) { // a beam search's reordering: both rows continue from row 1
      ASSERT_TRUE(compiled->reorderRows({1, 1}).isOk());
      ASSERT_TRUE(bundle->reorderRows({1, 1}).isOk());
    }
    branched |= next[0] != next[1] || (i > 0 && next[0] != tokens[0]);
    a = compiled->step(next);
    b = bundle->step(next);
    ASSERT_TRUE(a.isOk() && b.isOk()) << a.status().toString() << b.status().toString();
    ASSERT_EQ(*a, *b) << "step " << i;
  }
  EXPECT_TRUE(branched);
  // The other exported prefill length loads on first use, and equals too.
  a = compiled->prefill({1, 2, 3, 4, 5, 6, 7, 8}, std::vector<int64_t>(8, 1), kRows, 4);
  b = bundle->prefill({1, 2, 3, 4, 5, 6, 7, 8}, std::vector<int64_t>(8, 1), kRows, 4);
  ASSERT_TRUE(a.isOk() && b.isOk()) << a.status().toString() << b.status().toString();
  EXPECT_EQ(*a, *b);
  // A length the bundle lacks is named with the lengths it has.
  auto missing = bundle->prefill(std::vector<int64_t>(10, 1), std::vector<int64_t>(10, 1), kRows, 5);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("no prefill program for prompts of length 5 (it has: 4, 7)"),
            std::string::npos)
      << missing.status().toString();
}

TEST(DecoderBundle, RunsTheCompiledDecodersProgramsToTheBit) { expectBundleRunsToTheBit("f32", proto::F32); }

TEST(DecoderBundle, RoundTripsBf16Caches) { expectBundleRunsToTheBit("bf16", proto::BF16); }

/// The error opening the bundle after `edit`, expected to contain `expected`.
void expectRefused(const std::string &name, const std::function<void(const std::string &)> &edit,
                   const std::string &expected) {
  static std::string source; // one export serves every case: copy its files
  static std::unique_ptr<decode::Gpt2Decoder> keep;
  if (source.empty()) {
    source = freshDir("source");
    keep = exportSmall(source);
    ASSERT_TRUE(keep);
  }
  const std::string dir = freshDir(name);
  ::mkdir(dir.c_str(), 0777);
  for (const std::string &f : rt::listDirectory(source)) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(rt::readWholeFile(source + "/" + f, bytes).isOk());
    std::ofstream(dir + "/" + f, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }
  edit(dir);
  auto b = decode::BundleDecoder::open(dir);
  ASSERT_FALSE(b.isOk()) << name;
  EXPECT_NE(b.status().message().find(expected), std::string::npos) << name << ": " << b.status().toString();
}

TEST(DecoderBundle, RefusesMalformedBundles) {
  std::string manifest = "/" + std::string(decode::kDecoderBundleManifest);
  expectRefused("nomanifest", [&](const std::string &d) { std::remove((d + manifest).c_str()); },
                "has no readable manifest decoder.txt");
  expectRefused("version", [&](const std::string &d) { editFile(d + manifest, "weft-decoder-bundle 1", "weft-decoder-bundle 9"); },
                "decoder.txt:1: bundle version '9'; this build reads version 1");
  expectRefused("notmanifest", [&](const std::string &d) { writeText(d + manifest, "hello\n"); },
                "decoder.txt:1: not a weft decoder bundle manifest");
  expectRefused("unknownkey", [&](const std::string &d) { editFile(d + manifest, "rows 2", "rowz 2"); },
                "decoder.txt:5: unknown key 'rowz'");
  expectRefused("badnumber", [&](const std::string &d) { editFile(d + manifest, "rows 2", "rows -2"); },
                "decoder.txt:5: 'rows' needs a positive integer, got '-2'");
  expectRefused("missingkey", [&](const std::string &d) { editFile(d + manifest, "max_length 20\n", ""); },
                "the key 'max_length' is missing");
  expectRefused("longprefill", [&](const std::string &d) { editFile(d + manifest, "prefill 7", "prefill 70"); },
                "prefill length 70 exceeds max_length 20");
  expectRefused("twice", [&](const std::string &d) { editFile(d + manifest, "prefill 7", "prefill 4"); },
                "prefill length 4 is listed twice");
  expectRefused("target", [&](const std::string &d) { editFile(d + manifest, "target cpu", "target cuda"); },
                "is a 'cpu' program but the bundle's manifest says target cuda");
  expectRefused("vocab", [&](const std::string &d) { editFile(d + manifest, "vocab 61", "vocab 62"); },
                "the decode step has no 'logits' output of rows x vocab = 2 x 62");
  expectRefused("cachedtype", [&](const std::string &d) { editFile(d + manifest, "cache_dtype f32", "cache_dtype fp8"); },
                "decoder.txt:7: cache_dtype 'fp8' is none of f32, bf16, f16");
  expectRefused("othercache", [&](const std::string &d) { editFile(d + manifest, "cache_dtype f32", "cache_dtype bf16"); },
                "step.wexe holds its key/value caches in f32 but the bundle's manifest says cache_dtype bf16");
  expectRefused("truncated", [&](const std::string &d) {
    std::string text = readText(d + "/step.wexe");
    std::ofstream(d + "/step.wexe", std::ios::binary) << text.substr(0, text.size() / 2);
  }, "step.wexe");
}

// A manifest written before cache_dtype existed (no such line) means f32
// caches, which the programs of that time held.
TEST(DecoderBundle, AManifestWithoutCacheDtypeMeansF32) {
  const std::string dir = freshDir("nocachedtype");
  ASSERT_TRUE(exportSmall(dir));
  editFile(dir + "/" + decode::kDecoderBundleManifest, "cache_dtype f32\n", "");
  auto b = decode::BundleDecoder::open(dir);
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  EXPECT_EQ((*b)->info().cacheDtype, proto::F32);
}

} // namespace
} // namespace weft::test
