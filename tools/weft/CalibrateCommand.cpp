//===- CalibrateCommand.cpp - `weft calibrate` ----------------------------===//
//
// This file implements `weft calibrate [-o FILE.json] [--quick]`: it measures
// this machine and writes a cluster description (cost/ClusterSpec.h's
// format) for `--mesh auto --device-kind FILE`:
//   1. the f32 rate: a large f32 matmul compiled by weft (a BLAS Gemm step),
//      median Executor::run time -> achieved FLOP/s; bf16 and f16 likewise
//      (on the CPU these are weft's generated kernels, not a library);
//   2. memory bandwidth: y = -x over a buffer far larger than the caches,
//      bytes read + written per second;
//   3. launch overhead: the median run of a one-op program on 16 floats;
//   4. memory: MemTotal of /proc/meminfo, divided by the ranks sharing it;
//   5. links, under mpirun with >= 2 ranks (`weft launch -n 2 -- weft
//      calibrate`): f32 all-reduces of 8 B to 64 MiB through the runtime's
//      MPI communicator, the ring model fitted by least squares
//      (cost/Calibration.h); the same figures inside and between nodes (one
//      machine). With one rank the links of the shipped cpu description stay.
// The links are measured first, before the device's large buffers.
// Peaks are achieved rates; the GEMM efficiency is the share of the f32 peak
// a transformer-sized matmul (512 x 768 by 768 x 3072) reaches, the memory
// efficiency 1. A device is one rank:
// under `weft launch -n N` each rank has cores / N threads and all ranks
// measure at once (barriers), the figures averaged over the ranks; rank 0
// prints the table and writes the file (temporary file + rename).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/AllReduceTimer.h"
#include "tools/weft/Check.h"
#include "tools/weft/CostModelCheck.h"
#include "tools/weft/Flags.h"
#include "tools/weft/KernelTimer.h"
#include "tools/weft/Ranks.h"

#include "cost/Calibration.h"
#include "cost/ClusterSpec.h"
#include "cost/CollectiveCost.h"
#include "models/catalog/ModelCatalog.h"
#include "runtime/comm/MpiEnvironment.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace weft::cli {
namespace {

struct CalibrateFlags {
  std::string out = "cluster.json", name = "cpu", checkModel;
  int64_t checkBatch = 1, checkSeq = 128;
  bool quick = false;
  FlagSet flags{"calibrate", kCalibrateUsage,
                "Measures this machine (matmul FLOP/s, memory bandwidth, launch overhead, memory, and "
                "under `weft launch -n N` the all-reduce latency and bandwidth between ranks) and "
                "writes a cluster description for --mesh auto --device-kind FILE."};

  CalibrateFlags() {
    flags.section("Calibrate");
    flags.addString("o", "FILE.json", "where the description goes", &out);
    flags.addString("name", "NAME", "the description's name", &name);
    flags.addSwitch("quick", "small sizes and few runs: a few seconds, figures less exact", &quick);
    flags.section("Check the cost model (one rank)");
    flags.addString("check", "small|tiny|CONFIG.json",
                    "then time every step of this GPT-2's forward and report the cost model's error per op and "
                    "for the whole run, with the figures just measured",
                    &checkModel);
    flags.addInteger("check-batch", "B", "the checked forward's batch", &checkBatch, 1, 4096);
    flags.addInteger("check-seq", "T", "the checked forward's sequence length", &checkSeq, 1, 1 << 20);
  }
};

/// The sizes of one calibration.
struct Sizes {
  int64_t gemmF32, gemmNarrow, streamElements, tinyElements = 16, allReduceMaxBytes;
  int64_t shapedM, shapedN, shapedK; // a transformer-sized GEMM: tokens x (4 x width) x width
  TimingPlan gemm, stream, tiny;

  explicit Sizes(bool quick) {
    gemmF32 = quick ? 256 : 2048;
    shapedM = quick ? 64 : 512, shapedN = quick ? 256 : 3072, shapedK = quick ? 64 : 768;
    gemmNarrow = quick ? 64 : 256;
    streamElements = quick ? (4 << 20) : (64 << 20); // 16 MiB or 256 MiB of f32
    allReduceMaxBytes = quick ? (1 << 20) : (64 << 20);
    gemm = quick ? TimingPlan{1, 3} : TimingPlan{2, 7};
    stream = quick ? TimingPlan{1, 3} : TimingPlan{2, 9};
    tiny = quick ? TimingPlan{5, 50} : TimingPlan{50, 500};
  }
};

/// MemTotal of /proc/meminfo in bytes, or 0.
uint64_t memTotalBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  uint64_t kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemTotal:")
      return kib * 1024;
  return 0;
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

/// Throws when `path` cannot be written, before minutes are spent
/// measuring: its folder must exist and be writable, and it must not be a
/// folder itself.
void checkWritable(const std::string &path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec))
    throw std::runtime_error("cannot write the cluster description to '" + path +
                             "': it is a folder; give a file name");
  if (!std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("cannot write the cluster description to '" + path + "': the folder '" +
                             dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw std::runtime_error("cannot write the cluster description to '" + path + "': the folder '" +
                             dir.string() + "' is not writable (" + std::strerror(errno) + ")");
}

std::string today() {
  std::time_t now = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string bytesText(double bytes) {
  if (bytes >= (1 << 20))
    return fmt("%g MiB", bytes / (1 << 20));
  if (bytes >= (1 << 10))
    return fmt("%g KiB", bytes / (1 << 10));
  return fmt("%g B", bytes);
}

void row(const std::string &figure, const std::string &how, const std::string &result) {
  std::printf("  %-18s %-50s %s\n", figure.c_str(), how.c_str(), result.c_str());
}

} // namespace

int runCalibrate(int argc, char **argv) {
  CalibrateFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
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
  checkWritable(f.out);
  auto start = std::chrono::steady_clock::now();
  Ranks ranks = joinRanks(rt::MpiEnvironment::worldSizeFromEnvironment(), "this mpirun job",
                          "calibrate");
  rt::Communicator *group = ranks.world.get();
  long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  Sizes sz(f.quick);

  // The starting point: the shipped cpu description (its links stay when
  // they are not measured).
  cost::ClusterSpec spec = check(cost::loadClusterSpec("cpu"));
  spec.name = f.name;

  std::printf("weft calibrate: %d rank%s (a device each), %ld cores%s\n", ranks.size,
              ranks.size == 1 ? "" : "s", cores, f.quick ? ", --quick" : "");
  std::fflush(stdout);

  // 5. The links first, while nothing else has run (see the file comment).
  std::vector<cost::AllReduceSample> samples;
  std::optional<cost::LinkFit> fit;
  spec.topology.devicesPerNode = int(std::max<long>(ranks.size, cores));
  if (group) {
    samples = timeAllReduces(*group, allReduceSizes(sz.allReduceMaxBytes), f.quick);
    fit = check(cost::fitRingAllReduce(ranks.size, samples));
    spec.topology.intraNode = fit->link;
    spec.topology.interNode = fit->link;
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
  uint64_t total = memTotalBytes();
  if (total == 0)
    throw std::runtime_error("cannot read MemTotal from /proc/meminfo: the memory size is unknown");
  d.memoryBytes = total / uint64_t(ranks.size);

  // The description says what was measured and how.
  std::ostringstream desc;
  desc << "measured by `weft calibrate" << (f.quick ? " --quick" : "") << "`"
       << (group ? " under `weft launch -n " + std::to_string(ranks.size) + "`" : "") << " on "
       << today() << ", " << cores << " cores; a device is one rank (" << ranks.size
       << (ranks.size == 1 ? " rank, all cores" : " ranks at once, cores / ranks threads each")
       << "). Peaks are achieved rates: f32 " << sz.gemmF32 << "^3 matmul (BLAS; gemm_efficiency: the share of "
       << "it a " << sz.shapedM << "x" << sz.shapedK << " by " << sz.shapedK << "x" << sz.shapedN
       << " matmul reaches, a transformer's size; memory_efficiency 1), "
       << "bf16 and f16 " << sz.gemmNarrow << "^3 matmuls (weft's generated CPU kernels: no "
       << "narrow-float BLAS); memory_gbps: y = -x over " << bytesText(streamBytes)
       << " f32, bytes read + written; launch_us: a one-op program's run; memory_gib: MemTotal / "
       << ranks.size << (ranks.size == 1 ? " (one rank)" : " ranks") << ". ";
  if (fit)
    desc << "Links: ring all-reduce model fitted to MPI all-reduces of 8 B to "
         << bytesText(double(sz.allReduceMaxBytes)) << " over " << ranks.size
         << " ranks (max error " << fmt("%.0f", 100 * fit->maxRelativeError)
         << "%; the largest moved its ring bytes at "
         << fmt("%.3g", cost::wireBytes(cost::CollectiveKind::AllReduce, ranks.size, samples.back().bytes) /
                            samples.back().seconds / 1e9)
         << " GB/s); one machine, so inter_node = intra_node.";
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
    row("memory bandwidth", "y = -x over " + bytesText(streamBytes) + fmt(" f32 (%.3f ms)", 1e3 * mean[3]),
        fmt("%.2f GB/s", d.memoryBandwidth / 1e9));
    row("launch overhead", "y = x + x over 16 f32, median of " + std::to_string(sz.tiny.runs),
        fmt("%.2f us", d.launchSeconds * 1e6));
    row("memory", fmt("MemTotal %.2f GiB / ", double(total) / (1ull << 30)) + std::to_string(ranks.size) +
        (ranks.size == 1 ? " rank" : " ranks"), fmt("%.2f GiB", double(d.memoryBytes) / (1ull << 30)));
    for (const cost::AllReduceSample &s : samples)
      row("all-reduce", bytesText(s.bytes) + ", slowest rank's median", fmt("%.2f us", s.seconds * 1e6) +
          fmt(" (model %.2f us)", 1e6 * cost::ringAllReduceSeconds(ranks.size, s.bytes, fit->link)));
    if (fit) {
      row("link latency", "ring fit alpha", fmt("%.2f us", fit->link.latencySeconds * 1e6));
      row("link bandwidth", "ring fit beta", fmt("%.2f GB/s", fit->link.bandwidth / 1e9));
      row("fit error", "max |model - measured| / measured", fmt("%.0f%%", 100 * fit->maxRelativeError));
    } else {
      std::printf("links not measured (run under weft launch -n 2): kept the shipped cpu figures "
                  "(%.3g GB/s, %.3g us)\n",
                  spec.topology.intraNode.bandwidth / 1e9, spec.topology.intraNode.latencySeconds * 1e6);
    }
    check(cost::writeClusterSpec(spec, f.out));
    std::printf("wrote %s (%.1f s); use it with --mesh auto --device-kind %s\n", f.out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                f.out.c_str());
    if (!f.checkModel.empty() && ranks.size > 1)
      std::printf("--check runs on one rank: `weft calibrate --check ...` without weft launch\n");
  }
  if (checkConfig && ranks.size == 1) {
    CostModelCheck c = checkCostModel(*checkConfig, int(f.checkBatch), int(f.checkSeq), spec, f.quick ? 3 : 7);
    printCostModelCheck(c, "GPT-2 " + f.checkModel + " forward, batch " + std::to_string(f.checkBatch) + " x " +
                               std::to_string(f.checkSeq));
  }
  if (group)
    check(group->barrier("calibration end"));
  return 0;
}

} // namespace weft::cli
