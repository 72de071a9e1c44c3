//===- CpuFeatures.cpp - the x86 features CPU kernels need ----------------===//
//
// This file implements the table of checkable features (LLVM name →
// /proc/cpuinfo flag), the reading of /proc/cpuinfo, and the check.
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuFeatures.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace weft::rt {
namespace {

/// LLVM's feature name and the Linux kernel's flag for it.
const std::vector<std::pair<std::string, std::string>> &featureTable() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"sse3", "pni"},           {"ssse3", "ssse3"},
      {"sse4.1", "sse4_1"},      {"sse4.2", "sse4_2"},
      {"popcnt", "popcnt"},      {"avx", "avx"},
      {"avx2", "avx2"},          {"fma", "fma"},
      {"f16c", "f16c"},          {"bmi", "bmi1"},
      {"bmi2", "bmi2"},          {"lzcnt", "abm"},
      {"movbe", "movbe"},        {"avxvnni", "avx_vnni"},
      {"avx512f", "avx512f"},    {"avx512cd", "avx512cd"},
      {"avx512bw", "avx512bw"},  {"avx512dq", "avx512dq"},
      {"avx512vl", "avx512vl"},  {"avx512ifma", "avx512ifma"},
      {"avx512vbmi", "avx512vbmi"}, {"avx512vbmi2", "avx512_vbmi2"},
      {"avx512vnni", "avx512_vnni"}, {"avx512bitalg", "avx512_bitalg"},
      {"avx512vpopcntdq", "avx512_vpopcntdq"}, {"avx512bf16", "avx512_bf16"},
      {"avx512fp16", "avx512_fp16"}, {"gfni", "gfni"},
      {"vaes", "vaes"},          {"vpclmulqdq", "vpclmulqdq"},
      {"amx-tile", "amx_tile"},  {"amx-bf16", "amx_bf16"},
      {"amx-int8", "amx_int8"}};
  return table;
}

} // namespace

const std::vector<std::string> &checkableCpuFeatures() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto &[llvmName, flag] : featureTable())
      n.push_back(llvmName);
    return n;
  }();
  return names;
}

std::string cpuinfoFlag(const std::string &feature) {
  for (const auto &[llvmName, flag] : featureTable())
    if (llvmName == feature)
      return flag;
  return "";
}

const std::vector<std::string> &hostCpuinfoFlags() {
  static const std::vector<std::string> flags = [] {
    std::vector<std::string> out;
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) != 0)
        continue;
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string w; words >> w;)
        out.push_back(w);
      break; // the first processor's
    }
    std::sort(out.begin(), out.end());
    return out;
  }();
  return flags;
}

Status checkCpuFeatures(const std::vector<std::string> &required,
                        const std::vector<std::string> &available, const std::string &source) {
  std::string missing;
  for (const std::string &feature : required) {
    std::string flag = cpuinfoFlag(feature);
    if (flag.empty())
      return invalidArgument("'" + source + "' asks for CPU feature '" + feature +
                             "', which weft does not know; the file is corrupt or from a newer "
                             "weft");
    if (std::find(available.begin(), available.end(), flag) == available.end())
      missing += (missing.empty() ? "" : ", ") + feature;
  }
  if (missing.empty())
    return Status::ok();
  return failedPrecondition("'" + source + "' was compiled for a CPU with " + missing +
                            ", which this processor lacks (running its kernels would fault "
                            "with an illegal instruction); recompile it on this machine");
}

Status checkHostCpuFeatures(const std::vector<std::string> &required, const std::string &source) {
  if (hostCpuinfoFlags().empty())
    return Status::ok();
  return checkCpuFeatures(required, hostCpuinfoFlags(), source);
}

} // namespace weft::rt
