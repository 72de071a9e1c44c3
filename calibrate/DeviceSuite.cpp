//===- DeviceSuite.cpp - the programs that measure one device -------------===//
//
// This file implements the device suite (DeviceSuite.h): the sizes per
// target, the probes, and the device's figures from their medians.
//
//===----------------------------------------------------------------------===//

#include "calibrate/DeviceSuite.h"

#include "cost/Calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace weft::calibrate {
namespace {

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

Probe matmulProbe(std::string name, ProbeRole role, rt::DType t, int64_t m, int64_t n, int64_t k, int copies,
                  double budget, int least, int most) {
  Probe p{std::move(name), role, ProbeProgram::Matmul};
  p.dtype = t, p.m = m, p.n = n, p.k = k, p.copies = copies;
  p.budgetSeconds = budget, p.leastRuns = least, p.mostRuns = most;
  return p;
}

Probe elementsProbe(std::string name, ProbeRole role, ProbeProgram program, int64_t elements, double budget,
                    int least, int most) {
  Probe p{std::move(name), role, program};
  p.elements = elements;
  p.budgetSeconds = budget, p.leastRuns = least, p.mostRuns = most;
  return p;
}

/// y = f(x @ w + b) over the element functions' rows x 768 by 768 x 3072
/// (f: `function`, none for the epilogues' base).
Probe linearProbe(std::string name, ProbeRole role, std::optional<cost::ElementFunction> function,
                  const SuiteSizes &s) {
  Probe p{std::move(name), role, ProbeProgram::Linear};
  p.function = function;
  p.m = s.functionRows, p.k = s.functionWidth, p.n = s.functionWide, p.budgetSeconds = 0.25;
  return p;
}

double flopsOf(const Probe &p) { return 2.0 * double(p.m) * double(p.n) * double(p.k); }

} // namespace

std::string sizeText(double bytes) {
  char buf[32];
  if (bytes >= (1 << 30))
    std::snprintf(buf, sizeof buf, "%g GiB", bytes / (1 << 30));
  else if (bytes >= (1 << 20))
    std::snprintf(buf, sizeof buf, "%g MiB", bytes / (1 << 20));
  else if (bytes >= (1 << 10))
    std::snprintf(buf, sizeof buf, "%g KiB", bytes / (1 << 10));
  else
    std::snprintf(buf, sizeof buf, "%g B", bytes);
  return buf;
}

int gridCopies(const SuiteSizes &s, bool quick, double m, double n, double k, rt::DType t) {
  if (quick)
    return 1;
  double bytes = double(rt::dtypeSize(t)) * (m * k + k * n + m * n);
  return int(std::clamp(std::ceil(double(s.coldBytes) / bytes), 1.0, double(s.maxCopies)));
}

double functionSecondsPerElement(double probeSeconds, double baseSeconds, int64_t elements) {
  return std::max(probeSeconds - baseSeconds, 0.01 * probeSeconds) / double(elements);
}

rt::StatusOr<SuiteSizes> suiteSizes(const std::string &target, bool quick) {
  SuiteSizes s;
  if (target == "cpu") {
    s.gemmF32 = quick ? 256 : 2048;
    s.gemmNarrow = quick ? 64 : 256;
    s.shapedM = quick ? 64 : 512, s.shapedN = quick ? 256 : 3072, s.shapedK = quick ? 64 : 768;
    // M: a decode step (1, the GEMV kernels), a few rows, one sequence's
    // tokens, a batch's; N and K: attention heads' 64 up to a 3072-wide MLP.
    s.gridM = quick ? std::vector<double>{1, 64} : std::vector<double>{1, 16, 128, 512, 2048};
    s.gridNK = quick ? std::vector<double>{64, 256} : std::vector<double>{64, 192, 768, 3072};
    s.gridTypes = {proto::F32};
    s.streamElements = quick ? (4 << 20) : (64 << 20); // 16 MiB or 256 MiB of f32
    s.streamBytes = quick ? std::vector<int64_t>{64 << 10, 1 << 20}
                          : std::vector<int64_t>{64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
    s.functionRows = quick ? 16 : 128; // a GPT-2 MLP's 128 tokens (x 3072)
    s.softmaxRows = 12 * 128, s.softmaxCols = 128; // an attention's 12 heads x 128 rows of 128
    return s;
  }
  if (target == "cuda") {
    // Training-sized: 8 x 1024 tokens, widths up to GPT-3's 12288; the
    // peaks on 8192^3 (a GPU's tensor cores need large tiles to fill).
    s.gemmF32 = quick ? 1024 : 8192;
    s.gemmNarrow = quick ? 1024 : 8192;
    s.shapedM = quick ? 1024 : 8192, s.shapedN = 3072, s.shapedK = 768;
    s.gridM = quick ? std::vector<double>{1, 1024} : std::vector<double>{1, 16, 128, 512, 2048, 8192};
    s.gridNK = quick ? std::vector<double>{64, 768} : std::vector<double>{64, 192, 768, 3072, 12288};
    s.gridTypes = {proto::F32, proto::BF16};
    s.streamElements = quick ? (16 << 20) : (256 << 20); // 64 MiB or 1 GiB of f32, far above the L2's 50 MB
    s.streamBytes = quick ? std::vector<int64_t>{64 << 10, 4 << 20}
                          : std::vector<int64_t>{64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20,
                                                 256 << 20};
    s.functionRows = quick ? 1024 : 8192;
    s.softmaxRows = 12 * 1024, s.softmaxCols = 1024;
    return s;
  }
  return rt::invalidArgument("calibrate: no device suite for target '" + target + "' (cpu or cuda)");
}

int64_t Probe::functionElements() const {
  switch (program) {
  case ProbeProgram::Linear:
  case ProbeProgram::Softmax:
    return m * n;
  default:
    return elements;
  }
}

const std::vector<TimedFunction> &timedFunctions() {
  using F = cost::ElementFunction;
  static const std::vector<TimedFunction> functions = {
      {F::Exp, ProbeProgram::Softmax},       {F::Tanh, ProbeProgram::ElementFunction},
      {F::Sigmoid, ProbeProgram::ElementFunction}, {F::Gelu, ProbeProgram::Linear},
      {F::GeluTanh, ProbeProgram::Linear},   {F::FastGelu, ProbeProgram::Linear}};
  return functions;
}

rt::StatusOr<DeviceSuite> deviceSuite(const std::string &target, bool quick) {
  rt::StatusOr<SuiteSizes> sized = suiteSizes(target, quick);
  if (!sized.isOk())
    return sized.status();
  DeviceSuite suite{target, quick, *sized, {}};
  const SuiteSizes &s = suite.sizes;
  std::vector<Probe> &out = suite.probes;
  auto square = [&](ProbeRole role, rt::DType t, int64_t n) {
    out.push_back(matmulProbe(std::string("peak_") + rt::dtypeName(t) + "_" + std::to_string(n), role, t, n, n, n, 1,
                              0.3, 3, 30));
  };
  square(ProbeRole::PeakF32, proto::F32, s.gemmF32);
  square(ProbeRole::PeakBF16, proto::BF16, s.gemmNarrow);
  square(ProbeRole::PeakF16, proto::F16, s.gemmNarrow);
  // On a GPU the transformer-sized matmul runs in copies on cold operands,
  // as the grid's (a 50 us GEMM would otherwise share its run with the
  // graph's launch); on the CPU once, as `weft calibrate` times it.
  bool gpu = target != "cpu";
  out.push_back(matmulProbe("shaped_f32_" + std::to_string(s.shapedM) + "x" + std::to_string(s.shapedK) + "x" +
                                std::to_string(s.shapedN),
                            ProbeRole::Shaped, proto::F32, s.shapedM, s.shapedN, s.shapedK,
                            gpu ? gridCopies(s, quick, double(s.shapedM), double(s.shapedN), double(s.shapedK),
                                             proto::F32)
                                : 1,
                            0.3, 3, 30));
  out.push_back(elementsProbe("dram_" + std::to_string(s.streamElements), ProbeRole::Dram, ProbeProgram::Negate,
                              s.streamElements, 0.3, 3, 30));
  // The CPU's launch: a whole run of one tiny kernel (`weft calibrate`'s
  // figure). A GPU's: 64 tiny kernels in one run, and one alone, whose
  // difference is 63 kernels' cost and whose remainder the run's own.
  out.push_back(elementsProbe("launch", ProbeRole::Launch, ProbeProgram::Double, s.tinyElements, 0.05, 50, 500));
  if (gpu) {
    out.back().copies = 64;
    out.push_back(elementsProbe("empty_run", ProbeRole::EmptyRun, ProbeProgram::Double, s.tinyElements, 0.05, 50,
                                500));
  }
  // A GPU's runs vary little: 0.03 s of runs per grid point (at least 3)
  // keep its 300 points to about a minute with the programs' set-up.
  for (rt::DType t : s.gridTypes)
    for (double m : s.gridM)
      for (double n : s.gridNK)
        for (double k : s.gridNK) {
          std::string name = std::string("grid_") + rt::dtypeName(t) + "_m" + fmt("%.0f", m) + "_n" + fmt("%.0f", n) +
                             "_k" + fmt("%.0f", k);
          out.push_back(matmulProbe(name, ProbeRole::Grid, t, int64_t(m), int64_t(n), int64_t(k),
                                    gridCopies(s, quick, m, n, k, t), gpu ? 0.03 : 0.1, 3, 30));
        }
  for (int64_t bytes : s.streamBytes)
    out.push_back(elementsProbe("curve_" + std::to_string(bytes), ProbeRole::Curve, ProbeProgram::Negate, bytes / 8,
                                0.1, 6, 200));
  for (const TimedFunction &tf : timedFunctions()) {
    std::string name = std::string("function_") + cost::elementFunctionName(tf.f);
    if (tf.context == ProbeProgram::Linear) {
      out.push_back(linearProbe(name, ProbeRole::Function, tf.f, s));
      continue;
    }
    Probe p{name, ProbeRole::Function, tf.context};
    p.function = tf.f, p.leastRuns = 6, p.mostRuns = 60;
    if (tf.context == ProbeProgram::Softmax)
      p.m = s.softmaxRows, p.n = s.softmaxCols;
    else
      p.elements = s.functionRows * s.functionWide;
    out.push_back(p);
  }
  out.push_back(linearProbe("epilogue_base", ProbeRole::EpilogueBase, std::nullopt, s));
  out.push_back(elementsProbe("fusion_base", ProbeRole::FusionBase, ProbeProgram::ElementFunction,
                              s.functionRows * s.functionWide, 0.1, 6, 60));
  for (Probe &p : out)
    p.stepsOnly = !gpu && p.role != ProbeRole::Launch;
  return suite;
}

rt::StatusOr<cost::DeviceKind> deriveDevice(const DeviceSuite &suite, const std::vector<double> &seconds,
                                            uint64_t memoryBytes) {
  const std::vector<Probe> &probes = suite.probes;
  if (seconds.size() != probes.size())
    return rt::invalidArgument("calibrate: " + std::to_string(seconds.size()) + " times for " +
                               std::to_string(probes.size()) + " probes");
  for (size_t i = 0; i < probes.size(); ++i)
    if (!(seconds[i] > 0) || !std::isfinite(seconds[i]))
      return rt::invalidArgument("calibrate: probe '" + probes[i].name + "' has time " + fmt("%g", seconds[i]) +
                                 " s; every time must be positive");
  auto find = [&](ProbeRole role) -> const Probe * {
    for (const Probe &p : probes)
      if (p.role == role)
        return &p;
    return nullptr;
  };
  auto timeOf = [&](const Probe &p) { return seconds[size_t(&p - probes.data())]; };
  for (ProbeRole role : {ProbeRole::PeakF32, ProbeRole::PeakBF16, ProbeRole::PeakF16, ProbeRole::Shaped,
                         ProbeRole::Dram, ProbeRole::Launch, ProbeRole::EpilogueBase, ProbeRole::FusionBase})
    if (!find(role))
      return rt::invalidArgument("calibrate: the suite lacks a probe of role " + std::to_string(int(role)));

  // A kernel's fixed cost, and on a GPU the run's own (see the file
  // comment): every other time is the run's less that, per copy.
  const Probe &launch = *find(ProbeRole::Launch);
  double runSeconds = 0, kernelSeconds = timeOf(launch) / launch.copies;
  if (const Probe *empty = find(ProbeRole::EmptyRun)) {
    if (launch.copies < 2)
      return rt::invalidArgument("calibrate: the launch probe beside an empty run needs several kernels");
    kernelSeconds = std::max(timeOf(launch) - timeOf(*empty), 0.0) / double(launch.copies - 1);
    runSeconds = std::max(timeOf(*empty) - kernelSeconds, 0.0);
    if (!(kernelSeconds > 0))
      return rt::invalidArgument("calibrate: " + std::to_string(launch.copies) + " kernels in one run (" +
                                 fmt("%.3g", 1e6 * timeOf(launch)) + " us) took no longer than one (" +
                                 fmt("%.3g", 1e6 * timeOf(*empty)) + " us)");
  }
  auto secondsOf = [&](const Probe &p) {
    double t = timeOf(p);
    return std::max(t - runSeconds, 0.01 * t) / p.copies;
  };

  cost::DeviceKind d;
  const Probe &f32 = *find(ProbeRole::PeakF32), &bf16 = *find(ProbeRole::PeakBF16), &f16 = *find(ProbeRole::PeakF16);
  const Probe &shaped = *find(ProbeRole::Shaped), &dram = *find(ProbeRole::Dram);
  d.peakFlopsF32 = cost::matmulFlopsPerSecond(double(f32.m), double(f32.n), double(f32.k), secondsOf(f32));
  d.peakFlopsTF32 = 0; // weft's f32 GEMMs never use TF32: the f32 rate
  d.peakFlopsBF16 = cost::matmulFlopsPerSecond(double(bf16.m), double(bf16.n), double(bf16.k), secondsOf(bf16));
  d.peakFlopsF16 = cost::matmulFlopsPerSecond(double(f16.m), double(f16.n), double(f16.k), secondsOf(f16));
  double streamBytes = 4.0 * double(dram.elements);
  d.memoryBandwidth = cost::bytesPerSecond(streamBytes, streamBytes, secondsOf(dram));
  d.launchSeconds = kernelSeconds;
  d.gemmEfficiency = std::min(1.0, flopsOf(shaped) / secondsOf(shaped) / d.peakFlopsF32);
  d.memoryEfficiency = 1;
  d.memoryBytes = memoryBytes;

  // The grids, one per dtype: times m-major over (m, n, k).
  const SuiteSizes &s = suite.sizes;
  for (rt::DType t : s.gridTypes) {
    std::vector<double> grid;
    for (const Probe &p : probes)
      if (p.role == ProbeRole::Grid && p.dtype == t)
        grid.push_back(secondsOf(p));
    rt::StatusOr<cost::GemmRateGrid> rates = cost::gemmRateGrid(s.gridM, s.gridNK, s.gridNK, grid, d.launchSeconds);
    if (!rates.isOk())
      return rt::Status(rates.status().code(), std::string("calibrate: the ") + rt::dtypeName(t) +
                                                   " grid: " + rates.status().message());
    d.gemmRates[t == proto::BF16 ? cost::MathType::BF16 : t == proto::F16 ? cost::MathType::F16 : cost::MathType::F32] =
        *rates;
  }

  // The bandwidth curve: the smaller working sets, then the DRAM pass.
  std::vector<cost::CollectiveSample> samples;
  for (const Probe &p : probes)
    if (p.role == ProbeRole::Curve)
      samples.push_back({8.0 * double(p.elements), secondsOf(p)});
  samples.push_back({2 * streamBytes, secondsOf(dram)});
  rt::StatusOr<cost::SizeCurve> curve = cost::bandwidthCurve(samples, d.launchSeconds);
  if (!curve.isOk())
    return rt::Status(curve.status().code(), "calibrate: the bandwidth curve: " + curve.status().message());
  d.bandwidthByBytes = *curve;

  // Element functions: the probe less its context's base, per element.
  double epilogueBase = secondsOf(*find(ProbeRole::EpilogueBase)), fusionBase = secondsOf(*find(ProbeRole::FusionBase));
  for (const Probe &p : probes) {
    if (p.role != ProbeRole::Function || !p.function)
      continue;
    double base = p.program == ProbeProgram::Linear    ? epilogueBase
                  : p.program == ProbeProgram::Softmax ? d.launchSeconds
                                                       : fusionBase;
    d.elementFunctionSeconds[size_t(*p.function)] =
        functionSecondsPerElement(secondsOf(p), base, p.functionElements());
  }
  return d;
}

std::string formatProbeLine(const Probe &p, double seconds) {
  std::string figure;
  if (p.program == ProbeProgram::Matmul)
    figure = "  " + fmt("%.2f GFLOP/s", flopsOf(p) / (seconds / p.copies) / 1e9);
  else if (p.program == ProbeProgram::Negate)
    figure = "  " + fmt("%.2f GB/s", 8.0 * double(p.elements) / seconds / 1e9) + " moving " +
             sizeText(8.0 * double(p.elements));
  char line[256];
  std::snprintf(line, sizeof line, "  %-30s %12.3f us%s%s\n", p.name.c_str(), 1e6 * seconds / p.copies,
                p.copies > 1 ? " per copy" : "         ", figure.c_str());
  return line;
}

std::string describeSuite(const DeviceSuite &suite) {
  const SuiteSizes &s = suite.sizes;
  std::ostringstream d;
  bool gpu = suite.target != "cpu";
  d << "Device figures from weft's own compiled programs on " << suite.target << (suite.quick ? " (quick)" : "")
    << (gpu ? ", each the median of whole runs replaying a CUDA graph less a run's own fixed cost (a run of one "
              "tiny kernel less one kernel's cost; launch_us: 64 tiny kernels in one run less one alone, per kernel)"
            : ", each its steps' median time")
    << ": peaks are achieved rates of " << s.gemmF32 << "^3 f32 and " << s.gemmNarrow
    << "^3 bf16 and f16 matmuls; gemm_efficiency the share of the f32 peak a " << s.shapedM << "x" << s.shapedK
    << " by " << s.shapedK << "x" << s.shapedN << " f32 matmul reaches; memory_gbps y = -x over "
    << sizeText(4.0 * double(s.streamElements)) << " f32, bytes read + written;"
    << (gpu ? "" : " launch_us a one-op program's run on 16 floats;") << " gemm_rates";
  for (rt::DType t : s.gridTypes)
    d << " " << rt::dtypeName(t);
  d << ": matmuls on the grid below, on cold operands (each program several copies, about "
    << sizeText(double(s.coldBytes)) << " of operands); bandwidth_by_bytes: y = -x moving each of these bytes; "
    << "element_ns: GELUs as the epilogue of a " << s.functionRows << "x" << s.functionWidth << " by "
    << s.functionWidth << "x" << s.functionWide << " linear (less the linear alone), exp as a " << s.softmaxRows
    << "x" << s.softmaxCols << " softmax, tanh and sigmoid in y = x * f(x) (less y = x * x). ";
  return d.str();
}

} // namespace weft::calibrate
