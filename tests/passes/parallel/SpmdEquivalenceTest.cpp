//===- SpmdEquivalenceTest.cpp - partitioned programs compute the same ----===//
//
// The GPT-2 training step (2 layers, AdamW with global-norm clipping, a
// vocabulary of 11 that no tp degree here divides) is partitioned with the
// named hint sets (dp, tp: Megatron's column/row-parallel layers and
// vocabulary-parallel embedding and cross-entropy, dp x tp) on meshes of 2, 4
// and 8 simulated ranks, and run by the reference evaluator on every rank
// (evaluateSpmd). Each rank's piece of every result (loss, updated weights
// and AdamW moments) must equal the same piece of the global step's result.
//
// The hand-written hint sets are the reference of the named strategies
// (models/catalog/Strategies.h): the programs the strategies build carry
// exactly these argument shardings. Sequence parallelism (strategy sp, whose
// hints are constraints inside the blocks) is partitioned and compared the
// same way.
//
// Tolerance: both sides compute in double; only the order of sums differs
// (a sum over ranks of partial sums), so the relative error is a few ulps
// times the number of addends: 1e-10 relative (plus 1e-13 absolute for values
// near zero) is far above that and far below any partitioning bug.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines.h"
#include "compiler/TrainStep.h"
#include "runtime/MemoryNeeds.h"
#include "compiler/TrainOptions.h"
#include "frontend/Program.h"
#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/evaluator/SpmdEvaluator.h"
#include "models/Gpt2.h"
#include "models/catalog/Strategies.h"
#include "passes/Passes.h"
#include "passes/parallel/search/Elimination.h"
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/ProgramProblem.h"
#include "passes/parallel/search/Simplify.h"
#include "runtime/ShardLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <tuple>

using namespace mlir;

namespace weft {
namespace {

constexpr int64_t kBatch = 4, kSeq = 4, kVocab = 11;

models::Gpt2Config tinyConfig() {
  models::Gpt2Config c;
  c.n_layer = 2;
  c.n_head = 2;
  c.n_embd = 8;
  c.vocab_size = int(kVocab);
  c.n_positions = 8;
  return c;
}

/// A sharding for a parameter or input by name, or null.
using Hints = std::function<ShardingAttr(MLIRContext *, llvm::StringRef name, unsigned rank)>;

ShardingAttr sharding(MLIRContext *ctx, std::vector<std::pair<std::vector<std::string>, int64_t>> dims) {
  SmallVector<DimShardingAttr> d;
  for (auto &[axes, blocks] : dims) {
    SmallVector<StringAttr> a;
    for (const std::string &x : axes)
      a.push_back(StringAttr::get(ctx, x));
    d.push_back(DimShardingAttr::get(ctx, a, blocks));
  }
  return ShardingAttr::get(ctx, d);
}

ShardingAttr dataParallel(MLIRContext *ctx, llvm::StringRef name, unsigned rank) {
  if (name == "tokens" || name == "targets")
    return sharding(ctx, {{{"dp"}, 1}, {{}, 1}});
  return {};
}

/// Megatron: qkv and fc column-parallel (qkv in 3 blocks), the projections row-parallel, the embedding
/// (and with it the tied LM head and the cross-entropy) vocabulary-parallel.
ShardingAttr megatron(MLIRContext *ctx, llvm::StringRef name, unsigned rank) {
  std::string n = name.str();
  auto ends = [&](const char *s) { return std::regex_search(n, std::regex(std::string(s) + "$")); };
  if (ends("attn\\.c_attn\\.weight"))
    return sharding(ctx, {{{}, 1}, {{"tp"}, 3}});
  if (ends("attn\\.c_attn\\.bias"))
    return sharding(ctx, {{{"tp"}, 3}});
  if (ends("mlp\\.c_fc\\.weight"))
    return sharding(ctx, {{{}, 1}, {{"tp"}, 1}});
  if (ends("mlp\\.c_fc\\.bias"))
    return sharding(ctx, {{{"tp"}, 1}});
  if (ends("c_proj\\.weight"))
    return sharding(ctx, {{{"tp"}, 1}, {{}, 1}});
  if (n == "wte.weight")
    return sharding(ctx, {{{"tp"}, 1}, {{}, 1}});
  return {};
}

ShardingAttr both(MLIRContext *ctx, llvm::StringRef name, unsigned rank) {
  if (ShardingAttr s = dataParallel(ctx, name, rank))
    return s;
  return megatron(ctx, name, rank);
}

std::string debugString(Attribute a) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << a;
  return out;
}

/// The rank's view of each dimension of `s` on `mesh`.
std::vector<rt::DimPiece> piecesOf(ShardingAttr s, MeshAttr mesh, int64_t rank) {
  SmallVector<int64_t> coords = mesh.coordinates(rank);
  std::vector<rt::DimPiece> pieces;
  for (DimShardingAttr d : s.getDims()) {
    rt::DimPiece p;
    p.blocks = d.getBlocks();
    for (StringAttr axis : d.getAxes()) {
      int64_t size = mesh.axisSize(axis.getValue());
      p.ways *= size;
      p.index = p.index * size + coords[*mesh.axisIndex(axis.getValue())];
    }
    pieces.push_back(p);
  }
  return pieces;
}

RefTensor pieceOf(const RefTensor &global, ShardingAttr s, MeshAttr mesh, int64_t rank) {
  std::vector<rt::DimPiece> pieces = piecesOf(s, mesh, rank);
  RefTensor local;
  local.shape = rt::localShape(global.shape, pieces);
  local.data.resize(local.numElements());
  rt::extractShard(global.data.data(), global.shape, sizeof(double), pieces, local.data.data());
  return local;
}

/// The weft.param / weft.input / weft.state name of argument `i` of `f`.
std::string argName(func::FuncOp f, unsigned i) {
  for (llvm::StringRef tag : {kParamAttr, kInputAttr, kStateAttr})
    if (auto s = f.getArgAttrOfType<StringAttr>(i, tag))
      return s.getValue().str();
  return "";
}

class SpmdEquivalence : public ::testing::Test {
protected:
  void SetUp() override { prepare(models::buildGpt2TrainLoss(tinyConfig(), kBatch, kSeq)); }

  /// Builds the training step of `program` and its global results on random arguments.
  void prepare(Program program) {
    step_ = nullptr; // before the context of the program it was cloned from goes
    args_.clear();
    program_ = std::make_unique<Program>(std::move(program));
    step_ = program_->module().clone();
    PassManager pm(step_->getContext());
    TrainOptions train;
    buildTrainingPipeline(pm, train);
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createCSEPass());
    ASSERT_TRUE(succeeded(pm.run(*step_)));
    func::FuncOp main = step_->lookupSymbol<func::FuncOp>("main");
    for (BlockArgument arg : main.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      std::string name = nameOf(main, arg.getArgNumber());
      RefTensor t;
      if (name == "lr")
        t = RefTensor{{}, {0.01}};
      else if (name == "step")
        t = RefTensor{{}, {1.0}};
      else if (type.getElementType().isInteger(64))
        t = randomTensor(type, 100 + arg.getArgNumber(), 0.0, double(kVocab));
      else if (main.getArgAttr(arg.getArgNumber(), kStateAttr))
        t = RefTensor{std::vector<int64_t>(type.getShape().begin(), type.getShape().end()),
                      std::vector<double>(type.getNumElements(), 0.0)};
      else
        t = randomTensor(type, 100 + arg.getArgNumber(), -0.5, 0.5);
      args_.push_back(t);
    }
    expected_ = evaluate(main, args_);
  }

  static std::string nameOf(func::FuncOp f, unsigned i) { return argName(f, i); }

  /// Partitions the step on `meshText` with `hints`, runs every rank and compares.
  void check(const std::string &meshText, const Hints &hints) { partitionAndCompare(meshText, hints); }

  /// As check(), and returns the partitioned module.
  OwningOpRef<ModuleOp> partitionAndCompare(const std::string &meshText, const Hints &hints) {
    OwningOpRef<ModuleOp> part = step_->clone();
    compare(part, meshText, hints);
    return part;
  }

  void compare(OwningOpRef<ModuleOp> &part, const std::string &meshText, const Hints &hints) {
    MLIRContext *ctx = part->getContext();
    auto mesh = cast<MeshAttr>(parseAttribute(meshText, ctx));
    (*part)->setAttr(kMeshAttr, mesh);
    func::FuncOp main = part->lookupSymbol<func::FuncOp>("main");
    int hinted = 0;
    for (BlockArgument arg : main.getArguments())
      if (ShardingAttr s = hints ? hints(ctx, nameOf(main, arg.getArgNumber()),
                                         unsigned(cast<RankedTensorType>(arg.getType()).getRank()))
                                 : ShardingAttr()) {
        main.setArgAttr(arg.getArgNumber(), kShardingAttr, s);
        ++hinted;
      }
    // Without hints here, the program carries its own (a strategy's).
    ASSERT_GT(hinted + int(!hints), 0);
    PassManager pm(ctx);
    pm.addPass(createPropagateShardingPass());
    pm.addPass(createSpmdPartitionPass());
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createCSEPass());
    ASSERT_TRUE(succeeded(pm.run(*part)));
    main = part->lookupSymbol<func::FuncOp>("main");

    int64_t ranks = mesh.numDevices();
    std::vector<std::vector<RefTensor>> perRank(ranks);
    for (BlockArgument arg : main.getArguments()) {
      auto s = main.getArgAttrOfType<ShardingAttr>(arg.getArgNumber(), kShardingAttr);
      for (int64_t r = 0; r < ranks; ++r)
        perRank[r].push_back(pieceOf(args_[arg.getArgNumber()], s, mesh, r));
    }
    std::vector<std::vector<RefTensor>> got = evaluateSpmd(main, mesh, perRank);
    ASSERT_EQ(got.size(), size_t(ranks));
    int compared = 0;
    for (unsigned i = 0; i < main.getNumResults(); ++i) {
      auto s = main.getResultAttrOfType<ShardingAttr>(i, kShardingAttr);
      const RefTensor &want = expected_[i];
      RefTensor ones{want.shape, std::vector<double>(want.data.size(), 1.0)};
      for (int64_t r = 0; r < ranks; ++r) {
        RefTensor wantPiece = pieceOf(want, s, mesh, r), isReal = pieceOf(ones, s, mesh, r);
        ASSERT_EQ(got[r][i].shape, wantPiece.shape) << "result " << i << " rank " << r;
        for (size_t k = 0; k < wantPiece.data.size(); ++k) {
          if (isReal.data[k] == 0.0)
            continue; // padding
          double w = wantPiece.data[k], g = got[r][i].data[k];
          ASSERT_NEAR(g, w, 1e-10 * std::abs(w) + 1e-13)
              << "result " << i << " (" << debugString(s) << ") rank " << r << " element " << k << " on " << meshText;
          ++compared;
        }
      }
    }
    EXPECT_GT(compared, 0);
  }

  std::unique_ptr<Program> program_;
  OwningOpRef<ModuleOp> step_;
  std::vector<RefTensor> args_, expected_;
};

TEST_F(SpmdEquivalence, DataParallelOnTwoAndFourRanks) {
  check("#weft.mesh<dp = 2>", dataParallel);
  check("#weft.mesh<dp = 4>", dataParallel);
}

TEST_F(SpmdEquivalence, MegatronTensorParallelWithAnUnevenVocabulary) {
  check("#weft.mesh<tp = 2>", megatron);
  check("#weft.mesh<tp = 4>", megatron);
}

// Megatron's communication: per layer two all-reduces of B x T x C in the forward pass (after the attention
// and MLP projections) and two in the backward pass (before the column-parallel qkv and fc), plus one for the
// vocabulary-parallel embedding and one for the LM head's input gradient; nothing is all-gathered.
TEST_F(SpmdEquivalence, MegatronAllReducesMatchTheAnalyticCount) {
  OwningOpRef<ModuleOp> part = partitionAndCompare("#weft.mesh<tp = 2>", megatron);
  int activations = 0, gathers = 0;
  part->walk([&](Operation *op) {
    if (op->getName().getStringRef() == "weft.all_gather")
      ++gathers;
    if (op->getName().getStringRef() == "weft.all_reduce" &&
        cast<RankedTensorType>(op->getResult(0).getType()).getNumElements() == kBatch * kSeq * 8)
      ++activations;
  });
  EXPECT_EQ(activations, 4 * tinyConfig().n_layer + 2);
  EXPECT_EQ(gathers, 0);
}

TEST_F(SpmdEquivalence, DataTimesTensorParallel) {
  check("#weft.mesh<dp = 2, tp = 2>", both);
  check("#weft.mesh<dp = 2, tp = 4>", both);
}

// The strategies' programs carry exactly the hand-written hints on every argument (and nothing else).
/// A machine where splitting pays even for the tiny model: slow arithmetic
/// and memory, fast links.
std::string fastLinkCluster() {
  std::string path = ::testing::TempDir() + "weft_spmd_auto_cluster.json";
  std::ofstream(path) << R"({"name": "slow-device-fast-link",
    "device": {"peak_tflops": {"f32": 0.001, "bf16": 0.001, "f16": 0.001}, "memory_gbps": 1, "memory_gib": 1,
               "launch_us": 0.1, "gemm_efficiency": 1, "memory_efficiency": 1},
    "topology": {"devices_per_node": 8, "intra_node": {"gbps": 100, "latency_us": 0.1},
                 "inter_node": {"gbps": 100, "latency_us": 0.1}}})";
  return path;
}

/// Runs weft-auto-shard on a copy of the step on `meshText`; the copy, or
/// null with the diagnostics in `errors`.
OwningOpRef<ModuleOp> autoShard(ModuleOp step, const char *meshText, const std::string &cluster,
                                double memoryGib, std::string &errors) {
  OwningOpRef<ModuleOp> part = step.clone();
  (*part)->setAttr(kMeshAttr, parseAttribute(meshText, part->getContext()));
  PassManager pm(part->getContext());
  AutoShardPassOptions options;
  options.cluster = cluster;
  options.memoryGib = memoryGib;
  pm.addPass(createAutoShardPass(options));
  ScopedDiagnosticHandler capture(part->getContext(), [&](Diagnostic &d) {
    errors += d.str();
    return success();
  });
  if (failed(pm.run(*part)))
    return nullptr;
  return part;
}

// weft-auto-shard's choice (whatever it is) partitions into a program whose
// every rank computes its piece of the global step, and its plan records the
// compiler's memory plan of that program.
TEST_F(SpmdEquivalence, AutoShardPlansComputeTheGlobalStep) {
  std::string cluster = fastLinkCluster();
  for (const char *meshText : {"#weft.mesh<dp = 2>", "#weft.mesh<tp = 2>", "#weft.mesh<dp = 2, tp = 2>"}) {
    SCOPED_TRACE(meshText);
    std::string errors;
    OwningOpRef<ModuleOp> part = autoShard(*step_, meshText, cluster, 0, errors);
    ASSERT_TRUE(part) << errors;
    auto plan = (*part)->getAttrOfType<DictionaryAttr>(kPlanAttr);
    ASSERT_TRUE(plan);
    double seconds = plan.getAs<FloatAttr>("seconds").getValueAsDouble();
    EXPECT_LE(plan.getAs<FloatAttr>("lower_bound").getValueAsDouble(), seconds * (1 + 1e-9));
    EXPECT_GT(plan.getAs<FloatAttr>("arena_bytes").getValueAsDouble(), 0);
    EXPECT_GT(plan.getAs<FloatAttr>("parameter_bytes").getValueAsDouble(), 0);
    func::FuncOp main = part->lookupSymbol<func::FuncOp>("main");
    int split = 0;
    for (BlockArgument arg : main.getArguments())
      if (auto sh = main.getArgAttrOfType<ShardingAttr>(arg.getArgNumber(), kShardingAttr))
        split += sh.isReplicated() ? 0 : 1;
    EXPECT_GT(split, 0) << "nothing split on a machine where splitting pays";
    compare(part, meshText, nullptr);
  }
}

// On the CPU's cost profile splitting the tiny model's parameters does not
// pay, so the unconstrained plan keeps them whole. Under a budget below its
// peak the search must find a plan whose peak (the compiler's memory plan of
// the partitioned program, activations included) fits — splitting more, and
// still computing the global step — and under a budget no plan meets it
// must say so with the smallest need; never return a plan over its budget.
TEST_F(SpmdEquivalence, AutoShardFitsTheBudgetItIsGiven) {
  for (const char *meshText : {"#weft.mesh<dp = 2, tp = 2>"}) {
    SCOPED_TRACE(meshText);
    std::string errors;
    OwningOpRef<ModuleOp> free = autoShard(*step_, meshText, "cpu", 0, errors);
    ASSERT_TRUE(free) << errors;
    auto peakOf = [](ModuleOp m) {
      return m->getAttrOfType<DictionaryAttr>(kPlanAttr).getAs<FloatAttr>("peak_bytes").getValueAsDouble();
    };
    auto persistentOf = [](ModuleOp m) {
      auto plan = m->getAttrOfType<DictionaryAttr>(kPlanAttr);
      return plan.getAs<FloatAttr>("parameter_bytes").getValueAsDouble() +
             plan.getAs<FloatAttr>("state_bytes").getValueAsDouble();
    };
    double peak = peakOf(*free);
    // Half the parameters and state less: what splitting them over dp = 2 saves.
    double budget = peak - 0.4 * persistentOf(*free);
    OwningOpRef<ModuleOp> tight = autoShard(*step_, meshText, "cpu", budget / double(1ull << 30), errors);
    ASSERT_TRUE(tight) << errors;
    EXPECT_LE(peakOf(*tight), budget);
    EXPECT_LT(persistentOf(*tight), persistentOf(*free));
    compare(tight, meshText, nullptr);

    errors.clear();
    OwningOpRef<ModuleOp> none = autoShard(*step_, meshText, "cpu", 0.2 * peak / double(1ull << 30), errors);
    EXPECT_FALSE(none);
    EXPECT_NE(errors.find("fits the memory budget"), std::string::npos) << errors;
  }
}

/// A double as MLIR prints it: decimal, or 0x... (the bits) when the
/// decimal form would not read back exactly.
double parsePrintedDouble(const std::string &text) {
  if (text.rfind("0x", 0) != 0)
    return std::stod(text);
  uint64_t bits = std::stoull(text, nullptr, 16);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// The peak the search predicts for its plan (weft.plan's peak_bytes, from
// the compiler's memory plan of the partitioned program) is what the
// compiled step then needs on each rank (the Executable's arena, parameters
// and optimizer state): within 3%, on 2 devices with the CPU's profile
// (parameters whole) and an H100's (split).
TEST(AutoShardMemory, PredictedPeakIsTheCompiledStepsNeed) {
  for (auto [devices, cluster] : {std::pair<int, const char *>{2, "cpu"}, {2, "h100"}}) {
    SCOPED_TRACE(std::to_string(devices) + " devices, " + cluster);
    Program loss = models::buildGpt2TrainLoss(
        models::Gpt2Config{.n_layer = 2, .n_head = 4, .n_embd = 32, .vocab_size = 96, .n_positions = 16}, 8, 16);
    CompileOptions options;
    options.useCache = false;
    options.autoShard = AutoShardOptions{};
    options.autoShard->devices = devices;
    options.autoShard->cluster = cluster;
    options.dumpIrDir = ::testing::TempDir() + "weft_auto_shard_memory_" + std::to_string(devices) + cluster;
    std::filesystem::remove_all(options.dumpIrDir);
    CompileResult compiled = compileTrainStep(loss.module(), TrainOptions{}, options);
    ASSERT_TRUE(compiled.executable);
    double needed = double(rt::memoryNeeds(compiled.executable->proto()).total());
    // The auto-shard pass's dump holds the module's weft.plan.
    std::string dump;
    for (const auto &entry : std::filesystem::directory_iterator(options.dumpIrDir))
      if (entry.path().filename().string().find("weft-auto-shard") != std::string::npos) {
        std::ifstream in(entry.path());
        dump.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dump, m, std::regex(R"(peak_bytes = (0x[0-9A-F]+|[0-9.e+]+))"))) << "no plan";
    double predicted = parsePrintedDouble(m[1]);
    EXPECT_NEAR(predicted, needed, 0.03 * needed) << "predicted " << predicted << " B, compiled " << needed << " B";
    std::printf("%d devices, %s: predicted peak %.0f B, compiled step needs %.0f B (%+.2f%%)\n", devices, cluster,
                predicted, needed, 100 * (predicted / needed - 1));
  }
}

// On the 2-layer GPT-2 step, on meshes of 2, 4 and 8 devices, the plan the
// search returns (ties, exact elimination of chains, CBC) costs what the
// optimum costs: the optimum found by dynamic programming over every
// combination of the tied problem's strategies (bucket elimination, which
// shares no code with the ILP).
TEST_F(SpmdEquivalence, AutoShardFindsTheOptimum) {
  rt::StatusOr<cost::ClusterSpec> h100 = cost::loadClusterSpec("h100");
  rt::StatusOr<cost::ClusterSpec> slow = cost::loadClusterSpec(fastLinkCluster());
  ASSERT_TRUE(h100.isOk() && slow.isOk());
  for (const cost::ClusterSpec *cluster : {&*h100, &*slow})
    for (const char *meshText : {"#weft.mesh<dp = 2>", "#weft.mesh<tp = 2>", "#weft.mesh<dp = 2, tp = 2>",
                                 "#weft.mesh<dp = 4, tp = 2>", "#weft.mesh<dp = 2, tp = 4>", "#weft.mesh<dp = 8>"}) {
      SCOPED_TRACE(std::string(meshText) + " on " + cluster->name);
      OwningOpRef<ModuleOp> module = step_->clone();
      auto mesh = cast<MeshAttr>(parseAttribute(meshText, module->getContext()));
      func::FuncOp main = module->lookupSymbol<func::FuncOp>("main");
      search::copyCheapValuesPerReader(main);
      search::ProgramProblem program(main, mesh, *cluster, /*tie=*/true);
      std::string error;
      std::optional<search::GroupedProblem> grouped = search::groupProblem(program.problem(), error);
      ASSERT_TRUE(grouped) << error;
      search::Simplified simplified(*grouped);
      search::Solution ilp = search::solveIlp(simplified.reduced());
      ASSERT_TRUE(ilp.feasible);
      ilp.choice = simplified.expand(ilp.choice);
      search::evaluate(*grouped, ilp);
      std::optional<search::Solution> best = search::solveByElimination(*grouped);
      ASSERT_TRUE(best) << "the dynamic program's tables grew too large";
      EXPECT_NEAR(ilp.seconds, best->seconds, 1e-9 * best->seconds);
      // Not a trivial problem: dozens of groups with a choice; on the slow device a split plan beats the
      // whole one (on an H100 this tiny model is best kept whole: launches and latencies dominate).
      EXPECT_GE(llvm::count_if(grouped->seconds, [](const auto &s) { return s.size() > 1; }), 20);
      search::Solution whole;
      whole.choice.assign(grouped->seconds.size(), 0); // strategy 0 is every op whole
      search::evaluate(*grouped, whole);
      if (cluster == &*slow)
        EXPECT_LT(best->seconds, whole.seconds);
    }
}

TEST(SpmdStrategies, StrategiesGiveTheHandWrittenHints) {
  struct Case {
    const char *mesh, *strategy;
    Hints hints;
  };
  for (const Case &c : {Case{"dp=2", "dp", dataParallel}, Case{"tp=2", "tp", megatron},
                        Case{"dp=2,tp=2", "dp,tp", both}, Case{"dp=2,tp=2", "tp,dp", both}}) {
    MeshSpec mesh = MeshSpec::parse(c.mesh);
    Program p = models::buildGpt2TrainLoss(tinyConfig(), kBatch, kSeq, strategyPlan(c.strategy, mesh), mesh);
    ModuleOp module = p.module();
    func::FuncOp main = module.lookupSymbol<func::FuncOp>("main");
    int hinted = 0;
    for (BlockArgument arg : main.getArguments()) {
      unsigned i = arg.getArgNumber();
      std::string name = argName(main, i);
      ShardingAttr want = c.hints(module.getContext(), name, unsigned(cast<RankedTensorType>(arg.getType()).getRank()));
      ShardingAttr got = main.getArgAttrOfType<ShardingAttr>(i, kShardingAttr);
      EXPECT_EQ(got, want) << c.strategy << " on " << c.mesh << ": argument " << name << " has "
                           << (got ? debugString(got) : "none") << ", the hand-written hints "
                           << (want ? debugString(want) : "none");
      hinted += bool(got);
    }
    EXPECT_GT(hinted, 0) << c.strategy;
    int constraints = 0;
    module.walk([&](ShardingConstraintOp) { ++constraints; });
    EXPECT_EQ(constraints, 0) << c.strategy;
  }
}

// Sequence parallelism: the residual stream split along the sequence at the LayerNorms, all-gathered where
// the sublayers read; the partitioned step computes the same as the global one.
TEST_F(SpmdEquivalence, SequenceParallelStrategy) {
  MeshSpec mesh = MeshSpec::parse("tp=2");
  prepare(models::buildGpt2TrainLoss(tinyConfig(), kBatch, kSeq, strategyPlan("sp", mesh), mesh));
  OwningOpRef<ModuleOp> part = partitionAndCompare("#weft.mesh<tp = 2>", nullptr);
  int activationGathers = 0;
  part->walk([&](Operation *op) {
    if (op->getName().getStringRef() == "weft.all_gather" &&
        cast<RankedTensorType>(op->getResult(0).getType()).getNumElements() == kBatch * kSeq * 8)
      ++activationGathers;
  });
  EXPECT_GE(activationGathers, 2 * tinyConfig().n_layer);

  part = nullptr; // before its context goes with the program
  MeshSpec both = MeshSpec::parse("dp=2,tp=2");
  prepare(models::buildGpt2TrainLoss(tinyConfig(), kBatch, kSeq, strategyPlan("dp,sp", both), both));
  partitionAndCompare("#weft.mesh<dp = 2, tp = 2>", nullptr);
}

// Megatron's sequence parallelism in the forward pass: the activations (B x T x C) are reduce-scattered along
// the sequence after the vocabulary-parallel embedding and each row-parallel layer, and all-gathered before each
// column-parallel layer and the LM head; no activation is all-reduced. (Where the vocabulary-split weight is
// smaller than the activations, the embedding and the LM head gather the weight instead, which moves fewer
// bytes: the vocabulary here, 37 x 8, is larger than B x T x C = 128 and uneven on tp=2.)
/// How many all-gathers, reduce-scatters and all-reduces of a whole B x T x C
/// activation (n_embd 8) on tp=2 a partitioned module holds.
std::tuple<int, int, int> activationCollectives(ModuleOp part) {
  int gathers = 0, scatters = 0, reduces = 0;
  const int64_t whole = kBatch * kSeq * 8;
  part->walk([&](Operation *op) {
    if (op->getNumResults() == 0)
      return;
    int64_t n = cast<RankedTensorType>(op->getResult(0).getType()).getNumElements();
    StringRef name = op->getName().getStringRef();
    gathers += name == "weft.all_gather" && n == whole;
    scatters += name == "weft.reduce_scatter" && 2 * n == whole;
    reduces += name == "weft.all_reduce" && n == whole;
  });
  return {gathers, scatters, reduces};
}

TEST(SpmdSequenceParallel, ForwardReduceScattersAndGathersActivations) {
  MeshSpec mesh = MeshSpec::parse("tp=2");
  models::Gpt2Config config = tinyConfig();
  config.vocab_size = 37;
  Program p = models::buildGpt2Forward(config, kBatch, kSeq, strategyPlan("sp", mesh), mesh);
  OwningOpRef<ModuleOp> part = p.module().clone();
  PassManager pm(part->getContext());
  buildParallelPipeline(pm);
  ASSERT_TRUE(succeeded(pm.run(*part)));
  auto [gathers, scatters, reduces] = activationCollectives(*part);
  const int layers = config.n_layer;
  EXPECT_EQ(scatters, 2 * layers + 1);
  EXPECT_EQ(gathers, 2 * layers + 1);
  EXPECT_EQ(reduces, 0);
}

// Megatron's sequence parallelism in the training step: the backward pass transposes the forward's collectives
// (an all-gather of the output gradient where the forward reduce-scattered, a reduce-scatter of the input gradient
// where it all-gathered), so per layer 4 all-gathers and 4 reduce-scatters of B x T x C / tp, one more of each for
// the embedding and one more of each for the LM head, and no activation or activation gradient is all-reduced;
// the step computes the same as the global one.
TEST_F(SpmdEquivalence, SequenceParallelBackwardTransposesTheForwardCollectives) {
  MeshSpec mesh = MeshSpec::parse("tp=2");
  models::Gpt2Config config = tinyConfig();
  config.vocab_size = 37; // larger than B x T x C, as a real vocabulary is
  prepare(models::buildGpt2TrainLoss(config, kBatch, kSeq, strategyPlan("sp", mesh), mesh));
  OwningOpRef<ModuleOp> part = partitionAndCompare("#weft.mesh<tp = 2>", nullptr);
  auto [gathers, scatters, reduces] = activationCollectives(*part);
  const int layers = config.n_layer;
  EXPECT_EQ(gathers, 4 * layers + 2);
  EXPECT_EQ(scatters, 4 * layers + 2);
  EXPECT_EQ(reduces, 0);
  part = nullptr; // before its context goes with the program
}

// A split moving between dimensions over the same axes (the sequence <-> heads transition) is one all_to_all:
// each case is partitioned (the input split as `from`, a constraint to `to` before a reduction over the formerly
// split dimension), checked for an all_to_all and no all_gather, and run on the simulated mesh against the global
// program, with dimensions that divide and dimensions that leave padding on the last ranks.
TEST(SpmdAllToAll, MovedSplitsComputeTheGlobalResult) {
  struct Case {
    const char *mesh, *shape, *from, *to, *reduced, *reducedSharding;
  };
  const Case cases[] = {
      {"#weft.mesh<tp = 2>", "2x8x6", "[{}, {tp}, {}]", "[{}, {}, {tp}]", "2x6", "[{}, {tp}]"}, // sequence -> hidden
      {"#weft.mesh<tp = 2>", "2x8x6", "[{}, {}, {tp}]", "[{}, {tp}, {}]", "2x6", "[{}, {}]"},   // and back (a partial sum)
      {"#weft.mesh<tp = 4>", "3x6x5", "[{}, {tp}, {}]", "[{}, {}, {tp}]", "3x5", "[{}, {tp}]"}, // both uneven
      {"#weft.mesh<tp = 4>", "5x6x8", "[{}, {tp}, {}]", "[{tp}, {}, {}]", "5x8", "[{tp}, {}]"}, // to a leading dim
      {"#weft.mesh<dp = 2, tp = 2>", "2x8x4", "[{}, {dp, tp}, {}]", "[{}, {}, {dp, tp}]", "2x4",
       "[{}, {dp, tp}]"},
  };
  for (const Case &c : cases) {
    std::string where = std::string(c.mesh) + " " + c.shape + " " + c.from + " -> " + c.to;
    std::string src = std::string("module attributes {weft.mesh = ") + c.mesh + "} {\n"
        "  func.func @main(%x: tensor<" + c.shape + "xf32> {weft.input = \"x\", weft.sharding = #weft.sharding<" +
        c.from + ">}) -> (tensor<" + c.reduced + "xf32> {weft.output = \"y\", weft.sharding = #weft.sharding<" +
        c.reducedSharding + ">}) {\n"
        "    %e = weft.exp %x : tensor<" + c.shape + "xf32>\n"
        "    %c = weft.sharding_constraint %e {sharding = #weft.sharding<" + c.to + ">} : tensor<" + c.shape + "xf32>\n"
        "    %r = weft.reduce sum %c dims = [1] : tensor<" + c.shape + "xf32>\n"
        "    return %r : tensor<" + c.reduced + "xf32>\n"
        "  }\n"
        "}\n";
    MLIRContext ctx;
    DialectRegistry registry;
    registry.insert<WeftDialect, func::FuncDialect>();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &ctx);
    ASSERT_TRUE(module) << src;
    func::FuncOp main = module->lookupSymbol<func::FuncOp>("main");
    RefTensor x = randomTensor(cast<RankedTensorType>(main.getArgument(0).getType()), 7, -1.0, 1.0);
    RefTensor want = evaluate(main, {x})[0];

    PassManager pm(&ctx);
    pm.addPass(createPropagateShardingPass());
    pm.addPass(createSpmdPartitionPass());
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
    ASSERT_TRUE(succeeded(pm.run(*module))) << where;
    int exchanges = 0, gathers = 0;
    module->walk([&](AllToAllOp) { ++exchanges; });
    module->walk([&](AllGatherOp) { ++gathers; });
    EXPECT_EQ(exchanges, 1) << where;
    EXPECT_EQ(gathers, 0) << where;

    auto mesh = (*module)->getAttrOfType<MeshAttr>(kMeshAttr);
    main = module->lookupSymbol<func::FuncOp>("main");
    auto in = main.getArgAttrOfType<ShardingAttr>(0, kShardingAttr);
    auto out = main.getResultAttrOfType<ShardingAttr>(0, kShardingAttr);
    std::vector<std::vector<RefTensor>> perRank;
    for (int64_t r = 0; r < mesh.numDevices(); ++r)
      perRank.push_back({pieceOf(x, in, mesh, r)});
    std::vector<std::vector<RefTensor>> got = evaluateSpmd(main, mesh, perRank);
    RefTensor ones{want.shape, std::vector<double>(want.data.size(), 1.0)};
    for (int64_t r = 0; r < mesh.numDevices(); ++r) {
      RefTensor piece = pieceOf(want, out, mesh, r), isReal = pieceOf(ones, out, mesh, r);
      ASSERT_EQ(got[r][0].shape, piece.shape) << where << " rank " << r;
      for (size_t k = 0; k < piece.data.size(); ++k)
        if (isReal.data[k] != 0.0)
          ASSERT_NEAR(got[r][0].data[k], piece.data[k], 1e-12 * std::abs(piece.data[k]) + 1e-13)
              << where << " rank " << r << " element " << k;
    }
  }
}

} // namespace
} // namespace weft
