/*
 * One-sided communication (MPI-4.1 chapter 12) for the mpi transport:
 * MPI_Win_* over memory MPI can address. Compiled as part of
 * mpi4ts_native.c (included just before init), so it uses that file's
 * helpers: CHECK, ARGS, get_comm, get_dt, get_op, get_buf, throw_mpi, ...
 *
 * Windows are handles into g_wins. Every window is created with a
 * displacement unit of 1: the JS side (src/transport/mpi/window.ts) keeps the
 * user's units and passes byte displacements. Memory that MPI allocates
 * (MPI_Win_allocate, MPI_Win_allocate_shared, and what MPI_Win_shared_query
 * maps) is lent to JS as external ArrayBuffers, which are detached when the
 * window is freed, so a view kept past Win.Free sees no memory rather than
 * freed memory.
 *
 * Unfinished: dynamic windows (MPI_Win_create_dynamic, attach, detach);
 * transfers of more than INT_MAX elements; info hints.
 */

typedef struct {
  MPI_Win win;
  napi_ref *buffers; /* external ArrayBuffers over MPI's memory, detached at free */
  int nbuffers;
} win_entry;

static win_entry *g_wins = NULL;
static int g_nwins = 0;

static int win_add(MPI_Win w) {
  for (int i = 0; i < g_nwins; i++)
    if (g_wins[i].win == MPI_WIN_NULL) { g_wins[i].win = w; return i; }
  win_entry *n = realloc(g_wins, (g_nwins + 1) * sizeof(win_entry));
  if (!n) return -1;
  g_wins = n;
  g_wins[g_nwins].win = w;
  g_wins[g_nwins].buffers = NULL;
  g_wins[g_nwins].nbuffers = 0;
  return g_nwins++;
}

static int get_win(napi_env env, napi_value v, int *h) {
  if (!get_i32(env, v, h)) return 0;
  if (*h < 0 || *h >= g_nwins || g_wins[*h].win == MPI_WIN_NULL) {
    napi_throw_error(env, "MPI_ERR_WIN", "mpi4ts_native: invalid or freed window handle");
    return 0;
  }
  return 1;
}

/* An external ArrayBuffer over `bytes` bytes at `base`, detached when window h is freed. */
static napi_value lend(napi_env env, int h, void *base, size_t bytes) {
  napi_value ab;
  static char empty[8];
  if (bytes == 0 || base == NULL) base = empty, bytes = 0;
  CHECK(env, napi_create_external_arraybuffer(env, base, bytes, NULL, NULL, &ab));
  win_entry *w = &g_wins[h];
  napi_ref *n = realloc(w->buffers, (w->nbuffers + 1) * sizeof(napi_ref));
  if (!n) {
    napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
    return NULL;
  }
  w->buffers = n;
  CHECK(env, napi_create_reference(env, ab, 0, &w->buffers[w->nbuffers]));
  w->nbuffers++;
  return ab;
}

static int get_size(napi_env env, napi_value v, MPI_Aint *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0)) {
    napi_throw_range_error(env, NULL, "mpi4ts_native: expected a byte count");
    return 0;
  }
  *out = (MPI_Aint)d;
  return 1;
}

/* winCreate(comm, buf | null) -> handle */
static napi_value js_win_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  MPI_Comm comm;
  void *data;
  size_t len;
  if (!get_comm(env, argv[0], &comm) || !get_buf(env, argv[1], 1, &data, &len, NULL)) return NULL;
  MPI_Win w;
  int rc = MPI_Win_create(len ? data : NULL, (MPI_Aint)len, 1, MPI_INFO_NULL, comm, &w);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Win_create"); return NULL; }
  MPI_Win_set_errhandler(w, MPI_ERRORS_RETURN);
  return make_i32(env, win_add(w));
}

/* winAllocate(comm, bytes, shared) -> [handle, ArrayBuffer] */
static napi_value js_win_allocate(napi_env env, napi_callback_info info) {
  ARGS(3);
  MPI_Comm comm;
  MPI_Aint bytes;
  int32_t shared;
  if (!get_comm(env, argv[0], &comm) || !get_size(env, argv[1], &bytes) || !get_i32(env, argv[2], &shared)) return NULL;
  MPI_Win w;
  void *base = NULL;
  int rc = shared ? MPI_Win_allocate_shared(bytes, 1, MPI_INFO_NULL, comm, &base, &w)
                  : MPI_Win_allocate(bytes, 1, MPI_INFO_NULL, comm, &base, &w);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, shared ? "MPI_Win_allocate_shared" : "MPI_Win_allocate"); return NULL; }
  MPI_Win_set_errhandler(w, MPI_ERRORS_RETURN);
  /* Zeroed memory; the barrier keeps other ranks' first accesses after every rank's memset. */
  if (bytes > 0) memset(base, 0, (size_t)bytes);
  rc = MPI_Barrier(comm);
  if (rc != MPI_SUCCESS) { MPI_Win_free(&w); throw_mpi(env, rc, "MPI_Barrier"); return NULL; }
  int h = win_add(w);
  napi_value ab = lend(env, h, base, (size_t)bytes);
  if (ab == NULL) return NULL;
  napi_value out;
  CHECK(env, napi_create_array_with_length(env, 2, &out));
  napi_set_element(env, out, 0, make_i32(env, h));
  napi_set_element(env, out, 1, ab);
  return out;
}

/* winSharedQuery(win, rank) -> ArrayBuffer over rank's segment */
static napi_value js_win_shared_query(napi_env env, napi_callback_info info) {
  ARGS(2);
  int h;
  int32_t rank;
  if (!get_win(env, argv[0], &h) || !get_i32(env, argv[1], &rank)) return NULL;
  MPI_Aint size = 0;
  int unit = 0;
  void *base = NULL;
  int rc = MPI_Win_shared_query(g_wins[h].win, rank, &size, &unit, &base);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Win_shared_query"); return NULL; }
  return lend(env, h, base, (size_t)size);
}

/* winFree(win) */
static napi_value js_win_free(napi_env env, napi_callback_info info) {
  ARGS(1);
  int h;
  if (!get_win(env, argv[0], &h)) return NULL;
  win_entry *w = &g_wins[h];
  for (int i = 0; i < w->nbuffers; i++) {
    napi_value ab;
    if (napi_get_reference_value(env, w->buffers[i], &ab) == napi_ok && ab != NULL) napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, w->buffers[i]);
  }
  free(w->buffers);
  w->buffers = NULL;
  w->nbuffers = 0;
  MPI_Win win = w->win;
  w->win = MPI_WIN_NULL;
  int rc = MPI_Win_free(&win);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Win_free"); return NULL; }
  return make_undefined(env);
}

static int get_disp(napi_env env, napi_value v, MPI_Aint *out) { return get_size(env, v, out); }

/* put(win, buf, target, disp) / get(win, buf, target, disp): bytes */
static napi_value put_get(napi_env env, napi_callback_info info, int put) {
  ARGS(4);
  int h;
  void *data;
  size_t len;
  int32_t target;
  MPI_Aint disp;
  if (!get_win(env, argv[0], &h) || !get_buf(env, argv[1], 0, &data, &len, NULL) || !get_i32(env, argv[2], &target) ||
      !get_disp(env, argv[3], &disp)) return NULL;
  if (len > INT_MAX) {
    napi_throw_error(env, "MPI_ERR_COUNT", "mpi4ts_native: one-sided transfers of more than 2^31-1 bytes are not supported");
    return NULL;
  }
  int n = (int)len;
  int rc = put ? MPI_Put(data, n, MPI_BYTE, target, disp, n, MPI_BYTE, g_wins[h].win)
               : MPI_Get(data, n, MPI_BYTE, target, disp, n, MPI_BYTE, g_wins[h].win);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, put ? "MPI_Put" : "MPI_Get"); return NULL; }
  return make_undefined(env);
}
static napi_value js_win_put(napi_env env, napi_callback_info info) { return put_get(env, info, 1); }
static napi_value js_win_get(napi_env env, napi_callback_info info) { return put_get(env, info, 0); }

/* accumulate(win, origin | null, result | null, count, dt, target, disp, op) */
static napi_value js_win_accumulate(napi_env env, napi_callback_info info) {
  ARGS(8);
  int h;
  void *origin, *result;
  size_t olen, rlen;
  int ohave, rhave;
  int32_t count, target;
  MPI_Datatype dt;
  MPI_Aint extent, disp;
  MPI_Op op;
  if (!get_win(env, argv[0], &h) || !get_buf(env, argv[1], 1, &origin, &olen, &ohave) ||
      !get_buf(env, argv[2], 1, &result, &rlen, &rhave) || !get_i32(env, argv[3], &count) ||
      !get_dt(env, argv[4], &dt, &extent) || !get_i32(env, argv[5], &target) || !get_disp(env, argv[6], &disp) ||
      !get_op(env, argv[7], &op)) return NULL;
  MPI_Win w = g_wins[h].win;
  int rc;
  const char *fn;
  if (!rhave) {
    fn = "MPI_Accumulate";
    rc = MPI_Accumulate(origin, count, dt, target, disp, count, dt, op, w);
  } else if (count == 1) {
    fn = "MPI_Fetch_and_op";
    rc = MPI_Fetch_and_op(ohave ? origin : result, result, dt, target, disp, op, w);
  } else {
    fn = "MPI_Get_accumulate";
    rc = MPI_Get_accumulate(ohave ? origin : result, count, dt, result, count, dt, target, disp, count, dt,
                            op, w);
  }
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, fn); return NULL; }
  return make_undefined(env);
}

/* compareAndSwap(win, origin, compare, result, dt, target, disp) */
static napi_value js_win_compare_and_swap(napi_env env, napi_callback_info info) {
  ARGS(7);
  int h;
  void *origin, *compare, *result;
  size_t l1, l2, l3;
  MPI_Datatype dt;
  MPI_Aint extent, disp;
  int32_t target;
  if (!get_win(env, argv[0], &h) || !get_buf(env, argv[1], 0, &origin, &l1, NULL) ||
      !get_buf(env, argv[2], 0, &compare, &l2, NULL) || !get_buf(env, argv[3], 0, &result, &l3, NULL) ||
      !get_dt(env, argv[4], &dt, &extent) || !get_i32(env, argv[5], &target) || !get_disp(env, argv[6], &disp)) return NULL;
  int rc = MPI_Compare_and_swap(origin, compare, result, dt, target, disp, g_wins[h].win);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Compare_and_swap"); return NULL; }
  return make_undefined(env);
}

/* winSync(win, kind, a, b): the synchronization calls, by kind. */
enum {
  WS_FENCE = 0, WS_LOCK, WS_UNLOCK, WS_LOCK_ALL, WS_UNLOCK_ALL, WS_FLUSH, WS_FLUSH_ALL, WS_FLUSH_LOCAL,
  WS_FLUSH_LOCAL_ALL, WS_SYNC, WS_COMPLETE, WS_WAIT, WS_TEST
};
static napi_value js_win_sync(napi_env env, napi_callback_info info) {
  ARGS(4);
  int h;
  int32_t kind, a = 0, b = 0;
  if (!get_win(env, argv[0], &h) || !get_i32(env, argv[1], &kind)) return NULL;
  if (!is_nullish(env, argv[2]) && !get_i32(env, argv[2], &a)) return NULL;
  if (!is_nullish(env, argv[3]) && !get_i32(env, argv[3], &b)) return NULL;
  MPI_Win w = g_wins[h].win;
  int rc, flag = 0;
  const char *fn;
  switch (kind) {
    case WS_FENCE: fn = "MPI_Win_fence"; rc = MPI_Win_fence(a, w); break;
    case WS_LOCK: fn = "MPI_Win_lock"; rc = MPI_Win_lock(a == 1 ? MPI_LOCK_EXCLUSIVE : MPI_LOCK_SHARED, b, 0, w); break;
    case WS_UNLOCK: fn = "MPI_Win_unlock"; rc = MPI_Win_unlock(a, w); break;
    case WS_LOCK_ALL: fn = "MPI_Win_lock_all"; rc = MPI_Win_lock_all(a, w); break;
    case WS_UNLOCK_ALL: fn = "MPI_Win_unlock_all"; rc = MPI_Win_unlock_all(w); break;
    case WS_FLUSH: fn = "MPI_Win_flush"; rc = MPI_Win_flush(a, w); break;
    case WS_FLUSH_ALL: fn = "MPI_Win_flush_all"; rc = MPI_Win_flush_all(w); break;
    case WS_FLUSH_LOCAL: fn = "MPI_Win_flush_local"; rc = MPI_Win_flush_local(a, w); break;
    case WS_FLUSH_LOCAL_ALL: fn = "MPI_Win_flush_local_all"; rc = MPI_Win_flush_local_all(w); break;
    case WS_SYNC: fn = "MPI_Win_sync"; rc = MPI_Win_sync(w); break;
    case WS_COMPLETE: fn = "MPI_Win_complete"; rc = MPI_Win_complete(w); break;
    case WS_WAIT: fn = "MPI_Win_wait"; rc = MPI_Win_wait(w); break;
    case WS_TEST: fn = "MPI_Win_test"; rc = MPI_Win_test(w, &flag); break;
    default:
      napi_throw_error(env, "MPI_ERR_ARG", "mpi4ts_native: unknown window synchronization");
      return NULL;
  }
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, fn); return NULL; }
  return make_bool(env, flag);
}

/* winPostStart(win, start, ranks Int32Array, assert): MPI_Win_post / MPI_Win_start over the window's group. */
static napi_value js_win_post_start(napi_env env, napi_callback_info info) {
  ARGS(4);
  int h;
  int32_t start, assertion;
  void *data;
  size_t len;
  if (!get_win(env, argv[0], &h) || !get_i32(env, argv[1], &start) || !get_buf(env, argv[2], 0, &data, &len, NULL) ||
      !get_i32(env, argv[3], &assertion)) return NULL;
  MPI_Win w = g_wins[h].win;
  MPI_Group all, some;
  int rc = MPI_Win_get_group(w, &all);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Win_get_group"); return NULL; }
  rc = MPI_Group_incl(all, (int)(len / sizeof(int32_t)), (const int *)data, &some);
  MPI_Group_free(&all);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Group_incl"); return NULL; }
  rc = start ? MPI_Win_start(some, assertion, w) : MPI_Win_post(some, assertion, w);
  MPI_Group_free(&some);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, start ? "MPI_Win_start" : "MPI_Win_post"); return NULL; }
  return make_undefined(env);
}

/* winCreateDynamic(comm) -> handle (MPI-4.1 §12.2.4) */
static napi_value js_win_create_dynamic(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Comm comm;
  if (!get_comm(env, argv[0], &comm)) return NULL;
  MPI_Win w;
  int rc = MPI_Win_create_dynamic(MPI_INFO_NULL, comm, &w);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Win_create_dynamic"); return NULL; }
  MPI_Win_set_errhandler(w, MPI_ERRORS_RETURN);
  return make_i32(env, win_add(w));
}

/* winAttach(win, view, attach): MPI_Win_attach (attach 1) or MPI_Win_detach (0) of the view's bytes. */
static napi_value js_win_attach(napi_env env, napi_callback_info info) {
  ARGS(3);
  int h;
  void *data;
  size_t len;
  int32_t attach;
  if (!get_win(env, argv[0], &h) || !get_buf(env, argv[1], 0, &data, &len, NULL) || !get_i32(env, argv[2], &attach))
    return NULL;
  int rc = attach ? MPI_Win_attach(g_wins[h].win, data, (MPI_Aint)len) : MPI_Win_detach(g_wins[h].win, data);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, attach ? "MPI_Win_attach" : "MPI_Win_detach"); return NULL; }
  return make_undefined(env);
}

/* address(view) -> MPI_Get_address of the view's first byte, as a number (0 for an empty view). */
static napi_value js_address(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *data;
  size_t len;
  if (!get_buf(env, argv[0], 0, &data, &len, NULL)) return NULL;
  MPI_Aint a = 0;
  if (data != NULL) MPI_Get_address(data, &a);
  napi_value out;
  CHECK(env, napi_create_double(env, (double)a, &out));
  return out;
}

/* winRequest(win, kind, origin | null, result | null, count, dt, target, disp, op) -> request id or RC_DONE / RC_ERROR:
 * the request-based calls (MPI-4.1 §12.3.7), kind 0 MPI_Rput and 1 MPI_Rget (bytes: origin, resp. result, as
 * MPI_BYTE; count, dt and op unused), 2 MPI_Raccumulate, 3 MPI_Rget_accumulate (count elements of dt). The
 * request completes through the progress engine like a point-to-point one. */
static napi_value js_win_request(napi_env env, napi_callback_info info) {
  ARGS(9);
  int h;
  int32_t kind, count, target;
  void *origin, *result;
  size_t olen, rlen;
  int ohave, rhave;
  MPI_Datatype dt = MPI_BYTE;
  MPI_Aint extent, disp;
  MPI_Op op = MPI_NO_OP;
  if (!get_win(env, argv[0], &h) || !get_i32(env, argv[1], &kind) || !get_buf(env, argv[2], 1, &origin, &olen, &ohave) ||
      !get_buf(env, argv[3], 1, &result, &rlen, &rhave) || !get_i32(env, argv[4], &count) || !get_i32(env, argv[6], &target) ||
      !get_disp(env, argv[7], &disp)) return NULL;
  if (kind >= 2 && (!get_dt(env, argv[5], &dt, &extent) || !get_op(env, argv[8], &op))) return NULL;
  if (olen > INT_MAX || rlen > INT_MAX) {
    napi_throw_error(env, "MPI_ERR_COUNT", "mpi4ts_native: one-sided transfers of more than 2^31-1 bytes are not supported");
    return NULL;
  }
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  MPI_Win w = g_wins[h].win;
  MPI_Request req = MPI_REQUEST_NULL;
  int rc;
  switch (kind) {
    case 0: rc = MPI_Rput(origin, (int)olen, MPI_BYTE, target, disp, (int)olen, MPI_BYTE, w, &req); break;
    case 1: rc = MPI_Rget(result, (int)rlen, MPI_BYTE, target, disp, (int)rlen, MPI_BYTE, w, &req); break;
    case 2: rc = MPI_Raccumulate(origin, count, dt, target, disp, count, dt, op, w, &req); break;
    default:
      rc = MPI_Rget_accumulate(ohave ? origin : result, count, dt, result, count, dt, target, disp, count, dt, op, w, &req);
  }
  return started(env, rc, &req, id, argv[2], argv[3]);
}
