//===- RandomGraph.cpp - random weft functions for the planner tests ------===//
//
// This file implements makeRandomGraph: it grows a pool of SSA values from
// random inputs, each new op taking operands from the pool (recent values more
// often, so that chains and long-lived values both occur), and returns a few
// random values (op results, reshapes, inputs or constants).
//
//===----------------------------------------------------------------------===//

#include "tests/passes/memory/RandomGraph.h"

#include <random>
#include <sstream>
#include <vector>

namespace weft::testing {
namespace {

struct Val {
  std::string name;
  std::vector<int64_t> shape;
  std::string element; // "f32", "bf16", "i1"
};

std::string typeOf(const std::vector<int64_t> &shape, const std::string &e) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + e + ">";
}
std::string typeOf(const Val &v) { return typeOf(v.shape, v.element); }

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

class Generator {
public:
  explicit Generator(unsigned seed) : rng(seed) {}

  std::string run(int numOps) {
    int numInputs = pick(1, 3);
    for (int i = 0; i < numInputs; ++i) {
      Val v{"%in" + std::to_string(i), randomShape(), "f32"};
      args.push_back(v.name + ": " + typeOf(v) + " {weft.input = \"in" +
                     std::to_string(i) + "\"}");
      pool.push_back(v);
    }
    while (emitted < numOps)
      step();
    std::vector<Val> outputs;
    int numOutputs = pick(1, 3);
    for (int i = 0; i < numOutputs; ++i)
      outputs.push_back(pool[pick(0, pool.size() - 1)]);
    std::ostringstream os;
    os << "func.func @main(";
    for (size_t i = 0; i < args.size(); ++i)
      os << (i ? ", " : "") << args[i];
    os << ") -> (";
    for (size_t i = 0; i < outputs.size(); ++i)
      os << (i ? ", " : "") << typeOf(outputs[i]);
    os << ") {\n" << body.str() << "  return ";
    for (size_t i = 0; i < outputs.size(); ++i)
      os << (i ? ", " : "") << outputs[i].name;
    os << " : ";
    for (size_t i = 0; i < outputs.size(); ++i)
      os << (i ? ", " : "") << typeOf(outputs[i]);
    os << "\n}\n";
    return os.str();
  }

private:
  int pick(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  }

  std::vector<int64_t> randomShape() {
    static const int64_t dims[] = {1, 2, 3, 4, 5, 8, 16, 24, 32, 64};
    std::vector<int64_t> shape(pick(1, 3));
    for (int64_t &d : shape)
      d = dims[pick(0, 9)];
    return shape;
  }

  /// A value of element type `element` (and rank `rank` when >= 0), recent
  /// ones more likely; nullptr when the pool has none.
  const Val *operand(const std::string &element, int rank = -1) {
    std::vector<size_t> fits;
    for (size_t i = 0; i < pool.size(); ++i)
      if (pool[i].element == element &&
          (rank < 0 || (int)pool[i].shape.size() == rank))
        fits.push_back(i);
    if (fits.empty())
      return nullptr;
    size_t n = fits.size();
    size_t k = pick(0, 9) < 7 ? n - 1 - pick(0, std::min<int>(3, n - 1))
                              : pick(0, n - 1);
    return &pool[fits[k]];
  }

  /// Another f32 value with `v`'s shape, or `v` itself.
  Val sameShape(const Val &v) {
    std::vector<size_t> fits;
    for (size_t i = 0; i < pool.size(); ++i)
      if (pool[i].element == v.element && pool[i].shape == v.shape)
        fits.push_back(i);
    return pool[fits[pick(0, fits.size() - 1)]];
  }

  Val fresh(std::vector<int64_t> shape, std::string element) {
    return {"%v" + std::to_string(counter++), std::move(shape),
            std::move(element)};
  }

  void define(const Val &v, const std::string &text) {
    body << "  " << v.name << " = " << text << "\n";
    pool.push_back(v);
    ++emitted;
  }

  std::string param(const std::vector<int64_t> &shape) {
    std::string name = "%p" + std::to_string(params++);
    args.push_back(name + ": " + typeOf(shape, "f32") + " {weft.param = \"p" +
                   std::to_string(params - 1) + "\"}");
    return name;
  }

  void step() {
    Val a = *operand("f32");
    switch (pick(0, 11)) {
    case 0:
    case 1: {
      static const char *ops[] = {"exp", "tanh", "neg", "relu", "gelu_tanh"};
      Val r = fresh(a.shape, "f32");
      define(r, std::string("weft.") + ops[pick(0, 4)] + " " + a.name + " : " +
                    typeOf(a));
      return;
    }
    case 2:
    case 3: {
      static const char *ops[] = {"add", "mul", "sub", "max"};
      Val b = sameShape(a);
      Val r = fresh(a.shape, "f32");
      define(r, std::string("weft.") + ops[pick(0, 3)] + " " + a.name + ", " +
                    b.name + " : " + typeOf(a));
      return;
    }
    case 4: {
      const Val *lhs = operand("f32", 2);
      if (!lhs)
        return;
      int64_t m = lhs->shape[0], k = lhs->shape[1];
      std::string rhs;
      std::vector<int64_t> rhsShape;
      for (const Val &v : pool)
        if (v.element == "f32" && v.shape.size() == 2 && v.shape[0] == k &&
            pick(0, 1)) {
          rhs = v.name;
          rhsShape = v.shape;
        }
      if (rhs.empty()) {
        rhsShape = {k, randomShape()[0]};
        rhs = param(rhsShape);
      }
      Val r = fresh({m, rhsShape[1]}, "f32");
      define(r, "weft.matmul " + lhs->name + ", " + rhs + " : " + typeOf(*lhs) +
                    ", " + typeOf(rhsShape, "f32"));
      return;
    }
    case 5: {
      if (a.shape.empty())
        return;
      int dim = pick(0, a.shape.size() - 1);
      std::vector<int64_t> shape = a.shape;
      shape.erase(shape.begin() + dim);
      Val r = fresh(shape, "f32");
      define(r, std::string("weft.reduce ") + (pick(0, 1) ? "sum" : "max") +
                    " " + a.name + " dims = [" + std::to_string(dim) +
                    "] : " + typeOf(a));
      return;
    }
    case 6: {
      int64_t n = numElements(a.shape);
      std::vector<int64_t> shape = {n};
      if (a.shape.size() == 1 && n % 2 == 0)
        shape = {2, n / 2};
      Val r = fresh(shape, "f32");
      define(r,
             "weft.reshape " + a.name + " : " + typeOf(a) + " -> " + typeOf(r));
      return;
    }
    case 7: {
      if (a.shape.size() < 2)
        return;
      std::vector<int64_t> perm(a.shape.size()), shape(a.shape.size());
      for (size_t i = 0; i < perm.size(); ++i)
        perm[i] = perm.size() - 1 - i;
      std::string p;
      for (size_t i = 0; i < perm.size(); ++i) {
        shape[i] = a.shape[perm[i]];
        p += (i ? ", " : "") + std::to_string(perm[i]);
      }
      Val r = fresh(shape, "f32");
      define(r, "weft.transpose " + a.name + " permutation = [" + p +
                    "] : " + typeOf(a));
      return;
    }
    case 8: {
      if (a.shape.size() > 2)
        return;
      std::vector<int64_t> shape = a.shape;
      shape.insert(shape.begin(), randomShape()[0]);
      std::string dims;
      for (size_t i = 1; i < shape.size(); ++i)
        dims += (i > 1 ? ", " : "") + std::to_string(i);
      Val r = fresh(shape, "f32");
      define(r, "weft.broadcast " + a.name + " dims = [" + dims +
                    "] : " + typeOf(a) + " -> " + typeOf(r));
      return;
    }
    case 9: {
      if (a.shape.empty())
        return;
      Val b = sameShape(a);
      std::vector<int64_t> shape = a.shape;
      shape[0] *= 2;
      Val r = fresh(shape, "f32");
      define(r, "weft.concat " + a.name + ", " + b.name +
                    " dim = 0 : " + typeOf(a) + ", " + typeOf(b));
      return;
    }
    case 10: {
      // A round trip through bf16 (half the bytes: never in place), or a
      // comparison and a select (1-byte i1 buffers).
      if (pick(0, 1)) {
        Val h = fresh(a.shape, "bf16");
        define(h,
               "weft.cast " + a.name + " : " + typeOf(a) + " -> " + typeOf(h));
        Val r = fresh(a.shape, "f32");
        define(r,
               "weft.cast " + h.name + " : " + typeOf(h) + " -> " + typeOf(r));
      } else {
        Val b = sameShape(a);
        Val m = fresh(a.shape, "i1");
        define(m, "weft.compare lt, " + a.name + ", " + b.name + " : " +
                      typeOf(a));
        Val r = fresh(a.shape, "f32");
        define(r, "weft.select " + m.name + ", " + a.name + ", " + b.name +
                      " : " + typeOf(m) + ", " + typeOf(a));
      }
      return;
    }
    default: {
      Val r = fresh(randomShape(), "f32");
      define(r, "weft.constant dense<0.5> : " + typeOf(r));
      return;
    }
    }
  }

  std::mt19937 rng;
  std::vector<Val> pool;
  std::vector<std::string> args;
  std::ostringstream body;
  int emitted = 0, counter = 0, params = 0;
};

} // namespace

std::string makeRandomGraph(unsigned seed, int numOps) {
  return Generator(seed).run(numOps);
}

} // namespace weft::testing
