//===- Passes.td - weft's graph-level passes -------------------------------===//
//
// This file declares the passes that transform or analyse weft graphs before
// code generation, grouped under banners in pipeline order. Each pass lives in
// its own .cpp file in the folder of its group (passes/training/, fusion/,
// memory/, analysis/) and has a lit test tests/passes/<flag>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_TD
#define WEFT_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Training (passes/training/), in pipeline order: mixed precision, autodiff,
// optimizer, loss scaling. Module passes on one function (option `function`).
//===----------------------------------------------------------------------===//

def MixedPrecisionPass : Pass<"weft-mixed-precision", "mlir::ModuleOp"> {
  let summary = "Compute matmuls and the math between them in bf16/f16, keep f32 master weights and reductions";
  let description = [{
    Runs on the forward function with its loss BEFORE weft-autodiff, so
    that the backward pass is derived in the low precision by the ops' own
    gradients (a weft.cast's gradient casts back: the gradients reaching
    the f32 parameters are f32). Parameters stay f32 arguments (master
    weights). The policy, applied to ops with f32 results in order:
    1. matmul and batch_matmul always compute in the low type;
    2. add, sub, mul, div, neg, max, min, relu, tanh, sigmoid, gelu,
       gelu_tanh and fast_gelu compute in the low type when some operand
       was computed in the low type and every other float operand was too
       or is "plain" (an argument or constant, possibly broadcast,
       reshaped, transposed or sliced); so a bias add and a GELU after a
       matmul go low, while x - max(x) (softmax), x - mean(x) (LayerNorm)
       and the residual stream, whose other operand is a statistic or an
       f32 result, stay f32;
    3. broadcast, reshape, transpose and slice of a low value stay low;
    4. everything else stays f32: every weft.reduce (LayerNorm statistics,
       softmax sums and maxima, the loss's mean), exp, log, sqrt, rsqrt,
       pow, gather, select and the loss itself.
    An f32 operand of a low op is cast once (shared by later uses: one cast
    per parameter); a low result is cast back to f32 for f32 readers.

    With loss-scaling (for f16) the pass also adds the f32 scalar input
    `weft.input = "amp.loss_scale_log2"` (s) and the outputs
    `"loss_scale"` = 2^(init-scale-log2 + s) and `"scaled_loss"` =
    loss * loss_scale; differentiate "scaled_loss" with weft-autodiff and
    run weft-loss-scaling after weft-optimizer. For inference,
    `store-parameters` then turns every parameter whose uses are all casts to
    the low type or gathers reading it as their table into an argument of
    that type (the casts go): the weights are held and loaded in bf16/f16, as
    Hugging Face's torch_dtype does. A gather of such a table reads low rows
    and casts only them back to f32 (its readers that cast the rows to the
    low type read them directly), so a tied embedding (GPT-2's wte: the
    lookup and the LM head) is held once, low, and no run casts the whole
    table. A parameter with another use (a LayerNorm gain that f32 math
    reads) stays f32. In a training program, `store-frozen` does the same
    for the parameters marked `weft.frozen` only (a LoRA base: held once, in
    the low type, instead of f32 plus a low copy per step); trainable ones
    keep their f32 master weights. For inference, `store-states` holds the
    key/value caches low as well: a `weft.state` argument whose values
    (through an in-place weft.dynamic_update_slice into it, data movement and
    a beam reorder's weft.gather of its rows) are read only by those ops, by
    matmul/batch_matmul and by the return as its own `weft.update` becomes an
    argument of the low type, written low (the new rows cast once) and read
    low by the attention products, with no cast of the whole cache. A state
    with another reader stays f32, and a product reading an f32 state stays
    f32 (a low product would cast the whole cache every step). Errors: an unknown
    precision, a missing function, no f32 scalar loss output (with
    loss-scaling).

    Before:
    ```mlir
    func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %x: tensor<2x4xf32> {weft.input = "x"})
        -> (tensor<f32> {weft.output = "loss"}) {
      %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
      %1 = weft.reduce mean %0 dims = [0, 1] : tensor<2x3xf32>
      return %1 : tensor<f32>
    }
    ```
    after, with precision=bf16:
    ```mlir
      %xb = weft.cast %x : tensor<2x4xf32> -> tensor<2x4xbf16>
      %wb = weft.cast %w : tensor<4x3xf32> -> tensor<4x3xbf16>
      %0 = weft.matmul %xb, %wb : tensor<2x4xbf16>, tensor<4x3xbf16> -> tensor<2x3xbf16>
      %1 = weft.cast %0 : tensor<2x3xbf16> -> tensor<2x3xf32>
      %2 = weft.reduce mean %1 dims = [0, 1] : tensor<2x3xf32>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "the compute type: bf16 or f16">,
    Option<"lossScaling", "loss-scaling", "bool", /*default=*/"false",
           "scale the loss dynamically (for f16; see weft-loss-scaling)">,
    Option<"initScaleLog2", "init-scale-log2", "double", /*default=*/"16",
           "log2 of the first loss scale (2^16 = 65536)">,
    Option<"loss", "loss", "std::string", /*default=*/"\"loss\"",
           "the weft.output name of the scalar loss">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the forward function">,
    Option<"storeParameters", "store-parameters", "bool", /*default=*/"false",
           "inference: a parameter every use of which is a cast to the low type or a gather of it becomes an "
           "argument of that type (the weights a served model holds in bf16/f16); training keeps f32 master weights">,
    Option<"storeStates", "store-states", "bool", /*default=*/"false",
           "inference: a weft.state only written in place, moved, gathered and read by products (a key/value "
           "cache) becomes an argument of the low type, its update returned low">,
    Option<"storeFrozen", "store-frozen", "bool", /*default=*/"false",
           "training: store-parameters for the frozen parameters only (weft.frozen: LoRA's base weights, which "
           "no optimizer updates and so need no f32 master copy)">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def AutodiffPass : Pass<"weft-autodiff", "mlir::ModuleOp"> {
  let summary = "Append the gradient of the loss with respect to every parameter";
  let description = [{
    Reverse-mode automatic differentiation of the forward function (`@main`
    by default): from its scalar float output named by `loss` (default: the
    output tagged `weft.output = "loss"`) it builds, in weft ops, the
    gradient of the loss with respect to every float argument tagged
    `weft.param`, and appends them as new results tagged
    `weft.output = "grad:<param name>"` in argument order. The forward
    outputs are kept. Each op contributes its vector-Jacobian product through
    GradientOpInterface (ir/gradients/Gradients*.cpp); only ops on a float
    path from a parameter to the loss get one, cotangents of values with
    several uses are summed with weft.add, and a parameter the loss does not
    depend on gets zeros. Integer and i1 values carry no gradient. A parameter
    marked `weft.frozen` (Program::freeze, LoRA's base weights) is a constant
    here: no gradient is built or output for it, so weft-optimizer keeps no
    state for it and leaves it unchanged. Errors at
    the op's location: a missing, non-scalar or non-float loss; an op
    without a gradient on the path; a parameter that reaches the loss only
    through integer or i1 values. Before:
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"},
                    %x: tensor<4xf32> {weft.input = "x"})
        -> (tensor<f32> {weft.output = "loss"}) {
      %0 = weft.mul %w, %x : tensor<4xf32>
      %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
      return %1 : tensor<f32>
    }
    ```
    after:
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"},
                    %x: tensor<4xf32> {weft.input = "x"})
        -> (tensor<f32> {weft.output = "loss"},
            tensor<4xf32> {weft.output = "grad:w"}) {
      %0 = weft.mul %w, %x : tensor<4xf32>
      %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
      %seed = weft.constant dense<1.0> : tensor<f32>
      %2 = weft.broadcast %seed dims = [] : tensor<f32> -> tensor<4xf32>
      %3 = weft.mul %2, %x : tensor<4xf32>
      return %1, %3 : tensor<f32>, tensor<4xf32>
    }
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"loss\"",
           "the weft.output name of the scalar loss to differentiate">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the forward function to differentiate">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def OptimizerPass : Pass<"weft-optimizer", "mlir::ModuleOp"> {
  let summary = "Append the optimizer update (SGD or AdamW) to a function with gradients";
  let description = [{
    Runs after weft-autodiff and turns its output into a training step: for
    every result `weft.output = "grad:<param>"` it builds, in weft ops, the
    update of that parameter and of its optimizer state, and drops the
    gradient results (kept with keep-gradients). New arguments: the f32
    scalar inputs `weft.input = "lr"` (the host computes warmup and decay
    per step) and, for AdamW, `weft.input = "step"` (t, 1-based, for bias
    correction), then the optimizer state tagged
    `weft.state = "adamw.m:<param>"`, `"adamw.v:<param>"` or
    `"sgd.momentum:<param>"`, shaped like its parameter (the runtime
    starts it at zero). New results: the new parameter and state values
    tagged `weft.update = "<param or state name>"`; code generators write
    them into the parameter's or state's own storage (in place).

    SGD: g += weight-decay * p (coupled, as PyTorch); with momentum,
    buf = momentum * buf + g; p -= lr * buf (or g). AdamW (PyTorch's):
    m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
    p = p (1 - lr wd) - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    Weight decay applies to parameters of rank >= 2 only (matrices and
    embeddings, not biases or LayerNorm gains, as GPT-2 training does)
    unless decay-all. With clip-norm > 0 all gradients are first scaled by
    min(1, clip-norm / (||g|| + 1e-6)) with ||g|| the L2 norm over all of
    them, returned as `weft.output = "grad_norm"`. The per-step scalars are
    packed into one vector read through weft.slice, so that
    weft-fuse-elementwise makes one kernel per parameter. Errors: no
    gradient outputs, a gradient naming no parameter, a function that
    already has state, updates, or an input named lr or step.

    Before (after weft-autodiff):
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"})
        -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.output = "grad:w"})
    ```
    after, with optimizer=sgd:
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"},
                    %lr: tensor<f32> {weft.input = "lr"})
        -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.update = "w"}) {
      ...
      %c = weft.reshape %lr : tensor<f32> -> tensor<1xf32>
      %s = weft.slice %c start = [0] limit = [1] strides = [1] : tensor<1xf32>
      %b = weft.broadcast %s dims = [0] : tensor<1xf32> -> tensor<4xf32>
      %d = weft.mul %b, %grad : tensor<4xf32>
      %new = weft.sub %w, %d : tensor<4xf32>
      return %loss, %new : tensor<f32>, tensor<4xf32>
    }
    ```
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adamw\"",
           "sgd or adamw">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "AdamW's first-moment decay">,
    Option<"beta2", "beta2", "double", /*default=*/"0.95", "AdamW's second-moment decay">,
    Option<"eps", "eps", "double", /*default=*/"1e-8", "AdamW's denominator epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.1",
           "weight decay (AdamW: decoupled; SGD: added to the gradient)">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0", "SGD momentum (0: none)">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"0.0",
           "clip the global gradient norm to this value (0: off)">,
    Option<"decayAll", "decay-all", "bool", /*default=*/"false",
           "apply weight decay to every parameter, not only those of rank >= 2">,
    Option<"keepGradients", "keep-gradients", "bool", /*default=*/"false",
           "keep the grad:<param> outputs">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to turn into a training step">,
      Option<"zero", "zero", "int", /*default=*/"0",
           "ZeRO over zero-axis: 1 splits the optimizer state (the gradient is summed whole, "
           "then each rank updates its piece), 2 also reduce-scatters the gradient into the "
           "pieces, 3 also splits the parameters (gathered where used)">,
    Option<"zeroAxis", "zero-axis", "std::string", /*default=*/"\"dp\"",
           "the mesh axis ZeRO splits over (the module's weft.mesh must have it)">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def LossScalingPass : Pass<"weft-loss-scaling", "mlir::ModuleOp"> {
  let summary = "Unscale gradients, skip non-finite steps and adjust the dynamic loss scale";
  let description = [{
    The second half of f16 training: runs after weft-mixed-precision
    (loss-scaling), weft-autodiff (loss=scaled_loss) and weft-optimizer
    (keep-gradients). Every gradient g is replaced, for the optimizer,
    by g / loss_scale; finite = (sum of g * 0 over all gradients == 0);
    every `weft.update` result becomes select(finite, new, old), so a step
    with an inf or NaN gradient leaves parameters and optimizer state
    unchanged. The scale is 2^(init + s) with s the state
    `weft.state = "amp.loss_scale_log2"` (the input of
    weft-mixed-precision, retagged) and a counter
    `weft.state = "amp.good_steps"`, both starting at zero: a skipped step
    sets s -= 1 (halves the scale) and the counter to 0; growth-interval
    finite steps in a row set s += 1 (double) and the counter to 0.
    "scaled_loss" and (without keep-gradients) the gradients are dropped;
    "loss_scale" (the scale this step used) stays an output.

    After (sketch, one parameter):
    ```mlir
      %inv = weft.div %one, %scale : tensor<f32>
      %gu = weft.mul %g, %invb : tensor<4xf32>          // the optimizer reads %gu
      %z = weft.reduce sum (%gu * 0) dims = [0] : tensor<4xf32>
      %finite = weft.compare eq, %z, %zero : tensor<f32>
      %p2 = weft.select %finiteb, %pnew, %p : tensor<4xi1>, tensor<4xf32>
      return ..., %p2, %s2, %good2   // weft.update = "p", "amp.loss_scale_log2", "amp.good_steps"
    ```
    Errors: no loss scale (weft-mixed-precision with loss-scaling did not
    run), no gradients or updates, an update naming no argument.
  }];
  let options = [
    Option<"growthInterval", "growth-interval", "int64_t", /*default=*/"2000",
           "finite steps in a row before the scale doubles">,
    Option<"keepGradients", "keep-gradients", "bool", /*default=*/"false",
           "keep the (unscaled) grad:<param> outputs">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the training-step function">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def AccumulateGradientsPass : Pass<"weft-accumulate-gradients", "mlir::ModuleOp"> {
  let summary = "Split a training step into a gradient-accumulating micro-step and an apply step";
  let description = [{
    Gradient accumulation (TrainOptions::microBatches = K): a step runs K
    forward + backward passes over micro-batches of batch / K rows, then one
    optimizer update. The two programs share the parameters and the
    accumulators (ExecutorOptions::shareStorageWith); this pass builds
    either of them from the forward program with a loss:

    mode=micro runs after weft-autodiff, in place of weft-optimizer: each
    output `weft.output = "grad:<p>"` becomes the in-place update of a new
    f32 state argument `weft.state = "grad_accum:<p>"` (accumulator += g / K
    without a mesh; on a mesh += g, and the apply step divides by K before
    its reduction); the forward outputs (the loss) stay.

    mode=apply runs after weft-optimizer (with keep-gradients) and
    weft-loss-scaling: every use of a gradient g reads the mean over the
    micro-batches instead (the accumulator; on a mesh accumulator / K; the
    mean loss over K equal micro-batches is the batch's), the accumulators
    are zeroed
    (`weft.update = "grad_accum:<p>"` = new <p> * 0, which orders the zeroing
    after every read of the accumulator), and the forward and backward, now
    unused, are erased with the inputs only they read (tokens, targets).
    The gradient outputs are dropped unless keep-gradients.

    On a mesh the accumulator is split like its parameter and partial over
    the data-parallel axis (`partial {dp}`): the micro-step adds each rank's
    own partial gradient without a collective, and the apply step resolves
    it once (one all-reduce, or ZeRO 2's reduce-scatter) before clipping and
    the update. Unhinted parameters are fixed replicated so that both
    programs lay them out alike. Errors: no gradient outputs, K < 1, an
    existing accumulator, zero=3 (the parameters would be split unlike the
    micro-step's).

    Before (after weft-autodiff):
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"})
        -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.output = "grad:w"})
    ```
    after, mode=micro:
    ```mlir
    func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"},
                    %acc: tensor<4xf32> {weft.state = "grad_accum:w"})
        -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.update = "grad_accum:w"}) {
      ...
      %q = weft.mul %grad, %quarter : tensor<4xf32>     // micro-batches=4
      %new = weft.add %acc, %q : tensor<4xf32>
      return %loss, %new : tensor<f32>, tensor<4xf32>
    }
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"micro\"",
           "micro (forward + backward into the accumulators) or apply (the update from them)">,
    Option<"microBatches", "micro-batches", "int64_t", /*default=*/"1",
           "K: the mean over the micro-batches divides by K">,
    Option<"keepGradients", "keep-gradients", "bool", /*default=*/"false",
           "apply: keep the grad:<param> outputs (the mean accumulated gradients)">,
    Option<"dataAxis", "data-axis", "std::string", /*default=*/"\"dp\"",
           "the mesh axis the batch is split over: the accumulators are partial over it">,
    Option<"zero", "zero", "int", /*default=*/"0",
           "the ZeRO level of the step (3 is refused)">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the training-step function">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

//===----------------------------------------------------------------------===//
// Parallel (passes/parallel/), after the training passes and before fusion:
// propagate shardings from hints, then partition into the per-rank program.
// Module passes: the mesh is the module's `weft.mesh` attribute.
//===----------------------------------------------------------------------===//

def AutoShardPass : Pass<"weft-auto-shard", "mlir::ModuleOp"> {
  let summary = "Choose how every op is split over the mesh (strategy search)";
  let description = [{
    Chooses a strategy for every op and a layout for every argument of the
    function on the module's mesh (`weft.mesh`), minimizing the predicted
    step time with the parameters and optimizer state under the per-device
    memory budget. Each op's candidates come from its sharding rule (every
    assignment of mesh axes to its factors the partitioner can carry out);
    an op is costed by its local FLOPs and bytes on the device of `cluster`
    (cost/devices/*.json or a file), each use by the collectives that move
    the value between the producer's and the reader's layouts (alpha-beta
    ring formulas on the mesh axes' links). Repeated layers are tied (one
    variable for the same op of every layer), and the problem is solved
    exactly as an integer program with CBC (passes/parallel/search/
    IlpSolver.h); the LP relaxation bounds the optimum. Existing hints
    (`weft.sharding` on arguments, sharding_constraint ops) are kept.

    Writes hints weft-propagate-sharding keeps: `weft.sharding` on every
    argument, `weft.shardings` and `weft.cost` (the op's predicted seconds)
    on every op, and a weft.sharding_constraint wherever a reader needs
    another layout; and on the module `weft.plan` = {method, seconds,
    lower_bound, solve_seconds, nodes, groups, solved_groups (after the
    exact elimination of chains), bytes (the search's estimate),
    whole_step_seconds, peak_bytes, parameter_bytes, state_bytes,
    arena_bytes (the compiler's memory plan of the partitioned program),
    meshes}. Errors, at the function: no choice fits the memory budget
    (with the smallest bytes per device any choice needs, or what the last
    plan needed once its activations were planned).

    With `devices=N` the module has no mesh yet: every mesh of N devices
    as dp x tp (tp dividing N and within a node) is searched on a copy, the
    fastest is set as the module's `weft.mesh`, and `weft.plan` lists each
    candidate's predicted step (`meshes`). With `verify`, data parallelism
    (inputs split over every axis, parameters whole or ZeRO-3) is tried on
    each mesh too, every candidate is propagated and partitioned, and the
    one whose per-rank program costs least under the same model is kept.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to search strategies for">,
    Option<"cluster", "cluster", "std::string", /*default=*/"\"cpu\"",
           "device kind: h100, h200, a100, cpu, or a JSON description file">,
    Option<"memoryGib", "memory-gib", "double", /*default=*/"0",
           "per-device memory budget in GiB (0: the device's memory): parameters, optimizer state and the "
           "arena of activations, gradients and temporaries, as the compiler's memory plan of the partitioned "
           "program lays them out">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "arena alignment of the memory plan the budget is checked with (64: CPU, 256: CUDA)">,
    Option<"maxSeconds", "max-seconds", "double", /*default=*/"60",
           "time limit of the solver">,
    Option<"tie", "tie", "bool", /*default=*/"true",
           "give the repeated layers one strategy">,
    Option<"solver", "solver", "std::string", /*default=*/"\"ilp\"",
           "ilp (CBC) or enumerate (every combination; small problems only)">,
    Option<"devices", "devices", "int64_t", /*default=*/"0",
           "choose the mesh too: every dp x tp of this many devices (tp within a node); 0: the module's mesh">,
    Option<"verify", "verify", "bool", /*default=*/"false",
           "with devices: also try data parallelism (whole and ZeRO-3 parameters) and keep the candidate whose "
           "partitioned program costs least">,
  ];
}

def TestPrintStrategyPass : Pass<"weft-test-print-strategy", "mlir::ModuleOp"> {
  let summary = "Print the strategies weft-auto-shard chose (test only)";
  let description = [{
    Prints, after weft-auto-shard, the module's `weft.plan` and one line per
    argument and op of the function to stdout: `arg<i>: <sharding>` and
    `<op name>: <result shardings> cost <seconds>`, for lit tests.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to print">,
  ];
}

def TestPrintStepCostPass : Pass<"weft-test-print-step-cost", "mlir::ModuleOp"> {
  let summary = "Print what the cost model predicts one rank's program costs (test only)";
  let description = [{
    Prices one rank's program — after weft-spmd-partition and the graph
    passes, as `weft compile --compile-to graph` writes it, or a program
    without a mesh — with the cost model of a cluster description
    (search::partitionedCost, the figure `--mesh auto` compares candidates
    by): every op at its local size, every collective by the measured step
    times or the alpha-beta formulas of its mesh axes. Prints to stdout, per
    op kind, `<name> count <n> seconds <s>` (collectives also `bytes <b>`),
    then `compute <s> communication <s> total <s>`; with `per-op`, a line per
    op before them. Benchmarks set a run's predicted step time beside the
    measured one with it (bench/parallel/predict_vs_measured.sh).
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to price">,
    Option<"cluster", "cluster", "std::string", /*default=*/"\"cpu\"",
           "the cluster description: cpu, h100, h200, a100 or a JSON file (cost/devices/*.json)">,
    Option<"perOp", "per-op", "bool", /*default=*/"false",
           "also print one line per op">,
  ];
}

def PropagateShardingPass : Pass<"weft-propagate-sharding", "mlir::ModuleOp"> {
  let summary = "Give every value of a function a sharding, from the hints";
  let description = [{
    Fills in how every value of the function is split over the module's
    mesh (`weft.mesh`), starting from the hints: `weft.sharding` on
    arguments and results, `weft.sharding_constraint` ops, and the
    `weft.shardings` an op already carries (weft-auto-shard's choice). Each op's
    sharding rule (ir/sharding/ShardingRule.h) says which dimensions of its
    operands and results are the same loop (factor); a split flows along a
    factor to every tensor that holds it, forward and backward, until
    nothing changes. A hint is never changed; between two propagated
    candidates the first one reached wins (the partitioner reshards the
    other). A parameter's update result (`weft.update`) gets its
    parameter's sharding; other results without a hint are whole on every
    rank (replicated). Dimensions nothing reaches stay replicated.

    Writes `weft.shardings` (one sharding per result) on every op and
    `weft.sharding` on every argument and result. Errors, at the op: two
    hints that ask one factor of an op for different splits, or one mesh
    axis for two of its factors (the message names both shardings).
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to propagate shardings in">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def SpmdPartitionPass : Pass<"weft-spmd-partition", "mlir::ModuleOp"> {
  let summary = "Rewrite a function with shardings into the program of one rank";
  let description = [{
    Runs after weft-propagate-sharding and rewrites the global function into
    the SPMD program every rank of the mesh runs: arguments and results get
    their local types (a dimension split k ways holds ceil(n/k) elements, the
    last ones padding), each op computes its local part, and a collective is
    inserted wherever a value is not split the way its reader needs:
    a pending partial sum becomes an all_reduce (or a reduce_scatter when
    the reader wants it split), a split that moves to another dimension
    over the same axes is one all_to_all, a split dimension a reader needs
    whole is all-gathered, a whole dimension a reader needs split is cut
    locally at the rank's `weft.axis_index`. For example (tp = 2), a value
    split along the sequence that its reader needs split along the hidden
    dimension:
    ```mlir
    %0 = weft.reshape %x : tensor<2x4x6xf32> -> tensor<2x4x2x3xf32>
    %1 = weft.transpose %0 permutation = [2, 0, 1, 3] : tensor<2x4x2x3xf32>
    %2 = weft.all_to_all %1 axes = ["tp"] split_dim = 0 concat_dim = 0
        : tensor<2x2x4x3xf32> -> tensor<2x2x4x3xf32>
    %3 = weft.transpose %2 permutation = [1, 0, 2, 3] : tensor<2x2x4x3xf32>
    %4 = weft.reshape %3 : tensor<2x2x4x3xf32> -> tensor<2x8x3xf32>
    ```
    Ops with op-specific local forms: a
    reduction over a split dimension leaves a partial sum (max/min are
    all-reduced at once, mean divides by the global count); padding is
    masked before every reduction and contraction over it; a lookup in a
    table whose rows are split (a vocabulary-parallel embedding) masks the
    rows other ranks own and leaves a partial sum, and scatter_add writes
    only the rows the rank owns; a split iota counts from the rank's offset.
    Arguments and results keep `weft.sharding` and get `weft.global_shape`
    (what the runtime splits and gathers), op shardings are dropped.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to partition">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def TestPrintShardingsPass : Pass<"weft-test-print-shardings", "mlir::ModuleOp"> {
  let summary = "Print every value's sharding (test only)";
  let description = [{
    Prints, for the function after weft-propagate-sharding, one line per
    argument and per op result to stdout: `arg<i>: <sharding>` and
    `<op name>#<result>: <sharding>`, for lit tests.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function to print">,
  ];
}

//===----------------------------------------------------------------------===//
// Graph optimization (passes/fusion/), in pipeline order, after canonicalize
// and CSE.
//===----------------------------------------------------------------------===//

def QuantizeWeightsPass : Pass<"weft-quantize-weights", "mlir::ModuleOp"> {
  let summary = "Store chosen matmul weights as int8 with per-output-channel f32 scales";
  let description = [{
    Every f32 parameter (an argument with `weft.param`) of rank 2 whose every
    use is the rhs of a weft.matmul (without transpose_lhs) is replaced by two
    parameters, NAME.q8 (i8, the same shape) and NAME.scale (f32 [N], one per
    output channel), and each of its matmuls by a weft.matmul_q8 with
    `quantize_lhs`: the activations are quantized row by row when the op runs
    and the sums are int8 x int8 (AVX512-VNNI on the CPU). The loaders
    quantize an f32 weight into them as scale = max|w| / 127 per output
    channel, q = round(w / scale) (runtime/cpu/Quantize.h), or read a
    quantized file. The modes:
      - int8-weight: every activation column is quantized (the weights are
        what is stored in int8; the activations are quantized on the fly);
      - llm-int8: LLM.int8() (Dettmers et al., 2022): the same, but the
        activation columns with some |x| >= `threshold` (default 6.0) stay
        f32 and multiply the dequantized weight rows (outlier_threshold).
    The LM head (`lm-head`): int8 by default with int8-weight (as ggml's
    q8_0 does), f32 by default with llm-int8 (as Hugging Face's int8
    loading does). When it stays f32, parameters named in `keep` stay f32
    (default: lm_head.weight) and so do parameters with another use (GPT-2's
    tied wte.weight is also the embedding table). When it is int8, nothing
    is kept by default and a tied weight is quantized too: its per-row
    scales ([V, D] read transposed) are per embedding row, so each gather of
    the table is rewritten to gather the int8 rows and their scales and
    multiply (weft.gather, weft.cast, weft.broadcast, weft.mul) and the f32
    table is dropped (held once, in int8). A weight with still other uses,
    or a gathered one whose products read it untransposed (per-column
    scales), stays f32, as does an untied embedding table (only gathered). When some parameters are `weft.frozen` (a
    LoRA program: a frozen base under trainable adapters), only frozen ones
    are quantized and NAME.q8 and NAME.scale are frozen too; the trainable
    adapters stay f32. A training compile runs this pass before
    weft-autodiff with `activations=false` (f32 activations, which
    weft-autodiff differentiates weft.matmul_q8 for). Errors: an unknown
    mode or lm-head, a threshold that is not positive, a missing function.

    Before:
    ```mlir
    func.func @main(%w: tensor<4x3xf32> {weft.param = "fc.weight"}, %x: tensor<2x4xf32> {weft.input = "x"})
        -> (tensor<2x3xf32> {weft.output = "y"}) {
      %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
      return %0 : tensor<2x3xf32>
    }
    ```
    after (mode=llm-int8):
    ```mlir
    func.func @main(%x: tensor<2x4xf32> {weft.input = "x"}, %q: tensor<4x3xi8> {weft.param = "fc.weight.q8"},
                    %s: tensor<3xf32> {weft.param = "fc.weight.scale"}) -> ... {
      %0 = weft.matmul_q8 %x, %q, %s {outlier_threshold = 6.0 : f32, quantize_lhs}
          : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"int8-weight\"",
           "the quantization: int8-weight (per-channel absmax int8 weights, per-row int8 "
           "activations) or llm-int8 (the same with LLM.int8()'s f32 outlier columns)">,
    Option<"threshold", "threshold", "double", /*default=*/"6.0",
           "llm-int8: activation columns with some |x| >= this stay f32">,
    Option<"lmHead", "lm-head", "std::string", /*default=*/"\"\"",
           "the LM head's product: int8 or f32 (default: int8 with int8-weight, f32 with llm-int8); "
           "an int8 tied head also serves the embedding's gather (the f32 table is dropped)">,
    Option<"activations", "activations", "bool", /*default=*/"true",
           "the products quantize their activations per row (quantize_lhs); false keeps them f32 "
           "(weight-only int8, as a training step over an int8 base needs)">,
    ListOption<"keep", "keep", "std::string",
               "parameters that stay f32 (default: lm_head.weight)">,
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "the function whose parameters are quantized">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def ExpandMatmulQ8Pass : Pass<"weft-expand-matmul-q8", "mlir::func::FuncOp"> {
  let summary = "Rewrite weft.matmul_q8 as a cast of the int8 weight, a weft.matmul and f32 scaling";
  let description = [{
    Replaces every weft.matmul_q8 with ops every code generator compiles,
    for a target without fused int8 GEMMs (CUDA: the product becomes a
    cuBLASLt f32 GEMM and the rest elementwise kernels; the CPU keeps its
    int8 kernels and runs this pass only when asked). The weight stays an
    int8 parameter: its f32 copy (weft.cast) is a temporary of the one
    product, 4 bytes per weight element. What the op computes
    (ir/WeftQuantOps.td) is kept:
      - weight-only (no quantize_lhs): y = (x x float(w)) * scales[n];
      - quantize_lhs: each row i of x is quantized as the op specifies, in
        f32: s_i = amax_i / 127, q = round-half-even(clamp(x * (127 /
        amax_i), -127, 127)) (0 for an all-zero row; clamping first gives the
        same q, since |x * (127 / amax_i)| <= 127 up to one rounding, and
        keeps the multiply out of the rounding add), the rounding as
        (v + 1.5 * 2^23) - 1.5 * 2^23 (round-half-even for |v| < 2^22 in f32
        arithmetic); q x float(w) is an f32 product of integers, exact while
        every partial sum stays below 2^24 (any order of summation: K * 127
        * 128 < 2^24 for K <= 1032, and random signs keep longer sums far
        below), then y = (q x float(w)) * s_i * scales[n];
      - outlier_threshold t (LLM.int8()): the columns k with some |x[i, k]|
        >= t are zeroed before the row maxima and the quantization, and
        their f32 part adds (x_outlier x float(w)) before the per-channel
        scaling: a second product over the same K, zero outside the outlier
        columns (static shapes have no gather of a data-dependent set).
    The f32 copy of a weight larger than `max-copy-bytes` whose channels are
    its rows ([N, K] read transposed: an LM head) is made in blocks of rows
    (weft.gather of the int8 rows at iota indices, weft.cast), one product
    per block, concatenated along N: one block's copy is live at a time
    instead of the whole head's (GPT-2's [50257, 768]: 147 MiB). A [K, N]
    weight is copied whole (int8 columns cannot be gathered). The dialect
    attributes of the op (e.g. weft.recompute) go onto every op it becomes.
    It refuses nothing: every weft.matmul_q8 the verifier accepts expands.

    Before:
    ```mlir
    %y = weft.matmul_q8 %x, %w, %s : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
    ```
    after:
    ```mlir
    %wf = weft.cast %w : tensor<4x3xi8> -> tensor<4x3xf32>
    %p = weft.matmul %x, %wf : tensor<2x4xf32>, tensor<4x3xf32>
    %b = weft.broadcast %s dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
    %y = weft.mul %p, %b : tensor<2x3xf32>
    ```
  }];
  let options = [
    Option<"maxCopyBytes", "max-copy-bytes", "int64_t", /*default=*/"33554432",
           "the largest f32 copy of an [N, K] weight made at once (default 32 MiB); a larger one is "
           "made in blocks of rows; 0: no limit">,
  ];
  let dependentDialects = ["::weft::WeftDialect"];
}

def FuseLayerNormPass : Pass<"weft-fuse-layernorm", "mlir::func::FuncOp"> {
  let summary = "Fuse LayerNorm and RMSNorm written with primitives into one op";
  let description = [{
    Recognizes layer normalization over the last dimension written with weft
    primitives and replaces it with one `weft.layer_norm`, which also returns
    the mean and reciprocal standard deviation for the backward pass; RMSNorm
    (x * rsqrt(mean(x^2) + eps) * gamma) becomes `weft.rms_norm`. Recognized:
    the variance as mean((x - mean)^2) (square by mul or pow 2) or as
    mean(x^2) - mean(x)^2; rsqrt(var + eps) multiplied, or sqrt(var + eps)
    divided; the statistics broadcast before or after the elementwise steps;
    operands of add/mul in either order; an optional scale by a [C] gamma and
    shift by a [C] beta (broadcast along the last dimension). It does not fire
    when epsilon is not a splat constant >= 0 added outside the mean, when a
    reduction is not a mean over exactly the last dimension, or when an
    intermediate (centered x, square, variance, std, ...) has users outside
    the pattern. Users of the mean or of rstd (before its broadcast) are
    rewired to the fused op's statistics. A gamma or beta of another shape
    stays a separate op after the fused normalization.

    Before:
    ```mlir
    %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %xc = weft.sub %x, %mb : tensor<4x8xf32>
    %sq = weft.mul %xc, %xc : tensor<4x8xf32>
    %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
    %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
    %ve = weft.add %v, %eps : tensor<4xf32>
    %r = weft.rsqrt %ve : tensor<4xf32>
    %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %n = weft.mul %xc, %rb : tensor<4x8xf32>
    %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
    %s = weft.mul %n, %gb : tensor<4x8xf32>
    %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
    %y = weft.add %s, %bb : tensor<4x8xf32>
    ```
    After:
    ```mlir
    %y, %mean, %rstd = weft.layer_norm %x, %gamma, %beta epsilon = 9.9999997473787516E-6
        : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

def FuseMatmulGeluPass : Pass<"weft-fuse-matmul-gelu", "mlir::func::FuncOp"> {
  let summary = "Fuse a matmul with its bias add and GELU into one epilogue";
  let description = [{
    Replaces weft.matmul followed by an add of a [N] bias broadcast along the
    rows and/or by gelu, gelu_tanh or fast_gelu (possibly behind a
    weft.reshape, as nn::Linear emits for 3-D inputs) with one
    `weft.fused_matmul` whose epilogue adds the bias and applies the
    activation. Each step is absorbed only if the value before it has no
    other user: when the pre-activation value is also used elsewhere (e.g. by
    a GELU backward), only the bias is fused and the activation stays a
    separate op; when the product itself has another user nothing is fused.
    weft.batch_matmul is left to weft-fuse-batch-matmul-add.

    Before:
    ```mlir
    %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
    %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
    %z = weft.add %p, %bb : tensor<16x64xf32>
    %h = weft.gelu_tanh %z : tensor<16x64xf32>
    ```
    After:
    ```mlir
    %h = weft.fused_matmul %x, %w, %b activation = gelu_tanh
        : tensor<16x32xf32>, tensor<32x64xf32>, tensor<64xf32>
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

def FuseMatmulSwigluPass : Pass<"weft-fuse-matmul-swiglu", "mlir::func::FuncOp"> {
  let summary = "Fuse SwiGLU's gating into the up projection's epilogue";
  let description = [{
    Replaces silu(g) * u, where u = weft.matmul (possibly behind a weft.reshape,
    as nn::Linear emits for 3-D inputs) and silu(g) = g * sigmoid(g) (the
    DSL's SiLU: weft.mul of g and weft.sigmoid g, either operand order), with
    one `weft.fused_matmul` whose epilogue multiplies the product by the SiLU
    of the gate g (a SwiGLU MLP: silu(x Wg) * (x Wu), LLaMA's). The product,
    the SiLU and the sigmoid must have no other user (nothing is recomputed:
    a training step keeps u and silu(g) for the backward pass, so only
    inference programs fuse); g itself may have other users. A reshaped gate
    is read through a reshape to the product's [M, N] shape. The product is
    multiplied last, in the unfused order, so fused and unfused programs
    round alike.

    Before:
    ```mlir
    %u = weft.matmul %x, %wu : tensor<16x32xf32>, tensor<32x64xf32>
    %sg = weft.sigmoid %g : tensor<16x64xf32>
    %s = weft.mul %g, %sg : tensor<16x64xf32>
    %h = weft.mul %s, %u : tensor<16x64xf32>
    ```
    After:
    ```mlir
    %h = weft.fused_matmul %x, %wu gate %g
        : tensor<16x32xf32>, tensor<32x64xf32> gate tensor<16x64xf32>
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

def FuseBatchMatmulAddPass : Pass<"weft-fuse-batch-matmul-add", "mlir::func::FuncOp"> {
  let summary = "Fuse a batch_matmul with a constant scale and an add";
  let description = [{
    Replaces weft.batch_matmul, optionally multiplied (or divided) by a splat
    constant, followed by an add (or a subtract) of another tensor with one
    `weft.fused_batch_matmul` computing alpha * (a x b) + beta * addend, as
    in scaled attention scores plus a mask, a bias or a residual. An addend
    broadcast only along leading dimensions (e.g. a [T, T] mask) is taken
    unbroadcast. The product (and the scaled product) must have no other
    user; if the scaled product has another user only the scale is fused.

    Before:
    ```mlir
    %s = weft.batch_matmul %q, %k {transpose_rhs} : tensor<4x8x16xf32>, tensor<4x8x16xf32>
    %c = weft.constant dense<2.500000e-01> : tensor<4x8x8xf32>
    %t = weft.mul %s, %c : tensor<4x8x8xf32>
    %mb = weft.broadcast %mask dims = [1, 2] : tensor<8x8xf32> -> tensor<4x8x8xf32>
    %r = weft.add %t, %mb : tensor<4x8x8xf32>
    ```
    After:
    ```mlir
    %r = weft.fused_batch_matmul %q, %k, %mask alpha = 2.500000e-01 beta = 1.000000e+00
        {transpose_rhs} : tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<8x8xf32>
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

def FuseElementwisePass : Pass<"weft-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse connected elementwise, broadcast and reduce ops into weft.fusion kernels";
  let description = [{
    Groups maximal connected sets of fusible ops and replaces each group of
    two or more by one `weft.fusion`, which code generation compiles as ONE
    kernel. Fusible: elementwise math, compare, select and cast, broadcast,
    iota, reduce (so softmax, log-sum-exp and the leftovers of a
    normalization become one kernel each) and splat constants (moved into
    the region: the kernel reads no constant buffer). Not fused:
    contractions, gather, the other fused ops, reshape, transpose, slice,
    concat and non-splat constants.

    Each fused op lists every tensor it reads from outside once, so no
    kernel reads an input twice. A value used both inside a group and
    outside it is a result of the group (written once, not recomputed);
    only broadcasts, ops that read no tensor (iotas, splat constants and
    elementwise math on them, such as a causal mask) and cheap arithmetic
    (add, sub, mul, neg, max, min, compare, select, cast) over those alone
    (a vocabulary shard's `iota + offset == label` mask), which are cheaper
    to recompute than to read back, are copied into each group that uses
    them.
    A broadcast copy made for one user joins that user's group only (with
    its producer's group when the union stays convex), so a group hands the
    small tensor to a group beyond an unfused op (a softmax's row sums to its
    backward) rather than the broadcast one.
    A cast next to a single-use reshape first moves across it towards
    fusible ops (mixed precision puts casts after bf16 GEMMs and before GEMM
    operands), so the cast joins a group instead of being a kernel.
    Groups stay acyclic: a producer joins its consumer's group only when no
    path leaves their union through an unfused op and comes back (A -> B ->
    C with B unfused never fuses A with C). Two groups that both compute
    tensors of more than one element and are linked only by single-element
    values (a sum of squares, a loss-scaling flag read through broadcasts)
    stay apart: merging them saves no traffic, but it would make one kernel
    of independent work (every gradient's cast with the gradient-norm
    clipping at the end of the backward pass, or every parameter's update).
    The body is re-emitted in a topological order of groups and remaining
    ops.

    Before:
    ```mlir
    %m = weft.reduce max %s dims = [1] : tensor<4x8xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %d = weft.sub %s, %mb : tensor<4x8xf32>
    %e = weft.exp %d : tensor<4x8xf32>
    %z = weft.reduce sum %e dims = [1] : tensor<4x8xf32>
    %zb = weft.broadcast %z dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %p = weft.div %e, %zb : tensor<4x8xf32>
    ```
    After:
    ```mlir
    %p = weft.fusion %s : (tensor<4x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%x: tensor<4x8xf32>):
      %m = weft.reduce max %x dims = [1] : tensor<4x8xf32>
      ... (the same ops on %x)
      weft.yield %y : tensor<4x8xf32>
    }
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

//===----------------------------------------------------------------------===//
// Gradient checkpointing (passes/training/Recompute.cpp): on the fused
// training step, just before the schedule.
//===----------------------------------------------------------------------===//

def RecomputePass : Pass<"weft-recompute", "mlir::func::FuncOp"> {
  let summary = "Recompute a group's activations in the backward pass instead of keeping them";
  let description = [{
    Gradient checkpointing of a training step (after weft-autodiff). Ops built
    under the DSL's RecomputeScope carry `weft.recompute = <group>` (GPT-2 with
    `gradient_checkpointing`: one group per transformer block). The forward
    pass is every op the `loss` output is computed from; the other ops (the
    backward pass, the optimizer) read forward values as saved activations.
    For each group, the results of its ops that the backward reads are
    computed again from the group's inputs: the group's ops they depend on are
    copied, in program order, just before the first backward op that reads
    one of them, and the backward's reads are rewired to the copies. The
    originals then die inside the forward pass, and the memory plan reuses
    their space; only the group's inputs stay alive for the backward.

    Not copied: a result a forward op outside the group reads (the group's
    output, which is the next group's input and stays), values from outside
    the group, constants and iotas (ops without operands), ops with memory
    effects. The copies are tagged `weft.recomputed = <group>`.

    What keeps later passes from undoing it: the pass runs after
    canonicalization, CSE and fusion (the graph pipeline adds it just before
    weft-schedule, when TrainOptions::recompute is "blocks"); the fusion passes
    give a fused op the group its ops share, so a group is recomputed as the
    kernels that will run. The copies differ from their originals by the
    `weft.recomputed` attribute, so a CSE run later would not merge them
    back. weft-schedule never runs a copy before the op that preceded its
    run of copies in its input order (a backward op), so the memory-aware
    scheduler cannot hoist the recomputation back into the forward pass.

    The pass records `weft.recompute_summary` on the function: the groups and
    ops copied, the FLOPs they add against the step's (cost model), and the
    bytes of forward activations the backward reads before and after.

    Before (the backward reads %h, computed inside group 0 from %x):
    ```mlir
    %h = weft.tanh %x {weft.recompute = 0 : i64} : tensor<8xf32>
    %y = weft.mul %h, %h {weft.recompute = 0 : i64} : tensor<8xf32>
    %l = weft.reduce sum %y dims = [0] : tensor<8xf32>
    ... the backward, reading %h ...
    %d = weft.mul %ct, %h : tensor<8xf32>
    ```
    After (%h dies in the forward pass; the backward reads its copy):
    ```mlir
    %h = weft.tanh %x {weft.recompute = 0 : i64} : tensor<8xf32>
    %y = weft.mul %h, %h {weft.recompute = 0 : i64} : tensor<8xf32>
    %l = weft.reduce sum %y dims = [0] : tensor<8xf32>
    ...
    %h2 = weft.tanh %x {weft.recomputed = 0 : i64} : tensor<8xf32>
    %d = weft.mul %ct, %h2 : tensor<8xf32>
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"loss\"",
           "the weft.output name of the loss; the forward pass is what it is computed from">,
  ];
}

//===----------------------------------------------------------------------===//
// Scheduling and memory (passes/memory/): the op order, then the arena plan.
//===----------------------------------------------------------------------===//

def ScatterAddIntoPass : Pass<"weft-scatter-add-into", "mlir::func::FuncOp"> {
  let summary = "Add a scatter_add's rows into the tensor it is summed with";
  let description = [{
    Rewrites `weft.add %x, %s` (either order), where `%s` is a weft.scatter_add
    into a zero table (no init) used by this add only, into one
    `weft.scatter_add ... into %x`: the rows are added into %x instead of a
    table of zeros that is then summed with it. A tied embedding's gradient
    (GPT-2's wte, LLaMA's tied embed_tokens) is the LM head's weight gradient
    plus the lookup's scatter_add; written this way it needs one table-sized
    buffer instead of three (the product, the scattered table and their
    sum), and weft-plan-memory lets the scatter_add write into %x's storage
    when %x dies there. The values agree up to rounding: the rows are added
    onto %x one by one (in index order) instead of being summed first and
    added to %x once. It runs on the partitioned
    program (after weft-spmd-partition), where it reads each rank's own
    values, and before fusion, which would put the add in a kernel.

    Before:
    ```mlir
    %s = weft.scatter_add %dy[%ids] : tensor<32x64xf32>, tensor<32xi64> -> tensor<97x64xf32>
    %g = weft.add %head, %s : tensor<97x64xf32>
    ```
    After:
    ```mlir
    %g = weft.scatter_add %dy[%ids] into %head : tensor<32x64xf32>, tensor<32xi64>
        -> tensor<97x64xf32>
    ```
  }];
  let dependentDialects = ["::weft::WeftDialect"];
}

def SchedulePass : Pass<"weft-schedule", "mlir::func::FuncOp"> {
  let summary = "Reorder a weft function's ops to lower its peak live memory";
  let description = [{
    Reorders the ops of the function body into another topological order in
    which fewer arena bytes are live at once (the buffer model is the one of
    weft-plan-memory). A greedy list scheduler repeatedly runs, among the ops
    whose operands are ready, the one that frees the most bytes net of what
    it allocates (ties: the op that came first). The new order is kept only
    when its peak of live bytes is lower than the old one's. Ops with memory
    side effects are barriers: they keep their place and nothing moves across
    them.
    A copy made by weft-recompute (`weft.recomputed`) runs only after the op
    that preceded its run of copies in the input order, so the scheduler never
    moves a recomputation back into the forward pass.

    Two branches that each make a large temporary and reduce it: the input
    order keeps both temporaries live together,
    ```mlir
    func.func @f(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
      %0 = weft.exp %x : tensor<1024xf32>
      %1 = weft.tanh %x : tensor<1024xf32>
      %2 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
      %3 = weft.reduce sum %1 dims = [0] : tensor<1024xf32>
      %4 = weft.add %2, %3 : tensor<f32>
      return %4 : tensor<f32>
    }
    ```
    while the scheduled order reduces the first before making the second
    (peak 8256 bytes instead of 12288 with 64-byte alignment):
    ```mlir
      %0 = weft.exp %x : tensor<1024xf32>
      %1 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
      %2 = weft.tanh %x : tensor<1024xf32>
      %3 = weft.reduce sum %2 dims = [0] : tensor<1024xf32>
      %4 = weft.add %1, %3 : tensor<f32>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "bytes each buffer is rounded up to when counting live bytes">,
  ];
}

def PlanMemoryPass : Pass<"weft-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Assign every buffer of a weft function an offset in one arena";
  let description = [{
    Computes each buffer's live range over the current op order and packs
    the buffers into one arena, reusing the memory of dead buffers. Every
    top-level op result is a buffer, except weft.reshape results (they alias
    their input, whose life extends to their last use); `weft.param`
    arguments live outside the arena; other arguments are live from the entry;
    returned values are live to the end; weft.constant results sit in a
    persistent region at the start of the arena that is never reused. The
    result of an Elementwise op takes the storage of an operand buffer of the
    same byte size that dies at that op (in place). The other buffers are
    placed by several size and lifetime orders, each with first fit and best
    fit, keeping the smallest arena. Offsets are multiples of `alignment`.

    The plan is recorded as attributes (ir/AttrNames.h), read back by
    `readMemoryPlan` in passes/memory/MemoryPlan.h: `weft.offset` (i64; an
    array<i64> on ops with several results) on each op with planned results
    and on input arguments, and `weft.arena_size`,
    `weft.arena_persistent_size`, `weft.arena_alignment` on the function.
    Before:
    ```mlir
    func.func @f(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
      %0 = weft.exp %x : tensor<1024xf32>
      %1 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
      return %1 : tensor<f32>
    }
    ```
    after (the exp writes in place over %x, which dies there):
    ```mlir
    func.func @f(%x: tensor<1024xf32> {weft.input = "x", weft.offset = 0 : i64})
        -> tensor<f32> attributes {weft.arena_alignment = 64 : i64,
        weft.arena_persistent_size = 0 : i64, weft.arena_size = 4160 : i64} {
      %0 = weft.exp %x {weft.offset = 0 : i64} : tensor<1024xf32>
      %1 = weft.reduce sum %0 dims = [0] {weft.offset = 4096 : i64} : tensor<1024xf32>
      return %1 : tensor<f32>
    }
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "alignment of every offset in bytes (64 on CPU, 256 on GPU)">,
  ];
}

//===----------------------------------------------------------------------===//
// Analysis printers (test only): the cost model (passes/analysis/) and the
// memory plan (passes/memory/).
//===----------------------------------------------------------------------===//

def PrintStatsPass : Pass<"weft-print-stats", "mlir::func::FuncOp"> {
  let summary = "Print op counts, FLOPs and bytes moved of a weft function";
  let description = [{
    A test-only analysis printer: for each function it prints one line per op
    kind (count, FLOPs, bytes read + written assuming every op reads its
    operands once and writes its result once) and a total, over the
    function's top-level ops (a weft.fusion is one op). The same summary
    (summarizeCost, passes/analysis/CostModel.h) drives `weft compile
    --stats` and the benchmarks' GFLOP/s figures.

    ```mlir
    func.func @f(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
      %0 = weft.matmul %a, %b : tensor<8x16xf32>, tensor<16x4xf32>
      return %0 : tensor<8x4xf32>
    }
    ```
    prints
    ```
    stats @f
      weft.matmul count = 1, flops = 1024, bytes = 896
      total ops = 1, flops = 1024, bytes = 896
    ```
  }];
}

def TestPrintMemoryBreakdownPass
    : Pass<"weft-test-print-memory-breakdown", "mlir::func::FuncOp"> {
  let summary = "Print what a weft function's memory holds at its peak (test only)";
  let description = [{
    Prints, for lit tests, the memory breakdown `weft estimate` reports
    (passes/memory/MemoryBreakdown.h): the bytes outside the arena by
    argument kind (parameters; optimizer state, the `weft.state` arguments
    named `<kind>:<param>` or `amp.<name>`; the other states, key/value
    caches), the step at which the arena's live bytes peak, and the live
    buffers there sorted into activations (results of the ops the `loss`
    output depends on; every op when there is none), gradients (values of a
    parameter's size outside the forward pass that flow into a parameter's
    new value without reading optimizer state), inputs, constants and
    workspace; then the planned arena. It uses the plan recorded by
    weft-plan-memory, or computes one with `alignment`. For example:
    ```
    memory breakdown @step: weights = 4096, optimizer-state = 8192, cache = 0
      peak at step 5: activations = 4096, gradients = 4096, inputs = 64, constants = 0, workspace = 128
      arena = 8448
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "alignment of the plan computed when none is recorded">,
    Option<"loss", "loss", "std::string", /*default=*/"\"loss\"",
           "the output whose dependencies are the forward pass">,
  ];
}

def TestPrintMemoryPlanPass
    : Pass<"weft-test-print-memory-plan", "mlir::func::FuncOp"> {
  let summary = "Print the memory plan of a weft function (test only)";
  let description = [{
    Prints, for lit tests, every arena buffer of the function: its value as
    the function prints it (`%3`, `%arg0`), its offset and size in bytes, its
    live range in steps (0 is the entry, op k of the body runs at step k + 1,
    the terminator last) and its kind; reshape results as aliases of the value
    owning their storage; then the memory report of `weft compile
    --memory-report` (no reuse, lower bound = peak live bytes, planned arena,
    persistent region). It prints the plan recorded by weft-plan-memory, or
    computes one with `alignment` when the function has none. For the
    function in weft-plan-memory's description:
    ```
    memory plan @f (recorded)
      %arg0 offset = 0, size = 4096, live = [0, 1], input
      %0 offset = 0, size = 4096, live = [1, 2], temporary
      %1 offset = 4096, size = 4, live = [2, 3], output
      no-reuse = 8256, lower-bound = 8192, planned = 4160, persistent = 0
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "alignment of the plan computed when none is recorded">,
  ];
}


#endif // WEFT_PASSES_TD
