/**
 * An independent check of the macOS executables `npm run package` makes
 * (no Mac here to run them): a 64-bit Mach-O whose ad-hoc code signature sits at
 * the end of __LINKEDIT and whose CodeDirectory page hashes match the file,
 * with the SEA blob in its own NODE_SEA segment and the SEA fuse flipped.
 * That is what macOS checks before running an ad-hoc signed arm64 binary.
 */
import {createHash} from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_ADHOC = 0x2;
const CS_HASHTYPE_SHA256 = 2;

export interface MachoSignature {
  cpu: 'arm64' | 'x86_64' | string;
  segments: {name: string; fileoff: number; filesize: number}[];
  identifier: string;
  adhoc: boolean;
  pageSize: number;
  codeLimit: number;
  pages: number;
  /** pages whose hash does not match the file */
  badPages: number[];
  signatureOffset: number;
  signatureSize: number;
  seaFuseFlipped: boolean;
}

function cstring(buf: Buffer, start: number, max = 256): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 ? start + max : Math.min(end, start + max));
}

export function inspectMacho(file: Buffer): MachoSignature {
  if (file.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file');
  const cputype = file.readUInt32LE(4);
  const ncmds = file.readUInt32LE(16);
  const segments: MachoSignature['segments'] = [];
  let sig: {off: number; size: number} | undefined;
  let p = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = file.readUInt32LE(p);
    const size = file.readUInt32LE(p + 4);
    if (cmd === LC_SEGMENT_64) {
      segments.push({name: cstring(file, p + 8, 16), fileoff: Number(file.readBigUInt64LE(p + 40)), filesize: Number(file.readBigUInt64LE(p + 48))});
    } else if (cmd === LC_CODE_SIGNATURE) {
      sig = {off: file.readUInt32LE(p + 8), size: file.readUInt32LE(p + 12)};
    }
    p += size;
  }
  if (!sig) throw new Error('no LC_CODE_SIGNATURE');
  const blob = file.subarray(sig.off, sig.off + sig.size);
  if (blob.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE) throw new Error('no embedded signature SuperBlob');
  const count = blob.readUInt32BE(8);
  let cdOffset = -1;
  for (let i = 0; i < count; i++) {
    const type = blob.readUInt32BE(12 + i * 8);
    const offset = blob.readUInt32BE(16 + i * 8);
    if (type === 0) cdOffset = offset;
  }
  if (cdOffset < 0) throw new Error('no CodeDirectory');
  const cd = blob.subarray(cdOffset);
  if (cd.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) throw new Error('bad CodeDirectory magic');
  const flags = cd.readUInt32BE(12);
  const hashOffset = cd.readUInt32BE(16);
  const identOffset = cd.readUInt32BE(20);
  const nCodeSlots = cd.readUInt32BE(28);
  const codeLimit = cd.readUInt32BE(32);
  const hashSize = cd.readUInt8(36);
  const hashType = cd.readUInt8(37);
  const pageSize = 2 ** cd.readUInt8(39);
  if (hashType !== CS_HASHTYPE_SHA256 || hashSize !== 32) throw new Error(`hash type ${hashType}/${hashSize}, expected SHA-256`);
  const badPages: number[] = [];
  for (let i = 0; i < nCodeSlots; i++) {
    const page = file.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    const want = cd.subarray(hashOffset + i * hashSize, hashOffset + (i + 1) * hashSize);
    if (!createHash('sha256').update(page).digest().equals(want)) badPages.push(i);
  }
  return {
    cpu: cputype === 0x0100000c ? 'arm64' : cputype === 0x01000007 ? 'x86_64' : `0x${cputype.toString(16)}`,
    segments,
    identifier: cstring(cd, identOffset),
    adhoc: (flags & CS_ADHOC) !== 0,
    pageSize,
    codeLimit,
    pages: nCodeSlots,
    badPages,
    signatureOffset: sig.off,
    signatureSize: sig.size,
    seaFuseFlipped: file.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'),
  };
}
