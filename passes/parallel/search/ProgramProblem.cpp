//===- ProgramProblem.cpp - nodes, edges and ties of a function ------------===//
//
// This file implements ProgramProblem (ProgramProblem.h): building the
// StrategyProblem of a function on a mesh and writing a solution back as
// sharding hints.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/ProgramProblem.h"

#include "cost/KernelCost.h"
#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"
#include "passes/parallel/ShardingState.h"
#include "passes/parallel/search/SearchCosts.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/Hashing.h"

#include <map>
#include <tuple>

using namespace mlir;

namespace weft::search {
namespace {

/// The argument's name (weft.param, weft.state or weft.input) or "".
std::string argumentName(func::FuncOp func, unsigned i) {
  for (StringRef attr : {kParamAttr.data(), kStateAttr.data(), kInputAttr.data()})
    if (auto name = func.getArgAttrOfType<StringAttr>(i, attr))
      return name.getValue().str();
  return "";
}


std::vector<ShardingAttr> withoutPartial(ArrayRef<ShardingAttr> all) {
  std::vector<ShardingAttr> out;
  for (ShardingAttr s : all)
    out.push_back(s.withPartial({}));
  return out;
}

} // namespace

/// `name` with every run of digits replaced by '#': "h.3.attn" and "h.7.attn" agree.
std::string withoutLayerNumbers(const std::string &name) {
  std::string out;
  for (char c : name)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      out += c;
    else if (out.empty() || out.back() != '#')
      out += '#';
  return out;
}

bool isCheapToCopy(Operation *op) {
  if (op->getNumResults() != 1)
    return false;
  if (op->getNumOperands() == 0)
    return true;
  return isa<BroadcastOp>(op) && cast<RankedTensorType>(op->getOperand(0).getType()).getNumElements() == 1;
}

void copyCheapValuesPerReader(func::FuncOp func) {
  SmallVector<Operation *> cheap;
  for (Operation &op : func.getBody().front())
    if (isCheapToCopy(&op) && !op.getResult(0).hasOneUse() && !op.getResult(0).use_empty())
      cheap.push_back(&op);
  for (Operation *op : cheap) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : op->getResult(0).getUses())
      uses.push_back(&use);
    for (OpOperand *use : llvm::drop_begin(uses)) {
      OpBuilder b(use->getOwner());
      use->set(b.clone(*op)->getResult(0));
    }
  }
}

ProgramProblem::ProgramProblem(func::FuncOp func, MeshAttr mesh, const cost::ClusterSpec &cluster, bool tie,
                               bool everyOp, bool countActivations)
    : func_(func), mesh_(mesh), cluster_(cluster), everyOp_(everyOp), countActivations_(countActivations) {
  findForwardPass();
  addArguments();
  addOps();
  addUses();
  if (tie)
    tieNodes();
}

void ProgramProblem::findForwardPass() {
  Operation *ret = func_.getBody().front().getTerminator();
  SmallVector<Value> roots;
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    if (func_.getResultAttr(i, kUpdateAttr))
      training_ = true;
    auto name = func_.getResultAttrOfType<StringAttr>(i, kOutputAttr);
    if (name && name.getValue() == "loss")
      roots.push_back(v);
  }
  int params = 0, states = 0;
  for (unsigned i = 0; i < func_.getNumArguments(); ++i) {
    params += func_.getArgAttr(i, kParamAttr) ? 1 : 0;
    states += func_.getArgAttr(i, kStateAttr) ? 1 : 0;
  }
  stateCopies_ = params ? states / params : 0;
  if (!training_ || roots.empty() || everyOp_) {
    training_ = false;
    for (Operation &op : func_.getBody().front())
      if (!op.hasTrait<OpTrait::IsTerminator>())
        forward_.insert(&op);
    return;
  }
  SmallVector<Operation *> work;
  for (Value v : roots)
    if (Operation *op = v.getDefiningOp())
      work.push_back(op);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!forward_.insert(op).second)
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp())
        work.push_back(def);
  }
}

void ProgramProblem::addArguments() {
  for (BlockArgument arg : func_.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    unsigned i = arg.getArgNumber();
    std::vector<ShardingAttr> layouts;
    if (auto hint = func_.getArgAttrOfType<ShardingAttr>(i, kShardingAttr))
      layouts.push_back(hint);
    else
      for (ShardingAttr s : valueShardings(type, mesh_))
        layouts.push_back(s);
    bool param = bool(func_.getArgAttr(i, kParamAttr)), state = bool(func_.getArgAttr(i, kStateAttr));
    if (training_ && state)
      continue; // held and updated in its parameter's layout
    // Training: a parameter, its gradient and state are held, and updated, in its layout.
    double copies = training_ && param ? 2 + stateCopies_ : (param || state ? 1 : 0);
    double streamed = training_ && param ? 3 + 2 * stateCopies_ : 0;
    const cost::DeviceKind &device = cluster_.device;
    ProblemNode node;
    std::string name = argumentName(func_, i);
    node.name = "arg" + std::to_string(i) + (name.empty() ? "" : " (" + name + ")");
    for (ShardingAttr s : layouts) {
      double bytes = localBytes(type, s, mesh_);
      node.bytes.push_back(copies * bytes);
      node.seconds.push_back(streamed > 0 ? cost::memorySeconds(streamed * bytes, device) + device.launchSeconds : 0);
    }
    argNode_[arg] = problem_.addNode(std::move(node));
    keys_.push_back(llvm::hash_combine(StringRef("arg"), type.getAsOpaquePointer(), withoutLayerNumbers(name),
                                       layouts.size()));
    argLayouts_[arg] = std::move(layouts);
  }
}

double ProgramProblem::savedActivationBytes(ArrayRef<int> choiceOfNode) const {
  double bytes = 0;
  if (!training_)
    return bytes;
  for (const auto &[op, strategies] : strategies_) {
    const OpStrategy &chosen = strategies[choiceOfNode[opNode_.lookup(op)]];
    for (auto [r, layout] : llvm::zip(op->getResults(), chosen.results))
      if (savedForBackward(r))
        bytes += localBytes(cast<RankedTensorType>(r.getType()), layout, mesh_);
  }
  return bytes;
}

bool ProgramProblem::savedForBackward(Value v) const {
  return llvm::any_of(v.getUsers(), [&](Operation *user) {
    return !forward_.count(user) && !user->hasTrait<OpTrait::IsTerminator>();
  });
}

void ProgramProblem::addOps() {
  for (Operation &op : func_.getBody().front()) {
    if (!forward_.count(&op))
      continue;
    SmallVector<OpStrategy, 4> strategies = opStrategies(&op, mesh_);
    if (auto decided = op.getAttrOfType<ArrayAttr>(kShardingsAttr)) {
      SmallVector<OpStrategy, 4> kept;
      for (const OpStrategy &s : strategies)
        if (llvm::all_of(llvm::zip(s.results, decided), [](auto pair) {
              return Attribute(std::get<0>(pair).withPartial({})) == std::get<1>(pair);
            }))
          kept.push_back(s);
      if (!kept.empty())
        strategies = std::move(kept);
    }
    ProblemNode node;
    node.name = op.getName().getStringRef().str() + " #" + std::to_string(problem_.nodes.size());
    // Training: the backward pass runs two GEMMs per contraction, about one pass per other op.
    double passes = !training_ ? 1 : isa<MatmulOp, BatchMatmulOp>(op) ? 3 : 2;
    SmallVector<bool, 2> held; // per result: counted as an activation
    for (OpResult r : op.getResults())
      held.push_back(training_ && countActivations_ && savedForBackward(r));
    for (const OpStrategy &s : strategies) {
      node.seconds.push_back(passes * opSeconds(&op, s, mesh_, cluster_));
      // Training: the forward results the backward pass reads are held
      // until it does (the activations at the peak, less the backward's own
      // temporaries: Search.cpp checks the compiler's memory plan).
      double bytes = 0;
      for (auto [r, layout, saved] : llvm::zip(op.getResults(), s.results, held))
        if (saved)
          bytes += localBytes(cast<RankedTensorType>(r.getType()), layout, mesh_);
      node.bytes.push_back(bytes);
    }
    int n = problem_.addNode(std::move(node));
    opNode_[&op] = n;
    keys_.push_back(0); // set by tieNodes
    // A result read more than once is kept in one layout (a node of its own).
    for (OpResult r : op.getResults()) {
      if (llvm::count_if(r.getUsers(), [&](Operation *user) { return forward_.count(user); }) < 2)
        continue;
      auto type = cast<RankedTensorType>(r.getType());
      std::vector<ShardingAttr> layouts;
      for (ShardingAttr s : valueShardings(type, mesh_))
        layouts.push_back(s);
      ProblemNode value;
      value.name = problem_.nodes[n].name + " result " + std::to_string(r.getResultNumber());
      value.seconds.assign(layouts.size(), 0);
      int v = problem_.addNode(std::move(value));
      keys_.push_back(0);
      std::vector<ShardingAttr> held;
      for (const OpStrategy &s : strategies)
        held.push_back(s.results[r.getResultNumber()]);
      addUseEdge({n, held}, v, layouts, type);
      valueNode_[r] = v;
      valueLayouts_[r] = std::move(layouts);
    }
    strategies_[&op] = std::move(strategies);
  }
}

ProgramProblem::Source ProgramProblem::sourceOf(Value v) const {
  if (auto it = valueNode_.find(v); it != valueNode_.end())
    return {it->second, valueLayouts_.lookup(v)};
  if (auto arg = dyn_cast<BlockArgument>(v))
    return {argNode_.lookup(v), argLayouts_.lookup(v)};
  auto r = cast<OpResult>(v);
  Source s{opNode_.lookup(r.getOwner()), {}};
  for (const OpStrategy &st : strategies_.find(r.getOwner())->second)
    s.held.push_back(st.results[r.getResultNumber()]);
  return s;
}

void ProgramProblem::addUseEdge(const Source &from, int toNode, const std::vector<ShardingAttr> &needed,
                                RankedTensorType type, const std::vector<SmallVector<StringAttr, 2>> *gradPartial) {
  ProblemEdge edge;
  edge.from = from.node;
  edge.to = toNode;
  bool differentiable = gradPartial && isa<FloatType>(type.getElementType());
  // Pairs repeat (many strategies need the same layout): cost each once.
  std::map<std::pair<const void *, const void *>, double> cache;
  auto seconds = [&](ShardingAttr held, ShardingAttr need) {
    auto [it, inserted] = cache.try_emplace({held.getAsOpaquePointer(), need.getAsOpaquePointer()}, 0.0);
    if (inserted && held != need)
      it->second = reshardSeconds(type, held, need, mesh_, cluster_);
    return it->second;
  };
  for (ShardingAttr held : from.held)
    for (auto [t, need] : llvm::enumerate(needed)) {
      double cost = seconds(held, need);
      if (differentiable) // the gradient, back from the reader's layout to the producer's
        cost += seconds(need.withPartial((*gradPartial)[t]), held.withPartial({}));
      edge.seconds.push_back(cost);
    }
  problem_.addEdge(std::move(edge));
}

void ProgramProblem::addUses() {
  for (Operation &op : func_.getBody().front()) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (auto [i, v] : llvm::enumerate(op.getOperands())) {
        auto type = cast<RankedTensorType>(v.getType());
        Operation *def = v.getDefiningOp();
        if (training_ && (!def || !searched(def)))
          continue; // an update or a gradient statistic: not searched
        auto name = func_.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
        BlockArgument arg = name ? sharding::argumentNamed(func_, name.getValue()) : BlockArgument();
        if (arg) { // stored back the way the parameter is
          addUseEdge(sourceOf(v), argNode_.lookup(arg), argLayouts_.lookup(arg), type);
          continue;
        }
        ShardingAttr want = sharding::resultSharding(func_, unsigned(i));
        if (!want)
          want = ShardingAttr::replicated(type.getContext(), unsigned(type.getRank()));
        ProblemNode sink;
        sink.name = "result " + std::to_string(i);
        sink.seconds = {0};
        int n = problem_.addNode(std::move(sink));
        keys_.push_back(0);
        addUseEdge(sourceOf(v), n, {want}, type);
      }
      continue;
    }
    if (!searched(&op))
      continue;
    const SmallVector<OpStrategy, 4> &strategies = strategies_.find(&op)->second;
    for (auto [i, v] : llvm::enumerate(op.getOperands())) {
      std::vector<ShardingAttr> needed;
      std::vector<SmallVector<StringAttr, 2>> gradPartial;
      for (const OpStrategy &s : strategies) {
        needed.push_back(s.operands[i]);
        gradPartial.push_back(s.gradPartial[i]);
      }
      addUseEdge(sourceOf(v), opNode_.lookup(&op), needed, cast<RankedTensorType>(v.getType()),
                 training_ ? &gradPartial : nullptr);
    }
  }
}

/// How far back an op's neighbourhood is compared: three levels tell a
/// weight's gradient from an activation's and the first layer from the rest.
constexpr int kTieDepth = 3;

void ProgramProblem::tieNodes() {
  // An op's key: what it is and its neighbourhood (not its location: a
  // parsed .mlir file gives every op its own line).
  std::function<llvm::hash_code(Value, int)> valueKey;
  std::function<llvm::hash_code(Operation *, int)> opKey = [&](Operation *op, int depth) {
    llvm::hash_code h =
        llvm::hash_combine(op->getName().getAsOpaquePointer(), op->getAttrDictionary().getAsOpaquePointer());
    for (Type t : op->getResultTypes())
      h = llvm::hash_combine(h, t.getAsOpaquePointer());
    if (depth > 0)
      for (Value v : op->getOperands())
        h = llvm::hash_combine(h, valueKey(v, depth - 1));
    return h;
  };
  valueKey = [&](Value v, int depth) -> llvm::hash_code {
    if (auto it = argNode_.find(v); it != argNode_.end())
      return keys_[it->second];
    if (isa<BlockArgument>(v))
      return llvm::hash_value(v.getType().getAsOpaquePointer());
    auto r = cast<OpResult>(v);
    return llvm::hash_combine(opKey(r.getOwner(), depth), r.getResultNumber());
  };
  for (auto &[op, n] : opNode_) {
    if (isCheapToCopy(op))
      continue;
    keys_[n] = llvm::hash_combine(opKey(op, kTieDepth), problem_.strategiesOf(n));
    for (OpResult r : op->getResults())
      if (auto it = valueNode_.find(r); it != valueNode_.end())
        keys_[it->second] = llvm::hash_combine(keys_[n], r.getResultNumber(), StringRef("value"));
  }
  std::map<size_t, std::vector<int>> byKey;
  for (auto [n, key] : llvm::enumerate(keys_))
    if (size_t(key) != 0)
      byKey[size_t(key)].push_back(int(n));
  int group = 0;
  for (auto &[key, nodes] : byKey) {
    if (nodes.size() < 2)
      continue;
    for (int n : nodes)
      problem_.nodes[n].group = group;
    ++group;
  }
}

int ProgramProblem::nodeOf(Operation *op) const {
  auto it = opNode_.find(op);
  return it == opNode_.end() ? -1 : it->second;
}

const OpStrategy &ProgramProblem::strategyOf(Operation *op, int choice) const {
  return strategies_.find(op)->second[choice];
}

std::vector<UseReport> ProgramProblem::explain(ArrayRef<int> choice) const {
  std::vector<UseReport> uses;
  auto report = [&](Operation *reader, std::string role, Value v, ShardingAttr held, ShardingAttr needed,
                    ArrayRef<StringAttr> gradPartial, bool backward) {
    auto type = cast<RankedTensorType>(v.getType());
    UseReport u{reader, std::move(role), v, held, needed, {}, {}};
    if (held != needed)
      u.forward = reshardCost(type, held, needed, mesh_, cluster_);
    if (backward && isa<FloatType>(type.getElementType()))
      u.backward = reshardCost(type, needed.withPartial(gradPartial), held.withPartial({}), mesh_, cluster_);
    if (u.forward.seconds + u.backward.seconds > 0)
      uses.push_back(std::move(u));
  };
  auto heldOf = [&](Value v) {
    Source s = sourceOf(v);
    return s.held[choice[s.node]];
  };
  for (Operation &op : func_.getBody().front()) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (auto [i, v] : llvm::enumerate(op.getOperands())) {
        Operation *def = v.getDefiningOp();
        if (training_ && (!def || !searched(def)))
          continue;
        auto name = func_.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
        BlockArgument arg = name ? sharding::argumentNamed(func_, name.getValue()) : BlockArgument();
        if (arg) {
          report(nullptr, "update of " + name.getValue().str(), v, heldOf(v),
                 argLayouts_.lookup(arg)[choice[argNode_.lookup(arg)]], {}, false);
          continue;
        }
        ShardingAttr want = sharding::resultSharding(func_, unsigned(i));
        auto type = cast<RankedTensorType>(v.getType());
        report(nullptr, "result " + std::to_string(i), v, heldOf(v),
               want ? want : ShardingAttr::replicated(type.getContext(), unsigned(type.getRank())), {}, false);
      }
      continue;
    }
    int n = nodeOf(&op);
    if (n < 0)
      continue;
    const OpStrategy &s = strategies_.find(&op)->second[choice[n]];
    for (OpResult r : op.getResults())
      if (auto it = valueNode_.find(r); it != valueNode_.end())
        report(&op, "kept for its readers", r, s.results[r.getResultNumber()],
               valueLayouts_.lookup(r)[choice[it->second]], {}, false);
    for (auto [i, v] : llvm::enumerate(op.getOperands()))
      report(&op, "operand " + std::to_string(i), v, heldOf(v), s.operands[i], s.gradPartial[i], training_);
  }
  return uses;
}

std::vector<ArgReport> ProgramProblem::arguments(ArrayRef<int> choice) const {
  std::vector<ArgReport> args;
  for (BlockArgument arg : func_.getArguments()) {
    auto it = argNode_.find(arg);
    if (it == argNode_.end())
      continue;
    int n = it->second, c = choice[n];
    args.push_back({arg.getArgNumber(), argumentName(func_, arg.getArgNumber()), argLayouts_.lookup(arg)[c],
                    problem_.nodes[n].seconds[c], problem_.nodes[n].bytes[c]});
  }
  return args;
}

void ProgramProblem::apply(ArrayRef<int> choice) {
  MLIRContext *ctx = func_.getContext();
  OpBuilder b(ctx);
  auto constrain = [&](Value v, ShardingAttr s, Operation *before) {
    b.setInsertionPoint(before);
    auto c = b.create<ShardingConstraintOp>(v.getLoc(), v.getType(), v, s);
    c->setAttr(kShardingsAttr, b.getArrayAttr({s}));
    return c;
  };
  // Every layout is decided first, from the problem as built; then the IR changes.
  for (auto [arg, n] : argNode_)
    func_.setArgAttr(cast<BlockArgument>(arg).getArgNumber(), kShardingAttr, argLayouts_.lookup(arg)[choice[n]]);
  // Optimizer state ("adamw.m:<parameter>") is held as its parameter is.
  for (unsigned i = 0; i < func_.getNumArguments(); ++i) {
    auto state = func_.getArgAttrOfType<StringAttr>(i, kStateAttr);
    if (!state || argNode_.count(func_.getArgument(i)))
      continue;
    StringRef param = state.getValue().split(':').second;
    BlockArgument owner = sharding::argumentNamed(func_, param);
    if (owner && argNode_.count(owner))
      func_.setArgAttr(i, kShardingAttr, argLayouts_.lookup(owner)[choice[argNode_.lookup(owner)]]);
  }
  DenseMap<Value, ShardingAttr> kept; // the layout each value is kept in (no partial)
  for (auto [arg, n] : argNode_)
    kept[arg] = argLayouts_.lookup(arg)[choice[n]];
  SmallVector<std::tuple<Operation *, unsigned, ShardingAttr>> operandConstraints;
  SmallVector<std::pair<Value, ShardingAttr>> valueConstraints;
  // The searched ops in program order with their chosen strategies.
  SmallVector<std::pair<Operation *, const OpStrategy *>> chosen;
  for (Operation &op : func_.getBody().front())
    if (int n = nodeOf(&op); n >= 0)
      chosen.push_back({&op, &strategies_.find(&op)->second[choice[n]]});
  for (auto [op, strategy] : chosen) {
    const OpStrategy &s = *strategy;
    SmallVector<Attribute> results;
    for (ShardingAttr r : s.results)
      results.push_back(r.withPartial({}));
    op->setAttr(kShardingsAttr, ArrayAttr::get(ctx, results));
    for (OpResult r : op->getResults()) {
      ShardingAttr produced = s.results[r.getResultNumber()].withPartial({});
      if (auto it = valueNode_.find(r); it != valueNode_.end()) {
        ShardingAttr layout = valueLayouts_.lookup(r)[choice[it->second]];
        kept[r] = layout;
        if (layout != produced)
          valueConstraints.push_back({r, layout});
      } else {
        kept[r] = produced;
      }
    }
  }
  for (auto [op, s] : chosen)
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      if (kept.lookup(v) != s->operands[i])
        operandConstraints.push_back({op, unsigned(i), s->operands[i]});
  for (auto &[v, layout] : valueConstraints) {
    Operation *c = constrain(v, layout, v.getDefiningOp()->getNextNode());
    v.replaceAllUsesExcept(c->getResult(0), c);
  }
  for (auto &[op, i, need] : operandConstraints)
    op->setOperand(i, constrain(op->getOperand(i), need, op)->getResult(0));
}

} // namespace weft::search
