/*
 * mpi4ts_native: the Node-API binding of mpi4ts over a real MPI library
 * (Open MPI or MPICH). Plain C, plain Node-API (node_api.h), nothing else.
 *
 * MPI-4.1 sections covered:
 *   §3 point-to-point: Isend/Issend/Irecv (§3.7), Improbe/Imrecv/Iprobe (§3.8),
 *      Test/Testsome (§3.7.3, §3.7.5), the null process (§3.11)
 *   §6 collectives: the nonblocking forms (§6.12) Ibarrier, Ibcast, Igatherv,
 *      Iscatterv, Iallgatherv, Ialltoallv, Ireduce, Iallreduce, Ireduce_scatter,
 *      Iscan, Iexscan, and the blocking Allgatherv, Reduce, Allreduce and
 *      Reduce_scatter for large payloads once every rank has arrived;
 *      user-defined reduction ops (§6.9.5 MPI_Op_create)
 *   §7 communicators: Comm_split, Comm_split_type (COMM_TYPE_SHARED), Comm_dup, Comm_create_group, Comm_free,
 *      Group_translate_ranks, intercommunicators (Intercomm_create, _merge,
 *      Comm_remote_size / _group)
 *   §11.8 dynamic processes: Comm_spawn, Comm_get_parent
 *   §9 environment: Init_thread (§11.2.1), Finalize, Abort, Wtime/Wtick,
 *      Get_processor_name, Get_library_version, error handlers (ERRORS_RETURN),
 *      Error_class / Error_string
 *
 * Design in one paragraph. The JS side only ever calls MPI from the main
 * thread. Every message and (but for the blocking collectives above, which
 * return when done) every collective is started nonblocking and tested at once: when it
 * has completed (the eager fast path), the call returns DONE and the status is
 * in a small shared Int32Array (`statusBuffer`), so the JS side needs no
 * object from C. Otherwise the call returns a request id (an index into a
 * table of slots) and keeps a napi_ref to every JS buffer involved, so that
 * GC cannot free memory MPI still writes to. `testSpin` polls a request for a
 * few microseconds in C; the JS side polls with back-off after that.
 *
 * Messages over INT_MAX bytes: point-to-point, through MPI-4's large-count
 * calls or a derived datatype (see span_of); the JS side cuts broadcasts.
 *
 * The files included before `init` add the other chapters, each with its own
 * list of what is unfinished: topologies (topo.c), attributes and names
 * (surface.c), one-sided (win.c), Comm_spawn_multiple (spawn.c), derived
 * datatypes (datatype.c), ports (ports.c) and I/O (file.c).
 *
 * Unfinished here: large counts in the other collectives (ERR_COUNT),
 * persistent requests, Cancel, intercommunicator collectives (the JS side
 * builds them from point-to-point).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <mpi.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* ------------------------------------------------------------------------ */
/* Small helpers                                                              */

/* Values of the JS side's constants (src/constants.ts). The C library's own
 * values differ between Open MPI and MPICH, so they are mapped here. */
#define JS_ANY_SOURCE (-1)
#define JS_ANY_TAG (-1)
#define JS_PROC_NULL (-2)
#define JS_UNDEFINED (-32766)

/* Return codes of the starting functions: >= 0 is a pending request id. */
#define RC_DONE (-1)  /* completed; status in statusBuffer */
#define RC_ERROR (-2) /* failed; MPI error code in statusBuffer[ST_ERROR] */

/* Layout of the shared status block (an Int32Array on the JS side). A byte
 * count is ST_COUNT + ST_COUNT_HIGH * 2^31, so that messages over 2^31-1
 * bytes fit. */
enum { ST_SOURCE = 0, ST_TAG = 1, ST_COUNT = 2, ST_ERROR = 3, ST_ID = 4, ST_COUNT_HIGH = 5, ST_LEN = 8 };
#define COUNT_SPLIT ((MPI_Count)1 << 31)

#define CHECK(env, call)                                                   \
  do {                                                                     \
    napi_status check_status_ = (call);                                    \
    if (check_status_ != napi_ok) {                                        \
      throw_napi_failure((env), check_status_, #call);                     \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

/* Every MPI-calling entry point starts with this: MPI must be usable, and a
 * user-defined op (running JS inside an MPI call) must not re-enter MPI. */
#define ENTER(env)                                                         \
  do {                                                                     \
    if (!enter_ok(env)) return NULL;                                       \
  } while (0)

/* The start of an entry point with n arguments: reads argv[0..n) (missing
 * ones are undefined); ARGS also checks that MPI may be called (ENTER). */
#define GET_ARGS(n)                                                        \
  size_t argc = (n);                                                       \
  napi_value argv[n];                                                      \
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))
#define ARGS(n)                                                            \
  GET_ARGS(n);                                                             \
  ENTER(env)

static int g_initialized = 0;      /* MPI_Init_thread done by us */
static int g_finalized = 0;        /* MPI_Finalize done (or MPI gone) */
static int g_in_user_op = 0;       /* > 0 while a user op's JS runs */
static int g_thread_requested = MPI_THREAD_SINGLE;
static int g_thread_provided = MPI_THREAD_SINGLE;
static napi_env g_env = NULL;      /* the one environment allowed to use MPI */
static int32_t *g_status = NULL;   /* the shared status block */
static napi_ref g_status_ref = NULL;

static void throw_napi_failure(napi_env env, napi_status status, const char *what) {
  const napi_extended_error_info *info = NULL;
  char msg[512];
  napi_get_last_error_info(env, &info);
  snprintf(msg, sizeof msg, "mpi4ts_native: %s failed (%s, status %d)", what,
           info && info->error_message ? info->error_message : "?", (int)status);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, msg);
}

/* Throws a JS Error that carries the MPI error code as `mpiErrorCode`; the
 * TS side turns it into an MPIError with the right class. */
static void throw_mpi(napi_env env, int code, const char *call) {
  char text[MPI_MAX_ERROR_STRING + 1];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
  char msg[MPI_MAX_ERROR_STRING + 128];
  snprintf(msg, sizeof msg, "%s: %s", call, text);
  napi_value m, err, c;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &err);
  napi_create_int32(env, code, &c);
  napi_set_named_property(env, err, "mpiErrorCode", c);
  napi_throw(env, err);
}

static int enter_ok(napi_env env) {
  if (env != g_env) {
    napi_throw_error(env, NULL, "mpi4ts_native: MPI can only be used from the thread that loaded the addon first");
    return 0;
  }
  if (g_finalized) {
    napi_throw_error(env, "MPI_ERR_OTHER", "mpi4ts_native: MPI has been finalized");
    return 0;
  }
  if (g_in_user_op) {
    napi_throw_error(env, "MPI_ERR_OTHER",
                     "mpi4ts_native: MPI cannot be called from inside a user-defined reduction op");
    return 0;
  }
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected a number");
    return 0;
  }
  return 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_undefined || t == napi_null;
}

static size_t typed_array_elem_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

/* Reads a typed array (any kind; a Node Buffer is a Uint8Array) without
 * copying: data points at its first byte. null/undefined gives data NULL,
 * len 0 and *present 0 when allow_null. */
static int get_buf(napi_env env, napi_value v, int allow_null, void **data, size_t *len, int *present) {
  bool is_ta = false;
  if (present) *present = 0;
  *data = NULL;
  *len = 0;
  if (allow_null && is_nullish(env, v)) return 1;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected a typed array");
    return 0;
  }
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: cannot read the typed array");
    return 0;
  }
  *len = length * typed_array_elem_size(type);
  if (present) *present = 1;
  return 1;
}

/* A message body: the typed array at argv[i] (get_buf), of which the first
 * argv[n] bytes when that is given (a body longer than the longest
 * Uint8Array of Node 20 comes as a wider-element view that may run a few
 * bytes past it). */
static int get_body(napi_env env, size_t argc, napi_value *argv, size_t i, size_t n, void **data, size_t *len) {
  if (!get_buf(env, argv[i], 0, data, len, NULL)) return 0;
  if (argc <= n || is_nullish(env, argv[n])) return 1;
  double bytes;
  if (napi_get_value_double(env, argv[n], &bytes) != napi_ok || !(bytes >= 0) || bytes > (double)*len) {
    napi_throw_range_error(env, NULL, "mpi4ts_native: the byte count must be a number within the typed array");
    return 0;
  }
  *len = (size_t)bytes;
  return 1;
}

/* Reads an Int32Array of exactly n entries (counts or displacements). */
static int get_ints(napi_env env, napi_value v, int n, int **out) {
  void *data;
  size_t len;
  int present;
  *out = NULL;
  if (!get_buf(env, v, 0, &data, &len, &present)) return 0;
  if (len != (size_t)n * sizeof(int)) {
    napi_throw_range_error(env, NULL, "mpi4ts_native: counts/displacements must be an Int32Array of comm size");
    return 0;
  }
  *out = (int *)data;
  return 1;
}

static napi_value make_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

static napi_value make_bool(napi_env env, int v) {
  napi_value r;
  napi_get_boolean(env, v != 0, &r);
  return r;
}

static napi_value make_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

static int map_source_in(int s) {
  if (s == JS_ANY_SOURCE) return MPI_ANY_SOURCE;
  if (s == JS_PROC_NULL) return MPI_PROC_NULL;
  return s;
}
static int map_tag_in(int t) { return t == JS_ANY_TAG ? MPI_ANY_TAG : t; }
static int map_source_out(int s) {
  if (s == MPI_PROC_NULL) return JS_PROC_NULL;
  if (s == MPI_ANY_SOURCE) return JS_ANY_SOURCE;
  return s;
}
static int map_tag_out(int t) { return t == MPI_ANY_TAG ? JS_ANY_TAG : t; }

static void write_count(MPI_Count count) {
  g_status[ST_COUNT] = (int32_t)(count % COUNT_SPLIT);
  g_status[ST_COUNT_HIGH] = (int32_t)(count / COUNT_SPLIT);
}

/* The bytes a status describes. MPI_Get_elements_x, since MPI_Get_count says
 * MPI_UNDEFINED above 2^31-1 and for a partly filled large datatype (every
 * datatype here is made of MPI_BYTE, so elements are bytes). */
static MPI_Count status_bytes(const MPI_Status *st) {
  MPI_Count count = 0;
  if (MPI_Get_elements_x(st, MPI_BYTE, &count) != MPI_SUCCESS || count == MPI_UNDEFINED || count < 0) count = 0;
  return count;
}

static void write_status(const MPI_Status *st, int error) {
  g_status[ST_SOURCE] = map_source_out(st->MPI_SOURCE);
  g_status[ST_TAG] = map_tag_out(st->MPI_TAG);
  write_count(status_bytes(st));
  g_status[ST_ERROR] = error;
}

/*
 * Point-to-point messages over 2^31-1 bytes (MPI counts are ints): MPI-4's
 * large-count calls (MPI_Isend_c, ...) where the library has them (MPICH 4;
 * detected at build time through MPI_VERSION >= 4), else one derived
 * datatype for the whole buffer: a contiguous type of 2^30-byte blocks, plus the remaining
 * bytes, joined with MPI_Type_create_struct, and a count of 1. Its type
 * signature is the same sequence of MPI_BYTEs as a plain count would give, so
 * it matches any receive of bytes on the other side. Small buffers stay plain
 * MPI_BYTE counts.
 */
#if MPI_VERSION >= 4
#define HAVE_LARGE_COUNT 1
#else
#define HAVE_LARGE_COUNT 0
#define LARGE_BLOCK ((size_t)1 << 30)

typedef struct {
  int count;
  MPI_Datatype type;
  int owned; /* a derived type: free it once the operation has started */
} byte_span;

static int span_of(size_t len, byte_span *out) {
  out->owned = 0;
  if (len <= (size_t)INT_MAX) {
    out->count = (int)len;
    out->type = MPI_BYTE;
    return MPI_SUCCESS;
  }
  MPI_Datatype block, blocks;
  int rc = MPI_Type_contiguous((int)LARGE_BLOCK, MPI_BYTE, &block);
  if (rc != MPI_SUCCESS) return rc;
  rc = MPI_Type_contiguous((int)(len / LARGE_BLOCK), block, &blocks);
  MPI_Type_free(&block);
  if (rc != MPI_SUCCESS) return rc;
  int lengths[2] = {1, (int)(len % LARGE_BLOCK)};
  MPI_Aint displs[2] = {0, (MPI_Aint)(len - len % LARGE_BLOCK)};
  MPI_Datatype types[2] = {blocks, MPI_BYTE};
  rc = MPI_Type_create_struct(lengths[1] > 0 ? 2 : 1, lengths, displs, types, &out->type);
  MPI_Type_free(&blocks);
  if (rc != MPI_SUCCESS) return rc;
  rc = MPI_Type_commit(&out->type);
  if (rc != MPI_SUCCESS) { MPI_Type_free(&out->type); return rc; }
  out->count = 1;
  out->owned = 1;
  return MPI_SUCCESS;
}

/* MPI keeps a datatype alive for the operations that use it (MPI-4.1 §5.1.9). */
static void span_done(byte_span *span) {
  if (span->owned) MPI_Type_free(&span->type);
}
#endif

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* ------------------------------------------------------------------------ */
/* Communicators: handles are indices into this table (0 WORLD, 1 SELF).    */

static MPI_Comm *g_comms = NULL;
static int g_ncomms = 0, g_capcomms = 0;

static int comm_add(MPI_Comm c) {
  for (int i = 2; i < g_ncomms; i++)
    if (g_comms[i] == MPI_COMM_NULL) { g_comms[i] = c; return i; }
  if (g_ncomms == g_capcomms) {
    int cap = g_capcomms ? g_capcomms * 2 : 16;
    MPI_Comm *n = realloc(g_comms, cap * sizeof(MPI_Comm));
    if (!n) return -1;
    g_comms = n;
    g_capcomms = cap;
  }
  g_comms[g_ncomms] = c;
  return g_ncomms++;
}

static int get_comm(napi_env env, napi_value v, MPI_Comm *out) {
  int32_t h;
  if (!get_i32(env, v, &h)) return 0;
  if (h < 0 || h >= g_ncomms || g_comms[h] == MPI_COMM_NULL) {
    napi_throw_error(env, "MPI_ERR_COMM", "mpi4ts_native: invalid or freed communicator handle");
    return 0;
  }
  *out = g_comms[h];
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Requests: slots holding the MPI_Request, the JS buffers it uses, and the  */
/* counts arrays a v-collective needs until completion.                      */

enum { SLOT_FREE = 0, SLOT_PENDING = 1, SLOT_DONE = 2 };

typedef struct {
  MPI_Request req;
  int state;
  int error;          /* MPI error code once done */
  MPI_Status status;  /* once done */
  napi_ref refs[2];   /* JS objects kept alive while pending */
  int *ints;          /* owned copies of counts/displs (v-collectives) */
  int next_free;
} slot_t;

static slot_t *g_slots = NULL;
static int g_nslots = 0, g_free_slot = -1;

static int slot_alloc(void) {
  if (g_free_slot < 0) {
    int old = g_nslots, cap = g_nslots ? g_nslots * 2 : 64;
    slot_t *n = realloc(g_slots, cap * sizeof(slot_t));
    if (!n) return -1;
    g_slots = n;
    for (int i = old; i < cap; i++) {
      memset(&g_slots[i], 0, sizeof(slot_t));
      g_slots[i].next_free = i + 1 < cap ? i + 1 : -1;
    }
    g_free_slot = old;
    g_nslots = cap;
  }
  int id = g_free_slot;
  g_free_slot = g_slots[id].next_free;
  slot_t *s = &g_slots[id];
  s->state = SLOT_PENDING;
  s->req = MPI_REQUEST_NULL;
  s->error = 0;
  memset(&s->status, 0, sizeof s->status);
  s->refs[0] = s->refs[1] = NULL;
  s->ints = NULL;
  return id;
}

static void slot_release(napi_env env, int id) {
  slot_t *s = &g_slots[id];
  for (int i = 0; i < 2; i++)
    if (s->refs[i]) { napi_delete_reference(env, s->refs[i]); s->refs[i] = NULL; }
  free(s->ints);
  s->ints = NULL;
  s->state = SLOT_FREE;
  s->next_free = g_free_slot;
  g_free_slot = id;
}

static int slot_keep(napi_env env, int id, int which, napi_value v) {
  if (v == NULL || is_nullish(env, v)) return 1;
  return napi_create_reference(env, v, 1, &g_slots[id].refs[which]) == napi_ok;
}

/* After starting an operation: tests it once. Complete or failed at once:
 * writes the status and returns RC_DONE / RC_ERROR, the slot freed.
 * Pending: keeps the JS objects a and b alive and returns the slot id. */
static napi_value started(napi_env env, int rc, MPI_Request *req, int id, napi_value a, napi_value b) {
  slot_t *s = &g_slots[id];
  if (rc != MPI_SUCCESS) {
    g_status[ST_ERROR] = rc;
    slot_release(env, id);
    return make_i32(env, RC_ERROR);
  }
  int flag = 0;
  MPI_Status st;
  memset(&st, 0, sizeof st); /* an error may leave it unwritten; write_status reads it */
  rc = MPI_Test(req, &flag, &st);
  if (rc != MPI_SUCCESS || flag) {
    write_status(&st, rc);
    slot_release(env, id);
    return make_i32(env, rc == MPI_SUCCESS ? RC_DONE : RC_ERROR);
  }
  s->req = *req;
  if (!slot_keep(env, id, 0, a) || !slot_keep(env, id, 1, b)) {
    throw_napi_failure(env, napi_generic_failure, "napi_create_reference");
    return NULL;
  }
  return make_i32(env, id);
}

static int get_slot(napi_env env, napi_value v, int *id) {
  int32_t i;
  if (!get_i32(env, v, &i)) return 0;
  if (i < 0 || i >= g_nslots || g_slots[i].state == SLOT_FREE) {
    napi_throw_error(env, "MPI_ERR_REQUEST", "mpi4ts_native: invalid request id");
    return 0;
  }
  *id = i;
  return 1;
}

/* Tests one slot; on completion writes the status, frees the slot, returns 1. */
static int slot_test(napi_env env, int id) {
  slot_t *s = &g_slots[id];
  if (s->state == SLOT_PENDING) {
    int flag = 0;
    int rc = MPI_Test(&s->req, &flag, &s->status);
    if (rc == MPI_SUCCESS && !flag) return 0;
    s->error = rc;
    s->state = SLOT_DONE;
  }
  write_status(&s->status, s->error);
  slot_release(env, id);
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Datatypes and ops: tables indexed by the numbers the JS side uses.        */

typedef struct { const char *name; MPI_Datatype type; } dt_entry;
/* Names are the JS Datatype names (src/datatype/datatype.ts). */
static dt_entry g_dts[] = {
  {"MPI_BYTE", MPI_BYTE}, {"MPI_PACKED", MPI_PACKED}, {"MPI_CHAR", MPI_CHAR},
  {"MPI_SIGNED_CHAR", MPI_SIGNED_CHAR}, {"MPI_UNSIGNED_CHAR", MPI_UNSIGNED_CHAR},
  {"MPI_SHORT", MPI_SHORT}, {"MPI_UNSIGNED_SHORT", MPI_UNSIGNED_SHORT}, {"MPI_INT", MPI_INT},
  {"MPI_UNSIGNED", MPI_UNSIGNED}, {"MPI_LONG", MPI_LONG}, {"MPI_UNSIGNED_LONG", MPI_UNSIGNED_LONG},
  {"MPI_LONG_LONG", MPI_LONG_LONG}, {"MPI_UNSIGNED_LONG_LONG", MPI_UNSIGNED_LONG_LONG},
  {"MPI_FLOAT", MPI_FLOAT}, {"MPI_DOUBLE", MPI_DOUBLE}, {"MPI_INT8_T", MPI_INT8_T},
  {"MPI_INT16_T", MPI_INT16_T}, {"MPI_INT32_T", MPI_INT32_T}, {"MPI_INT64_T", MPI_INT64_T},
  {"MPI_UINT8_T", MPI_UINT8_T}, {"MPI_UINT16_T", MPI_UINT16_T}, {"MPI_UINT32_T", MPI_UINT32_T},
  {"MPI_UINT64_T", MPI_UINT64_T}, {"MPI_C_BOOL", MPI_C_BOOL}, {"MPI_FLOAT_INT", MPI_FLOAT_INT},
  {"MPI_DOUBLE_INT", MPI_DOUBLE_INT}, {"MPI_LONG_INT", MPI_LONG_INT}, {"MPI_2INT", MPI_2INT},
  {"MPI_SHORT_INT", MPI_SHORT_INT}, {"MPI_WCHAR", MPI_WCHAR}, {"MPI_LONG_DOUBLE", MPI_LONG_DOUBLE},
  {"MPI_AINT", MPI_AINT}, {"MPI_OFFSET", MPI_OFFSET}, {"MPI_COUNT", MPI_COUNT}, {"MPI_CXX_BOOL", MPI_CXX_BOOL},
  {"MPI_C_COMPLEX", MPI_C_COMPLEX}, {"MPI_C_DOUBLE_COMPLEX", MPI_C_DOUBLE_COMPLEX},
  {"MPI_CXX_FLOAT_COMPLEX", MPI_CXX_FLOAT_COMPLEX}, {"MPI_CXX_DOUBLE_COMPLEX", MPI_CXX_DOUBLE_COMPLEX},
  /* Fortran types: MPI_DATATYPE_NULL in a library built without Fortran (then their extent reads -1). */
  {"MPI_CHARACTER", MPI_CHARACTER}, {"MPI_LOGICAL", MPI_LOGICAL}, {"MPI_INTEGER", MPI_INTEGER},
  {"MPI_REAL", MPI_REAL}, {"MPI_DOUBLE_PRECISION", MPI_DOUBLE_PRECISION}, {"MPI_COMPLEX", MPI_COMPLEX},
  {"MPI_DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX}, {"MPI_LOGICAL1", MPI_LOGICAL1}, {"MPI_LOGICAL2", MPI_LOGICAL2},
  {"MPI_LOGICAL4", MPI_LOGICAL4}, {"MPI_LOGICAL8", MPI_LOGICAL8}, {"MPI_INTEGER1", MPI_INTEGER1},
  {"MPI_INTEGER2", MPI_INTEGER2}, {"MPI_INTEGER4", MPI_INTEGER4}, {"MPI_INTEGER8", MPI_INTEGER8},
  {"MPI_REAL4", MPI_REAL4}, {"MPI_REAL8", MPI_REAL8}, {"MPI_COMPLEX8", MPI_COMPLEX8}, {"MPI_COMPLEX16", MPI_COMPLEX16},
};
#define N_DTS ((int)(sizeof g_dts / sizeof g_dts[0]))

typedef struct { const char *name; MPI_Op op; } op_entry;
static op_entry g_ops[] = {
  {"MPI_SUM", MPI_SUM}, {"MPI_PROD", MPI_PROD}, {"MPI_MAX", MPI_MAX}, {"MPI_MIN", MPI_MIN},
  {"MPI_LAND", MPI_LAND}, {"MPI_LOR", MPI_LOR}, {"MPI_LXOR", MPI_LXOR}, {"MPI_BAND", MPI_BAND},
  {"MPI_BOR", MPI_BOR}, {"MPI_BXOR", MPI_BXOR}, {"MPI_MAXLOC", MPI_MAXLOC}, {"MPI_MINLOC", MPI_MINLOC},
  {"MPI_REPLACE", MPI_REPLACE}, {"MPI_NO_OP", MPI_NO_OP},
};
#define N_OPS ((int)(sizeof g_ops / sizeof g_ops[0]))

/*
 * User-defined ops (MPI_Op_create). The C callback of MPI_Op_create has no
 * user-data argument, so each user op gets its own trampoline function out of
 * a fixed pool; trampoline i calls the JS function stored in g_user_ops[i].
 *
 * The callback runs synchronously inside whichever MPI call makes progress on
 * the reduction; all such calls are made by the JS main thread from inside a
 * Node-API callback, so calling into JS there is allowed. invec and inoutvec
 * are lent to JS as external ArrayBuffers and detached when the call returns,
 * so a JS function that keeps them sees empty buffers instead of freed memory.
 * A JS exception cannot unwind through MPI: it is stored, and the JS side
 * picks it up with opTakeError once the reduction completes.
 */
#define MAX_USER_OPS 64
typedef struct {
  int in_use;
  MPI_Op op;
  napi_ref fn;
  napi_ref error; /* first exception thrown by fn, until taken */
} user_op_t;
static user_op_t g_user_ops[MAX_USER_OPS];

/* datatype.c's table of derived datatypes (defined there): index N_DTS + i is
 * its handle i, as reductions with a user op on a derived type pass it. */
static MPI_Datatype *g_utypes;
static int g_nutypes;

static int dt_index(MPI_Datatype t) {
  for (int i = 0; i < N_DTS; i++)
    if (g_dts[i].type == t) return i;
  for (int i = 0; i < g_nutypes; i++)
    if (g_utypes[i] == t && t != MPI_DATATYPE_NULL) return N_DTS + i;
  return -1;
}

static void user_op_call(int i, void *in, void *inout, int *len, MPI_Datatype *dt) {
  napi_env env = g_env;
  user_op_t *u = &g_user_ops[i];
  if (!u->in_use || u->error) return; /* after a failure, the result is discarded anyway */
  MPI_Aint lb = 0, extent = 0;
  MPI_Type_get_extent(*dt, &lb, &extent);
  size_t bytes = (size_t)(*len) * (size_t)extent;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, global, args[4], result;
  napi_get_reference_value(env, u->fn, &fn);
  napi_get_global(env, &global);
  napi_create_external_arraybuffer(env, in, bytes, NULL, NULL, &args[0]);
  napi_create_external_arraybuffer(env, inout, bytes, NULL, NULL, &args[1]);
  napi_create_int32(env, *len, &args[2]);
  napi_create_int32(env, dt_index(*dt), &args[3]);
  g_in_user_op++;
  napi_status st = napi_call_function(env, global, fn, 4, args, &result);
  g_in_user_op--;
  if (st != napi_ok) {
    napi_value exc;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending && napi_get_and_clear_last_exception(env, &exc) == napi_ok) {
      napi_create_reference(env, exc, 1, &u->error);
    }
  }
  napi_detach_arraybuffer(env, args[0]);
  napi_detach_arraybuffer(env, args[1]);
  napi_close_handle_scope(env, scope);
}

#define TRAMP(i) static void tramp_##i(void *a, void *b, int *l, MPI_Datatype *d) { user_op_call(i, a, b, l, d); }
#define TRAMP8(i) TRAMP(i##0) TRAMP(i##1) TRAMP(i##2) TRAMP(i##3) TRAMP(i##4) TRAMP(i##5) TRAMP(i##6) TRAMP(i##7)
/* tramp_00 .. tramp_77 in octal-looking names: 64 functions */
TRAMP8(0) TRAMP8(1) TRAMP8(2) TRAMP8(3) TRAMP8(4) TRAMP8(5) TRAMP8(6) TRAMP8(7)
#define TRAMP_REF8(i) tramp_##i##0, tramp_##i##1, tramp_##i##2, tramp_##i##3, tramp_##i##4, tramp_##i##5, tramp_##i##6, tramp_##i##7
static MPI_User_function *g_tramps[MAX_USER_OPS] = {
  TRAMP_REF8(0), TRAMP_REF8(1), TRAMP_REF8(2), TRAMP_REF8(3),
  TRAMP_REF8(4), TRAMP_REF8(5), TRAMP_REF8(6), TRAMP_REF8(7),
};

static int get_dt(napi_env env, napi_value v, MPI_Datatype *out, MPI_Aint *extent) {
  int32_t i;
  if (!get_i32(env, v, &i)) return 0;
  int derived = i >= N_DTS && i - N_DTS < g_nutypes && g_utypes[i - N_DTS] != MPI_DATATYPE_NULL;
  if (!derived && (i < 0 || i >= N_DTS)) {
    napi_throw_error(env, "MPI_ERR_TYPE", "mpi4ts_native: invalid datatype index");
    return 0;
  }
  MPI_Aint lb;
  *out = derived ? g_utypes[i - N_DTS] : g_dts[i].type;
  MPI_Type_get_extent(*out, &lb, extent);
  return 1;
}

/* Ops: 0 .. N_OPS-1 predefined, N_OPS + i the user op in slot i. */
static int get_op(napi_env env, napi_value v, MPI_Op *out) {
  int32_t i;
  if (!get_i32(env, v, &i)) return 0;
  if (i >= 0 && i < N_OPS) { *out = g_ops[i].op; return 1; }
  i -= N_OPS;
  if (i >= 0 && i < MAX_USER_OPS && g_user_ops[i].in_use) { *out = g_user_ops[i].op; return 1; }
  napi_throw_error(env, "MPI_ERR_OP", "mpi4ts_native: invalid op index");
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Point-to-point                                                            */

/* isend(comm, buf, dest, tag, sync, bytes?) -> id | DONE | ERROR */
static napi_value js_isend(napi_env env, napi_callback_info info) {
  ARGS(6);
  MPI_Comm comm;
  void *data;
  size_t len;
  int32_t dest, tag, sync;
  if (!get_comm(env, argv[0], &comm) || !get_body(env, argc, argv, 1, 5, &data, &len) ||
      !get_i32(env, argv[2], &dest) || !get_i32(env, argv[3], &tag) || !get_i32(env, argv[4], &sync))
    return NULL;
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  MPI_Request req;
  dest = map_source_in(dest);
  int rc;
#if HAVE_LARGE_COUNT
  rc = sync ? MPI_Issend_c(data, (MPI_Count)len, MPI_BYTE, dest, tag, comm, &req)
            : MPI_Isend_c(data, (MPI_Count)len, MPI_BYTE, dest, tag, comm, &req);
#else
  byte_span span;
  rc = span_of(len, &span);
  if (rc == MPI_SUCCESS) {
    rc = sync ? MPI_Issend(data, span.count, span.type, dest, tag, comm, &req)
              : MPI_Isend(data, span.count, span.type, dest, tag, comm, &req);
    span_done(&span);
  }
#endif
  return started(env, rc, &req, id, argv[1], NULL);
}

/* irecv(comm, buf, source, tag, bytes?) -> id | DONE | ERROR */
static napi_value js_irecv(napi_env env, napi_callback_info info) {
  ARGS(5);
  MPI_Comm comm;
  void *data;
  size_t len;
  int32_t source, tag;
  if (!get_comm(env, argv[0], &comm) || !get_body(env, argc, argv, 1, 4, &data, &len) ||
      !get_i32(env, argv[2], &source) || !get_i32(env, argv[3], &tag))
    return NULL;
  if (source == JS_PROC_NULL) {
    /* MPI-4.1 §3.11: completes at once with source MPI_PROC_NULL, tag
     * MPI_ANY_TAG, count 0. Done here because MPICH's request status for it
     * says source 0, tag 0. */
    g_status[ST_SOURCE] = JS_PROC_NULL;
    g_status[ST_TAG] = JS_ANY_TAG;
    write_count(0);
    g_status[ST_ERROR] = 0;
    return make_i32(env, RC_DONE);
  }
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  MPI_Request req;
  int rc;
#if HAVE_LARGE_COUNT
  rc = MPI_Irecv_c(data, (MPI_Count)len, MPI_BYTE, map_source_in(source), map_tag_in(tag), comm, &req);
#else
  byte_span span;
  rc = span_of(len, &span);
  if (rc == MPI_SUCCESS) {
    rc = MPI_Irecv(data, span.count, span.type, map_source_in(source), map_tag_in(tag), comm, &req);
    span_done(&span);
  }
#endif
  return started(env, rc, &req, id, argv[1], NULL);
}

/*
 * imrecv(comm, source, tag, usec) -> Uint8Array | Float64Array | undefined
 * A receive of a message of unknown size (object messages): MPI_Improbe
 * (repeated for up to usec microseconds) matches the message and tells its
 * size, a fresh buffer of that size is allocated, MPI_Imrecv receives into
 * it. undefined: nothing matched yet. A message of 2^32 bytes or more comes
 * in a Float64Array over an ArrayBuffer rounded up to whole elements (Node 20
 * makes no longer Buffer); its length is the status's count.
 * Otherwise statusBuffer[ST_ID] is RC_DONE (the data is complete and the
 * status written), or a request id to test, or RC_ERROR.
 */
static napi_value js_imrecv(napi_env env, napi_callback_info info) {
  ARGS(4);
  MPI_Comm comm;
  int32_t source, tag;
  double usec = 0;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[1], &source) || !get_i32(env, argv[2], &tag))
    return NULL;
  if (argc > 3 && !is_nullish(env, argv[3])) CHECK(env, napi_get_value_double(env, argv[3], &usec));
  if (source == JS_PROC_NULL) { /* MPI-4.1 §3.11, as in js_irecv */
    g_status[ST_SOURCE] = JS_PROC_NULL;
    g_status[ST_TAG] = JS_ANY_TAG;
    write_count(0);
    g_status[ST_ERROR] = 0;
    g_status[ST_ID] = RC_DONE;
    napi_value ab, u8;
    void *unused;
    CHECK(env, napi_create_arraybuffer(env, 0, &unused, &ab));
    CHECK(env, napi_create_typedarray(env, napi_uint8_array, 0, ab, 0, &u8));
    return u8;
  }
  int flag = 0;
  MPI_Message msg;
  MPI_Status st;
  int rc = MPI_Improbe(map_source_in(source), map_tag_in(tag), comm, &flag, &msg, &st);
  if (rc == MPI_SUCCESS && !flag && usec > 0) {
    double deadline = now_us() + usec;
    for (unsigned n = 1; rc == MPI_SUCCESS && !flag; n++) {
      if ((n & 7) == 0 && now_us() >= deadline) break;
      rc = MPI_Improbe(map_source_in(source), map_tag_in(tag), comm, &flag, &msg, &st);
    }
  }
  if (rc != MPI_SUCCESS) {
    g_status[ST_ERROR] = rc;
    g_status[ST_ID] = RC_ERROR;
    napi_value empty;
    void *unused;
    CHECK(env, napi_create_arraybuffer(env, 0, &unused, &empty));
    napi_value u8;
    CHECK(env, napi_create_typedarray(env, napi_uint8_array, 0, empty, 0, &u8));
    return u8;
  }
  if (!flag) return make_undefined(env);
  write_status(&st, 0); /* the envelope, in case the receive stays pending */
  size_t count = (size_t)status_bytes(&st);
  /* A Node Buffer (a Uint8Array): its memory is not zero-filled first, which
   * an ArrayBuffer's is; MPI overwrites all of it anyway. */
  void *data = NULL;
  napi_value u8;
  if (count < ((size_t)1 << 32)) {
    CHECK(env, napi_create_buffer(env, count, &data, &u8));
  } else {
    napi_value ab;
    size_t words = (count + 7) / 8;
    CHECK(env, napi_create_arraybuffer(env, words * 8, &data, &ab));
    CHECK(env, napi_create_typedarray(env, napi_float64_array, words, ab, 0, &u8));
  }
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  MPI_Request req;
#if HAVE_LARGE_COUNT
  rc = MPI_Imrecv_c(data, (MPI_Count)count, MPI_BYTE, &msg, &req);
#else
  byte_span span;
  rc = span_of(count, &span);
  if (rc == MPI_SUCCESS) {
    rc = MPI_Imrecv(data, span.count, span.type, &msg, &req);
    span_done(&span);
  }
#endif
  napi_value r = started(env, rc, &req, id, u8, NULL);
  if (!r) return NULL;
  int32_t code;
  napi_get_value_int32(env, r, &code);
  g_status[ST_ID] = code;
  return u8;
}

/* test(id) -> boolean; once true, status written and the id is gone. */
static napi_value js_test(napi_env env, napi_callback_info info) {
  ARGS(1);
  int id;
  if (!get_slot(env, argv[0], &id)) return NULL;
  return make_bool(env, slot_test(env, id));
}

/* testSpin(id, usec) -> boolean: tests for up to usec microseconds. */
static napi_value js_test_spin(napi_env env, napi_callback_info info) {
  ARGS(2);
  int id;
  double usec;
  if (!get_slot(env, argv[0], &id)) return NULL;
  CHECK(env, napi_get_value_double(env, argv[1], &usec));
  if (slot_test(env, id)) return make_bool(env, 1);
  double deadline = now_us() + usec;
  for (unsigned n = 1;; n++) {
    if (slot_test(env, id)) return make_bool(env, 1);
    /* Reading the clock costs about as much as an idle MPI_Test: check it every 8th turn. */
    if ((n & 7) == 0 && now_us() >= deadline) return make_bool(env, 0);
  }
}

/*
 * testsome(ids: Int32Array, n, usec, yield) -> number of completed requests.
 * Tests the n requests in ids with MPI_Testsome (one progress pass for all of
 * them, not n), repeated for up to usec microseconds until one completes.
 * The completed ones are moved to the front of ids and their slots marked
 * done (test(id) then writes the status and frees each one).
 *
 * Why repeat in C: Open MPI runs its low-priority progress callbacks, among
 * them libnbc which drives the nonblocking collectives, only on every 8th
 * opal_progress() call; one call per event-loop turn leaves a collective
 * waiting some 8 turns per step. Repeating also keeps a long pipelined
 * transfer moving without a JS round trip per fragment.
 *
 * yield != 0: sched_yield() between idle passes, so that a rank polling on
 * an oversubscribed node lets the others run.
 */
static MPI_Request *g_ts_reqs = NULL;
static int *g_ts_idx = NULL;
static MPI_Status *g_ts_st = NULL;
static int g_ts_cap = 0;

static napi_value js_testsome(napi_env env, napi_callback_info info) {
  ARGS(4);
  void *data;
  size_t len;
  int32_t n, yield;
  double usec;
  if (!get_buf(env, argv[0], 0, &data, &len, NULL) || !get_i32(env, argv[1], &n)) return NULL;
  CHECK(env, napi_get_value_double(env, argv[2], &usec));
  if (!get_i32(env, argv[3], &yield)) return NULL;
  int32_t *ids = data;
  if (n < 0 || (size_t)n * 4 > len) { napi_throw_range_error(env, NULL, "mpi4ts_native: bad testsome count"); return NULL; }
  if (n == 0) return make_i32(env, 0);
  if (n > g_ts_cap) {
    int cap = n * 2;
    MPI_Request *r = realloc(g_ts_reqs, cap * sizeof *r);
    if (r) g_ts_reqs = r;
    int *x = realloc(g_ts_idx, cap * sizeof *x);
    if (x) g_ts_idx = x;
    MPI_Status *st = realloc(g_ts_st, cap * sizeof *st);
    if (st) g_ts_st = st;
    if (!r || !x || !st) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
    g_ts_cap = cap;
  }
  int already = 0;
  for (int i = 0; i < n; i++) {
    int id = ids[i];
    if (id < 0 || id >= g_nslots || g_slots[id].state == SLOT_FREE) {
      napi_throw_error(env, "MPI_ERR_REQUEST", "mpi4ts_native: invalid request id");
      return NULL;
    }
    g_ts_reqs[i] = g_slots[id].state == SLOT_PENDING ? g_slots[id].req : MPI_REQUEST_NULL;
    if (g_slots[id].state == SLOT_DONE) already = 1;
  }
  double deadline = usec > 0 ? now_us() + usec : 0;
  for (unsigned pass = 0;; pass++) {
    int outcount = 0;
    int rc = MPI_Testsome(n, g_ts_reqs, &outcount, g_ts_idx, g_ts_st);
    if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS) {
      throw_mpi(env, rc, "MPI_Testsome");
      return NULL;
    }
    if (outcount == MPI_UNDEFINED) outcount = 0;
    for (int k = 0; k < outcount; k++) {
      slot_t *s = &g_slots[ids[g_ts_idx[k]]];
      s->state = SLOT_DONE;
      s->status = g_ts_st[k];
      s->error = rc == MPI_ERR_IN_STATUS ? g_ts_st[k].MPI_ERROR : MPI_SUCCESS;
    }
    if (outcount > 0 || already) break;
    if (yield) sched_yield();
    if (usec <= 0 || ((pass & 7) == 7 && now_us() >= deadline)) break;
  }
  /* Stable partition: done slots (including ones done before) to the front. */
  int done = 0, nd = 0;
  int *rest = g_ts_idx; /* reused as scratch for the ids not done */
  for (int i = 0; i < n; i++) {
    if (g_slots[ids[i]].state == SLOT_DONE) ids[done++] = ids[i];
    else rest[nd++] = ids[i];
  }
  for (int i = 0; i < nd; i++) ids[done + i] = rest[i];
  return make_i32(env, done);
}

/* iprobe(comm, source, tag) -> boolean; status written when true. */
static napi_value js_iprobe(napi_env env, napi_callback_info info) {
  ARGS(4);
  MPI_Comm comm;
  int32_t source, tag;
  double usec = 0;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[1], &source) || !get_i32(env, argv[2], &tag)) return NULL;
  if (argc > 3 && !is_nullish(env, argv[3])) CHECK(env, napi_get_value_double(env, argv[3], &usec));
  source = map_source_in(source);
  tag = map_tag_in(tag);
  double deadline = usec > 0 ? now_us() + usec : 0;
  for (unsigned n = 0;; n++) {
    int flag = 0;
    MPI_Status st;
    int rc = MPI_Iprobe(source, tag, comm, &flag, &st);
    if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Iprobe"); return NULL; }
    if (flag) { write_status(&st, 0); return make_bool(env, 1); }
    if (usec <= 0 || ((n & 7) == 7 && now_us() >= deadline)) return make_bool(env, 0);
  }
}

/* ------------------------------------------------------------------------ */
/* Communicators                                                             */

static napi_value js_comm_rank_size(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  napi_value arr;
  CHECK(env, napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, make_i32(env, rank));
  napi_set_element(env, arr, 1, make_i32(env, size));
  return arr;
}

/* Registers a new communicator (errors returned, not fatal) and returns its handle. */
static napi_value new_comm_handle(napi_env env, MPI_Comm out) {
  MPI_Comm_set_errhandler(out, MPI_ERRORS_RETURN);
  int h = comm_add(out);
  if (h < 0) { MPI_Comm_free(&out); napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  return make_i32(env, h);
}

/* commSplit(comm, color, key) -> handle, or -1 for MPI_UNDEFINED. Blocking
 * (there is no MPI_Comm_isplit); the JS side runs an Ibarrier first so that
 * the event loop is free while other ranks are late. */
static napi_value js_comm_split(napi_env env, napi_callback_info info) {
  ARGS(3);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int32_t color, key;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[1], &color) || !get_i32(env, argv[2], &key)) return NULL;
  int rc = MPI_Comm_split(comm, color == JS_UNDEFINED ? MPI_UNDEFINED : color, key, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_split"); return NULL; }
  if (out == MPI_COMM_NULL) return make_i32(env, -1);
  return new_comm_handle(env, out);
}

/* commSplitShared(comm, key) -> handle: MPI_Comm_split_type with
 * MPI_COMM_TYPE_SHARED (MPI-4.1 §7.4.2), the ranks that can share memory as
 * the library sees them (not by host name, which containers may share).
 * Blocking, like commSplit. */
static napi_value js_comm_split_shared(napi_env env, napi_callback_info info) {
  ARGS(2);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int32_t key;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[1], &key)) return NULL;
  int rc = MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, key, MPI_INFO_NULL, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_split_type"); return NULL; }
  if (out == MPI_COMM_NULL) return make_i32(env, -1);
  return new_comm_handle(env, out);
}

/* commDup(comm) -> handle (blocking MPI_Comm_dup: the JS side calls it right
 * after the communicator was made, when all ranks are there anyway). */
static napi_value js_comm_dup(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm, out = MPI_COMM_NULL;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  int rc = MPI_Comm_dup(comm, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_dup"); return NULL; }
  return new_comm_handle(env, out);
}

/* commCreateGroup(comm, members: Int32Array, tag) -> handle: MPI_Comm_create_group
 * over the ranks of comm listed in members (MPI-4.1 §7.4.2); only they call it. */
static napi_value js_comm_create_group(napi_env env, napi_callback_info info) {
  ARGS(3);
  MPI_Comm comm, out = MPI_COMM_NULL;
  void *data;
  size_t len;
  int32_t tag;
  if (!get_comm(env, argv[0], &comm) || !get_buf(env, argv[1], 0, &data, &len, NULL) || !get_i32(env, argv[2], &tag))
    return NULL;
  MPI_Group g, sub;
  MPI_Comm_group(comm, &g);
  int rc = MPI_Group_incl(g, (int)(len / sizeof(int)), (const int *)data, &sub);
  MPI_Group_free(&g);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Group_incl"); return NULL; }
  rc = MPI_Comm_create_group(comm, sub, tag, &out);
  MPI_Group_free(&sub);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_create_group"); return NULL; }
  return new_comm_handle(env, out);
}

/* intercommCreate(local, localLeader, peer, remoteLeader, tag) -> handle (MPI-4.1 §7.6.2) */
static napi_value js_intercomm_create(napi_env env, napi_callback_info info) {
  ARGS(5);
  MPI_Comm local, peer, out = MPI_COMM_NULL;
  int32_t local_leader, remote_leader, tag;
  if (!get_comm(env, argv[0], &local) || !get_i32(env, argv[1], &local_leader) || !get_i32(env, argv[3], &remote_leader) ||
      !get_i32(env, argv[4], &tag))
    return NULL;
  /* The peer communicator matters at the local leader only; elsewhere it may be anything. */
  if (is_nullish(env, argv[2])) peer = MPI_COMM_NULL;
  else if (!get_comm(env, argv[2], &peer)) return NULL;
  int rc = MPI_Intercomm_create(local, local_leader, peer, remote_leader, tag, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Intercomm_create"); return NULL; }
  return new_comm_handle(env, out);
}

/* intercommMerge(inter, high) -> handle of the merged intracommunicator */
static napi_value js_intercomm_merge(napi_env env, napi_callback_info info) {
  ARGS(2);
  MPI_Comm inter, out = MPI_COMM_NULL;
  int32_t high;
  if (!get_comm(env, argv[0], &inter) || !get_i32(env, argv[1], &high)) return NULL;
  int rc = MPI_Intercomm_merge(inter, high, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Intercomm_merge"); return NULL; }
  return new_comm_handle(env, out);
}

/* An Int32Array of the COMM_WORLD rank of each member of g, -1 for processes
 * outside this COMM_WORLD (spawned or parent jobs). Frees g. */
static napi_value world_ranks(napi_env env, MPI_Group g) {
  int size = 0, rc = MPI_ERR_NO_MEM;
  MPI_Group wg;
  MPI_Group_size(g, &size);
  MPI_Comm_group(MPI_COMM_WORLD, &wg);
  void *data = NULL;
  napi_value ab, arr = NULL;
  int *ranks = malloc((size_t)size * sizeof(int) + 1);
  if (ranks && napi_create_arraybuffer(env, (size_t)size * 4, &data, &ab) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, (size_t)size, ab, 0, &arr) == napi_ok) {
    for (int i = 0; i < size; i++) ranks[i] = i;
    rc = MPI_Group_translate_ranks(g, size, ranks, wg, data);
  }
  free(ranks);
  MPI_Group_free(&g);
  MPI_Group_free(&wg);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Group_translate_ranks"); return NULL; }
  int32_t *out = data;
  for (int i = 0; i < size; i++)
    if (out[i] == MPI_UNDEFINED) out[i] = -1;
  return arr;
}

/* commRemoteSize(inter) -> size of the remote group */
static napi_value js_comm_remote_size(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  int size = 0, rc = MPI_Comm_remote_size(comm, &size);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_remote_size"); return NULL; }
  return make_i32(env, size);
}

/* commRemoteWorldRanks(inter) -> Int32Array: the COMM_WORLD rank of each remote
 * rank, -1 for processes outside this COMM_WORLD (spawned or parent jobs). */
static napi_value js_comm_remote_world_ranks(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm;
  MPI_Group g;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  int rc = MPI_Comm_remote_group(comm, &g);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_remote_group"); return NULL; }
  return world_ranks(env, g);
}

/* Reads a JS string into a malloc'd C string. */
static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected a string");
    return NULL;
  }
  char *out = malloc(len + 1);
  if (!out) return NULL;
  napi_get_value_string_utf8(env, v, out, len + 1, &len);
  return out;
}

/*
 * commSpawn(comm, command, argv: string[], maxprocs, root, wdir) -> handle of
 * the intercommunicator to the children (MPI-4.1 §11.8.2 MPI_Comm_spawn).
 * Blocking and collective over comm; command and argv matter at root.
 */
static napi_value js_comm_spawn(napi_env env, napi_callback_info info) {
  ARGS(6);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int32_t maxprocs, root;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[3], &maxprocs) || !get_i32(env, argv[4], &root)) return NULL;
  uint32_t nargs = 0;
  CHECK(env, napi_get_array_length(env, argv[2], &nargs));
  char *command = get_string(env, argv[1]);
  char *wdir = get_string(env, argv[5]);
  char **cargs = calloc(nargs + 1, sizeof(char *));
  int *errcodes = calloc((size_t)(maxprocs > 0 ? maxprocs : 1), sizeof(int));
  int ok = command && wdir && cargs && errcodes;
  for (uint32_t i = 0; ok && i < nargs; i++) {
    napi_value a;
    ok = napi_get_element(env, argv[2], i, &a) == napi_ok && (cargs[i] = get_string(env, a)) != NULL;
  }
  napi_value result = NULL;
  if (ok) {
    MPI_Info info_obj;
    MPI_Info_create(&info_obj);
    MPI_Info_set(info_obj, "wdir", wdir);
    int me = 0;
    MPI_Comm_rank(comm, &me);
    /* Only the root knows maxprocs: the others ask for no error codes. */
    int rc = MPI_Comm_spawn(command, cargs, maxprocs, info_obj, root, comm, &out, me == root ? errcodes : MPI_ERRCODES_IGNORE);
    MPI_Info_free(&info_obj);
    if (rc == MPI_SUCCESS) {
      for (int i = 0; me == root && i < maxprocs; i++)
        if (errcodes[i] != MPI_SUCCESS) { rc = errcodes[i]; break; }
    }
    if (rc != MPI_SUCCESS) {
      if (out != MPI_COMM_NULL) MPI_Comm_free(&out);
      throw_mpi(env, rc, "MPI_Comm_spawn");
    } else {
      result = new_comm_handle(env, out);
    }
  } else {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
  }
  for (uint32_t i = 0; cargs && i < nargs; i++) free(cargs[i]);
  free(cargs);
  free(command);
  free(wdir);
  free(errcodes);
  return result;
}

/* commGetParent() -> handle of the intercommunicator to the parent job, or -1 */
static napi_value js_comm_get_parent(napi_env env, napi_callback_info info) {
  (void)info;
  ENTER(env);
  MPI_Comm parent = MPI_COMM_NULL;
  MPI_Comm_get_parent(&parent);
  if (parent == MPI_COMM_NULL) return make_i32(env, -1);
  for (int i = 0; i < g_ncomms; i++)
    if (g_comms[i] == parent) return make_i32(env, i);
  MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
  return make_i32(env, comm_add(parent));
}

static napi_value js_comm_free(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t h;
  if (!get_i32(env, argv[0], &h)) return NULL;
  if (h < 2 || h >= g_ncomms || g_comms[h] == MPI_COMM_NULL) {
    napi_throw_error(env, "MPI_ERR_COMM", "mpi4ts_native: cannot free this communicator");
    return NULL;
  }
  int rc = MPI_Comm_free(&g_comms[h]);
  g_comms[h] = MPI_COMM_NULL;
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_free"); return NULL; }
  return make_undefined(env);
}

/* commWorldRanks(comm) -> Int32Array: the COMM_WORLD rank of each rank, -1
 * for processes outside this COMM_WORLD. */
static napi_value js_comm_world_ranks(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm;
  MPI_Group g;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  MPI_Comm_group(comm, &g);
  return world_ranks(env, g);
}

/* ------------------------------------------------------------------------ */
/* Collectives. Each JS function is one entry of g_colls: which collective,  */
/* and whether it is the nonblocking form (an MPI request: returns an id,    */
/* DONE or ERROR like the point-to-point calls) or the blocking one (returns */
/* DONE or ERROR once MPI's blocking call has returned; the JS side calls it */
/* only once every rank has arrived, see src/transport/mpi/collectives.ts). */
/* All of them read their arguments into one coll_args (read_coll) and make  */
/* their MPI call in one switch (coll_call).                                 */

typedef enum {
  COLL_BARRIER, COLL_BCAST, COLL_GATHERV, COLL_SCATTERV, COLL_ALLGATHERV, COLL_ALLTOALLV,
  COLL_GATHER, COLL_SCATTER, COLL_ALLGATHER, COLL_ALLTOALL,
  COLL_REDUCE, COLL_ALLREDUCE, COLL_REDUCE_SCATTER, COLL_SCAN
} coll_kind;

typedef struct {
  const char *name; /* of the JS function */
  coll_kind kind;
  int blocking;
} coll_entry;

/*
 * JS arguments, after the communicator handle (buffers in bytes for data
 * movement; "send|null": null means in place, or not significant here):
 *   ibarrier()
 *   ibcast(buf, root)
 *   igatherv(send|null, recv|null, counts|null, displs|null, root)  blocks of recv, at the root
 *   iscatterv(send|null, recv|null, counts|null, displs|null, root) blocks of send, at the root
 *   [i]allgatherv(send|null, recv, counts, displs)
 *   ialltoallv(send|null, recv, sendCounts, sendDispls, recvCounts, recvDispls)
 *   igather(send|null, recv|null, block, root)   blocks of `block` bytes end to end in recv, at the root
 *   iscatter(send|null, recv|null, block, root)  ... in send, at the root
 *   [i]allgather(send|null, recv, block)
 *   ialltoall(send|null, recv, block)             in send and in recv
 *   [i]reduce(send|null, recv|null, count, datatype, op, root)
 *   [i]allreduce(send|null, recv, count, datatype, op)
 *   [i]reduceScatter(send|null, recv, counts, datatype, op)          counts in elements
 *   iscan(send|null, recv, count, datatype, op, exclusive)
 */
static coll_entry g_colls[] = {
  {"ibarrier", COLL_BARRIER, 0}, {"ibcast", COLL_BCAST, 0}, {"igatherv", COLL_GATHERV, 0},
  {"iscatterv", COLL_SCATTERV, 0}, {"iallgatherv", COLL_ALLGATHERV, 0}, {"ialltoallv", COLL_ALLTOALLV, 0},
  {"ireduce", COLL_REDUCE, 0}, {"iallreduce", COLL_ALLREDUCE, 0}, {"ireduceScatter", COLL_REDUCE_SCATTER, 0},
  {"iscan", COLL_SCAN, 0}, {"igather", COLL_GATHER, 0}, {"iscatter", COLL_SCATTER, 0},
  {"iallgather", COLL_ALLGATHER, 0}, {"ialltoall", COLL_ALLTOALL, 0},
  {"allgatherv", COLL_ALLGATHERV, 1}, {"allgather", COLL_ALLGATHER, 1}, {"reduce", COLL_REDUCE, 1}, {"allreduce", COLL_ALLREDUCE, 1},
  {"reduceScatter", COLL_REDUCE_SCATTER, 1},
};
#define N_COLLS ((int)(sizeof g_colls / sizeof g_colls[0]))

/* A collective's arguments once read. An absent buffer has its `have` 0. */
typedef struct {
  MPI_Comm comm;
  int csize, crank;
  void *sbuf, *rbuf;
  size_t slen, rlen;
  int shave, rhave;
  int *ints[4]; /* counts and displacements, csize entries each, in argument order */
  int nints;
  int32_t count, root, exclusive;
  MPI_Datatype dt;
  MPI_Aint extent;
  MPI_Op op;
} coll_args;

static int coll_fail(napi_env env, const char *code, const char *msg) {
  napi_throw_range_error(env, code, msg);
  return 0;
}

/* Reads a counts and a displacements array (bytes) into a->ints; checks that
 * the blocks lie inside the len bytes of their buffer when it is present. */
static int read_blocks(napi_env env, napi_value counts, napi_value displs, int present, size_t len, coll_args *a) {
  int k = a->nints;
  if (!get_ints(env, counts, a->csize, &a->ints[k]) || !get_ints(env, displs, a->csize, &a->ints[k + 1])) return 0;
  a->nints = k + 2;
  for (int i = 0; present && i < a->csize; i++) {
    int c = a->ints[k][i], d = a->ints[k + 1][i];
    if (c < 0 || d < 0 || (size_t)d + (size_t)c > len)
      return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: a block lies outside its buffer");
  }
  return 1;
}

/* Reads datatype and op at argv[4], argv[5] and, unless counts come instead,
 * the element count at argv[3]. */
static int read_reduction(napi_env env, napi_value *argv, int with_count, coll_args *a) {
  if ((with_count && !get_i32(env, argv[3], &a->count)) || !get_dt(env, argv[4], &a->dt, &a->extent) ||
      !get_op(env, argv[5], &a->op))
    return 0;
  if (a->count < 0) return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: negative count");
  return 1;
}

/* The block and root of a uniform gather, scatter, allgather or alltoall (buffers read): every
 * buffer that matters on this rank is there and holds its blocks (`block` bytes from or to each
 * rank); the count goes in a->count. */
static int read_uniform(napi_env env, coll_kind kind, napi_value *argv, coll_args *a) {
  if (!get_i32(env, argv[3], &a->count)) return 0;
  if (a->count < 0) return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: negative block");
  if ((kind == COLL_GATHER || kind == COLL_SCATTER) && !get_i32(env, argv[4], &a->root)) return 0;
  size_t block = (size_t)a->count, all = block * (size_t)a->csize;
  int root = a->crank == a->root;
  /* gather: send off the root (in place at it), recv at the root; scatter the other way round */
  size_t need_send = kind == COLL_ALLTOALL || (kind == COLL_SCATTER && root) ? all : block;
  size_t need_recv = kind == COLL_SCATTER || (kind == COLL_GATHER && !root) ? block : all;
  int send_needed = (kind == COLL_GATHER && !root) || (kind == COLL_SCATTER && root);
  int recv_needed = kind == COLL_ALLGATHER || kind == COLL_ALLTOALL || (kind == COLL_GATHER && root) ||
                    (kind == COLL_SCATTER && !root);
  if ((send_needed && !a->shave) || (recv_needed && !a->rhave))
    return coll_fail(env, NULL, "mpi4ts_native: a buffer this rank needs in this collective is missing");
  if ((a->shave && a->slen < need_send) || (recv_needed && a->rlen < need_recv))
    return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: a buffer is shorter than its blocks");
  return 1;
}

/* The arguments of a collective of this kind; throws and returns 0 when they are wrong. */
static int read_coll(napi_env env, coll_kind kind, napi_value *argv, coll_args *a) {
  memset(a, 0, sizeof *a);
  if (!get_comm(env, argv[0], &a->comm)) return 0;
  MPI_Comm_size(a->comm, &a->csize);
  MPI_Comm_rank(a->comm, &a->crank);
  if (kind == COLL_BARRIER) return 1;
  if (kind == COLL_BCAST) {
    /* The JS side cuts larger broadcasts into pieces (see collectives.ts). */
    if (!get_buf(env, argv[1], 0, &a->sbuf, &a->slen, &a->shave) || !get_i32(env, argv[2], &a->root)) return 0;
    return a->slen <= (size_t)INT_MAX || coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: ibcast of more than 2^31-1 bytes");
  }
  if (!get_buf(env, argv[1], 1, &a->sbuf, &a->slen, &a->shave) || !get_buf(env, argv[2], 1, &a->rbuf, &a->rlen, &a->rhave))
    return 0;
  /* The v-collectives count this rank's own block in bytes, as an int (reductions count elements). */
  if ((kind == COLL_GATHERV || kind == COLL_SCATTERV || kind == COLL_ALLGATHERV || kind == COLL_ALLTOALLV) &&
      (a->slen > (size_t)INT_MAX || (kind == COLL_SCATTERV && a->rlen > (size_t)INT_MAX)))
    return coll_fail(env, "MPI_ERR_COUNT",
                     "mpi4ts_native: blocks of more than 2^31-1 bytes are not supported in this collective; only Bcast and point-to-point take them");
  int at_root;
  size_t need, total = 0;
  if (kind == COLL_GATHER || kind == COLL_SCATTER || kind == COLL_ALLGATHER || kind == COLL_ALLTOALL)
    return read_uniform(env, kind, argv, a);
  switch (kind) {
    case COLL_GATHERV:
    case COLL_SCATTERV: {
      if (!get_i32(env, argv[5], &a->root)) return 0;
      int gather = kind == COLL_GATHERV;
      /* The root's blocked buffer (gather: recv, scatter: send) and everybody else's own one. */
      int blocked = gather ? a->rhave : a->shave, own = gather ? a->shave : a->rhave;
      if (a->crank == a->root)
        return blocked ? read_blocks(env, argv[3], argv[4], 1, gather ? a->rlen : a->slen, a)
                       : coll_fail(env, NULL, "mpi4ts_native: the root needs its blocked buffer");
      return own || coll_fail(env, NULL, "mpi4ts_native: a buffer of this rank's own block is needed off the root");
    }
    case COLL_ALLGATHERV:
      return a->rhave ? read_blocks(env, argv[3], argv[4], 1, a->rlen, a)
                      : coll_fail(env, NULL, "mpi4ts_native: allgatherv needs a receive buffer");
    case COLL_ALLTOALLV:
      if (!a->rhave) return coll_fail(env, NULL, "mpi4ts_native: alltoallv needs a receive buffer");
      return read_blocks(env, argv[3], argv[4], a->shave, a->slen, a) && read_blocks(env, argv[5], argv[6], 1, a->rlen, a);
    case COLL_REDUCE_SCATTER:
      if (!read_reduction(env, argv, 0, a) || !get_ints(env, argv[3], a->csize, &a->ints[0])) return 0;
      a->nints = 1;
      for (int i = 0; i < a->csize; i++) {
        if (a->ints[0][i] < 0) return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: negative count");
        total += (size_t)a->ints[0][i];
      }
      total *= (size_t)a->extent;
      if (!a->rhave || (a->shave ? a->slen : a->rlen) < total ||
          a->rlen < (size_t)a->ints[0][a->crank] * (size_t)a->extent)
        return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: reduce_scatter buffer too small");
      return 1;
    default: /* COLL_REDUCE, COLL_ALLREDUCE, COLL_SCAN */
      if (!read_reduction(env, argv, 1, a)) return 0;
      if (kind == COLL_REDUCE && !get_i32(env, argv[6], &a->root)) return 0;
      if (kind == COLL_SCAN && !get_i32(env, argv[6], &a->exclusive)) return 0;
      need = (size_t)a->count * (size_t)a->extent;
      at_root = kind != COLL_REDUCE || a->crank == a->root; /* where the result lands */
      /* In place (no send buffer), the data is in recv. */
      if ((a->shave && a->slen < need) || ((at_root || !a->shave) && (!a->rhave || a->rlen < need)))
        return coll_fail(env, "MPI_ERR_COUNT", "mpi4ts_native: reduction buffer too small or missing");
      return 1;
  }
}

/* Starts the collective (req non-NULL: the nonblocking form) or runs it (req
 * NULL: the blocking form, for the kinds that have an entry for it). */
static int coll_call(coll_kind kind, const coll_args *a, MPI_Request *req) {
  void *send = a->shave ? a->sbuf : MPI_IN_PLACE;
  int slen = (int)a->slen;
  int *const *v = a->ints;
  switch (kind) {
    case COLL_BARRIER:
      return MPI_Ibarrier(a->comm, req);
    case COLL_BCAST:
      return MPI_Ibcast(a->sbuf, slen, MPI_BYTE, a->root, a->comm, req);
    case COLL_GATHERV:
      return MPI_Igatherv(send, slen, MPI_BYTE, a->rbuf, v[0], v[1], MPI_BYTE, a->root, a->comm, req);
    case COLL_SCATTERV:
      return MPI_Iscatterv(a->sbuf, v[0], v[1], MPI_BYTE, a->rhave ? a->rbuf : MPI_IN_PLACE, (int)a->rlen, MPI_BYTE,
                           a->root, a->comm, req);
    case COLL_ALLGATHERV:
      return req ? MPI_Iallgatherv(send, slen, MPI_BYTE, a->rbuf, v[0], v[1], MPI_BYTE, a->comm, req)
                 : MPI_Allgatherv(send, slen, MPI_BYTE, a->rbuf, v[0], v[1], MPI_BYTE, a->comm);
    case COLL_ALLTOALLV:
      return MPI_Ialltoallv(send, a->shave ? v[0] : NULL, a->shave ? v[1] : NULL, MPI_BYTE, a->rbuf, v[2], v[3],
                            MPI_BYTE, a->comm, req);
    case COLL_GATHER:
      return MPI_Igather(send, a->count, MPI_BYTE, a->rbuf, a->count, MPI_BYTE, a->root, a->comm, req);
    case COLL_SCATTER:
      return MPI_Iscatter(a->sbuf, a->count, MPI_BYTE, a->rhave ? a->rbuf : MPI_IN_PLACE, a->count, MPI_BYTE, a->root,
                          a->comm, req);
    case COLL_ALLGATHER:
      return req ? MPI_Iallgather(send, a->count, MPI_BYTE, a->rbuf, a->count, MPI_BYTE, a->comm, req)
                 : MPI_Allgather(send, a->count, MPI_BYTE, a->rbuf, a->count, MPI_BYTE, a->comm);
    case COLL_ALLTOALL:
      return MPI_Ialltoall(send, a->count, MPI_BYTE, a->rbuf, a->count, MPI_BYTE, a->comm, req);
    case COLL_REDUCE: {
      /* Off the root without a send buffer, the data is in recv. */
      int root = a->crank == a->root;
      void *in = a->shave ? a->sbuf : root ? MPI_IN_PLACE : a->rbuf, *out = root ? a->rbuf : NULL;
      return req ? MPI_Ireduce(in, out, a->count, a->dt, a->op, a->root, a->comm, req)
                 : MPI_Reduce(in, out, a->count, a->dt, a->op, a->root, a->comm);
    }
    case COLL_ALLREDUCE:
      return req ? MPI_Iallreduce(send, a->rbuf, a->count, a->dt, a->op, a->comm, req)
                 : MPI_Allreduce(send, a->rbuf, a->count, a->dt, a->op, a->comm);
    case COLL_REDUCE_SCATTER:
      return req ? MPI_Ireduce_scatter(send, a->rbuf, v[0], a->dt, a->op, a->comm, req)
                 : MPI_Reduce_scatter(send, a->rbuf, v[0], a->dt, a->op, a->comm);
    case COLL_SCAN:
      return a->exclusive ? MPI_Iexscan(send, a->rbuf, a->count, a->dt, a->op, a->comm, req)
                          : MPI_Iscan(send, a->rbuf, a->count, a->dt, a->op, a->comm, req);
  }
  return MPI_ERR_INTERN;
}

/* Moves the counts and displacements into one malloc'd block owned by the
 * slot: MPI reads them until a nonblocking v-collective completes. */
static int own_ints(napi_env env, int id, coll_args *a) {
  size_t n = (size_t)a->csize;
  int *block = malloc((size_t)a->nints * n * sizeof(int) + 1);
  if (!block) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return 0; }
  for (size_t j = 0; j < (size_t)a->nints; j++) {
    memcpy(block + j * n, a->ints[j], n * sizeof(int));
    a->ints[j] = block + j * n;
  }
  g_slots[id].ints = block;
  return 1;
}

/* Every collective's JS function; its coll_entry is the callback data. */
static napi_value js_collective(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  void *data = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  ENTER(env);
  const coll_entry *e = data;
  coll_args a;
  if (!read_coll(env, e->kind, argv, &a)) return NULL;
  if (e->blocking) {
    int rc = coll_call(e->kind, &a, NULL);
    g_status[ST_ERROR] = rc;
    return make_i32(env, rc == MPI_SUCCESS ? RC_DONE : RC_ERROR);
  }
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  if (a.nints > 0 && !own_ints(env, id, &a)) { slot_release(env, id); return NULL; }
  MPI_Request req;
  int rc = coll_call(e->kind, &a, &req);
  /* The buffers MPI uses until completion (argv[1], argv[2] unless they are numbers). */
  return started(env, rc, &req, id, e->kind == COLL_BARRIER ? NULL : argv[1], e->kind == COLL_BCAST ? NULL : argv[2]);
}

/* ------------------------------------------------------------------------ */
/* User-defined ops                                                          */

/* opCreate(fn, commute) -> op index (N_OPS + slot) */
static napi_value js_op_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  bool commute = true;
  napi_valuetype t;
  CHECK(env, napi_typeof(env, argv[0], &t));
  if (t != napi_function) { napi_throw_type_error(env, NULL, "mpi4ts_native: opCreate needs a function"); return NULL; }
  CHECK(env, napi_get_value_bool(env, argv[1], &commute));
  for (int i = 0; i < MAX_USER_OPS; i++) {
    if (g_user_ops[i].in_use) continue;
    int rc = MPI_Op_create(g_tramps[i], commute ? 1 : 0, &g_user_ops[i].op);
    if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Op_create"); return NULL; }
    CHECK(env, napi_create_reference(env, argv[0], 1, &g_user_ops[i].fn));
    g_user_ops[i].error = NULL;
    g_user_ops[i].in_use = 1;
    return make_i32(env, N_OPS + i);
  }
  napi_throw_error(env, "MPI_ERR_OP", "mpi4ts_native: too many user-defined ops at once (64); free some");
  return NULL;
}

static int get_user_op(napi_env env, napi_value v, int *slot) {
  int32_t i;
  if (!get_i32(env, v, &i)) return 0;
  i -= N_OPS;
  if (i < 0 || i >= MAX_USER_OPS || !g_user_ops[i].in_use) {
    napi_throw_error(env, "MPI_ERR_OP", "mpi4ts_native: invalid user op");
    return 0;
  }
  *slot = i;
  return 1;
}

/* opTakeError(op) -> the first exception its function threw, or undefined. */
static napi_value js_op_take_error(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int i;
  if (!get_user_op(env, argv[0], &i)) return NULL;
  user_op_t *u = &g_user_ops[i];
  if (!u->error) return make_undefined(env);
  napi_value e;
  napi_get_reference_value(env, u->error, &e);
  napi_delete_reference(env, u->error);
  u->error = NULL;
  return e;
}

/* opFree(op): MPI_Op_free (MPI keeps it alive until pending reductions end,
 * but the JS function goes: the JS side frees only unreachable ops). */
static napi_value js_op_free(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  if (g_finalized) return make_undefined(env);
  int i;
  if (!get_user_op(env, argv[0], &i)) return NULL;
  user_op_t *u = &g_user_ops[i];
  MPI_Op_free(&u->op);
  napi_delete_reference(env, u->fn);
  if (u->error) napi_delete_reference(env, u->error);
  memset(u, 0, sizeof *u);
  return make_undefined(env);
}

/* ------------------------------------------------------------------------ */
/* Environment                                                               */

static napi_value js_error_info(napi_env env, napi_callback_info info) {
  /* errorInfo(code) -> [errorClass, errorString] */
  GET_ARGS(1);
  int32_t code;
  if (!get_i32(env, argv[0], &code)) return NULL;
  int cls = MPI_ERR_UNKNOWN, len = 0;
  char text[MPI_MAX_ERROR_STRING + 1] = "unknown error";
  if (MPI_Error_class(code, &cls) != MPI_SUCCESS) cls = MPI_ERR_UNKNOWN;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
  napi_value arr, s;
  CHECK(env, napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, make_i32(env, cls));
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s));
  napi_set_element(env, arr, 1, s);
  return arr;
}

static napi_value js_processor_name(napi_env env, napi_callback_info info) {
  (void)info;
  ENTER(env);
  char name[MPI_MAX_PROCESSOR_NAME + 1];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  napi_value s;
  CHECK(env, napi_create_string_utf8(env, name, (size_t)len, &s));
  return s;
}

static napi_value js_library_version(napi_env env, napi_callback_info info) {
  (void)info;
  char text[MPI_MAX_LIBRARY_VERSION_STRING + 1];
  int len = 0;
  MPI_Get_library_version(text, &len);
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\0' || text[len - 1] == ' ')) len--;
  napi_value s;
  CHECK(env, napi_create_string_utf8(env, text, (size_t)len, &s));
  return s;
}

static napi_value js_wtime(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_double(env, MPI_Wtime(), &r);
  return r;
}

static napi_value js_wtick(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_double(env, MPI_Wtick(), &r);
  return r;
}

static napi_value js_abort(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t code = 1;
  napi_get_value_int32(env, argv[0], &code);
  fflush(stdout);
  fflush(stderr);
  if (!g_finalized) MPI_Abort(MPI_COMM_WORLD, code);
  exit(code); /* MPI_Abort should not return; if MPI is gone, still end */
}

static void do_finalize(void) {
  int fin = 0;
  if (!g_initialized || g_finalized) return;
  g_finalized = 1;
  MPI_Finalized(&fin);
  if (!fin) MPI_Finalize();
}

/* finalize() -> true if this call finalized MPI */
static napi_value js_finalize(napi_env env, napi_callback_info info) {
  (void)info;
  if (env != g_env) return make_bool(env, 0);
  int was = g_finalized;
  do_finalize();
  return make_bool(env, !was && g_initialized);
}

/*
 * abortAtExit(code): MPI_Abort(code) from a C atexit handler instead of
 * MPI_Finalize. The JS 'exit' event comes before Node prints a fatal
 * exception, so aborting there would kill the process before the user sees
 * why it failed; Node calls exit() after printing, which runs this handler.
 */
static int g_abort_code = 0;
static void atexit_abort(void) {
  if (g_abort_code == 0 || !g_initialized || g_finalized) return;
  fflush(stdout);
  fflush(stderr);
  g_finalized = 1;
  MPI_Abort(MPI_COMM_WORLD, g_abort_code);
}

static napi_value js_abort_at_exit(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t code = 1;
  if (!get_i32(env, argv[0], &code)) return NULL;
  g_abort_code = code == 0 ? 1 : code;
  return make_undefined(env);
}

static void cleanup_hook(void *arg) {
  (void)arg;
  do_finalize();
}

/* ------------------------------------------------------------------------ */
/* Module initialisation                                                     */

static int parse_thread_level(const char *s, int dflt) {
  if (!s || !*s) return dflt;
  if (!strcmp(s, "single")) return MPI_THREAD_SINGLE;
  if (!strcmp(s, "funneled")) return MPI_THREAD_FUNNELED;
  if (!strcmp(s, "serialized")) return MPI_THREAD_SERIALIZED;
  if (!strcmp(s, "multiple")) return MPI_THREAD_MULTIPLE;
  return dflt;
}

static void set_prop(napi_env env, napi_value obj, const char *name, napi_value v) {
  napi_set_named_property(env, obj, name, v);
}

static napi_value string_array(napi_env env, const char **names, int n) {
  napi_value arr, s;
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; i < n; i++) {
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, (uint32_t)i, s);
  }
  return arr;
}

/* The library's values of the error classes, by mpi4ts name (ERR_*); the
 * numbers differ between Open MPI and MPICH. */
typedef struct { const char *name; int cls; } err_entry;
/* The I/O error classes (MPI-4.1 §14.7), for file.c's calls. */
#define FILE_ERROR_CLASSES                                                                                          \
  {"ERR_FILE", MPI_ERR_FILE}, {"ERR_NOT_SAME", MPI_ERR_NOT_SAME}, {"ERR_AMODE", MPI_ERR_AMODE},                      \
  {"ERR_UNSUPPORTED_DATAREP", MPI_ERR_UNSUPPORTED_DATAREP}, {"ERR_NO_SUCH_FILE", MPI_ERR_NO_SUCH_FILE},              \
  {"ERR_FILE_EXISTS", MPI_ERR_FILE_EXISTS}, {"ERR_BAD_FILE", MPI_ERR_BAD_FILE}, {"ERR_ACCESS", MPI_ERR_ACCESS},      \
  {"ERR_NO_SPACE", MPI_ERR_NO_SPACE}, {"ERR_QUOTA", MPI_ERR_QUOTA}, {"ERR_READ_ONLY", MPI_ERR_READ_ONLY},            \
  {"ERR_FILE_IN_USE", MPI_ERR_FILE_IN_USE}, {"ERR_DUP_DATAREP", MPI_ERR_DUP_DATAREP},                                \
  {"ERR_CONVERSION", MPI_ERR_CONVERSION}, {"ERR_IO", MPI_ERR_IO},
static const err_entry g_errs[] = {
  {"SUCCESS", MPI_SUCCESS}, {"ERR_BUFFER", MPI_ERR_BUFFER}, {"ERR_COUNT", MPI_ERR_COUNT},
  {"ERR_TYPE", MPI_ERR_TYPE}, {"ERR_TAG", MPI_ERR_TAG}, {"ERR_COMM", MPI_ERR_COMM}, {"ERR_RANK", MPI_ERR_RANK},
  {"ERR_REQUEST", MPI_ERR_REQUEST}, {"ERR_ROOT", MPI_ERR_ROOT}, {"ERR_GROUP", MPI_ERR_GROUP},
  {"ERR_OP", MPI_ERR_OP}, {"ERR_TOPOLOGY", MPI_ERR_TOPOLOGY}, {"ERR_DIMS", MPI_ERR_DIMS},
  {"ERR_ARG", MPI_ERR_ARG}, {"ERR_UNKNOWN", MPI_ERR_UNKNOWN}, {"ERR_TRUNCATE", MPI_ERR_TRUNCATE},
  {"ERR_OTHER", MPI_ERR_OTHER}, {"ERR_INTERN", MPI_ERR_INTERN}, {"ERR_IN_STATUS", MPI_ERR_IN_STATUS},
  {"ERR_PENDING", MPI_ERR_PENDING}, {"ERR_NO_MEM", MPI_ERR_NO_MEM}, {"ERR_SPAWN", MPI_ERR_SPAWN},
  {"ERR_UNSUPPORTED_OPERATION", MPI_ERR_UNSUPPORTED_OPERATION},
  {"ERR_NAME", MPI_ERR_NAME}, {"ERR_PORT", MPI_ERR_PORT}, {"ERR_SERVICE", MPI_ERR_SERVICE},
  {"ERR_WIN", MPI_ERR_WIN}, {"ERR_RMA_SYNC", MPI_ERR_RMA_SYNC}, {"ERR_RMA_RANGE", MPI_ERR_RMA_RANGE},
  {"ERR_RMA_CONFLICT", MPI_ERR_RMA_CONFLICT}, {"ERR_RMA_ATTACH", MPI_ERR_RMA_ATTACH}, {"ERR_RMA_FLAVOR", MPI_ERR_RMA_FLAVOR},
  {"ERR_RMA_SHARED", MPI_ERR_RMA_SHARED}, {"ERR_LOCKTYPE", MPI_ERR_LOCKTYPE}, {"ERR_ASSERT", MPI_ERR_ASSERT},
  {"ERR_BASE", MPI_ERR_BASE}, {"ERR_DISP", MPI_ERR_DISP}, {"ERR_SIZE", MPI_ERR_SIZE},
  FILE_ERROR_CLASSES
};

#include "topo.c"
#include "surface.c"
#include "win.c"
#include "spawn.c"
#include "datatype.c"
#include "ports.c"
#include "file.c"

/*
 * Open MPI's collective file accesses (and other large internal work) malloc and free
 * buffers of several MiB on every call. A fresh glibc process serves those with new
 * mmap'd pages, so every call pays a page fault per 4 KiB (measured: Read_all of 256 MiB
 * at 4 ranks 250 ms against 71 ms). glibc raises its mmap threshold itself once a process
 * frees such a block, as a Python process with NumPy arrays soon does; set at start the
 * thresholds that raise gives (32 MiB, trim at twice that), unless the user set them.
 */
static void keep_large_blocks(void) {
#if defined(__GLIBC__)
  if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL) mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  if (g_env != NULL) {
    napi_throw_error(env, NULL,
                     "mpi4ts_native: already loaded by another thread; MPI can be used from one Node thread only");
    return NULL;
  }
  g_env = env;

  /* Thread level: FUNNELED by default (only the JS main thread calls MPI);
   * MPI4TS_THREAD_LEVEL=single|funneled|serialized|multiple overrides. */
  g_thread_requested = parse_thread_level(getenv("MPI4TS_THREAD_LEVEL"), MPI_THREAD_FUNNELED);
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    keep_large_blocks();
    int rc = MPI_Init_thread(NULL, NULL, g_thread_requested, &g_thread_provided);
    if (rc != MPI_SUCCESS) {
      napi_throw_error(env, "MPI_ERR_OTHER", "mpi4ts_native: MPI_Init_thread failed");
      return NULL;
    }
    g_initialized = 1;
  } else {
    MPI_Query_thread(&g_thread_provided);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
  comm_add(MPI_COMM_WORLD);
  comm_add(MPI_COMM_SELF);
  napi_add_env_cleanup_hook(env, cleanup_hook, NULL);
  atexit(atexit_abort);

  /* The shared status block. */
  napi_value ab, status;
  void *sdata;
  CHECK(env, napi_create_arraybuffer(env, ST_LEN * sizeof(int32_t), &sdata, &ab));
  CHECK(env, napi_create_typedarray(env, napi_int32_array, ST_LEN, ab, 0, &status));
  CHECK(env, napi_create_reference(env, ab, 1, &g_status_ref));
  g_status = sdata;

  napi_property_descriptor fns[] = {
#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_enumerable, NULL}
    FN("isend", js_isend), FN("irecv", js_irecv), FN("imrecv", js_imrecv), FN("test", js_test),
    FN("testSpin", js_test_spin), FN("testsome", js_testsome), FN("iprobe", js_iprobe),
    FN("commRankSize", js_comm_rank_size), FN("commSplit", js_comm_split), FN("commSplitShared", js_comm_split_shared), FN("commDup", js_comm_dup), FN("commFree", js_comm_free),
    FN("commCreateGroup", js_comm_create_group), FN("intercommCreate", js_intercomm_create),
    FN("intercommMerge", js_intercomm_merge), FN("commRemoteSize", js_comm_remote_size),
    FN("commRemoteWorldRanks", js_comm_remote_world_ranks), FN("commSpawn", js_comm_spawn), FN("commDisconnect", js_comm_disconnect),
    FN("commGetParent", js_comm_get_parent),
    FN("commWorldRanks", js_comm_world_ranks), FN("opCreate", js_op_create),
    FN("opFree", js_op_free), FN("opTakeError", js_op_take_error), FN("errorInfo", js_error_info),
    FN("processorName", js_processor_name), FN("libraryVersion", js_library_version), FN("wtime", js_wtime),
    FN("wtick", js_wtick), FN("abort", js_abort), FN("abortAtExit", js_abort_at_exit), FN("finalize", js_finalize),
    FN("topoCart", js_topo_cart), FN("topoDistGraph", js_topo_dist_graph),
    FN("ineighborAlltoallv", js_ineighbor_alltoallv),
    FN("cancel", js_cancel), FN("worldAttribute", js_world_attribute), FN("isThreadMain", js_is_thread_main),
    FN("winCreate", js_win_create), FN("winAllocate", js_win_allocate), FN("winSharedQuery", js_win_shared_query),
    FN("winFree", js_win_free), FN("winPut", js_win_put), FN("winGet", js_win_get), FN("winAccumulate", js_win_accumulate),
    FN("winCompareAndSwap", js_win_compare_and_swap), FN("winSync", js_win_sync), FN("winPostStart", js_win_post_start),
    FN("winCreateDynamic", js_win_create_dynamic), FN("winAttach", js_win_attach), FN("address", js_address), FN("winRequest", js_win_request),
    FN("typeCreate", js_type_create), FN("typeFree", js_type_free), FN("typeInfo", js_type_info),
    FN("typePack", js_type_pack), FN("typeUnpack", js_type_unpack),
    FN("openPort", js_open_port), FN("closePort", js_close_port), FN("publishName", js_publish_name),
    FN("lookupName", js_lookup_name), FN("commAcceptConnect", js_comm_accept_connect), FN("commJoin", js_comm_join),
    FN("commSpawnMultiple", js_comm_spawn_multiple),
    FN("fileOpen", js_file_open), FN("fileClose", js_file_close), FN("fileDelete", js_file_delete),
    FN("fileSetView", js_file_set_view), FN("fileCtl", js_file_ctl), FN("fileAccess", js_file_access),
    FN("fileStart", js_file_start), FN("fileBegin", js_file_begin), FN("fileEnd", js_file_end),
    FN("typesLive", js_types_live), FN("fileTypeCreate", js_file_type_create),
    FN("fileTypeFree", js_file_type_free),
#undef FN
  };
  CHECK(env, napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns));
  for (int i = 0; i < N_COLLS; i++) {
    napi_property_descriptor d = {g_colls[i].name, NULL, js_collective, NULL, NULL, NULL, napi_enumerable, &g_colls[i]};
    CHECK(env, napi_define_properties(env, exports, 1, &d));
  }

  set_prop(env, exports, "statusBuffer", status);
  set_prop(env, exports, "threadRequested", make_i32(env, g_thread_requested));
  set_prop(env, exports, "threadProvided", make_i32(env, g_thread_provided));
  set_prop(env, exports, "ownsInit", make_bool(env, g_initialized));

  const char *dtn[N_DTS];
  napi_value extents;
  CHECK(env, napi_create_array_with_length(env, N_DTS, &extents));
  for (int i = 0; i < N_DTS; i++) {
    MPI_Aint lb, ext = -1;
    dtn[i] = g_dts[i].name;
    if (g_dts[i].type != MPI_DATATYPE_NULL) MPI_Type_get_extent(g_dts[i].type, &lb, &ext);
    napi_set_element(env, extents, (uint32_t)i, make_i32(env, (int32_t)ext));
  }
  set_prop(env, exports, "datatypeNames", string_array(env, dtn, N_DTS));
  set_prop(env, exports, "datatypeExtents", extents);
  const char *opn[N_OPS];
  for (int i = 0; i < N_OPS; i++) opn[i] = g_ops[i].name;
  set_prop(env, exports, "opNames", string_array(env, opn, N_OPS));

  napi_value errs;
  CHECK(env, napi_create_object(env, &errs));
  for (size_t i = 0; i < sizeof g_errs / sizeof g_errs[0]; i++) set_prop(env, errs, g_errs[i].name, make_i32(env, g_errs[i].cls));
  set_prop(env, exports, "errorClasses", errs);

  int tag_ub = INT_MAX, *tag_ub_p = NULL, flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub_p, &flag);
  if (flag && tag_ub_p) tag_ub = *tag_ub_p;
  set_prop(env, exports, "tagUB", make_i32(env, tag_ub));
  int ver = 0, sub = 0;
  MPI_Get_version(&ver, &sub);
  napi_value v;
  CHECK(env, napi_create_array_with_length(env, 2, &v));
  napi_set_element(env, v, 0, make_i32(env, ver));
  napi_set_element(env, v, 1, make_i32(env, sub));
  set_prop(env, exports, "version", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
