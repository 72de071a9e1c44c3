//===- GpuMapping.cpp - kernel functions on loops to GPU kernels ----------===//
//
// This file implements mapKernelsToGpu. For each kernel function:
//   0. Top-level static allocations become trailing arguments (scratch the
//      runtime provides); their deallocations are erased.
//   1. Its body is split, in order, into launches: an scf.parallel nest is a
//      parallel launch; a run of other ops with side effects (and of the
//      pure ops computed from them) is a serial launch; pure ops without
//      regions that depend only on arguments are left out (cloned on
//      demand).
//   2. Each launch becomes a gpu.func @<function>_l<i> (kernel) whose
//      arguments are the function's memrefs. Values the launch reads that
//      are defined in the function (constants, subviews, ...) are cloned at
//      the start of the gpu.func, with what they depend on.
//   3. Parallel launch: a grid-stride loop over the N iterations,
//        for (i = block_id.x * block_dim.x + thread_id.x; i < N;
//             i += grid_dim.x * block_dim.x)
//      in which the loop's induction variables are recovered from i
//      (innermost fastest: iv_d = lb_d + (i mod trip_d) * step_d, i /= trip_d)
//      and the loop body is cloned. The kernel is correct for any grid; it
//      is launched with min(ceil(N / B), maxGridBlocks) blocks of B =
//      blockSize threads (N rounded up to a warp when smaller). The loop is
//      always emitted, also when the grid is not capped (each thread then
//      runs it at most once): its first test is the old i < N guard, so the
//      uncapped case costs one add and one compare more per thread, and
//      every launch runs the same code path (the numerics of every case
//      bundle test it). Elementwise nests (see vectorWidth) give each
//      iteration W consecutive elements instead: one vector.load /
//      vector.store per argument read / written at (iv...), the other ops
//      cloned per element; N / W iterations. W is 16 bytes of the narrowest
//      element type accessed (4 x f32/i32, 8 x f16/bf16, 2 x i64), so
//      every access of that type is one 128-bit access and wider types in
//      the same loop take W elements too (e.g. 8 x f32 = 2 x 16 bytes).
//      Serial launch: the ops are cloned as they are, grid 1, block 1.
//   4. The function is erased.
// The mapping is deliberately simple (one loop iteration per iteration of
// the parallel dimensions, inner reductions sequential per thread): it is
// correct for every kernel the CPU partition builds; faster shapes (a warp
// per row) replace it kernel family by kernel family. Index math stays in
// `index` (64-bit): N of every launch fits, and the loop is memory bound.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/GpuMapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cassert>

using namespace mlir;

namespace weft::codegen {
namespace {

/// Bytes of one vector access of the narrowest element type of a
/// vectorized elementwise launch (the widest global load/store of sm_90).
constexpr int64_t kVectorBytes = 16;

/// Builds the gpu.funcs of one kernel function.
class FunctionMapper {
public:
  FunctionMapper(func::FuncOp fn, gpu::GPUModuleOp gpuModule, unsigned blockSize,
                 unsigned maxGridBlocks)
      : fn(fn), gpuModule(gpuModule), blockSize(blockSize), maxGridBlocks(maxGridBlocks) {}

  LogicalResult run(GpuKernel &kernel);

private:
  gpu::GPUFuncOp createFunc(std::string name, OpBuilder &b, IRMapping &map);
  LogicalResult materialize(Value v, OpBuilder &prologue, IRMapping &map);
  LogicalResult materializeUses(ArrayRef<Operation *> ops, OpBuilder &prologue, IRMapping &map);
  LogicalResult mapParallel(scf::ParallelOp loop, std::vector<GpuLaunch> &launches);
  bool isIdentityAccess(Value memref, ValueRange indices, scf::ParallelOp loop,
                        ArrayRef<int64_t> trips);
  int64_t vectorWidth(scf::ParallelOp loop, ArrayRef<int64_t> lbs, ArrayRef<int64_t> steps,
                      ArrayRef<int64_t> trips);
  void emitVectorBody(OpBuilder &b, scf::ParallelOp loop, IRMapping &map,
                      ArrayRef<Value> ivs, ArrayRef<int64_t> trips, int64_t width);
  LogicalResult mapSerial(ArrayRef<Operation *> ops, std::vector<GpuLaunch> &launches);

  func::FuncOp fn;
  gpu::GPUModuleOp gpuModule;
  unsigned blockSize;
  unsigned maxGridBlocks;
};

/// Erases the parameters `f` does not read or write and returns the indices
/// (into the kernel function's arguments) of those it keeps: a launch passes
/// only the buffers it touches (CUDA limits a kernel's parameters to 4 KiB,
/// which a fused optimizer kernel's 600 buffers would exceed).
std::vector<uint32_t> keepUsedArguments(gpu::GPUFuncOp f) {
  llvm::BitVector unused(f.getNumArguments());
  std::vector<uint32_t> kept;
  for (auto [i, arg] : llvm::enumerate(f.getArguments())) {
    if (arg.use_empty())
      unused.set(static_cast<unsigned>(i));
    else
      kept.push_back(static_cast<uint32_t>(i));
  }
  f.eraseArguments(unused);
  return kept;
}

gpu::GPUFuncOp FunctionMapper::createFunc(std::string name, OpBuilder &b, IRMapping &map) {
  Block *body = gpuModule.getBody();
  if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
    b.setInsertionPoint(&body->back());
  else
    b.setInsertionPointToEnd(body);
  auto type = FunctionType::get(fn.getContext(), fn.getArgumentTypes(), {});
  auto gpuFunc = b.create<gpu::GPUFuncOp>(fn.getLoc(), name, type);
  gpuFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  Block &entry = gpuFunc.getBody().front();
  for (auto [from, to] : llvm::zip(fn.getArguments(), entry.getArguments()))
    map.map(from, to);
  b.setInsertionPointToStart(&entry);
  return gpuFunc;
}

LogicalResult FunctionMapper::materialize(Value v, OpBuilder &prologue, IRMapping &map) {
  if (map.contains(v))
    return success();
  Operation *def = v.getDefiningOp();
  if (!def || def->getParentOp() != fn.getOperation() || !isPure(def) ||
      def->getNumRegions() != 0)
    return emitError(def ? def->getLoc() : fn.getLoc())
           << "kernel '" << fn.getSymName()
           << "' cannot be mapped to the GPU: a loop reads a value computed outside it with "
              "side effects; keep each kernel's loops independent";
  for (Value operand : def->getOperands())
    if (failed(materialize(operand, prologue, map)))
      return failure();
  prologue.clone(*def, map);
  return success();
}

LogicalResult FunctionMapper::materializeUses(ArrayRef<Operation *> ops, OpBuilder &prologue,
                                              IRMapping &map) {
  llvm::SetVector<Value> used;
  for (Operation *op : ops) {
    for (Value v : op->getOperands())
      used.insert(v);
    for (Region &r : op->getRegions())
      getUsedValuesDefinedAbove(r, used);
  }
  for (Value v : used) {
    // Values defined by an earlier op of the same serial launch are mapped
    // when that op is cloned.
    if (Operation *def = v.getDefiningOp(); def && llvm::is_contained(ops, def))
      continue;
    if (failed(materialize(v, prologue, map)))
      return failure();
  }
  return success();
}

LogicalResult FunctionMapper::mapParallel(scf::ParallelOp loop,
                                          std::vector<GpuLaunch> &launches) {
  if (loop.getNumResults() != 0)
    return loop.emitOpError("with reductions cannot be mapped to the GPU yet; lower the "
                            "reduction to an scf.for inside the loop");
  SmallVector<int64_t> lbs, steps, trips;
  int64_t total = 1;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(), loop.getUpperBound(),
                                       loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return loop.emitOpError("has non-constant bounds; the cuda target needs static shapes");
    int64_t trip = *u > *l ? (*u - *l + *s - 1) / *s : 0;
    if (trip != 0 && total > INT64_MAX / trip)
      return loop.emitOpError("has more iterations than fit in 64 bits");
    lbs.push_back(*l);
    steps.push_back(*s);
    trips.push_back(trip);
    total *= trip;
  }
  if (total == 0)
    return success(); // nothing to compute: no launch
  int64_t width = vectorWidth(loop, lbs, steps, trips);
  int64_t items = total / width;
  int64_t block = std::min<int64_t>(blockSize, (items + 31) / 32 * 32);
  int64_t grid = std::min<int64_t>((items + block - 1) / block, maxGridBlocks);

  std::string name = fn.getSymName().str() + "_l" + std::to_string(launches.size());
  OpBuilder b(fn.getContext());
  IRMapping map;
  gpu::GPUFuncOp gpuFunc = createFunc(name, b, map);
  gpuFunc.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(block), 1, 1}));
  if (failed(materializeUses({loop.getOperation()}, b, map)))
    return failure();
  Location loc = loop.getLoc();
  Value bid = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  Value bdim = b.create<gpu::BlockDimOp>(loc, gpu::Dimension::x);
  Value tid = b.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value gdim = b.create<gpu::GridDimOp>(loc, gpu::Dimension::x);
  Value linear = b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, bid, bdim), tid);
  Value stride = b.create<arith::MulIOp>(loc, gdim, bdim);
  Value limit = b.create<arith::ConstantIndexOp>(loc, items);
  // Grid-stride loop: correct for any grid (the launch may be capped).
  auto gridLoop = b.create<scf::ForOp>(loc, linear, limit, stride);
  b.setInsertionPointToStart(gridLoop.getBody());
  Value rest = gridLoop.getInductionVar();
  if (width > 1)
    rest = b.create<arith::MulIOp>(loc, rest, b.create<arith::ConstantIndexOp>(loc, width));
  SmallVector<Value> ivs(trips.size());
  for (int d = static_cast<int>(trips.size()) - 1; d >= 0; --d) {
    Value trip = b.create<arith::ConstantIndexOp>(loc, trips[d]);
    Value idx = d == 0 ? rest : b.create<arith::RemUIOp>(loc, rest, trip).getResult();
    if (d != 0)
      rest = b.create<arith::DivUIOp>(loc, rest, trip);
    Value iv = idx;
    if (steps[d] != 1)
      iv = b.create<arith::MulIOp>(loc, iv, b.create<arith::ConstantIndexOp>(loc, steps[d]));
    if (lbs[d] != 0)
      iv = b.create<arith::AddIOp>(loc, iv, b.create<arith::ConstantIndexOp>(loc, lbs[d]));
    ivs[d] = iv;
  }
  if (width > 1) {
    emitVectorBody(b, loop, map, ivs, trips, width);
  } else {
    for (auto [from, to] : llvm::zip(loop.getInductionVars(), ivs))
      map.map(from, to);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
  }
  b.setInsertionPointToEnd(&gpuFunc.getBody().front());
  b.create<gpu::ReturnOp>(loc);
  launches.push_back({name, {static_cast<uint32_t>(grid), 1, 1},
                      {static_cast<uint32_t>(block), 1, 1}, keepUsedArguments(gpuFunc)});
  return success();
}

/// Whether `memref`[`indices`] is element (iv...) of a function argument of
/// the loop's shape: indices are the induction variables in order, except
/// constant 0 for dimensions of size 1 (canonicalization drops unit loops).
bool FunctionMapper::isIdentityAccess(Value memref, ValueRange indices, scf::ParallelOp loop,
                                      ArrayRef<int64_t> trips) {
  auto arg = dyn_cast<BlockArgument>(memref);
  if (!arg || arg.getOwner() != &fn.getBody().front())
    return false;
  auto type = cast<MemRefType>(memref.getType());
  if (!type.getLayout().isIdentity())
    return false;
  Type e = type.getElementType();
  if (!e.isF32() && !e.isF16() && !e.isBF16() && !e.isInteger(32) && !e.isInteger(64))
    return false;
  ValueRange ivs = loop.getInductionVars();
  size_t next = 0;
  for (auto [d, index] : llvm::enumerate(indices)) {
    if (next < ivs.size() && index == ivs[next]) {
      if (type.getDimSize(d) != trips[next])
        return false;
      ++next;
      continue;
    }
    std::optional<int64_t> c = getConstantIntValue(index);
    if (!c || *c != 0 || type.getDimSize(d) != 1)
      return false;
  }
  // The innermost induction variable must index the innermost dimension.
  return next == ivs.size() && !indices.empty() && indices.back() == ivs.back();
}

/// Elements per iteration of the grid-stride loop: W > 1 when the loop is
/// elementwise over function arguments of its own shape, 1 otherwise.
/// Elementwise: unit-step loops from 0, a body without regions whose stores
/// all write element (iv...) of an argument, and no argument both stored and
/// read elsewhere than at (iv...). W is kVectorBytes of the narrowest
/// element type accessed at (iv...), and the innermost trip count must be a
/// multiple of W. Each iteration then handles W consecutive elements with
/// one vector load per read argument and one vector store per written one
/// (buffers are at least 256-byte aligned: arena offsets and cuMemAlloc; the
/// first element of an iteration is a multiple of W, so every access starts
/// on a 16-byte boundary).
int64_t FunctionMapper::vectorWidth(scf::ParallelOp loop, ArrayRef<int64_t> lbs,
                                    ArrayRef<int64_t> steps, ArrayRef<int64_t> trips) {
  if (trips.empty())
    return 1;
  if (llvm::any_of(lbs, [](int64_t l) { return l != 0; }) ||
      llvm::any_of(steps, [](int64_t s) { return s != 1; }))
    return 1;
  llvm::DenseSet<Value> stored, readElsewhere;
  int64_t narrowestBytes = 0; // 0: no access at (iv...)
  auto access = [&](MemRefType type) {
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    narrowestBytes = narrowestBytes ? std::min(narrowestBytes, bytes) : bytes;
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (op.getNumRegions() != 0)
      return 1;
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (!isIdentityAccess(store.getMemref(), store.getIndices(), loop, trips))
        return 1;
      stored.insert(store.getMemref());
      access(store.getMemRefType());
      continue;
    }
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (isIdentityAccess(load.getMemref(), load.getIndices(), loop, trips))
        access(load.getMemRefType());
      else
        readElsewhere.insert(load.getMemref());
      continue;
    }
    if (!isPure(&op))
      return 1;
  }
  if (!narrowestBytes ||
      llvm::any_of(stored, [&](Value v) { return readElsewhere.contains(v); }))
    return 1;
  int64_t width = kVectorBytes / narrowestBytes;
  return trips.back() % width == 0 ? width : 1;
}

/// The body for `width` consecutive elements starting at `ivs`: identity
/// loads and stores become vector loads and stores, every other op is cloned
/// once per element.
void FunctionMapper::emitVectorBody(OpBuilder &b, scf::ParallelOp loop, IRMapping &map,
                                    ArrayRef<Value> ivs, ArrayRef<int64_t> trips,
                                    int64_t width) {
  Location loc = loop.getLoc();
  SmallVector<IRMapping> lanes(width, map);
  for (int64_t k = 0; k < width; ++k) {
    SmallVector<Value> laneIvs(ivs);
    if (k != 0)
      laneIvs.back() =
          b.create<arith::AddIOp>(loc, ivs.back(), b.create<arith::ConstantIndexOp>(loc, k));
    for (auto [from, to] : llvm::zip(loop.getInductionVars(), laneIvs))
      lanes[k].map(from, to);
  }
  llvm::DenseSet<Value> aligned;
  auto vectorOperand = [&](Value memref) {
    Value mapped = map.lookup(memref);
    if (aligned.insert(mapped).second) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(mapped);
      b.create<memref::AssumeAlignmentOp>(loc, mapped, kVectorBytes);
    }
    return mapped;
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto load = dyn_cast<memref::LoadOp>(op);
    auto store = dyn_cast<memref::StoreOp>(op);
    auto type = load ? load.getMemRefType() : store ? store.getMemRefType() : MemRefType();
    ValueRange indices = load ? load.getIndices() : store ? store.getIndices() : ValueRange();
    bool identity = type && isIdentityAccess(load ? load.getMemref() : store.getMemref(),
                                             indices, loop, trips);
    if (!identity) {
      for (IRMapping &lane : lanes)
        b.clone(op, lane);
      continue;
    }
    // Lane 0's element: the induction variables at `ivs`, zeros elsewhere.
    SmallVector<Value> first;
    for (Value index : indices)
      first.push_back(lanes[0].lookupOrDefault(index));
    auto vecType = VectorType::get({width}, type.getElementType());
    if (load) {
      Value v = b.create<vector::LoadOp>(loc, vecType, vectorOperand(load.getMemref()), first);
      for (int64_t k = 0; k < width; ++k)
        lanes[k].map(load.getResult(), b.create<vector::ExtractOp>(loc, v, k).getResult());
      continue;
    }
    SmallVector<Value> elements;
    for (IRMapping &lane : lanes)
      elements.push_back(lane.lookupOrDefault(store.getValueToStore()));
    Value v = b.create<vector::FromElementsOp>(loc, vecType, elements);
    b.create<vector::StoreOp>(loc, v, vectorOperand(store.getMemref()), first);
  }
}

LogicalResult FunctionMapper::mapSerial(ArrayRef<Operation *> ops,
                                        std::vector<GpuLaunch> &launches) {
  if (ops.empty())
    return success();
  std::string name = fn.getSymName().str() + "_l" + std::to_string(launches.size());
  OpBuilder b(fn.getContext());
  IRMapping map;
  gpu::GPUFuncOp gpuFunc = createFunc(name, b, map);
  gpuFunc.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({1, 1, 1}));
  if (failed(materializeUses(ops, b, map)))
    return failure();
  for (Operation *op : ops)
    b.clone(*op, map);
  b.create<gpu::ReturnOp>(ops.front()->getLoc());
  launches.push_back({name, {1, 1, 1}, {1, 1, 1}, keepUsedArguments(gpuFunc)});
  return success();
}

/// Step 0: static top-level allocations become trailing arguments.
LogicalResult allocationsToArguments(func::FuncOp fn, std::vector<MemRefType> &scratch) {
  Block &body = fn.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      if (!isa_and_nonnull<memref::AllocOp>(dealloc.getMemref().getDefiningOp()))
        return dealloc.emitOpError("frees memory the kernel did not allocate; the cuda target "
                                   "cannot map kernel '")
               << fn.getSymName() << "'";
      continue;
    }
    auto alloc = dyn_cast<memref::AllocOp>(op);
    if (!alloc)
      continue;
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return alloc.emitOpError("in kernel '")
             << fn.getSymName() << "' allocates " << type
             << ", which is not a static identity-layout buffer the cuda target can provide";
    unsigned index = fn.getNumArguments();
    fn.insertArgument(index, type, {}, alloc.getLoc());
    // Deallocations keep the allocation until they are erased below.
    alloc.getResult().replaceUsesWithIf(fn.getArgument(index), [](OpOperand &use) {
      return !isa<memref::DeallocOp>(use.getOwner());
    });
    scratch.push_back(type);
  }
  for (Operation &op : llvm::make_early_inc_range(body))
    if (isa<memref::DeallocOp>(op))
      op.erase();
  for (Operation &op : llvm::make_early_inc_range(body))
    if (isa<memref::AllocOp>(op) && op.use_empty())
      op.erase();
  WalkResult nested = fn.walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op)) {
      op->emitOpError("in kernel '")
          << fn.getSymName()
          << "' manages memory inside a loop, which the cuda target does not support; "
             "allocate once at the top of the kernel";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(nested.wasInterrupted());
}

LogicalResult FunctionMapper::run(GpuKernel &kernel) {
  if (failed(allocationsToArguments(fn, kernel.scratch)))
    return failure();
  std::vector<GpuLaunch> &launches = kernel.launches;
  SmallVector<Operation *> serial;
  // Pure ops whose operands are arguments or other such ops: cloned on demand.
  llvm::DenseSet<Operation *> hoistable;
  auto isHoistable = [&](Operation &op) {
    if (!isPure(&op) || op.getNumRegions() != 0)
      return false;
    return llvm::all_of(op.getOperands(), [&](Value v) {
      Operation *def = v.getDefiningOp();
      return !def || hoistable.contains(def);
    });
  };
  for (Operation &op : fn.getBody().front()) {
    if (isa<func::ReturnOp>(op))
      break;
    if (isHoistable(op)) {
      hoistable.insert(&op);
      continue;
    }
    if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      if (failed(mapSerial(serial, launches)))
        return failure();
      serial.clear();
      if (failed(mapParallel(loop, launches)))
        return failure();
      continue;
    }
    serial.push_back(&op);
  }
  return mapSerial(serial, launches);
}

} // namespace

FailureOr<std::vector<GpuKernel>>
mapKernelsToGpu(ModuleOp kernels, const std::vector<std::string> &functions,
                unsigned blockSize, unsigned maxGridBlocks) {
  assert(blockSize >= 32 && maxGridBlocks >= 1 && "validated by compileForCuda");
  MLIRContext *ctx = kernels.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(kernels.getBody());
  auto gpuModule = b.create<gpu::GPUModuleOp>(kernels.getLoc(), kGpuModuleName);
  kernels->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  std::vector<GpuKernel> result;
  for (const std::string &name : functions) {
    auto fn = kernels.lookupSymbol<func::FuncOp>(name);
    if (!fn || fn.isExternal())
      return emitError(kernels.getLoc()) << "kernel function '" << name
                                         << "' is missing from the kernel module";
    GpuKernel kernel;
    if (failed(FunctionMapper(fn, gpuModule, blockSize, maxGridBlocks).run(kernel)))
      return failure();
    result.push_back(std::move(kernel));
  }
  for (auto fn : llvm::make_early_inc_range(kernels.getOps<func::FuncOp>()))
    fn.erase();
  return result;
}

} // namespace weft::codegen
