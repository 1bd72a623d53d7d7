/*
 * Dynamic processes (MPI-4.1 §11.8.2): MPI_Comm_disconnect. Compiled as part
 * of mpi4ts_native.c (included just before init), so it uses its helpers.
 *
 * commDisconnect(comm): waits for the communication pending on comm, then
 * frees it. Collective over both groups of an intercommunicator; call it
 * after a nonblocking barrier, so that it only waits briefly.
 */
static napi_value js_comm_disconnect(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t h;
  if (!get_i32(env, argv[0], &h)) return NULL;
  if (h < 2 || h >= g_ncomms || g_comms[h] == MPI_COMM_NULL) {
    napi_throw_error(env, "MPI_ERR_COMM", "mpi4ts_native: cannot disconnect this communicator");
    return NULL;
  }
  int rc = MPI_Comm_disconnect(&g_comms[h]);
  g_comms[h] = MPI_COMM_NULL;
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Comm_disconnect"); return NULL; }
  return make_undefined(env);
}
