/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence through the guest drivers' ioctls, for kernels without configfs-tsm:
 *  - /dev/sev-guest (linux/sev-guest.h): SNP_GET_EXT_REPORT (report + the host's certificate
 *    table), then SNP_GET_REPORT when the extended request is refused. The answer is
 *    MSG_REPORT_RSP (SEV-SNP Firmware ABI spec, "MSG_REPORT_RSP"): STATUS u32 at 0x00,
 *    REPORT_SIZE u32 at 0x04, the report at 0x20.
 *  - /dev/tdx_guest (linux/tdx-guest.h; older kernels /dev/tdx-guest): TDX_CMD_GET_REPORT0
 *    gives a TDREPORT, a local MAC-ed structure that only the quoting enclave can turn into
 *    a quote. teectl does not pretend: it says a quote needs configfs-tsm or a quote
 *    generation service (or --evidence-cmd). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "attester/internal.h"
#include "teectl/snp.h"

/* linux/tdx-guest.h is not in every libc headers package: the ABI, written out. */
struct att_tdx_report_req {
  uint8_t reportdata[64];
  uint8_t tdreport[1024];
};
#define ATT_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct att_tdx_report_req)

#define MSG_REPORT_RSP_REPORT_OFF 0x20

static tc_status report_from_resp(const struct snp_report_resp *resp, tc_evidence *out,
                                  tc_error *err) {
  uint32_t status, size;
  memcpy(&status, resp->data, 4);
  memcpy(&size, resp->data + 4, 4);
  if (status != 0)
    return tc_fail(err, TC_ERR_IO, "sev_guest_failed", "MSG_REPORT_RSP STATUS 0x%x", status);
  if (size != TC_SNP_REPORT_SIZE || MSG_REPORT_RSP_REPORT_OFF + size > sizeof resp->data)
    return tc_fail(err, TC_ERR_IO, "sev_guest_failed",
                   "MSG_REPORT_RSP REPORT_SIZE %u (expected 0x%x)", size, TC_SNP_REPORT_SIZE);
  out->evidence.data = malloc(size);
  if (!out->evidence.data)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SNP report");
  memcpy(out->evidence.data, resp->data + MSG_REPORT_RSP_REPORT_OFF, size);
  out->evidence.len = size;
  return TC_OK;
}

/* SNP_GET_EXT_REPORT; certificate buffer grown once to what the host asks for. Returns 0 on
 * success, else the errno (with *io filled for the detail). */
static int ext_report(int fd, struct snp_report_req *rq, struct snp_report_resp *resp,
                      tc_buf *certs, struct snp_guest_request_ioctl *io) {
  size_t cap = (size_t)4 * 4096;
  for (int round = 0; round < 2; round++) {
    uint8_t *buf = aligned_alloc(4096, cap);
    if (!buf)
      return ENOMEM;
    memset(buf, 0, cap);
    struct snp_ext_report_req ext = {
        .data = *rq, .certs_address = (uintptr_t)buf, .certs_len = (uint32_t)cap};
    memset(io, 0, sizeof *io);
    io->msg_version = 1;
    io->req_data = (uintptr_t)&ext;
    io->resp_data = (uintptr_t)resp;
    if (ioctl(fd, SNP_GET_EXT_REPORT, io) == 0) {
      certs->data = buf;
      certs->len = ext.certs_len <= cap ? ext.certs_len : cap;
      return 0;
    }
    int e = errno;
    free(buf);
    if (io->vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN && ext.certs_len > cap && round == 0 &&
        ext.certs_len <= (1u << 20)) {
      cap = (ext.certs_len + 4095u) & ~4095u;
      continue;
    }
    return e;
  }
  return EIO;
}

tc_status att_sev_guest(const tc_attester_opts *o, const char *dev, const uint8_t rd[64],
                        tc_evidence *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  int fd = open(dev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "sev_guest_failed", "open %s: %s", dev, strerror(errno));
  struct snp_report_req rq;
  memset(&rq, 0, sizeof rq);
  memcpy(rq.user_data, rd, 64);
  rq.vmpl = o->privlevel >= 0 ? (uint32_t)o->privlevel : 0;
  struct snp_report_resp *resp = calloc(1, sizeof *resp);
  if (!resp) {
    close(fd);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SNP report");
  }
  struct snp_guest_request_ioctl io;
  tc_status st;
  int e = ext_report(fd, &rq, resp, &out->aux, &io);
  if (e != 0) {
    /* No certificates from the host (or an old host): the plain report. */
    memset(&io, 0, sizeof io);
    io.msg_version = 1;
    io.req_data = (uintptr_t)&rq;
    io.resp_data = (uintptr_t)resp;
    if (ioctl(fd, SNP_GET_REPORT, &io) != 0) {
      st = tc_fail(err, TC_ERR_IO, "sev_guest_failed",
                   "%s: SNP_GET_EXT_REPORT: %s; SNP_GET_REPORT: %s (firmware error 0x%x, VMM "
                   "error 0x%x)",
                   dev, strerror(e), strerror(errno), io.fw_error, io.vmm_error);
      goto done;
    }
  }
  st = report_from_resp(resp, out, err);
  if (st == TC_OK) {
    snprintf(out->tee, sizeof out->tee, "snp");
    out->source = "sev-guest";
  }
done:
  free(resp);
  close(fd);
  if (st != TC_OK)
    tc_evidence_free(out);
  return st;
}

tc_status att_tdx_guest(const char *dev, const uint8_t rd[64], tc_error *err) {
  int fd = open(dev, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "tdx_quote_unavailable",
                   "open %s: %s; a TDX quote needs configfs-tsm (Linux 6.7+) or a quote "
                   "generation service (use --evidence-cmd)",
                   dev, strerror(errno));
  struct att_tdx_report_req rq;
  memset(&rq, 0, sizeof rq);
  memcpy(rq.reportdata, rd, 64);
  int r = ioctl(fd, ATT_TDX_CMD_GET_REPORT0, &rq);
  int e = errno;
  close(fd);
  if (r != 0)
    return tc_fail(err, TC_ERR_IO, "tdx_quote_unavailable",
                   "%s: TDX_CMD_GET_REPORT0: %s; a TDX quote needs configfs-tsm (Linux 6.7+) or "
                   "a quote generation service (use --evidence-cmd)",
                   dev, strerror(e));
  return tc_fail(err, TC_ERR_IO, "tdx_quote_unavailable",
                 "%s gives a TDREPORT only (1024 bytes, MAC-ed for this platform's quoting "
                 "enclave), which no verifier accepts: a TDX quote needs configfs-tsm (Linux "
                 "6.7+) or a quote generation service (use --evidence-cmd)",
                 dev);
}
