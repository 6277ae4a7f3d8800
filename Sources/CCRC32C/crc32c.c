// CRC-32C (Castagnoli) with the CPU's instruction: SSE4.2 `crc32` on x86-64, `crc32c*` on AArch64.
// The portable table-driven version is in Swift (Capture/Stream/CRC32C.swift) and is used when this
// reports no hardware support.
#include "CCRC32C.h"
#include <string.h>

#if defined(__x86_64__)

int cdcd_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t cdcd_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t c = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        count--;
    }
    return c32;
}

#elif defined(__aarch64__) && defined(__linux__)

#include <sys/auxv.h>
#include <asm/hwcap.h>

int cdcd_crc32c_hardware_available(void) {
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) ? 1 : 0;
}

__attribute__((target("crc")))
uint32_t cdcd_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __builtin_aarch64_crc32cx(crc, word);
        p += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __builtin_aarch64_crc32cb(crc, *p);
        p++;
        count--;
    }
    return crc;
}

#else

int cdcd_crc32c_hardware_available(void) { return 0; }

uint32_t cdcd_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif
