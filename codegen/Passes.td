//===- Passes.td - the code generator's passes -----------------*- tablegen -*-===//
//
// This file declares the passes of weft's code generator, grouped under
// banners: what both targets share (the conversion of the weft dialect to
// linalg on tensors, splitting reductions with little parallel work), and the
// CPU pipeline's own steps between bufferized linalg and the LLVM dialect
// (restricting OpenMP to loops that pay for a fork, polynomial math, the
// final conversion to LLVM).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_PASSES_TD
#define WEFT_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Shared by the CPU and CUDA pipelines (codegen/linalg/): weft to linalg,
// then split reductions.
//===----------------------------------------------------------------------===//

def ConvertWeftToLinalgPass : Pass<"weft-convert-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lower weft ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every weft op in a function into ops on tensors: elementwise ops
    become one `linalg.generic` with identity maps (f16/bf16 are computed in
    f32 and rounded once), reductions a `linalg.fill` of the neutral element
    plus a `linalg.generic` (mean then divides by the count in place), data
    movement `linalg.transpose`, broadcasting/gather/iota `linalg.generic`s,
    `tensor.extract_slice`/`insert_slice` + `linalg.copy`, reshapes
    `tensor.collapse_shape` + `tensor.expand_shape`, contractions
    `linalg.matmul` / `linalg.batch_matmul` (or a `linalg.generic` with an f32
    accumulator for transposed or narrow operands), constants
    `arith.constant`. Every result is written into a `tensor.empty`, so that
    empty-tensor elimination can put it straight into a destination buffer.

    Numerics: gelu = 0.5 x (1 + erf(x / sqrt 2)); gelu_tanh and fast_gelu as
    in their op descriptions; reduce mean = sum / count; max/min reductions
    start from -inf/+inf (the type's extremes for integers); gather clamps
    each index into [0, V); integer division by 0 yields 0.

    Before:
    ```mlir
    %y = weft.add %a, %b : tensor<4x8xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4x8xf32>
    %y = linalg.generic {indexing_maps = [#id, #id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%x: f32, %z: f32, %o: f32):
      %s = arith.addf %x, %z : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

def SplitReductionsPass : Pass<"weft-split-reductions", "mlir::func::FuncOp"> {
  let summary = "Split reductions with little parallel work into partial and final reductions";
  let description = [{
    Runs on kernel functions after bufferization, before linalg becomes
    loops. A top-level linalg.generic whose parallel dimensions have fewer
    than `min-parallel` iterations and whose reduction has at least
    `min-reduction` iterations (a bias gradient's column sum, a norm's sum of
    squares, the row statistics of 8192 rows) would otherwise give a GPU few
    threads, each with a long sequential loop (a full reduction: one
    thread). It becomes two generics:
      1. partial reductions into a new f32/i* buffer with the original
         parallel dimensions plus "partial" dimensions, as parallel loops:
         innermost reduction dimensions taken whole and at most one split
         strided (element i*S + s of the split dimension goes to partial s, so
         neighbouring threads read neighbouring elements), each partial
         combining at least `min-chunk` elements, aiming at `target-parallel`
         parallel iterations;
      2. the final reduction of the partials into the original outputs
         (their initial values kept), parallel over the original dimensions.
    The second generic is split again when it is still large. Only generics
    whose reduction outputs are combined with one commutative, associative
    arith op (addf, mulf, maximumf, minimumf, addi, muli, max/min si/ui,
    andi, ori, xori) are split; float sums are reassociated (they already
    carry fastmath reassoc). Outputs written once per iteration (an
    elementwise result of a fused reduction kernel) are written through a
    reshaped view. linalg.index of a split dimension is rebuilt as i*S + s.
    Every other generic whose reduction dimensions come before parallel ones
    is interchanged so the parallel dimensions are outermost (its loops are
    then one scf.parallel around sequential loops, not the reverse, which a
    GPU would run on one thread). A dimension is split only by one of its
    divisors (a prime length such as 1733 is reduced whole).

    Before (min-parallel 32768, target-parallel 131072):
    ```mlir
    linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1), (d0, d1) -> (d1)],
                    iterator_types = ["reduction", "parallel"]}
        ins(%x : memref<8192x768xf32>) outs(%y : memref<768xf32>) {...addf...}
    ```
    After: a view of %x as memref<32x256x768xf32>, a generic summing it into
    %partial : memref<256x768xf32> (256 x 768 parallel iterations of 32), and
    a generic adding %partial's 256 rows to %y (768 parallel iterations).
  }];
  let options = [
    Option<"minParallel", "min-parallel", "int64_t", /*default=*/"32768",
           "generics with at least this many parallel iterations are left alone">,
    Option<"targetParallel", "target-parallel", "int64_t", /*default=*/"131072",
           "parallel iterations the partial reduction aims at">,
    Option<"minChunk", "min-chunk", "int64_t", /*default=*/"16",
           "fewest elements one partial combines">,
    Option<"minReduction", "min-reduction", "int64_t", /*default=*/"256",
           "reductions of fewer iterations are left alone">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// CPU only (codegen/cpu/): loops and OpenMP to the LLVM dialect.
//===----------------------------------------------------------------------===//

def LimitParallelLoopsPass : Pass<"weft-cpu-limit-parallel-loops", "mlir::func::FuncOp"> {
  let summary = "Keep scf.parallel only where a fork across threads pays off";
  let description = [{
    Runs after linalg is lowered to parallel loops and before scf.parallel
    becomes OpenMP. A parallel loop stays parallel only when it is outermost
    (not inside another loop, so a kernel forks at most once per loop nest)
    and the nest does at least `min-work` innermost iterations; it then keeps
    as parallel only the shortest prefix of its dimensions with at least
    `min-trips` iterations, and the remaining dimensions become sequential
    scf.for loops inside it, so the innermost loop stays a plain loop that
    LLVM vectorizes. Every other scf.parallel becomes a nest of scf.for.

    Before (min-work = 1000000):
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
      %v = memref.load %a[%i, %j] : memref<4x8xf32>
      memref.store %v, %b[%i, %j] : memref<4x8xf32>
    }
    ```
    After:
    ```mlir
    scf.for %i = %c0 to %c4 step %c1 {
      scf.for %j = %c0 to %c8 step %c1 {
        %v = memref.load %a[%i, %j] : memref<4x8xf32>
        memref.store %v, %b[%i, %j] : memref<4x8xf32>
      }
    }
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "fewest innermost iterations for which a loop nest runs in parallel">,
    Option<"minTrips", "min-trips", "int64_t", /*default=*/"8",
           "fewest iterations of the parallel dimensions that are kept">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

def ApproximateMathPass : Pass<"weft-cpu-approximate-math"> {
  let summary = "Replace math functions without a vector instruction by polynomials";
  let description = [{
    Rewrites f32 math.exp, math.log, math.tanh, math.erf (and the other
    functions MLIR has approximations for) into arith/math.fma polynomials,
    which LLVM vectorizes; calls to libm would keep loops scalar. sqrt and
    rsqrt stay (they are instructions).

    Before:
    ```mlir
    %y = math.tanh %x : f32
    ```
    After: a clamp, two polynomials in x^2 and a division (no math.tanh).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect"];
}

def LowerToLLVMPass : Pass<"weft-cpu-lower-to-llvm", "mlir::ModuleOp"> {
  let summary = "Convert a bufferized, loop-level kernel module to the LLVM dialect";
  let description = [{
    One conversion for arith, math, cf, func, memref, index and the OpenMP
    dialect to the LLVM dialect, with the bare-pointer calling convention for
    memref arguments (kernels take only static shapes, so a memref argument
    is just its base address). bf16 conversions are first expanded to
    integer operations (no libgcc helper needed). Run scf-to-cf,
    expand-strided-metadata and
    lower-affine first.

    Before:
    ```mlir
    func.func @k(%a: memref<4xf32>) { ... }
    ```
    After:
    ```mlir
    llvm.func @k(%a: !llvm.ptr) { ... }
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // WEFT_CODEGEN_PASSES_TD
