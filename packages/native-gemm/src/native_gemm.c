/*
 * @repscope/native-gemm: single-precision GEMM for Node through the system's optimised BLAS.
 *
 * The BLAS is NOT linked at build time: it is found with dlopen() when the addon loads
 * (REPSCOPE_BLAS, then OpenBLAS, OpenBLAS ILP64, BLIS, MKL), so the addon builds with nothing
 * but a C compiler and Node's headers, and a machine without a BLAS only fails to load it.
 *
 * sgemm() works on the memory of the typed arrays it is given, in place: no copies. The
 * arrays may be views on a WebAssembly.Memory (also a shared one), so a wasm backend's tensors
 * can be multiplied where they live. The call is synchronous on the JS thread; the BLAS uses
 * its own thread pool.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CBLAS enums (cblas.h), declared here so no BLAS headers are needed to build. */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm32_fn)(int order, int ta, int tb, int32_t m, int32_t n, int32_t k, float alpha,
                           const float *a, int32_t lda, const float *b, int32_t ldb, float beta, float *c,
                           int32_t ldc);
typedef void (*sgemm64_fn)(int order, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                           const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                           int64_t ldc);
typedef char *(*corename_fn)(void);
typedef int (*get_threads_fn)(void);
typedef void (*set_threads_fn)(int);

static struct {
  void *handle;
  char library[256];
  char symbol[64];
  sgemm32_fn sgemm32;
  sgemm64_fn sgemm64;
  corename_fn corename;
  get_threads_fn get_threads;
  set_threads_fn set_threads;
  char error[1024];
} blas;

static int try_library(const char *name) {
  void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    size_t used = strlen(blas.error);
    snprintf(blas.error + used, sizeof blas.error - used, "%s%s", used ? "; " : "", dlerror());
    return 0;
  }
  void *f = dlsym(h, "cblas_sgemm");
  int ilp64 = 0;
  if (!f) {
    f = dlsym(h, "cblas_sgemm64_"); /* Debian's libopenblas64_ suffixes its ILP64 symbols */
    ilp64 = f != NULL;
  }
  if (!f) {
    size_t used = strlen(blas.error);
    snprintf(blas.error + used, sizeof blas.error - used, "%s%s: no cblas_sgemm", used ? "; " : "", name);
    dlclose(h);
    return 0;
  }
  blas.handle = h;
  snprintf(blas.library, sizeof blas.library, "%s", name);
  snprintf(blas.symbol, sizeof blas.symbol, "%s", ilp64 ? "cblas_sgemm64_" : "cblas_sgemm");
  if (ilp64) blas.sgemm64 = (sgemm64_fn)f;
  else blas.sgemm32 = (sgemm32_fn)f;
  blas.corename = (corename_fn)dlsym(h, ilp64 ? "openblas_get_corename64_" : "openblas_get_corename");
  blas.get_threads = (get_threads_fn)dlsym(h, ilp64 ? "openblas_get_num_threads64_" : "openblas_get_num_threads");
  blas.set_threads = (set_threads_fn)dlsym(h, ilp64 ? "openblas_set_num_threads64_" : "openblas_set_num_threads");
  if (!blas.get_threads) blas.get_threads = (get_threads_fn)dlsym(h, "bli_thread_get_num_threads");
  if (!blas.get_threads) blas.get_threads = (get_threads_fn)dlsym(h, "MKL_Get_Max_Threads");
  if (!blas.set_threads) blas.set_threads = (set_threads_fn)dlsym(h, "bli_thread_set_num_threads");
  return 1;
}

static const char *const CANDIDATES[] = {
    "libopenblas.so.0", "libopenblas64_.so.0", "libblis.so.4", "libmkl_rt.so", "libmkl_rt.so.2", NULL,
};

static int load_blas(void) {
  if (blas.handle) return 1;
  blas.error[0] = 0;
  const char *forced = getenv("REPSCOPE_BLAS");
  if (forced && *forced) return try_library(forced);
  for (int i = 0; CANDIDATES[i]; i++)
    if (try_library(CANDIDATES[i])) return 1;
  return 0;
}

/* ---- helpers ---- */

#define CHECK(env, call)                                         \
  do {                                                           \
    if ((call) != napi_ok) {                                     \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                               \
    }                                                            \
  } while (0)

static int get_float32_array(napi_env env, napi_value v, const char *what, float **data, size_t *length) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    char msg[128];
    snprintf(msg, sizeof msg, "sgemm: %s must be a Float32Array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "sgemm: %s must be a Float32Array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *data = (float *)ptr; /* already includes the view's byteOffset */
  return 1;
}

static int get_i64(napi_env env, napi_value v, const char *what, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d != (double)(int64_t)d || d > 2147483647.0) {
    char msg[128];
    snprintf(msg, sizeof msg, "sgemm: %s must be a non-negative integer below 2^31", what);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

/* sgemm(transA, transB, M, N, K, alpha, A, B, beta, C): row-major C = alpha op(A) op(B) + beta C,
 * op(A) M×K, op(B) K×N, C M×N; A stored M×K (K×M when transA), B K×N (N×K when transB). */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 10) {
    napi_throw_type_error(env, NULL, "sgemm(transA, transB, M, N, K, alpha, A, B, beta, C) takes 10 arguments");
    return NULL;
  }
  if (!load_blas()) {
    napi_throw_error(env, "E_NO_BLAS", blas.error);
    return NULL;
  }
  bool ta, tb;
  CHECK(env, napi_coerce_to_bool(env, argv[0], &argv[0]));
  CHECK(env, napi_coerce_to_bool(env, argv[1], &argv[1]));
  CHECK(env, napi_get_value_bool(env, argv[0], &ta));
  CHECK(env, napi_get_value_bool(env, argv[1], &tb));
  int64_t m, n, k;
  if (!get_i64(env, argv[2], "M", &m) || !get_i64(env, argv[3], "N", &n) || !get_i64(env, argv[4], "K", &k)) return NULL;
  double alpha, beta;
  if (napi_get_value_double(env, argv[5], &alpha) != napi_ok || napi_get_value_double(env, argv[8], &beta) != napi_ok) {
    napi_throw_type_error(env, NULL, "sgemm: alpha and beta must be numbers");
    return NULL;
  }
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!get_float32_array(env, argv[6], "A", &a, &la) || !get_float32_array(env, argv[7], "B", &b, &lb) ||
      !get_float32_array(env, argv[9], "C", &c, &lc))
    return NULL;
  if ((uint64_t)la < (uint64_t)(m * k) || (uint64_t)lb < (uint64_t)(k * n) || (uint64_t)lc < (uint64_t)(m * n)) {
    char msg[256];
    snprintf(msg, sizeof msg, "sgemm: arrays too short for M=%lld N=%lld K=%lld (A %zu, B %zu, C %zu)", (long long)m,
             (long long)n, (long long)k, la, lb, lc);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;
  int64_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
  if (lda < 1) lda = 1;
  if (ldb < 1) ldb = 1;
  int opa = ta ? CBLAS_TRANS : CBLAS_NO_TRANS, opb = tb ? CBLAS_TRANS : CBLAS_NO_TRANS;
  if (blas.sgemm64)
    blas.sgemm64(CBLAS_ROW_MAJOR, opa, opb, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
  else
    blas.sgemm32(CBLAS_ROW_MAJOR, opa, opb, (int32_t)m, (int32_t)n, (int32_t)k, (float)alpha, a, (int32_t)lda, b,
                 (int32_t)ldb, (float)beta, c, (int32_t)ldc);
  return NULL;
}

static void set_named(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

/* info() -> { library, symbol, corename, threads } ; throws when no BLAS could be loaded. */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  if (!load_blas()) {
    napi_throw_error(env, "E_NO_BLAS", blas.error);
    return NULL;
  }
  napi_value obj, v, nul;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_get_null(env, &nul));
  CHECK(env, napi_create_string_utf8(env, blas.library, NAPI_AUTO_LENGTH, &v));
  set_named(env, obj, "library", v);
  CHECK(env, napi_create_string_utf8(env, blas.symbol, NAPI_AUTO_LENGTH, &v));
  set_named(env, obj, "symbol", v);
  if (blas.corename) {
    const char *core = blas.corename();
    CHECK(env, napi_create_string_utf8(env, core ? core : "", NAPI_AUTO_LENGTH, &v));
    /* OpenBLAS pads the name with spaces on some builds */
    set_named(env, obj, "corename", v);
  } else {
    set_named(env, obj, "corename", nul);
  }
  if (blas.get_threads) {
    CHECK(env, napi_create_int32(env, blas.get_threads(), &v));
    set_named(env, obj, "threads", v);
  } else {
    set_named(env, obj, "threads", nul);
  }
  return obj;
}

/* setThreads(n): openblas_set_num_threads / bli_thread_set_num_threads when present; returns whether it could. */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t n = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_range_error(env, NULL, "setThreads(n): n must be a positive integer");
    return NULL;
  }
  if (!load_blas()) {
    napi_throw_error(env, "E_NO_BLAS", blas.error);
    return NULL;
  }
  if (blas.set_threads) blas.set_threads(n);
  CHECK(env, napi_get_boolean(env, blas.set_threads != NULL, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
