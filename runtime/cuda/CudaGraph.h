//===- CudaGraph.h - a captured sequence of stream work ---------*- C++ -*-===//
//
// This file implements the declaration of CudaGraph: the work a callback
// enqueues on a CudaDevice's stream (kernel launches, cuBLASLt GEMMs, copies)
// captured once with cuStreamBeginCapture/cuStreamEndCapture, instantiated
// with cuGraphInstantiate and replayed with one cuGraphLaunch, which takes the
// per-launch CPU overhead off the critical path. The captured work keeps the
// device addresses and kernel arguments it was captured with. Included only by
// runtime/cuda/*.cpp (it includes <cuda.h>).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUDAGRAPH_H
#define WEFT_RUNTIME_CUDA_CUDAGRAPH_H

#include "runtime/cuda/CudaDevice.h"

#include <functional>
#include <memory>

namespace weft::rt::cuda {

/// An instantiated CUDA graph of one device's stream work. Not thread-safe.
class CudaGraph {
public:
  /// Captures what `enqueue` puts on `device`'s stream (nothing runs during
  /// the capture) and instantiates it. When `enqueue` fails, the capture is
  /// ended and discarded and its Status is returned; a failing driver call is
  /// named in the Status ("cuStreamBeginCapture failed: ...").
  static StatusOr<std::unique_ptr<CudaGraph>> capture(CudaDevice &device,
                                                      const std::function<Status()> &enqueue);
  ~CudaGraph();

  /// Enqueues one replay on the device's stream (cuGraphLaunch; not waited for).
  Status launch();

private:
  explicit CudaGraph(CudaDevice &device) : device_(device) {}

  CudaDevice &device_;
  CUgraph graph_ = nullptr;
  CUgraphExec exec_ = nullptr;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_CUDAGRAPH_H
