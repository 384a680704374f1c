/* Stand-in for the macOS SDK's TargetConditionals.h, used only by `cargo check --target
   *-apple-darwin` on Linux (.ci/check-targets): ring's C code asks it which Apple OS it is built
   for. The objects built with it are never linked. */
#ifndef SSOFRESH_CROSS_TARGETCONDITIONALS_H
#define SSOFRESH_CROSS_TARGETCONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
#endif
