// OpenSSL's libcrypto from Debian's libssl-dev: SHA-256 for media ids, HMAC-SHA256 for
// session tokens, PBKDF2 for passwords, and the system's random bytes.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
