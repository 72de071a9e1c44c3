//===- MpiFaultProgram.cpp - a rank dies or hangs before a collective -----===//
//
// This file implements the program that tests/runtime/comm/mpi_fault_test.py
// runs under mpirun: `weft-mpi-fault kill|hang`. Every rank joins a warm-up
// all_reduce, then rank 1 kills itself with SIGKILL ("kill") or sleeps
// forever ("hang") while the others enter an all_reduce labelled
// "step 12 'loss'". The others fail after WEFT_COLLECTIVE_TIMEOUT_S, print the
// error (naming rank 1) and abort the job; mpirun, seeing a rank die or abort,
// ends every rank. Exit status 0 would mean the collective completed, which
// it must not.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/MpiCommunicator.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

using namespace weft::rt;

int main(int argc, char **argv) {
  if (argc != 2 || (std::strcmp(argv[1], "kill") != 0 && std::strcmp(argv[1], "hang") != 0)) {
    std::fprintf(stderr, "usage: %s kill|hang\n", argv[0]);
    return 2;
  }
  StatusOr<std::shared_ptr<MpiCommunicator>> world = MpiCommunicator::world();
  if (!world.isOk()) {
    std::fprintf(stderr, "%s\n", world.status().toString().c_str());
    return 2;
  }
  Communicator &comm = *world.value();
  float x = 1, y = 0;
  // The warm-up (MPI connects the ranks lazily) gets 60 s: a loaded machine may start them slowly.
  comm.setTimeout(std::chrono::seconds(60));
  if (Status st = comm.allReduce(&x, &y, 1, weft::proto::F32, ReduceOp::kSum, "warm-up");
      !st.isOk())
    comm.abort(st.toString());
  comm.setTimeout(Communicator::defaultCollectiveTimeout());
  if (comm.rank() == 1) {
    if (std::strcmp(argv[1], "kill") == 0)
      std::raise(SIGKILL);
    while (true)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  Status st = comm.allReduce(&x, &y, 1, weft::proto::F32, ReduceOp::kSum, "step 12 'loss'");
  if (!st.isOk())
    comm.abort(st.toString());
  std::printf("rank %d: the collective completed without rank 1\n", comm.rank());
  return 0;
}
