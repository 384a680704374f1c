/* ProcessPrng, the one function Rust's standard library (1.78 and later) and getrandom import
 * from bcryptprimitives.dll. Wine 8 (Debian 12's) has no such DLL, so no Rust program starts
 * under it; Wine 9 has one. This stand-in, built with mingw-w64 into the test prefix only, takes
 * the bytes from RtlGenRandom (advapi32's SystemFunction036), which Wine implements. Never
 * shipped: the real Windows has the real DLL. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
