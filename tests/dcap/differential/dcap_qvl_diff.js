#!/usr/bin/env node
/* SPDX-License-Identifier: Apache-2.0 */
// Differential check: @phala/dcap-qvl (npm) beside teectl on every DCAP vector case.
//
// usage: node dcap_qvl_diff.js VECTORS_DCAP_DIR TEECTL_BIN
//   (run.sh beside this file installs the npm package into the build folder and calls this)
//
// For each case of INDEX.tsv both verifiers run offline at expected.json verify_at with the
// case's collateral: dcap-qvl's verify(quote, collateral, unix_seconds), and
// `teectl verify --format json --collateral CASE --at verify_at CASE/quote.bin`. Verdict,
// tcb_status and advisory IDs are compared. A disagreement is "explained" when expected.json
// `reference` records it (agrees_with_verdict_and_status false / divergence listed);
// anything else is unexplained and makes the exit status 1.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const qvl = require('@phala/dcap-qvl');

// The exact text of the value of top-level member `key` (strings and nesting respected).
function memberText(text, key) {
  const needle = JSON.stringify(key);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = text.slice(i, j + 1);
      i = j;
      if (depth === 1 && str === needle) {
        let k = i + 1;
        while (/\s/.test(text[k])) k++;
        if (text[k] !== ':') continue;
        k++;
        while (/\s/.test(text[k])) k++;
        let d = 0, start = k;
        for (; k < text.length; k++) {
          const ch = text[k];
          if (ch === '"') {
            k++;
            while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
          } else if (ch === '{' || ch === '[') d++;
          else if (ch === '}' || ch === ']') {
            d--;
            if (d === 0) return text.slice(start, k + 1);
          }
        }
      }
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  throw new Error(`member ${key} not found`);
}

function readOpt(dir, name) {
  const p = path.join(dir, name);
  return fs.existsSync(p) ? fs.readFileSync(p) : null;
}

function collateral(dir) {
  const tcb = fs.readFileSync(path.join(dir, 'tcb_info.json'), 'utf8');
  const qe = fs.readFileSync(path.join(dir, 'qe_identity.json'), 'utf8');
  let pckIssuer = readOpt(dir, 'pck_crl_issuer_chain.pem');
  if (!pckIssuer) {
    // the PCK CA and root from the quote's chain
    const chain = fs.readFileSync(path.join(dir, 'pck_chain.pem'), 'utf8');
    const certs = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g);
    pckIssuer = certs.slice(1).join('');
  }
  return {
    pck_crl_issuer_chain: pckIssuer.toString(),
    root_ca_crl: fs.readFileSync(path.join(dir, 'root_ca_crl.der')).toString('hex'),
    pck_crl: fs.readFileSync(path.join(dir, 'pck_crl.der')).toString('hex'),
    tcb_info_issuer_chain: fs.readFileSync(path.join(dir, 'tcb_info_issuer_chain.pem'), 'utf8'),
    tcb_info: memberText(tcb, 'tcbInfo'),
    tcb_info_signature: JSON.parse(tcb).signature,
    qe_identity_issuer_chain: fs.readFileSync(path.join(dir, 'qe_identity_issuer_chain.pem'), 'utf8'),
    qe_identity: memberText(qe, 'enclaveIdentity'),
    qe_identity_signature: JSON.parse(qe).signature,
  };
}

function runQvl(dir, at) {
  try {
    const r = qvl.verify(fs.readFileSync(path.join(dir, 'quote.bin')), collateral(dir), at);
    return { verdict: 'valid', status: r.status, advisory: [...r.advisory_ids].sort() };
  } catch (e) {
    return { verdict: 'invalid', status: null, advisory: null, why: String(e.message || e) };
  }
}

function runTeectl(bin, dir, atText) {
  let out;
  try {
    out = execFileSync(bin, ['verify', '--format', 'json', '--collateral', dir, '--at', atText,
      path.join(dir, 'quote.bin')], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    out = e.stdout;
  }
  const r = JSON.parse(out.toString());
  return {
    verdict: r.verdict, status: r.tcb_status || null,
    advisory: r.verdict === 'valid' ? [...(r.advisory_ids || [])].sort() : null, why: r.reason,
  };
}

function main() {
  const [dcapDir, bin] = process.argv.slice(2);
  if (!dcapDir || !bin) {
    console.error('usage: dcap_qvl_diff.js VECTORS_DCAP_DIR TEECTL_BIN');
    process.exit(2);
  }
  const names = fs.readFileSync(path.join(dcapDir, 'INDEX.tsv'), 'utf8').split('\n')
    .slice(1).filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]);
  let unexplained = 0;
  for (const name of names) {
    const dir = path.join(dcapDir, name);
    const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    const at = Date.parse(exp.verify_at) / 1000;
    const a = runQvl(dir, at), b = runTeectl(bin, dir, exp.verify_at);
    const same = a.verdict === b.verdict && a.status === b.status &&
      JSON.stringify(a.advisory) === JSON.stringify(b.advisory);
    const ref = exp.reference || {};
    const recorded = ref.agrees_with_verdict_and_status === false ||
      (Array.isArray(ref.divergence) && ref.divergence.length > 0);
    const teectlRight = b.verdict === exp.verdict && b.status === (exp.tcb_status || null);
    let tag = 'agree';
    if (!same) {
      if (recorded && teectlRight) tag = 'explained';
      else if (teectlRight && b.verdict === 'invalid' && a.verdict === 'invalid') tag = 'agree (reasons differ)';
      else { tag = 'UNEXPLAINED'; unexplained++; }
    }
    console.log(`${tag.padEnd(22)} ${name}`);
    console.log(`    dcap-qvl: ${a.verdict} ${a.status || '-'} ${a.advisory ? a.advisory.join(',') : ''} ${a.why ? '(' + a.why + ')' : ''}`);
    console.log(`    teectl:   ${b.verdict} ${b.status || '-'} ${b.advisory ? b.advisory.join(',') : ''} ${b.why ? '(' + b.why + ')' : ''}`);
    if (tag === 'explained')
      for (const d of ref.divergence || [ref.result]) console.log(`    recorded: ${typeof d === 'string' ? d : JSON.stringify(d)}`);
  }
  console.log(unexplained ? `${unexplained} unexplained disagreement(s)` : 'no unexplained disagreements');
  process.exit(unexplained ? 1 : 0);
}

main();
