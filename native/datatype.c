/* Derived datatypes in the MPI library: an mpi4ts typemap (src/datatype/
 * typemap.ts: blocks of basic elements at byte displacements, lower bound and
 * extent) built as a real MPI datatype, for what must hand MPI a datatype
 * (MPI-IO file views, RMA, the packed element of a reduction with a user op)
 * and to check mpi4ts's own layouts and packing against the library's.
 *
 * MPI-4.1 §5.1.2 (MPI_Type_create_struct), §5.1.7 (MPI_Type_create_resized),
 * §5.1.9 (commit, free), §5.1.5 and §5.1.8 (size, extents), §5.2 (MPI_Pack,
 * MPI_Unpack, MPI_Pack_external).
 *
 * Compiled as part of mpi4ts_native.c (#included before init), so it uses
 * that file's helpers: ARGS, CHECK, get_i32, get_buf, get_dt, throw_mpi.
 * Handles are indices into a table; a freed slot is reused.
 *
 * Data calls take a handle as datatype index N_DTS + handle (get_dt).
 *
 * Unfinished: point-to-point does not use these types (both transports move a
 * derived type's data packed, src/buffer.ts); counts above INT_MAX blocks. */

static MPI_Datatype *g_utypes = NULL;
static int g_nutypes = 0;
static int g_caputypes = 0;

static int utype_add(MPI_Datatype t) {
  for (int i = 0; i < g_nutypes; i++) {
    if (g_utypes[i] == MPI_DATATYPE_NULL) {
      g_utypes[i] = t;
      return i;
    }
  }
  if (g_nutypes == g_caputypes) {
    int cap = g_caputypes ? 2 * g_caputypes : 16;
    MPI_Datatype *grown = realloc(g_utypes, (size_t)cap * sizeof *grown);
    if (grown == NULL) return -1;
    g_utypes = grown;
    g_caputypes = cap;
  }
  g_utypes[g_nutypes] = t;
  return g_nutypes++;
}

static int get_utype(napi_env env, napi_value v, MPI_Datatype *out) {
  int32_t i;
  if (!get_i32(env, v, &i)) return 0;
  if (i < 0 || i >= g_nutypes || g_utypes[i] == MPI_DATATYPE_NULL) {
    napi_throw_error(env, "MPI_ERR_TYPE", "mpi4ts_native: invalid derived datatype handle");
    return 0;
  }
  *out = g_utypes[i];
  return 1;
}

/* Reads element k of a JS array of numbers as a double. */
static int get_number_at(napi_env env, napi_value arr, uint32_t k, double *out) {
  napi_value v;
  if (napi_get_element(env, arr, k, &v) != napi_ok) return 0;
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected a number");
    return 0;
  }
  return 1;
}

/* The blocks of a typemap as the JS side hands them over: argv[0] byte displacements, argv[1] counts, argv[2]
 * basic datatypes, arrays of one length n. The arrays are the caller's to free (free_blocks); 0 with a JS
 * exception pending if an argument is wrong or memory is short. */
typedef struct {
  uint32_t n;
  int *lens;
  MPI_Aint *disps;
  MPI_Datatype *types;
} typemap_blocks;

static void free_blocks(typemap_blocks *b) {
  free(b->lens);
  free(b->disps);
  free(b->types);
}

static int get_blocks(napi_env env, napi_value *argv, typemap_blocks *b) {
  memset(b, 0, sizeof *b);
  napi_status status = napi_get_array_length(env, argv[0], &b->n);
  if (status != napi_ok) {
    throw_napi_failure(env, status, "napi_get_array_length");
    return 0;
  }
  size_t room = b->n ? b->n : 1;
  b->lens = malloc(room * sizeof(int));
  b->disps = malloc(room * sizeof(MPI_Aint));
  b->types = malloc(room * sizeof(MPI_Datatype));
  if (b->lens == NULL || b->disps == NULL || b->types == NULL) {
    napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
    return 0;
  }
  for (uint32_t k = 0; k < b->n; k++) {
    double d, c;
    napi_value t;
    MPI_Aint ext;
    if (!get_number_at(env, argv[0], k, &d) || !get_number_at(env, argv[1], k, &c)) return 0;
    if (napi_get_element(env, argv[2], k, &t) != napi_ok || !get_dt(env, t, &b->types[k], &ext)) return 0;
    if (c < 0 || c > INT_MAX) {
      napi_throw_error(env, "MPI_ERR_COUNT", "mpi4ts_native: block count out of range");
      return 0;
    }
    b->disps[k] = (MPI_Aint)d;
    b->lens[k] = (int)c;
  }
  return 1;
}

/* typeCreate(disps: number[], counts: number[], basics: number[] (datatype indices), lb, extent) -> handle */
static napi_value js_type_create(napi_env env, napi_callback_info info) {
  ARGS(5);
  double lbd, extd;
  CHECK(env, napi_get_value_double(env, argv[3], &lbd));
  CHECK(env, napi_get_value_double(env, argv[4], &extd));
  typemap_blocks b;
  napi_value result = NULL;
  if (!get_blocks(env, argv, &b)) goto out;
  MPI_Datatype structured, resized;
  int rc = MPI_Type_create_struct((int)b.n, b.lens, b.disps, b.types, &structured);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Type_create_struct");
    goto out;
  }
  rc = MPI_Type_create_resized(structured, (MPI_Aint)lbd, (MPI_Aint)extd, &resized);
  MPI_Type_free(&structured);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Type_create_resized");
    goto out;
  }
  rc = MPI_Type_commit(&resized);
  if (rc != MPI_SUCCESS) {
    MPI_Type_free(&resized);
    throw_mpi(env, rc, "MPI_Type_commit");
    goto out;
  }
  int id = utype_add(resized);
  if (id < 0) {
    MPI_Type_free(&resized);
    napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
    goto out;
  }
  result = make_i32(env, id);
out:
  free_blocks(&b);
  return result;
}

/* typeFree(handle) */
static napi_value js_type_free(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Datatype t;
  if (!get_utype(env, argv[0], &t)) return NULL;
  int32_t i;
  get_i32(env, argv[0], &i);
  MPI_Type_free(&g_utypes[i]);
  g_utypes[i] = MPI_DATATYPE_NULL;
  return make_undefined(env);
}

/* typeInfo(handle) -> [size, lb, extent, trueLb, trueExtent] as the library computes them */
static napi_value js_type_info(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Datatype t;
  if (!get_utype(env, argv[0], &t)) return NULL;
  MPI_Count size, lb, ext, tlb, text;
  MPI_Type_size_x(t, &size);
  MPI_Type_get_extent_x(t, &lb, &ext);
  MPI_Type_get_true_extent_x(t, &tlb, &text);
  double vals[5] = {(double)size, (double)lb, (double)ext, (double)tlb, (double)text};
  napi_value arr;
  CHECK(env, napi_create_array_with_length(env, 5, &arr));
  for (uint32_t k = 0; k < 5; k++) {
    napi_value v;
    CHECK(env, napi_create_double(env, vals[k], &v));
    CHECK(env, napi_set_element(env, arr, k, v));
  }
  return arr;
}

/* typePack(handle, count, inbuf, outbuf, external) -> bytes written: MPI_Pack, or
 * MPI_Pack_external("external32") when external is true. inbuf's start is the buffer address. */
static napi_value js_type_pack(napi_env env, napi_callback_info info) {
  ARGS(5);
  MPI_Datatype t;
  int32_t count;
  bool external = false;
  void *in, *out;
  size_t inlen, outlen;
  if (!get_utype(env, argv[0], &t) || !get_i32(env, argv[1], &count)) return NULL;
  if (!get_buf(env, argv[2], 0, &in, &inlen, NULL) || !get_buf(env, argv[3], 0, &out, &outlen, NULL)) return NULL;
  CHECK(env, napi_get_value_bool(env, argv[4], &external));
  int rc;
  if (external) {
    MPI_Aint pos = 0;
    rc = MPI_Pack_external("external32", in, count, t, out, (MPI_Aint)outlen, &pos);
    if (rc != MPI_SUCCESS) {
      throw_mpi(env, rc, "MPI_Pack_external");
      return NULL;
    }
    return make_i32(env, (int32_t)pos);
  }
  int pos = 0;
  rc = MPI_Pack(in, count, t, out, (int)outlen, &pos, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Pack");
    return NULL;
  }
  return make_i32(env, pos);
}

/* typeUnpack(handle, count, inbuf, outbuf) -> bytes read: MPI_Unpack into outbuf (its start is the buffer address). */
static napi_value js_type_unpack(napi_env env, napi_callback_info info) {
  ARGS(4);
  MPI_Datatype t;
  int32_t count;
  void *in, *out;
  size_t inlen, outlen;
  if (!get_utype(env, argv[0], &t) || !get_i32(env, argv[1], &count)) return NULL;
  if (!get_buf(env, argv[2], 0, &in, &inlen, NULL) || !get_buf(env, argv[3], 0, &out, &outlen, NULL)) return NULL;
  int pos = 0;
  int rc = MPI_Unpack(in, (int)inlen, &pos, out, count, t, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Unpack");
    return NULL;
  }
  return make_i32(env, pos);
}
