//===- CliTest.cpp - the weft binary's parallel flags and `weft launch` ---===//
//
// Runs the weft binary: --mesh, --strategy and --zero errors exit 2 with a
// clear message before anything is compiled; `weft compile gpt2 --train
// --mesh dp=2,tp=2 --compile-to parallel` prints the partitioned step with
// its collectives; `weft launch -n 2 -- weft ...` runs two ranks, and its
// own errors (no `--`, -n 0, nothing to launch, no mpirun) exit with clear
// messages; `weft run --profile N` lists the N longest ops of a run.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <regex>

#include <algorithm>
#include <vector>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Result {
  int rc;
  std::string out;
};

/// Runs `env WEFT_BINARY args` (a shell command line tail), stdout and stderr together.
Result runWeft(const std::string &args, const std::string &env = "") {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("weft-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string log = (dir / "log.txt").string();
  std::string cmd = env + " WEFT_CACHE_DIR='" + (dir / "cache").string() + "' '" WEFT_BINARY "' " +
                    args + " > '" + log + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
}

size_t count(const std::string &text, const std::string &part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1))
    ++n;
  return n;
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST(WeftCliParallel, FlagErrorsStopBeforeCompiling) {
  struct Case {
    const char *args, *message;
  };
  for (const Case &c : {
           Case{"compile gpt2 --mesh dp=2,tp", "--mesh: mesh 'dp=2,tp': error: 'tp' has no '=SIZE'"},
           Case{"compile gpt2 --mesh dp=0", "the size of axis 'dp' must be a whole number >= 1, got '0'"},
           Case{"compile gpt2 --mesh dp=2,dp=2", "the axis 'dp' is given twice"},
           Case{"compile gpt2 --mesh tp=2 --strategy dp",
                "strategy dp needs a mesh axis 'dp'; the mesh is tp=2"},
           Case{"run gpt2 --mesh tp=2 --strategy zz", "unknown strategy 'zz'; strategies: none, dp, tp"},
           Case{"compile gpt2 --strategy tp", "--strategy tp needs --mesh"},
           Case{"compile gpt2 --mesh x=2", "has axes other than dp and tp"},
           Case{"compile gpt2 --mesh dp=2 --zero 1", "--zero applies to training"},
           Case{"compile gpt2 --train --mesh tp=2 --zero 2", "--zero shards over the mesh axis dp; the mesh tp=2 has none"},
           Case{"compile gpt2 --train --zero 1", "--zero 1 needs --mesh with a dp axis"},
           Case{"compile gpt2 --zero 4", "--zero must be an integer from 0 to 3, got '4'"},
           Case{"train gpt2 --data x.txt --mesh tp=2 --strategy dp", "strategy dp needs a mesh axis 'dp'"},
           Case{"compile gpt2 --train --mesh auto --zero 1",
                "--zero and --mesh auto: the search chooses how the optimizer state is split"},
           Case{"compile gpt2 --mesh auto --strategy tp", "--strategy tp and --mesh auto"},
           Case{"compile gpt2 --mesh dp=2 --devices 4", "--devices applies to --mesh auto"},
           Case{"compile gpt2 --mesh auto --device-kind tpu9",
                "--device-kind: unknown device kind 'tpu9': not one of a100, cpu, h100, h200"},
           Case{"train gpt2 --data x.txt --mesh auto --devices 2",
                "--mesh auto has 2 ranks: start one process per rank"},
       }) {
    Result r = runWeft(c.args);
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.out;
    EXPECT_HAS(r.out, c.message);
    // Nothing compiled: no "compile: S s" line.
    EXPECT_NE(r.out.rfind("compile:", 0), 0u) << r.out;
    EXPECT_EQ(r.out.find("\ncompile:"), std::string::npos) << r.out;
  }
}

TEST(WeftCliParallel, ModelThatDoesNotFitTheMesh) {
  Result r = runWeft("compile gpt2 --preset tiny --seq 8 --batch 3 --mesh dp=2 --compile-to parallel");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "the batch (3) is not divisible by the dp size 2 of the mesh dp=2");
}

TEST(WeftCliParallel, CompileToParallelPrintsTheCollectives) {
  std::filesystem::path config = std::filesystem::path(::testing::TempDir()) /
                                 ("weft-cli-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << R"({"n_layer": 1, "n_head": 2, "n_embd": 16, "vocab_size": 33, "n_positions": 16})";
  Result r = runWeft("compile gpt2 --config '" + config.string() +
                     "' --seq 8 --batch 2 --train --mesh dp=2,tp=2 --zero 1 --compile-to parallel");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "weft.mesh = #weft.mesh<dp = 2, tp = 2>");
  EXPECT_HAS(r.out, "weft.all_reduce");
  EXPECT_HAS(r.out, "weft.global_shape");
  // The tokens are split over dp: the rank's piece is [1, 8].
  EXPECT_HAS(r.out, "tensor<1x8xi64> {weft.global_shape = array<i64: 2, 8>, weft.input = \"tokens\"");
  std::filesystem::remove(config);
}

TEST(WeftCliParallel, MeshAutoChoosesTheMeshAndShardings) {
  std::filesystem::path config = std::filesystem::path(::testing::TempDir()) /
                                 ("weft-cli-auto-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << R"({"n_layer": 1, "n_head": 2, "n_embd": 16, "vocab_size": 33, "n_positions": 16})";
  Result r = runWeft("compile gpt2 --config '" + config.string() +
                     "' --seq 8 --batch 2 --train --mesh auto --devices 4 --compile-to parallel");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "weft.mesh = #weft.mesh<");
  EXPECT_HAS(r.out, "weft.plan = {");
  EXPECT_HAS(r.out, "meshes = \"#weft.mesh<dp = 4> searched: ");
  EXPECT_HAS(r.out, "(partitioned "); // --mesh auto costs each candidate's partitioned program
  EXPECT_HAS(r.out, " <- chosen");
  EXPECT_HAS(r.out, "weft.global_shape");
  std::filesystem::remove(config);
}

TEST(WeftCliPlan, PlansAndComparesWithTheGrid) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir());
  std::filesystem::path config = dir / ("weft-cli-plan-" + std::to_string(::getpid()) + ".json");
  std::filesystem::path out = dir / ("weft-cli-plan-" + std::to_string(::getpid()) + "-out.json");
  std::ofstream(config) << R"({"n_layer": 2, "n_head": 4, "n_embd": 64, "vocab_size": 96, "n_positions": 32})";
  Result r = runWeft("plan gpt2 --config '" + config.string() + "' --batch 16 --seq 32 --devices 4 --device-kind cpu "
                     "--explain -o '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "mesh: ");
  EXPECT_HAS(r.out, "(candidates: dp=4 ");
  EXPECT_HAS(r.out, "predicted step: ");
  EXPECT_HAS(r.out, "lower bound: ");
  EXPECT_HAS(r.out, "parameters (h.# = every layer):");
  EXPECT_HAS(r.out, "h.#.mlp.c_fc.weight");
  EXPECT_HAS(r.out, "best grid point: ");
  EXPECT_HAS(r.out, "every resharding, costliest first");
  std::ifstream saved(out);
  std::string json((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  EXPECT_HAS(json, "\"predicted_step_seconds\"");
  EXPECT_HAS(json, "\"h.1.mlp.c_fc.weight\"");
  // The plan is never slower than a grid point: the grid's layouts are among the search's.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(json, m, std::regex("\"predicted_step_seconds\": ([0-9.e+-]+)"))) << json;
  double plan = std::stod(m[1]);
  int points = 0;
  const std::regex gridSeconds("\"seconds\": ([0-9.e+-]+)");
  for (std::sregex_iterator it(json.begin(), json.end(), gridSeconds), end; it != end; ++it, ++points)
    if (double grid = std::stod((*it)[1]); grid > 0)
      EXPECT_LE(plan, grid * (1 + 1e-9)) << json;
  EXPECT_GT(points, 0) << json;
  std::filesystem::remove(config);
  std::filesystem::remove(out);
}

// --micro-batches K plans the step as K micro-batches of batch / K: the activations are one micro-batch's (half
// with K = 2), the compute K micro-steps' (the same total), and the header says so.
TEST(WeftCliPlan, MicroBatchesHoldOneMicroBatchsActivations) {
  std::filesystem::path config =
      std::filesystem::path(::testing::TempDir()) / ("weft-cli-micro-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << R"({"n_layer": 2, "n_head": 4, "n_embd": 64, "vocab_size": 96, "n_positions": 32})";
  auto figures = [&](int k, double &activations, double &compute) {
    Result r = runWeft("plan gpt2 --config '" + config.string() + "' --batch 16 --seq 32 --devices 2 --device-kind "
                       "cpu --no-grid --micro-batches " + std::to_string(k));
    ASSERT_EQ(r.rc, 0) << r.out;
    if (k > 1)
      EXPECT_HAS(r.out, "as " + std::to_string(k) + " micro-batches of " + std::to_string(16 / k));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\+ activations ([0-9.]+) (KiB|MiB))"))) << r.out;
    activations = std::stod(m[1]) * (m[2] == "MiB" ? 1024 : 1);
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(= compute ([0-9.]+) ms)"))) << r.out;
    compute = std::stod(m[1]);
  };
  double a1 = 0, c1 = 0, a2 = 0, c2 = 0;
  figures(1, a1, c1);
  figures(2, a2, c2);
  EXPECT_NEAR(a2, a1 / 2, 0.02 * a1) << "activations of one micro-batch of 8, against the whole batch of 16";
  EXPECT_NEAR(c2, c1, 0.25 * c1) << "two micro-steps of 8 compute about what one step of 16 does";
  Result bad = runWeft("plan gpt2 --config '" + config.string() + "' --batch 16 --devices 2 --micro-batches 3");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  EXPECT_HAS(bad.out, "--micro-batches 3 does not divide --batch 16");
  std::filesystem::remove(config);
}

TEST(WeftCliPlan, SavedPlanCompilesAndIsRefusedForAnotherModel) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir());
  std::string tag = std::to_string(::getpid());
  std::filesystem::path config = dir / ("weft-cli-saved-" + tag + ".json");
  std::filesystem::path other = dir / ("weft-cli-saved-other-" + tag + ".json");
  std::filesystem::path saved = dir / ("weft-cli-saved-plan-" + tag + ".json");
  std::ofstream(config) << R"({"n_layer": 1, "n_head": 2, "n_embd": 16, "vocab_size": 33, "n_positions": 16})";
  std::ofstream(other) << R"({"n_layer": 2, "n_head": 2, "n_embd": 16, "vocab_size": 33, "n_positions": 16})";
  Result made = runWeft("plan gpt2 --config '" + config.string() + "' --batch 4 --seq 8 --devices 2 --device-kind cpu "
                        "--no-grid -o '" + saved.string() + "'");
  ASSERT_EQ(made.rc, 0) << made.out;
  // The plan's mesh and layouts become the compiled step's.
  Result r = runWeft("compile gpt2 --config '" + config.string() + "' --batch 4 --seq 8 --train --plan '" +
                     saved.string() + "' --compile-to parallel");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "weft.mesh = #weft.mesh<");
  EXPECT_HAS(r.out, "weft.global_shape");
  // Another model, a plan that is not one, and flags that contradict it are refused before compiling.
  r = runWeft("compile gpt2 --config '" + other.string() + "' --batch 4 --seq 8 --train --plan '" + saved.string() +
              "'");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "it has no layout for 'h.1.ln_1.weight' tensor<16xf32> of this program: a plan for another model?");
  r = runWeft("compile gpt2 --config '" + config.string() + "' --train --plan '" + config.string() + "'");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "'devices' is missing or not an integer");
  r = runWeft("compile gpt2 --train --plan '" + saved.string() + "' --mesh dp=2");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_HAS(r.out, "--plan gives the mesh and every layout");
  for (const auto &p : {config, other, saved})
    std::filesystem::remove(p);
}

TEST(WeftCliPlan, Errors) {
  struct Case {
    const char *args, *message;
  };
  for (const Case &c : {
           Case{"plan gpt2 --preset tiny", "--devices N is required"},
           Case{"plan gpt2 --preset tiny --devices 2 --device-kind tpu9", "unknown device kind 'tpu9'"},
           Case{"plan mlp --devices 2", "`weft plan` plans gpt2"},
           Case{"plan gpt2 --preset tiny --devices 4 --device-kind cpu --no-grid --memory 0.0001",
                "fits the memory budget of 0.0001 GiB per device:\n  #weft.mesh<dp = 4>: needs at least 0.001844 GiB "
                "per device"},
       }) {
    Result r = runWeft(c.args);
    EXPECT_NE(r.rc, 0) << c.args << "\n" << r.out;
    EXPECT_HAS(r.out, c.message);
  }
}

TEST(WeftCliLaunch, RunsTwoRanks) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "mpirun is not installed";
  Result r = runWeft("launch -n 2 -- weft compile --help");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(count(r.out, "usage: weft compile"), 2u) << r.out;
  // mpirun's exit status comes back.
  r = runWeft("launch -n 1 -- sh -c 'exit 3'");
  EXPECT_EQ(r.rc, 3) << r.out;
}

TEST(WeftCliLaunch, Errors) {
  Result r = runWeft("launch -n 2 weft compile");
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.out, "missing `--` before the program to launch");
  r = runWeft("launch -n 0 -- weft compile");
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.out, "-n must be at least 1, got 0");
  r = runWeft("launch -n 2 --");
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.out, "nothing to launch after `--`");
  r = runWeft("launch -- weft compile");
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.out, "-n N is required");
  r = runWeft("launch -n 2 -- weft compile --help", "PATH=/nonexistent");
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "mpirun is not on PATH");
}

} // namespace

// `weft run --profile N`: one profiled run after the timed ones; the header
// counts every step of the executable, the N rows are the longest ops, longest
// first, their shares within the run, and GPT-2's GEMMs are among them.
TEST(WeftCliRun, ProfileListsTheLongestOps) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("weft-cli-profile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string exe = (dir / "tiny.wexe").string();
  Result c = runWeft("compile gpt2 --preset tiny --seq 8 --no-cache -o '" + exe + "'");
  ASSERT_EQ(c.rc, 0) << c.out;
  Result r = runWeft("run '" + exe + "' --random-weights --profile 3");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::smatch header;
  ASSERT_TRUE(std::regex_search(r.out, header, std::regex(R"(profile: (\d+) steps, ([0-9.]+) ms)")))
      << r.out;
  EXPECT_GT(std::stoi(header[1]), 10) << r.out;
  double total = std::stod(header[2]);
  std::regex row(R"(\n +([0-9.]+) +([0-9.]+)% +(\d+)  ([^\n]+))");
  std::vector<double> ms;
  double shares = 0;
  std::string ops;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), row), end; it != end; ++it) {
    ms.push_back(std::stod((*it)[1]));
    shares += std::stod((*it)[2]);
    ops += (*it)[4].str() + ";";
  }
  ASSERT_EQ(ms.size(), 3u) << r.out;
  EXPECT_TRUE(std::is_sorted(ms.rbegin(), ms.rend())) << "longest first: " << r.out;
  EXPECT_LE(ms[0] + ms[1] + ms[2], total * 1.001 + 0.002) << r.out;
  EXPECT_LE(shares, 100.2) << r.out;
  EXPECT_HAS(ops, "(gemm)");
  EXPECT_EQ(runWeft("run '" + exe + "' --random-weights --profile -1").rc, 2);
}
