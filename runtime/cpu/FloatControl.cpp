//===- FloatControl.cpp - denormals flushed while programs run ------------===//
//
// This file implements FloatControl.h with the SSE control register.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/FloatControl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define WEFT_HAVE_MXCSR 1
#endif

namespace weft::rt {
namespace {
#ifdef WEFT_HAVE_MXCSR
constexpr unsigned kFlushToZero = 0x8000;      // MXCSR.FTZ: subnormal results become 0
constexpr unsigned kDenormalsAreZero = 0x0040; // MXCSR.DAZ: subnormal inputs read as 0
#endif
} // namespace

unsigned floatControl() {
#ifdef WEFT_HAVE_MXCSR
  return _mm_getcsr();
#else
  return 0;
#endif
}

void setFloatControl(unsigned control) {
#ifdef WEFT_HAVE_MXCSR
  if (_mm_getcsr() != control)
    _mm_setcsr(control);
#else
  (void)control;
#endif
}

ScopedFlushDenormals::ScopedFlushDenormals() : saved_(floatControl()) {
#ifdef WEFT_HAVE_MXCSR
  setFloatControl(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#ifdef WEFT_HAVE_MXCSR
  // Only the two modes go back: the status flags the run raised stay raised.
  const unsigned modes = kFlushToZero | kDenormalsAreZero;
  setFloatControl((floatControl() & ~modes) | (saved_ & modes));
#endif
}

} // namespace weft::rt
