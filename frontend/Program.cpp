//===- Program.cpp - a model under construction ---------------------------===//
//
// This file implements weft::Program: creation of the module and its single
// function, inputs and parameters as tagged function arguments, outputs as
// tagged results, finalization, printing, name scopes and module-call frames.
//
//===----------------------------------------------------------------------===//

#include "frontend/Program.h"
#include "frontend/Builder.h"

#include "ir/AttrNames.h"
#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace weft {

namespace {

std::unique_ptr<detail::ProgramState>
makeState(MLIRContext *ctx, std::unique_ptr<MLIRContext> owned,
          const std::string &name) {
  ctx->loadDialect<WeftDialect, func::FuncDialect>();
  auto state = std::make_unique<detail::ProgramState>(ctx);
  state->ownedContext = std::move(owned);
  OpBuilder &b = state->builder;
  Location loc = UnknownLoc::get(ctx);
  state->module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(state->module->getBody());
  state->func = b.create<func::FuncOp>(loc, name, b.getFunctionType({}, {}));
  Block *entry = state->func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  return state;
}

/// Rejects empty names and non-positive dimensions of inputs and params.
void checkArg(detail::ProgramState &s, const Loc &loc, const char *what,
              const std::string &name, const Shape &shape) {
  if (name.empty())
    s.fail(loc, std::string(what) + " needs a non-empty name");
  for (int64_t d : shape)
    if (d <= 0)
      s.fail(loc, std::string(what) + " '" + name + "' has shape " +
                      shapeStr(shape) +
                      "; every dimension must be a positive static size");
}

/// The attribute dictionary {`attr` = "`name`"} of a tagged argument or
/// result.
DictionaryAttr tagged(MLIRContext *ctx, StringRef attr, StringRef name) {
  return DictionaryAttr::get(
      ctx, {NamedAttribute(StringAttr::get(ctx, attr), StringAttr::get(ctx, name))});
}

/// Appends an argument of `shape` and `dtype` to the program's function,
/// tagged `attr = "name"` (kInputAttr or kParamAttr).
BlockArgument addTaggedArgument(detail::ProgramState &s, const Loc &loc,
                                StringRef attr, const std::string &name,
                                const Shape &shape, DType dtype) {
  Block &entry = s.func.getBody().front();
  BlockArgument arg = entry.addArgument(
      detail::tensorType(s.context, shape, dtype), s.location(loc));
  s.argAttrs.push_back(tagged(s.context, attr, name));
  return arg;
}

} // namespace

Program::Program(std::string name) {
  auto ctx = std::make_unique<MLIRContext>();
  MLIRContext *raw = ctx.get();
  state_ = makeState(raw, std::move(ctx), name);
}

Program::Program(MLIRContext &context, std::string name)
    : state_(makeState(&context, nullptr, name)) {}

Program::~Program() {
  // The module must be destroyed before the context that owns its storage.
  if (state_) {
    state_->module = nullptr;
    state_->ownedContext.reset();
  }
}
Program::Program(Program &&) noexcept = default;
Program &Program::operator=(Program &&) noexcept = default;

Tensor Program::input(const std::string &name, Shape shape, DType dtype,
                      Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "an input");
  checkArg(s, loc, "input", name, shape);
  if (!s.argNames.insert("input:" + name).second)
    s.fail(loc, "input '" + name + "' is defined twice; input names must be "
                                   "unique");
  BlockArgument arg = addTaggedArgument(s, loc, kInputAttr, name, shape, dtype);
  s.inputNames.push_back(name);
  return Tensor(&s, arg);
}

Tensor Program::param(const std::string &name, Shape shape, Init init,
                      DType dtype, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "a parameter");
  std::string full = scopedName(name);
  checkArg(s, loc, "parameter", full, shape);
  if (!s.argNames.insert("param:" + full).second)
    s.fail(loc, "parameter '" + full +
                    "' is defined twice; give it another name or open a "
                    "different scope");
  BlockArgument arg = addTaggedArgument(s, loc, kParamAttr, full, shape, dtype);
  s.params.push_back(ParamSpec{full, std::move(shape), dtype, init});
  // Under LoRA only the adapters train (PEFT's bias = "none").
  if (s.lora.enabled() && !isLoraParamName(full))
    freeze(full, loc);
  return Tensor(&s, arg);
}

void Program::setLora(const LoraConfig &lora, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "LoRA");
  if (s.lora.enabled())
    s.fail(loc, "setLora is called twice; a program has one LoRA configuration");
  if (!s.params.empty())
    s.fail(loc, "setLora is called after parameter '" + s.params.front().name +
                    "' was created; call it before building any module");
  try {
    lora.validate("setLora");
  } catch (const std::invalid_argument &e) {
    s.fail(loc, e.what());
  }
  s.lora = lora;
}

const LoraConfig &Program::lora() const { return state_->lora; }

void Program::freeze(const std::string &name, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "a frozen parameter");
  size_t index = 0;
  for (; index < s.params.size(); ++index)
    if (s.params[index].name == name)
      break;
  if (index == s.params.size())
    s.fail(loc, "cannot freeze '" + name + "': the program has no parameter of that name");
  s.params[index].trainable = false;
  // The argument of the index-th parameter.
  size_t seen = 0;
  for (DictionaryAttr &attrs : s.argAttrs) {
    if (!attrs.get(kParamAttr) || seen++ != index)
      continue;
    NamedAttrList list(attrs);
    list.set(kFrozenAttr, UnitAttr::get(s.context));
    attrs = list.getDictionary(s.context);
    return;
  }
}

void Program::output(const std::string &name, Tensor t, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "an output");
  if (&detail::stateOf(t, loc, "output") != &s)
    s.fail(loc, "output '" + name + "' is a tensor of another Program");
  if (name.empty())
    s.fail(loc, "output needs a non-empty name");
  for (const std::string &n : s.outputNames)
    if (n == name)
      s.fail(loc, "output '" + name +
                      "' is defined twice; output names must be unique");
  s.outputNames.push_back(name);
  s.outputValues.push_back(t.value());
  s.resultTags.push_back({kOutputAttr.str(), name});
}

Tensor Program::state(const std::string &name, Shape shape, DType dtype, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "a state");
  checkArg(s, loc, "state", name, shape);
  if (!s.argNames.insert("state:" + name).second)
    s.fail(loc, "state '" + name + "' is defined twice; state names must be unique");
  BlockArgument arg = addTaggedArgument(s, loc, kStateAttr, name, shape, dtype);
  s.states.push_back({name, arg.getType()});
  return Tensor(&s, arg);
}

void Program::update(const std::string &name, Tensor t, Loc loc) {
  detail::ProgramState &s = *state_;
  s.checkOpen(loc, "an update");
  if (&detail::stateOf(t, loc, "update") != &s)
    s.fail(loc, "the update of state '" + name + "' is a tensor of another Program");
  auto known = llvm::find_if(s.states, [&](const auto &st) { return st.first == name; });
  if (known == s.states.end())
    s.fail(loc, "update of '" + name + "', but the program has no state of that name; "
                "create it with Program::state first");
  if (known->second != t.value().getType())
    s.fail(loc, "the update of state '" + name + "' has shape " + shapeStr(t.shape()) + " " +
                    dtypeName(t.dtype()) + " but the state is " +
                    shapeStr(cast<RankedTensorType>(known->second).getShape()) + " " +
                    dtypeName(detail::dtypeOf(cast<RankedTensorType>(known->second).getElementType())) +
                    "; an update keeps the state's type");
  for (const auto &[attr, n] : s.resultTags)
    if (attr == kUpdateAttr && n == name)
      s.fail(loc, "state '" + name + "' is updated twice; give one new value per run");
  s.outputValues.push_back(t.value());
  s.resultTags.push_back({kUpdateAttr.str(), name});
}

const std::vector<ParamSpec> &Program::params() const { return state_->params; }
const std::vector<std::string> &Program::inputNames() const {
  return state_->inputNames;
}
const std::vector<std::string> &Program::outputNames() const {
  return state_->outputNames;
}

ModuleOp Program::module() {
  detail::ProgramState &s = *state_;
  if (s.finalized)
    return *s.module;
  std::string fn = s.func.getSymName().str();
  if (s.outputValues.empty())
    throw DslError("weft program '" + fn +
                   "': error: the program has no outputs; call "
                   "Program::output(name, tensor) before module()");
  if (s.lora.enabled())
    for (const std::string &target : s.lora.targets)
      if (!s.matchedLoraTargets.count(target)) {
        std::string names;
        for (const std::string &path : s.linearPaths)
          names += (names.empty() ? "" : ", ") + path;
        throw DslError("weft program '" + fn + "': error: the LoRA target module '" + target +
                       "' matches no Linear layer; the Linear layers are: " +
                       (names.empty() ? std::string("none") : names));
      }
  MLIRContext *ctx = s.context;
  s.builder.create<func::ReturnOp>(UnknownLoc::get(ctx), s.outputValues);
  Block &entry = s.func.getBody().front();
  SmallVector<Type> results;
  for (Value v : s.outputValues)
    results.push_back(v.getType());
  s.func.setFunctionType(
      FunctionType::get(ctx, entry.getArgumentTypes(), results));
  s.func.setAllArgAttrs(s.argAttrs);
  SmallVector<DictionaryAttr> resultAttrs;
  for (const auto &[attr, n] : s.resultTags)
    resultAttrs.push_back(tagged(ctx, attr, n));
  s.func.setAllResultAttrs(resultAttrs);
  s.finalized = true;

  detail::DiagnosticCapture capture(ctx);
  if (failed(verify(*s.module)))
    throw DslError("weft program '" + fn + "': error: the finished module " +
                   "does not verify: " + capture.message("(no diagnostic)"));
  return *s.module;
}

MLIRContext &Program::context() { return *state_->context; }

std::string Program::str() {
  ModuleOp m = module();
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.enableDebugInfo(false);
  m->print(os, flags);
  return text;
}

Scope Program::scope(const std::string &name) {
  if (name.empty())
    throw DslError("weft DSL: error: Program::scope needs a non-empty name");
  state_->scopes.push_back(name);
  return Scope(state_.get());
}

std::string Program::scopedName(const std::string &name) const {
  std::string full;
  for (const std::string &s : state_->scopes)
    full += s + ".";
  return full + name;
}

Scope::Scope(Scope &&other) noexcept : state_(other.state_) {
  other.state_ = nullptr;
}

Scope::~Scope() {
  if (state_ && !state_->scopes.empty())
    state_->scopes.pop_back();
}

ModuleCall::ModuleCall(Program &program, Loc loc) : state_(&program.state()) {
  state_->frames.push_back(loc);
}

ModuleCall::~ModuleCall() { state_->frames.pop_back(); }

} // namespace weft
