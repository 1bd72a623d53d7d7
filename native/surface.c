/*
 * Point-to-point and environment calls of the "surface" part of the binding,
 * compiled as part of mpi4ts_native.c (included just before init, so it sees
 * the static helpers: ARGS, CHECK, get_slot, g_slots, slot_release, get_comm,
 * throw_mpi, make_bool, make_i32, make_undefined).
 *
 * MPI-4.1 §3.8.4 (MPI_Cancel, MPI_Test_cancelled), §7.7.2 and §11.10.1
 * (predefined attributes of MPI_COMM_WORLD: MPI_TAG_UB, MPI_HOST, MPI_IO,
 * MPI_WTIME_IS_GLOBAL, MPI_UNIVERSE_SIZE, MPI_APPNUM), §11.2.1
 * (MPI_Is_thread_main).
 *
 * Unfinished: attributes of communicators other than the predefined ones are
 * kept in JS (src/api/attributes.ts), not in MPI.
 */

/* cancel(id) -> boolean: MPI_Cancel on a pending request, then MPI_Wait
 * (which completes at once once cancelled). True when it was cancelled: the
 * slot is gone. False when the operation had completed instead: the slot is
 * done, and test(id) writes its status and frees it as usual. */
static napi_value js_cancel(napi_env env, napi_callback_info info) {
  ARGS(1);
  int id;
  if (!get_slot(env, argv[0], &id)) return NULL;
  slot_t *s = &g_slots[id];
  if (s->state != SLOT_PENDING) return make_bool(env, 0);
  int rc = MPI_Cancel(&s->req);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Cancel");
    return NULL;
  }
  rc = MPI_Wait(&s->req, &s->status);
  s->error = rc;
  s->state = SLOT_DONE;
  int flag = 0;
  if (rc == MPI_SUCCESS) MPI_Test_cancelled(&s->status, &flag);
  if (flag) slot_release(env, id);
  return make_bool(env, flag);
}

/* worldAttribute(name) -> number | boolean | undefined: a predefined attribute
 * of MPI_COMM_WORLD ("TAG_UB", "HOST", "IO", "WTIME_IS_GLOBAL",
 * "UNIVERSE_SIZE", "APPNUM"); undefined when the library does not set it. */
static napi_value js_world_attribute(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[32];
  size_t len = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len));
  int keyval;
  if (!strcmp(name, "TAG_UB")) keyval = MPI_TAG_UB;
  else if (!strcmp(name, "HOST")) keyval = MPI_HOST;
  else if (!strcmp(name, "IO")) keyval = MPI_IO;
  else if (!strcmp(name, "WTIME_IS_GLOBAL")) keyval = MPI_WTIME_IS_GLOBAL;
  else if (!strcmp(name, "UNIVERSE_SIZE")) keyval = MPI_UNIVERSE_SIZE;
  else if (!strcmp(name, "APPNUM")) keyval = MPI_APPNUM;
  else return make_undefined(env);
  int *value = NULL, flag = 0;
  int rc = MPI_Comm_get_attr(MPI_COMM_WORLD, keyval, &value, &flag);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Comm_get_attr");
    return NULL;
  }
  if (!flag || value == NULL) return make_undefined(env);
  return make_i32(env, *value);
}

/* isThreadMain() -> boolean: MPI_Is_thread_main. */
static napi_value js_is_thread_main(napi_env env, napi_callback_info info) {
  (void)info;
  ENTER(env);
  int flag = 0;
  int rc = MPI_Is_thread_main(&flag);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, rc, "MPI_Is_thread_main");
    return NULL;
  }
  return make_bool(env, flag);
}
