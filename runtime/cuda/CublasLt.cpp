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
// Batches are strided (m*k, k*n, m*n elements). alpha and beta are host
// scalars. A Gemm's epilogue becomes cuBLASLt's: the bias [n] is a vector
// over the rows of the column-major C^T (n of them), so CUBLASLT_EPILOGUE_BIAS
// adds it to every row of weft's C; CUBLASLT_EPILOGUE_GELU_BIAS applies the
// tanh approximation of GELU after it (weft's gelu_tanh). The library is loaded with dlopen so that the runtime starts
// without it.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CublasLt.h"

#include <cstdlib>
#include <dlfcn.h>
#include <type_traits>

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
  std::string missing;
  auto resolve = [&](auto &fn, const char *name) {
    void *sym = dlsym(lib, name);
    if (!sym)
      missing += (missing.empty() ? "" : ", ") + std::string(name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
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
  if (!missing.empty())
    l.status = unavailable("cuda: the cuBLASLt library lacks " + missing);
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
  cublasLtMatmulAlgo_t algo{};
  float alpha = 1, beta = 0;
  std::string label;

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

StatusOr<size_t> CublasLtGemms::plan(const proto::Gemm &g, bool allowTf32,
                                     const std::string &label, const void *bias) {
  if (g.dtype() != proto::F32)
    return invalidArgument("cuda gemm '" + label + "': dtype " + std::to_string(g.dtype()) +
                           " is not supported yet; the CUDA runtime runs f32 GEMMs");
  auto p = std::make_unique<Plan>();
  p->api = api_;
  p->alpha = g.alpha();
  p->beta = g.beta();
  p->label = label;
  const std::string ctx = "for gemm '" + label + "'";
  const CublasLtApi &a = *api_;
  cublasComputeType_t compute = allowTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
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

  if (g.epilogue() != proto::GEMM_EPILOGUE_NONE) {
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
  }
  const uint64_t m = g.m(), n = g.n(), k = g.k();
  auto layout = [&](cublasLtMatrixLayout_t *l, uint64_t rows, uint64_t cols, int64_t ld,
                    int64_t stride) -> Status {
    WEFT_RETURN_IF_ERROR(
        a.check(a.layoutCreate(l, CUDA_R_32F, rows, cols, ld), "cublasLtMatrixLayoutCreate", ctx));
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

  cublasLtMatmulPreference_t pref = nullptr;
  WEFT_RETURN_IF_ERROR(a.check(a.prefCreate(&pref), "cublasLtMatmulPreferenceCreate", ctx));
  uint64_t ws = workspaceBytes_;
  Status st = a.check(a.prefSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                         sizeof(ws)),
                      "cublasLtMatmulPreferenceSetAttribute", ctx);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (st.isOk())
    st = a.check(a.algoGetHeuristic(handle_, p->desc, p->a, p->b, p->c, p->c, pref, 1, &result,
                                    &found),
                 "cublasLtMatmulAlgoGetHeuristic", ctx);
  a.prefDestroy(pref);
  WEFT_RETURN_IF_ERROR(st);
  if (found == 0)
    return internalError("cuda gemm '" + label + "': cuBLASLt has no algorithm for " +
                         std::to_string(g.batch()) + " x [" + std::to_string(m) + "x" +
                         std::to_string(k) + "] x [" + std::to_string(k) + "x" +
                         std::to_string(n) + "] f32");
  p->algo = result.algo;
  plans_.push_back(std::move(p));
  return plans_.size() - 1;
}

Status CublasLtGemms::run(size_t index, const void *a, const void *b, void *c) {
  if (index >= plans_.size())
    return internalError("cuda gemm: plan " + std::to_string(index) + " does not exist");
  const Plan &p = *plans_[index];
  // cuBLASLt's A is weft's B and its B is weft's A.
  return api_->check(api_->matmul(handle_, p.desc, &p.alpha, b, p.a, a, p.b, &p.beta, c, p.c, c,
                                  p.c, &p.algo, workspace_, workspaceBytes_, device_.stream()),
                     "cublasLtMatmul", "in gemm '" + p.label + "'");
}

} // namespace weft::rt::cuda
