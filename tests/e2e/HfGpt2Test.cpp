//===- HfGpt2Test.cpp - `weft run gpt2` on Hugging Face-layout weights ----===//
//
// This file implements the tests of GPT-2 with real checkpoint files: a
// safetensors file in Hugging Face's layout ("transformer." prefix, Conv1D
// weights [in, out], h.N.attn.bias buffers, an f16 tensor, a tied lm_head) and
// a config.json are written, `weft run gpt2 --config --weights --tokens
// --logits-out` runs as a user would run it, and its logits are compared with
// (1) the reference evaluator on the same weights and (2) the independent
// PyTorch implementation in bench/torch_gpt2_peer.py when Debian's
// python3-torch is installed. Bad files must fail with the tensor named.
//
// Tolerance: f32 compiled code vs double (or vs PyTorch's f32 with another
// summation order) through 2 layers at width 64: |diff| <= 2e-4 + 2e-4*|x|
// (see Gpt2E2ETest.cpp for the reasoning).
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "models/Gpt2.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Safetensors.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

namespace weft {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exitCode;
  std::string output; // stdout and stderr
};

CommandResult runCommand(const std::string &cmd) {
  CommandResult r{-1, ""};
  FILE *p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p)
    return r;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p))
    r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

uint16_t toHalf(float f) { // round to nearest even; values here are small normals
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp < 113)
    return uint16_t(sign); // flush tiny values to zero
  uint32_t h = ((exp - 112) << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return uint16_t(sign | h);
}

class HfGpt2 : public ::testing::Test {
protected:
  void SetUp() override {
    dir = ::testing::TempDir() + "weft-hf-gpt2-" + std::to_string(::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    config = {.n_layer = 2, .n_head = 4, .n_embd = 64, .vocab_size = 101, .n_positions = 40};
    std::ofstream(dir + "/config.json")
        << "{\"model_type\": \"gpt2\", \"n_layer\": 2, \"n_head\": 4, \"n_embd\": 64, "
           "\"vocab_size\": 101, \"n_positions\": 40, \"layer_norm_epsilon\": 1e-05}\n";
    program.emplace(models::buildGpt2Forward(config, 1, int(tokens.size())));
    for (const ParamSpec &p : program->params()) {
      ParamSpec spec = p;
      if (spec.init.kind == Init::Kind::Constant) // random LayerNorm affine too
        spec.init = Init::normal(0.5);
      weights.emplace_back(p.name, initialValue(spec, 5));
    }
  }
  void TearDown() override { fs::remove_all(dir); }

  /// Writes the weights the way Hugging Face's GPT-2 files hold them.
  void writeHfFile(const std::string &path, const std::string &skip = "",
                   const std::string &reshapeName = "") {
    std::vector<std::pair<std::string, rt::HostTensor>> file;
    for (auto &[name, value] : weights) {
      if (name == skip)
        continue;
      rt::HostTensor t = value;
      if (name == reshapeName)
        t.shape = {t.shape.back(), t.numElements() / t.shape.back()};
      if (name == "ln_f.bias") { // one tensor in f16, widened on load
        rt::HostTensor half(weft::proto::F16, t.shape);
        for (int64_t i = 0; i < t.numElements(); ++i) {
          half.data<uint16_t>()[i] = toHalf(t.data<float>()[i]);
          value.data<float>()[i] = halfToFloatForTest(half.data<uint16_t>()[i]);
        }
        t = half;
      }
      file.emplace_back("transformer." + name, std::move(t));
    }
    for (int l = 0; l < config.n_layer; ++l) { // causal-mask buffers: ignored
      rt::HostTensor mask(weft::proto::F32, {1, 1, 40, 40});
      file.emplace_back("transformer.h." + std::to_string(l) + ".attn.bias", mask);
    }
    ASSERT_TRUE(rt::writeSafetensors(path, file).isOk());
  }

  static float halfToFloatForTest(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t bits = exp == 0 ? sign : sign | ((exp + 112) << 23) | (mant << 13);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }

  std::string weftRun(const std::string &weightsPath, const std::string &logits) {
    return std::string(WEFT_BIN_DIR) + "/weft run gpt2 --no-cache --config " + dir +
           "/config.json --weights " + weightsPath + " --tokens " + tokenList() +
           (logits.empty() ? "" : " --logits-out " + logits);
  }
  std::string tokenList() const {
    std::string s;
    for (size_t i = 0; i < tokens.size(); ++i)
      s += (i ? "," : "") + std::to_string(tokens[i]);
    return s;
  }

  std::string dir;
  models::Gpt2Config config;
  std::vector<int64_t> tokens = {3, 99, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46};
  std::optional<Program> program;
  std::vector<std::pair<std::string, rt::HostTensor>> weights;
};

TEST_F(HfGpt2, WeftRunMatchesReferenceEvaluator) {
  writeHfFile(dir + "/model.safetensors");
  CommandResult r = runCommand(weftRun(dir + "/model.safetensors", dir + "/logits.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto logits = rt::readNpy(dir + "/logits.npy");
  ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  EXPECT_EQ(logits->shape, (std::vector<int64_t>{int64_t(tokens.size()), config.vocab_size}));

  auto func = *program->module().getOps<mlir::func::FuncOp>().begin();
  std::vector<RefTensor> args;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      for (auto &[n, v] : weights)
        if (n == name.getValue())
          args.push_back(test::toRef(v));
    } else {
      RefTensor t;
      t.shape = {1, int64_t(tokens.size())};
      t.data.assign(tokens.begin(), tokens.end());
      args.push_back(t);
    }
  }
  ASSERT_EQ(args.size(), func.getNumArguments());
  RefTensor want = evaluate(func, args)[0];
  want.shape.erase(want.shape.begin());
  test::expectClose(*logits, want, 2e-4, 2e-4, "logits");
}

TEST_F(HfGpt2, WeftRunMatchesPyTorchPeer) {
  if (runCommand("/usr/bin/python3 -c 'import torch, numpy'").exitCode != 0)
    GTEST_SKIP() << "Debian's python3-torch is not installed; skipping the PyTorch comparison";
  writeHfFile(dir + "/model.safetensors");
  CommandResult w = runCommand(weftRun(dir + "/model.safetensors", dir + "/weft.npy"));
  ASSERT_EQ(w.exitCode, 0) << w.output;
  CommandResult t = runCommand("/usr/bin/python3 " WEFT_SOURCE_DIR "/bench/torch_gpt2_peer.py --config " +
                               dir + "/config.json --weights " + dir + "/model.safetensors --token-ids " +
                               tokenList() + " --repeats 1 --logits-out " + dir + "/torch.npy");
  ASSERT_EQ(t.exitCode, 0) << t.output;
  auto a = rt::readNpy(dir + "/weft.npy");
  auto b = rt::readNpy(dir + "/torch.npy");
  ASSERT_TRUE(a.isOk() && b.isOk());
  test::expectClose(*a, test::toRef(*b), 2e-4, 2e-4, "weft vs PyTorch logits");
}

TEST_F(HfGpt2, MissingTensorIsNamed) {
  writeHfFile(dir + "/missing.safetensors", "h.1.mlp.c_fc.weight");
  CommandResult r = runCommand(weftRun(dir + "/missing.safetensors", ""));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("h.1.mlp.c_fc.weight"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[64, 256]"), std::string::npos) << r.output;
}

TEST_F(HfGpt2, MismatchedShapeNamesBothShapes) {
  writeHfFile(dir + "/bad.safetensors", "", "h.0.attn.c_attn.weight");
  CommandResult r = runCommand(weftRun(dir + "/bad.safetensors", ""));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("transformer.h.0.attn.c_attn.weight"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[192, 64]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[64, 192]"), std::string::npos) << r.output;
}

TEST_F(HfGpt2, CorruptWeightsFileIsRefused) {
  { std::ofstream(dir + "/corrupt.safetensors") << "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":"; }
  CommandResult r = runCommand(weftRun(dir + "/corrupt.safetensors", ""));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("corrupt.safetensors"), std::string::npos) << r.output;
}

TEST_F(HfGpt2, NonFiniteWeightsAreNamed) {
  for (auto &[name, value] : weights)
    if (name == "h.1.attn.c_proj.weight") {
      value.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
      value.data<float>()[9] = std::numeric_limits<float>::infinity();
    }
  writeHfFile(dir + "/nan.safetensors");
  CommandResult r = runCommand(weftRun(dir + "/nan.safetensors", ""));
  EXPECT_NE(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("transformer.h.1.attn.c_proj.weight"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 non-finite values (the first, NaN, at element 7"), std::string::npos)
      << r.output;
}

TEST_F(HfGpt2, HeaderLengthOneByteShortIsRefusedNotReadAsShiftedWeights) {
  writeHfFile(dir + "/ok.safetensors");
  std::ifstream in(dir + "/ok.safetensors", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  // The writer pads the header with spaces; one byte shorter still parses as
  // JSON, and the data section then starts a byte early.
  ASSERT_EQ(bytes[8 + len - 1], ' ');
  len -= 1;
  std::memcpy(bytes.data(), &len, 8);
  { std::ofstream(dir + "/short.safetensors", std::ios::binary) << bytes; }
  CommandResult r = runCommand(weftRun(dir + "/short.safetensors", ""));
  EXPECT_NE(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("short.safetensors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wrong header length"), std::string::npos) << r.output;
}

} // namespace
} // namespace weft
