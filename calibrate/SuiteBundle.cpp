//===- SuiteBundle.cpp - a device suite compiled for another machine ------===//
//
// This file implements the suite bundle's writer and reader (SuiteBundle.h).
//
//===----------------------------------------------------------------------===//

#include "calibrate/SuiteBundle.h"

#include "runtime/FileUtil.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <system_error>
#include <unistd.h>

namespace weft::calibrate {
namespace {

namespace fs = std::filesystem;
constexpr const char *kFormat = "weft-device-suite";
constexpr int kVersion = 1;

std::string manifestOf(const DeviceSuite &suite) {
  nlohmann::json probes = nlohmann::json::array();
  for (const Probe &p : suite.probes)
    probes.push_back(p.name);
  nlohmann::json j = {{"format", kFormat}, {"version", kVersion}, {"target", suite.target},
                      {"quick", suite.quick}, {"probes", probes}};
  return j.dump(1) + "\n";
}

rt::Status fsError(const std::error_code &ec, const std::string &what, const std::string &path) {
  return rt::errnoStatus(ec.value(), what, path);
}

} // namespace

rt::Status writeSuiteBundle(const DeviceSuite &suite, const std::vector<rt::Executable> &executables,
                            const std::string &dir) {
  if (executables.size() != suite.probes.size())
    return rt::invalidArgument("suite bundle '" + dir + "': " + std::to_string(executables.size()) +
                               " programs for " + std::to_string(suite.probes.size()) + " probes");
  for (size_t i = 0; i < executables.size(); ++i)
    if (executables[i].proto().target() != suite.target)
      return rt::invalidArgument("suite bundle '" + dir + "': probe '" + suite.probes[i].name +
                                 "' is compiled for '" + executables[i].proto().target() + "', the suite for '" +
                                 suite.target + "'");
  std::error_code ec;
  fs::path target(dir);
  if (!target.has_filename()) // "DIR/"
    target = target.parent_path();
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec))
      return rt::invalidArgument("suite bundle '" + dir + "': it exists and is not a folder");
    if (!fs::exists(target / "suite.json", ec) && !fs::is_empty(target, ec))
      return rt::failedPrecondition("suite bundle '" + dir +
                                    "': the folder is not empty and holds no suite.json; refusing to replace it");
  }
  fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec))
    return rt::notFound("suite bundle '" + dir + "': the folder '" + parent.string() + "' does not exist");
  fs::path staging = parent / (target.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec))
    return fsError(ec, "cannot create the suite bundle's staging folder", staging.string());
  auto fail = [&](rt::Status st) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return st;
  };
  for (size_t i = 0; i < executables.size(); ++i) {
    rt::Status st = executables[i].save((staging / (suite.probes[i].name + ".wexe")).string());
    if (!st.isOk())
      return fail(st);
  }
  std::string manifest = manifestOf(suite);
  rt::Status st = rt::writeFileAtomically((staging / "suite.json").string(), {manifest});
  if (!st.isOk())
    return fail(st);
  fs::path old = parent / (target.filename().string() + ".old-" + std::to_string(::getpid()));
  if (fs::exists(target, ec)) {
    fs::rename(target, old, ec);
    if (ec)
      return fail(fsError(ec, "cannot move the older suite bundle aside", target.string()));
  }
  fs::rename(staging, target, ec);
  if (ec) {
    std::error_code ignored;
    if (fs::exists(old, ignored))
      fs::rename(old, target, ignored);
    return fail(fsError(ec, "cannot move the suite bundle into place", target.string()));
  }
  fs::remove_all(old, ec);
  return rt::Status::ok();
}

rt::StatusOr<SuiteBundle> readSuiteBundle(const std::string &dir) {
  fs::path root(dir);
  std::string manifestPath = (root / "suite.json").string();
  std::vector<uint8_t> bytes;
  rt::Status st = rt::readWholeFile(manifestPath, bytes);
  if (!st.isOk())
    return rt::Status(st.code(), "suite bundle '" + dir + "': " + st.message() +
                                     (st.code() == rt::StatusCode::kNotFound
                                          ? " (write one with `weft calibrate --target cuda --export DIR`)"
                                          : ""));
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string &why) { return rt::invalidArgument(manifestPath + ": " + why); };
  if (j.is_discarded() || !j.is_object())
    return bad("not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat)
    return bad(std::string("\"format\" is not \"") + kFormat + "\"");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kVersion)
    return bad("\"version\" must be " + std::to_string(kVersion) + " (the bundle comes from another weft; export "
               "it again)");
  if (!j.contains("target") || !j["target"].is_string())
    return bad("\"target\" must be a string");
  if (!j.contains("quick") || !j["quick"].is_boolean())
    return bad("\"quick\" must be true or false");
  if (!j.contains("probes") || !j["probes"].is_array())
    return bad("\"probes\" must be an array of names");
  rt::StatusOr<DeviceSuite> suite = deviceSuite(j["target"].get<std::string>(), j["quick"].get<bool>());
  if (!suite.isOk())
    return bad(suite.status().message());
  const nlohmann::json &names = j["probes"];
  bool same = names.size() == suite->probes.size();
  for (size_t i = 0; same && i < names.size(); ++i)
    same = names[i].is_string() && names[i].get<std::string>() == suite->probes[i].name;
  if (!same)
    return bad("its " + std::to_string(names.size()) + " probes are not this weft's device suite for " +
               suite->target + " (" + std::to_string(suite->probes.size()) +
               " probes); export the bundle again with this weft");
  SuiteBundle bundle{std::move(*suite), {}};
  for (const Probe &p : bundle.suite.probes) {
    std::string path = (root / (p.name + ".wexe")).string();
    rt::StatusOr<rt::Executable> exe = rt::Executable::load(path);
    if (!exe.isOk())
      return rt::Status(exe.status().code(), "suite bundle '" + dir + "', probe '" + p.name +
                                                 "': " + exe.status().message());
    if (exe->proto().target() != bundle.suite.target)
      return rt::invalidArgument(path + ": compiled for '" + exe->proto().target() + "', the bundle is for '" +
                                 bundle.suite.target + "'");
    bundle.executables.push_back(std::move(*exe));
  }
  return bundle;
}

} // namespace weft::calibrate
