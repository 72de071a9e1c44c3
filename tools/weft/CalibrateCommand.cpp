//===- CalibrateCommand.cpp - `weft calibrate` ----------------------------===//
//
// This file implements `weft calibrate [-o FILE.json] [--quick] [--check
// MODEL] [--with FILE] [--target cpu|cuda] [--export DIR]`: it measures this
// machine and writes a cluster description (cost/ClusterSpec.h's format) for
// `--mesh auto --device-kind FILE`. With --target cuda it measures GPU 0
// with the device suite (calibrate/DeviceSuite.h: the programs below at a
// GPU's sizes, f32 and bf16 grids) compiled for cuda, and keeps the shipped
// description's links; with --export DIR it compiles the suite for the
// target and writes it for weft-calibrate-bundle, which measures it on a
// machine without the compiler. On the CPU (the default):
//   1. the f32 rate: a large f32 matmul compiled by weft (a BLAS Gemm step),
//      median Executor::run time -> achieved FLOP/s; bf16 and f16 likewise;
//      and the f32 rate grid (gemm_rates.f32): matmuls of m in {1, 16, 128,
//      512, 2048} by n, k in {64, 192, 768, 3072}, each its step's median,
//      on cold operands (a program of up to 64 such matmuls on operands of
//      their own, ~256 MiB in all: on operands a run left in the caches the
//      grid read 10-20% faster than a training step's GEMMs ran);
//   2. memory bandwidth: y = -x over a buffer far larger than the caches,
//      bytes read + written per second; and the bandwidth curve
//      (bandwidth_by_bytes): y = -x moving 64 KiB to 64 MiB, and that pass;
//   3. launch overhead: the median run of a one-op program on 16 floats;
//   4. memory: MemTotal of /proc/meminfo, divided by the ranks sharing it;
//   5. links, under mpirun with >= 2 ranks (`weft launch -n 2 -- weft
//      calibrate`): f32 all-reduces, all-gathers, reduce-scatters and
//      all-to-alls of 256 B to 512 MiB through the runtime's MPI
//      communicator: their times per ring step by chunk (step_us, what the
//      cost model reads), and the one-line ring model fitted to the
//      all-reduces by least squares (cost/Calibration.h; the link's latency
//      and bandwidth, for collectives without a curve); the same figures
//      inside and between nodes (one machine). With one rank the links of
//      the shipped cpu description stay.
// The links are measured first, before the device's large buffers.
// Peaks are achieved rates; the GEMM efficiency is the share of the f32 peak
// a transformer-sized matmul (512 x 768 by 768 x 3072) reaches, the memory
// efficiency 1. A device is one rank:
// under `weft launch -n N` each rank has cores / N threads and all ranks
// measure at once (barriers), the figures averaged over the ranks; with
// more ranks than cores each sample is a 20 ms stretch of back-to-back runs,
// so the figures are those of ranks sharing the cores as a step's do, not of
// short runs that the scheduler lets take turns. Rank 0 prints the table and
// writes the file (temporary file + rename).
// --check then reports the cost model's error with the figures just measured
// (or, with --with, those of a given description, measuring nothing else):
// on one rank per step of a GPT-2 forward (CostModelCheck.h), under weft
// launch per collective at sizes between the calibration's
// (CollectiveCheck.h).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/CollectiveCheck.h"
#include "tools/weft/CollectiveTimer.h"
#include "tools/weft/Check.h"
#include "tools/weft/CostModelCheck.h"
#include "tools/weft/Flags.h"
#include "tools/weft/KernelTimer.h"
#include "tools/weft/Ranks.h"

#include "calibrate/DeviceSuite.h"
#include "calibrate/MeasureDevice.h"
#include "calibrate/SuiteBundle.h"
#include "cost/Calibration.h"
#include "cost/ClusterSpec.h"
#include "cost/CollectiveCost.h"
#include "models/catalog/ModelCatalog.h"
#include "frontend/Program.h"
#include "runtime/Device.h"
#include "runtime/comm/MpiEnvironment.h"
#include "runtime/cuda/CudaProgram.h"

#include <algorithm>
#include <cmath>
#include <array>
#include <iterator>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace weft::cli {
namespace {

struct CalibrateFlags {
  std::string out = "cluster.json", name = "cpu", checkModel, with, checkMesh, target = "cpu", exportDir;
  int64_t checkBatch = 1, checkSeq = 128;
  bool quick = false, checkSteps = false, checkTrain = false;
  FlagSet flags{"calibrate", kCalibrateUsage,
                "Measures this machine (matmul FLOP/s, memory bandwidth, launch overhead, memory, and "
                "under `weft launch -n N` the all-reduce latency and bandwidth between ranks) and "
                "writes a cluster description for --mesh auto --device-kind FILE."};

  CalibrateFlags() {
    flags.section("Calibrate");
    flags.addString("o", "FILE.json", "where the description goes", &out);
    flags.addString("name", "NAME", "the description's name", &name);
    flags.addSwitch("quick", "small sizes and few runs: a few seconds, figures less exact", &quick);
    flags.addString("target", "cpu|cuda",
                    "the device to measure: cpu (this machine's cores; under weft launch also the links) or cuda "
                    "(GPU 0: f32, bf16 and f16 peaks, f32 and bf16 GEMM rate grids, memory bandwidth, launch cost "
                    "and element functions, with the links of the shipped description of that GPU)",
                    &target);
    flags.addString("export", "DIR",
                    "compile the device suite for --target and write it to DIR instead of measuring; "
                    "`weft-calibrate-bundle DIR` measures it on a machine with the runtime only (e.g. a GPU "
                    "machine without MLIR)",
                    &exportDir);
    flags.section("Check the cost model (one rank: a model's steps; under weft launch -n N: collectives)");
    flags.addString("check", "small|tiny|CONFIG.json",
                    "then time every step of this GPT-2's forward and report the cost model's error per op and "
                    "for the whole run, with the figures just measured",
                    &checkModel);
    flags.addInteger("check-batch", "B", "the checked forward's batch", &checkBatch, 1, 4096);
    flags.addInteger("check-seq", "T", "the checked forward's sequence length", &checkSeq, 1, 1 << 20);
    flags.addSwitch("check-steps", "with --check on one rank: also list every step", &checkSteps);
    flags.addSwitch("check-train", "with --check: the training step (forward, backward, AdamW) instead of the "
                    "forward", &checkTrain);
    flags.addString("check-mesh", "AXES",
                    "with --check under weft launch: the model split over this mesh (e.g. tp=2; its default "
                    "strategy) and each rank's partitioned program checked step by step (collectives included) "
                    "instead of the collectives alone; rank 0 prints its own",
                    &checkMesh);
    flags.addString("with", "FILE.json|NAME",
                    "check this description instead of measuring one (nothing is written); under weft launch "
                    "-n N, --check compares its collectives with measured ones",
                    &with);
  }
};

/// The sizes of one calibration: the CPU's device sizes (shared with the
/// device suite, calibrate/DeviceSuite.h), the collectives', the plans.
struct Sizes : calibrate::SuiteSizes {
  int64_t collectiveMinBytes = 256, collectiveMaxBytes;
  TimingPlan gemm, stream, tiny;
  bool quick;
  double sustain; // TimingPlan::sustainSeconds of every plan: > 0 when the ranks outnumber the cores

  Sizes(bool quick, bool oversubscribed)
      : calibrate::SuiteSizes(check(calibrate::suiteSizes("cpu", quick))), quick(quick),
        sustain(oversubscribed ? 0.02 : 0) {
    collectiveMaxBytes = quick ? (1 << 20) : (512 << 20);
    gemm = quick ? TimingPlan{1, 3} : TimingPlan{2, 7};
    stream = quick ? TimingPlan{1, 3} : TimingPlan{2, 9};
    tiny = quick ? TimingPlan{5, 50} : TimingPlan{50, 500};
    stream.stepsOnly = true;
    if (oversubscribed) { // sustained samples of 20 ms (several time slices): fewer of them
      for (TimingPlan *p : {&gemm, &stream, &tiny})
        p->sustainSeconds = sustain;
      tiny.warmup = 2, tiny.runs = quick ? 3 : 15;
    }
  }
};

/// A timing plan for one of `rounds` passes whose runs take about `budget`
/// seconds in all passes together when one takes `estimate` (between `least`
/// and `most` runs in all; one warm-up per pass; steps timed). With
/// `sustain` > 0 a sample is a stretch of runs that long: the budget then
/// buys fewer samples (at least 2 per pass).
TimingPlan budgeted(double estimate, double budget, int least, int most, int rounds, double sustain) {
  int runs = estimate > 0 ? int(std::min<double>(most, budget / estimate)) : most;
  TimingPlan plan{1, std::max(1, std::max(least, runs) / rounds)};
  plan.stepsOnly = true;
  if (sustain > 0) {
    plan.sustainSeconds = sustain;
    plan.runs = std::max(2, std::min(plan.runs, int(budget / rounds / std::max(sustain, estimate))));
  }
  return plan;
}

/// The mean over the ranks of `values` (one per rank, each the same length).
std::vector<double> meanOverRanks(rt::Communicator *group, const std::vector<double> &values) {
  if (!group)
    return values;
  std::vector<float> mine(values.begin(), values.end()), sum(values.size());
  check(group->allReduce(mine.data(), sum.data(), mine.size(), proto::F32, rt::ReduceOp::kSum,
                         "calibration figures"));
  std::vector<double> mean;
  for (float s : sum)
    mean.push_back(double(s) / group->size());
  return mean;
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void row(const std::string &figure, const std::string &how, const std::string &result) {
  std::printf("  %-18s %-50s %s\n", figure.c_str(), how.c_str(), result.c_str());
}

/// What the links' measurement found: the one-line ring fit (the link's
/// latency and bandwidth) and the per-collective step curves.
struct Links {
  cost::Link link;
  std::optional<cost::LinkFit> fit;
  std::vector<std::pair<cost::CollectiveKind, std::vector<cost::CollectiveSample>>> samples;
};

const cost::CollectiveKind kTimedCollectives[] = {cost::CollectiveKind::AllReduce, cost::CollectiveKind::AllGather,
                                                  cost::CollectiveKind::ReduceScatter,
                                                  cost::CollectiveKind::AllToAll};

Links measureLinks(rt::Communicator &group, const Sizes &sz, bool quick) {
  Links links;
  std::vector<int64_t> sizes = collectiveSizes(sz.collectiveMinBytes, sz.collectiveMaxBytes, 4);
  for (cost::CollectiveKind kind : kTimedCollectives) {
    links.samples.push_back({kind, timeCollective(group, kind, sizes, quick)});
    links.link.stepSeconds[kind] = check(cost::collectiveStepCurve(kind, group.size(), links.samples.back().second));
  }
  links.fit = check(cost::fitRingAllReduce(group.size(), links.samples.front().second));
  links.link.bandwidth = links.fit->link.bandwidth;
  links.link.latencySeconds = links.fit->link.latencySeconds;
  return links;
}

void printLinks(const Links &links, int ranks) {
  cost::Link line{links.link.bandwidth, links.link.latencySeconds, {}}; // the one-line fit alone
  for (const auto &[kind, samples] : links.samples)
    for (const cost::CollectiveSample &s : samples)
      row(cost::collectiveName(kind), sizeText(s.bytes) + ", slowest rank's median",
          fmt("%.2f us", s.seconds * 1e6) +
              fmt(" (ring fit %.2f us)", 1e6 * cost::linkSeconds(kind, s.bytes, ranks, line)));
  row("link latency", "ring fit alpha", fmt("%.2f us", links.fit->link.latencySeconds * 1e6));
  row("link bandwidth", "ring fit beta", fmt("%.2f GB/s", links.fit->link.bandwidth / 1e9));
  row("fit error", "max |ring fit - measured| / measured", fmt("%.0f%%", 100 * links.fit->maxRelativeError));
  std::printf("  the cost model uses the measured step times above (step_us), read between the sizes\n");
}

/// The measured tables of the device.
struct Tables {
  cost::GemmRateGrid grid;
  cost::SizeCurve bandwidth;
  std::array<double, cost::kElementFunctions> functionSeconds{}; // per element
};

/// The element functions calibrate times, each where the compiler puts it
/// (calibrate::timedFunctions): the GELUs as a GEMM's epilogue (a GPT-2
/// MLP's rows x 768 by 768 x 3072 linear with the function, less the same
/// linear without it), exp as a softmax (the fused kernel, over an
/// attention's 12 x 128 rows of 128), tanh and sigmoid in an elementwise
/// fusion over the epilogue's elements (y = x * f(x), less y = x * x). A
/// function's cost differs by context (standalone exp took 8 ns per element
/// here, inside a softmax 1; a GELU epilogue 5x a standalone GELU; a lone
/// tanh kernel 1.4-3.6 ns, tanh in a fusion ~0.1 beyond its memory pass), so
/// the contexts are the ones a transformer compiles to.
using calibrate::ProbeProgram;

Tables measureTables(const Sizes &sz, const cost::DeviceKind &d, rt::Communicator *group) {
  // Each GEMM runs for about 0.25 s at the peak (3 to 30 runs); each
  // streaming kernel about 0.1 s at the DRAM bandwidth (6 to 201 runs). The
  // runs are spread over `rounds` passes over all the shapes, and a shape's
  // time is the median of all its runs: a burst of load from other
  // processes then spoils a few runs of many shapes, not all runs of one.
  const int rounds = sz.quick ? 1 : 3;
  const size_t gemms = sz.gridM.size() * sz.gridNK.size() * sz.gridNK.size();
  std::vector<std::vector<double>> gemmRuns(gemms), streamRuns(sz.streamBytes.size()),
      functionRuns(calibrate::timedFunctions().size() + 2);
  const std::vector<calibrate::TimedFunction> &timed = calibrate::timedFunctions();
  auto keep = [](std::vector<double> &all, const KernelTiming &t) {
    all.insert(all.end(), t.samples.begin(), t.samples.end());
  };
  for (int r = 0; r < rounds; ++r) {
    size_t at = 0;
    for (double m : sz.gridM)
      for (double n : sz.gridNK)
        for (double k : sz.gridNK) {
          // Cold operands: enough copies to move ~256 MiB (at most 64).
          int copies = calibrate::gridCopies(sz, sz.quick, m, n, k, proto::F32);
          TimingPlan plan = budgeted(copies * 2 * m * n * k / d.peakFlopsF32, 0.25, 3, 30, rounds, sz.sustain);
          keep(gemmRuns[at++], timeMatmul(int64_t(m), int64_t(n), int64_t(k), DType::F32, plan, group, copies));
        }
    for (size_t i = 0; i < sz.streamBytes.size(); ++i)
      keep(streamRuns[i], timeStreaming(sz.streamBytes[i] / 8,
                                        budgeted(double(sz.streamBytes[i]) / d.memoryBandwidth, 0.1, 6, 201, rounds, sz.sustain),
                                        group));
    // The element functions (see calibrate::timedFunctions); then the
    // baselines: the linear without an activation (the epilogues') and
    // y = x * x (the fused functions').
    const int64_t rows = sz.functionRows, width = sz.functionWidth, wide = sz.functionWide;
    TimingPlan linearPlan = budgeted(2.0 * double(rows * width * wide) / d.peakFlopsF32, 0.25, 3, 30, rounds, sz.sustain);
    TimingPlan passPlan = budgeted(double(rows * wide) * 2e-9, 0.1, 6, 60, rounds, sz.sustain);
    for (size_t i = 0; i < timed.size(); ++i) {
      const calibrate::TimedFunction &fp = timed[i];
      keep(functionRuns[i], fp.context == ProbeProgram::Linear
                                ? timeLinear(rows, width, wide, fp.f, linearPlan, group)
                            : fp.context == ProbeProgram::Softmax
                                ? timeSoftmax(sz.softmaxRows, sz.softmaxCols, passPlan, group)
                                : timeElementFunction(fp.f, rows * wide, passPlan, group));
    }
    keep(functionRuns[timed.size()], timeLinear(rows, width, wide, std::nullopt, linearPlan, group));
    keep(functionRuns[timed.size() + 1], timeElementFunction(std::nullopt, rows * wide, passPlan, group));
  }
  std::vector<double> seconds, streamed;
  for (const std::vector<double> &runs : gemmRuns)
    seconds.push_back(cost::median(runs));
  for (const std::vector<double> &runs : streamRuns)
    streamed.push_back(cost::median(runs));
  std::vector<double> functions;
  for (const std::vector<double> &runs : functionRuns)
    functions.push_back(cost::median(runs));
  seconds = meanOverRanks(group, seconds);
  streamed = meanOverRanks(group, streamed);
  functions = meanOverRanks(group, functions);
  Tables t;
  for (size_t i = 0; i < timed.size(); ++i) {
    const calibrate::TimedFunction &fp = timed[i];
    double base = fp.context == ProbeProgram::Linear    ? functions[timed.size()]
                  : fp.context == ProbeProgram::Softmax ? d.launchSeconds
                                                        : functions[timed.size() + 1];
    int64_t elements = fp.context == ProbeProgram::Softmax ? sz.softmaxRows * sz.softmaxCols : sz.functionRows * sz.functionWide;
    t.functionSeconds[size_t(fp.f)] = calibrate::functionSecondsPerElement(functions[i], base, elements);
  }
  t.grid = check(cost::gemmRateGrid(sz.gridM, sz.gridNK, sz.gridNK, seconds, d.launchSeconds));
  std::vector<cost::CollectiveSample> samples;
  for (size_t i = 0; i < sz.streamBytes.size(); ++i)
    samples.push_back({double(sz.streamBytes[i] / 8 * 8), streamed[i]});
  double big = 8.0 * double(sz.streamElements); // the DRAM pass: memory_gbps
  samples.push_back({big, big / d.memoryBandwidth});
  t.bandwidth = check(cost::bandwidthCurve(samples, d.launchSeconds));
  return t;
}

void printTables(const Tables &t) {
  std::printf("\n  f32 GEMM rates (GFLOP/s), m x k by k x n; rows m, columns (n, k):\n  %6s", "m");
  for (double n : t.grid.n)
    for (double k : t.grid.k)
      std::printf(" %9s", (fmt("%.0f", n) + "," + fmt("%.0f", k)).c_str());
  std::printf("\n");
  for (size_t i = 0; i < t.grid.m.size(); ++i) {
    std::printf("  %6.0f", t.grid.m[i]);
    for (size_t j = 0; j < t.grid.n.size(); ++j)
      for (size_t l = 0; l < t.grid.k.size(); ++l)
        std::printf(" %9.2f", t.grid.at(i, j, l) / 1e9);
    std::printf("\n");
  }
  for (const calibrate::TimedFunction &fp : calibrate::timedFunctions())
    row(cost::elementFunctionName(fp.f),
        fp.context == ProbeProgram::Linear    ? "a GEMM's epilogue, per element"
        : fp.context == ProbeProgram::Softmax ? "softmax, per element"
                                              : "y = x * f(x) - x * x, per element",
        fmt("%.2f ns", 1e9 * t.functionSeconds[size_t(fp.f)]));
  for (size_t i = 0; i < t.bandwidth.sizes.size(); ++i)
    row("bandwidth", "y = -x moving " + sizeText(t.bandwidth.sizes[i]) + ", step's median",
        fmt("%.2f GB/s", t.bandwidth.values[i] / 1e9));
}

/// --check: the model's steps on one rank (checkCostModel), or the
/// collectives under weft launch (checkCollectives), with `spec`.
int checkOnly(const CalibrateFlags &f, const cost::ClusterSpec &spec,
              const std::optional<models::Gpt2Config> &config, const Ranks &ranks) {
  const std::string what = "GPT-2 " + f.checkModel + (f.checkTrain ? " training step" : " forward") + ", batch " +
                           std::to_string(f.checkBatch) + " x " + std::to_string(f.checkSeq);
  if (!f.checkMesh.empty()) {
    MeshSpec mesh;
    try {
      mesh = MeshSpec::parse(f.checkMesh);
    } catch (const std::exception &e) {
      throw FlagError(std::string("--check-mesh: ") + e.what());
    }
    if (mesh.size() != ranks.size)
      throw FlagError("--check-mesh " + f.checkMesh + " has " + std::to_string(mesh.size()) +
                      " devices; run it under weft launch -n " + std::to_string(mesh.size()) + " (this job has " +
                      std::to_string(ranks.size) + " rank" + (ranks.size == 1 ? "" : "s") + ")");
    CostModelCheck c = checkCostModelOnMesh(*config, int(f.checkBatch), int(f.checkSeq), spec, f.quick ? 3 : 7,
                                            f.checkTrain, mesh, ranks.world);
    if (ranks.writes())
      printCostModelCheck(c, what + ", mesh " + f.checkMesh + ", rank 0's program", f.checkSteps);
    return 0;
  }
  if (ranks.size == 1) {
    CostModelCheck c =
        checkCostModel(*config, int(f.checkBatch), int(f.checkSeq), spec, f.quick ? 3 : 7, f.checkTrain);
    printCostModelCheck(c, what, f.checkSteps);
    return 0;
  }
  rt::Communicator &group = *ranks.world;
  int64_t largest = f.quick ? (1 << 20) : (384 << 20);
  // Between the calibration's sizes (256 B x 4^i): 512 B x 4^i, and 384 MiB.
  std::vector<int64_t> sizes = collectiveSizes(512, largest, 4);
  std::vector<CollectiveCheck> checks;
  for (cost::CollectiveKind kind : kTimedCollectives)
    checks.push_back(checkCollective(group, kind, sizes, spec.topology.intraNode, f.quick));
  if (ranks.writes())
    printCollectiveChecks(checks, group.size(), f.with.empty() ? "the figures just measured" : f.with);
  check(group.barrier("calibration end"));
  return 0;
}

/// --target cuda, or --export: the device suite (calibrate/DeviceSuite.h),
/// compiled here, then measured here (measureDevice) or written as a bundle
/// for weft-calibrate-bundle.
int runDeviceSuite(const CalibrateFlags &f) {
  if (!f.checkModel.empty() || !f.with.empty())
    throw FlagError("--check and --with check the CPU calibration; leave them out with --target " + f.target +
                    (f.exportDir.empty() ? "" : " --export"));
  if (rt::MpiEnvironment::worldSizeFromEnvironment() > 1)
    throw FlagError("--target " + f.target + (f.exportDir.empty() ? "" : " --export") +
                    " measures one device; run it without weft launch");
  calibrate::DeviceSuite suite = check(calibrate::deviceSuite(f.target, f.quick));
  auto start = std::chrono::steady_clock::now();
  if (f.exportDir.empty()) {
    if (rt::Status st = calibrate::checkDescriptionWritable(f.out); !st.isOk())
      throw std::runtime_error(st.message());
    // Before minutes of compiling: is there a device to measure?
    if (f.target == "cuda") {
      rt::StatusOr<std::unique_ptr<rt::Device>> gpu = rt::openCudaDevice(0);
      if (!gpu.isOk())
        throw std::runtime_error("--target cuda: no GPU to measure: " + gpu.status().message() +
                                 ". To measure a GPU machine without weft's compiler: `weft calibrate --target cuda "
                                 "--export DIR` here, then `weft-calibrate-bundle DIR` there");
    }
  }
  std::printf("weft calibrate: compiling the %s device suite (%zu programs)%s\n", f.target.c_str(),
              suite.probes.size(), f.quick ? ", --quick" : "");
  std::fflush(stdout);
  std::vector<rt::Executable> executables;
  for (const calibrate::Probe &p : suite.probes)
    executables.push_back(
        compileProgram(p.name, [&](Program &program) { buildProbe(program, p); }, f.target));
  double compileSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!f.exportDir.empty()) {
    check(calibrate::writeSuiteBundle(suite, executables, f.exportDir));
    std::printf("wrote %s (%zu programs for %s, compiled in %.1f s); on the machine to measure: "
                "weft-calibrate-bundle %s -o cluster.json\n",
                f.exportDir.c_str(), executables.size(), f.target.c_str(), compileSeconds, f.exportDir.c_str());
    return 0;
  }
  calibrate::DeviceMeasurement m = check(calibrate::measureDevice(suite, std::move(executables), f.name, stdout));
  if (!f.flags.given("name"))
    m.spec.name = m.base + "-measured";
  check(cost::writeClusterSpec(m.spec, f.out));
  std::printf("wrote %s (%.1f s); use it with --mesh auto --device-kind %s\n", f.out.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), f.out.c_str());
  return 0;
}

} // namespace

int runCalibrate(int argc, char **argv) {
  CalibrateFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  if (f.target != "cpu" && f.target != "cuda")
    throw FlagError("--target " + f.target + ": the devices calibrate measures are cpu and cuda");
  if (f.target == "cuda" || !f.exportDir.empty())
    return runDeviceSuite(f);
  // --check's model, refused before anything is measured when it cannot run.
  std::optional<models::Gpt2Config> checkConfig;
  if (!f.checkModel.empty()) {
    ModelRequest request;
    request.name = "gpt2";
    bool file = f.checkModel.size() > 5 && f.checkModel.substr(f.checkModel.size() - 5) == ".json";
    (file ? request.configPath : request.preset) = f.checkModel;
    checkConfig = gpt2ConfigFor(request);
    if (f.checkSeq > checkConfig->n_positions)
      throw FlagError("--check-seq " + std::to_string(f.checkSeq) + " exceeds the model's n_positions " +
                      std::to_string(checkConfig->n_positions));
  }
  if (f.out.empty())
    throw FlagError("-o needs a file name");
  if (f.with.empty()) { // --with writes nothing
    if (rt::Status st = calibrate::checkDescriptionWritable(f.out); !st.isOk())
      throw std::runtime_error(st.message());
  }
  auto start = std::chrono::steady_clock::now();
  Ranks ranks = joinRanks(rt::MpiEnvironment::worldSizeFromEnvironment(), "this mpirun job",
                          "calibrate");
  rt::Communicator *group = ranks.world.get();
  long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  Sizes sz(f.quick, long(ranks.size) > cores);

  // The starting point: the shipped cpu description (its links stay when
  // they are not measured), or --with's description to check as it is.
  cost::ClusterSpec spec = check(cost::loadClusterSpec(f.with.empty() ? std::string("cpu") : f.with));
  if (!f.with.empty()) {
    if (!checkConfig)
      throw FlagError("--with " + f.with + " checks that description: give --check too (small, tiny or "
                      "CONFIG.json; under weft launch -n N the collectives are checked)");
    return checkOnly(f, spec, checkConfig, ranks);
  }
  spec.name = f.name;

  std::printf("weft calibrate: %d rank%s (a device each), %ld cores%s\n", ranks.size,
              ranks.size == 1 ? "" : "s", cores, f.quick ? ", --quick" : "");
  std::fflush(stdout);

  // 5. The links first, while nothing else has run (see the file comment).
  Links links;
  spec.topology.devicesPerNode = int(std::max<long>(ranks.size, cores));
  if (group) {
    links = measureLinks(*group, sz, f.quick);
    spec.topology.intraNode = links.link;
    spec.topology.interNode = links.link;
  }

  // 1-3. The device: each rank measures at once; the mean over the ranks.
  KernelTiming f32 = timeMatmul(sz.gemmF32, sz.gemmF32, sz.gemmF32, DType::F32, sz.gemm, group);
  // A transformer's GEMMs are smaller than the peak's: their share of it is the GEMM efficiency.
  KernelTiming shaped = timeMatmul(sz.shapedM, sz.shapedN, sz.shapedK, DType::F32, sz.gemm, group);
  KernelTiming bf16 = timeMatmul(sz.gemmNarrow, sz.gemmNarrow, sz.gemmNarrow, DType::BF16, sz.gemm, group);
  KernelTiming f16 = timeMatmul(sz.gemmNarrow, sz.gemmNarrow, sz.gemmNarrow, DType::F16, sz.gemm, group);
  KernelTiming stream = timeStreaming(sz.streamElements, sz.stream, group);
  KernelTiming tiny = timeTinyProgram(sz.tinyElements, sz.tiny, group);
  std::vector<double> mean = meanOverRanks(
      group, {f32.seconds, bf16.seconds, f16.seconds, stream.seconds, tiny.seconds, shaped.seconds});
  double n32 = double(sz.gemmF32), nn = double(sz.gemmNarrow);
  double streamBytes = 4.0 * double(sz.streamElements);
  cost::DeviceKind &d = spec.device;
  d.peakFlopsF32 = cost::matmulFlopsPerSecond(n32, n32, n32, mean[0]);
  d.peakFlopsTF32 = 0; // the CPU has no tf32: the f32 rate
  d.peakFlopsBF16 = cost::matmulFlopsPerSecond(nn, nn, nn, mean[1]);
  d.peakFlopsF16 = cost::matmulFlopsPerSecond(nn, nn, nn, mean[2]);
  d.memoryBandwidth = cost::bytesPerSecond(streamBytes, streamBytes, mean[3]);
  d.launchSeconds = mean[4];
  const double shapedRate = cost::matmulFlopsPerSecond(double(sz.shapedM), double(sz.shapedN),
                                                       double(sz.shapedK), mean[5]);
  d.gemmEfficiency = std::min(1.0, shapedRate / d.peakFlopsF32);
  d.memoryEfficiency = 1;
  uint64_t total = calibrate::hostMemoryBytes();
  if (total == 0)
    throw std::runtime_error("cannot read MemTotal from /proc/meminfo: the memory size is unknown");
  d.memoryBytes = total / uint64_t(ranks.size);
  // The measured tables: GEMM rates by shape, bandwidth by working set.
  Tables tables = measureTables(sz, d, group);
  d.gemmRates[cost::MathType::F32] = tables.grid;
  d.bandwidthByBytes = tables.bandwidth;
  d.elementFunctionSeconds = tables.functionSeconds;

  // The description says what was measured and how.
  std::ostringstream desc;
  desc << "measured by `weft calibrate" << (f.quick ? " --quick" : "") << "`"
       << (group ? " under `weft launch -n " + std::to_string(ranks.size) + "`" : "") << " on "
       << calibrate::utcDate() << ", " << cores << " cores; a device is one rank (" << ranks.size
       << (ranks.size == 1 ? " rank, all cores" : " ranks at once, cores / ranks threads each")
       << "). Peaks are achieved rates: f32 " << sz.gemmF32 << "^3 matmul (BLAS; gemm_efficiency: the share of "
       << "it a " << sz.shapedM << "x" << sz.shapedK << " by " << sz.shapedK << "x" << sz.shapedN
       << " matmul reaches, a transformer's size; memory_efficiency 1), "
       << "bf16 and f16 " << sz.gemmNarrow << "^3 matmuls; memory_gbps: y = -x over " << sizeText(streamBytes)
       << " f32, bytes read + written; launch_us: a one-op program's run; memory_gib: MemTotal / "
       << ranks.size << (ranks.size == 1 ? " (one rank)" : " ranks")
       << ". gemm_rates.f32: f32 matmuls on the grid below, their steps' median time; bandwidth_by_bytes: "
          "y = -x moving each of these bytes, its step's median time (smaller working sets stay in the "
          "caches); element_ns: per element, GELUs as the epilogue of a " << sz.functionRows
       << "x768 by 768x3072 linear (less the linear without one), exp as a 1536x128 softmax, tanh and sigmoid "
          "alone; steps' medians. ";
  if (links.fit)
    desc << "Links: ring all-reduce model fitted to MPI all-reduces of " << sizeText(double(sz.collectiveMinBytes))
         << " to " << sizeText(double(sz.collectiveMaxBytes)) << " over " << ranks.size << " ranks (max error "
         << fmt("%.0f", 100 * links.fit->maxRelativeError) << "%); step_us: the measured time per ring step of "
         << "all-reduce, all-gather, reduce-scatter and all-to-all at these sizes, by the chunk a step moves (S / "
         << ranks.size << "), which the cost model reads between; one machine, so inter_node = intra_node.";
  else
    desc << "Links not measured (run under weft launch -n 2): the shipped cpu description's.";
  spec.description = desc.str();

  // 6. The table, and the file.
  if (ranks.writes()) {
    std::printf("\n  %-18s %-50s %s\n", "figure", "measured with", "result");
    row("f32 peak", fmt("%.0f^3 matmul, median of ", n32) + std::to_string(sz.gemm.runs) + fmt(" (%.3f ms)", 1e3 * mean[0]),
        fmt("%.2f GFLOP/s", d.peakFlopsF32 / 1e9));
    row("f32 GEMM efficiency",
        fmt("%.0fx", double(sz.shapedM)) + fmt("%.0f by ", double(sz.shapedK)) + fmt("%.0fx", double(sz.shapedK)) +
            fmt("%.0f matmul", double(sz.shapedN)) + fmt(" (%.3f ms)", 1e3 * mean[5]),
        fmt("%.2f of the peak", d.gemmEfficiency));
    row("bf16 peak", fmt("%.0f^3 matmul, median of ", nn) + std::to_string(sz.gemm.runs) + fmt(" (%.3f ms)", 1e3 * mean[1]),
        fmt("%.2f GFLOP/s", d.peakFlopsBF16 / 1e9));
    row("f16 peak", fmt("%.0f^3 matmul, median of ", nn) + std::to_string(sz.gemm.runs) + fmt(" (%.3f ms)", 1e3 * mean[2]),
        fmt("%.2f GFLOP/s", d.peakFlopsF16 / 1e9));
    row("memory bandwidth", "y = -x over " + sizeText(streamBytes) + fmt(" f32 (%.3f ms)", 1e3 * mean[3]),
        fmt("%.2f GB/s", d.memoryBandwidth / 1e9));
    row("launch overhead", "y = x + x over 16 f32, median of " + std::to_string(sz.tiny.runs),
        fmt("%.2f us", d.launchSeconds * 1e6));
    row("memory", fmt("MemTotal %.2f GiB / ", double(total) / (1ull << 30)) + std::to_string(ranks.size) +
        (ranks.size == 1 ? " rank" : " ranks"), fmt("%.2f GiB", double(d.memoryBytes) / (1ull << 30)));
    printTables(tables);
    if (links.fit)
      printLinks(links, ranks.size);
    else
      std::printf("links not measured (run under weft launch -n 2): kept the shipped cpu figures "
                  "(%.3g GB/s, %.3g us)\n",
                  spec.topology.intraNode.bandwidth / 1e9, spec.topology.intraNode.latencySeconds * 1e6);
    check(cost::writeClusterSpec(spec, f.out));
    std::printf("wrote %s (%.1f s); use it with --mesh auto --device-kind %s\n", f.out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                f.out.c_str());
  }
  if (checkConfig)
    return checkOnly(f, spec, checkConfig, ranks);
  if (group)
    check(group->barrier("calibration end"));
  return 0;
}

} // namespace weft::cli
