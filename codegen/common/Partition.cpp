//===- Partition.cpp - a weft program split into buffers, steps, kernels --===//
//
// This file implements partitionIntoKernels. It walks @main in order:
//   1. Arguments become PARAMETER (weft.param), STATE (weft.state) or INPUT
//      (weft.input) buffers named by their tag (an untagged argument is the
//      input "arg<i>").
//   2. weft.constant becomes a CONSTANT buffer holding its bytes (i1: one
//      byte per element; a splat: one element, Buffer.splat);
//      weft.reshape an alias of its input's storage.
//   3. f32 weft.matmul / weft.batch_matmul become Gemm steps (BLAS), with the
//      transpose flags and batch = product of the batch dimensions; so do
//      bf16 / f16 ones with PartitionOptions::narrowFloatGemms (cuBLASLt),
//      the Gemm's dtype being the element type. An f32 (or, so, narrow)
//      weft.fused_matmul is a Gemm step then, with a bias or an activation,
//      one in-place epilogue kernel over its output; an f32
//      weft.fused_batch_matmul is a Gemm step with its alpha, preceded, with
//      an addend, by a kernel writing beta * addend into the output (then the
//      Gemm's beta is 1). See codegen/common/EpilogueKernels.cpp for why.
//   4. Every other weft op becomes one kernel call (operands, then results);
//      ops that are identical up to their operands (same name, own
//      attributes, types; not the discardable weft.* ones such as the memory
//      plan's offsets) share one kernel. Kernels of Elementwise ops are not noalias
//      (the memory plan may run them in place). weft.dynamic_update_slice
//      gets a kernel that writes only its block when its result is the
//      in-place update of the argument it reads (a key/value cache), else one
//      that copies the operand first.
//   5. Each returned value becomes an OUTPUT named by weft.output (default
//      "output<i>"). A value computed here (or a reshape of one) becomes the
//      OUTPUT in place; a parameter, input, constant, an alias of one of
//      those, or a value already returned is copied by a kernel into a fresh
//      OUTPUT buffer.
//   6. A result tagged weft.update (the new value of a parameter or state)
//      is an OUTPUT "update:<name>" with alias_of = updates = that argument's
//      buffer: the op computing it writes the argument's own storage (when
//      isInPlaceUpdate, passes/memory/InPlaceUpdate.h), or else a copy kernel
//      after every other step does. verifyInPlaceUpdates first checks that no
//      op reads an old value after it is overwritten.
// Other values are TEMPORARY buffers; step and buffer labels read
// "<op> @ file:line".
//
//===----------------------------------------------------------------------===//

#include "codegen/common/Partition.h"

#include "codegen/common/CollectiveSteps.h"
#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"
#include "codegen/linalg/Patterns.h"
#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"
#include "ir/WeftQuantOps.h"
#include "ir/WeftStateOps.h"
#include "passes/memory/InPlaceUpdate.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>

using namespace mlir;

namespace weft::codegen {
namespace {

/// "weft.add @ model.cpp:42" (just the op name without a file location).
std::string labelFor(Operation *op) {
  std::string label = op->getName().getStringRef().str();
  FileLineColLoc found;
  op->getLoc()->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l)) {
      found = f;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (found)
    label += " @ " + found.getFilename().str() + ":" + std::to_string(found.getLine());
  return label;
}

FailureOr<proto::DType> dtypeOf(Type t, Location loc) {
  if (std::optional<proto::DType> dtype = bufferDType(t))
    return *dtype;
  return emitError(loc) << "element type " << t
                        << " cannot be stored in a CPU buffer; use f32, f16, bf16, i32, i64 or i1";
}

/// Bytes of one element in a buffer (i1 takes a whole byte).
uint64_t elementBytes(Type t) {
  return t.isInteger(1) ? 1 : t.getIntOrFloatBitWidth() / 8;
}

void appendBits(std::string &bytes, const APInt &bits, uint64_t width) {
  uint64_t v = bits.getZExtValue();
  for (uint64_t i = 0; i < width; ++i)
    bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// The contents of a constant in buffer layout (little-endian, i1 as bytes).
/// A splat of more than one element is one element and `splat` is set (the
/// runtime repeats it: a gradient's zero padding stays a few bytes on disk).
FailureOr<std::string> constantBytes(ConstantOp op, bool &splat) {
  auto type = cast<RankedTensorType>(op.getType());
  Type et = type.getElementType();
  uint64_t width = elementBytes(et);
  std::string bytes;
  Attribute value = op.getValue();
  splat = false;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    splat = dense.isSplat() && type.getNumElements() > 1;
    if (splat) {
      appendBits(bytes,
                 isa<FloatType>(et) ? dense.getSplatValue<APFloat>().bitcastToAPInt()
                                    : dense.getSplatValue<APInt>(),
                 width);
      return bytes;
    }
    bytes.reserve(type.getNumElements() * width);
    if (isa<FloatType>(et)) {
      for (const APFloat &f : dense.getValues<APFloat>())
        appendBits(bytes, f.bitcastToAPInt(), width);
    } else {
      for (const APInt &i : dense.getValues<APInt>())
        appendBits(bytes, i, width);
    }
    return bytes;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (blob && !et.isInteger(1) && blob->getData().size() == type.getNumElements() * width)
      return std::string(blob->getData().begin(), blob->getData().end());
  }
  return op.emitOpError("has a value the CPU code generator cannot read (")
         << value.getAbstractAttribute().getName()
         << "); use a dense<...> attribute";
}

class Partitioner {
public:
  Partitioner(ModuleOp module, const PartitionOptions &options)
      : module(module), options(options), kernels(ModuleOp::create(module.getLoc())) {}

  FailureOr<KernelPartition> run();

private:
  FailureOr<uint32_t> addBuffer(Type type, std::string name, proto::BufferKind kind,
                                Location loc);
  LogicalResult visitArguments(func::FuncOp main);
  LogicalResult visitOp(Operation *op);
  LogicalResult visitReturn(func::FuncOp main, func::ReturnOp ret);
  LogicalResult bindInPlaceUpdates(func::FuncOp main, func::ReturnOp ret);
  LogicalResult addDynamicUpdateSlice(DynamicUpdateSliceOp op);
  LogicalResult addCopiedUpdate(func::FuncOp main, func::ReturnOp ret, unsigned index);
  FailureOr<uint32_t> copyKernel(RankedTensorType type, Location loc);
  FailureOr<uint32_t> kernelFor(Operation *op);
  /// Sets Buffer.index_limit of each INPUT whose values index the rows of a
  /// weft.gather table (the smallest table's rows when several).
  void recordIndexLimits(func::FuncOp main);
  FailureOr<uint32_t>
  kernelForKey(const std::string &key, StringRef opName, unsigned numArgs, unsigned numOutputs,
               bool noAlias, function_ref<LogicalResult(StringRef function)> build);
  void addKernelCall(uint32_t kernel, ArrayRef<uint32_t> args, std::string label);
  FailureOr<uint32_t> addResultBuffer(Operation *op);
  void addGemmStep(Operation *op, uint32_t c, bool transLhs, bool transRhs, float alpha,
                   float beta);
  LogicalResult addMatmulQ8(MatmulQ8Op op);
  LogicalResult addFusedMatmul(FusedMatmulOp op);
  LogicalResult addFusedBatchMatmul(FusedBatchMatmulOp op);
  proto::Buffer &buffer(uint32_t id) { return *exe.mutable_buffers(static_cast<int>(id)); }
  bool fitsGemm(Operation *op, bool transLhs) const;

  ModuleOp module;
  PartitionOptions options;
  OwningOpRef<ModuleOp> kernels;
  proto::Executable exe;
  std::vector<KernelEntry> entries;
  DenseMap<Value, uint32_t> bufferOf;
  std::vector<Value> valueOf; // per buffer: the value it holds (null: a copy)
  llvm::StringMap<uint32_t> kernelByKey;
  llvm::DenseSet<uint32_t> producedHere; // TEMPORARY buffers written by a step
  llvm::DenseSet<uint32_t> isOutput;
  llvm::DenseMap<unsigned, uint32_t> inPlaceUpdate; // result index -> its buffer
};

FailureOr<uint32_t> Partitioner::addBuffer(Type type, std::string name,
                                           proto::BufferKind kind, Location loc) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << "value of type " << type
                          << " cannot be compiled for the CPU; expected a ranked tensor of "
                             "static shape";
  FailureOr<proto::DType> dtype = dtypeOf(tensor.getElementType(), loc);
  if (failed(dtype))
    return failure();
  uint32_t id = static_cast<uint32_t>(exe.buffers_size());
  proto::Buffer *b = exe.add_buffers();
  b->set_id(id);
  b->set_name(std::move(name));
  b->set_kind(kind);
  b->set_dtype(*dtype);
  for (int64_t d : tensor.getShape())
    b->add_shape(d);
  b->set_byte_size(static_cast<uint64_t>(tensor.getNumElements()) *
                   elementBytes(tensor.getElementType()));
  valueOf.push_back(Value());
  return id;
}

LogicalResult Partitioner::visitArguments(func::FuncOp main) {
  for (BlockArgument arg : main.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto param = main.getArgAttrOfType<StringAttr>(i, kParamAttr);
    auto input = main.getArgAttrOfType<StringAttr>(i, kInputAttr);
    auto state = main.getArgAttrOfType<StringAttr>(i, kStateAttr);
    if ((param && input) || (state && (param || input)))
      return main.emitError() << "argument #" << i << " is tagged with more than one of "
                              << "weft.param, weft.input and weft.state; keep one";
    proto::BufferKind kind = param ? proto::PARAMETER : state ? proto::STATE : proto::INPUT;
    std::string name = param   ? param.str()
                       : state ? state.str()
                       : input ? input.str()
                               : "arg" + std::to_string(i);
    FailureOr<uint32_t> id = addBuffer(arg.getType(), name, kind, arg.getLoc());
    if (failed(id) || failed(recordSharding(main.getArgAttrDict(i), module, arg.getLoc(), buffer(*id))))
      return failure();
    bufferOf[arg] = *id;
    valueOf[*id] = arg;
  }
  return success();
}

FailureOr<uint32_t>
Partitioner::kernelForKey(const std::string &key, StringRef opName, unsigned numArgs,
                          unsigned numOutputs, bool noAlias,
                          function_ref<LogicalResult(StringRef function)> build) {
  auto it = kernelByKey.find(key);
  if (it != kernelByKey.end())
    return it->second;
  uint32_t index = static_cast<uint32_t>(exe.kernels_size());
  std::string symbol = "weft_k" + std::to_string(index);
  std::string function = symbol + "_" + opName.str();
  if (failed(build(function)))
    return failure();
  proto::Kernel *k = exe.add_kernels();
  k->set_symbol(symbol);
  k->set_num_args(numArgs);
  entries.push_back({symbol, function, numArgs, numOutputs, noAlias});
  kernelByKey[key] = index;
  return index;
}

FailureOr<uint32_t> Partitioner::kernelFor(Operation *op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  // The op's own attributes only: discardable ones (dialect-prefixed, such
  // as the memory plan's weft.offset, different for every op) do not change
  // the kernel, and keeping them made every planned op a kernel of its own.
  os << op->getName().getStringRef() << "{";
  for (NamedAttribute a : op->getAttrs())
    if (!a.getName().getValue().contains('.'))
      os << a.getName().getValue() << "=" << a.getValue() << ";";
  os << "}";
  for (Type t : op->getOperandTypes())
    os << "," << t;
  os << "->";
  for (Type t : op->getResultTypes())
    os << t << ",";
  if (isa<FusionOp>(op)) {
    // A weft.fusion's kernel is its body; values are numbered within the
    // isolated region, so equal bodies give equal keys.
    AsmState state(op, OpPrintingFlags().printGenericOpForm());
    for (Operation &inner : op->getRegion(0).getOps()) {
      os << ";";
      inner.print(os, state);
    }
  }
  // Elementwise kernels, and a scatter_add's copy of its init, read each
  // element before writing that place: the memory plan may give them one
  // buffer for an operand and the result (MemoryPlan.cpp, mergeInPlace).
  auto scatter = dyn_cast<ScatterAddOp>(op);
  bool mayAlias = op->hasTrait<OpTrait::Elementwise>() || (scatter && scatter.getInit());
  return kernelForKey(key, op->getName().stripDialect(),
                      op->getNumOperands() + op->getNumResults(), op->getNumResults(),
                      /*noAlias=*/!mayAlias,
                      [&](StringRef function) -> LogicalResult {
                        return buildOpKernel(*kernels, op, function,
                                             options.scatterColumnBlock);
                      });
}

void Partitioner::addKernelCall(uint32_t kernel, ArrayRef<uint32_t> args, std::string label) {
  proto::Step *step = exe.add_steps();
  step->set_label(std::move(label));
  proto::KernelCall *call = step->mutable_kernel_call();
  call->set_kernel(kernel);
  for (uint32_t a : args)
    call->add_args(a);
  // The first call fixes what each argument is; calls of a shared kernel come
  // from ops of identical types, so they pass buffers of the same kinds.
  proto::Kernel *k = exe.mutable_kernels(static_cast<int>(kernel));
  if (k->args_size() == 0)
    for (uint32_t a : args) {
      const proto::Buffer &b = exe.buffers(static_cast<int>(a));
      proto::KernelArg *spec = k->add_args();
      spec->set_dtype(b.dtype());
      spec->set_byte_size(b.byte_size());
    }
}

FailureOr<uint32_t> Partitioner::addResultBuffer(Operation *op) {
  Value r = op->getResult(0);
  FailureOr<uint32_t> c = addBuffer(r.getType(), labelFor(op), proto::TEMPORARY, op->getLoc());
  if (failed(c))
    return failure();
  bufferOf[r] = *c;
  valueOf[*c] = r;
  producedHere.insert(*c);
  return *c;
}

void Partitioner::addGemmStep(Operation *op, uint32_t c, bool transLhs, bool transRhs,
                              float alpha, float beta) {
  auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = out.getRank();
  uint64_t batch = 1;
  for (int64_t d = 0; d < rank - 2; ++d)
    batch *= out.getDimSize(d);
  int64_t m = out.getDimSize(rank - 2), n = out.getDimSize(rank - 1);
  int64_t k = transLhs ? lhs.getDimSize(rank - 2) : lhs.getDimSize(rank - 1);
  proto::Step *step = exe.add_steps();
  step->set_label(labelFor(op));
  proto::Gemm *g = step->mutable_gemm();
  g->set_a(bufferOf[op->getOperand(0)]);
  g->set_b(bufferOf[op->getOperand(1)]);
  g->set_c(c);
  g->set_batch(batch);
  g->set_m(m);
  g->set_n(n);
  g->set_k(k);
  g->set_trans_a(transLhs);
  g->set_trans_b(transRhs);
  g->set_alpha(alpha);
  g->set_beta(beta);
  g->set_dtype(*bufferDType(out.getElementType())); // fitsGemm checked it
}

/// "<type>" as text, for kernel keys.
std::string typeKey(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// weft.matmul_q8: one f32 Gemm step whose b is the int8 weight, with
/// b_dtype I8 and b_scales the scales' buffer (a_quantize and
/// a_outlier_threshold from quantize_lhs and outlier_threshold). The
/// transpose flag says the layout of the weight, as for an f32 b. A target
/// without int8 GEMMs (cuda) takes the op expanded by the graph pipeline
/// (weft-expand-matmul-q8); one that reaches it here was not.
LogicalResult Partitioner::addMatmulQ8(MatmulQ8Op op) {
  if (!options.int8WeightGemms) {
    InFlightDiagnostic d = op.emitOpError()
                           << "reached a code generator without int8 GEMMs unexpanded";
    d.attachNote(op.getLoc()) << "run weft-expand-matmul-q8 before weft-schedule and weft-plan-memory "
                                 "(weft::compile does for --target cuda)";
    return d;
  }
  FailureOr<uint32_t> c = addResultBuffer(op);
  if (failed(c))
    return failure();
  addGemmStep(op, *c, /*transLhs=*/false, op.getTransposeRhs(), 1.0f, 0.0f);
  proto::Gemm *g = exe.mutable_steps(exe.steps_size() - 1)->mutable_gemm();
  g->set_b_dtype(proto::I8);
  g->set_b_scales(bufferOf[op.getScales()]);
  g->set_a_quantize(op.getQuantizeLhs());
  if (std::optional<llvm::APFloat> t = op.getOutlierThreshold())
    g->set_a_outlier_threshold(t->convertToFloat());
  return success();
}

LogicalResult Partitioner::addFusedMatmul(FusedMatmulOp op) {
  FailureOr<uint32_t> c = addResultBuffer(op);
  if (failed(c))
    return failure();
  addGemmStep(op, *c, op.getTransposeLhs(), op.getTransposeRhs(), 1.0f, 0.0f);
  bool hasBias = static_cast<bool>(op.getBias()), hasGate = static_cast<bool>(op.getGate());
  if (!hasBias && !hasGate && op.getActivation() == EpilogueActivation::None)
    return success();
  std::string key = "epilogue:" + stringifyEpilogueActivation(op.getActivation()).str() +
                    (hasBias ? ":bias" : "") + (hasGate ? ":gate:" : ":") + typeKey(op.getType());
  SmallVector<uint32_t, 3> args;
  if (hasBias)
    args.push_back(bufferOf[op.getBias()]);
  if (hasGate)
    args.push_back(bufferOf[op.getGate()]);
  FailureOr<uint32_t> kernel =
      kernelForKey(key, "fused_matmul_epilogue", unsigned(args.size()) + 1, 1, /*noAlias=*/true,
                   [&](StringRef function) {
                     buildMatmulEpilogueKernel(*kernels, op, function);
                     return success();
                   });
  if (failed(kernel))
    return failure();
  args.push_back(*c);
  addKernelCall(*kernel, args, labelFor(op) + " (epilogue)");
  return success();
}

/// A weft.dynamic_update_slice: a kernel that writes only the block when the
/// result is the operand's own storage (an in-place weft.update), else one
/// that copies the operand first; the kernel key tells the two apart.
LogicalResult Partitioner::addDynamicUpdateSlice(DynamicUpdateSliceOp op) {
  FailureOr<uint32_t> out = addResultBuffer(op);
  if (failed(out))
    return failure();
  bool inPlace = updatesOperandInPlace(op);
  std::string key;
  llvm::raw_string_ostream os(key);
  os << "dynamic_update_slice:" << op.getDim() << (inPlace ? ":in-place:" : ":copy:")
     << op.getInput().getType() << "," << op.getUpdate().getType() << ","
     << op.getStart().getType();
  FailureOr<uint32_t> kernel =
      kernelForKey(key, "dynamic_update_slice", 4, 1, /*noAlias=*/!inPlace,
                   [&](StringRef function) {
                     buildDynamicUpdateSliceKernel(*kernels, op, function, inPlace);
                     return success();
                   });
  if (failed(kernel))
    return failure();
  addKernelCall(*kernel,
                {bufferOf[op.getInput()], bufferOf[op.getUpdate()], bufferOf[op.getStart()], *out},
                labelFor(op));
  return success();
}

LogicalResult Partitioner::addFusedBatchMatmul(FusedBatchMatmulOp op) {
  FailureOr<uint32_t> c = addResultBuffer(op);
  if (failed(c))
    return failure();
  float alpha = static_cast<float>(op.getAlpha().convertToDouble());
  if (!op.getAddend()) {
    addGemmStep(op, *c, op.getTransposeLhs(), op.getTransposeRhs(), alpha, 0.0f);
    return success();
  }
  std::string beta;
  llvm::raw_string_ostream(beta) << llvm::format("%a", op.getBeta().convertToDouble());
  std::string key = "addend:" + beta + ":" + typeKey(op.getAddend().getType()) + "->" +
                    typeKey(op.getType());
  FailureOr<uint32_t> kernel =
      kernelForKey(key, "fused_batch_matmul_addend", 2, 1, /*noAlias=*/true,
                   [&](StringRef function) {
                     buildAddendFillKernel(*kernels, op, function);
                     return success();
                   });
  if (failed(kernel))
    return failure();
  addKernelCall(*kernel, {bufferOf[op.getAddend()], *c}, labelFor(op) + " (beta * addend)");
  addGemmStep(op, *c, op.getTransposeLhs(), op.getTransposeRhs(), alpha, 1.0f);
  return success();
}

/// True when the GEMM library can run the contraction: operands and result
/// of one element type, f32 (or bf16/f16 with options.narrowFloatGemms), and
/// every dimension in [1, INT_MAX].
bool Partitioner::fitsGemm(Operation *op, bool transLhs) const {
  auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
  auto rhs = cast<RankedTensorType>(op->getOperand(1).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  Type e = out.getElementType();
  bool typeFits = e.isF32() || (options.narrowFloatGemms && (e.isBF16() || e.isF16()));
  if (!typeFits || lhs.getElementType() != e || rhs.getElementType() != e ||
      out.getNumElements() == 0)
    return false;
  int64_t r = out.getRank();
  int64_t k = transLhs ? lhs.getDimSize(r - 2) : lhs.getDimSize(r - 1);
  return k >= 1 && k <= INT_MAX && out.getDimSize(r - 2) <= INT_MAX &&
         out.getDimSize(r - 1) <= INT_MAX;
}

LogicalResult Partitioner::visitOp(Operation *op) {
  Location loc = op->getLoc();
  if (auto c = dyn_cast<ConstantOp>(op)) {
    bool splat = false;
    FailureOr<std::string> bytes = constantBytes(c, splat);
    if (failed(bytes))
      return failure();
    FailureOr<uint32_t> id = addBuffer(c.getType(), labelFor(op), proto::CONSTANT, loc);
    if (failed(id))
      return failure();
    buffer(*id).set_data(std::move(*bytes));
    buffer(*id).set_splat(splat);
    bufferOf[c.getResult()] = *id;
    valueOf[*id] = c.getResult();
    return success();
  }
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    FailureOr<uint32_t> id = addBuffer(r.getType(), labelFor(op), proto::TEMPORARY, loc);
    if (failed(id))
      return failure();
    const proto::Buffer &source = buffer(bufferOf[r.getInput()]);
    buffer(*id).set_alias_of(source.has_alias_of() ? source.alias_of() : source.id());
    bufferOf[r.getResult()] = *id;
    valueOf[*id] = r.getResult();
    return success();
  }
  if (isa<AxisIndexOp>(op)) { // written by the runtime at load
    FailureOr<uint32_t> id = addBuffer(op->getResult(0).getType(), labelFor(op), proto::MESH_INDEX, loc);
    if (failed(id) || failed(meshAxesOf(op, module, buffer(*id))))
      return failure();
    bufferOf[op->getResult(0)] = *id;
    valueOf[*id] = op->getResult(0);
    return success();
  }
  if (isCollective(op)) {
    FailureOr<uint32_t> out = addResultBuffer(op);
    if (failed(out))
      return failure();
    return addCollectiveStep(op, module, bufferOf[op->getOperand(0)], *out, labelFor(op), exe);
  }
  auto addGemm = [&](bool transLhs, bool transRhs) -> LogicalResult {
    FailureOr<uint32_t> c = addResultBuffer(op);
    if (failed(c))
      return failure();
    addGemmStep(op, *c, transLhs, transRhs, 1.0f, 0.0f);
    return success();
  };
  if (auto mm = dyn_cast<MatmulOp>(op); mm && fitsGemm(op, mm.getTransposeLhs()))
    return addGemm(mm.getTransposeLhs(), mm.getTransposeRhs());
  if (auto bmm = dyn_cast<BatchMatmulOp>(op); bmm && fitsGemm(op, bmm.getTransposeLhs()))
    return addGemm(bmm.getTransposeLhs(), bmm.getTransposeRhs());
  if (auto fmm = dyn_cast<FusedMatmulOp>(op); fmm && fitsGemm(op, fmm.getTransposeLhs()))
    return addFusedMatmul(fmm);
  if (auto fbmm = dyn_cast<FusedBatchMatmulOp>(op);
      fbmm && fitsGemm(op, fbmm.getTransposeLhs()))
    return addFusedBatchMatmul(fbmm);
  if (auto dus = dyn_cast<DynamicUpdateSliceOp>(op))
    return addDynamicUpdateSlice(dus);
  if (auto q8 = dyn_cast<MatmulQ8Op>(op))
    return addMatmulQ8(q8);
  if (!isa_and_nonnull<WeftDialect>(op->getDialect()) || op->getNumResults() == 0 ||
      (op->getNumRegions() != 0 && !isa<FusionOp>(op)))
    return op->emitOpError("cannot be compiled for the CPU: the code generator takes weft ops "
                           "with results in @main; lower or remove this op first");
  SmallVector<uint32_t> args;
  for (Value v : op->getOperands())
    args.push_back(bufferOf[v]);
  for (Value r : op->getResults()) {
    FailureOr<uint32_t> out = addBuffer(r.getType(), labelFor(op), proto::TEMPORARY, loc);
    if (failed(out))
      return failure();
    args.push_back(*out);
    bufferOf[r] = *out;
    valueOf[*out] = r;
    producedHere.insert(*out);
  }
  FailureOr<uint32_t> kernel = kernelFor(op);
  if (failed(kernel))
    return failure();
  addKernelCall(*kernel, args, labelFor(op));
  return success();
}

/// "update:<name>" unless the result also has a weft.output name.
std::string updateOutputName(func::FuncOp main, unsigned index) {
  if (auto tag = main.getResultAttrOfType<StringAttr>(index, kOutputAttr))
    return tag.str();
  return "update:" + main.getResultAttrOfType<StringAttr>(index, kUpdateAttr).str();
}

FailureOr<uint32_t> Partitioner::copyKernel(RankedTensorType type, Location loc) {
  return kernelForKey("copy:" + typeKey(type), "copy", 2, 1, /*noAlias=*/true,
                      [&](StringRef function) {
                        buildCopyKernel(*kernels, type, loc, function);
                        return success();
                      });
}

/// Step 6, in place: before any output is bound, the buffer of each in-place
/// update becomes an alias of its argument (and views of it follow), so that
/// later outputs see where its bytes really are.
LogicalResult Partitioner::bindInPlaceUpdates(func::FuncOp main, func::ReturnOp ret) {
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    if (!isInPlaceUpdate(main, i))
      continue;
    uint32_t target = bufferOf[getUpdatedArgument(main, i)];
    uint32_t id = bufferOf[ret.getOperand(i)];
    if (!producedHere.contains(id) || buffer(id).has_alias_of())
      return ret.emitOpError("internal error: result #")
             << i << " is an in-place update but its value has no buffer written by a step";
    proto::Buffer &b = buffer(id);
    b.set_kind(proto::OUTPUT);
    b.set_name(updateOutputName(main, i));
    b.set_alias_of(target);
    b.set_updates(target);
    for (proto::Buffer &other : *exe.mutable_buffers())
      if (other.has_alias_of() && other.alias_of() == id)
        other.set_alias_of(target);
    isOutput.insert(id);
    inPlaceUpdate[i] = id;
    // The kernel writing it may read the old value at the same index (an
    // elementwise weft.fusion): its arguments may alias, so no noalias.
    for (const proto::Step &step : exe.steps())
      if (step.has_kernel_call() && llvm::is_contained(step.kernel_call().args(), id))
        entries[step.kernel_call().kernel()].noAlias = false;
  }
  return success();
}

/// Step 6, otherwise: an OUTPUT aliasing the argument, written by a copy
/// kernel (none when the value is the argument itself).
LogicalResult Partitioner::addCopiedUpdate(func::FuncOp main, func::ReturnOp ret,
                                           unsigned index) {
  Value v = ret.getOperand(index);
  uint32_t target = bufferOf[getUpdatedArgument(main, index)];
  uint32_t id = bufferOf[v];
  uint32_t root = buffer(id).has_alias_of() ? buffer(id).alias_of() : id;
  std::string name = updateOutputName(main, index);
  FailureOr<uint32_t> out = addBuffer(v.getType(), name, proto::OUTPUT, ret.getLoc());
  if (failed(out))
    return failure();
  buffer(*out).set_alias_of(target);
  buffer(*out).set_updates(target);
  if (root != target) {
    FailureOr<uint32_t> kernel = copyKernel(cast<RankedTensorType>(v.getType()), ret.getLoc());
    if (failed(kernel))
      return failure();
    addKernelCall(*kernel, {id, *out}, "copy into '" + name + "'");
  }
  isOutput.insert(*out);
  exe.add_outputs(*out);
  return success();
}

LogicalResult Partitioner::visitReturn(func::FuncOp main, func::ReturnOp ret) {
  if (failed(bindInPlaceUpdates(main, ret)))
    return failure();
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (auto it = inPlaceUpdate.find(i); it != inPlaceUpdate.end()) {
      exe.add_outputs(it->second);
      continue;
    }
    if (getUpdatedArgument(main, i)) {
      if (failed(addCopiedUpdate(main, ret, i)))
        return failure();
      continue;
    }
    auto tag = main.getResultAttrOfType<StringAttr>(i, kOutputAttr);
    std::string name = tag ? tag.str() : "output" + std::to_string(i);
    uint32_t id = bufferOf[v];
    proto::Buffer &b = buffer(id);
    uint32_t root = b.has_alias_of() ? b.alias_of() : id;
    // A fresh value (or a reshape of one) becomes the output in place.
    if (producedHere.contains(root) && !isOutput.contains(id)) {
      b.set_kind(proto::OUTPUT);
      b.set_name(name);
      isOutput.insert(id);
      exe.add_outputs(id);
      continue;
    }
    FailureOr<uint32_t> copy = addBuffer(v.getType(), name, proto::OUTPUT, ret.getLoc());
    if (failed(copy))
      return failure();
    auto type = cast<RankedTensorType>(v.getType());
    std::string key = "copy:" + typeKey(type);
    FailureOr<uint32_t> kernel =
        kernelForKey(key, "copy", 2, 1, /*noAlias=*/true, [&](StringRef function) {
          buildCopyKernel(*kernels, type, ret.getLoc(), function);
          return success();
        });
    if (failed(kernel))
      return failure();
    addKernelCall(*kernel, {id, *copy}, "copy to output '" + name + "'");
    isOutput.insert(*copy);
    exe.add_outputs(*copy);
  }
  return success();
}

void Partitioner::recordIndexLimits(func::FuncOp main) {
  main.walk([&](GatherOp gather) {
    // The rows the indices select; the indices may reach the input through
    // reshapes (aliases of the same bytes).
    Value indices = gather.getIndices();
    while (auto reshape = indices.getDefiningOp<ReshapeOp>())
      indices = reshape.getInput();
    auto it = bufferOf.find(indices);
    if (!isa<BlockArgument>(indices) || it == bufferOf.end())
      return;
    proto::Buffer *b = exe.mutable_buffers(static_cast<int>(it->second));
    uint64_t rows = static_cast<uint64_t>(gather.getTable().getType().getDimSize(0));
    if (b->kind() == proto::INPUT && (b->index_limit() == 0 || rows < b->index_limit()))
      b->set_index_limit(rows);
  });
}

FailureOr<KernelPartition> Partitioner::run() {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return module.emitError("no func.func @main with a body to compile; name the entry "
                            "function of the program main");
  if (!main.getBody().hasOneBlock())
    return main.emitError("@main has more than one block; the CPU code generator takes a "
                          "straight-line function");
  recordMesh(module, exe);
  if (failed(verifyInPlaceUpdates(main)) || failed(visitArguments(main)))
    return failure();
  for (Operation &op : main.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      if (failed(visitReturn(main, ret)))
        return failure();
    } else if (failed(visitOp(&op))) {
      return failure();
    }
  }
  recordIndexLimits(main);
  for (auto [i, id] : llvm::enumerate(exe.outputs()))
    if (failed(recordSharding(main.getResultAttrDict(i), module, main.getLoc(), buffer(id))))
      return failure();
  for (const KernelEntry &entry : entries)
    if (!entry.noAlias)
      if (auto fn = kernels->lookupSymbol<func::FuncOp>(entry.function))
        fn->setAttr(kArgsMayAliasAttr, UnitAttr::get(fn.getContext()));
  KernelPartition result;
  result.main = main;
  result.bufferValues = std::move(valueOf);
  result.executable = std::move(exe);
  result.kernels = std::move(kernels);
  result.entries = std::move(entries);
  return result;
}

} // namespace

FailureOr<KernelPartition> partitionIntoKernels(ModuleOp module, const PartitionOptions &options) {
  return Partitioner(module, options).run();
}

std::optional<proto::DType> bufferDType(Type t) {
  if (t.isF32()) return proto::F32;
  if (t.isF16()) return proto::F16;
  if (t.isBF16()) return proto::BF16;
  if (t.isInteger(32)) return proto::I32;
  if (t.isInteger(64)) return proto::I64;
  if (t.isInteger(1)) return proto::I1;
  if (t.isInteger(8)) return proto::I8;
  return std::nullopt;
}

} // namespace weft::codegen
