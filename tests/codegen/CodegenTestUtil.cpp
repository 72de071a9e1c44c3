//===- CodegenTestUtil.cpp - compile, run and compare weft programs -------===//
//
// This file implements the CPU code generator test fixture declared in
// CodegenTestUtil.h: conversions between the evaluator's double tensors and
// the runtime's HostTensors, and the compile-run-compare check.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

#include "ir/AttrNames.h"

#include <cstring>

namespace weft::test {

using llvm::APFloat;

proto::DType dtypeOf(mlir::Type t) {
  if (t.isF32()) return proto::F32;
  if (t.isF16()) return proto::F16;
  if (t.isBF16()) return proto::BF16;
  if (t.isInteger(32)) return proto::I32;
  if (t.isInteger(64)) return proto::I64;
  if (t.isInteger(1)) return proto::I1;
  if (t.isInteger(8)) return proto::I8;
  ADD_FAILURE() << "no buffer dtype for this element type";
  return proto::DTYPE_INVALID;
}

namespace {

uint16_t narrowBits(double v, const llvm::fltSemantics &sem) {
  APFloat f(v);
  bool lost;
  f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

double wideValue(uint16_t bits, const llvm::fltSemantics &sem) {
  APFloat f(sem, llvm::APInt(16, bits));
  bool lost;
  f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToDouble();
}

} // namespace

rt::HostTensor toHost(const RefTensor &ref, mlir::RankedTensorType t) {
  rt::HostTensor h(dtypeOf(t.getElementType()), ref.shape);
  for (size_t i = 0; i < ref.data.size(); ++i) {
    double v = ref.data[i];
    switch (h.dtype) {
    case proto::F32: h.data<float>()[i] = static_cast<float>(v); break;
    case proto::F16: h.data<uint16_t>()[i] = narrowBits(v, APFloat::IEEEhalf()); break;
    case proto::BF16: h.data<uint16_t>()[i] = narrowBits(v, APFloat::BFloat()); break;
    case proto::I32: h.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case proto::I64: h.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case proto::I1: h.data<uint8_t>()[i] = v != 0 ? 1 : 0; break;
    case proto::I8: h.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    default: break;
    }
  }
  return h;
}

std::vector<double> fromHost(const rt::HostTensor &h) {
  std::vector<double> out(h.numElements());
  for (size_t i = 0; i < out.size(); ++i) {
    switch (h.dtype) {
    case proto::F32: out[i] = h.data<float>()[i]; break;
    case proto::F16: out[i] = wideValue(h.data<uint16_t>()[i], APFloat::IEEEhalf()); break;
    case proto::BF16: out[i] = wideValue(h.data<uint16_t>()[i], APFloat::BFloat()); break;
    case proto::I32: out[i] = h.data<int32_t>()[i]; break;
    case proto::I64: out[i] = static_cast<double>(h.data<int64_t>()[i]); break;
    case proto::I1: out[i] = h.data<uint8_t>()[i]; break;
    case proto::I8: out[i] = h.data<int8_t>()[i]; break;
    default: break;
    }
  }
  return out;
}

CodegenTest::CodegenTest() {
  ctx.loadDialect<WeftDialect, mlir::func::FuncDialect>();
}

mlir::OwningOpRef<mlir::ModuleOp> CodegenTest::parse(const std::string &src) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  auto module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx, "test.mlir");
  if (!module)
    ADD_FAILURE() << "cannot parse:\n" << src << "\n" << diagnostics;
  return module;
}

std::optional<proto::Executable> CodegenTest::compile(mlir::ModuleOp module,
                                                      const codegen::CpuCodegenOptions &options,
                                                      std::string *diagnostics) {
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    messages += d.str() + "\n";
    return mlir::success();
  });
  mlir::FailureOr<proto::Executable> exe = codegen::compileForCpu(module, options);
  if (diagnostics)
    *diagnostics = messages;
  if (mlir::failed(exe))
    return std::nullopt;
  return std::move(*exe);
}

std::vector<RefTensor> randomArguments(mlir::func::FuncOp main, uint64_t seed,
                                       const std::vector<Range> &ranges, uint64_t seedStride) {
  std::vector<RefTensor> args;
  for (auto [i, type] : llvm::enumerate(main.getArgumentTypes())) {
    Range r = i < ranges.size() ? ranges[i] : Range{};
    args.push_back(randomTensor(mlir::cast<mlir::RankedTensorType>(type), seed * seedStride + i,
                                r.lo, r.hi));
  }
  return args;
}

void CodegenTest::check(const std::string &src, uint64_t seed,
                        const std::vector<Tolerance> &tols,
                        const std::vector<Range> &ranges,
                        const codegen::CpuCodegenOptions &options) {
  SCOPED_TRACE(src);
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
  ASSERT_TRUE(module);
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  ASSERT_TRUE(main);

  std::vector<RefTensor> args = randomArguments(main, seed, ranges);
  std::vector<RefTensor> want = evaluate(main, args);

  if (beforeCompile)
    beforeCompile(*module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, options, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  auto executor = rt::Executor::create(rt::Executable(std::move(*exe)));
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  rt::Executor &ex = **executor;
  for (auto [i, type] : llvm::enumerate(main.getArgumentTypes())) {
    auto tt = mlir::cast<mlir::RankedTensorType>(type);
    std::string name = "arg" + std::to_string(i);
    if (auto tag = main.getArgAttrOfType<mlir::StringAttr>(i, kInputAttr))
      name = tag.str();
    if (auto tag = main.getArgAttrOfType<mlir::StringAttr>(i, kParamAttr)) {
      ASSERT_TRUE(ex.setParameter(tag.str(), toHost(args[i], tt)).isOk());
      continue;
    }
    rt::Status s = ex.setInput(name, toHost(args[i], tt));
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  rt::Status s = ex.run();
  ASSERT_TRUE(s.isOk()) << s.toString();

  for (size_t o = 0; o < want.size(); ++o) {
    auto out = ex.output(o);
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    auto type = mlir::cast<mlir::RankedTensorType>(main.getResultTypes()[o]);
    ASSERT_EQ(out->shape, want[o].shape) << "output " << o;
    std::vector<double> got = fromHost(*out);
    Tolerance tol = tols.size() == 1 ? tols[0] : tols.at(o);
    double rtol = std::max(tol.rtol, 2 * unitRoundoff(type.getElementType()));
    int reported = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      double w = want[o].data[i], g = got[i];
      bool same = (std::isnan(w) && std::isnan(g)) || w == g ||
                  std::fabs(g - w) <= tol.atol + rtol * std::fabs(w);
      if (!same && reported++ < 5)
        ADD_FAILURE() << "output " << o << " element " << i << ": got " << g << ", want " << w
                      << " (atol " << tol.atol << ", rtol " << rtol << ")";
    }
  }
}

} // namespace weft::test
