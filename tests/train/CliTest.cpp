//===- CliTest.cpp - `weft train` end to end ------------------------------===//
//
// This file implements the end-to-end tests of the `weft train` command on
// the tiny byte-level GPT-2: a short AdamW run exits 0, prints held-out
// losses and a sample, and writes the checkpoint and the safetensors; one SGD
// step with lr 1 saves exactly weights - gradient of the first batch, checked
// against the double-precision reference evaluator's gradient of
// buildGpt2TrainLoss (with every fusion on); bad flags and data give clear
// errors.
//
//===----------------------------------------------------------------------===//

#include "TrainRunTestUtil.h"

#include "ir/evaluator/ReferenceEvaluator.h"
#include "passes/Passes.h"
#include "runtime/io/Safetensors.h"
#include "models/catalog/ParamInit.h"
#include "runtime/Executable.h"
#include "runtime/io/Checkpoint.h"
#include "train/TokenData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <cmath>
#include <filesystem>
#include <map>

using namespace weft;
using namespace weft::trainrun::test;

namespace {

TEST(TrainRunCli, ShortRunWritesCheckpointWeightsAndASample) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/log.txt";
  writeFile(data, sampleText(400));
  int rc = runWeft("train gpt2 " + tinyFlags() + " --data '" + data +
                       "' --steps 6 --batch 2 --seq 8 --lr 1e-2 --eval-every 3 --sample-tokens 5"
                       " --checkpoint '" + dir + "/ck' --save '" + dir + "/out.safetensors'",
                   log);
  std::string out = readFile(log);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("step      3  held-out loss"), std::string::npos) << out;
  EXPECT_NE(out.find("step      6  held-out loss"), std::string::npos) << out;
  EXPECT_NE(out.find("step      6/6  loss"), std::string::npos) << out;
  EXPECT_NE(out.find("tokens/s"), std::string::npos) << out;
  EXPECT_NE(out.find("--- continuation ---"), std::string::npos) << out;

  auto ckpt = rt::loadCheckpoint(dir + "/ck");
  ASSERT_TRUE(ckpt.isOk()) << ckpt.status().toString();
  EXPECT_EQ(ckpt->step(), 6u);
  auto weights = rt::SafetensorsFile::open(dir + "/out.safetensors");
  ASSERT_TRUE(weights.isOk()) << weights.status().toString();
  EXPECT_EQ(weights->names().size(), 16u);
  EXPECT_TRUE(weights->contains("wte.weight"));
  EXPECT_FALSE(weights->contains("lm_head.weight"));
  EXPECT_EQ(weights->info("h.0.attn.c_attn.weight")->shape, (std::vector<int64_t>{16, 48}));

  // Starting from the saved weights gives the saved model's held-out loss at step 0.
  const std::string mark = "step      6  held-out loss ";
  ASSERT_NE(out.find(mark), std::string::npos) << out;
  std::string heldOut6 = out.substr(out.find(mark) + mark.size(), 6);
  rc = runWeft("train gpt2 " + tinyFlags() + " --data '" + data +
                   "' --steps 1 --batch 2 --seq 8 --eval-every 1 --sample-tokens 0 --weights '" + dir +
                   "/out.safetensors'",
               log);
  out = readFile(log);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("step      0  held-out loss " + heldOut6), std::string::npos) << heldOut6 << "\n" << out;
}

// --precision bf16 and f16 are the step's: a short run of each trains (the loss falls from ~ln 256 on the first
// batch it sees again) and evaluates its held-out loss with the f32 forward program.
TEST(TrainRunCli, LowPrecisionStepsTrain) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/log.txt";
  writeFile(data, sampleText(400));
  for (const char *precision : {"bf16", "f16"}) {
    int rc = runWeft("train gpt2 " + tinyFlags() + " --data '" + data + "' --precision " + precision +
                         " --steps 4 --batch 2 --seq 8 --lr 1e-2 --eval-every 4 --sample-tokens 0",
                     log);
    std::string out = readFile(log);
    ASSERT_EQ(rc, 0) << precision << ": " << out;
    EXPECT_NE(out.find("step      4  held-out loss"), std::string::npos) << out;
    EXPECT_NE(out.find("step      4/4  loss"), std::string::npos) << out;
  }
}

TEST(TrainRunCli, BadFlagsAndDataAreReported) {
  std::string dir = scratchDir(), log = dir + "/log.txt";
  EXPECT_EQ(runWeft("train gpt2 --data x --optimizer lion", log), 2);
  EXPECT_NE(readFile(log).find("--optimizer must be adamw or sgd, got 'lion'"), std::string::npos)
      << readFile(log);
  EXPECT_EQ(runWeft("train gpt2 --data x --precision fp8", log), 2);
  EXPECT_NE(readFile(log).find("--precision must be f32, bf16 or f16, got 'fp8'"), std::string::npos)
      << readFile(log);
  EXPECT_EQ(runWeft("train gpt2 --data x --steps many", log), 2);
  EXPECT_NE(readFile(log).find("--steps: 'many' is not a number"), std::string::npos) << readFile(log);
  EXPECT_EQ(runWeft("train gpt2 " + tinyFlags() + " --data '" + dir + "/absent.txt'", log), 1);
  EXPECT_NE(readFile(log).find("absent.txt"), std::string::npos) << readFile(log);
  EXPECT_EQ(runWeft("train gpt2 " + tinyFlags() + " --data x --resume", log), 2);
  EXPECT_NE(readFile(log).find("--resume needs --checkpoint DIR"), std::string::npos) << readFile(log);
  // An int8 base does not train: --quantize needs adapters on top.
  EXPECT_EQ(runWeft("train llama --preset tiny --data x --quantize int8-weight", log), 2);
  EXPECT_NE(readFile(log).find("add --lora SPEC"), std::string::npos) << readFile(log);
}

TEST(TrainRunCli, FlagsThatWouldBeIgnoredOrAlteredAreRefused) {
  std::string dir = scratchDir(), log = dir + "/log.txt";
  struct Case {
    std::string flags, expected;
  } cases[] = {
      {"--seq -5", "--seq must be"},
      {"--steps 1e3", "--steps"},
      {"--lr -1", "--lr must be a positive learning rate, got -1"},
      {"--min-lr-ratio 2", "--min-lr-ratio must be between 0 and 1"},
      {"--clip-norm -1", "--clip-norm must be >= 0 (0 turns clipping off), got -1"},
      {"--optimizer sgd --momentum 2", "--momentum must be in [0, 1), got 2"},
      {"--momentum 0.9", "--momentum applies to --optimizer sgd"},
      {"--checkpoint-every 5", "--checkpoint-every needs --checkpoint DIR"},
      {"--steps 10 --warmup 20", "--warmup 20 exceeds --steps 10"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(runWeft("train gpt2 --data x " + c.flags, log), 2) << c.flags;
    std::string out = readFile(log);
    EXPECT_NE(out.find(c.expected), std::string::npos) << c.flags << ":\n" << out;
    EXPECT_EQ(out.find("learningRate"), std::string::npos) << out; // no internal wording
  }
}

TEST(TrainRunCli, ModelThatCannotFitIsRefusedBeforeCompiling) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/log.txt";
  writeFile(data, sampleText(400));
  // 96 layers of width 65536: 18 TiB of parameters, 36 TiB of AdamW state.
  EXPECT_EQ(runWeft("train gpt2 --preset tiny --n-layer 96 --n-embd 65536 --n-head 4 --vocab-size 256 "
                    "--batch 2 --seq 8 --data '" + data + "' --steps 1",
                    log),
            1);
  std::string out = readFile(log);
  EXPECT_NE(out.find("compiling the training step"), std::string::npos) << out;
  EXPECT_NE(out.find("needs 54.00 TiB (arena 0 B, parameters 18.00 TiB, optimizer state 36.00 TiB) "
                     "but only"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("nothing was allocated"), std::string::npos) << out;
  // A small model under a --memory limit it cannot meet: refused when loaded.
  EXPECT_EQ(runWeft("train gpt2 " + tinyFlags() + " --batch 2 --seq 8 --data '" + data +
                        "' --steps 1 --memory 0.0001",
                    log),
            1);
  EXPECT_NE(readFile(log).find("(the limit given with --memory)"), std::string::npos)
      << readFile(log);
}

TEST(TrainRunCli, RunRefusesTokensThatDoNotFitTheSequence) {
  std::string dir = scratchDir(), log = dir + "/log.txt";
  EXPECT_EQ(runWeft("run gpt2 --preset tiny --tokens 1,2,3,4,5 --seq 3", log), 2);
  EXPECT_NE(readFile(log).find("--tokens gives 5 ids but input 'tokens' [1, 3] takes 3 per row"),
            std::string::npos)
      << readFile(log);
  EXPECT_EQ(runWeft("run gpt2 --preset tiny --seq -5", log), 2);
  EXPECT_NE(readFile(log).find("--seq must be"), std::string::npos) << readFile(log);
}

TEST(TrainRunCli, RunOfACompiledFileRefusesTokenIdsOutsideTheVocabulary) {
  std::string dir = scratchDir(), log = dir + "/log.txt", exe = dir + "/tiny.wexe";
  ASSERT_EQ(runWeft("compile gpt2 --preset tiny --seq 4 --no-cache -o '" + exe + "'", log), 0)
      << readFile(log);
  auto compiled = rt::Executable::load(exe);
  ASSERT_TRUE(compiled.isOk()) << compiled.status().toString();
  uint64_t vocab = 0;
  for (const auto &b : compiled->proto().buffers())
    if (b.name() == "tokens")
      vocab = b.index_limit();
  ASSERT_GT(vocab, 0u) << "the tokens input should record the vocabulary";
  // Random ids are drawn inside the vocabulary the file records.
  EXPECT_EQ(runWeft("run '" + exe + "' --random-weights", log), 0) << readFile(log);
  EXPECT_EQ(runWeft("run '" + exe + "' --random-weights --tokens 1,2,3," +
                        std::to_string(vocab + 99999),
                    log),
            1);
  EXPECT_NE(readFile(log).find("token id " + std::to_string(vocab + 99999) +
                               " is outside the vocabulary [0, " + std::to_string(vocab) +
                               ") of input 'tokens'"),
            std::string::npos)
      << readFile(log);
}

/// Name -> value of a safetensors file's f32 tensors, in double.
std::map<std::string, RefTensor> readAll(const std::string &path) {
  std::map<std::string, RefTensor> out;
  auto file = rt::SafetensorsFile::open(path);
  EXPECT_TRUE(file.isOk()) << file.status().toString();
  for (const std::string &name : file->names()) {
    rt::HostTensor t = *file->read(name);
    RefTensor r;
    r.shape = t.shape;
    for (int64_t i = 0; i < t.numElements(); ++i)
      r.data.push_back(t.data<float>()[i]);
    out[name] = r;
  }
  return out;
}

RefTensor toRef(const rt::HostTensor &t) {
  RefTensor r;
  r.shape = t.shape;
  for (int64_t i = 0; i < t.numElements(); ++i)
    r.data.push_back(t.dtype == weft::proto::I64 ? double(t.data<int64_t>()[i])
                                                 : double(t.data<float>()[i]));
  return r;
}

TEST(TrainRunCli, SgdLrOneSavesWeightsMinusTheFirstBatchGradient) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/log.txt";
  writeFile(data, sampleText(400));
  int rc = runWeft("train gpt2 " + tinyFlags() + " --data '" + data +
                       "' --optimizer sgd --lr 1 --steps 1 --batch 2 --seq 8 --init-seed 7"
                       " --eval-every 0 --sample-tokens 0 --save '" + dir + "/out.safetensors'",
                   log);
  ASSERT_EQ(rc, 0) << readFile(log);
  std::map<std::string, RefTensor> saved = readAll(dir + "/out.safetensors");

  // The reference: weft-autodiff of the loss program, evaluated in double
  // precision on the initial weights (the CLI's --init-seed 7) and the first
  // batch in file order (training rows 0 and 1).
  Program loss = models::buildGpt2TrainLoss(tinyConfig(), 2, 8);
  mlir::OwningOpRef<mlir::ModuleOp> grads(loss.module().clone());
  mlir::PassManager pm(&loss.context());
  pm.addPass(createAutodiffPass());
  ASSERT_TRUE(mlir::succeeded(pm.run(*grads)));
  auto data0 = train::TokenDataset::open(data, 256, 2, 8);
  ASSERT_TRUE(data0.isOk());
  train::Batch batch = data0->trainBatch({0, 1});
  std::map<std::string, RefTensor> args;
  for (const ParamSpec &p : loss.params())
    args[p.name] = toRef(initialValue(p, 7));
  args["tokens"] = toRef(batch.tokens);
  args["targets"] = toRef(batch.targets);
  auto main = grads->lookupSymbol<mlir::func::FuncOp>("main");
  std::vector<RefTensor> in;
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.param");
    if (!name)
      name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    in.push_back(args.at(name.str()));
  }
  std::vector<RefTensor> outs = evaluate(main, in);
  std::map<std::string, RefTensor> ref;
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    ref[main.getResultAttrOfType<mlir::StringAttr>(i, "weft.output").str()] = outs[i];

  ASSERT_EQ(saved.size(), loss.params().size());
  int checked = 0;
  for (const ParamSpec &p : loss.params()) {
    const RefTensor &w = args.at(p.name), &g = ref.at("grad:" + p.name), &got = saved.at(p.name);
    ASSERT_EQ(got.shape, w.shape) << p.name;
    double maxGrad = 0;
    for (double v : g.data)
      maxGrad = std::max(maxGrad, std::fabs(v));
    EXPECT_GT(maxGrad, 1e-4) << p.name << ": the gradient should not vanish";
    // f32 kernels against the double evaluator: the saved weight differs
    // from w - g by f32 rounding only (measured: 1.5e-7 at most for
    // gradients up to 0.7), so 1e-6 relative to |w| + max|g|.
    int bad = 0;
    for (size_t i = 0; i < w.data.size(); ++i) {
      double want = w.data[i] - g.data[i];
      double tol = 1e-6 * (std::fabs(w.data[i]) + maxGrad) + 1e-8;
      if (!(std::fabs(got.data[i] - want) <= tol) && bad++ < 3)
        ADD_FAILURE() << p.name << "[" << i << "]: saved " << got.data[i] << ", w - g = " << want
                      << " (w " << w.data[i] << ", g " << g.data[i] << ")";
    }
    ++checked;
  }
  EXPECT_EQ(checked, 16);
}

} // namespace

