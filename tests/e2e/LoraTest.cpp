//===- LoraTest.cpp - LoRA adapters and frozen parameters, end to end -----===//
//
// This file implements the tests of LoRA fine-tuning on a narrow GPT-2:
//   - the training step's gradients of the adapters against central finite
//     differences of the double-precision reference evaluator on the forward
//     loss (an independent computation: no autodiff involved), and no
//     gradient outputs at all for the frozen base weights;
//   - lora_B = 0 (PEFT's initialisation) gives exactly the base logits;
//   - merged weights (W0 + B A * alpha / r) give the unmerged logits;
//   - after AdamW steps only the adapters changed (every base tensor bitwise
//     equal) and the optimizer state covers the adapters only;
//   - a PEFT adapter directory saved and loaded back gives the same logits,
//     and malformed adapters are refused with errors naming the cause.
//
// Tolerances: gradients compiled in f32 against double finite differences
// (h = 1e-3 on values of order 0.1-1; truncation error ~h^2 = 1e-6):
// |got - want| <= 1e-4 + 1e-3 |want|. Merged vs unmerged: the same sums in
// another order in f32, |got - want| <= 1e-5 + 1e-4 |want|.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "compiler/TrainStep.h"
#include "frontend/DslError.h"
#include "models/Gpt2.h"
#include "models/catalog/LoraAdapter.h"
#include "runtime/FileUtil.h"
#include "runtime/io/Safetensors.h"

#include <filesystem>
#include <map>
#include <set>

namespace weft {
namespace {

constexpr int kBatch = 2, kSeq = 4;

models::Gpt2Config loraGpt2(int r = 2) {
  models::Gpt2Config c{.n_layer = 1, .n_head = 2, .n_embd = 16, .vocab_size = 32, .n_positions = 16};
  if (r > 0) {
    c.lora.r = r;
    c.lora.alpha = 2.0 * r + 1; // scaling != 1, so a missing factor shows
    c.lora.targets = {"c_attn", "c_proj"};
  }
  return c;
}

/// A random tensor of `shape` in [-scale, scale).
rt::HostTensor randomHost(const Shape &shape, uint64_t seed, double scale) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-float(scale), float(scale));
  rt::HostTensor t(weft::proto::F32, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = u(rng);
  return t;
}

/// Parameter values: the initialisers, with lora_B random (non-zero) when
/// `randomB`, so every adapter gradient is non-zero.
std::map<std::string, rt::HostTensor> paramValues(const Program &p, bool randomB, uint64_t seed = 7) {
  std::map<std::string, rt::HostTensor> values;
  for (const ParamSpec &spec : p.params()) {
    bool isB = false;
    values[spec.name] = randomB && isLoraParamName(spec.name, nullptr, &isB) && isB
                            ? randomHost(spec.shape, seed + values.size(), 0.3)
                            : initialValue(spec, seed);
  }
  return values;
}

rt::HostTensor tokens(int64_t salt) {
  rt::HostTensor ids(weft::proto::I64, {kBatch, kSeq});
  for (int64_t e = 0; e < kBatch * kSeq; ++e)
    ids.data<int64_t>()[e] = (e * 7 + salt * 3 + 1) % 32;
  return ids;
}

std::unique_ptr<rt::Executor> compileProgram(Program &p) {
  CompileOptions options;
  options.useCache = false;
  CompileResult r = compile(p.module(), options);
  EXPECT_TRUE(r.executable.has_value());
  auto exe = rt::Executor::create(std::move(*r.executable));
  EXPECT_TRUE(exe.isOk()) << exe.status().toString();
  return std::move(exe).value();
}

void setAll(rt::Executor &exe, const std::map<std::string, rt::HostTensor> &values) {
  for (const std::string &name : exe.parameterNames()) {
    auto it = values.find(name);
    ASSERT_NE(it, values.end()) << name;
    ASSERT_TRUE(exe.setParameter(name, it->second).isOk()) << name;
  }
}

rt::HostTensor logitsOf(rt::Executor &exe, const rt::HostTensor &ids) {
  EXPECT_TRUE(exe.setInput("tokens", ids).isOk());
  rt::Status ran = exe.run();
  EXPECT_TRUE(ran.isOk()) << ran.toString();
  return exe.output("logits").value();
}

bool bitwiseEqual(const rt::HostTensor &a, const rt::HostTensor &b) {
  return a.shape == b.shape && a.bytes == b.bytes;
}

TEST(Lora, ProgramFreezesEverythingButTheAdapters) {
  Program p = models::buildGpt2TrainLoss(loraGpt2(), kBatch, kSeq);
  int adapters = 0;
  for (const ParamSpec &spec : p.params()) {
    EXPECT_EQ(spec.trainable, isLoraParamName(spec.name)) << spec.name;
    adapters += isLoraParamName(spec.name);
  }
  // c_attn, attn.c_proj and mlp.c_proj of one layer, A and B each.
  EXPECT_EQ(adapters, 6);
  auto find = [&](const std::string &name) {
    for (const ParamSpec &s : p.params())
      if (s.name == name)
        return s;
    ADD_FAILURE() << "no parameter " << name;
    return ParamSpec{};
  };
  // PEFT's shapes: A [r, in], B [out, r] (Conv1D's c_attn: in 16, out 48).
  EXPECT_EQ(find("h.0.attn.c_attn.lora_A.weight").shape, (Shape{2, 16}));
  EXPECT_EQ(find("h.0.attn.c_attn.lora_B.weight").shape, (Shape{48, 2}));
  EXPECT_EQ(find("h.0.mlp.c_proj.lora_A.weight").shape, (Shape{2, 64}));
  ParamSpec a = find("h.0.attn.c_attn.lora_A.weight");
  EXPECT_EQ(a.init.kind, Init::Kind::Uniform);
  EXPECT_DOUBLE_EQ(a.init.value, 1.0 / 4.0); // 1 / sqrt(in = 16)
  EXPECT_EQ(find("h.0.attn.c_attn.lora_B.weight").init.kind, Init::Kind::Constant);
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

/// The adapters' gradients of a compiled training step against central
/// finite differences of the reference evaluator; with LoRA dropout `p` the
/// seed input is fixed, so the masks are the same in every evaluation.
void checkGradients(double dropoutP) {
  models::Gpt2Config config = loraGpt2();
  config.lora.dropout = dropoutP;
  Program p = models::buildGpt2TrainLoss(config, kBatch, kSeq);
  mlir::ModuleOp module = p.module();
  TrainOptions train;
  train.optimizer = "sgd";
  train.clipNorm = 0;
  train.weightDecay = 0;
  train.keepGradients = true;
  CompileOptions options;
  options.useCache = false;
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
  setAll(*exe, values);
  rt::HostTensor ids = tokens(0), targets = tokens(1), seed(weft::proto::I64, {});
  seed.data<int64_t>()[0] = 1234;
  ASSERT_TRUE(exe->setInput("tokens", ids).isOk());
  ASSERT_TRUE(exe->setInput("targets", targets).isOk());
  if (dropoutP > 0)
    ASSERT_TRUE(exe->setInput(kLoraSeedInput, seed).isOk());
  rt::HostTensor lr(weft::proto::F32, {});
  lr.data<float>()[0] = 0;
  ASSERT_TRUE(exe->setInput("lr", lr).isOk());
  ASSERT_TRUE(exe->run().isOk());

  // The reference evaluator's loss in double, as a function of the params.
  auto func = *module.getOps<mlir::func::FuncOp>().begin();
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
    RefTensor want;
    want.shape = arg.shape;
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
  EXPECT_GT(checked, 100);
}

TEST(Lora, GradientsMatchFiniteDifferencesOfTheReference) { checkGradients(0.0); }

TEST(Lora, GradientsWithDropoutMatchFiniteDifferencesOfTheReference) { checkGradients(0.3); }

TEST(Lora, ZeroBGivesTheBaseLogitsExactly) {
  Program base = models::buildGpt2Forward(loraGpt2(0), kBatch, kSeq);
  Program lora = models::buildGpt2Forward(loraGpt2(), kBatch, kSeq);
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

TEST(Lora, MergedWeightsGiveTheUnmergedLogits) {
  Program base = models::buildGpt2Forward(loraGpt2(0), kBatch, kSeq);
  Program lora = models::buildGpt2Forward(loraGpt2(), kBatch, kSeq);
  std::map<std::string, rt::HostTensor> values = paramValues(lora, /*randomB=*/true);
  auto baseExe = compileProgram(base), loraExe = compileProgram(lora);
  setAll(*baseExe, values);
  setAll(*loraExe, values);
  LoraAdapter adapter;
  adapter.config = loraGpt2().lora;
  for (const auto &[name, t] : values)
    if (isLoraParamName(name))
      adapter.tensors.emplace_back(name, t);
  ASSERT_TRUE(mergeLoraIntoExecutor(adapter, gpt2PeftModelInfo(), *baseExe).isOk());
  rt::HostTensor ids = tokens(3);
  test::expectClose(logitsOf(*baseExe, ids), test::toRef(logitsOf(*loraExe, ids)), 1e-5, 1e-4,
                    "merged vs unmerged logits");
}

TEST(Lora, TrainingChangesOnlyTheAdaptersAndTheAdapterRoundTrips) {
  models::Gpt2Config config = loraGpt2();
  Program loss = models::buildGpt2TrainLoss(config, kBatch, kSeq);
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
    rt::HostTensor lr(weft::proto::F32, {}), step(weft::proto::F32, {});
    lr.data<float>()[0] = 1e-2f;
    step.data<float>()[0] = float(t);
    ASSERT_TRUE(exe->setInput("lr", lr).isOk());
    ASSERT_TRUE(exe->setInput("step", step).isOk());
    ASSERT_TRUE(exe->run().isOk());
  }
  for (const auto &[name, value] : before) {
    rt::HostTensor now = exe->parameter(name).value();
    if (isLoraParamName(name))
      EXPECT_FALSE(bitwiseEqual(now, value)) << name << " did not train";
    else
      EXPECT_TRUE(bitwiseEqual(now, value)) << name << " (frozen) changed";
  }

  // Save in PEFT's format, load back: the same tensors and config.
  std::string dir = ::testing::TempDir() + "weft-lora-adapter-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(saveLoraAdapter(dir, config.lora, gpt2PeftModelInfo(), *exe).isOk());
  auto loaded = loadLoraAdapter(dir, gpt2PeftModelInfo());
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->config.r, config.lora.r);
  EXPECT_EQ(loaded->config.alpha, config.lora.alpha);
  EXPECT_EQ(loaded->config.targets, config.lora.targets);
  EXPECT_TRUE(loaded->fanInFanOut);
  EXPECT_EQ(loaded->tensors.size(), 6u);

  // A forward program given the trained adapters directly vs loaded from disk.
  Program fwd = models::buildGpt2Forward(config, kBatch, kSeq);
  auto direct = compileProgram(fwd);
  for (const std::string &name : direct->parameterNames())
    ASSERT_TRUE(direct->setParameter(name, exe->parameter(name).value()).isOk());
  rt::HostTensor want = logitsOf(*direct, tokens(9));
  std::map<std::string, rt::HostTensor> zeroAdapters = paramValues(fwd, /*randomB=*/true, 99);
  setAll(*direct, zeroAdapters); // scramble, then load the adapter over it
  for (const std::string &name : direct->parameterNames())
    if (!isLoraParamName(name))
      ASSERT_TRUE(direct->setParameter(name, exe->parameter(name).value()).isOk());
  rt::Status set = setLoraParameters(*loaded, *direct);
  ASSERT_TRUE(set.isOk()) << set.toString();
  EXPECT_TRUE(bitwiseEqual(logitsOf(*direct, tokens(9)), want));
  std::filesystem::remove_all(dir);
}

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
  auto a = loadLoraAdapter(dir, gpt2PeftModelInfo());
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
    auto ok = loadLoraAdapter(dir, gpt2PeftModelInfo());
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
  stray.config = loraGpt2().lora;
  stray.tensors = {{"h.5.attn.c_attn.lora_A.weight", a}, {"h.5.attn.c_attn.lora_B.weight", b}};
  std::vector<std::pair<std::string, rt::HostTensor>> weights = {{"h.0.attn.c_attn.weight", randomHost({16, 48}, 3, 1)}};
  rt::Status s = mergeLoraAdapter(stray, gpt2PeftModelInfo(), weights);
  EXPECT_NE(s.message().find("no weight 'h.5.attn.c_attn.weight'"), std::string::npos) << s.toString();
  stray.tensors = {{"h.0.attn.c_attn.lora_A.weight", a}, {"h.0.attn.c_attn.lora_B.weight", b}};
  weights = {{"h.0.attn.c_attn.weight", randomHost({48, 16}, 3, 1)}};
  s = mergeLoraAdapter(stray, gpt2PeftModelInfo(), weights);
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
