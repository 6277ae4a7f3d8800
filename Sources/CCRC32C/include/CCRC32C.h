#ifndef CDCD_CCRC32C_H
#define CDCD_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC-32C instruction (x86-64 SSE4.2, or AArch64 CRC32), else 0.
int cdcd_crc32c_hardware_available(void);

/// Continues the raw (not inverted) CRC-32C register `crc` over `count` bytes with the CPU's
/// instruction. Only call it when `cdcd_crc32c_hardware_available()` returned 1.
uint32_t cdcd_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
