//===- ShardingTest.cpp - mesh and sharding helpers -----------------------===//
//
// This file tests the C++ side of #weft.mesh and #weft.sharding
// (ir/Sharding.h): mesh queries, local sizes with padding and blocks, local
// types, the sharding attribute's constructors, verifySharding's messages,
// getMesh, and the collective ops' builders, which take the result type from
// the mesh of the module they insert into.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;

namespace {

class Sharding : public ::testing::Test {
protected:
  Sharding() { ctx.loadDialect<WeftDialect, func::FuncDialect>(); }

  StringAttr s(StringRef name) { return StringAttr::get(&ctx, name); }
  MeshAttr mesh(ArrayRef<std::pair<StringRef, int64_t>> axes) {
    SmallVector<StringAttr> names;
    SmallVector<int64_t> sizes;
    for (auto [n, size] : axes) {
      names.push_back(s(n));
      sizes.push_back(size);
    }
    return MeshAttr::get(&ctx, names, sizes);
  }
  DimShardingAttr dim(ArrayRef<StringRef> axes, int64_t blocks = 1) {
    SmallVector<StringAttr> list;
    for (StringRef a : axes)
      list.push_back(s(a));
    return DimShardingAttr::get(&ctx, list, blocks);
  }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&ctx));
  }
  /// verifySharding's message, or "" when it succeeds.
  std::string verifyMessage(ShardingAttr sh, MeshAttr m, RankedTensorType t) {
    std::string message;
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      message = d.str();
      return success();
    });
    if (succeeded(verifySharding(sh, m, t, [&] { return emitError(UnknownLoc::get(&ctx)); })))
      return "";
    return message;
  }

  MLIRContext ctx;
};

TEST_F(Sharding, MeshQueries) {
  MeshAttr m = mesh({{"dp", 2}, {"tp", 4}});
  EXPECT_EQ(m.numDevices(), 8);
  EXPECT_EQ(m.axisIndex("tp"), 1u);
  EXPECT_EQ(m.axisIndex("pp"), std::nullopt);
  EXPECT_EQ(m.axisSize("dp"), 2);
  EXPECT_EQ(m.groupSize({s("tp")}), 4);
  EXPECT_EQ(m.groupSize({s("dp"), s("tp")}), 8);
  EXPECT_EQ(m.groupSize({}), 1);
  // Row-major: the last axis varies fastest.
  EXPECT_EQ(m.coordinates(0), (SmallVector<int64_t>{0, 0}));
  EXPECT_EQ(m.coordinates(5), (SmallVector<int64_t>{1, 1}));
  EXPECT_EQ(m.coordinates(7), (SmallVector<int64_t>{1, 3}));
}

TEST_F(Sharding, LocalDimSizeWithPadding) {
  MeshAttr m = mesh({{"a", 2}, {"b", 4}, {"c", 8}});
  EXPECT_EQ(localDimSize(50257, dim({"a"}), m), 25129);
  EXPECT_EQ(localDimSize(50257, dim({"b"}), m), 12565);
  EXPECT_EQ(localDimSize(50257, dim({"c"}), m), 6283);
  EXPECT_EQ(localDimSize(50257, dim({"a", "b"}), m), 6283);
  EXPECT_TRUE(isPadded(50257, dim({"c"}), m));
  EXPECT_EQ(localDimSize(768, dim({"b"}), m), 192);
  EXPECT_FALSE(isPadded(768, dim({"b"}), m));
  EXPECT_EQ(localDimSize(768, dim({}), m), 768);
  EXPECT_EQ(shardCount(dim({"b", "c"}), m), 32);
  EXPECT_EQ(shardCount(dim({}), m), 1);
}

TEST_F(Sharding, LocalDimSizeWithBlocks) {
  MeshAttr m = mesh({{"tp", 4}});
  // Megatron's fused QKV: [3C] in 3 blocks over tp -> [3, C/tp] per rank.
  EXPECT_EQ(localDimSize(3 * 768, dim({"tp"}, 3), m), 3 * 192);
  EXPECT_FALSE(isPadded(3 * 768, dim({"tp"}, 3), m));
}

TEST_F(Sharding, LocalType) {
  MeshAttr m = mesh({{"dp", 2}, {"tp", 4}});
  auto sh = ShardingAttr::get(&ctx, {dim({"dp"}), dim({}), dim({"tp"}, 3)}, {});
  EXPECT_EQ(localType(f32({8, 5, 2304}), sh, m), f32({4, 5, 576}));
  auto vocab = ShardingAttr::get(&ctx, {dim({"dp", "tp"}), dim({})});
  EXPECT_EQ(localType(f32({50257, 768}), vocab, m), f32({6283, 768}));
  // partial does not change the type.
  EXPECT_EQ(localType(f32({8, 8}), ShardingAttr::replicated(&ctx, 2).withPartial({s("tp")}), m),
            f32({8, 8}));
}

TEST_F(Sharding, ShardingConstructors) {
  ShardingAttr r = ShardingAttr::replicated(&ctx, 3);
  EXPECT_EQ(r.getRank(), 3u);
  EXPECT_TRUE(r.isReplicated());
  EXPECT_TRUE(r.usedAxes().empty());
  ShardingAttr split = r.withDim(1, dim({"tp"}));
  EXPECT_FALSE(split.isReplicated());
  EXPECT_EQ(split.getDims()[1], dim({"tp"}));
  EXPECT_EQ(split.getDims()[0], dim({}));
  ShardingAttr partial = r.withPartial({s("dp")});
  EXPECT_FALSE(partial.isReplicated());
  EXPECT_EQ(split.withPartial({s("dp")}).usedAxes(), (SmallVector<StringAttr>{s("tp"), s("dp")}));
  EXPECT_EQ(dim({"tp"}).getBlocks(), 1);
  EXPECT_EQ(DimShardingAttr::get(&ctx, {s("tp")}), dim({"tp"}));
}

TEST_F(Sharding, VerifyShardingMessages) {
  MeshAttr m = mesh({{"dp", 2}, {"tp", 4}});
  EXPECT_EQ(verifyMessage(ShardingAttr::get(&ctx, {dim({}), dim({"tp"})}), m, f32({8, 8})), "");
  EXPECT_EQ(verifyMessage(ShardingAttr::get(&ctx, {dim({}), dim({"tp"})}), m, f32({8, 3})),
            "dimension 1 of size 3 cannot be split 4 ways over {tp}");
  EXPECT_EQ(verifyMessage(ShardingAttr::get(&ctx, {dim({"pp"})}), m, f32({8})),
            "dimension 0 uses the unknown mesh axis 'pp'; the mesh has axes {dp, tp}");
  EXPECT_EQ(verifyMessage(ShardingAttr::get(&ctx, {dim({"tp"}, 3)}), m, f32({18})),
            "dimension 0 of size 18 in 3 blocks cannot be split 4 ways over {tp}: 3 x 4 must "
            "divide 18");
  EXPECT_NE(verifyMessage(ShardingAttr::get(&ctx, {dim({"tp"})}), m, f32({8, 8})).find("rank 2"),
            std::string::npos);
}

TEST_F(Sharding, GetMeshAndBuilders) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  module->setAttr(kMeshAttr, mesh({{"dp", 2}, {"tp", 4}}));
  b.setInsertionPointToEnd(module.getBody());
  auto fn = b.create<func::FuncOp>(loc, "f", b.getFunctionType({f32({8, 16})}, {}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToEnd(body);
  Value x = body->getArgument(0);
  EXPECT_EQ(getMesh(fn), module->getAttr(kMeshAttr));
  EXPECT_EQ(getMesh(module), module->getAttr(kMeshAttr));

  auto gather = b.create<AllGatherOp>(loc, x, ArrayRef<StringAttr>{s("tp")}, 1);
  EXPECT_EQ(gather.getType(), f32({8, 64}));
  auto scatter = b.create<ReduceScatterOp>(loc, ReduceKind::Sum, x,
                                           ArrayRef<StringAttr>{s("dp"), s("tp")}, 0);
  EXPECT_EQ(scatter.getType(), f32({1, 16}));
  auto a2a = b.create<AllToAllOp>(loc, x, ArrayRef<StringAttr>{s("tp")}, 1, 0);
  EXPECT_EQ(a2a.getType(), f32({32, 4}));
  auto reduce = b.create<AllReduceOp>(loc, ReduceKind::Max, x, ArrayRef<StringAttr>{s("dp")});
  EXPECT_EQ(reduce.getType(), f32({8, 16}));
  auto permute = b.create<CollectivePermuteOp>(
      loc, x, ArrayRef<StringAttr>{s("tp")},
      ArrayRef<std::pair<int64_t, int64_t>>{{0, 1}, {1, 0}});
  EXPECT_EQ(permute.getSourceTargetPairs(),
            (SmallVector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 0}}));
  auto index = b.create<AxisIndexOp>(loc, ArrayRef<StringAttr>{s("dp"), s("tp")});
  EXPECT_EQ(index.getType(), RankedTensorType::get({}, b.getI64Type()));
  EXPECT_EQ(index.getGroupSize(getMesh(index)), 8);
  auto hint = b.create<ShardingConstraintOp>(loc, x, ShardingAttr::get(&ctx, {dim({"dp"}), dim({})}));
  EXPECT_EQ(hint.getType(), x.getType());
  // An explicit mesh wins over the module's.
  auto other = b.create<AllGatherOp>(loc, mesh({{"tp", 2}}), x, ArrayRef<StringAttr>{s("tp")}, 0);
  EXPECT_EQ(other.getType(), f32({16, 16}));
  other.erase();
  b.create<func::ReturnOp>(loc);
  EXPECT_TRUE(succeeded(verify(module)));
  module->erase();
}

} // namespace
