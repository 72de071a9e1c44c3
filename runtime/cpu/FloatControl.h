//===- FloatControl.h - denormals flushed while programs run ----*- C++ -*-===//
//
// This file declares how the runtime treats subnormal (denormal) floats on
// the CPU: while an Executor runs a program, the calling thread flushes
// subnormal results to zero and reads subnormal inputs as zero (x86's MXCSR
// FTZ and DAZ bits), as XLA's CPU runtime does. A subnormal operand takes a
// microcode assist of ~100 cycles per element: an AdamW update whose moments
// decay towards the subnormal range ran 7-10x slower than its memory traffic
// (GPT-2 124M's tied embedding table: 700-900 ms instead of 80-120 ms per
// step). The OpenMP pool the kernels run on copies the calling thread's MXCSR
// into its workers at every parallel region (libomp's inherited FP control);
// the runtime's own WorkerPool does the same (floatControl / setFloatControl).
// The caller's modes are restored when the run ends. Elsewhere than x86 this
// does nothing.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPU_FLOATCONTROL_H
#define WEFT_RUNTIME_CPU_FLOATCONTROL_H

namespace weft::rt {

/// The calling thread's floating-point control word (x86: MXCSR; else 0).
unsigned floatControl();

/// Sets the calling thread's control word (from floatControl()).
void setFloatControl(unsigned control);

/// Flush-to-zero and denormals-are-zero on the calling thread for the
/// object's lifetime (then the caller's two modes again; the status flags
/// raised meanwhile are kept).
class ScopedFlushDenormals {
public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals &) = delete;
  ScopedFlushDenormals &operator=(const ScopedFlushDenormals &) = delete;

private:
  unsigned saved_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPU_FLOATCONTROL_H
