//===- OpPrograms.h - MLIR text of one-op test programs ---------*- C++ -*-===//
//
// This file implements the builders of the small @main functions that the
// per-op code generation tests (CPU and CUDA) compile: each op of a list
// applied once, so one compile covers a whole op family.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_OPPROGRAMS_H
#define WEFT_TESTS_COMMON_OPPROGRAMS_H

#include <cstdint>
#include <string>
#include <vector>

namespace weft::test {

/// "func.func @main(%a0: T, ...) -> (T, ...)" applying each op to its own argument.
inline std::string unaryProgram(const std::vector<std::string> &ops, const std::string &t) {
  std::string args, results, body, rets;
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string n = std::to_string(i);
    args += (i ? ", " : "") + ("%a" + n + ": " + t);
    results += (i ? ", " : "") + t;
    body += "  %r" + n + " = weft." + ops[i] + " %a" + n + " : " + t + "\n";
    rets += (i ? ", " : "") + ("%r" + n);
  }
  return "func.func @main(" + args + ") -> (" + results + ") {\n" + body + "  return " + rets +
         " : " + results + "\n}\n";
}

/// A @main of one weft.matmul_q8: x [m, k] f32, the weight i8 [k, n] ([n, k]
/// when `transposed`) and the scales [n] f32; `attrs` the op's other
/// attributes ("quantize_lhs", "outlier_threshold = 0.97 : f32", ...).
inline std::string q8Program(int64_t m, int64_t k, int64_t n, bool transposed, std::string attrs = "") {
  auto type = [](int64_t a, int64_t b, const char *et) {
    return "tensor<" + std::to_string(a) + (b ? "x" + std::to_string(b) : "") + "x" + et + ">";
  };
  std::string x = type(m, k, "f32"), w = transposed ? type(n, k, "i8") : type(k, n, "i8");
  std::string s = type(n, 0, "f32"), y = type(m, n, "f32");
  if (transposed)
    attrs += (attrs.empty() ? "" : ", ") + std::string("transpose_rhs");
  return "func.func @main(%x: " + x + ", %w: " + w + ", %s: " + s + ") -> " + y +
         " {\n  %y = weft.matmul_q8 %x, %w, %s" + (attrs.empty() ? "" : " {" + attrs + "}") + " : " + x + ", " +
         w + ", " + s + "\n  return %y : " + y + "\n}\n";
}

/// A @main negating `count` inputs of shapes [1 x 8] ... [count x 8]: `count`
/// distinct kernels (for the tests of compiling kernels in pieces).
inline std::string manyKernelsProgram(int count) {
  std::string args, types, body, values;
  for (int i = 1; i <= count; ++i) {
    std::string t = "tensor<" + std::to_string(i) + "x8xf32>", n = std::to_string(i);
    args += std::string(i > 1 ? ", " : "") + "%a" + n + ": " + t;
    types += std::string(i > 1 ? ", " : "") + t;
    body += "  %r" + n + " = weft.neg %a" + n + " : " + t + "\n";
    values += std::string(i > 1 ? ", " : "") + "%r" + n;
  }
  return "func.func @main(" + args + ") -> (" + types + ") {\n" + body + "  return " + values +
         " : " + types + "\n}\n";
}

/// A @main holding one weft.fusion that computes softmax over the last
/// dimension of an f32 tensor of `shape` (rank >= 2), as weft-fuse-elementwise
/// forms it: reduce max, broadcast, sub, exp, reduce sum, broadcast, div.
inline std::string softmaxFusionProgram(const std::vector<int64_t> &shape) {
  std::string t = "tensor<", r = "tensor<", keep, last = std::to_string(shape.size() - 1);
  for (size_t d = 0; d < shape.size(); ++d) {
    t += std::to_string(shape[d]) + "x";
    if (d + 1 < shape.size()) {
      r += std::to_string(shape[d]) + "x";
      keep += (d ? ", " : "") + std::to_string(d);
    }
  }
  t += "f32>";
  r += "f32>";
  return "func.func @main(%x: " + t + ") -> " + t + " {\n"
         "  %y = weft.fusion %x : (" + t + ") -> " + t + " {\n"
         "  ^bb0(%a: " + t + "):\n"
         "    %m = weft.reduce max %a dims = [" + last + "] : " + t + "\n"
         "    %mb = weft.broadcast %m dims = [" + keep + "] : " + r + " -> " + t + "\n"
         "    %d = weft.sub %a, %mb : " + t + "\n"
         "    %e = weft.exp %d : " + t + "\n"
         "    %s = weft.reduce sum %e dims = [" + last + "] : " + t + "\n"
         "    %sb = weft.broadcast %s dims = [" + keep + "] : " + r + " -> " + t + "\n"
         "    %p = weft.div %e, %sb : " + t + "\n"
         "    weft.yield %p : " + t + "\n"
         "  }\n  return %y : " + t + "\n}\n";
}

/// A @main applying each binary op to the same two arguments of type `t`.
inline std::string binaryProgram(const std::vector<std::string> &ops, const std::string &t) {
  std::string results, body, rets;
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string n = std::to_string(i);
    results += (i ? ", " : "") + t;
    body += "  %r" + n + " = weft." + ops[i] + " %x, %y : " + t + "\n";
    rets += (i ? ", " : "") + ("%r" + n);
  }
  return "func.func @main(%x: " + t + ", %y: " + t + ") -> (" + results + ") {\n" + body +
         "  return " + rets + " : " + results + "\n}\n";
}

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_OPPROGRAMS_H
