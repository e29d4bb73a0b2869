/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the reason codes every area shares, one spelling each (private header).
 *
 * A tc_error's reason is a stable snake_case code (teectl/error.h). Codes that belong to
 * one area (an SNP check, a KBS rule) are documented with that area; the ones below mean
 * the same thing wherever they occur, so they are spelled once here and nowhere else is a
 * synonym invented: write the code as a string literal, as everywhere else. scripts/lint.sh
 * refuses the retired spellings listed below anywhere in src/ as quoted strings. The HTTP
 * error bodies of docs/service.md and docs/kbs.md use the same codes.
 *
 *   code                 status           meaning
 *   out_of_memory        TC_ERR_NOMEM     an allocation failed (detail: what)
 *   internal_error       TC_ERR_INTERNAL  a library call failed unexpectedly: a digest, a
 *                                         MAC, a cipher, the random source, an encoder
 *   bad_argument         TC_ERR_USAGE     a caller passed a value outside the contract
 *   bad_option           TC_ERR_USAGE     a command-line or configuration option is wrong
 *   file_unreadable      TC_ERR_IO        a named file cannot be read (detail: path, errno)
 *   file_unwritable      TC_ERR_IO        a named file cannot be written
 *   file_not_regular     TC_ERR_IO        a path that must be a regular file is not
 *   cert_unparsable      TC_ERR_PARSE     bytes that must be an X.509 certificate are not
 *   crl_unparsable       TC_ERR_PARSE     bytes that must be an X.509 CRL are not
 *   tee_unsupported      TC_ERR_USAGE     a TEE kind this operation does not handle
 */
#ifndef TEECTL_CORE_REASON_H
#define TEECTL_CORE_REASON_H

/* Retired spellings of the codes above (scripts/lint.sh reads this list: one entry per
 * line, "retired" -> code):
 *   "nomem"            -> out_of_memory
 *   "oom"              -> out_of_memory
 *   "internal"         -> internal_error
 *   "crypto_failed"    -> internal_error
 *   "digest_failed"    -> internal_error
 *   "hmac_failed"      -> internal_error
 *   "hkdf_failed"      -> internal_error
 *   "seal_failed"      -> internal_error
 *   "random_failed"    -> internal_error
 *   "thumbprint_failed" -> internal_error
 *   "unsupported_tee"  -> tee_unsupported
 */

#endif
