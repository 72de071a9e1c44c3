//===- TokenizeCliTest.cpp - `weft tokenize` ---------------------------------===//
//
// Runs the weft binary's tokenize command: the byte tokenizer by default,
// a hand-made GPT-2 style tokenizer.json and a LLaMA style one from a
// directory, --json, --file with --each-line, --decode with and without
// special tokens, and the command's errors (exit 2 for a bad command line,
// 1 with the loader's message for a bad tokenizer). Expected ids are worked
// out by hand from the vocabularies.
//
//===----------------------------------------------------------------------===//

#include "tests/text/TextTestUtil.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sys/wait.h>

namespace weft::text {
namespace {

using namespace weft::text::testing;

struct Result {
  int rc;
  std::string out;
};

/// Runs `weft tokenize ARGS` (a shell command line tail); stdout only unless
/// `withStderr`.
Result tokenize(const std::filesystem::path &dir, const std::string &args, bool withStderr = false) {
  std::string log = (dir / "out.txt").string();
  std::string cmd = "'" WEFT_BINARY "' tokenize " + args + " > '" + log + "'" +
                    (withStderr ? " 2>&1" : " 2>/dev/null");
  int rc = std::system(cmd.c_str());
  std::ifstream in(log, std::ios::binary);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
}

/// A GPT-2 style tokenizer.json in `dir`: bytes, Ġt=256, he=257, Ġthe=258, <|endoftext|>=259.
void writeGpt2(const std::filesystem::path &dir) {
  json doc = gpt2Json(theVocab(), theMerges(), json::array({addedToken(259, "<|endoftext|>")}));
  writeFile(dir / "tokenizer.json", doc.dump());
}

TEST(WeftTokenize, ByteTokenizerByDefault) {
  std::filesystem::path dir = freshDir();
  EXPECT_EQ(tokenize(dir, "--text 'h\xC3\xA9llo'").out, "104,195,169,108,108,111\n");
  EXPECT_EQ(tokenize(dir, "--text hi --json").out, "{\"ids\":[104,105],\"tokens\":[\"h\",\"i\"]}\n");
  EXPECT_EQ(tokenize(dir, "--decode '104, 105,33'").out, "hi!\n");
  Result bad = tokenize(dir, "--decode 300", true);
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.out.find("token id 300 (position 0) is outside the vocabulary [0, 256)"), std::string::npos)
      << bad.out;
}

TEST(WeftTokenize, Gpt2TokenizerJson) {
  std::filesystem::path dir = freshDir();
  writeGpt2(dir);
  std::string tok = "--tokenizer '" + dir.string() + "'";
  // "the the": "the" -> t he; " the" -> Ġ t h e -> Ġt he -> Ġthe.
  EXPECT_EQ(tokenize(dir, tok + " --text 'the the'").out, "116,257,258\n");
  EXPECT_EQ(tokenize(dir, tok + " --text 'the the<|endoftext|>' --json").out,
            "{\"ids\":[116,257,258,259],\"tokens\":[\"t\",\"he\",\"" + gpt2Char(' ') + "the\",\"<|endoftext|>\"]}\n");
  writeFile(dir / "lines.txt", "the\nthe the\n\n t");
  EXPECT_EQ(tokenize(dir, tok + " --file '" + (dir / "lines.txt").string() + "' --each-line").out,
            "116,257\n116,257,258\n\n256\n");
  // Without --each-line the newlines are text: "the", "\n", "the", ...
  EXPECT_EQ(tokenize(dir, tok + " --file '" + (dir / "lines.txt").string() + "'").out,
            "116,257,10,116,257,258,10,10,256\n");
  EXPECT_EQ(tokenize(dir, tok + " --decode 116,257,258,259").out, "the the<|endoftext|>\n");
  EXPECT_EQ(tokenize(dir, tok + " --decode 116,257,258,259 --skip-special-tokens").out, "the the\n");
  EXPECT_EQ(tokenize(dir, tok + " --decode 258 --json").out, "{\"text\":\" the\"}\n");
}

TEST(WeftTokenize, LlamaStyleTemplate) {
  std::filesystem::path dir = freshDir();
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {kMeta, 3}, {"h", 4}, {"i", 5}, {kMeta + "h", 6},
                {kMeta + "hi", 7}};
  writeFile(dir / "tokenizer.json", llamaJson(vocab, {kMeta + " h", kMeta + "h i"}).dump());
  std::string tok = "--tokenizer '" + (dir / "tokenizer.json").string() + "'";
  EXPECT_EQ(tokenize(dir, tok + " --text 'hi hi'").out, "1,7,7\n");
  EXPECT_EQ(tokenize(dir, tok + " --text 'hi hi' --no-special-tokens").out, "7,7\n");
  EXPECT_EQ(tokenize(dir, tok + " --decode 1,7,7 --skip-special-tokens").out, "hi hi\n");
  Result info = tokenize(dir, tok + " --text hi --info", true);
  EXPECT_NE(info.out.find("bos 1, eos none, pad none, unk 0"), std::string::npos) << info.out;
}

TEST(WeftTokenize, Errors) {
  std::filesystem::path dir = freshDir();
  Result both = tokenize(dir, "--text a --file b", true);
  EXPECT_EQ(both.rc, 2);
  EXPECT_NE(both.out.find("give exactly one of --text, --file and --decode"), std::string::npos) << both.out;
  Result lines = tokenize(dir, "--text a --each-line", true);
  EXPECT_EQ(lines.rc, 2);
  EXPECT_NE(lines.out.find("--each-line needs --file"), std::string::npos) << lines.out;
  Result ids = tokenize(dir, "--decode 1,-2", true);
  EXPECT_EQ(ids.rc, 2);
  EXPECT_NE(ids.out.find("got '-2' in '1,-2'"), std::string::npos) << ids.out;
  std::string missing = (dir / "none").string();
  Result absent = tokenize(dir, "--tokenizer '" + missing + "' --text a", true);
  EXPECT_EQ(absent.rc, 1);
  EXPECT_NE(absent.out.find("cannot open the tokenizer '" + missing + "'"), std::string::npos) << absent.out;
  json doc = gpt2Json(gpt2BaseVocab(), json::array());
  doc["pre_tokenizer"] = {{"type", "Whitespace"}};
  writeFile(dir / "tokenizer.json", doc.dump());
  Result refused = tokenize(dir, "--tokenizer '" + dir.string() + "' --text a", true);
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(refused.out.find((dir / "tokenizer.json").string() +
                             ": pre_tokenizer.type 'Whitespace' is not supported"),
            std::string::npos)
      << refused.out;
}

} // namespace
} // namespace weft::text
