//===- SpmdEvaluatorTest.cpp - the evaluator on a simulated mesh ----------===//
//
// This file tests evaluateSpmd (ir/evaluator/SpmdEvaluator.h): every
// collective on meshes of 2, 4, 2x2 and 2x4 devices, over each single axis,
// all axes and (on 2-D meshes) the axes in reverse order, on random inputs,
// against expectations computed element by element in the test from the
// ops' descriptions; sub-group examples worked by hand; and the errors of
// evaluate() and evaluateSpmd().
//
//===----------------------------------------------------------------------===//

#include "EvaluatorTestUtil.h"

#include "ir/Sharding.h"
#include "ir/evaluator/SpmdEvaluator.h"

#include "llvm/ADT/StringExtras.h"

#include <functional>

namespace weft::test {
namespace {

using Shape = std::vector<int64_t>;

/// Row-major multi-index <-> linear index.
Shape unflatten(int64_t lin, const Shape &shape) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = lin % shape[d];
    lin /= shape[d];
  }
  return idx;
}
int64_t flatten(const Shape &idx, const Shape &shape) {
  int64_t lin = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    lin = lin * shape[d] + idx[d];
  return lin;
}

/// A mesh as the test sees it: axis names and sizes.
struct TestMesh {
  std::vector<std::string> names;
  Shape sizes;
  int64_t devices() const {
    int64_t n = 1;
    for (int64_t s : sizes)
      n *= s;
    return n;
  }
  std::string text() const {
    std::string s = "#weft.mesh<";
    for (size_t i = 0; i < names.size(); ++i)
      s += (i ? ", " : "") + names[i] + " = " + std::to_string(sizes[i]);
    return s + ">";
  }
  /// The ranks of r's group over `axes` (by position) and r's index in it.
  std::pair<std::vector<int64_t>, int64_t> group(int64_t r, const std::vector<int> &axes) const {
    Shape mine = unflatten(r, sizes);
    std::vector<int64_t> members;
    int64_t myIndex = -1;
    Shape groupShape;
    for (int a : axes)
      groupShape.push_back(sizes[a]);
    int64_t g = 1;
    for (int64_t s : groupShape)
      g *= s;
    for (int64_t i = 0; i < g; ++i) {
      Shape gi = unflatten(i, groupShape), coords = mine;
      for (size_t k = 0; k < axes.size(); ++k)
        coords[axes[k]] = gi[k];
      members.push_back(flatten(coords, sizes));
      if (members.back() == r)
        myIndex = i;
    }
    return {members, myIndex};
  }
};

std::string tensorType(const Shape &shape, const std::string &element = "f32") {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element + ">";
}

class SpmdEvaluator : public Evaluator {
protected:
  /// Parses a module with `mesh` around `func` and evaluates it on every rank.
  std::vector<std::vector<RefTensor>> runSpmd(const TestMesh &mesh, const std::string &func,
                                              const std::vector<std::vector<RefTensor>> &args) {
    std::string src = "module attributes {weft.mesh = " + mesh.text() + "} {\n" + func + "\n}\n";
    mlir::func::FuncOp f = parse(src);
    if (!f)
      return {};
    return evaluateSpmd(f, getMesh(f), args);
  }

  /// One random input of `shape` per rank.
  std::vector<std::vector<RefTensor>> randomPerRank(const TestMesh &mesh, const Shape &shape,
                                                    uint64_t seed) {
    std::vector<std::vector<RefTensor>> args;
    auto type = mlir::RankedTensorType::get(shape, mlir::Float32Type::get(&ctx));
    for (int64_t r = 0; r < mesh.devices(); ++r)
      args.push_back({randomTensor(type, seed * 1000 + r)});
    return args;
  }

  /// Checks one collective on every mesh and axis choice: `op(axes, G)`
  /// gives the op's text and result shape for an operand of `in`;
  /// `expect(x, r, members, index, G, idx)` the value at result index idx
  /// on rank r.
  void checkAll(
      const Shape &in,
      std::function<std::pair<std::string, Shape>(const std::string &axes, int64_t g)> op,
      std::function<double(const std::vector<std::vector<RefTensor>> &x, int64_t r,
                           const std::vector<int64_t> &members, int64_t index, int64_t g,
                           const Shape &idx)>
          expect,
      const std::string &outElement = "f32") {
    std::vector<TestMesh> meshes = {
        {{"x"}, {2}}, {{"x"}, {4}}, {{"dp", "tp"}, {2, 2}}, {{"dp", "tp"}, {2, 4}}};
    uint64_t seed = 1;
    for (const TestMesh &mesh : meshes) {
      std::vector<std::vector<int>> choices;
      for (int a = 0; a < (int)mesh.names.size(); ++a)
        choices.push_back({a});
      if (mesh.names.size() == 2) {
        choices.push_back({0, 1});
        choices.push_back({1, 0});
      }
      for (const std::vector<int> &axes : choices) {
        std::string axesText = "[";
        int64_t g = 1;
        for (size_t k = 0; k < axes.size(); ++k) {
          axesText += (k ? ", \"" : "\"") + mesh.names[axes[k]] + "\"";
          g *= mesh.sizes[axes[k]];
        }
        axesText += "]";
        auto [opText, outShape] = op(axesText, g);
        std::string outType = tensorType(outShape, outElement);
        std::string func = "func.func @f(%x: " + tensorType(in) + ") -> " + outType +
                           " {\n  %0 = " + opText + "\n  return %0 : " + outType + "\n}";
        SCOPED_TRACE(mesh.text() + " axes " + axesText + ": " + opText);
        auto x = randomPerRank(mesh, in, seed++);
        auto out = runSpmd(mesh, func, x);
        ASSERT_EQ((int64_t)out.size(), mesh.devices());
        for (int64_t r = 0; r < mesh.devices(); ++r) {
          auto [members, index] = mesh.group(r, axes);
          ASSERT_EQ(out[r][0].shape, outShape);
          for (int64_t e = 0; e < out[r][0].numElements(); ++e) {
            double want = expect(x, r, members, index, g, unflatten(e, outShape));
            ASSERT_NEAR(out[r][0].data[e], want, 1e-12) << "rank " << r << " element " << e;
          }
        }
      }
    }
  }
};

double at(const RefTensor &t, const Shape &idx) { return t.data[flatten(idx, t.shape)]; }

TEST_F(SpmdEvaluator, AllReduce) {
  for (std::string kind : {"sum", "max", "min"}) {
    SCOPED_TRACE(kind);
    checkAll(
        {3, 4},
        [&](const std::string &axes, int64_t) {
          return std::make_pair("weft.all_reduce " + kind + " %x axes = " + axes +
                                    " : tensor<3x4xf32>",
                                Shape{3, 4});
        },
        [&](auto &x, int64_t, auto &members, int64_t, int64_t, const Shape &idx) {
          double acc = kind == "sum" ? 0.0 : at(x[members[0]][0], idx);
          for (int64_t s : members) {
            double v = at(x[s][0], idx);
            acc = kind == "sum" ? acc + v : kind == "max" ? std::max(acc, v) : std::min(acc, v);
          }
          return acc;
        });
  }
}

TEST_F(SpmdEvaluator, AllGather) {
  for (int64_t dim : {0, 1}) {
    checkAll(
        {3, 4},
        [&](const std::string &axes, int64_t g) {
          Shape out = {3, 4};
          out[dim] *= g;
          return std::make_pair("weft.all_gather %x axes = " + axes + " dim = " +
                                    std::to_string(dim) + " : tensor<3x4xf32> -> " +
                                    tensorType(out),
                                out);
        },
        [&](auto &x, int64_t, auto &members, int64_t, int64_t, const Shape &idx) {
          int64_t n = dim == 0 ? 3 : 4;
          Shape src = idx;
          src[dim] = idx[dim] % n;
          return at(x[members[idx[dim] / n]][0], src);
        });
  }
}

TEST_F(SpmdEvaluator, ReduceScatter) {
  for (int64_t dim : {0, 1}) {
    checkAll(
        {8, 16},
        [&](const std::string &axes, int64_t g) {
          Shape out = {8, 16};
          out[dim] /= g;
          return std::make_pair("weft.reduce_scatter sum %x axes = " + axes + " dim = " +
                                    std::to_string(dim) + " : tensor<8x16xf32> -> " +
                                    tensorType(out),
                                out);
        },
        [&](auto &x, int64_t, auto &members, int64_t index, int64_t g, const Shape &idx) {
          int64_t len = (dim == 0 ? 8 : 16) / g;
          Shape src = idx;
          src[dim] += index * len;
          double sum = 0;
          for (int64_t s : members)
            sum += at(x[s][0], src);
          return sum;
        });
  }
}

TEST_F(SpmdEvaluator, AllToAll) {
  for (auto [split, concat] : {std::pair<int64_t, int64_t>{1, 0}, {0, 1}, {1, 1}}) {
    checkAll(
        {8, 16},
        [&](const std::string &axes, int64_t g) {
          Shape out = {8, 16};
          out[split] /= g;
          out[concat] *= g;
          return std::make_pair("weft.all_to_all %x axes = " + axes + " split_dim = " +
                                    std::to_string(split) + " concat_dim = " +
                                    std::to_string(concat) + " : tensor<8x16xf32> -> " +
                                    tensorType(out),
                                out);
        },
        [&](auto &x, int64_t, auto &members, int64_t index, int64_t g, const Shape &idx) {
          Shape in = {8, 16};
          int64_t splitLen = in[split] / g;
          int64_t piece = split == concat ? splitLen : in[concat];
          Shape src = idx;
          int64_t sender = idx[concat] / piece;
          src[concat] = idx[concat] % piece;
          src[split] += index * splitLen;
          return at(x[members[sender]][0], src);
        });
  }
}

TEST_F(SpmdEvaluator, CollectivePermute) {
  // A ring shifted by one, plus a partial permutation (only index 0 sends).
  for (bool ring : {true, false}) {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    checkAll(
        {2, 3},
        [&](const std::string &axes, int64_t g) {
          pairs.clear();
          if (ring)
            for (int64_t i = 0; i < g; ++i)
              pairs.push_back({i, (i + 1) % g});
          else
            pairs.push_back({0, g - 1});
          std::string text;
          for (auto [s, t] : pairs)
            text += (text.empty() ? "[" : ", [") + std::to_string(s) + ", " + std::to_string(t) + "]";
          return std::make_pair("weft.collective_permute %x axes = " + axes + " pairs = [" +
                                    text + "] : tensor<2x3xf32>",
                                Shape{2, 3});
        },
        [&](auto &x, int64_t, auto &members, int64_t index, int64_t, const Shape &idx) {
          for (auto [s, t] : pairs)
            if (t == index)
              return at(x[members[s]][0], idx);
          return 0.0;
        });
  }
}

TEST_F(SpmdEvaluator, AxisIndex) {
  checkAll(
      {1},
      [&](const std::string &axes, int64_t) {
        return std::make_pair("weft.axis_index axes = " + axes + " : tensor<i64>", Shape{});
      },
      [&](auto &, int64_t, auto &, int64_t index, int64_t, const Shape &) {
        return (double)index;
      },
      "i64");
}

// Worked by hand: on dp = 2, tp = 2 an all_reduce over tp sums the pairs of
// ranks {0, 1} and {2, 3}; over dp the pairs {0, 2} and {1, 3}.
TEST_F(SpmdEvaluator, SubGroupsByHand) {
  TestMesh mesh{{"dp", "tp"}, {2, 2}};
  std::string func = R"(
func.func @f(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<i64>, tensor<4xf32>) {
  %0 = weft.all_reduce sum %x axes = ["tp"] : tensor<2xf32>
  %1 = weft.all_reduce sum %x axes = ["dp"] : tensor<2xf32>
  %2 = weft.axis_index axes = ["tp", "dp"] : tensor<i64>
  %3 = weft.all_gather %x axes = ["dp"] dim = 0 : tensor<2xf32> -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xf32>, tensor<i64>, tensor<4xf32>
})";
  std::vector<std::vector<RefTensor>> args = {{tensor({2}, {1, 2})},
                                              {tensor({2}, {10, 20})},
                                              {tensor({2}, {100, 200})},
                                              {tensor({2}, {1000, 2000})}};
  auto out = runSpmd(mesh, func, args);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0][0].data, (std::vector<double>{11, 22}));
  EXPECT_EQ(out[1][0].data, (std::vector<double>{11, 22}));
  EXPECT_EQ(out[2][0].data, (std::vector<double>{1100, 2200}));
  EXPECT_EQ(out[3][0].data, (std::vector<double>{1100, 2200}));
  EXPECT_EQ(out[0][1].data, (std::vector<double>{101, 202}));
  EXPECT_EQ(out[3][1].data, (std::vector<double>{1010, 2020}));
  // Index over [tp, dp]: tp * 2 + dp; rank 1 is (dp 0, tp 1) -> 2.
  EXPECT_EQ(out[0][2].data, (std::vector<double>{0}));
  EXPECT_EQ(out[1][2].data, (std::vector<double>{2}));
  EXPECT_EQ(out[2][2].data, (std::vector<double>{1}));
  EXPECT_EQ(out[3][2].data, (std::vector<double>{3}));
  EXPECT_EQ(out[1][3].data, (std::vector<double>{10, 20, 1000, 2000}));
}

TEST_F(SpmdEvaluator, ShardingConstraintIsTheIdentity) {
  std::string src = R"(
module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    %0 = weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}]>} : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
})";
  auto out = run(src, {tensor({2}, {3, 4})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, (std::vector<double>{3, 4}));
}

TEST_F(SpmdEvaluator, EvaluateRefusesCollectives) {
  std::string src = R"(
module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    %0 = weft.all_reduce sum %x axes = ["dp"] : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
})";
  std::string message = errorOf(src, {tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(message, "'weft.all_reduce' op is a collective over the module's mesh"));
  EXPECT_TRUE(contains(message, "evaluateSpmd"));
}

TEST_F(SpmdEvaluator, RankCountMustMatchTheMesh) {
  TestMesh mesh{{"dp"}, {2}};
  std::string func = R"(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
})";
  try {
    runSpmd(mesh, func, {{tensor({2}, {1, 2})}});
    ADD_FAILURE() << "expected an EvaluationError";
  } catch (const EvaluationError &e) {
    EXPECT_TRUE(contains(e.what(), "has 2 devices but arguments for 1 ranks were given"));
  }
  try {
    runSpmd(mesh, func, {{tensor({2}, {1, 2})}, {tensor({3}, {1, 2, 3})}});
    ADD_FAILURE() << "expected an EvaluationError";
  } catch (const EvaluationError &e) {
    EXPECT_TRUE(contains(e.what(), "on rank 1 argument #0 has shape [3]"));
  }
}

} // namespace
} // namespace weft::test
