//===- CaseBundle.cpp - compiled programs with their expected results -----===//
//
// This file implements writing and running case bundles (see CaseBundle.h).
// Comparison converts every element to double (f16/bf16 by their bit
// patterns, integers exactly) and counts elements outside
// atol + rtol * |want|; NaN matches NaN.
//
//===----------------------------------------------------------------------===//

#include "tests/cuda/CaseBundle.h"
#include "runtime/Executor.h"
#include "runtime/io/Safetensors.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>

namespace weft::test {
namespace {

double halfToDouble(uint16_t h, bool bf16) {
  if (bf16) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v = exp == 0    ? std::ldexp(mant, -24)
             : exp == 31 ? (mant ? NAN : INFINITY)
                         : std::ldexp(1024 + mant, exp - 25);
  return sign ? -v : v;
}

std::vector<double> values(const rt::HostTensor &t) {
  std::vector<double> out(static_cast<size_t>(t.numElements()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype) {
    case proto::F32: out[i] = t.data<float>()[i]; break;
    case proto::F16: out[i] = halfToDouble(t.data<uint16_t>()[i], false); break;
    case proto::BF16: out[i] = halfToDouble(t.data<uint16_t>()[i], true); break;
    case proto::I32: out[i] = t.data<int32_t>()[i]; break;
    case proto::I64: out[i] = static_cast<double>(t.data<int64_t>()[i]); break;
    case proto::I1: out[i] = t.data<uint8_t>()[i]; break;
    default: out[i] = NAN; break;
    }
  }
  return out;
}

struct Comparison {
  int64_t bad = 0;
  double worstRatio = 0, maxAbs = 0;
  std::string firstBad;
};

Comparison compare(const rt::HostTensor &got, const rt::HostTensor &want, CaseTolerance tol) {
  Comparison c;
  if (got.shape != want.shape) {
    c.bad = std::max<int64_t>(1, want.numElements());
    c.worstRatio = INFINITY;
    c.firstBad = "shape " + rt::shapeString(got.shape) + " instead of " +
                 rt::shapeString(want.shape);
    return c;
  }
  std::vector<double> g = values(got), w = values(want);
  for (size_t i = 0; i < g.size(); ++i) {
    if ((std::isnan(g[i]) && std::isnan(w[i])) || g[i] == w[i])
      continue;
    double err = std::fabs(g[i] - w[i]);
    double allowed = tol.atol + tol.rtol * std::fabs(w[i]);
    c.maxAbs = std::max(c.maxAbs, std::isnan(err) ? INFINITY : err);
    double ratio = allowed > 0 ? err / allowed : INFINITY;
    if (std::isnan(ratio))
      ratio = INFINITY;
    c.worstRatio = std::max(c.worstRatio, ratio);
    if (!(err <= allowed) && c.bad++ == 0) {
      std::ostringstream os;
      os << "element " << i << ": got " << g[i] << ", want " << w[i];
      c.firstBad = os.str();
    }
  }
  return c;
}

std::string stem(const std::string &wexePath) {
  std::string s = wexePath;
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".wexe") == 0)
    s.resize(s.size() - 5);
  return s;
}

/// Binds every "param.*" (when `params`) and "input.*" tensor of `file`.
rt::Status bindValues(rt::Executor &ex, const rt::SafetensorsFile &file, bool params) {
  for (const std::string &name : file.names()) {
    bool param = name.rfind("param.", 0) == 0, input = name.rfind("input.", 0) == 0;
    if ((!param || !params) && !input)
      continue;
    rt::StatusOr<rt::HostTensor> t = file.read(name);
    if (!t.isOk())
      return t.status();
    std::string bound = name.substr(6); // after "param." or "input."
    WEFT_RETURN_IF_ERROR(param ? ex.setParameter(bound, *t) : ex.setInput(bound, *t));
  }
  return rt::Status::ok();
}

/// Loads the bundle and binds its values; the executor is ready to run.
rt::StatusOr<std::unique_ptr<rt::Executor>> prepare(const std::string &wexePath,
                                                     std::optional<rt::SafetensorsFile> &file) {
  rt::StatusOr<rt::Executable> exe = rt::Executable::load(wexePath);
  if (!exe.isOk())
    return exe.status();
  rt::StatusOr<rt::SafetensorsFile> st = rt::SafetensorsFile::open(stem(wexePath) + ".safetensors");
  if (!st.isOk())
    return st.status();
  rt::StatusOr<std::unique_ptr<rt::Executor>> ex = rt::Executor::create(std::move(*exe));
  if (!ex.isOk())
    return ex.status();
  WEFT_RETURN_IF_ERROR(bindValues(**ex, *st, /*params=*/true));
  file = std::move(st.value());
  return ex;
}

double metaDouble(const rt::SafetensorsFile &f, const std::string &key, double fallback) {
  auto it = f.metadata().find(key);
  return it == f.metadata().end() ? fallback : std::stod(it->second);
}

} // namespace

std::string casesOut() {
  const char *dir = std::getenv("WEFT_CUDA_CASES_OUT");
  if (!dir || !*dir)
    return "";
  std::filesystem::create_directories(dir);
  return dir;
}

rt::Status writeCase(const std::string &dir, const std::string &name, const rt::Executable &exe,
                     const CaseData &data) {
  WEFT_RETURN_IF_ERROR(exe.save(dir + "/" + name + ".wexe"));
  std::vector<std::pair<std::string, rt::HostTensor>> tensors;
  std::map<std::string, std::string> meta;
  for (const auto &[n, t] : data.params)
    tensors.push_back({"param." + n, t});
  for (const auto &[n, t] : data.inputs)
    tensors.push_back({"input." + n, t});
  for (size_t i = 0; i < data.want.size(); ++i) {
    tensors.push_back({"want." + std::to_string(i), data.want[i]});
    CaseTolerance tol = data.tolerances.at(i);
    std::ostringstream a, r;
    a.precision(17);
    r.precision(17);
    a << tol.atol;
    r << tol.rtol;
    meta["atol." + std::to_string(i)] = a.str();
    meta["rtol." + std::to_string(i)] = r.str();
  }
  for (size_t i = 0; i < data.cpu.size(); ++i)
    tensors.push_back({"cpu." + std::to_string(i), data.cpu[i]});
  meta["cpu_atol"] = std::to_string(data.cpuTolerance.atol);
  meta["cpu_rtol"] = std::to_string(data.cpuTolerance.rtol);
  return rt::writeSafetensors(dir + "/" + name + ".safetensors", tensors, meta);
}

CaseResult runCase(const std::string &wexePath) {
  CaseResult result;
  std::optional<rt::SafetensorsFile> file;
  rt::StatusOr<std::unique_ptr<rt::Executor>> ex = prepare(wexePath, file);
  if (!ex.isOk()) {
    result.status = ex.status();
    return result;
  }
  result.status = (*ex)->run();
  if (!result.status.isOk())
    return result;
  std::ostringstream report;
  const auto &names = file->names();
  for (size_t o = 0;; ++o) {
    std::string key = "want." + std::to_string(o);
    if (std::find(names.begin(), names.end(), key) == names.end())
      break;
    rt::StatusOr<rt::HostTensor> got = (*ex)->output(o);
    rt::StatusOr<rt::HostTensor> want = file->read(key);
    if (!got.isOk() || !want.isOk()) {
      result.status = got.isOk() ? want.status() : got.status();
      return result;
    }
    CaseTolerance tol{metaDouble(*file, "atol." + std::to_string(o), 0),
                      metaDouble(*file, "rtol." + std::to_string(o), 0)};
    Comparison c = compare(*got, *want, tol);
    result.badElements += c.bad;
    result.worstRatio = std::max(result.worstRatio, c.worstRatio);
    result.maxAbsError = std::max(result.maxAbsError, c.maxAbs);
    report << "  output " << o << " " << rt::dtypeName(got->dtype)
           << rt::shapeString(got->shape) << ": max |err| " << c.maxAbs << ", worst err/allowed "
           << c.worstRatio << " (atol " << tol.atol << ", rtol " << tol.rtol << ")";
    if (c.bad)
      report << ", " << c.bad << " elements outside, first " << c.firstBad;
    std::string cpuKey = "cpu." + std::to_string(o);
    if (std::find(names.begin(), names.end(), cpuKey) != names.end()) {
      rt::StatusOr<rt::HostTensor> cpu = file->read(cpuKey);
      if (cpu.isOk()) {
        CaseTolerance ct{metaDouble(*file, "cpu_atol", 0), metaDouble(*file, "cpu_rtol", 0)};
        Comparison cc = compare(*got, *cpu, ct);
        result.badElements += cc.bad;
        result.worstRatio = std::max(result.worstRatio, cc.worstRatio);
        report << "; vs CPU: max |err| " << cc.maxAbs << ", worst err/allowed " << cc.worstRatio;
        if (cc.bad)
          report << ", " << cc.bad << " elements outside, first " << cc.firstBad;
      }
    }
    report << "\n";
  }
  result.report = report.str();
  return result;
}

rt::StatusOr<std::vector<rt::HostTensor>> runCaseOutputs(const std::string &wexePath,
                                                         bool cudaGraphs, int runs,
                                                         bool &graphCaptured) {
  std::optional<rt::SafetensorsFile> file;
  rt::StatusOr<std::unique_ptr<rt::Executor>> ex = prepare(wexePath, file);
  if (!ex.isOk())
    return ex.status();
  (*ex)->setCudaGraphs(cudaGraphs);
  for (int i = 0; i < runs; ++i) {
    if (i > 0)
      WEFT_RETURN_IF_ERROR(bindValues(**ex, *file, /*params=*/false));
    WEFT_RETURN_IF_ERROR((*ex)->run());
  }
  graphCaptured = (*ex)->cudaGraphCaptured();
  std::vector<rt::HostTensor> outputs;
  for (size_t o = 0; o < (*ex)->executable().proto().outputs().size(); ++o) {
    rt::StatusOr<rt::HostTensor> got = (*ex)->output(o);
    if (!got.isOk())
      return got.status();
    outputs.push_back(std::move(got.value()));
  }
  return outputs;
}

rt::StatusOr<double> timeCase(const std::string &wexePath, int warmup, int iterations) {
  std::optional<rt::SafetensorsFile> file;
  rt::StatusOr<std::unique_ptr<rt::Executor>> ex = prepare(wexePath, file);
  if (!ex.isOk())
    return ex.status();
  std::vector<double> times;
  for (int i = 0; i < warmup + iterations; ++i) {
    if (i > 0)
      WEFT_RETURN_IF_ERROR(bindValues(**ex, *file, /*params=*/false));
    auto start = std::chrono::steady_clock::now();
    WEFT_RETURN_IF_ERROR((*ex)->run()); // synchronizes at the end
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                          start).count();
    if (i >= warmup)
      times.push_back(us);
  }
  std::sort(times.begin(), times.end());
  return times.empty() ? 0.0 : times[times.size() / 2];
}

} // namespace weft::test
