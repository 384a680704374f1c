/* Stand-in for the MSVC CRT's stdlib.h, used only by `cargo check --target *-windows-msvc` on
   Linux (.ci/check-targets). ring includes it under _MSC_VER for `_byteswap_ulong`, which
   clang-cl provides as a builtin. The objects built with it are never linked. */
