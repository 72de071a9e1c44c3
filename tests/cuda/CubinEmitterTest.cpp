//===- CubinEmitterTest.cpp - one cubin from pieces compiled in parallel --===//
//
// This file tests how the CUDA code generator turns its gpu.module into one
// cubin (codegen/cuda/CubinEmitter.cpp) where no GPU is needed: with threads,
// a program of many kernels is serialized in pieces and linked by nvlink (the
// cubin then has nvlink's ".nv.rel.action" section) and defines exactly the
// functions the single-piece cubin of the same program defines, both valid
// sm_90 images; a failing nvlink is a located error with its output.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaCodegen.h"
#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"
#include "tests/cuda/CudaTestSupport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <fstream>

namespace weft::test {
namespace {

class CubinEmitterTest : public CodegenTest {
protected:
  std::optional<proto::Executable> compileCuda(const codegen::CudaCodegenOptions &options,
                                               std::string &messages) {
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(manyKernelsProgram(24));
    if (!module)
      return std::nullopt;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      messages += d.str() + "\n";
      return mlir::success();
    });
    mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, options);
    if (mlir::failed(exe))
      return std::nullopt;
    return std::move(*exe);
  }
};

TEST_F(CubinEmitterTest, PiecesLinkedByNvlinkDefineEveryKernel) {
  std::string messages;
  std::optional<proto::Executable> linked = compileCuda({}, messages);
  ASSERT_TRUE(linked) << messages;
  expectValidCudaExecutable(*linked);
  ASSERT_EQ(linked->kernels_size(), 24);

  ctx.disableMultithreading();
  std::optional<proto::Executable> single = compileCuda({}, messages);
  ctx.enableMultithreading();
  ASSERT_TRUE(single) << messages;
  expectValidCudaExecutable(*single);

  std::optional<CubinInfo> a = readCubin(linked->kernel_library());
  std::optional<CubinInfo> b = readCubin(single->kernel_library());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->functions, b->functions);
  EXPECT_EQ(b->sections.count(".nv.rel.action"), 0u) << "one piece: ptxas writes the cubin";
  if (ctx.getNumThreads() >= 2)
    EXPECT_EQ(a->sections.count(".nv.rel.action"), 1u) << "pieces: nvlink wrote the cubin";
}

TEST_F(CubinEmitterTest, FailingNvlinkIsReported) {
  if (ctx.getNumThreads() < 2)
    GTEST_SKIP() << "one thread: the kernels are one piece and nvlink does not run";
  // A toolkit whose ptxas and libdevice are the real ones and whose nvlink fails.
  llvm::SmallString<128> root;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("weft-fake-cuda", root));
  llvm::SmallString<128> bin(root), nvvm(root);
  llvm::sys::path::append(bin, "bin");
  llvm::sys::path::append(nvvm, "nvvm");
  ASSERT_FALSE(llvm::sys::fs::create_directories(bin));
  ASSERT_FALSE(llvm::sys::fs::create_link("/usr/local/cuda/nvvm", nvvm));
  ASSERT_FALSE(llvm::sys::fs::create_link("/usr/local/cuda/bin/ptxas", bin + "/ptxas"));
  std::string nvlink = (bin + "/nvlink").str();
  {
    std::ofstream script(nvlink);
    script << "#!/bin/sh\necho 'nvlink fatal : cannot link (test)' >&2\nexit 3\n";
  }
  ASSERT_FALSE(llvm::sys::fs::setPermissions(nvlink, llvm::sys::fs::all_exe |
                                                         llvm::sys::fs::owner_read |
                                                         llvm::sys::fs::owner_write));
  codegen::CudaCodegenOptions options;
  options.toolkitPath = root.str().str();
  std::string messages;
  EXPECT_FALSE(compileCuda(options, messages));
  EXPECT_NE(messages.find("nvlink failed (exit code 3)"), std::string::npos) << messages;
  EXPECT_NE(messages.find("cannot link (test)"), std::string::npos) << messages;
  llvm::sys::fs::remove_directories(root);
}

} // namespace
} // namespace weft::test
