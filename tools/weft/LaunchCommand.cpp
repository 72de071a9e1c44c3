//===- LaunchCommand.cpp - `weft launch` ----------------------------------===//
//
// This file implements `weft launch -n N [mpirun flags] -- weft CMD ...`: it
// starts N ranks of a program under OpenMPI's mpirun (found on PATH) with
// `-n N`, `--allow-run-as-root` when run as root and `--oversubscribe` when N
// exceeds the machine's cores, passes the flags before `--` to mpirun as
// written, replaces a leading `weft` after `--` with this binary's own path
// (/proc/self/exe, so every rank runs the same build) and returns mpirun's
// exit status.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Flags.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace weft::cli {
namespace {

constexpr const char *kLaunchHelp =
    "Runs N ranks of a weft command under mpirun (OpenMPI).\n\n"
    "Flags before --:\n"
    "  -n N        the number of ranks (also -n=N, --np N); required\n"
    "  OTHER       any other mpirun flag, passed through as written (e.g. --bind-to none)\n"
    "After --: the program and its arguments; a leading `weft` is this binary.\n"
    "As root mpirun gets --allow-run-as-root; with more ranks than cores, --oversubscribe. Each rank\n"
    "gets cores / N OpenMP and BLAS threads unless OMP_NUM_THREADS / OPENBLAS_NUM_THREADS are set.\n";

/// The first executable `name` in the directories of $PATH, or "".
std::string findOnPath(const std::string &name) {
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    std::string dir = dirs.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    pos = colon == std::string::npos ? dirs.size() + 1 : colon + 1;
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

/// This binary's path.
std::string selfPath() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    throw std::runtime_error("cannot read /proc/self/exe to find the weft binary");
  return std::string(buf, size_t(n));
}

/// The rank count of `-n N`'s value.
int64_t parseRanks(const std::string &text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw FlagError("-n: '" + text + "' is not a whole number of ranks");
  int64_t n = std::stoll(text);
  if (n < 1)
    throw FlagError("-n must be at least 1, got " + text);
  return n;
}

} // namespace

int runLaunch(int argc, char **argv) {
  int64_t ranks = 0;
  std::vector<std::string> mpiFlags, program;
  bool sawDashes = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (sawDashes) {
      program.push_back(arg);
    } else if (arg == "--") {
      sawDashes = true;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s\n%s", kLaunchUsage, kLaunchHelp);
      return 0;
    } else if (arg == "-n" || arg == "-np" || arg == "--np") {
      if (i + 1 >= argc)
        throw FlagError(arg + " needs a value (the number of ranks)");
      ranks = parseRanks(argv[++i]);
    } else if (arg.rfind("-n=", 0) == 0 || arg.rfind("--np=", 0) == 0) {
      ranks = parseRanks(arg.substr(arg.find('=') + 1));
    } else {
      mpiFlags.push_back(arg);
    }
  }
  if (!sawDashes)
    throw FlagError("missing `--` before the program to launch (weft launch -n 2 -- weft train ...)");
  if (program.empty())
    throw FlagError("nothing to launch after `--`; name the program, e.g. -- weft train gpt2 ...");
  if (ranks == 0)
    throw FlagError("-n N is required (the number of ranks)");
  std::string mpirun = findOnPath("mpirun");
  if (mpirun.empty())
    throw std::runtime_error("mpirun is not on PATH; install OpenMPI (apt-get install openmpi-bin) "
                             "or add its bin directory to PATH");
  if (program[0] == "weft")
    program[0] = selfPath();

  std::vector<std::string> cmd{mpirun, "-n", std::to_string(ranks)};
  if (::geteuid() == 0)
    cmd.push_back("--allow-run-as-root");
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cores > 0 && ranks > cores)
    cmd.push_back("--oversubscribe");
  // The cores are shared among the ranks: each rank's OpenMP kernels and
  // BLAS get cores / N threads (at least 1) unless the caller chose.
  const std::string threads = std::to_string(std::max<long>(1, cores > 0 ? cores / long(ranks) : 1));
  for (const char *var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"})
    if (!std::getenv(var)) {
      ::setenv(var, threads.c_str(), 0);
      cmd.insert(cmd.end(), {"-x", var});
    }
  cmd.insert(cmd.end(), mpiFlags.begin(), mpiFlags.end());
  cmd.insert(cmd.end(), program.begin(), program.end());

  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string("cannot start mpirun: ") + std::strerror(errno));
  if (pid == 0) {
    std::vector<char *> args;
    for (std::string &s : cmd)
      args.push_back(s.data());
    args.push_back(nullptr);
    ::execv(cmd[0].c_str(), args.data());
    std::fprintf(stderr, "weft launch: error: cannot run %s: %s\n", cmd[0].c_str(),
                 std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw std::runtime_error(std::string("waiting for mpirun: ") + std::strerror(errno));
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace weft::cli
