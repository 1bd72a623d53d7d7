/*
 * Client/server connections and the rest of process creation (MPI-4.1
 * §11.8.3 MPI_Comm_spawn_multiple, §11.9 MPI_Open_port, MPI_Close_port,
 * MPI_Comm_accept, MPI_Comm_connect, MPI_Publish_name, MPI_Unpublish_name,
 * MPI_Lookup_name, §11.10.5 MPI_Comm_join). Compiled as part of
 * mpi4ts_native.c (included just before init, so it uses its helpers:
 * ARGS, CHECK, get_comm, get_i32, get_string, new_comm_handle, throw_mpi).
 *
 * The blocking calls (accept, connect, join, spawn_multiple) block the JS
 * thread: the JS side runs a nonblocking barrier over the local group first.
 *
 * Unfinished: info arguments are passed as MPI_INFO_NULL (spawn_multiple
 * sets "wdir" only).
 */

#include <fcntl.h>

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  CHECK(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v));
  return v;
}

/* openPort() -> port name (MPI_Open_port). */
static napi_value js_open_port(napi_env env, napi_callback_info info) {
  (void)info;
  ENTER(env);
  char port[MPI_MAX_PORT_NAME + 1] = {0};
  int rc = MPI_Open_port(MPI_INFO_NULL, port);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Open_port"); return NULL; }
  return make_string(env, port);
}

/* closePort(name) (MPI_Close_port). */
static napi_value js_close_port(napi_env env, napi_callback_info info) {
  ARGS(1);
  char *port = get_string(env, argv[0]);
  if (!port) return NULL;
  int rc = MPI_Close_port(port);
  free(port);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Close_port"); return NULL; }
  return make_undefined(env);
}

/* publishName(service, port, publish): MPI_Publish_name, or MPI_Unpublish_name when publish is false. */
static napi_value js_publish_name(napi_env env, napi_callback_info info) {
  ARGS(3);
  bool publish = true;
  CHECK(env, napi_get_value_bool(env, argv[2], &publish));
  char *service = get_string(env, argv[0]);
  char *port = service ? get_string(env, argv[1]) : NULL;
  if (!service || !port) { free(service); return NULL; }
  int rc = publish ? MPI_Publish_name(service, MPI_INFO_NULL, port) : MPI_Unpublish_name(service, MPI_INFO_NULL, port);
  free(service);
  free(port);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, publish ? "MPI_Publish_name" : "MPI_Unpublish_name"); return NULL; }
  return make_undefined(env);
}

/* lookupName(service) -> port name (MPI_Lookup_name). */
static napi_value js_lookup_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  char *service = get_string(env, argv[0]);
  if (!service) return NULL;
  char port[MPI_MAX_PORT_NAME + 1] = {0};
  int rc = MPI_Lookup_name(service, MPI_INFO_NULL, port);
  free(service);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Lookup_name"); return NULL; }
  return make_string(env, port);
}

/* commAcceptConnect(comm, port, root, accept) -> handle of the intercommunicator
 * (MPI_Comm_accept when accept is true, else MPI_Comm_connect); port matters at root. */
static napi_value js_comm_accept_connect(napi_env env, napi_callback_info info) {
  ARGS(4);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int32_t root;
  bool accept = true;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[2], &root)) return NULL;
  CHECK(env, napi_get_value_bool(env, argv[3], &accept));
  char *port = get_string(env, argv[1]);
  if (!port) return NULL;
  int rc = accept ? MPI_Comm_accept(port, MPI_INFO_NULL, root, comm, &out)
                  : MPI_Comm_connect(port, MPI_INFO_NULL, root, comm, &out);
  free(port);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, accept ? "MPI_Comm_accept" : "MPI_Comm_connect"); return NULL; }
  return new_comm_handle(env, out);
}

/* commJoin(fd) -> handle of the intercommunicator over a connected socket
 * (MPI_Comm_join). The MPI library reads and writes the socket with blocking
 * calls, so a non-blocking descriptor (Node's sockets are) is made blocking
 * for the call and restored after. */
static napi_value js_comm_join(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  MPI_Comm out = MPI_COMM_NULL;
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int rc = MPI_Comm_join(fd, &out);
  if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_join"); return NULL; }
  return new_comm_handle(env, out);
}

/*
 * commSpawnMultiple(comm, command, argvs: string[][], maxprocs: number[], root, wdir)
 * -> handle of the intercommunicator to the children (MPI_Comm_spawn_multiple):
 * every program runs `command` with its argv. Blocking and collective over
 * comm; the arguments matter at root.
 */
static napi_value js_comm_spawn_multiple(napi_env env, napi_callback_info info) {
  ARGS(6);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int32_t root;
  if (!get_comm(env, argv[0], &comm) || !get_i32(env, argv[4], &root)) return NULL;
  uint32_t count = 0;
  CHECK(env, napi_get_array_length(env, argv[2], &count));
  char *command = get_string(env, argv[1]);
  char *wdir = get_string(env, argv[5]);
  char **commands = calloc(count + 1, sizeof(char *));
  char ***argvs = calloc(count + 1, sizeof(char **));
  int *maxprocs = calloc(count + 1, sizeof(int));
  MPI_Info *infos = calloc(count + 1, sizeof(MPI_Info));
  int ok = command && wdir && commands && argvs && maxprocs && infos;
  int total = 0;
  for (uint32_t i = 0; ok && i < count; i++) {
    napi_value list, n;
    uint32_t nargs = 0;
    commands[i] = command;
    ok = napi_get_element(env, argv[2], i, &list) == napi_ok && napi_get_array_length(env, list, &nargs) == napi_ok &&
         napi_get_element(env, argv[3], i, &n) == napi_ok && get_i32(env, n, &maxprocs[i]) &&
         (argvs[i] = calloc(nargs + 1, sizeof(char *))) != NULL;
    for (uint32_t j = 0; ok && j < nargs; j++) {
      napi_value a;
      ok = napi_get_element(env, list, j, &a) == napi_ok && (argvs[i][j] = get_string(env, a)) != NULL;
    }
    if (ok) {
      total += maxprocs[i] > 0 ? maxprocs[i] : 0;
      MPI_Info_create(&infos[i]);
      MPI_Info_set(infos[i], "wdir", wdir);
    }
  }
  int *errcodes = ok ? calloc((size_t)(total > 0 ? total : 1), sizeof(int)) : NULL;
  napi_value result = NULL;
  if (ok && errcodes) {
    int me = 0;
    MPI_Comm_rank(comm, &me);
    int rc = MPI_Comm_spawn_multiple((int)count, commands, argvs, maxprocs, infos, root, comm, &out,
                                     me == root ? errcodes : MPI_ERRCODES_IGNORE);
    if (rc == MPI_SUCCESS) {
      for (int i = 0; me == root && i < total; i++)
        if (errcodes[i] != MPI_SUCCESS) { rc = errcodes[i]; break; }
    }
    if (rc != MPI_SUCCESS) {
      if (out != MPI_COMM_NULL) MPI_Comm_free(&out);
      throw_mpi(env, rc, "MPI_Comm_spawn_multiple");
    } else {
      result = new_comm_handle(env, out);
    }
  } else {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory");
  }
  for (uint32_t i = 0; i < count; i++) {
    if (infos && infos[i] != MPI_INFO_NULL && infos[i] != 0) MPI_Info_free(&infos[i]);
    for (char **a = argvs ? argvs[i] : NULL; a && *a; a++) free(*a);
    if (argvs) free(argvs[i]);
  }
  free(commands);
  free(argvs);
  free(maxprocs);
  free(infos);
  free(errcodes);
  free(command);
  free(wdir);
  return result;
}
