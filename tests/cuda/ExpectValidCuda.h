//===- ExpectValidCuda.h - what every "cuda" Executable promises -*- C++ -*-===//
//
// This file implements expectValidCudaExecutable, the check the CUDA code
// generator tests apply to everything they compile: the Executable
// validates, its cubin is an ELF for EM_CUDA and sm_90 that defines every
// function a launch names, and every kernel-call step with data launches at
// least one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_EXPECTVALIDCUDA_H
#define WEFT_TESTS_CUDA_EXPECTVALIDCUDA_H

#include "runtime/Executable.h"
#include "runtime/executable.pb.h"
#include "tests/cuda/CubinElf.h"

#include <gtest/gtest.h>

namespace weft::test {

/// Checks what the Executable promises about its cubin and launches.
inline void expectValidCudaExecutable(const proto::Executable &exe) {
  EXPECT_EQ(exe.target(), "cuda");
  rt::Status valid = rt::Executable(exe).validate();
  EXPECT_TRUE(valid.isOk()) << valid.toString();
  if (exe.kernels_size() == 0)
    return;
  std::optional<CubinInfo> cubin = readCubin(exe.kernel_library());
  ASSERT_TRUE(cubin) << "kernel_library is not an ELF64 image";
  EXPECT_EQ(cubin->machine, 190) << "e_machine is not EM_CUDA";
  EXPECT_EQ(cubin->arch, 90u) << "e_flags 0x" << std::hex << cubin->flags << " is not sm_90";
  for (const proto::Kernel &k : exe.kernels())
    for (const proto::CudaLaunch &l : k.cuda_launches())
      EXPECT_TRUE(cubin->functions.count(l.function()))
          << "kernel " << k.symbol() << " launches '" << l.function()
          << "', which the cubin does not define";
  for (const proto::Step &s : exe.steps()) {
    if (!s.has_kernel_call())
      continue;
    bool empty = true;
    for (uint32_t a : s.kernel_call().args())
      empty = empty && exe.buffers(static_cast<int>(a)).byte_size() == 0;
    const proto::Kernel &k = exe.kernels(static_cast<int>(s.kernel_call().kernel()));
    if (!empty)
      EXPECT_GT(k.cuda_launches_size(), 0) << "step '" << s.label() << "' launches nothing";
  }
}

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_EXPECTVALIDCUDA_H
