//===- TokenizerLoadTest.cpp - reading tokenizer files and their errors -----===//
//
// Tests the loaders: loadTokenizer picking the format of a file or directory,
// GPT-2's vocab.json + merges.txt giving the same ids as the tokenizer.json of
// the same vocabulary, tokenizer_config.json's special ids, the byte
// tokenizer, and every loading error: unreadable and missing files, malformed
// JSON, missing keys, wrong types, merges naming tokens not in the
// vocabulary, duplicate ids, unsupported components — each message naming
// the file and the key or line.
//
//===----------------------------------------------------------------------===//

#include "tests/text/TextTestUtil.h"

#include "runtime/text/ByteTokenizer.h"

#include <gtest/gtest.h>

#include <functional>

namespace weft::text {
namespace {

using namespace weft::text::testing;

TEST(TokenizerLoad, Gpt2FilesEqualTheirTokenizerJson) {
  std::filesystem::path dir = freshDir();
  std::filesystem::create_directories(dir / "json");
  std::filesystem::create_directories(dir / "gpt2");
  json added = json::array({addedToken(259, "<|endoftext|>")});
  writeFile(dir / "json" / "tokenizer.json", gpt2Json(theVocab(), theMerges(), added).dump());
  writeFile(dir / "gpt2" / "vocab.json", theVocab().dump());
  std::string merges = "#version: 0.2\n";
  for (const json &m : theMerges())
    merges += m.get<std::string>() + "\n";
  writeFile(dir / "gpt2" / "merges.txt", merges);

  auto a = loadTokenizer((dir / "json").string());
  auto b = loadTokenizer((dir / "gpt2").string());
  auto c = loadTokenizer((dir / "gpt2" / "merges.txt").string());
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  // " the" = Ġ t h e -> Ġt h e -> Ġt he -> Ġthe.
  EXPECT_EQ((*a)->encode("the the"), (Ids{'t', 257, 258}));
  for (const char *text : {"the the", "other\n\n the<|endoftext|>x", "h\xC3\xA9 'll 12", "\xFF\xFE the"}) {
    Ids ids = (*a)->encode(text);
    EXPECT_EQ((*b)->encode(text), ids) << text;
    EXPECT_EQ((*c)->encode(text), ids) << text;
    EXPECT_EQ(mustDecode(**b, ids), text);
  }
  EXPECT_EQ((*b)->vocabSize(), 260);
  EXPECT_EQ((*b)->specialIds().eos, 259);
  EXPECT_TRUE((*b)->isSpecial(259));
}

TEST(TokenizerLoad, ConfigFilesSetSpecialIds) {
  std::filesystem::path dir = freshDir();
  json vocab = theVocab();
  vocab["<pad>"] = 260;
  writeFile(dir / "tokenizer.json", gpt2Json(vocab, theMerges()).dump());
  writeFile(dir / "special_tokens_map.json", R"({"pad_token": "<pad>", "bos_token": "he"})");
  writeFile(dir / "tokenizer_config.json",
            R"({"bos_token": {"content": "<|endoftext|>"}, "eos_token": "<|endoftext|>"})");
  auto t = loadTokenizer((dir / "tokenizer.json").string());
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ((*t)->specialIds().bos, 259); // tokenizer_config.json wins
  EXPECT_EQ((*t)->specialIds().eos, 259);
  EXPECT_EQ((*t)->specialIds().pad, 260);

  writeFile(dir / "tokenizer_config.json", R"({"eos_token": "</s>"})");
  auto bad = loadTokenizer(dir.string());
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            (dir / "tokenizer_config.json").string() + ": eos_token '</s>' is not a token of the tokenizer");
}

TEST(TokenizerLoad, PaddingPadId) {
  json doc = gpt2Json(theVocab(), theMerges());
  doc["padding"] = {{"pad_id", 259}, {"pad_token", "<|endoftext|>"}};
  auto t = mustParse(doc);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->specialIds().pad, 259);
}

TEST(TokenizerLoad, ByteTokenizer) {
  auto t = byteTokenizer();
  EXPECT_EQ(t->vocabSize(), 256);
  EXPECT_EQ(t->encode("h\xC3\xA9\xFF"), (Ids{'h', 0xC3, 0xA9, 0xFF}));
  EXPECT_EQ(mustDecode(*t, {'h', 0xC3, 0xA9, 0xFF}), "h\xC3\xA9\xFF");
  EXPECT_FALSE(t->decode({256}).isOk());
  auto s = ByteTokenizer::create({"<eos>", "<pad>"});
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ((*s)->vocabSize(), 258);
  EXPECT_EQ((*s)->encode("a<pad>b<eos>"), (Ids{'a', 257, 'b', 256}));
  EXPECT_EQ(mustDecode(**s, {'a', 257, 'b', 256}, true), "ab");
  EXPECT_FALSE(ByteTokenizer::create({"x", "x"}).isOk());
  EXPECT_FALSE(ByteTokenizer::create({""}).isOk());
}

/// The error of parsing `doc` as "tokenizer.json".
std::string parseError(const json &doc) {
  auto t = parseTokenizerJson(doc.dump(), "tokenizer.json");
  return t.isOk() ? "<loaded>" : t.status().toString();
}

/// An edit of a good tokenizer.json and the start of the error it must give.
struct Case {
  std::function<void(json &)> edit;
  std::string message;
};

void expectErrors(const json &good, const std::vector<Case> &cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    json doc = good;
    cases[i].edit(doc);
    std::string error = parseError(doc);
    EXPECT_EQ(error.substr(0, cases[i].message.size()), cases[i].message) << "case " << i << ": " << error;
  }
}

TEST(TokenizerLoad, JsonContentErrorsNameTheKey) {
  json good = gpt2Json(theVocab(), theMerges());
  std::vector<Case> cases = {
      {[](json &d) { d.erase("model"); }, "INVALID_ARGUMENT: tokenizer.json: model is missing"},
      {[](json &d) { d["model"].erase("vocab"); }, "INVALID_ARGUMENT: tokenizer.json: model.vocab is missing"},
      {[](json &d) { d["model"].erase("merges"); }, "INVALID_ARGUMENT: tokenizer.json: model.merges is missing"},
      {[](json &d) { d["model"]["vocab"] = json::array(); },
       "INVALID_ARGUMENT: tokenizer.json: model.vocab must be an object, got a list"},
      {[](json &d) { d["model"]["vocab"]["he"] = "x"; },
       "INVALID_ARGUMENT: tokenizer.json: model.vocab.'he' must be a whole number from 0 to 2147483647, got \"x\""},
      {[](json &d) { d["model"]["vocab"]["he"] = 3; },
       "INVALID_ARGUMENT: tokenizer.json: model.vocab: the id 3 is given to both"},
      {[](json &d) { d["model"]["merges"][1] = "h zz"; },
       "INVALID_ARGUMENT: tokenizer.json: model.merges[1]: the token 'zz' is not in the vocabulary"},
      {[](json &d) { d["model"]["merges"][2] = "h h"; },
       "INVALID_ARGUMENT: tokenizer.json: model.merges[2]: the merged token 'hh' is not in the vocabulary"},
      {[](json &d) { d["model"]["merges"][0] = "abc"; },
       "INVALID_ARGUMENT: tokenizer.json: model.merges[0] must be two tokens separated by one space, got 'abc'"},
      {[](json &d) { d["model"]["merges"][0] = 7; },
       "INVALID_ARGUMENT: tokenizer.json: model.merges[0] must be a string \"a b\" or a list [\"a\", \"b\"], got 7"},
      {[](json &d) { d["model"]["unk_token"] = "<unk>"; },
       "INVALID_ARGUMENT: tokenizer.json: model.unk_token '<unk>' is not in the vocabulary"},
      {[](json &d) { d["model"]["byte_fallback"] = "yes"; },
       "INVALID_ARGUMENT: tokenizer.json: model.byte_fallback must be true or false, got \"yes\""},
      {[](json &d) { d["added_tokens"] = json::array({addedToken(257, "<x>")}); },
       "INVALID_ARGUMENT: tokenizer.json: added_tokens[0].id is 257, the id of 'he' in model.vocab, not of '<x>'"},
      {[](json &d) { d["added_tokens"] = json::array({addedToken(300, "<x>"), addedToken(300, "<y>")}); },
       "INVALID_ARGUMENT: tokenizer.json: added_tokens[1].id repeats the id 300 of the added token '<x>'"},
      {[](json &d) { d["added_tokens"] = json::array({addedToken(300, "")}); },
       "INVALID_ARGUMENT: tokenizer.json: added_tokens[0].content must not be empty"},
      {[](json &d) { d["added_tokens"][0] = {{"content", "<x>"}}; },
       "INVALID_ARGUMENT: tokenizer.json: added_tokens[0].id is missing"},
      {[](json &d) { d["pre_tokenizer"].erase("type"); },
       "INVALID_ARGUMENT: tokenizer.json: pre_tokenizer.type is missing"},
      {[](json &d) { d["post_processor"] = {{"type", "TemplateProcessing"}, {"single", json::array({{{"SpecialToken", {{"id", "<s>"}}}}})}}; },
       "INVALID_ARGUMENT: tokenizer.json: post_processor.special_tokens has no entry '<s>' (named by tokenizer.json: post_processor.single[0])"},
      {[](json &d) { d["post_processor"] = {{"type", "RobertaProcessing"}, {"cls", {"<s>", 999}}, {"sep", {"</s>", 2}}}; },
       "INVALID_ARGUMENT: tokenizer.json: post_processor puts the id 999 around the text, which names no token"},
      {[](json &d) { d = json::array(); }, "INVALID_ARGUMENT: tokenizer.json must be an object, got a list"},
  };
  expectErrors(good, cases);
  EXPECT_EQ(parseError(good), "<loaded>");
}

TEST(TokenizerLoad, UnsupportedComponentsAreRefusedByName) {
  json good = gpt2Json(theVocab(), theMerges());
  std::vector<Case> cases = {
      {[](json &d) { d["pre_tokenizer"] = {{"type", "Whitespace"}}; },
       "UNIMPLEMENTED: tokenizer.json: pre_tokenizer.type 'Whitespace' is not supported (weft reads ByteLevel, "
       "Metaspace and Sequence)"},
      {[](json &d) {
         d["pre_tokenizer"] = {{"type", "Sequence"},
                               {"pretokenizers", json::array({{{"type", "ByteLevel"}}, {{"type", "Digits"}}})}};
       },
       "UNIMPLEMENTED: tokenizer.json: pre_tokenizer.pretokenizers[1].type 'Digits' is not supported"},
      {[](json &d) { d["model"]["type"] = "WordPiece"; },
       "UNIMPLEMENTED: tokenizer.json: model.type 'WordPiece' is not supported (weft reads BPE)"},
      {[](json &d) { d["normalizer"] = {{"type", "NFC"}}; },
       "UNIMPLEMENTED: tokenizer.json: normalizer.type 'NFC' is not supported"},
      {[](json &d) { d["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", " "}}; },
       "UNIMPLEMENTED: tokenizer.json: normalizer.pattern.Regex is not supported"},
      {[](json &d) { d["decoder"] = {{"type", "WordPiece"}}; },
       "UNIMPLEMENTED: tokenizer.json: decoder.type 'WordPiece' is not supported"},
      {[](json &d) { d["post_processor"] = {{"type", "Weird"}}; },
       "UNIMPLEMENTED: tokenizer.json: post_processor.type 'Weird' is not supported"},
      {[](json &d) { d["model"]["dropout"] = 0.1; },
       "UNIMPLEMENTED: tokenizer.json: model.dropout '0.1' is not supported"},
      {[](json &d) { d["model"]["continuing_subword_prefix"] = "##"; },
       "UNIMPLEMENTED: tokenizer.json: model.continuing_subword_prefix '##' is not supported"},
  };
  expectErrors(good, cases);
}

TEST(TokenizerLoad, FileErrorsNameTheFile) {
  std::filesystem::path dir = freshDir();
  std::string missing = (dir / "nope.json").string();
  auto a = loadTokenizer(missing);
  ASSERT_FALSE(a.isOk());
  EXPECT_EQ(a.status().code(), rt::StatusCode::kNotFound);
  EXPECT_NE(a.status().message().find(missing), std::string::npos) << a.status().toString();

  writeFile(dir / "broken.json", "{\"model\": {");
  auto b = loadTokenizer((dir / "broken.json").string());
  ASSERT_FALSE(b.isOk());
  EXPECT_EQ(b.status().code(), rt::StatusCode::kDataLoss);
  EXPECT_EQ(b.status().message().rfind((dir / "broken.json").string() + ": malformed JSON: ", 0), 0u)
      << b.status().toString();

  auto c = loadTokenizer(dir.string()); // a directory with neither format
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().message(),
            "tokenizer directory '" + dir.string() + "' holds neither tokenizer.json nor vocab.json + merges.txt");

  writeFile(dir / "vocab.json", theVocab().dump());
  auto d = loadTokenizer((dir / "vocab.json").string());
  ASSERT_FALSE(d.isOk());
  EXPECT_EQ(d.status().message(), "tokenizer file '" + (dir / "vocab.json").string() + "' needs '" +
                                      (dir / "merges.txt").string() + "' next to it (GPT-2's vocab.json + merges.txt)");

  // merges.txt errors name the line.
  writeFile(dir / "merges.txt", "#version: 0.2\nh e\n\nabc\n");
  auto e = loadTokenizer(dir.string());
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().message(), (dir / "merges.txt").string() +
                                      ":4: a merge must be two tokens separated by one space, got 'abc'");
  writeFile(dir / "merges.txt", "h e\nq zz\n");
  auto f = loadTokenizer(dir.string());
  ASSERT_FALSE(f.isOk());
  EXPECT_EQ(f.status().message(),
            (dir / "merges.txt").string() + ":2: the token 'zz' is not in the vocabulary");
  writeFile(dir / "vocab.json", R"({"a": 0, "b": 0})");
  auto g = loadTokenizer(dir.string());
  ASSERT_FALSE(g.isOk());
  EXPECT_EQ(g.status().message(), (dir / "vocab.json").string() + ": the id 0 is given to both 'a' and 'b'");
  writeFile(dir / "vocab.json", R"(["a"])");
  auto h = loadTokenizer(dir.string());
  ASSERT_FALSE(h.isOk());
  EXPECT_EQ(h.status().message(), (dir / "vocab.json").string() + " must be an object, got a list");
}

} // namespace
} // namespace weft::text
