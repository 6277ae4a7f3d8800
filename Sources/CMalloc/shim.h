// glibc's allocator settings (mallopt), for the daemon's start (Sources/cdcd/Commands/AllocatorTuning.swift).
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
