/*
 * Process topologies and neighbourhood collectives through MPI's own calls
 * (MPI-4.1 §8.5.1 MPI_Cart_create, §8.5.4 MPI_Dist_graph_create_adjacent,
 * §8.7 MPI_Ineighbor_alltoallv). Compiled as part of mpi4ts_native.c (it is
 * #included there, just before init), so it uses that file's helpers: ARGS,
 * get_comm, get_buf, slot_alloc / started for requests, throw_mpi,
 * new_comm_handle.
 *
 *   topoCart(comm, dims: Int32Array, periods: Int32Array) -> handle
 *       MPI_Cart_create without reordering, over the first prod(dims) ranks;
 *       -1 on the ranks left out. Blocking, collective.
 *   topoDistGraph(comm, sources: Int32Array, destinations: Int32Array) -> handle
 *       MPI_Dist_graph_create_adjacent, unweighted, without reordering.
 *   ineighborAlltoallv(comm, send, recv, sendCounts, sendDispls, recvCounts, recvDispls)
 *       -> request id / RC_DONE / RC_ERROR; counts and displacements in bytes,
 *       one per destination (send) and per source (recv) of the topology.
 */

/* Reads an Int32Array of any length: its entries and their number. */
static int topo_ints(napi_env env, napi_value v, int **out, int *n) {
  void *data;
  size_t len;
  if (!get_buf(env, v, 0, &data, &len, NULL)) return 0;
  *out = (int *)data;
  *n = (int)(len / sizeof(int));
  return 1;
}

static napi_value js_topo_cart(napi_env env, napi_callback_info info) {
  ARGS(3);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int *dims, *periods, ndims, np;
  if (!get_comm(env, argv[0], &comm) || !topo_ints(env, argv[1], &dims, &ndims) ||
      !topo_ints(env, argv[2], &periods, &np))
    return NULL;
  if (np != ndims) {
    napi_throw_range_error(env, NULL, "mpi4ts_native: dims and periods differ in length");
    return NULL;
  }
  int rc = MPI_Cart_create(comm, ndims, dims, periods, 0, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Cart_create"); return NULL; }
  if (out == MPI_COMM_NULL) return make_i32(env, -1);
  return new_comm_handle(env, out);
}

static napi_value js_topo_dist_graph(napi_env env, napi_callback_info info) {
  ARGS(3);
  MPI_Comm comm, out = MPI_COMM_NULL;
  int *sources, *destinations, indegree, outdegree;
  if (!get_comm(env, argv[0], &comm) || !topo_ints(env, argv[1], &sources, &indegree) ||
      !topo_ints(env, argv[2], &destinations, &outdegree))
    return NULL;
  int rc = MPI_Dist_graph_create_adjacent(comm, indegree, sources, MPI_UNWEIGHTED, outdegree, destinations,
                                          MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &out);
  if (rc != MPI_SUCCESS) { throw_mpi(env, rc, "MPI_Dist_graph_create_adjacent"); return NULL; }
  return new_comm_handle(env, out);
}

static napi_value js_ineighbor_alltoallv(napi_env env, napi_callback_info info) {
  ARGS(7);
  MPI_Comm comm;
  void *sbuf, *rbuf;
  size_t slen, rlen;
  int *counts[4], n[4];
  if (!get_comm(env, argv[0], &comm) || !get_buf(env, argv[1], 0, &sbuf, &slen, NULL) ||
      !get_buf(env, argv[2], 0, &rbuf, &rlen, NULL))
    return NULL;
  for (int k = 0; k < 4; k++)
    if (!topo_ints(env, argv[3 + k], &counts[k], &n[k])) return NULL;
  int indegree = 0, outdegree = 0, weighted = 0, kind = MPI_UNDEFINED;
  MPI_Topo_test(comm, &kind);
  if (kind == MPI_CART) {
    int ndims = 0;
    MPI_Cartdim_get(comm, &ndims);
    indegree = outdegree = 2 * ndims;
  } else if (kind == MPI_DIST_GRAPH) {
    MPI_Dist_graph_neighbors_count(comm, &indegree, &outdegree, &weighted);
  } else {
    napi_throw_error(env, "MPI_ERR_TOPOLOGY", "mpi4ts_native: ineighborAlltoallv needs a cart or dist graph communicator");
    return NULL;
  }
  if (n[0] != outdegree || n[1] != outdegree || n[2] != indegree || n[3] != indegree) {
    napi_throw_range_error(env, NULL, "mpi4ts_native: one count and displacement per neighbour");
    return NULL;
  }
  for (int i = 0; i < outdegree; i++)
    if (counts[0][i] < 0 || counts[1][i] < 0 || (size_t)counts[0][i] + (size_t)counts[1][i] > slen) goto outside;
  for (int i = 0; i < indegree; i++)
    if (counts[2][i] < 0 || counts[3][i] < 0 || (size_t)counts[2][i] + (size_t)counts[3][i] > rlen) goto outside;
  int id = slot_alloc();
  if (id < 0) { napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  /* MPI reads the counts until completion: the slot owns a copy. */
  int *block = malloc((size_t)(2 * outdegree + 2 * indegree) * sizeof(int) + 1);
  if (!block) { slot_release(env, id); napi_throw_error(env, "MPI_ERR_NO_MEM", "mpi4ts_native: out of memory"); return NULL; }
  int *own[4], at = 0;
  for (int k = 0; k < 4; k++) {
    own[k] = block + at;
    memcpy(own[k], counts[k], (size_t)n[k] * sizeof(int));
    at += n[k];
  }
  g_slots[id].ints = block;
  MPI_Request req;
  int rc = MPI_Ineighbor_alltoallv(sbuf, own[0], own[1], MPI_BYTE, rbuf, own[2], own[3], MPI_BYTE, comm, &req);
  return started(env, rc, &req, id, argv[1], argv[2]);
outside:
  napi_throw_range_error(env, "MPI_ERR_COUNT", "mpi4ts_native: a block lies outside its buffer");
  return NULL;
}
