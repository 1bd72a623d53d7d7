{
  # The native `mpi` transport of mpi4ts. Built by scripts/build-mpi.mjs
  # (`npx mpi4ts build-mpi`), which also answers the MPI flags below; running
  # `node-gyp rebuild` in this directory works too when mpicc is on PATH.
  "targets": [
    {
      "target_name": "mpi4ts_native",
      "sources": ["mpi4ts_native.c"],
      "cflags": ["-std=gnu11", "-O2", "<!@(node ../scripts/build-mpi.mjs --print=cflags)"],
      "libraries": ["<!@(node ../scripts/build-mpi.mjs --print=libs)"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "OTHER_CFLAGS": ["<!@(node ../scripts/build-mpi.mjs --print=cflags)"],
            "OTHER_LDFLAGS": ["<!@(node ../scripts/build-mpi.mjs --print=libs)"]
          }
        }]
      ]
    }
  ]
}
