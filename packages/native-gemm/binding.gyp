{
  "targets": [
    {
      "target_name": "native_gemm",
      "sources": ["src/native_gemm.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
