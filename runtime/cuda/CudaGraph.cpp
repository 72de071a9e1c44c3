//===- CudaGraph.cpp - a captured sequence of stream work -----------------===//
//
// This file implements CudaGraph. capture() begins a thread-local capture on
// the device's stream, runs the callback (which only enqueues), ends the
// capture (always, also when the callback failed, so that the stream leaves
// capture mode) and instantiates the graph. launch() replays it.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaGraph.h"

namespace weft::rt::cuda {

StatusOr<std::unique_ptr<CudaGraph>> CudaGraph::capture(CudaDevice &device,
                                                        const std::function<Status()> &enqueue) {
  const CudaDriver &d = device.driver();
  WEFT_RETURN_IF_ERROR(device.synchronize());
  WEFT_RETURN_IF_ERROR(
      d.check(d.streamBeginCapture(device.stream(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
              "cuStreamBeginCapture", "on " + device.name()));
  Status enqueued = enqueue();
  CUgraph graph = nullptr;
  Status ended = d.check(d.streamEndCapture(device.stream(), &graph), "cuStreamEndCapture",
                         "on " + device.name() +
                             " (a call in the captured work is not allowed in a CUDA graph; "
                             "set WEFT_CUDA_GRAPHS=0 to run without graphs)");
  if (!enqueued.isOk() || !ended.isOk()) {
    if (graph)
      d.graphDestroy(graph);
    return enqueued.isOk() ? ended
                           : Status(enqueued.code(), "while capturing a CUDA graph: " +
                                                         enqueued.message());
  }
  std::unique_ptr<CudaGraph> g(new CudaGraph(device));
  g->graph_ = graph;
  WEFT_RETURN_IF_ERROR(d.check(d.graphInstantiate(&g->exec_, graph, 0), "cuGraphInstantiate",
                               "on " + device.name()));
  return g;
}

CudaGraph::~CudaGraph() {
  const CudaDriver &d = device_.driver();
  if (exec_)
    d.graphExecDestroy(exec_);
  if (graph_)
    d.graphDestroy(graph_);
}

Status CudaGraph::launch() {
  const CudaDriver &d = device_.driver();
  return d.check(d.graphLaunch(exec_, device_.stream()), "cuGraphLaunch",
                 "replaying the captured step on " + device_.name());
}

} // namespace weft::rt::cuda
