//===- CpuFeaturesTest.cpp - kernels need the CPU they were built for -------===//
//
// This file implements the tests of runtime/CpuFeatures.h: a program whose
// kernels were compiled with an instruction-set feature this processor lacks
// is refused at load with the feature named (it used to fault with SIGILL in
// its first kernel), an unknown feature name is a corrupt file, and the
// features the check knows map to /proc/cpuinfo's spelling.
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuFeatures.h"

#include <gtest/gtest.h>

using namespace weft::rt;

namespace {

TEST(RuntimeCpuFeatures, MissingFeatureIsRefusedWithItsName) {
  std::vector<std::string> available = {"avx", "avx2", "fma", "sse4_2"};
  EXPECT_TRUE(checkCpuFeatures({"avx2", "fma", "sse4.2"}, available, "k.wexe").isOk());
  Status s = checkCpuFeatures({"avx2", "avx512f", "avx512bf16"}, available, "k.wexe");
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("'k.wexe' was compiled for a CPU with avx512f, avx512bf16, which this "
                             "processor lacks"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("recompile it on this machine"), std::string::npos);
}

TEST(RuntimeCpuFeatures, UnknownFeatureIsACorruptFile) {
  Status s = checkCpuFeatures({"avx9000"}, {"avx"}, "k.wexe");
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'avx9000'"), std::string::npos) << s.message();
}

TEST(RuntimeCpuFeatures, NamesMapToCpuinfoFlags) {
  EXPECT_EQ(cpuinfoFlag("sse4.2"), "sse4_2");
  EXPECT_EQ(cpuinfoFlag("avx512vnni"), "avx512_vnni");
  EXPECT_EQ(cpuinfoFlag("bmi"), "bmi1");
  EXPECT_EQ(cpuinfoFlag("nonsense"), "");
  for (const std::string &f : checkableCpuFeatures())
    EXPECT_FALSE(cpuinfoFlag(f).empty()) << f;
}

} // namespace
