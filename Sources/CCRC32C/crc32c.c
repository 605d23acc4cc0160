// CRC-32C with the SSE 4.2 crc32 instruction: eight bytes per instruction, against about one
// byte per table lookup in software. The record batch checksum is the broker's hottest loop.
#include "crc32c.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

int chat_crc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t chat_crc32c_hardware_extend(uint32_t state, const uint8_t *bytes, size_t length) {
    uint64_t wide = state;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, sizeof word);
        wide = __builtin_ia32_crc32di(wide, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (length > 0) {
        narrow = __builtin_ia32_crc32qi(narrow, *bytes);
        bytes += 1;
        length -= 1;
    }
    return narrow;
}

#else

int chat_crc32c_hardware_available(void) { return 0; }

uint32_t chat_crc32c_hardware_extend(uint32_t state, const uint8_t *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return state;
}

#endif
