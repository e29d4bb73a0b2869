# SPDX-License-Identifier: Apache-2.0
# Intel DCAP evidence: SGX ECDSA quote v3, TDX quote v4/v5 (parser, claims) and the
# verifier (PCK chain + SGX extension, CRLs, TCB Info, QE Identity, TCB evaluation).
teectl_area(teectl_dcap
  SOURCES evidence/dcap_quote.c verifier/dcap_pck.c verifier/dcap_tcb_info.c
          verifier/dcap_verify.c verifier/dcap_endorsements.c verifier/dcap_chain.c
          verifier/dcap_collateral.c verifier/dcap_cache.c
          verifier/dcap_json.c verifier/dcap_tcb_eval.c
  DEPS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
