//===- CalibrateCliTest.cpp - `weft calibrate` end to end -----------------===//
//
// Runs the weft binary: `weft calibrate --quick -o FILE` writes a description
// that loadClusterSpec reads, with positive measured figures, a GEMM
// efficiency in (0, 1] and a memory efficiency of 1,
// the machine's memory and, with one rank, the shipped cpu links (and says
// they were not measured); under `weft launch -n 2` the links are measured
// (inside and between nodes the same) and the memory is split over the
// ranks; an -o that cannot be written fails at once, naming the path; --check
// pairs every step of a GPT-2 forward with its op's prediction. The measured
// tables (f32 GEMM rates by shape, bandwidth by working set, element
// functions; under weft launch each collective's step times) are written;
// under weft launch --check times the collectives again and reports the
// model's error; --with checks a given description without measuring.
// The device suite: `--export DIR` compiles it into a bundle that
// weft-calibrate-bundle times (on the CPU here: a loadable description whose
// links are the shipped ones); a corrupt bundle, a folder that is not one,
// an unknown target and --target cuda without a GPU fail with the cause.
//
//===----------------------------------------------------------------------===//

#include "cost/ClusterSpec.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace weft::cost;

namespace {

struct Result {
  int rc;
  std::string out;
};

std::filesystem::path tempDir() {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("weft-calibrate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

/// Runs `binary args`, stdout and stderr together.
Result runBinary(const std::string &binary, const std::string &args) {
  std::filesystem::path dir = tempDir();
  std::string log = (dir / "log.txt").string();
  std::string cmd = "WEFT_CACHE_DIR='" + (dir / "cache").string() + "' '" + binary + "' " + args + " > '" + log +
                    "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
}

/// Runs `weft args`.
Result runWeft(const std::string &args) { return runBinary(WEFT_BINARY, args); }
/// Runs `weft-calibrate-bundle args`.
Result runBundleTool(const std::string &args) { return runBinary(WEFT_CALIBRATE_BUNDLE_BINARY, args); }

/// MemTotal of /proc/meminfo in bytes.
double memTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemTotal:")
      return kib * 1024;
  return 0;
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

/// The device figures every calibration measures.
void expectMeasuredDevice(const ClusterSpec &spec, int ranks) {
  const DeviceKind &d = spec.device;
  EXPECT_EQ(spec.name, "cpu");
  // Between 0.1 GFLOP/s and 10 TFLOP/s per rank for a BLAS f32 matmul on a CPU
  // (~150 on an idle core here; ctest runs 8-rank MPI tests on the same 2
  // cores meanwhile, and a quick run's 3 samples can each lose a time slice).
  EXPECT_GT(d.peakFlopsF32, 1e8);
  EXPECT_LT(d.peakFlopsF32, 1e13);
  EXPECT_GT(d.peakFlopsBF16, 1e6);
  EXPECT_GT(d.peakFlopsF16, 1e6);
  EXPECT_DOUBLE_EQ(d.peakFlops(MathType::TF32), d.peakFlopsF32);
  EXPECT_GT(d.memoryBandwidth, 1e8); // 0.1 GB/s .. 10 TB/s
  EXPECT_LT(d.memoryBandwidth, 1e13);
  EXPECT_GT(d.launchSeconds, 0);
  EXPECT_LT(d.launchSeconds, 1e-2); // ~50 us idle; a loaded 2-core machine has taken over 1 ms
  // The share of the peak a transformer-sized matmul reaches, capped at 1.
  // Its quick 64 x 64 x 256 product takes ~10 us: beside an 8-rank MPI test
  // two of its three samples lost a time slice each and it read 0.003
  // (reproduced once in 12 runs), so only its sign is certain.
  EXPECT_GT(d.gemmEfficiency, 0);
  EXPECT_LE(d.gemmEfficiency, 1);
  EXPECT_DOUBLE_EQ(d.memoryEfficiency, 1);
  // 4 significant digits of MemTotal / ranks.
  EXPECT_NEAR(double(d.memoryBytes), memTotal() / ranks, 1e-3 * memTotal() / ranks);
  EXPECT_GE(spec.topology.devicesPerNode, ranks);
}

TEST(WeftCalibrate, OneRankWritesALoadableDescription) {
  std::string out = (tempDir() / "one.json").string();
  Result r = runWeft("calibrate --quick -o '" + out + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "f32 peak");
  EXPECT_HAS(r.out, "256^3 matmul");
  EXPECT_HAS(r.out, "y = -x over 16 MiB f32");
  EXPECT_HAS(r.out, "links not measured (run under weft launch -n 2)");
  EXPECT_HAS(r.out, "wrote " + out);
  auto spec = loadClusterSpec(out);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  expectMeasuredDevice(*spec, 1);
  EXPECT_HAS(spec->description, "Links not measured (run under weft launch -n 2)");
  // The measured tables: a 2 x 2 x 2 f32 grid (--quick), two working sets
  // and the DRAM pass, the element functions but log.
  EXPECT_HAS(r.out, "f32 GEMM rates (GFLOP/s)");
  ASSERT_EQ(spec->device.gemmRates.count(MathType::F32), 1u);
  const GemmRateGrid &grid = spec->device.gemmRates.at(MathType::F32);
  EXPECT_EQ(grid.m, (std::vector<double>{1, 64}));
  EXPECT_EQ(grid.flopsPerSecond.size(), 8u);
  EXPECT_EQ(spec->device.bandwidthByBytes.sizes.size(), 3u);
  for (int f = 0; f < kElementFunctions; ++f)
    EXPECT_EQ(spec->device.elementFunctionSeconds[size_t(f)] > 0, ElementFunction(f) != ElementFunction::Log)
        << elementFunctionName(ElementFunction(f));
  EXPECT_HAS(spec->description, "Peaks are achieved rates");
  // The links of the shipped description stay.
  auto shipped = loadClusterSpec("cpu");
  ASSERT_TRUE(shipped.isOk());
  EXPECT_DOUBLE_EQ(spec->topology.intraNode.bandwidth, shipped->topology.intraNode.bandwidth);
  EXPECT_DOUBLE_EQ(spec->topology.interNode.latencySeconds, shipped->topology.interNode.latencySeconds);
  // No temporary file is left beside it.
  size_t files = 0;
  for (const auto &e : std::filesystem::directory_iterator(std::filesystem::path(out).parent_path()))
    files += e.path().filename().string().rfind("one.json", 0) == 0;
  EXPECT_EQ(files, 1u);
}

TEST(WeftCalibrate, TwoRanksMeasureTheLinks) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "mpirun is not installed";
  std::string out = (tempDir() / "two.json").string();
  Result r = runWeft("launch -n 2 -- weft calibrate --quick --check tiny -o '" + out + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "2 ranks");
  EXPECT_HAS(r.out, "all_reduce         256 B");
  EXPECT_HAS(r.out, "all_reduce         1 MiB");
  EXPECT_HAS(r.out, "all_to_all         1 MiB");
  // --check under weft launch: the collectives timed again between the calibration's sizes.
  EXPECT_HAS(r.out, "collective check: 2 ranks");
  for (const char *kind : {"all_reduce", "all_gather", "reduce_scatter", "all_to_all"})
    EXPECT_HAS(r.out, std::string(kind) + ": median |error|");
  EXPECT_HAS(r.out, "512 B");
  EXPECT_HAS(r.out, "ring fit beta");
  EXPECT_EQ(r.out.find("links not measured"), std::string::npos) << r.out;
  auto spec = loadClusterSpec(out);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  expectMeasuredDevice(*spec, 2);
  const Topology &t = spec->topology;
  // 1 MB/s .. 10 TB/s and up to 50 ms between two processes: wide, as ctest
  // may run 8-rank tests on the same 2 cores meanwhile (a 2.4 ms latency
  // was seen then; ~1.3 us on an idle machine).
  EXPECT_GT(t.intraNode.bandwidth, 1e6);
  EXPECT_LT(t.intraNode.bandwidth, 1e13);
  EXPECT_GT(t.intraNode.latencySeconds, 0);
  EXPECT_LT(t.intraNode.latencySeconds, 50e-3);
  EXPECT_DOUBLE_EQ(t.interNode.bandwidth, t.intraNode.bandwidth);
  EXPECT_DOUBLE_EQ(t.interNode.latencySeconds, t.intraNode.latencySeconds);
  EXPECT_HAS(spec->description, "under `weft launch -n 2`");
  EXPECT_HAS(spec->description, "fitted to MPI all-reduces of 256 B to 1 MiB over 2 ranks");
  // A step-time curve per timed collective: 256 B to 1 MiB by 4 is 7 sizes, chunks S / 2.
  for (CollectiveKind kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                              CollectiveKind::AllToAll}) {
    ASSERT_EQ(t.intraNode.stepSeconds.count(kind), 1u) << int(kind);
    const SizeCurve &c = t.intraNode.stepSeconds.at(kind);
    EXPECT_EQ(c.sizes.size(), 7u);
    EXPECT_DOUBLE_EQ(c.sizes.front(), 128);
    EXPECT_DOUBLE_EQ(c.sizes.back(), 512 * 1024);
  }
}

TEST(WeftCalibrate, UnwritableOutputFailsAtOnceNamingIt) {
  Result r = runWeft("calibrate --quick -o /nonexistent-weft-dir/cluster.json");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "weft calibrate: error: cannot write the cluster description to "
                    "'/nonexistent-weft-dir/cluster.json': the folder '/nonexistent-weft-dir' does "
                    "not exist");
  EXPECT_EQ(r.out.find("f32 peak"), std::string::npos) << r.out; // nothing measured
  std::string dir = tempDir().string();
  r = runWeft("calibrate --quick -o '" + dir + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "cannot write the cluster description to '" + dir + "': it is a folder");
  r = runWeft("calibrate --bogus");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "usage: weft calibrate [-o FILE.json] [--quick]");
}

TEST(WeftCalibrate, AnExportedSuiteIsMeasuredWithoutTheCompiler) {
  std::filesystem::path dir = tempDir() / "suite-cpu";
  Result r = runWeft("calibrate --target cpu --quick --export '" + dir.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "weft-calibrate-bundle " + dir.string());
  EXPECT_TRUE(std::filesystem::exists(dir / "suite.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "peak_f32_256.wexe"));
  EXPECT_TRUE(std::filesystem::exists(dir / "grid_f32_m64_n256_k64.wexe"));
  std::string out = (tempDir() / "from-bundle.json").string();
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "cpu (the host), 24 programs compiled for cpu (quick)");
  EXPECT_HAS(r.out, "grid_f32_m64_n256_k256");
  EXPECT_HAS(r.out, "wrote " + out);
  auto spec = loadClusterSpec(out);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(spec->name, "cpu-measured");
  const DeviceKind &d = spec->device;
  EXPECT_GT(d.peakFlopsF32, 1e8); // as expectMeasuredDevice: ctest may load the 2 cores meanwhile
  EXPECT_LT(d.peakFlopsF32, 1e13);
  EXPECT_GT(d.memoryBandwidth, 1e8);
  EXPECT_GT(d.launchSeconds, 0);
  EXPECT_NEAR(double(d.memoryBytes), memTotal(), 1e-3 * memTotal());
  ASSERT_EQ(d.gemmRates.count(MathType::F32), 1u);
  EXPECT_EQ(d.gemmRates.at(MathType::F32).flopsPerSecond.size(), 8u);
  EXPECT_EQ(d.bandwidthByBytes.sizes.size(), 3u);
  EXPECT_HAS(spec->description, "the shipped cpu description's");
  auto shipped = loadClusterSpec("cpu");
  ASSERT_TRUE(shipped.isOk());
  EXPECT_DOUBLE_EQ(spec->topology.intraNode.bandwidth, shipped->topology.intraNode.bandwidth);

  // Exporting again replaces the bundle; a folder that is not one is refused.
  r = runWeft("calibrate --target cpu --quick --export '" + dir.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::filesystem::path other = tempDir() / "not-a-bundle";
  std::filesystem::create_directories(other);
  std::ofstream(other / "notes.txt") << "mine\n";
  r = runWeft("calibrate --target cpu --quick --export '" + other.string() + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "the folder is not empty and holds no suite.json; refusing to replace it");
  EXPECT_TRUE(std::filesystem::exists(other / "notes.txt"));
}

TEST(WeftCalibrate, ACorruptBundleIsRefusedNamingTheFile) {
  std::filesystem::path dir = tempDir() / "suite-corrupt";
  Result r = runWeft("calibrate --target cpu --quick --export '" + dir.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::string out = (tempDir() / "never.json").string();
  // A program cut short.
  std::filesystem::resize_file(dir / "launch.wexe", 40);
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "probe 'launch'");
  EXPECT_HAS(r.out, "launch.wexe");
  // A program missing.
  std::filesystem::remove(dir / "launch.wexe");
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "launch.wexe");
  // A manifest of another suite, and one that is not JSON.
  std::ofstream(dir / "suite.json") << R"({"format": "weft-device-suite", "version": 1, "target": "cpu", )"
                                    << R"("quick": true, "probes": ["peak_f32_256"]})";
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "its 1 probes are not this weft's device suite for cpu (24 probes)");
  std::ofstream(dir / "suite.json") << "{ not json";
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, (dir / "suite.json").string() + ": not a JSON object");
  // No bundle at all; no folder given.
  r = runBundleTool("'" + (tempDir() / "nowhere").string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "weft calibrate --target cuda --export DIR");
  r = runBundleTool("");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(WeftCalibrate, TheGpuNeedsAGpuAndAKnownTarget) {
  Result r = runWeft("calibrate --target tpu");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "--target tpu: the devices calibrate measures are cpu and cuda");
  r = runWeft("calibrate --target cuda --check tiny");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "--check and --with check the CPU calibration");
  if (std::filesystem::exists("/dev/nvidia0"))
    GTEST_SKIP() << "this machine has a GPU: `weft calibrate --target cuda` would measure it";
  std::string out = (tempDir() / "gpu.json").string();
  r = runWeft("calibrate --target cuda --quick -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "--target cuda: no GPU to measure: ");
  EXPECT_HAS(r.out, "`weft calibrate --target cuda --export DIR` here, then `weft-calibrate-bundle DIR` there");
  EXPECT_EQ(r.out.find("compiling"), std::string::npos) << r.out; // refused before compiling
  EXPECT_FALSE(std::filesystem::exists(out));
  // A bundle compiled for cuda (where this build has the CUDA code generator) is refused likewise.
  std::filesystem::path dir = tempDir() / "suite-cuda";
  r = runWeft("calibrate --target cuda --quick --export '" + dir.string() + "'");
  if (r.rc != 0)
    GTEST_SKIP() << "no CUDA code generator here: " << r.out;
  r = runBundleTool("'" + dir.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "calibrate: no GPU to measure: ");
  EXPECT_FALSE(std::filesystem::exists(out));
}

} // namespace

// --check pairs every step of a GPT-2 forward with the op it came from and
// its prediction (none left unmatched), and reports the per-step median error
// and the whole run, predicted and measured, as positive figures.
TEST(WeftCalibrate, CheckPredictsEveryStepOfAGpt2Forward) {
  std::string out = (tempDir() / "checked.json").string();
  Result r = runWeft("calibrate --quick --check tiny --check-seq 16 -o '" + out + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(forward, batch 1 x 16, (\d+) steps \((\d+) with a prediction\))")))
      << r.out;
  EXPECT_GT(std::stoi(m[1]), 10) << r.out;
  EXPECT_EQ(m[1], m[2]) << "a step without its op's prediction:\n" << r.out;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(whole run: predicted ([0-9.]+) ms .*, measured ([0-9.]+) ms)")))
      << r.out;
  EXPECT_GT(std::stod(m[1]), 0);
  EXPECT_GT(std::stod(m[2]), 0);
  EXPECT_NE(r.out.find("weft.fused_matmul"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per-step median |predicted - measured| / measured"), std::string::npos) << r.out;
}

// --with checks a given description's model without measuring, beside its
// single figures when it has tables; an MLP's two Linears (one source line)
// stay two steps each: 4 fused GEMMs per layer of the 2-layer tiny model.
TEST(WeftCalibrate, CheckWithAGivenDescription) {
  std::string out = (tempDir() / "given.json").string();
  Result r = runWeft("calibrate --quick -o '" + out + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  r = runWeft("calibrate --with '" + out + "' --check tiny --check-seq 16 --check-steps");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out.find("f32 peak"), std::string::npos) << r.out; // nothing measured
  EXPECT_HAS(r.out, "single figures");
  EXPECT_HAS(r.out, "with the single figures alone (no tables)");
  EXPECT_HAS(r.out, "activation = #weft<activation gelu_tanh>");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\n  weft.fused_matmul +(\d+) )"))) << r.out;
  EXPECT_EQ(m[1], "8") << r.out;
  // The shipped GPU description has no tables: no second column.
  r = runWeft("calibrate --with h100 --check tiny --check-seq 16");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out.find("single figures"), std::string::npos) << r.out;
  r = runWeft("calibrate --with h100");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "--with h100 checks that description: give --check too");
}

// --check-train times a training step; --check-mesh under weft launch each
// rank's partitioned training step, its collectives priced as steps too
// (none left unmatched); a mesh of another size than the job is refused
// with both numbers.
TEST(WeftCalibrate, CheckTrainingStepsOnOneRankAndOnAMesh) {
  Result r = runWeft("calibrate --with cpu --check tiny --check-seq 16 --check-train");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(training step, batch 1 x 16, (\d+) steps \((\d+) with a prediction\))")))
      << r.out;
  EXPECT_EQ(m[1], m[2]) << "a step without its op's prediction:\n" << r.out;
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "mpirun is not installed";
  r = runWeft("launch -n 2 -- weft calibrate --with cpu --check tiny --check-batch 2 --check-seq 16 --check-train "
              "--check-mesh tp=2");
  ASSERT_EQ(r.rc, 0) << r.out;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(mesh tp=2, rank 0's program, (\d+) steps \((\d+) with a prediction\))")))
      << r.out;
  EXPECT_EQ(m[1], m[2]) << r.out;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\n  weft.all_reduce +(\d+) )"))) << r.out;
  EXPECT_GT(std::stoi(m[1]), 0) << r.out;
  r = runWeft("launch -n 2 -- weft calibrate --with cpu --check tiny --check-seq 16 --check-mesh tp=4");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "--check-mesh tp=4 has 4 devices; run it under weft launch -n 4 (this job has 2 ranks)");
}

// A --check model whose positions are fewer than --check-seq is refused with both numbers.
TEST(WeftCalibrate, CheckRefusesASequenceLongerThanTheModel) {
  Result r = runWeft("calibrate --quick --check tiny --check-seq 100000 -o '" +
                     (tempDir() / "refused.json").string() + "'");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("--check-seq 100000 exceeds the model's n_positions 256"), std::string::npos) << r.out;
}
