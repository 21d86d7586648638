{
  # One static library per instruction set (gyp has no per-file flags), linked into one addon.
  # CMakeLists.txt lists the same sources and flags; test/build-lists.test.ts checks they agree.
  # `node-gyp rebuild --openmp=false` builds without OpenMP (single-threaded, same results).
  "variables": {
    "openmp%": "true"
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden"],
    "cflags!": ["-fno-exceptions"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CPLUSPLUSFLAGS": ["-O3"]
    },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } },
    "conditions": [
      ["target_arch=='x64' or target_arch=='ia32'", { "defines": ["NONLOCAL_HAVE_X86_KERNELS"] }],
      ["target_arch=='arm64'", { "defines": ["NONLOCAL_HAVE_NEON_KERNELS"] }]
    ]
  },
  "targets": [
    {
      "target_name": "nonlocal_affinity",
      "sources": [
        "native/addon.cc",
        "native/binding/aligned_array_binding.cc",
        "native/binding/attention_args.cc",
        "native/binding/attention_binding.cc",
        "native/binding/block_args.cc",
        "native/binding/block_binding.cc",
        "native/binding/info_binding.cc",
        "native/binding/kernel_threads.cc",
        "native/binding/tensor_args.cc",
        "native/binding/test_hooks.cc",
        "native/kernel/attention.cc",
        "native/kernel/block.cc",
        "native/kernel/gemm.cc",
        "native/kernel/dispatch.cc",
        "native/kernel/peak.cc",
        "native/kernel/cache_info.cc",
        "native/kernel/runtime/memory_advice.cc",
        "native/kernel/runtime/scratch_arena.cc",
        "native/kernel/isa/isa_scalar.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"
      ],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": ["nonlocal_kernel_avx2", "nonlocal_kernel_avx512"]
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["nonlocal_kernel_neon"]
        }],
        ["openmp=='true' and OS=='linux'", {
          "cflags_cc": ["-fopenmp"],
          "ldflags": ["-fopenmp"]
        }],
        ["openmp=='true' and OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "OpenMP": "true" } }
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "nonlocal_kernel_avx2",
          "type": "static_library",
          "sources": ["native/kernel/isa/isa_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx2", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] } }
        },
        {
          "target_name": "nonlocal_kernel_avx512",
          "type": "static_library",
          "sources": ["native/kernel/isa/isa_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mfma", "-Wno-maybe-uninitialized"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx512f", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] } }
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "nonlocal_kernel_neon",
          "type": "static_library",
          "sources": ["native/kernel/isa/isa_neon.cc"]
        }
      ]
    }]
  ]
}
