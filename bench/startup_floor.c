/* SPDX-License-Identifier: Apache-2.0 */
/* The floor of bench_startup: a program that only initialises OpenSSL's libcrypto (loading
 * its configuration, as any program using it does) and exits. */
#include <openssl/crypto.h>

int main(void) {
  return OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1 ? 0 : 1;
}
