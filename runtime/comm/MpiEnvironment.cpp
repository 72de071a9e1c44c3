//===- MpiEnvironment.cpp - MPI initialized once per process --------------===//
//
// This file implements MpiEnvironment: MPI_Init_thread once, MPI_Finalize at
// exit when weft started MPI, and the detection of mpirun.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/MpiEnvironment.h"

#include <mpi.h>

#include <cstdlib>
#include <mutex>

namespace weft::rt {

namespace {
std::mutex mu;
bool startedByWeft = false;
} // namespace

Status MpiEnvironment::initialize() {
  std::lock_guard<std::mutex> lock(mu);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized)
    return unavailable("mpi: MPI was finalized already in this process; it cannot start again");
  if (initialized)
    return Status::ok();
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return unavailable("mpi: MPI_Init_thread failed; is OpenMPI installed and the job started "
                       "with mpirun?");
  startedByWeft = true;
  std::atexit(&MpiEnvironment::finalize);
  return Status::ok();
}

void MpiEnvironment::finalize() {
  std::lock_guard<std::mutex> lock(mu);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (startedByWeft && !finalized)
    MPI_Finalize();
  startedByWeft = false;
}

int64_t MpiEnvironment::worldSizeFromEnvironment() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"})
    if (const char *v = std::getenv(name))
      if (long long n = std::atoll(v); n > 0)
        return n;
  return 1;
}

int MpiEnvironment::localRankFromEnvironment() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char *v = std::getenv(name)) {
      char *end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (end != v && *end == '\0' && n >= 0)
        return static_cast<int>(n);
    }
  return -1;
}

bool MpiEnvironment::underMpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

} // namespace weft::rt
