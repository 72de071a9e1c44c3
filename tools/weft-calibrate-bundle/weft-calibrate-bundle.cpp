//===- weft-calibrate-bundle.cpp - measure a device from a suite bundle ---===//
//
// This file implements weft-calibrate-bundle, the runtime-only half of `weft
// calibrate` (no compiler, no MLIR, no LLVM: it runs where only the runtime
// and a device are, e.g. a GPU machine without weft's build): it reads a
// suite bundle (`weft calibrate --target cuda --export DIR` writes one;
// calibrate/SuiteBundle.h), times each program on the device of the bundle's
// target, prints every probe's median and the figure it gives, and writes the
// cluster description (temporary file + rename) for `--device-kind FILE`.
//
//   weft-calibrate-bundle DIR [-o FILE.json] [--name NAME]
//
// Errors (no GPU, a corrupt bundle, an unwritable output) print one line
// naming the cause and exit with status 1; a bad command line exits 2.
//
//===----------------------------------------------------------------------===//

#include "calibrate/MeasureDevice.h"
#include "calibrate/SuiteBundle.h"
#include "tools/weft/Flags.h"

#include <chrono>
#include <cstdio>

using namespace weft;

namespace {

int fail(const rt::Status &st) {
  std::fprintf(stderr, "weft-calibrate-bundle: %s\n", st.message().c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir, out = "cluster.json", name;
  cli::FlagSet flags("weft-calibrate-bundle", "weft-calibrate-bundle DIR [-o FILE.json] [--name NAME]",
                     "Times a device suite compiled elsewhere (`weft calibrate --target cuda --export DIR`) on this "
                     "machine's device and writes its cluster description for --device-kind FILE.");
  flags.addPositional("DIR", "the suite bundle", &dir);
  flags.addString("o", "FILE.json", "where the description goes", &out);
  flags.addString("name", "NAME", "the description's name (default: the shipped one it extends, + \"-measured\")",
                  &name);
  try {
    if (!flags.parseOrHelp(argc, argv))
      return 0;
    if (dir.empty())
      throw cli::FlagError("give the suite bundle's folder (DIR)");
  } catch (const cli::FlagError &e) {
    std::fprintf(stderr, "weft-calibrate-bundle: %s\n", e.what());
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  rt::Status writable = calibrate::checkDescriptionWritable(out);
  if (!writable.isOk())
    return fail(writable);
  rt::StatusOr<calibrate::SuiteBundle> bundle = calibrate::readSuiteBundle(dir);
  if (!bundle.isOk())
    return fail(bundle.status());
  rt::StatusOr<calibrate::DeviceMeasurement> measured =
      calibrate::measureDevice(bundle->suite, std::move(bundle->executables), name, stdout);
  if (!measured.isOk())
    return fail(measured.status());
  if (name.empty())
    measured->spec.name = measured->base + "-measured";
  rt::Status written = cost::writeClusterSpec(measured->spec, out);
  if (!written.isOk())
    return fail(written);
  std::printf("wrote %s (%.1f s); use it with --device-kind %s\n", out.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), out.c_str());
  return 0;
}
