//===- Program.h - a model under construction -------------------*- C++ -*-===//
//
// This file implements weft::Program, the root object of the DSL: it owns (or
// borrows) an MLIRContext and a module holding one func.func whose arguments
// are the model's inputs and parameters and whose results are its outputs.
// It also provides the RAII helpers that give parameters hierarchical names
// (Scope) and give ops inside nn modules call-site locations (ModuleCall).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_PROGRAM_H
#define WEFT_FRONTEND_PROGRAM_H

#include "frontend/LoraConfig.h"
#include "frontend/Sharding.h"
#include "frontend/Tensor.h"
#include "frontend/Types.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace weft {

class Program;

/// While alive, parameter names created in the program are prefixed with the
/// scope's name; nested scopes join with '.'. Obtain one from Program::scope.
class Scope {
public:
  Scope(Scope &&other) noexcept;
  Scope(const Scope &) = delete;
  Scope &operator=(const Scope &) = delete;
  Scope &operator=(Scope &&) = delete;
  /// Pops the name.
  ~Scope();

private:
  friend class Program;
  explicit Scope(detail::ProgramState *state) : state_(state) {}
  detail::ProgramState *state_;
};

/// While alive, ops built in the program get the location
/// callsite(<op line> at <loc>) and errors are reported at `loc` (the model
/// line that called the module), with the module lines as trailing notes.
/// nn modules open one at the top of each call; user modules may do the same.
class ModuleCall {
public:
  /// Pushes `loc` as the caller frame of everything built until destruction.
  ModuleCall(Program &program, Loc loc);
  ModuleCall(const ModuleCall &) = delete;
  ModuleCall &operator=(const ModuleCall &) = delete;
  /// Pops the frame.
  ~ModuleCall();

private:
  detail::ProgramState *state_;
};

/// A model being built: inputs, parameters, ops and outputs of one function.
class Program {
public:
  /// A program with its own MLIRContext; `name` is the function's symbol.
  explicit Program(std::string name = "main");
  /// A program whose module lives in a caller's context (the weft and func
  /// dialects are loaded into it). The context must outlive the program.
  explicit Program(mlir::MLIRContext &context, std::string name = "main");
  ~Program();
  Program(Program &&) noexcept;
  Program &operator=(Program &&) noexcept;
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;

  /// A new function argument tagged `weft.input = "<name>"`. Input names are
  /// not scoped and must be unique.
  Tensor input(const std::string &name, Shape shape, DType dtype = DType::F32,
               Loc loc = Loc::current());

  /// A new function argument tagged `weft.param = "<scoped name>"`; its
  /// ParamSpec is recorded. A duplicate name throws DslError.
  Tensor param(const std::string &name, Shape shape,
               Init init = Init::normal(0.02), DType dtype = DType::F32,
               Loc loc = Loc::current());

  /// A new function argument tagged `weft.state = "<name>"` (not scoped):
  /// a value that persists in its own storage between runs, starts at zero
  /// and is replaced by the value given to update(name, ...) (a key/value
  /// cache). State names must be unique.
  Tensor state(const std::string &name, Shape shape, DType dtype = DType::F32,
               Loc loc = Loc::current());

  /// Makes `t` the new value of state `name`: a function result tagged
  /// `weft.update = "<name>"`, which the compiled program writes into the
  /// state's own storage. `t` must have the state's type; a state is updated
  /// at most once.
  void update(const std::string &name, Tensor t, Loc loc = Loc::current());

  /// Puts the program on `mesh` (the module's `weft.mesh`); shard hints
  /// then take effect and the compile partitions the program. Call it before
  /// any input, parameter or op; a second call, or one after that or after
  /// finalizing, throws DslError. An empty mesh is one device (no attribute).
  /// Implemented in Sharding.cpp.
  void setMesh(const MeshSpec &mesh, Loc loc = Loc::current());
  /// The mesh set by setMesh (empty: one device).
  const MeshSpec &mesh() const;

  /// Puts LoRA adapters on the program (frontend/LoraConfig.h): every
  /// nn::Linear built afterwards whose path `lora` matches gets
  /// "<path>.lora_A.weight" and "<path>.lora_B.weight", and every parameter
  /// created afterwards that is not an adapter is frozen (freeze). Call it
  /// before any parameter; an invalid config, a second call or a late one
  /// throws DslError. When the program is finalized, a target that matched no
  /// Linear throws DslError listing the Linear modules there are.
  void setLora(const LoraConfig &lora, Loc loc = Loc::current());
  /// The config of setLora (r = 0: none).
  const LoraConfig &lora() const;

  /// Freezes parameter `name` (its full scoped name): the argument gets the
  /// unit attribute `weft.frozen` and its ParamSpec::trainable is false, so
  /// a training step computes no gradient or optimizer state for it and never
  /// updates it. An unknown name, or a call after finalizing, throws DslError.
  void freeze(const std::string &name, Loc loc = Loc::current());

  /// Makes `t` a function result tagged `weft.output = "<name>"`.
  void output(const std::string &name, Tensor t, Loc loc = Loc::current());

  /// The parameters in creation order (function argument order).
  const std::vector<ParamSpec> &params() const;
  /// The input names in creation order.
  const std::vector<std::string> &inputNames() const;
  /// The output names in the order of the function results.
  const std::vector<std::string> &outputNames() const;

  /// Finalizes the function (func.return of the outputs, function type and
  /// argument/result attributes) and returns the module. Idempotent; adding
  /// inputs, params, ops or outputs afterwards throws DslError. Throws when
  /// the program has no output.
  mlir::ModuleOp module();
  /// The context holding the module.
  mlir::MLIRContext &context();
  /// The finalized module printed without debug locations.
  std::string str();

  /// Opens a name scope: params created while it lives are "<scope>.<name>".
  Scope scope(const std::string &name);
  /// `name` prefixed with the open scopes ("h.0.attn" + "." + name).
  std::string scopedName(const std::string &name) const;

  /// The internal state shared with Tensor handles.
  detail::ProgramState &state() { return *state_; }

private:
  std::unique_ptr<detail::ProgramState> state_;
};

} // namespace weft

#endif // WEFT_FRONTEND_PROGRAM_H
