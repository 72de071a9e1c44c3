//===- PlanCommand.cpp - `weft plan` --------------------------------------===//
//
// This file implements `weft plan gpt2 --config C.json --devices N
// [--device-kind KIND|FILE] [--batch B --seq T --precision P] [--memory GiB]
// [--explain] [-o plan.json]`: builds the model's training step, runs the
// strategy search (search::searchShardings: the mesh of N devices and every
// op's sharding), evaluates the Megatron-style grid (each dp x tp with the
// named strategies, ZeRO 0 and 3) under the same costs, and prints the
// report (PlanReport.h). Nothing is compiled to code and nothing runs: the
// plan of a 175B model on 1024 GPUs is made on this machine in seconds.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Flags.h"
#include "tools/weft/ModelFlags.h"
#include "tools/weft/PlanReport.h"

#include "compiler/Pipelines.h"
#include "compiler/TrainOptions.h"
#include "frontend/DslError.h"
#include "ir/AttrNames.h"
#include "models/Gpt2.h"
#include "models/catalog/ModelCatalog.h"
#include "models/catalog/Strategies.h"
#include "passes/parallel/ZeroSharding.h"
#include "runtime/FileUtil.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace weft::cli {
namespace {

struct PlanFlags {
  ModelFlags model = ModelFlags::forTrain();
  std::string precision = "f32", deviceKind = "h100", outputPath;
  int64_t devices = 0, microBatches = 1;
  double memoryGiB = 0;
  bool explain = false, noGrid = false;
  FlagSet flags{"plan", kPlanUsage,
                "Chooses how a model's training step splits over N devices (mesh, every op's sharding, "
                "optimizer parallelism) and prints the plan with its predicted step time; compiles no "
                "code and runs nothing."};

  PlanFlags() {
    model.declare(flags);
    flags.section("Plan");
    flags.addInteger("devices", "N", "the number of devices (required)", &devices, 1, 1 << 24);
    flags.addString("device-kind", "KIND",
                    "h100 (default), h200, a100, cpu, or a JSON description (cost/devices/*.json)", &deviceKind);
    flags.addString("precision", "P", "the training step's compute precision: f32 (default), bf16 or f16",
                    &precision);
    flags.addNumber("memory", "GiB", "per-device budget for parameters, gradients and optimizer state "
                                     "(default: the device's memory)",
                    &memoryGiB);
    flags.addInteger("micro-batches", "K",
                     "gradient accumulation: the step runs --batch as K micro-batches of batch / K (activations "
                     "for one micro-batch; the gradients synchronized once per step)",
                     &microBatches, 1, 1 << 20);
    flags.addSwitch("explain", "list every resharding with the op and source line that causes it", &explain);
    flags.addSwitch("no-grid", "skip the Megatron-style grid", &noGrid);
    flags.section("Output");
    flags.addString("o", "FILE", "also write the plan as JSON", &outputPath);
  }
};

/// A step of K micro-batches from the search's report of one: every op and
/// every resharding runs K times, except the gradients' reductions (the
/// backward resharding of a parameter's uses) and the optimizer update, once
/// per step. The lower bound scales alike (a bound on each part).
void accumulateMicroBatches(search::SearchReport &r, int64_t k) {
  if (k == 1)
    return;
  double gradients = 0;
  for (const search::UseReport &u : r.uses)
    if (auto arg = mlir::dyn_cast_or_null<mlir::BlockArgument>(u.value))
      if (auto f = mlir::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
          f && f.getArgAttr(arg.getArgNumber(), kParamAttr))
        gradients += u.backward.seconds;
  auto scale = [&](double whole) { return double(k) * (whole - gradients - r.updateSeconds) + gradients + r.updateSeconds; };
  r.solution.seconds = scale(r.solution.seconds);
  r.solution.lowerBound = std::min(r.solution.seconds, scale(r.solution.lowerBound));
  r.computeSeconds *= double(k);
  r.communicationSeconds = double(k) * (r.communicationSeconds - gradients) + gradients;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// The training step of `loss` (autodiff, AdamW) after canonicalize and CSE.
mlir::OwningOpRef<mlir::ModuleOp> trainingStep(Program &loss, const TrainOptions &train) {
  mlir::OwningOpRef<mlir::ModuleOp> step = loss.module().clone();
  mlir::PassManager pm(step->getContext());
  buildTrainingPipeline(pm, train);
  pm.addNestedPass<mlir::func::FuncOp>(mlir::createCanonicalizerPass());
  pm.addNestedPass<mlir::func::FuncOp>(mlir::createCSEPass());
  if (mlir::failed(pm.run(*step)))
    throw std::runtime_error("building the training step failed (see above)");
  return step;
}

/// The model FLOPs of one training step (bench/cuda/train_step_torch.py's
/// definition): 6 N tokens + 12 n_layer n_embd T tokens, N = the matmul
/// parameters (blocks, final LayerNorm, the LM head).
double flopsPerStep(const models::Gpt2Config &c, int64_t batch, int64_t seq) {
  double C = c.n_embd, L = c.n_layer, V = c.vocab_size, inner = c.n_inner ? c.n_inner : 4 * C;
  double perLayer = 4 * C * C + 4 * C + 2 * C * inner + inner + C + 4 * C; // attention, MLP, two LayerNorms
  double n = L * perLayer + 2 * C + V * C;
  double tokens = double(batch) * double(seq);
  return 6 * n * tokens + 12 * L * C * double(seq) * tokens;
}

/// The Megatron-style grid: every candidate mesh with its named strategy
/// (dp, tp or dp,tp), ZeRO 0 and (with dp) 3, the parameters placed by the
/// strategy and the rest searched.
std::vector<GridPoint> grid(const models::Gpt2Config &config, const PlanFlags &f, const cost::ClusterSpec &cluster,
                            const TrainOptions &train, mlir::MLIRContext &ctx) {
  std::vector<GridPoint> points;
  for (MeshAttr meshAttr : search::candidateMeshes(&ctx, f.devices, cluster)) {
    MeshSpec mesh;
    for (auto [name, size] : llvm::zip(meshAttr.getAxisNames(), meshAttr.getAxisSizes()))
      mesh.axes.emplace_back(name.getValue().str(), size);
    std::string strategy = defaultStrategy(mesh);
    for (int zero : {0, 3}) {
      if (zero == 3 && !mesh.has("dp"))
        continue;
      GridPoint p{mesh.str(), strategy + (zero ? " + zero 3" : ""), -1, ""};
      try {
        nn::ParallelPlan plan = strategyPlan(strategy, mesh);
        Program loss =
            models::buildGpt2TrainLoss(config, int(f.model.batch / f.microBatches), int(f.model.seq), plan, mesh);
        mlir::OwningOpRef<mlir::ModuleOp> step = trainingStep(loss, train);
        auto main = step->lookupSymbol<mlir::func::FuncOp>("main");
        if (zero == 3) // the parameters (and with them gradients and state) split over dp too
          for (unsigned i = 0; i < main.getNumArguments(); ++i)
            if (auto s = main.getArgAttrOfType<ShardingAttr>(i, kShardingAttr); s && main.getArgAttr(i, kParamAttr))
              main.setArgAttr(i, kShardingAttr,
                              sharding::zeroSharding(s, mlir::cast<mlir::RankedTensorType>(main.getArgument(i).getType()),
                                                     meshAttr, mlir::StringAttr::get(&ctx, "dp")));
        search::SearchOptions options;
        options.memoryGib = f.memoryGiB;
        options.backward = false; // the plan compares forward-pass predictions (the compile lays out the rest)
        options.planMemory = false;
        mlir::ScopedDiagnosticHandler quiet(step->getContext(), [&](mlir::Diagnostic &d) {
          p.why = d.str();
          return mlir::success();
        });
        mlir::FailureOr<search::SearchReport> r = search::searchShardings(*step, main, cluster, options);
        if (succeeded(r)) {
          accumulateMicroBatches(*r, f.microBatches);
          p.seconds = r->solution.seconds;
        }
        else if (p.why.find("memory budget") != std::string::npos)
          p.why = "does not fit the memory budget";
      } catch (const DslError &e) {
        std::string m = e.what();
        size_t at = m.find("error: ");
        p.why = "does not apply: " + (at == std::string::npos ? m : m.substr(at + 7));
      }
      points.push_back(p);
    }
  }
  return points;
}

} // namespace

int runPlan(int argc, char **argv) {
  PlanFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  if (f.model.model != "gpt2")
    throw FlagError("unknown model '" + f.model.model + "'; `weft plan` plans gpt2 (a --config gives any size)");
  if (!f.flags.given("devices"))
    throw FlagError("--devices N is required: the number of devices to plan for");
  if (f.precision != "f32" && f.precision != "bf16" && f.precision != "f16")
    throw FlagError("--precision must be f32, bf16 or f16, got '" + f.precision + "'");
  if (!(f.memoryGiB >= 0))
    throw FlagError("--memory must be >= 0 GiB");
  rt::StatusOr<cost::ClusterSpec> cluster = cost::loadClusterSpec(f.deviceKind);
  if (!cluster.isOk())
    throw FlagError("--device-kind: " + cluster.status().message());
  ModelRequest request = f.model.request();
  models::Gpt2Config config = gpt2ConfigFor(request);
  if (f.model.seq == 0)
    f.model.seq = std::min<int64_t>(config.n_positions, 1024);

  TrainOptions train;
  train.precision = f.precision;
  auto start = std::chrono::steady_clock::now();
  if (f.model.batch % f.microBatches != 0)
    throw FlagError("--micro-batches " + std::to_string(f.microBatches) + " does not divide --batch " +
                    std::to_string(f.model.batch));
  Program loss = models::buildGpt2TrainLoss(config, int(f.model.batch / f.microBatches), int(f.model.seq));
  mlir::OwningOpRef<mlir::ModuleOp> step = trainingStep(loss, train);
  step->getContext()->disableMultithreading(); // one core, as the plan's figure is quoted
  double buildSeconds = seconds(start);
  search::SearchOptions options;
  options.memoryGib = f.memoryGiB;
  options.devices = f.devices;
  // The prediction is the forward-pass search's; laying out the backward pass
  // too (as --mesh auto's compile does) would triple the time on a 175B step.
  options.backward = false;
  // Partitioning a 175B step to plan its memory takes minutes: the budget
  // holds parameters, gradients and state, and the activations are the
  // search's estimate (the compile of --mesh auto checks the planned peak).
  options.planMemory = false;
  start = std::chrono::steady_clock::now();
  mlir::FailureOr<search::SearchReport> report =
      search::searchShardings(*step, step->lookupSymbol<mlir::func::FuncOp>("main"), *cluster, options);
  if (mlir::failed(report))
    throw std::runtime_error("no plan (see above)");
  accumulateMicroBatches(*report, f.microBatches);

  PlanFacts facts;
  facts.model = "gpt2" + (f.model.configPath.empty() ? "" : " (" + f.model.configPath + ")");
  facts.devices = f.devices;
  facts.deviceKind = cluster->name;
  facts.batch = f.model.batch;
  facts.microBatches = f.microBatches;
  facts.seq = f.model.seq;
  facts.precision = f.precision;
  facts.flopsPerStep = flopsPerStep(config, f.model.batch, f.model.seq);
  facts.peakFlops = cluster->device.peakFlops(f.precision == "bf16"  ? cost::MathType::BF16
                                              : f.precision == "f16" ? cost::MathType::F16
                                                                     : cost::MathType::F32);
  facts.memoryBudget = f.memoryGiB > 0 ? f.memoryGiB * double(1ull << 30) : double(cluster->device.memoryBytes);
  facts.searchSeconds = seconds(start);
  std::vector<GridPoint> points;
  if (!f.noGrid)
    points = grid(config, f, *cluster, train, *step->getContext());
  printPlan(facts, *report, points, f.explain);
  std::printf("\nbuilding the training step took %.2f s; the search %.2f s; the whole plan %.2f s\n", buildSeconds,
              facts.searchSeconds, buildSeconds + seconds(start));
  if (!f.outputPath.empty()) {
    std::string json = planJson(facts, *report, points);
    rt::Status s = rt::writeFileAtomically(f.outputPath, {json});
    if (!s.isOk())
      throw std::runtime_error("cannot write -o '" + f.outputPath + "': " + s.message());
    std::printf("wrote %s\n", f.outputPath.c_str());
  }
  return 0;
}

} // namespace weft::cli
