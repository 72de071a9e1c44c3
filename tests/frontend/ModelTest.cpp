//===- ModelTest.cpp - GPT-2 and MLP built with the DSL -------------------===//
//
// This file implements tests of the models: GPT-2's parameters (Hugging
// Face names, layouts and order), signature, op structure and round trip
// through the printer and parser; the config.json reader; the MLP builder;
// and the primitive op sequences of LayerNorm and softmax that fusion
// passes rely on.
//
//===----------------------------------------------------------------------===//

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/nn/LayerNorm.h"
#include "models/Gpt2.h"
#include "models/Mlp.h"

#include "ir/WeftDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <map>

using namespace weft;
using namespace weft::models;

namespace {

mlir::func::FuncOp mainOf(Program &p) {
  return *p.module().getOps<mlir::func::FuncOp>().begin();
}

std::map<std::string, int> countOps(Program &p) {
  std::map<std::string, int> n;
  mainOf(p).walk([&](mlir::Operation *op) {
    ++n[op->getName().getStringRef().str()];
  });
  return n;
}

/// The weft op names of the function body, in order (constants excluded).
std::vector<std::string> opSequence(Program &p) {
  std::vector<std::string> seq;
  for (mlir::Operation &op : mainOf(p).getBody().front())
    if (op.getName().getStringRef() != "weft.constant" &&
        op.getName().getStringRef() != "func.return")
      seq.push_back(op.getName().getStringRef().str());
  return seq;
}

Gpt2Config tinyConfig() {
  return {.n_layer = 2, .n_head = 2, .n_embd = 16, .vocab_size = 50, .n_positions = 32};
}

TEST(FrontendGpt2, ParametersHaveHuggingFaceNamesAndShapes) {
  Program p = buildGpt2Forward(tinyConfig(), 2, 8);
  std::vector<std::pair<std::string, Shape>> expected = {
      {"wte.weight", {50, 16}}, {"wpe.weight", {32, 16}}};
  for (int i = 0; i < 2; ++i) {
    std::string h = "h." + std::to_string(i) + ".";
    expected.push_back({h + "ln_1.weight", {16}});
    expected.push_back({h + "ln_1.bias", {16}});
    expected.push_back({h + "attn.c_attn.weight", {16, 48}});
    expected.push_back({h + "attn.c_attn.bias", {48}});
    expected.push_back({h + "attn.c_proj.weight", {16, 16}});
    expected.push_back({h + "attn.c_proj.bias", {16}});
    expected.push_back({h + "ln_2.weight", {16}});
    expected.push_back({h + "ln_2.bias", {16}});
    expected.push_back({h + "mlp.c_fc.weight", {16, 64}});
    expected.push_back({h + "mlp.c_fc.bias", {64}});
    expected.push_back({h + "mlp.c_proj.weight", {64, 16}});
    expected.push_back({h + "mlp.c_proj.bias", {16}});
  }
  expected.push_back({"ln_f.weight", {16}});
  expected.push_back({"ln_f.bias", {16}});

  const std::vector<ParamSpec> &ps = p.params();
  ASSERT_EQ(ps.size(), expected.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    EXPECT_EQ(ps[i].name, expected[i].first) << i;
    EXPECT_EQ(ps[i].shape, expected[i].second) << ps[i].name;
    EXPECT_EQ(ps[i].dtype, DType::F32) << ps[i].name;
  }
  EXPECT_EQ(ps[2].init.kind, Init::Kind::Constant); // ln_1.weight: ones
  EXPECT_DOUBLE_EQ(ps[2].init.value, 1.0);
}

TEST(FrontendGpt2, SignatureAndStructure) {
  Program p = buildGpt2Forward(tinyConfig(), 2, 8);
  mlir::func::FuncOp f = mainOf(p);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(p.module())));
  ASSERT_EQ(f.getNumArguments(), 1u + 28u);
  EXPECT_EQ(mlir::cast<mlir::StringAttr>(f.getArgAttr(0, "weft.input")).getValue(),
            "tokens");
  auto tokens = mlir::cast<mlir::RankedTensorType>(f.getArgumentTypes()[0]);
  EXPECT_EQ(tokens.getShape(), llvm::ArrayRef<int64_t>({2, 8}));
  EXPECT_TRUE(tokens.getElementType().isSignlessInteger(64));
  ASSERT_EQ(f.getNumResults(), 1u);
  EXPECT_EQ(mlir::cast<mlir::StringAttr>(f.getResultAttr(0, "weft.output")).getValue(),
            "logits");
  auto logits = mlir::cast<mlir::RankedTensorType>(f.getResultTypes()[0]);
  EXPECT_EQ(logits.getShape(), llvm::ArrayRef<int64_t>({2, 8, 50}));
  EXPECT_TRUE(logits.getElementType().isF32());

  std::map<std::string, int> n = countOps(p);
  EXPECT_EQ(n["weft.matmul"], 2 * 4 + 1); // c_attn, c_proj, c_fc, c_proj; lm head
  EXPECT_EQ(n["weft.batch_matmul"], 2 * 2);
  EXPECT_EQ(n["weft.gather"], 2);
  EXPECT_EQ(n["weft.gelu_tanh"], 2);
  EXPECT_EQ(n["weft.rsqrt"], 2 * 2 + 1);
  EXPECT_EQ(n["weft.exp"], 2);
  EXPECT_EQ(n["weft.iota"], 1 + 2 * 2); // positions; mask rows/cols per layer
  EXPECT_EQ(n["func.return"], 1);
}

TEST(FrontendGpt2, PrintedModuleRoundTrips) {
  Program p = buildGpt2Forward(tinyConfig(), 1, 4);
  std::string text = p.str();
  EXPECT_NE(text.find("func.func @main"), std::string::npos);
  EXPECT_NE(text.find("weft.param = \"h.1.attn.c_attn.weight\""), std::string::npos);
  EXPECT_EQ(text.find("loc("), std::string::npos); // debug locations off

  mlir::MLIRContext ctx;
  ctx.loadDialect<WeftDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*parsed)));
  std::string again;
  llvm::raw_string_ostream os(again);
  parsed->print(os);
  EXPECT_EQ(again, text);
}

TEST(FrontendGpt2, SharedContextAndBadSizes) {
  mlir::MLIRContext ctx;
  Program p(ctx);
  Tensor x = p.input("x", {2});
  p.output("y", x);
  EXPECT_EQ(&p.context(), &ctx);
  EXPECT_THROW(buildGpt2Forward(tinyConfig(), 1, 33), DslError); // > n_positions
  EXPECT_THROW(buildGpt2Forward(tinyConfig(), 0, 4), DslError);
  Gpt2Config bad = tinyConfig();
  bad.n_head = 3;
  try {
    buildGpt2Forward(bad, 1, 4);
    ADD_FAILURE() << "expected a DslError";
  } catch (const DslError &e) {
    EXPECT_NE(std::string(e.what()).find("divisible"), std::string::npos);
  }
}

class FrontendGpt2Config : public ::testing::Test {
protected:
  // One file per test process: ctest runs the tests of this fixture in
  // parallel processes, which must not share a file.
  std::string path = ::testing::TempDir() + "weft_gpt2_config_test_" +
                     std::to_string(::getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                     ".json";
  void write(const std::string &text) { std::ofstream(path) << text; }
  void TearDown() override { std::remove(path.c_str()); }
  std::string errorOf() {
    try {
      Gpt2Config::fromJsonFile(path);
    } catch (const DslError &e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a DslError";
    return "";
  }
};

TEST_F(FrontendGpt2Config, ReadsKeysAndFallsBackToDefaults) {
  write(R"({"n_layer": 3, "n_head": 4, "n_embd": 64, "vocab_size": 1000,
            "layer_norm_epsilon": 1e-6, "activation_function": "gelu",
            "n_inner": null, "model_type": "gpt2"})");
  Gpt2Config c = Gpt2Config::fromJsonFile(path);
  EXPECT_EQ(c.n_layer, 3);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.n_embd, 64);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.n_positions, 1024); // missing: Hugging Face default
  EXPECT_DOUBLE_EQ(c.layer_norm_epsilon, 1e-6);
  EXPECT_EQ(c.n_inner, 0);
  EXPECT_EQ(c.activation, nn::Activation::Gelu);
  Gpt2Config s = Gpt2Config::small();
  EXPECT_EQ(s.n_layer, 12);
  EXPECT_EQ(s.n_embd, 768);
  EXPECT_EQ(s.vocab_size, 50257);
}

TEST_F(FrontendGpt2Config, MalformedFilesNameTheFileAndKey) {
  write(R"({"n_embd": "wide"})");
  std::string msg = errorOf();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("'n_embd'"), std::string::npos) << msg;
  write(R"({"n_layer": -2})");
  msg = errorOf();
  EXPECT_NE(msg.find("'n_layer'"), std::string::npos) << msg;
  write(R"({"n_layer": 2,)");
  msg = errorOf();
  EXPECT_NE(msg.find(path + ": error: not valid JSON"), std::string::npos) << msg;
  write(R"({"n_embd": 100, "n_head": 12})");
  msg = errorOf();
  EXPECT_NE(msg.find("'n_head'"), std::string::npos) << msg;
  write(R"({"activation_function": "swish"})");
  msg = errorOf();
  EXPECT_NE(msg.find("'activation_function'"), std::string::npos) << msg;
  std::remove(path.c_str());
  msg = errorOf();
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST_F(FrontendGpt2Config, DirectoryPathSaysItIsADirectory) {
  std::string dirPath = path + ".d";
  std::filesystem::create_directory(dirPath);
  std::string msg;
  try {
    Gpt2Config::fromJsonFile(dirPath);
    ADD_FAILURE() << "expected a DslError";
  } catch (const DslError &e) {
    msg = e.what();
  }
  std::filesystem::remove(dirPath);
  EXPECT_NE(msg.find(dirPath + ": error: cannot read the GPT-2 config: it is a directory"),
            std::string::npos)
      << msg;
}

TEST_F(FrontendGpt2Config, ValueAboveTheLimitNamesTheRange) {
  write(R"({"n_layer": 2147483648})");
  std::string msg = errorOf();
  EXPECT_NE(msg.find("key 'n_layer' must be an integer from 1 to 4096, got 2147483648"),
            std::string::npos)
      << msg;
  write(R"({"vocab_size": 18446744073709551615})");
  msg = errorOf();
  EXPECT_NE(msg.find("key 'vocab_size' must be an integer from 1 to 16777216"), std::string::npos)
      << msg;
  Gpt2Config big;
  big.n_embd = (1 << 20) + 12;
  big.n_head = 4;
  try {
    big.validate("flags");
    ADD_FAILURE() << "expected a DslError";
  } catch (const DslError &e) {
    EXPECT_NE(std::string(e.what()).find("n_embd = 1048588 exceeds the largest weft supports"),
              std::string::npos)
        << e.what();
  }
}

TEST(FrontendMlp, BuildsLayersWithTorchLayout) {
  Program p = buildMlp(4, {8, 16, 3});
  ASSERT_EQ(p.params().size(), 4u);
  EXPECT_EQ(p.params()[0].name, "fc0.weight");
  EXPECT_EQ(p.params()[0].shape, (Shape{16, 8}));
  EXPECT_EQ(p.params()[1].name, "fc0.bias");
  EXPECT_EQ(p.params()[2].name, "fc1.weight");
  EXPECT_EQ(p.params()[2].shape, (Shape{3, 16}));
  EXPECT_EQ(p.params()[3].shape, (Shape{3}));
  EXPECT_EQ(p.inputNames(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(p.outputNames(), (std::vector<std::string>{"y"}));
  auto y = mlir::cast<mlir::RankedTensorType>(mainOf(p).getResultTypes()[0]);
  EXPECT_EQ(y.getShape(), llvm::ArrayRef<int64_t>({4, 3}));
  std::map<std::string, int> n = countOps(p);
  EXPECT_EQ(n["weft.matmul"], 2);
  EXPECT_EQ(n["weft.relu"], 1);
  EXPECT_THROW(buildMlp(4, {8}), DslError);
}

TEST(FrontendComposites, LayerNormIsEmittedAsPrimitives) {
  Program p;
  Tensor x = p.input("x", {2, 3, 8});
  nn::LayerNorm ln(p, "ln", 8, 1e-5);
  p.output("y", ln(x));
  EXPECT_EQ(opSequence(p),
            (std::vector<std::string>{
                "weft.reduce", "weft.broadcast", "weft.sub", "weft.mul",
                "weft.reduce", "weft.add", "weft.rsqrt", "weft.broadcast",
                "weft.mul", "weft.broadcast", "weft.mul", "weft.broadcast",
                "weft.add"}));
}

TEST(FrontendComposites, SoftmaxIsEmittedAsPrimitives) {
  Program p;
  Tensor x = p.input("x", {4, 6});
  p.output("y", softmax(x, 0));
  // The shift by the row maximum is a stopped gradient (softmax does not
  // depend on it).
  EXPECT_EQ(opSequence(p),
            (std::vector<std::string>{"weft.reduce", "weft.stop_gradient", "weft.broadcast",
                                      "weft.sub", "weft.exp", "weft.reduce",
                                      "weft.broadcast", "weft.div"}));
}

} // namespace
