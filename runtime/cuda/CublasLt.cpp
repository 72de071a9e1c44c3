//===- CublasLt.cpp - GEMM steps through cuBLASLt -------------------------===//
//
// This file implements CublasLtGemms. cuBLASLt is column-major and weft's
// Gemm row-major, so a row-major C[m,n] = op(A) op(B) is computed as the
// column-major C^T[n,m] = op(B)^T op(A)^T: cuBLASLt's "A" is weft's B and its
// "B" is weft's A, each viewed column-major with the leading dimension of its
// row-major storage:
//   weft B, not transposed: stored k x n row-major = n x k column-major, ld n,
//     used as is (N); transposed: stored n x k = k x n column-major, ld k (T);
//   weft A, not transposed: stored m x k = k x m column-major, ld k (N);
//     transposed: stored k x m = m x k column-major, ld m (T);
//   C: n x m column-major, ld n.
// Batches are strided (m*k, k*n, m*n elements). The matrices are f32, bf16
// (CUDA_R_16BF) or f16 (CUDA_R_16F); accumulation is f32 (CUBLAS_COMPUTE_32F,
// strict: TF32 only when asked for f32) and alpha and beta are f32 host
// scalars. A Gemm's epilogue becomes cuBLASLt's: the bias [n] is a vector
// over the rows of the column-major C^T (n of them), so CUBLASLT_EPILOGUE_BIAS
// adds it to every row of weft's C; CUBLASLT_EPILOGUE_GELU_BIAS applies the
// tanh approximation of GELU after it (weft's gelu_tanh); the bias is f32 or
// of the GEMM's dtype (CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE).
//
// plan() keeps up to 8 algorithms from the heuristic, best first, among those
// whose split-K partial sums (if any) stay in f32 and are reduced in a fixed
// order (CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE). A plan's first run()
// chooses one: the first when autotuning is off or there is one; else the
// choice of an earlier plan of the process with the same device name and
// gemmTuneKey, when that algorithm is among this plan's (one choice per shape:
// GPT-2's twelve layers tune once, and two Executables of a program run the
// same algorithms); else the fastest by timing every candidate
// (timeCandidates), each writing D = a scratch allocation of c's size when
// beta != 0 (C is read, so c must keep its value for the real run) or c
// itself when beta == 0 (the real run overwrites it). Candidates cuBLASLt
// refuses are skipped. The real run into c follows. The library is loaded
// with dlopen so that the runtime starts without it.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CublasLt.h"
#include "runtime/cuda/SymbolResolver.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <unordered_map>

namespace weft::rt::cuda {

/// The cuBLASLt entry points in use, resolved with dlsym.
struct CublasLtApi {
  decltype(&::cublasLtCreate) create = nullptr;
  decltype(&::cublasLtDestroy) destroy = nullptr;
  decltype(&::cublasLtGetStatusName) getStatusName = nullptr;
  decltype(&::cublasLtMatmulDescCreate) descCreate = nullptr;
  decltype(&::cublasLtMatmulDescDestroy) descDestroy = nullptr;
  decltype(&::cublasLtMatmulDescSetAttribute) descSetAttribute = nullptr;
  decltype(&::cublasLtMatrixLayoutCreate) layoutCreate = nullptr;
  decltype(&::cublasLtMatrixLayoutDestroy) layoutDestroy = nullptr;
  decltype(&::cublasLtMatrixLayoutSetAttribute) layoutSetAttribute = nullptr;
  decltype(&::cublasLtMatmulPreferenceCreate) prefCreate = nullptr;
  decltype(&::cublasLtMatmulPreferenceDestroy) prefDestroy = nullptr;
  decltype(&::cublasLtMatmulPreferenceSetAttribute) prefSetAttribute = nullptr;
  decltype(&::cublasLtMatmulAlgoGetHeuristic) algoGetHeuristic = nullptr;
  decltype(&::cublasLtMatmul) matmul = nullptr;

  Status check(cublasStatus_t s, const char *call, const std::string &context) const {
    if (s == CUBLAS_STATUS_SUCCESS)
      return Status::ok();
    const char *name = getStatusName ? getStatusName(s) : nullptr;
    return internalError(std::string(call) + " failed: " + (name ? name : "unknown status") +
                         " (" + std::to_string(static_cast<int>(s)) + ") " + context);
  }
};

namespace {

struct LoadedApi {
  CublasLtApi api;
  Status status;
};

LoadedApi loadApi() {
  LoadedApi l;
  void *lib = nullptr;
  std::string errors;
  // The loader's search path first, then the toolkit ($CUDA_HOME, /usr/local/cuda).
  std::vector<std::string> candidates = {"libcublasLt.so.13", "libcublasLt.so"};
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(var); dir && *dir)
      candidates.push_back(std::string(dir) + "/lib64/libcublasLt.so.13");
  candidates.push_back("/usr/local/cuda/lib64/libcublasLt.so.13");
  for (const std::string &name : candidates) {
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib)
      break;
    const char *e = dlerror();
    errors += std::string(errors.empty() ? "" : "; ") + (e ? e : name.c_str());
  }
  if (!lib) {
    l.status = unavailable("cuda: cannot load cuBLASLt (" + errors +
                           "); put the CUDA toolkit's lib64 on LD_LIBRARY_PATH");
    return l;
  }
  SymbolResolver resolve(lib);
  CublasLtApi &a = l.api;
  resolve(a.create, "cublasLtCreate");
  resolve(a.destroy, "cublasLtDestroy");
  resolve(a.getStatusName, "cublasLtGetStatusName");
  resolve(a.descCreate, "cublasLtMatmulDescCreate");
  resolve(a.descDestroy, "cublasLtMatmulDescDestroy");
  resolve(a.descSetAttribute, "cublasLtMatmulDescSetAttribute");
  resolve(a.layoutCreate, "cublasLtMatrixLayoutCreate");
  resolve(a.layoutDestroy, "cublasLtMatrixLayoutDestroy");
  resolve(a.layoutSetAttribute, "cublasLtMatrixLayoutSetAttribute");
  resolve(a.prefCreate, "cublasLtMatmulPreferenceCreate");
  resolve(a.prefDestroy, "cublasLtMatmulPreferenceDestroy");
  resolve(a.prefSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
  resolve(a.algoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic");
  resolve(a.matmul, "cublasLtMatmul");
  if (!resolve.missing().empty())
    l.status = unavailable("cuda: the cuBLASLt library lacks " + resolve.missing());
  return l;
}

StatusOr<const CublasLtApi *> getApi() {
  static const LoadedApi loaded = loadApi();
  if (!loaded.status.isOk())
    return loaded.status;
  return &loaded.api;
}

} // namespace

struct CublasLtGemms::Plan {
  const CublasLtApi *api = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr; // cuBLASLt's A, B, C
  std::vector<cublasLtMatmulAlgo_t> algos; // the heuristic's, best first
  size_t chosen = 0;                       // index into algos, final once tuning.decided
  float alpha = 1, beta = 0;
  size_t cBytes = 0; // c's size, for a scratch D while tuning
  std::string key;   // gemmTuneKey
  GemmTuning tuning;

  ~Plan() {
    if (!api)
      return;
    if (desc)
      api->descDestroy(desc);
    for (cublasLtMatrixLayout_t l : {a, b, c})
      if (l)
        api->layoutDestroy(l);
  }
};

CublasLtGemms::CublasLtGemms(CudaDevice &device) : device_(device) {}

StatusOr<std::unique_ptr<CublasLtGemms>> CublasLtGemms::create(CudaDevice &device,
                                                               size_t workspaceBytes) {
  StatusOr<const CublasLtApi *> api = getApi();
  if (!api.isOk())
    return api.status();
  std::unique_ptr<CublasLtGemms> g(new CublasLtGemms(device));
  g->api_ = *api;
  g->autotune_ = gemmAutotuneEnabledByEnvironment();
  WEFT_RETURN_IF_ERROR(g->api_->check(g->api_->create(&g->handle_), "cublasLtCreate",
                                      "on " + device.name()));
  if (workspaceBytes) {
    StatusOr<void *> ws = device.allocate(workspaceBytes, 256);
    if (!ws.isOk())
      return Status(ws.status().code(),
                    "cuda: cannot allocate the cuBLASLt workspace: " + ws.status().message());
    g->workspace_ = *ws;
    g->workspaceBytes_ = workspaceBytes;
  }
  return g;
}

CublasLtGemms::~CublasLtGemms() {
  plans_.clear();
  if (handle_)
    api_->destroy(handle_);
  device_.free(workspace_);
}

namespace {

/// cuBLASLt's type for a Gemm or bias dtype; false for the others.
bool cudaType(proto::DType dtype, cudaDataType_t &out) {
  switch (dtype) {
  case proto::F32: out = CUDA_R_32F; return true;
  case proto::BF16: out = CUDA_R_16BF; return true;
  case proto::F16: out = CUDA_R_16F; return true;
  default: return false;
  }
}

size_t elementBytes(proto::DType dtype) { return dtype == proto::F32 ? 4 : 2; }

/// The number of algorithms plan() asks the heuristic for.
constexpr int kMaxCandidates = 8;

/// A tuned choice, shared by the plans with the same device and key.
struct Choice {
  cublasLtMatmulAlgo_t algo;
  float ms = -1;
};

/// The tuned choices of this process, by device name + "|" + gemmTuneKey.
struct Choices {
  std::mutex mutex;
  std::unordered_map<std::string, Choice> byKey;
};

Choices &tunedChoices() {
  static Choices choices;
  return choices;
}

} // namespace

StatusOr<size_t> CublasLtGemms::plan(const proto::Gemm &g, bool allowTf32,
                                     const std::string &label, const void *bias,
                                     proto::DType biasDtype) {
  cudaDataType_t type, biasType = CUDA_R_32F;
  if (!cudaType(g.dtype(), type))
    return invalidArgument("cuda gemm '" + label + "': dtype " +
                           proto::DType_Name(g.dtype()) +
                           " is not supported; the CUDA runtime runs f32, bf16 and f16 GEMMs");
  bool hasEpilogue = g.epilogue() != proto::GEMM_EPILOGUE_NONE;
  if (hasEpilogue && (!cudaType(biasDtype, biasType) ||
                      (biasDtype != proto::F32 && biasDtype != g.dtype())))
    return invalidArgument("cuda gemm '" + label + "': bias dtype " +
                           proto::DType_Name(biasDtype) + " is neither F32 nor the gemm's " +
                           proto::DType_Name(g.dtype()));
  auto p = std::make_unique<Plan>();
  p->api = api_;
  p->alpha = g.alpha();
  p->beta = g.beta();
  p->tuning.label = label;
  p->key = gemmTuneKey(g, biasDtype, allowTf32 && g.dtype() == proto::F32);
  p->cBytes = g.batch() * g.m() * g.n() * elementBytes(g.dtype());
  const std::string ctx = "for gemm '" + label + "'";
  const CublasLtApi &a = *api_;
  // Narrow dtypes accumulate in strict f32; TF32 applies to f32 operands only.
  cublasComputeType_t compute = allowTf32 && g.dtype() == proto::F32
                                    ? CUBLAS_COMPUTE_32F_FAST_TF32
                                    : CUBLAS_COMPUTE_32F;
  WEFT_RETURN_IF_ERROR(
      a.check(a.descCreate(&p->desc, compute, CUDA_R_32F), "cublasLtMatmulDescCreate", ctx));
  cublasOperation_t opA = g.trans_b() ? CUBLAS_OP_T : CUBLAS_OP_N; // cuBLASLt's A = weft's B
  cublasOperation_t opB = g.trans_a() ? CUBLAS_OP_T : CUBLAS_OP_N; // cuBLASLt's B = weft's A
  WEFT_RETURN_IF_ERROR(a.check(
      a.descSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)),
      "cublasLtMatmulDescSetAttribute", ctx));
  WEFT_RETURN_IF_ERROR(a.check(
      a.descSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)),
      "cublasLtMatmulDescSetAttribute", ctx));

  if (hasEpilogue) {
    if (!bias)
      return invalidArgument("cuda gemm '" + label + "': epilogue " +
                             proto::GemmEpilogue_Name(g.epilogue()) + " has no bias address");
    cublasLtEpilogue_t epilogue = g.epilogue() == proto::GEMM_EPILOGUE_BIAS
                                      ? CUBLASLT_EPILOGUE_BIAS
                                      : CUBLASLT_EPILOGUE_GELU_BIAS;
    WEFT_RETURN_IF_ERROR(a.check(
        a.descSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)),
        "cublasLtMatmulDescSetAttribute(EPILOGUE)", ctx));
    WEFT_RETURN_IF_ERROR(a.check(a.descSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                    &bias, sizeof(bias)),
                                 "cublasLtMatmulDescSetAttribute(BIAS_POINTER)", ctx));
    int32_t biasTypeValue = static_cast<int32_t>(biasType); // an int32_t holding a cudaDataType
    WEFT_RETURN_IF_ERROR(a.check(a.descSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
                                                    &biasTypeValue, sizeof(biasTypeValue)),
                                 "cublasLtMatmulDescSetAttribute(BIAS_DATA_TYPE)", ctx));
  }
  const uint64_t m = g.m(), n = g.n(), k = g.k();
  auto layout = [&](cublasLtMatrixLayout_t *l, uint64_t rows, uint64_t cols, int64_t ld,
                    int64_t stride) -> Status {
    WEFT_RETURN_IF_ERROR(
        a.check(a.layoutCreate(l, type, rows, cols, ld), "cublasLtMatrixLayoutCreate", ctx));
    if (g.batch() > 1) {
      int32_t count = static_cast<int32_t>(g.batch());
      WEFT_RETURN_IF_ERROR(a.check(a.layoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                                        &count, sizeof(count)),
                                   "cublasLtMatrixLayoutSetAttribute", ctx));
      WEFT_RETURN_IF_ERROR(a.check(
          a.layoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
                               sizeof(stride)),
          "cublasLtMatrixLayoutSetAttribute", ctx));
    }
    return Status::ok();
  };
  if (g.batch() > static_cast<uint64_t>(INT32_MAX))
    return invalidArgument("cuda gemm '" + label + "': batch " + std::to_string(g.batch()) +
                           " exceeds cuBLASLt's limit of 2^31-1");
  // Layouts as stored, before the operation: see the file comment.
  if (g.trans_b())
    WEFT_RETURN_IF_ERROR(layout(&p->a, k, n, static_cast<int64_t>(k), k * n));
  else
    WEFT_RETURN_IF_ERROR(layout(&p->a, n, k, static_cast<int64_t>(n), k * n));
  if (g.trans_a())
    WEFT_RETURN_IF_ERROR(layout(&p->b, m, k, static_cast<int64_t>(m), m * k));
  else
    WEFT_RETURN_IF_ERROR(layout(&p->b, k, m, static_cast<int64_t>(k), m * k));
  WEFT_RETURN_IF_ERROR(layout(&p->c, n, m, static_cast<int64_t>(n), m * n));

  // Split-K partial sums preferably stay in f32 (the compute type), reduced
  // in a fixed order: no in-place or output-type (bf16/f16) reductions. Where
  // that leaves no algorithm, every reduction scheme is allowed.
  cublasLtMatmulHeuristicResult_t results[kMaxCandidates] = {};
  int found = 0;
  auto heuristic = [&](uint32_t reductions) -> Status {
    cublasLtMatmulPreference_t pref = nullptr;
    WEFT_RETURN_IF_ERROR(a.check(a.prefCreate(&pref), "cublasLtMatmulPreferenceCreate", ctx));
    uint64_t ws = workspaceBytes_;
    Status st = a.check(a.prefSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                           sizeof(ws)),
                        "cublasLtMatmulPreferenceSetAttribute", ctx);
    if (st.isOk())
      st = a.check(a.prefSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                      &reductions, sizeof(reductions)),
                   "cublasLtMatmulPreferenceSetAttribute(REDUCTION_SCHEME_MASK)", ctx);
    if (st.isOk())
      st = a.check(a.algoGetHeuristic(handle_, p->desc, p->a, p->b, p->c, p->c, pref,
                                      kMaxCandidates, results, &found),
                   "cublasLtMatmulAlgoGetHeuristic", ctx);
    a.prefDestroy(pref);
    return st;
  };
  Status st = heuristic(CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
  if (!st.isOk() || found == 0)
    st = heuristic(CUBLASLT_REDUCTION_SCHEME_MASK);
  WEFT_RETURN_IF_ERROR(st);
  for (int i = 0; i < found && i < kMaxCandidates; ++i)
    if (results[i].state == CUBLAS_STATUS_SUCCESS)
      p->algos.push_back(results[i].algo);
  if (p->algos.empty())
    return internalError("cuda gemm '" + label + "': cuBLASLt has no algorithm for " +
                         std::to_string(g.batch()) + " x [" + std::to_string(m) + "x" +
                         std::to_string(k) + "] x [" + std::to_string(k) + "x" +
                         std::to_string(n) + "] " + proto::DType_Name(g.dtype()) +
                         (hasEpilogue ? " with epilogue " +
                                            proto::GemmEpilogue_Name(g.epilogue()) +
                                            " and a " + proto::DType_Name(biasDtype) + " bias"
                                      : std::string()));
  p->tuning.candidates = p->algos.size();
  plans_.push_back(std::move(p));
  return plans_.size() - 1;
}

Status CublasLtGemms::matmul(const Plan &p, size_t algo, const void *a, const void *b,
                             const void *c, void *d) const {
  // cuBLASLt's A is weft's B and its B is weft's A; C and D share a layout.
  return api_->check(api_->matmul(handle_, p.desc, &p.alpha, b, p.a, a, p.b, &p.beta, c, p.c, d,
                                  p.c, &p.algos[algo], workspace_, workspaceBytes_,
                                  device_.stream()),
                     "cublasLtMatmul", "in gemm '" + p.tuning.label + "'");
}

Status CublasLtGemms::choose(Plan &p, const void *a, const void *b, void *c) {
  GemmTuning &t = p.tuning;
  t.decided = true;
  p.chosen = 0;
  if (!autotune_ || p.algos.size() < 2)
    return Status::ok();
  Choices &choices = tunedChoices();
  const std::string key = device_.name() + "|" + p.key;
  {
    std::lock_guard<std::mutex> lock(choices.mutex);
    if (auto it = choices.byKey.find(key); it != choices.byKey.end()) {
      for (size_t i = 0; i < p.algos.size(); ++i)
        if (std::memcmp(&p.algos[i], &it->second.algo, sizeof(cublasLtMatmulAlgo_t)) == 0) {
          p.chosen = i;
          t.chosen = static_cast<int>(i);
          t.ms = it->second.ms;
          t.shared = true;
          return Status::ok();
        }
    }
  }
  // With beta != 0 the candidates read c: they write a scratch D instead.
  void *scratch = nullptr;
  if (p.beta != 0) {
    StatusOr<void *> s = device_.allocate(p.cBytes, 256);
    if (!s.isOk())
      return Status::ok(); // no room to tune: the heuristic's first algorithm
    scratch = *s;
  }
  StatusOr<std::vector<CandidateTiming>> timings = timeCandidates(
      device_, p.algos.size(),
      [&](size_t i) { return matmul(p, i, a, b, c, scratch ? scratch : c); });
  Status synced = device_.synchronize(); // the candidates are done with the scratch
  device_.free(scratch);
  if (!timings.isOk())
    return timings.status();
  WEFT_RETURN_IF_ERROR(synced);
  int best = pickFastest(*timings);
  if (best < 0)
    return internalError("cuda gemm '" + t.label + "': every one of the " +
                         std::to_string(p.algos.size()) +
                         " cuBLASLt algorithms failed while autotuning; the first: " +
                         timings->front().error + " (WEFT_GEMM_AUTOTUNE=0 skips tuning)");
  for (const CandidateTiming &ct : *timings)
    t.timed += ct.ok;
  p.chosen = static_cast<size_t>(best);
  t.chosen = best;
  t.ms = (*timings)[p.chosen].ms;
  std::lock_guard<std::mutex> lock(choices.mutex);
  choices.byKey[key] = {p.algos[p.chosen], t.ms};
  return Status::ok();
}

Status CublasLtGemms::run(size_t index, const void *a, const void *b, void *c) {
  if (index >= plans_.size())
    return internalError("cuda gemm: plan " + std::to_string(index) + " does not exist");
  Plan &p = *plans_[index];
  if (!p.tuning.decided)
    WEFT_RETURN_IF_ERROR(choose(p, a, b, c));
  return matmul(p, p.chosen, a, b, c, c);
}

void CublasLtGemms::forgetTunedChoices() {
  Choices &choices = tunedChoices();
  std::lock_guard<std::mutex> lock(choices.mutex);
  choices.byKey.clear();
}

std::vector<GemmTuning> CublasLtGemms::tunings() const {
  std::vector<GemmTuning> out;
  for (const std::unique_ptr<Plan> &p : plans_)
    out.push_back(p->tuning);
  return out;
}

} // namespace weft::rt::cuda
