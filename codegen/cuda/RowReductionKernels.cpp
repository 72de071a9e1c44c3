//===- RowReductionKernels.cpp - warp/block-per-row GPU kernels -----------===//
//
// This file implements buildRowReductionKernel: weft.layer_norm,
// weft.rms_norm and last-dimension reduction fusions (softmax) as gpu.func
// kernels built directly with the gpu dialect.
//
// Shape of every kernel (see RowLayout):
//   1. Each thread loads its perThread elements of the row (columns
//      t, t + T, t + 2T, ...: coalesced) into registers, widened to f32;
//      the row is read from memory once.
//   2. A reduction combines the thread's registers, then the warp's lanes
//      with gpu.shuffle xor 16, 8, 4, 2, 1, then (block per row) the warps'
//      partials through workgroup memory between two gpu.barrier; every
//      thread ends with the row's value.
//   3. The results are computed from the registers and stored (row
//      statistics by the row's first thread).
// LayerNorm takes two reductions over the registers (mean, then the sum of
// squared deviations: exact like the reference, still one read of x);
// RMSNorm one; a fusion body is evaluated op by op on the registers.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/RowReductionKernels.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;

namespace weft::codegen {

std::optional<RowLayout> planRowLayout(int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0)
    return std::nullopt;
  RowLayout l;
  l.rows = rows;
  l.cols = cols;
  // About four elements per thread, a whole number of warps, at most 1024.
  int64_t threads = ((cols + 3) / 4 + 31) / 32 * 32;
  l.threadsPerRow = std::clamp<int64_t>(threads, 32, 1024);
  l.perThread = (cols + l.threadsPerRow - 1) / l.threadsPerRow;
  if (l.perThread > 64)
    return std::nullopt;
  l.warpPerRow = l.threadsPerRow == 32;
  l.rowsPerBlock = l.warpPerRow ? 4 : 1;
  l.blockThreads = l.warpPerRow ? 128 : l.threadsPerRow;
  l.gridBlocks = (rows + l.rowsPerBlock - 1) / l.rowsPerBlock;
  if (l.gridBlocks > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return l;
}

namespace {

enum class Combine { Sum, Max, Min };

/// Emits the body of one row kernel: register rows, reductions, stores.
class RowEmitter {
public:
  RowEmitter(OpBuilder &b, Location loc, const RowLayout &layout, Value workgroup)
      : b(b), loc(loc), l(layout), workgroup(workgroup), f32(b.getF32Type()) {}

  /// Computes the thread's row, lane and warp; returns the "row < rows"
  /// predicate, or null when every thread has a row.
  Value setUp() {
    Value tid = b.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
    Value bid = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
    lane = b.create<arith::RemUIOp>(loc, tid, index(32));
    warp = b.create<arith::DivUIOp>(loc, tid, index(32));
    if (!l.warpPerRow) {
      row = bid;
      inRow = tid;
      return Value();
    }
    row = b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, bid, index(l.rowsPerBlock)),
                                  warp);
    inRow = lane;
    if (l.rows % l.rowsPerBlock == 0)
      return Value();
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, row, index(l.rows));
  }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value f32Const(double v) {
    return b.create<arith::ConstantOp>(loc, f32, b.getF32FloatAttr(static_cast<float>(v)));
  }

  /// Whether register j of every thread is a column of the row.
  bool alwaysInRange(int64_t j) const { return (j + 1) * l.threadsPerRow <= l.cols; }
  Value column(int64_t j) {
    if (j == 0)
      return inRow;
    return b.create<arith::AddIOp>(loc, inRow, index(j * l.threadsPerRow));
  }
  Value columnValid(Value col) {
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, col, index(l.cols));
  }

  Value widen(Value v) {
    return v.getType().isF32() ? v : b.create<arith::ExtFOp>(loc, f32, v).getResult();
  }
  Value narrow(Value v, Type to) {
    return to.isF32() ? v : b.create<arith::TruncFOp>(loc, to, v).getResult();
  }

  /// Loads memref element `indices` widened to f32, or 0 where `valid` is
  /// false (then nothing is read).
  Value guardedLoad(Value mem, ValueRange indices, Value valid) {
    if (!valid)
      return widen(b.create<memref::LoadOp>(loc, mem, indices));
    auto ifOp = b.create<scf::IfOp>(loc, TypeRange{f32}, valid, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    b.create<scf::YieldOp>(loc, widen(b.create<memref::LoadOp>(loc, mem, indices)));
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    b.create<scf::YieldOp>(loc, f32Const(0));
    return ifOp.getResult(0);
  }

  /// The thread's registers of row `row` of a [rows, cols] memref.
  SmallVector<Value> loadRow(Value mem) {
    SmallVector<Value> regs;
    for (int64_t j = 0; j < l.perThread; ++j) {
      Value col = column(j);
      regs.push_back(guardedLoad(mem, {row, col}, alwaysInRange(j) ? Value() : columnValid(col)));
    }
    return regs;
  }
  /// The thread's registers of a [cols] memref (a per-column parameter).
  SmallVector<Value> loadColumns(Value mem) {
    SmallVector<Value> regs;
    for (int64_t j = 0; j < l.perThread; ++j) {
      Value col = column(j);
      regs.push_back(guardedLoad(mem, {col}, alwaysInRange(j) ? Value() : columnValid(col)));
    }
    return regs;
  }
  /// This row's element of a [rows] memref.
  Value loadRowScalar(Value mem) { return widen(b.create<memref::LoadOp>(loc, mem, row)); }

  /// Stores registers into row `row` of a [rows, cols] memref.
  void storeRow(Value mem, ArrayRef<Value> regs) {
    Type elem = cast<MemRefType>(mem.getType()).getElementType();
    for (int64_t j = 0; j < l.perThread; ++j) {
      Value col = column(j);
      Value v = narrow(regs[j], elem);
      if (alwaysInRange(j)) {
        b.create<memref::StoreOp>(loc, v, mem, ValueRange{row, col});
        continue;
      }
      auto ifOp = b.create<scf::IfOp>(loc, columnValid(col), /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      b.create<memref::StoreOp>(loc, v, mem, ValueRange{row, col});
    }
  }
  /// Stores a row value into a [rows] memref from the row's first thread.
  void storeRowScalar(Value mem, Value v) {
    Type elem = cast<MemRefType>(mem.getType()).getElementType();
    Value first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, inRow, index(0));
    auto ifOp = b.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    b.create<memref::StoreOp>(loc, narrow(v, elem), mem, row);
  }

  Value combine(Combine kind, Value x, Value y) {
    switch (kind) {
    case Combine::Sum: return b.create<arith::AddFOp>(loc, x, y);
    case Combine::Max: return b.create<arith::MaximumFOp>(loc, x, y);
    case Combine::Min: return b.create<arith::MinimumFOp>(loc, x, y);
    }
    return x;
  }
  Value identity(Combine kind) {
    switch (kind) {
    case Combine::Sum: return f32Const(0);
    case Combine::Max: return f32Const(-std::numeric_limits<double>::infinity());
    case Combine::Min: return f32Const(std::numeric_limits<double>::infinity());
    }
    return Value();
  }

  /// The row's reduction of `regs` (padding registers count as the
  /// identity), known to every thread of the row.
  Value reduce(Combine kind, ArrayRef<Value> regs) {
    Value acc;
    for (int64_t j = 0; j < l.perThread; ++j) {
      Value v = regs[j];
      if (!alwaysInRange(j))
        v = b.create<arith::SelectOp>(loc, columnValid(column(j)), v, identity(kind));
      acc = acc ? combine(kind, acc, v) : v;
    }
    for (int32_t offset = 16; offset >= 1; offset /= 2) {
      Value other =
          b.create<gpu::ShuffleOp>(loc, acc, offset, 32, gpu::ShuffleMode::XOR).getShuffleResult();
      acc = combine(kind, acc, other);
    }
    int64_t warps = l.threadsPerRow / 32;
    if (l.warpPerRow || warps == 1)
      return acc;
    // Per-warp partials through workgroup memory; the second barrier keeps
    // the next reduction from overwriting them before everyone has read.
    Value firstLane = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, lane, index(0));
    auto ifOp = b.create<scf::IfOp>(loc, firstLane, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      b.create<memref::StoreOp>(loc, acc, workgroup, warp);
    }
    b.create<gpu::BarrierOp>(loc);
    Value total = b.create<memref::LoadOp>(loc, workgroup, index(0));
    for (int64_t w = 1; w < warps; ++w)
      total = combine(kind, total, b.create<memref::LoadOp>(loc, workgroup, index(w)));
    b.create<gpu::BarrierOp>(loc);
    return total;
  }

  OpBuilder &b;
  Location loc;
  const RowLayout &l;
  Value workgroup;
  Type f32;
  Value row, inRow, lane, warp;
};

/// Collapses a memref of shape [d0, ..., dn-1, C] to [rows, C] (`keepLast`)
/// or of shape [d0, ..., dn-1] to [rows]; rank-1 memrefs stay as they are.
Value collapse(OpBuilder &b, Location loc, Value mem, bool keepLast) {
  auto type = cast<MemRefType>(mem.getType());
  int64_t rank = type.getRank();
  if ((keepLast && rank == 2) || (!keepLast && rank == 1))
    return mem;
  SmallVector<ReassociationIndices> groups(1);
  int64_t lead = keepLast ? rank - 1 : rank;
  for (int64_t d = 0; d < lead; ++d)
    groups[0].push_back(d);
  if (keepLast)
    groups.push_back({rank - 1});
  return b.create<memref::CollapseShapeOp>(loc, mem, groups);
}

/// Emits the body of weft.layer_norm / weft.rms_norm.
void emitNorm(RowEmitter &e, Operation *op, ArrayRef<Value> args) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  bool layerNorm = isa<LayerNormOp>(op);
  unsigned numOperands = op->getNumOperands();
  Value x = collapse(b, loc, args[0], true);
  Value gamma = numOperands > 1 ? args[1] : Value();
  Value beta = layerNorm && numOperands > 2 ? args[2] : Value();
  Value y = collapse(b, loc, args[numOperands], true);
  double epsilon = layerNorm ? cast<LayerNormOp>(op).getEpsilon().convertToDouble()
                             : cast<RmsNormOp>(op).getEpsilon().convertToDouble();
  Value invCols = e.f32Const(1.0 / static_cast<double>(e.l.cols));

  SmallVector<Value> xs = e.loadRow(x);
  SmallVector<Value> centered = xs;
  Value mean;
  if (layerNorm) {
    mean = b.create<arith::MulFOp>(loc, e.reduce(Combine::Sum, xs), invCols);
    for (Value &v : centered)
      v = b.create<arith::SubFOp>(loc, v, mean);
  }
  SmallVector<Value> squares;
  for (Value v : centered)
    squares.push_back(b.create<arith::MulFOp>(loc, v, v));
  Value meanSquare = b.create<arith::MulFOp>(loc, e.reduce(Combine::Sum, squares), invCols);
  Value rstd = b.create<arith::DivFOp>(
      loc, e.f32Const(1.0),
      b.create<math::SqrtOp>(loc, b.create<arith::AddFOp>(loc, meanSquare, e.f32Const(epsilon))));

  SmallVector<Value> gammas, betas;
  if (gamma)
    gammas = e.loadColumns(gamma);
  if (beta)
    betas = e.loadColumns(beta);
  SmallVector<Value> out;
  for (auto [j, v] : llvm::enumerate(centered)) {
    Value r = b.create<arith::MulFOp>(loc, v, rstd);
    if (gamma)
      r = b.create<arith::MulFOp>(loc, r, gammas[j]);
    if (beta)
      r = b.create<arith::AddFOp>(loc, r, betas[j]);
    out.push_back(r);
  }
  e.storeRow(y, out);
  if (layerNorm) {
    e.storeRowScalar(collapse(b, loc, args[numOperands + 1], false), mean);
    e.storeRowScalar(collapse(b, loc, args[numOperands + 2], false), rstd);
  } else {
    e.storeRowScalar(collapse(b, loc, args[numOperands + 1], false), rstd);
  }
}

/// A value of a fusion body inside a row kernel: the thread's registers of
/// a full row, or one value per row.
struct RowValue {
  SmallVector<Value> regs;
  Value scalar;
};

/// Evaluates a weft.fusion body on row registers. Fails (without side
/// effects that matter: the caller erases the function) on anything that is
/// not a row program.
class FusionRowEvaluator {
public:
  FusionRowEvaluator(RowEmitter &e, FusionOp fusion, RankedTensorType rowType,
                     ArrayRef<Value> args)
      : e(e), fusion(fusion), rowType(rowType), args(args) {}

  LogicalResult run() {
    Block &body = fusion.getBody().front();
    for (Operation &op : body) {
      if (auto yield = dyn_cast<YieldOp>(op))
        return storeResults(yield);
      if (failed(visit(op)))
        return failure();
    }
    return failure();
  }

private:
  bool isRowShape(Type t) { return t == rowType; }
  bool isStatShape(Type t) {
    auto tt = dyn_cast<RankedTensorType>(t);
    return tt && tt.getElementType().isF32() &&
           tt.getShape() == rowType.getShape().drop_back();
  }

  /// The value `v` as registers (full rows only).
  FailureOr<SmallVector<Value>> full(Value v) {
    if (auto it = values.find(v); it != values.end()) {
      if (it->second.regs.empty())
        return failure();
      return it->second.regs;
    }
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || !isRowShape(v.getType()))
      return failure();
    SmallVector<Value> regs = e.loadRow(collapse(e.b, e.loc, args[arg.getArgNumber()], true));
    values[v].regs = regs;
    return regs;
  }
  /// The value `v` as one value per row.
  FailureOr<Value> scalar(Value v) {
    if (auto it = values.find(v); it != values.end()) {
      if (!it->second.scalar)
        return failure();
      return it->second.scalar;
    }
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || !isStatShape(v.getType()))
      return failure();
    Value s = e.loadRowScalar(collapse(e.b, e.loc, args[arg.getArgNumber()], false));
    values[v].scalar = s;
    return s;
  }

  LogicalResult visit(Operation &op) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    if (op.getNumResults() != 1)
      return failure();
    Value result = op.getResult(0);
    Type type = result.getType();
    if (auto c = dyn_cast<ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
        return failure();
      Value s = e.f32Const(dense.getSplatValue<APFloat>().convertToDouble());
      if (isRowShape(type))
        values[result].regs.assign(e.l.perThread, s);
      else if (isStatShape(type))
        values[result].scalar = s;
      else
        return failure();
      return success();
    }
    if (auto r = dyn_cast<ReduceOp>(op)) {
      int64_t rank = rowType.getRank();
      if (!isRowShape(r.getInput().getType()) || r.getDims().size() != 1 ||
          r.getDims()[0] != rank - 1 || !isStatShape(type))
        return failure();
      FailureOr<SmallVector<Value>> in = full(r.getInput());
      if (failed(in))
        return failure();
      Combine kind = r.getKind() == ReduceKind::Max   ? Combine::Max
                     : r.getKind() == ReduceKind::Min ? Combine::Min
                                                      : Combine::Sum;
      Value s = e.reduce(kind, *in);
      if (r.getKind() == ReduceKind::Mean)
        s = b.create<arith::MulFOp>(loc, s, e.f32Const(1.0 / static_cast<double>(e.l.cols)));
      values[result].scalar = s;
      return success();
    }
    if (auto bc = dyn_cast<BroadcastOp>(op)) {
      if (!isRowShape(type))
        return failure();
      Value in = bc.getInput();
      auto inType = cast<RankedTensorType>(in.getType());
      int64_t rank = rowType.getRank();
      ArrayRef<int64_t> dims = bc.getDims();
      bool perRow = isStatShape(inType) && static_cast<int64_t>(dims.size()) == rank - 1 &&
                    llvm::all_of(llvm::enumerate(dims), [](auto p) {
                      return p.value() == static_cast<int64_t>(p.index());
                    });
      if (perRow) {
        FailureOr<Value> s = scalar(in);
        if (failed(s))
          return failure();
        values[result].regs.assign(e.l.perThread, *s);
        return success();
      }
      auto arg = dyn_cast<BlockArgument>(in);
      bool perColumn = arg && inType.getRank() == 1 && inType.getElementType().isF32() &&
                       inType.getDimSize(0) == e.l.cols && dims.size() == 1 &&
                       dims[0] == rank - 1;
      if (!perColumn)
        return failure();
      values[result].regs = e.loadColumns(args[arg.getArgNumber()]);
      return success();
    }
    // Elementwise f32 math on full rows or on row values.
    bool onRows = isRowShape(type);
    if (!onRows && !isStatShape(type))
      return failure();
    SmallVector<SmallVector<Value>> operands;
    for (Value v : op.getOperands()) {
      if (onRows) {
        FailureOr<SmallVector<Value>> regs = full(v);
        if (failed(regs))
          return failure();
        operands.push_back(*regs);
      } else {
        FailureOr<Value> s = scalar(v);
        if (failed(s))
          return failure();
        operands.push_back({*s});
      }
    }
    int64_t lanes = onRows ? e.l.perThread : 1;
    SmallVector<Value> out;
    for (int64_t j = 0; j < lanes; ++j) {
      SmallVector<Value> xs;
      for (auto &o : operands)
        xs.push_back(o[j]);
      FailureOr<Value> v = scalarOp(op, xs);
      if (failed(v))
        return failure();
      out.push_back(*v);
    }
    if (onRows)
      values[result].regs = out;
    else
      values[result].scalar = out[0];
    return success();
  }

  /// f32 scalar math of the elementwise ops a row program may hold.
  FailureOr<Value> scalarOp(Operation &op, ArrayRef<Value> x) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    if (isa<AddOp>(op)) return b.create<arith::AddFOp>(loc, x[0], x[1]).getResult();
    if (isa<SubOp>(op)) return b.create<arith::SubFOp>(loc, x[0], x[1]).getResult();
    if (isa<MulOp>(op)) return b.create<arith::MulFOp>(loc, x[0], x[1]).getResult();
    if (isa<DivOp>(op)) return b.create<arith::DivFOp>(loc, x[0], x[1]).getResult();
    if (isa<MaxOp>(op)) return b.create<arith::MaximumFOp>(loc, x[0], x[1]).getResult();
    if (isa<MinOp>(op)) return b.create<arith::MinimumFOp>(loc, x[0], x[1]).getResult();
    if (isa<NegOp>(op)) return b.create<arith::NegFOp>(loc, x[0]).getResult();
    if (isa<ExpOp>(op)) return b.create<math::ExpOp>(loc, x[0]).getResult();
    if (isa<LogOp>(op)) return b.create<math::LogOp>(loc, x[0]).getResult();
    if (isa<SqrtOp>(op)) return b.create<math::SqrtOp>(loc, x[0]).getResult();
    if (isa<AbsOp>(op)) return b.create<math::AbsFOp>(loc, x[0]).getResult();
    if (isa<TanhOp>(op)) return b.create<math::TanhOp>(loc, x[0]).getResult();
    if (isa<RsqrtOp>(op))
      return b.create<arith::DivFOp>(loc, e.f32Const(1.0), b.create<math::SqrtOp>(loc, x[0]))
          .getResult();
    return failure();
  }

  LogicalResult storeResults(YieldOp yield) {
    unsigned first = fusion->getNumOperands();
    for (auto [i, v] : llvm::enumerate(yield.getValues())) {
      Value mem = args[first + i];
      if (isRowShape(v.getType())) {
        FailureOr<SmallVector<Value>> regs = full(v);
        if (failed(regs))
          return failure();
        e.storeRow(collapse(e.b, e.loc, mem, true), *regs);
      } else if (isStatShape(v.getType())) {
        FailureOr<Value> s = scalar(v);
        if (failed(s))
          return failure();
        e.storeRowScalar(collapse(e.b, e.loc, mem, false), *s);
      } else {
        return failure();
      }
    }
    return success();
  }

  RowEmitter &e;
  FusionOp fusion;
  RankedTensorType rowType;
  ArrayRef<Value> args;
  llvm::DenseMap<Value, RowValue> values;
};

/// The [.., C] shape whose rows `op` reduces, or null when `op` is not a row
/// reduction this file builds.
RankedTensorType rowTypeOf(Operation *op) {
  auto isFloat = [](RankedTensorType t) {
    Type e = t.getElementType();
    return e.isF32() || e.isF16() || e.isBF16();
  };
  if (isa<LayerNormOp, RmsNormOp>(op)) {
    auto t = cast<RankedTensorType>(op->getOperand(0).getType());
    return t.getRank() >= 2 && t.hasStaticShape() && isFloat(t) ? t : RankedTensorType();
  }
  auto fusion = dyn_cast<FusionOp>(op);
  if (!fusion)
    return RankedTensorType();
  RankedTensorType rowType;
  for (Operation &inner : fusion.getBody().front()) {
    auto r = dyn_cast<ReduceOp>(inner);
    if (!r)
      continue;
    auto t = cast<RankedTensorType>(r.getInput().getType());
    if (!rowType)
      rowType = t;
    if (t != rowType || t.getRank() < 2 || !t.hasStaticShape() || !t.getElementType().isF32())
      return RankedTensorType();
  }
  return rowType;
}

} // namespace

std::optional<GpuKernel> buildRowReductionKernel(Operation *gpuModuleOp, Operation *op,
                                                 StringRef name, ArrayRef<Type> argTypes) {
  auto gpuModule = cast<gpu::GPUModuleOp>(gpuModuleOp);
  RankedTensorType rowType = rowTypeOf(op);
  if (!rowType || argTypes.size() != op->getNumOperands() + op->getNumResults())
    return std::nullopt;
  for (Type t : argTypes) {
    auto m = dyn_cast<MemRefType>(t);
    if (!m || !m.hasStaticShape() || !m.getLayout().isIdentity() || m.getRank() == 0)
      return std::nullopt;
  }
  int64_t cols = rowType.getShape().back();
  std::optional<RowLayout> layout = planRowLayout(rowType.getNumElements() / cols, cols);
  if (!layout)
    return std::nullopt;

  MLIRContext *ctx = op->getContext();
  OpBuilder b(ctx);
  Block *body = gpuModule.getBody();
  if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
    b.setInsertionPoint(&body->back());
  else
    b.setInsertionPointToEnd(body);
  Location loc = op->getLoc();
  std::string function = name.str() + "_l0";
  int64_t warps = layout->threadsPerRow / 32;
  SmallVector<Type> workgroupTypes;
  if (!layout->warpPerRow && warps > 1)
    workgroupTypes.push_back(MemRefType::get(
        {warps}, b.getF32Type(), MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));
  auto gpuFunc = b.create<gpu::GPUFuncOp>(loc, function, FunctionType::get(ctx, argTypes, {}),
                                          workgroupTypes, TypeRange{});
  gpuFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  gpuFunc.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(layout->blockThreads), 1, 1}));
  Block &entry = gpuFunc.getBody().front();
  b.setInsertionPointToStart(&entry);
  Value workgroup =
      workgroupTypes.empty() ? Value() : Value(gpuFunc.getWorkgroupAttributions()[0]);
  SmallVector<Value> args(entry.getArguments().take_front(argTypes.size()));

  RowEmitter e(b, loc, *layout, workgroup);
  Value valid = e.setUp();
  if (valid) {
    // Whole warps leave together (the row is warp-uniform): shuffles stay
    // convergent.
    auto guard = b.create<scf::IfOp>(loc, valid, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
  }
  bool ok = true;
  if (isa<LayerNormOp, RmsNormOp>(op)) {
    emitNorm(e, op, args);
  } else {
    FusionRowEvaluator eval(e, cast<FusionOp>(op), rowType, args);
    ok = succeeded(eval.run());
  }
  if (!ok) {
    gpuFunc.erase();
    return std::nullopt;
  }
  b.setInsertionPointToEnd(&entry);
  b.create<gpu::ReturnOp>(loc);

  GpuKernel kernel;
  kernel.launches.push_back({function,
                             {static_cast<uint32_t>(layout->gridBlocks), 1, 1},
                             {static_cast<uint32_t>(layout->blockThreads), 1, 1}});
  return kernel;
}

} // namespace weft::codegen
