/*
 * Parallel I/O (MPI-4.1 chapter 14) for the mpi transport: MPI_File_* over
 * byte buffers. Compiled as part of mpi4ts_native.c (included just before
 * init), so it uses that file's helpers: CHECK, ARGS, get_comm, get_buf,
 * get_i32, slot_alloc, started, write_status, throw_mpi, and datatype.c's
 * get_utype (file views take the MPI datatypes built there).
 *
 * Files are handles into g_files. The memory side of every access is bytes
 * (the JS side packs and unpacks derived memory types): MPI_BYTE with the
 * byte count, or past INT_MAX bytes one derived type of 2^30-byte blocks
 * plus the rest (count 1), so that no count wraps; the blocking accesses
 * pass whole elements of the view's etype instead when it is predefined
 * (as_etype), which is what mpi4py passes for a buffer of that type.
 * Data access goes through two table-driven entry points: fileAccess (the
 * blocking calls: explicit offset, individual and shared pointers, ordered,
 * collective _all forms)
 * and fileStart (the I-forms: real MPI requests in the binding's request
 * slots, completed by the progress engine like point-to-point requests).
 * fileCtl runs the small calls (sizes, sync, atomicity, seek, positions).
 *
 * MPI-4.1 §14.2 (open, close, delete, set_size, get_size,
 * info), §14.3 (set_view), §14.4 (data access), §14.6 (atomicity, sync).
 *
 * Split collectives (MPI-4.1 §14.4.5) are MPI's own: fileBegin calls
 * MPI_File_*_begin, fileEnd the matching MPI_File_*_end; the JS side keeps
 * the buffer alive in between and checks that begin and end match.
 *
 * View types come from fileTypeCreate: a predefined type where the typemap is one basic element (ompio
 * treats a view of one predefined type as contiguous, a derived one element by element), else a vector or
 * hindexed type where the typemap is one (ompio's MPI_File_set_view is much slower on a struct of many blocks).
 *
 * Unfinished: MPI_File_get_info; user data representations.
 */

typedef struct {
  MPI_File fh;
} file_entry;

static file_entry *g_files = NULL;
static int g_nfiles = 0;

static int file_add(MPI_File f) {
  for (int i = 0; i < g_nfiles; i++)
    if (g_files[i].fh == MPI_FILE_NULL) { g_files[i].fh = f; return i; }
  file_entry *n = realloc(g_files, (g_nfiles + 1) * sizeof(file_entry));
  if (!n) return -1;
  g_files = n;
  g_files[g_nfiles].fh = f;
  return g_nfiles++;
}

static int get_file(napi_env env, napi_value v, int *h) {
  if (!get_i32(env, v, h)) return 0;
  if (*h < 0 || *h >= g_nfiles || g_files[*h].fh == MPI_FILE_NULL) {
    napi_throw_error(env, "MPI_ERR_FILE", "mpi4ts_native: invalid or closed file handle");
    return 0;
  }
  return 1;
}

static int get_offset(napi_env env, napi_value v, MPI_Offset *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected a number");
    return 0;
  }
  *out = (MPI_Offset)d;
  return 1;
}

static napi_value make_f64(napi_env env, double d) {
  napi_value v;
  if (napi_create_double(env, d, &v) != napi_ok) return NULL;
  return v;
}

/* The memory side of an access is `len` bytes as (count, type): span_of, a derived type past INT_MAX bytes. */

/* Access mode bits as the JS constants number them (src/constants.ts). */
static int file_amode(int32_t js) {
  static const struct { int js, mpi; } bits[] = {
    {1, MPI_MODE_CREATE}, {2, MPI_MODE_RDONLY}, {4, MPI_MODE_WRONLY}, {8, MPI_MODE_RDWR},
    {16, MPI_MODE_DELETE_ON_CLOSE}, {32, MPI_MODE_UNIQUE_OPEN}, {64, MPI_MODE_EXCL}, {128, MPI_MODE_APPEND},
    {256, MPI_MODE_SEQUENTIAL},
  };
  int out = 0;
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
    if (js & bits[i].js) out |= bits[i].mpi;
  return out;
}

/* Element k of a JS array of strings, as get_string. */
static char *get_string_at(napi_env env, napi_value arr, uint32_t k) {
  napi_value v;
  if (napi_get_element(env, arr, k, &v) != napi_ok) {
    napi_throw_type_error(env, NULL, "mpi4ts_native: expected an array");
    return NULL;
  }
  return get_string(env, v);
}

/* An MPI_Info of hints from parallel arrays of keys and values (MPI_INFO_NULL when empty). */
static int file_info(napi_env env, napi_value keys, napi_value values, MPI_Info *out) {
  uint32_t n = 0;
  *out = MPI_INFO_NULL;
  if (napi_get_array_length(env, keys, &n) != napi_ok || n == 0) return 1;
  MPI_Info_create(out);
  for (uint32_t k = 0; k < n; k++) {
    char *key = get_string_at(env, keys, k);
    char *value = key ? get_string_at(env, values, k) : NULL;
    if (value != NULL) MPI_Info_set(*out, key, value);
    free(key);
    free(value);
    if (value == NULL) { MPI_Info_free(out); return 0; }
  }
  return 1;
}

/* fileOpen(comm, path, amode, hintKeys, hintValues) -> handle */
static napi_value js_file_open(napi_env env, napi_callback_info info) {
  ARGS(5);
  MPI_Comm comm;
  int32_t amode;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[2], &amode)) return NULL;
  char *path = get_string(env, argv[1]);
  if (path == NULL) return NULL;
  MPI_Info hints;
  if (!file_info(env, argv[3], argv[4], &hints)) { free(path); return NULL; }
  MPI_File fh;
  int rc = MPI_File_open(comm, path, file_amode(amode), hints, &fh);
  free(path);
  if (hints != MPI_INFO_NULL) MPI_Info_free(&hints);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_File_open"); return NULL; }
  MPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
  int h = file_add(fh);
  if (h < 0) { MPI_File_close(&fh); napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  return make_i32(env, h);
}

/* fileClose(handle) */
static napi_value js_file_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int h;
  if (!get_file(env, argv[0], &h)) return NULL;
  MPI_File fh = g_files[h].fh;
  g_files[h].fh = MPI_FILE_NULL;
  int rc = MPI_File_close(&fh);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_File_close"); return NULL; }
  return make_undefined(env);
}

/* fileDelete(path) */
static napi_value js_file_delete(napi_env env, napi_callback_info info) {
  ARGS(1);
  char *path = get_string(env, argv[0]);
  if (path == NULL) return NULL;
  int rc = MPI_File_delete(path, MPI_INFO_NULL);
  free(path);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_File_delete"); return NULL; }
  return make_undefined(env);
}

/* fileSetView(handle, disp, etype, filetype): etype and filetype are datatype.c handles; datarep "native". */
static napi_value js_file_set_view(napi_env env, napi_callback_info info) {
  ARGS(4);
  int h;
  MPI_Offset disp;
  MPI_Datatype etype, ftype;
  if (!get_file(env, argv[0], &h) || !get_offset(env, argv[1], &disp) || !get_utype(env, argv[2], &etype) ||
      !get_utype(env, argv[3], &ftype)) return NULL;
  int rc = MPI_File_set_view(g_files[h].fh, disp, etype, ftype, "native", MPI_INFO_NULL);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_File_set_view"); return NULL; }
  return make_undefined(env);
}

/* fileCtl(handle, kind, value) -> number: the small calls, by kind. */
enum {
  FC_SET_SIZE = 0, FC_GET_SIZE, FC_SYNC, FC_SET_ATOMICITY, FC_GET_ATOMICITY, FC_SEEK, FC_SEEK_SHARED,
  FC_GET_POSITION, FC_GET_POSITION_SHARED, FC_GET_BYTE_OFFSET
};
static napi_value js_file_ctl(napi_env env, napi_callback_info info) {
  ARGS(3);
  int h;
  int32_t kind;
  MPI_Offset value = 0, out = 0;
  if (!get_file(env, argv[0], &h) || !get_i32(env, argv[1], &kind)) return NULL;
  if (!is_nullish(env, argv[2]) && !get_offset(env, argv[2], &value)) return NULL;
  MPI_File fh = g_files[h].fh;
  int rc, flag = 0;
  const char *fn;
  switch (kind) {
    case FC_SET_SIZE: fn = "MPI_File_set_size"; rc = MPI_File_set_size(fh, value); break;
    case FC_GET_SIZE: fn = "MPI_File_get_size"; rc = MPI_File_get_size(fh, &out); break;
    case FC_SYNC: fn = "MPI_File_sync"; rc = MPI_File_sync(fh); break;
    case FC_SET_ATOMICITY: fn = "MPI_File_set_atomicity"; rc = MPI_File_set_atomicity(fh, value != 0); break;
    case FC_GET_ATOMICITY: fn = "MPI_File_get_atomicity"; rc = MPI_File_get_atomicity(fh, &flag); out = flag; break;
    case FC_SEEK: fn = "MPI_File_seek"; rc = MPI_File_seek(fh, value, MPI_SEEK_SET); break;
    case FC_SEEK_SHARED: fn = "MPI_File_seek_shared"; rc = MPI_File_seek_shared(fh, value, MPI_SEEK_SET); break;
    case FC_GET_POSITION: fn = "MPI_File_get_position"; rc = MPI_File_get_position(fh, &out); break;
    case FC_GET_POSITION_SHARED: fn = "MPI_File_get_position_shared"; rc = MPI_File_get_position_shared(fh, &out); break;
    case FC_GET_BYTE_OFFSET: fn = "MPI_File_get_byte_offset"; rc = MPI_File_get_byte_offset(fh, value, &out); break;
    default:
      napi_throw_error(env, "MPI_ERR_ARG", "mpi4ts_native: unknown file call");
      return NULL;
  }
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, fn); return NULL; }
  return make_f64(env, (double)out);
}

/* The blocking data-access calls: read at even indices, write at odd. */
typedef int (*file_at_fn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *);
typedef int (*file_fn)(MPI_File, void *, int, MPI_Datatype, MPI_Status *);
typedef int (*file_at_ifn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Request *);
typedef int (*file_ifn)(MPI_File, void *, int, MPI_Datatype, MPI_Request *);

/* Open MPI's and MPICH's write calls take const void *; the casts put both in one table. */
static const struct { const char *name; file_at_fn at; file_fn plain; } g_file_access[] = {
  {"MPI_File_read_at", MPI_File_read_at, NULL},
  {"MPI_File_write_at", (file_at_fn)MPI_File_write_at, NULL},
  {"MPI_File_read_at_all", MPI_File_read_at_all, NULL},
  {"MPI_File_write_at_all", (file_at_fn)MPI_File_write_at_all, NULL},
  {"MPI_File_read", NULL, MPI_File_read},
  {"MPI_File_write", NULL, (file_fn)MPI_File_write},
  {"MPI_File_read_all", NULL, MPI_File_read_all},
  {"MPI_File_write_all", NULL, (file_fn)MPI_File_write_all},
  {"MPI_File_read_shared", NULL, MPI_File_read_shared},
  {"MPI_File_write_shared", NULL, (file_fn)MPI_File_write_shared},
  {"MPI_File_read_ordered", NULL, MPI_File_read_ordered},
  {"MPI_File_write_ordered", NULL, (file_fn)MPI_File_write_ordered},
};
#define N_FILE_ACCESS ((int)(sizeof g_file_access / sizeof g_file_access[0]))

static const struct { const char *name; file_at_ifn at; file_ifn plain; } g_file_start[] = {
  {"MPI_File_iread_at", MPI_File_iread_at, NULL},
  {"MPI_File_iwrite_at", (file_at_ifn)MPI_File_iwrite_at, NULL},
  {"MPI_File_iread_at_all", MPI_File_iread_at_all, NULL},
  {"MPI_File_iwrite_at_all", (file_at_ifn)MPI_File_iwrite_at_all, NULL},
  {"MPI_File_iread", NULL, MPI_File_iread},
  {"MPI_File_iwrite", NULL, (file_ifn)MPI_File_iwrite},
  {"MPI_File_iread_all", NULL, MPI_File_iread_all},
  {"MPI_File_iwrite_all", NULL, (file_ifn)MPI_File_iwrite_all},
  {"MPI_File_iread_shared", NULL, MPI_File_iread_shared},
  {"MPI_File_iwrite_shared", NULL, (file_ifn)MPI_File_iwrite_shared},
};
#define N_FILE_START ((int)(sizeof g_file_start / sizeof g_file_start[0]))

/* The first arguments of every data access: the file handle argv[0] and the kind argv[1], an index below `kinds`
 * into the access's table (`what` names the table in the error). 0 after throwing. */
static int get_file_kind(napi_env env, napi_value *argv, int kinds, const char *what, int *h, int32_t *kind) {
  if (!get_file(env, argv[0], h) || !get_i32(env, argv[1], kind)) return 0;
  if (*kind < 0 || *kind >= kinds) {
    char message[80];
    snprintf(message, sizeof message, "mpi4ts_native: unknown %s", what);
    napi_throw_error(env, "MPI_ERR_ARG", message);
    return 0;
  }
  return 1;
}

/* The rest of an access that starts: the offset argv[2] when `positional`, the bytes argv[3] and their memory side
 * as a byte span (whose derived type, if `owned`, the caller frees once the call is made). 0 after throwing. */
static int get_access_data(napi_env env, napi_value *argv, int positional, MPI_Offset *offset, void **data, byte_span *span) {
  size_t len;
  if (positional && !get_offset(env, argv[2], offset)) return 0;
  if (!get_buf(env, argv[3], 0, data, &len, NULL)) return 0;
  int rc = span_of(len, span);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Type_create_struct"); return 0; }
  return 1;
}

/* The bytes an access moved, from its status, as a JS number. */
static napi_value bytes_moved(napi_env env, MPI_Status *st) {
  MPI_Count moved = 0;
  if (MPI_Get_elements_x(st, MPI_BYTE, &moved) != MPI_SUCCESS || moved == MPI_UNDEFINED || moved < 0) moved = 0;
  return make_f64(env, (double)moved);
}

/* The memory side as whole elements of `etype` (argv `v`: a fileTypeCreate handle, or null) when it is a predefined
 * type and the bytes are a whole number of them below INT_MAX, as mpi4py passes a buffer of the view's etype. Else
 * the span stays bytes. 0 after throwing. */
static int as_etype(napi_env env, napi_value v, byte_span *span) {
  if (is_nullish(env, v) || span->owned) return 1;
  MPI_Datatype t;
  if (!get_utype(env, v, &t)) return 0;
  int nints, naddrs, ntypes, combiner, bytes;
  if (MPI_Type_get_envelope(t, &nints, &naddrs, &ntypes, &combiner) != MPI_SUCCESS || combiner != MPI_COMBINER_NAMED ||
      MPI_Type_size(t, &bytes) != MPI_SUCCESS || bytes <= 1 || span->count % bytes != 0) return 1;
  span->count /= bytes;
  span->type = t;
  return 1;
}

/* fileAccess(handle, kind, offset, bytes, etype) -> bytes moved: the blocking call g_file_access[kind], the memory
 * side in elements of the view's etype where as_etype allows (null: bytes). */
static napi_value js_file_access(napi_env env, napi_callback_info info) {
  ARGS(5);
  int h;
  int32_t kind;
  MPI_Offset offset = 0;
  void *data;
  byte_span span;
  if (!get_file_kind(env, argv, N_FILE_ACCESS, "file access", &h, &kind) ||
      !get_access_data(env, argv, g_file_access[kind].at != NULL, &offset, &data, &span)) return NULL;
  if (!as_etype(env, argv[4], &span)) { if (span.owned) MPI_Type_free(&span.type); return NULL; }
  MPI_Status st;
  memset(&st, 0, sizeof st);
  int rc = g_file_access[kind].at != NULL ? g_file_access[kind].at(g_files[h].fh, offset, data, span.count, span.type, &st)
                                          : g_file_access[kind].plain(g_files[h].fh, data, span.count, span.type, &st);
  if (span.owned) MPI_Type_free(&span.type);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, g_file_access[kind].name); return NULL; }
  /* In bytes whatever the memory type: Open MPI and MPICH keep a status's count in bytes, and a read that stops inside
   * the last element has moved a part of one. */
  return bytes_moved(env, &st);
}

/* fileStart(handle, kind, offset, bytes) -> request id, RC_DONE or RC_ERROR: the I-form g_file_start[kind]. */
static napi_value js_file_start(napi_env env, napi_callback_info info) {
  ARGS(4);
  int h;
  int32_t kind;
  MPI_Offset offset = 0;
  void *data;
  byte_span span;
  if (!get_file_kind(env, argv, N_FILE_START, "file access", &h, &kind) ||
      !get_access_data(env, argv, g_file_start[kind].at != NULL, &offset, &data, &span)) return NULL;
  int id = slot_alloc();
  if (id < 0) {
    if (span.owned) MPI_Type_free(&span.type);
    napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
    return NULL;
  }
  MPI_Request req = MPI_REQUEST_NULL;
  int rc = g_file_start[kind].at != NULL ? g_file_start[kind].at(g_files[h].fh, offset, data, span.count, span.type, &req)
                                         : g_file_start[kind].plain(g_files[h].fh, data, span.count, span.type, &req);
  if (span.owned) MPI_Type_free(&span.type);
  return started(env, rc, &req, id, argv[3], argv[3]);
}

/* The split collectives (MPI-4.1 §14.4.5): read at even indices, write at odd. */
typedef int (*file_at_bfn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype);
typedef int (*file_bfn)(MPI_File, void *, int, MPI_Datatype);
typedef int (*file_efn)(MPI_File, void *, MPI_Status *);
static const struct { const char *begin, *end; file_at_bfn at; file_bfn plain; file_efn finish; } g_file_split[] = {
  {"MPI_File_read_at_all_begin", "MPI_File_read_at_all_end", MPI_File_read_at_all_begin, NULL, MPI_File_read_at_all_end},
  {"MPI_File_write_at_all_begin", "MPI_File_write_at_all_end", (file_at_bfn)MPI_File_write_at_all_begin, NULL,
   (file_efn)MPI_File_write_at_all_end},
  {"MPI_File_read_all_begin", "MPI_File_read_all_end", NULL, MPI_File_read_all_begin, MPI_File_read_all_end},
  {"MPI_File_write_all_begin", "MPI_File_write_all_end", NULL, (file_bfn)MPI_File_write_all_begin,
   (file_efn)MPI_File_write_all_end},
  {"MPI_File_read_ordered_begin", "MPI_File_read_ordered_end", NULL, MPI_File_read_ordered_begin,
   MPI_File_read_ordered_end},
  {"MPI_File_write_ordered_begin", "MPI_File_write_ordered_end", NULL, (file_bfn)MPI_File_write_ordered_begin,
   (file_efn)MPI_File_write_ordered_end},
};
#define N_FILE_SPLIT ((int)(sizeof g_file_split / sizeof g_file_split[0]))

/* fileBegin(handle, kind, offset, bytes): MPI_File_*_begin of g_file_split[kind]; `bytes` must stay alive until fileEnd. */
static napi_value js_file_begin(napi_env env, napi_callback_info info) {
  ARGS(4);
  int h;
  int32_t kind;
  MPI_Offset offset = 0;
  void *data;
  byte_span span;
  if (!get_file_kind(env, argv, N_FILE_SPLIT, "split collective", &h, &kind) ||
      !get_access_data(env, argv, g_file_split[kind].at != NULL, &offset, &data, &span)) return NULL;
  int rc = g_file_split[kind].at != NULL ? g_file_split[kind].at(g_files[h].fh, offset, data, span.count, span.type)
                                         : g_file_split[kind].plain(g_files[h].fh, data, span.count, span.type);
  /* A datatype in use by a pending operation may be freed (MPI-4.1 §5.1.9): it lives until the operation ends. */
  if (span.owned) MPI_Type_free(&span.type);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, g_file_split[kind].begin); return NULL; }
  return make_undefined(env);
}

/* fileEnd(handle, kind, bytes) -> bytes moved: MPI_File_*_end of g_file_split[kind], `bytes` as given to fileBegin. */
static napi_value js_file_end(napi_env env, napi_callback_info info) {
  ARGS(3);
  int h;
  int32_t kind;
  void *data;
  size_t len;
  if (!get_file_kind(env, argv, N_FILE_SPLIT, "split collective", &h, &kind) ||
      !get_buf(env, argv[2], 0, &data, &len, NULL)) return NULL;
  MPI_Status st;
  memset(&st, 0, sizeof st);
  int rc = g_file_split[kind].finish(g_files[h].fh, data, &st);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, g_file_split[kind].end); return NULL; }
  return bytes_moved(env, &st);
}

/* fileTypeCreate(disps, counts, basics, lb, extent) -> handle: typeCreate's typemap (blocks of basic elements at
 * byte displacements, resized to lb and extent) built as compact as the library can take it, for file views. Blocks
 * of one basic type at a constant stride with one count (a subarray of 2D, a vector) are one MPI_Type_create_hvector,
 * other blocks of one basic type one MPI_Type_create_hindexed, mixed types a struct as in typeCreate, and one basic
 * element the predefined type itself. Open MPI's
 * MPI_File_set_view takes a struct of n blocks about ten times slower than the vector of the same typemap (ompio
 * walks its description when it flattens the view). The handle is one of datatype.c's: fileTypeFree frees it. */
static napi_value js_file_type_create(napi_env env, napi_callback_info info) {
  ARGS(5);
  double lbd, extd;
  CHECK(env, napi_get_value_double(env, argv[3], &lbd));
  CHECK(env, napi_get_value_double(env, argv[4], &extd));
  typemap_blocks b;
  napi_value result = NULL;
  MPI_Datatype inner = MPI_DATATYPE_NULL, shifted = MPI_DATATYPE_NULL, resized = MPI_DATATYPE_NULL;
  const char *fn = "MPI_Type_create_struct";
  if (!get_blocks(env, argv, &b)) goto out;
  const uint32_t n = b.n;
  const int *lens = b.lens;
  const MPI_Aint *disps = b.disps;
  const MPI_Datatype *types = b.types;
  int same = 1, regular = n >= 2;
  for (uint32_t k = 1; k < n; k++) {
    if (types[k] != types[0]) same = 0;
    if (lens[k] != lens[0]) regular = 0;
    if (k > 1 && disps[k] - disps[k - 1] != disps[1] - disps[0]) regular = 0;
  }
  int rc;
  MPI_Aint basic_lb, basic_extent;
  if (n == 1 && lens[0] == 1 && disps[0] == 0 && MPI_Type_get_extent(types[0], &basic_lb, &basic_extent) == MPI_SUCCESS &&
      basic_lb == 0 && (MPI_Aint)lbd == 0 && (MPI_Aint)extd == basic_extent) {
    /* One basic element: the predefined type itself. Open MPI's ompio reads and writes a view whose etype and filetype
     * are one predefined type as one contiguous run; any derived type of the same typemap, as a run of separate
     * elements (a 32 KiB Write_all of MPI_INT took 200 ms instead of 2). fileTypeFree does not free it. */
    int id = utype_add(types[0]);
    if (id < 0) {
      napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
      goto out;
    }
    result = make_i32(env, id);
    goto out;
  }
  if (n > 0 && same && regular) {
    /* The vector starts at byte 0: a struct of one block moves it to the first block's displacement. */
    fn = "MPI_Type_create_hvector";
    rc = MPI_Type_create_hvector((int)n, lens[0], disps[1] - disps[0], types[0], &inner);
    if (rc == MPI_SUCCESS) {
      int one = 1;
      fn = "MPI_Type_create_struct";
      rc = MPI_Type_create_struct(1, &one, &disps[0], &inner, &shifted);
    }
  } else if (n > 0 && same) {
    fn = "MPI_Type_create_hindexed";
    rc = MPI_Type_create_hindexed((int)n, lens, disps, types[0], &shifted);
  } else {
    rc = MPI_Type_create_struct((int)n, lens, disps, types, &shifted);
  }
  if (rc == MPI_SUCCESS) {
    fn = "MPI_Type_create_resized";
    rc = MPI_Type_create_resized(shifted, (MPI_Aint)lbd, (MPI_Aint)extd, &resized);
  }
  if (rc == MPI_SUCCESS) {
    fn = "MPI_Type_commit";
    rc = MPI_Type_commit(&resized);
  }
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, fn);
    goto out;
  }
  int id = utype_add(resized);
  if (id < 0) {
    napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
    goto out;
  }
  resized = MPI_DATATYPE_NULL;
  result = make_i32(env, id);
out:
  if (inner != MPI_DATATYPE_NULL) MPI_Type_free(&inner);
  if (shifted != MPI_DATATYPE_NULL) MPI_Type_free(&shifted);
  if (resized != MPI_DATATYPE_NULL) MPI_Type_free(&resized);
  free_blocks(&b);
  return result;
}

/* fileTypeFree(handle): frees a type of fileTypeCreate (a predefined one only leaves the table). */
static napi_value js_file_type_free(napi_env env, napi_callback_info info) {
  ARGS(1);
  MPI_Datatype t;
  int32_t i;
  if (!get_utype(env, argv[0], &t) || !get_i32(env, argv[0], &i)) return NULL;
  int nints, naddrs, ntypes, combiner;
  if (MPI_Type_get_envelope(t, &nints, &naddrs, &ntypes, &combiner) == MPI_SUCCESS && combiner != MPI_COMBINER_NAMED)
    MPI_Type_free(&g_utypes[i]);
  g_utypes[i] = MPI_DATATYPE_NULL;
  return make_undefined(env);
}

/* typesLive() -> how many datatypes of datatype.c's typeCreate are not freed: file views own theirs and free
 * them when the view is replaced and at close, which tests check by this count. */
static napi_value js_types_live(napi_env env, napi_callback_info info) {
  (void)info;
  int live = 0;
  for (int i = 0; i < g_nutypes; i++)
    if (g_utypes[i] != MPI_DATATYPE_NULL) live++;
  return make_i32(env, live);
}
