//===- CudaTestSupport.h - shared checks of the CUDA codegen tests -*- C++ -*-===//
//
// This file implements what the CUDA code generator tests share:
// expectValidCudaExecutable, the check applied to everything they compile
// (the Executable validates, its cubin is an ELF for EM_CUDA and sm_90 that
// defines every function a launch names, every kernel-call step with data
// launches at least one kernel); checkBundleWhereGpu, which writes a case
// bundle when WEFT_CUDA_CASES_OUT is set and runs it when a GPU is present.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_CUDATESTSUPPORT_H
#define WEFT_TESTS_CUDA_CUDATESTSUPPORT_H

#include "runtime/Executable.h"
#include "runtime/Executor.h"
#include "runtime/executable.pb.h"
#include "tests/cuda/CaseBundle.h"
#include "tests/common/Gpt2TestModels.h"
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

/// Writes `exe` and `data` as bundle `name` under WEFT_CUDA_CASES_OUT (when
/// set); then, where a GPU is present, runs the bundle and expects every
/// output within its tolerance. Without a GPU, creating an Executor must
/// fail UNAVAILABLE.
inline void checkBundleWhereGpu(const std::string &name, const rt::Executable &exe,
                                const CaseData &data) {
  std::string dir = casesOut(), bundle;
  if (!dir.empty()) {
    rt::Status written = writeCase(dir, name, exe, data);
    ASSERT_TRUE(written.isOk()) << written.toString();
    bundle = dir + "/" + name + ".wexe";
  }
  auto gpu = rt::Executor::create(exe);
  if (!gpu.isOk()) {
    EXPECT_EQ(gpu.status().code(), rt::StatusCode::kUnavailable) << gpu.status().toString();
    EXPECT_NE(gpu.status().message().find("targets cuda"), std::string::npos)
        << gpu.status().message();
    return;
  }
  if (!bundle.empty()) {
    CaseResult r = runCase(bundle);
    ASSERT_TRUE(r.status.isOk()) << r.status.toString();
    EXPECT_EQ(r.badElements, 0) << r.report;
  }
}

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_CUDATESTSUPPORT_H
