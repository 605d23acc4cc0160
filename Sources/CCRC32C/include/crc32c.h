#ifndef CHAT_CRC32C_H
#define CHAT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU computes CRC-32C in hardware (x86-64 SSE 4.2).
int chat_crc32c_hardware_available(void);

/// Extends a raw (not inverted) CRC-32C state over `length` bytes with the CPU's crc32
/// instruction. Only call it when chat_crc32c_hardware_available() returned 1.
uint32_t chat_crc32c_hardware_extend(uint32_t state, const uint8_t *bytes, size_t length);

#endif
