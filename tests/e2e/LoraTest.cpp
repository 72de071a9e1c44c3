//===- LoraTest.cpp - LoRA adapters and frozen parameters, end to end -----===//
//
// This file implements the tests of LoRA fine-tuning on a narrow GPT-2 and a
// narrow LLaMA (grouped-query attention, SwiGLU), each model through the same
// checks:
//   - the training step's gradients of the adapters against central finite
//     differences of the double-precision reference evaluator on the forward
//     loss (an independent computation: no autodiff involved), and no
//     gradient outputs at all for the frozen base weights;
//   - lora_B = 0 (PEFT's initialisation) gives exactly the base logits;
//   - merged weights (W0 + B A * alpha / r) give the unmerged logits;
//   - after AdamW steps only the adapters changed (every base tensor bitwise
//     equal) and the optimizer state covers the adapters only;
//   - a PEFT adapter directory saved and loaded back gives the same logits,
//     with the model's PEFT names and fan_in_fan_out (GPT-2's Conv1D: true;
//     LLaMA's nn.Linear: false), and malformed adapters are refused with
//     errors naming the cause.
// LoRA over an int8 base (weft-quantize-weights before autodiff) is tested in
// LoraInt8Test.cpp.
//
// Tolerances: gradients compiled in f32 against double finite differences
// (h = 1e-3 on values of order 0.1-1; truncation error ~h^2 = 1e-6):
// |got - want| <= 1e-4 + 1e-3 |want|. Merged vs unmerged: the same sums in
// another order in f32, |got - want| <= 1e-5 + 1e-4 |want|.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"
#include "tests/e2e/LoraTestModels.h"

#include "compiler/TrainStep.h"
#include "frontend/DslError.h"
#include "models/Gpt2.h"
#include "models/Llama.h"
#include "models/catalog/LoraAdapter.h"
#include "passes/Passes.h"
#include "runtime/FileUtil.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"

#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace weft {
namespace {

using namespace lora_test;

/// The parameter `name` of `p` (a failure when it has none).
ParamSpec findParam(const Program &p, const std::string &name) {
  for (const ParamSpec &s : p.params())
    if (s.name == name)
      return s;
  ADD_FAILURE() << "no parameter " << name;
  return ParamSpec{};
}

TEST(Lora, ProgramFreezesEverythingButTheAdapters) {
  Program p = lossProgram("gpt2");
  int adapters = 0;
  for (const ParamSpec &spec : p.params()) {
    EXPECT_EQ(spec.trainable, isLoraParamName(spec.name)) << spec.name;
    adapters += isLoraParamName(spec.name);
  }
  // c_attn, attn.c_proj and mlp.c_proj of one layer, A and B each.
  EXPECT_EQ(adapters, 6);
  // PEFT's shapes: A [r, in], B [out, r] (Conv1D's c_attn: in 16, out 48).
  EXPECT_EQ(findParam(p, "h.0.attn.c_attn.lora_A.weight").shape, (Shape{2, 16}));
  EXPECT_EQ(findParam(p, "h.0.attn.c_attn.lora_B.weight").shape, (Shape{48, 2}));
  EXPECT_EQ(findParam(p, "h.0.mlp.c_proj.lora_A.weight").shape, (Shape{2, 64}));
  ParamSpec a = findParam(p, "h.0.attn.c_attn.lora_A.weight");
  EXPECT_EQ(a.init.kind, Init::Kind::Uniform);
  EXPECT_DOUBLE_EQ(a.init.value, 1.0 / 4.0); // 1 / sqrt(in = 16)
  EXPECT_EQ(findParam(p, "h.0.attn.c_attn.lora_B.weight").init.kind, Init::Kind::Constant);
}

TEST(Lora, LlamaProgramAdaptsItsProjections) {
  Program p = lossProgram("llama");
  std::set<std::string> adapters;
  for (const ParamSpec &spec : p.params()) {
    EXPECT_EQ(spec.trainable, isLoraParamName(spec.name)) << spec.name;
    if (isLoraParamName(spec.name))
      adapters.insert(spec.name);
  }
  const std::string layer = "model.layers.0.";
  EXPECT_EQ(adapters, (std::set<std::string>{layer + "mlp.down_proj.lora_A.weight",
                                             layer + "mlp.down_proj.lora_B.weight",
                                             layer + "self_attn.q_proj.lora_A.weight",
                                             layer + "self_attn.q_proj.lora_B.weight",
                                             layer + "self_attn.v_proj.lora_A.weight",
                                             layer + "self_attn.v_proj.lora_B.weight"}));
  // nn.Linear [out, in] bases, PEFT's A [r, in] and B [out, r]: v_proj maps 16
  // to one key/value head of 8, down_proj 24 to 16.
  EXPECT_EQ(findParam(p, layer + "self_attn.v_proj.weight").shape, (Shape{8, 16}));
  EXPECT_EQ(findParam(p, layer + "self_attn.v_proj.lora_A.weight").shape, (Shape{2, 16}));
  EXPECT_EQ(findParam(p, layer + "self_attn.v_proj.lora_B.weight").shape, (Shape{8, 2}));
  EXPECT_EQ(findParam(p, layer + "mlp.down_proj.lora_A.weight").shape, (Shape{2, 24}));
  EXPECT_EQ(findParam(p, layer + "mlp.down_proj.lora_B.weight").shape, (Shape{16, 2}));
  EXPECT_EQ(peftModelInfo("llama").defaultTargets, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_FALSE(peftModelInfo("llama").fanInFanOut);
  EXPECT_THROW(peftModelInfo("mlp"), std::invalid_argument);
}

TEST(Lora, UnknownTargetModuleIsAnError) {
  models::Gpt2Config c = loraGpt2();
  c.lora.targets = {"q_proj"};
  try {
    models::buildGpt2TrainLoss(c, kBatch, kSeq).module();
    FAIL() << "no error for an unknown target";
  } catch (const DslError &e) {
    EXPECT_NE(std::string(e.what()).find("'q_proj' matches no Linear layer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("h.0.attn.c_attn"), std::string::npos) << e.what();
  }
}

/// The checks below run on each narrow model by catalog name.
class LoraModelTest : public ::testing::TestWithParam<std::string> {};

/// The adapters' gradients of a compiled training step against central
/// finite differences of the reference evaluator; with LoRA dropout `p` the
/// seed input is fixed, so the masks are the same in every evaluation. With
/// `quantize` (an int8 base) the reference is the forward loss after
/// weft-quantize-weights, evaluated at the compiled step's int8 weights and
/// scales: the step's backward through weft.matmul_q8 against an
/// independent derivative of the same function.
void checkGradients(const std::string &model, double dropoutP, const std::string &quantize = "") {
  Program p = lossProgram(model, 2, dropoutP);
  mlir::ModuleOp module = p.module();
  TrainOptions train;
  train.optimizer = "sgd";
  train.clipNorm = 0;
  train.weightDecay = 0;
  train.keepGradients = true;
  CompileOptions options;
  options.useCache = false;
  options.quantize = quantize;
  CompileResult compiled = compileTrainStep(module, train, options);
  ASSERT_TRUE(compiled.executable.has_value());
  auto exe = std::move(rt::Executor::create(std::move(*compiled.executable))).value();

  // Gradient outputs for the adapters only.
  std::set<std::string> grads;
  for (const std::string &o : exe->outputNames())
    if (o.rfind("grad:", 0) == 0)
      grads.insert(o.substr(5));
  std::set<std::string> adapters;
  for (const ParamSpec &s : p.params())
    if (isLoraParamName(s.name))
      adapters.insert(s.name);
  EXPECT_EQ(grads, adapters);
  EXPECT_TRUE(exe->stateNames().empty()); // plain SGD: no state

  std::map<std::string, rt::HostTensor> values = paramValues(p, /*randomB=*/true);
  for (const auto &[name, value] : values) // an int8 base weight is quantized here
    ASSERT_TRUE(rt::setWeightFromF32(*exe, name, value).isOk()) << name;
  mlir::OwningOpRef<mlir::ModuleOp> reference(module.clone());
  if (!quantize.empty()) {
    mlir::PassManager pm(module->getContext());
    QuantizeWeightsPassOptions q;
    q.mode = quantize;
    q.activations = false; // as the training step quantizes: f32 activations
    q.lmHead = "f32";      // and keeps the LM head f32
    pm.addPass(createQuantizeWeightsPass(q));
    ASSERT_TRUE(mlir::succeeded(pm.run(*reference)));
    values.clear(); // the reference reads what the step holds: int8 weights and scales
    for (const std::string &name : exe->parameterNames())
      values[name] = exe->parameter(name).value();
  }
  rt::HostTensor ids = tokens(0), targets = tokens(1), seed(weft::proto::I64, {});
  seed.data<int64_t>()[0] = 1234;
  ASSERT_TRUE(exe->setInput("tokens", ids).isOk());
  ASSERT_TRUE(exe->setInput("targets", targets).isOk());
  if (dropoutP > 0)
    ASSERT_TRUE(exe->setInput(kLoraSeedInput, seed).isOk());
  setStepInputs(*exe, 0.0f, 1);
  ASSERT_TRUE(exe->run().isOk());

  // The reference evaluator's loss in double, as a function of the params.
  auto func = *reference->getOps<mlir::func::FuncOp>().begin();
  std::vector<RefTensor> args;
  std::map<std::string, size_t> argOf;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      argOf[name.getValue().str()] = args.size();
      args.push_back(test::toRef(values.at(name.getValue().str())));
    } else {
      auto input = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.input").getValue();
      args.push_back(test::toRef(input == "tokens" ? ids : input == "targets" ? targets : seed));
    }
  }
  const double h = 1e-3;
  int checked = 0;
  for (const std::string &name : adapters) {
    rt::HostTensor got = exe->output("grad:" + name).value();
    RefTensor &arg = args[argOf.at(name)];
    // Every third element keeps the test at a few seconds.
    for (size_t e = 0; e < arg.data.size(); e += 3) {
      double saved = arg.data[e];
      arg.data[e] = saved + h;
      double up = evaluate(func, args)[0].data[0];
      arg.data[e] = saved - h;
      double down = evaluate(func, args)[0].data[0];
      arg.data[e] = saved;
      double fd = (up - down) / (2 * h);
      double g = got.data<float>()[e];
      EXPECT_NEAR(g, fd, 1e-4 + 1e-3 * std::fabs(fd)) << name << "[" << e << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 50); // llama: 192 adapter elements, gpt2: 592
}

TEST_P(LoraModelTest, GradientsMatchFiniteDifferencesOfTheReference) { checkGradients(GetParam(), 0.0); }

TEST_P(LoraModelTest, GradientsWithDropoutMatchFiniteDifferencesOfTheReference) {
  checkGradients(GetParam(), 0.3);
}

TEST_P(LoraModelTest, GradientsOverAnInt8BaseMatchFiniteDifferencesOfTheReference) {
  checkGradients(GetParam(), 0.0, "int8-weight");
}

TEST_P(LoraModelTest, ZeroBGivesTheBaseLogitsExactly) {
  Program base = forwardProgram(GetParam(), 0);
  Program lora = forwardProgram(GetParam());
  std::map<std::string, rt::HostTensor> values = paramValues(lora, /*randomB=*/false);
  auto baseExe = compileProgram(base), loraExe = compileProgram(lora);
  setAll(*baseExe, values);
  setAll(*loraExe, values);
  rt::HostTensor ids = tokens(2);
  rt::HostTensor want = logitsOf(*baseExe, ids), got = logitsOf(*loraExe, ids);
  EXPECT_TRUE(bitwiseEqual(got, want)) << "lora_B = 0 must leave the logits bitwise unchanged";
  // And a non-zero B does change them (the adapter is really applied).
  setAll(*loraExe, paramValues(lora, /*randomB=*/true));
  EXPECT_FALSE(bitwiseEqual(logitsOf(*loraExe, ids), want));
}

TEST_P(LoraModelTest, MergedWeightsGiveTheUnmergedLogits) {
  const std::string model = GetParam();
  Program base = forwardProgram(model, 0);
  Program lora = forwardProgram(model);
  std::map<std::string, rt::HostTensor> values = paramValues(lora, /*randomB=*/true);
  auto baseExe = compileProgram(base), loraExe = compileProgram(lora);
  setAll(*baseExe, values);
  setAll(*loraExe, values);
  LoraAdapter adapter;
  adapter.config = loraOf(model, 2);
  for (const auto &[name, t] : values)
    if (isLoraParamName(name))
      adapter.tensors.emplace_back(name, t);
  ASSERT_TRUE(mergeLoraIntoExecutor(adapter, peftModelInfo(model), *baseExe).isOk());
  rt::HostTensor ids = tokens(3);
  test::expectClose(logitsOf(*baseExe, ids), test::toRef(logitsOf(*loraExe, ids)), 1e-5, 1e-4,
                    "merged vs unmerged logits");
}

TEST_P(LoraModelTest, TrainingChangesOnlyTheAdaptersAndTheAdapterRoundTrips) {
  const std::string model = GetParam();
  const LoraConfig config = loraOf(model, 2);
  Program loss = lossProgram(model);
  TrainOptions train; // AdamW, weight decay 0.1, clipping: every path of the update
  CompileOptions options;
  options.useCache = false;
  CompileResult compiled = compileTrainStep(loss.module(), train, options);
  ASSERT_TRUE(compiled.executable.has_value());
  auto exe = std::move(rt::Executor::create(std::move(*compiled.executable))).value();
  std::map<std::string, rt::HostTensor> before = paramValues(loss, /*randomB=*/false);
  setAll(*exe, before);
  // AdamW state for the adapters only.
  for (const std::string &s : exe->stateNames())
    EXPECT_TRUE(isLoraParamName(s.substr(s.find(':') + 1))) << s;
  EXPECT_EQ(exe->stateNames().size(), 2u * 6u);
  for (int t = 1; t <= 3; ++t) {
    ASSERT_TRUE(exe->setInput("tokens", tokens(t)).isOk());
    ASSERT_TRUE(exe->setInput("targets", tokens(t + 1)).isOk());
    setStepInputs(*exe, 1e-2f, t);
    ASSERT_TRUE(exe->run().isOk());
  }
  expectOnlyAdaptersChanged(*exe, before);

  // Save in PEFT's format, load back: the same tensors and config.
  const PeftModelInfo peft = peftModelInfo(model);
  std::string dir = ::testing::TempDir() + "weft-lora-adapter-" + model + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(saveLoraAdapter(dir, config, peft, *exe).isOk());
  auto loaded = loadLoraAdapter(dir, peft);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->config.r, config.r);
  EXPECT_EQ(loaded->config.alpha, config.alpha);
  EXPECT_EQ(loaded->config.targets, config.targets);
  EXPECT_EQ(loaded->fanInFanOut, model == "gpt2"); // Conv1D [in, out] vs nn.Linear [out, in]
  EXPECT_EQ(loaded->tensors.size(), 6u);
  // PEFT's names in the file: GPT2LMHeadModel's transformer.h.N, LlamaForCausalLM's model.layers.N.
  auto file = rt::SafetensorsFile::open(dir + "/" + kAdapterWeightsFile);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  const std::string want = model == "gpt2" ? "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"
                                           : "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
  std::vector<std::string> names = file->names();
  EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;

  // A forward program given the trained adapters directly vs loaded from disk.
  Program fwd = forwardProgram(model);
  auto direct = compileProgram(fwd);
  for (const std::string &name : direct->parameterNames())
    ASSERT_TRUE(direct->setParameter(name, exe->parameter(name).value()).isOk());
  rt::HostTensor logits = logitsOf(*direct, tokens(9));
  std::map<std::string, rt::HostTensor> scrambled = paramValues(fwd, /*randomB=*/true, 99);
  setAll(*direct, scrambled); // scramble, then load the adapter over it
  for (const std::string &name : direct->parameterNames())
    if (!isLoraParamName(name))
      ASSERT_TRUE(direct->setParameter(name, exe->parameter(name).value()).isOk());
  rt::Status set = setLoraParameters(*loaded, *direct);
  ASSERT_TRUE(set.isOk()) << set.toString();
  EXPECT_TRUE(bitwiseEqual(logitsOf(*direct, tokens(9)), logits));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Models, LoraModelTest, ::testing::Values("gpt2", "llama"),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

/// Writes an adapter directory with `config` text and `tensors` (PEFT names).
std::string writeAdapter(const std::string &tag, const std::string &config,
                         const std::vector<std::pair<std::string, rt::HostTensor>> &tensors) {
  std::string dir = ::testing::TempDir() + "weft-lora-bad-" + tag + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(rt::writeFileAtomically(dir + "/adapter_config.json", {config}).isOk());
  EXPECT_TRUE(rt::writeSafetensors(dir + "/adapter_model.safetensors", tensors).isOk());
  return dir;
}

void expectAdapterError(const std::string &dir, const std::string &needle) {
  auto a = loadLoraAdapter(dir, peftModelInfo("gpt2"));
  ASSERT_FALSE(a.isOk()) << "no error; expected one mentioning '" << needle << "'";
  EXPECT_NE(a.status().message().find(needle), std::string::npos) << a.status().message();
  std::filesystem::remove_all(dir);
}

TEST(Lora, MalformedAdaptersAreRefusedWithTheirCause) {
  const std::string prefix = "base_model.model.transformer.h.0.attn.c_attn.";
  const std::string good = R"({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["c_attn"],
                               "fan_in_fan_out": true, "bias": "none"})";
  rt::HostTensor a = randomHost({2, 16}, 1, 0.1), b = randomHost({48, 2}, 2, 0.1);
  {
    std::string dir = writeAdapter("ok", good, {{prefix + "lora_A.weight", a}, {prefix + "lora_B.weight", b}});
    auto ok = loadLoraAdapter(dir, peftModelInfo("gpt2"));
    ASSERT_TRUE(ok.isOk()) << ok.status().toString();
    EXPECT_DOUBLE_EQ(ok->config.scaling(), 2.0);
    std::filesystem::remove_all(dir);
  }
  expectAdapterError(writeAdapter("json", "{not json", {{prefix + "lora_A.weight", a}}), "not a JSON object");
  expectAdapterError(writeAdapter("type", R"({"peft_type": "PREFIX_TUNING", "r": 2})", {{prefix + "lora_A.weight", a}}),
                     "'peft_type' must be \"LORA\"");
  expectAdapterError(writeAdapter("r", R"({"peft_type": "LORA", "target_modules": ["c_attn"]})",
                                  {{prefix + "lora_A.weight", a}}),
                     "key 'r'");
  expectAdapterError(writeAdapter("dora", R"({"peft_type": "LORA", "r": 2, "target_modules": ["c_attn"], "use_dora": true})",
                                  {{prefix + "lora_A.weight", a}}),
                     "use_dora");
  expectAdapterError(writeAdapter("missing", good, {{prefix + "lora_A.weight", a}}), "lora_B.weight");
  expectAdapterError(writeAdapter("shape", good,
                                  {{prefix + "lora_A.weight", randomHost({3, 16}, 1, 0.1)},
                                   {prefix + "lora_B.weight", b}}),
                     "r = 2 needs lora_A [r, in]");
  expectAdapterError(writeAdapter("module", good,
                                  {{"base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight", a},
                                   {"base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight", b}}),
                     "which target_modules");
  expectAdapterError(writeAdapter("name", good, {{"h.0.attn.c_attn.weight", a}}), "PEFT's LoRA tensors are named");

  // A module the model lacks (h.5 of a one-layer model), and a base shape mismatch.
  LoraAdapter stray;
  stray.config = loraOf("gpt2", 2);
  stray.tensors = {{"h.5.attn.c_attn.lora_A.weight", a}, {"h.5.attn.c_attn.lora_B.weight", b}};
  std::vector<std::pair<std::string, rt::HostTensor>> weights = {{"h.0.attn.c_attn.weight", randomHost({16, 48}, 3, 1)}};
  rt::Status s = mergeLoraAdapter(stray, peftModelInfo("gpt2"), weights);
  EXPECT_NE(s.message().find("no weight 'h.5.attn.c_attn.weight'"), std::string::npos) << s.toString();
  stray.tensors = {{"h.0.attn.c_attn.lora_A.weight", a}, {"h.0.attn.c_attn.lora_B.weight", b}};
  weights = {{"h.0.attn.c_attn.weight", randomHost({48, 16}, 3, 1)}};
  s = mergeLoraAdapter(stray, peftModelInfo("gpt2"), weights);
  EXPECT_NE(s.message().find("need [16, 48]"), std::string::npos) << s.toString();
}

TEST(Lora, ParsesTheCliSpec) {
  LoraConfig c = parseLoraSpec("r=8,alpha=16,dropout=0.05,targets=c_attn,c_proj", {"x"});
  EXPECT_EQ(c.r, 8);
  EXPECT_EQ(c.alpha, 16);
  EXPECT_EQ(c.dropout, 0.05);
  EXPECT_EQ(c.targets, (std::vector<std::string>{"c_attn", "c_proj"}));
  EXPECT_EQ(parseLoraSpec("r=4", {"c_attn"}).targets, (std::vector<std::string>{"c_attn"}));
  EXPECT_THROW(parseLoraSpec("alpha=16", {"c_attn"}), std::invalid_argument);
  EXPECT_THROW(parseLoraSpec("r=0", {"c_attn"}), std::invalid_argument);
  EXPECT_THROW(parseLoraSpec("r=4,rank=3", {"c_attn"}), std::invalid_argument);
  EXPECT_THROW(parseLoraSpec("r=4,dropout=1", {"c_attn"}), std::invalid_argument);
  EXPECT_TRUE(c.matches("h.3.attn.c_proj"));
  EXPECT_FALSE(c.matches("h.3.attn.xc_proj"));
}

} // namespace
} // namespace weft
