import { crc32, inflateRawSync } from 'node:zlib';

/**
 * The parts of the ZIP format needed to read one entry of a remote archive with ranged reads:
 * the end-of-central-directory record (and its ZIP64 form), the central directory, and one
 * local header with its data. Pure functions over byte windows `[start, start + bytes.length)`
 * of an archive of `size` bytes; when a window is too short they say which offset they need.
 */

const sig = { end: 0x06054b50, end64: 0x06064b50, locator64: 0x07064b50, central: 0x02014b50, local: 0x04034b50 } as const;
export const endRecordSize = 22;
const maxComment = 0xffff;
const locator64Size = 20;
const end64Size = 56;

/** The archive is not one sgn can read: the message says why, in the words Python's zipfile uses where it has some. */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

/** Bytes `[start, start + bytes.length)` of an archive. */
export interface Window {
  start: number;
  bytes: Buffer;
}

export interface CentralDirectory {
  /** Absolute offset of the first central directory header. */
  offset: number;
  size: number;
  entries: number;
  /** Bytes before the archive proper (a prepended stub): added to every offset, as zipfile does. */
  shift: number;
}

export interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Absolute offset of the entry's local header (shift applied). */
  localOffset: number;
}

/** The first offset the window must reach back to before `locateCentralDirectory` can answer. */
export type Located = { ok: true; cd: CentralDirectory } | { ok: false; needFrom: number };

const u64 = (b: Buffer, at: number): number => {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('ZIP64 offset too large');
  return Number(v);
};

/**
 * Finds the central directory from a window that ends at the end of the archive. Answers
 * `needFrom` when the end record, the ZIP64 record or the directory itself starts before the window.
 */
export function locateCentralDirectory(w: Window, size: number): Located {
  if (w.start + w.bytes.length !== size) throw new Error('the window must end at the end of the archive');
  if (size < endRecordSize) throw new ZipFormatError('File is not a zip file');
  const b = w.bytes;
  let at = -1;
  for (let i = b.length - endRecordSize; i >= 0; i--) {
    // The record's comment must fit before the end of the file.
    if (b.readUInt32LE(i) === sig.end && i + endRecordSize + b.readUInt16LE(i + 20) <= b.length) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const furthest = Math.max(0, size - endRecordSize - maxComment);
    if (w.start > furthest) return { ok: false, needFrom: furthest };
    throw new ZipFormatError('File is not a zip file');
  }
  const endAbs = w.start + at;
  let entries = b.readUInt16LE(at + 10);
  let cdSize = b.readUInt32LE(at + 12);
  let cdOffset = b.readUInt32LE(at + 16);
  let recordAbs = endAbs;
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAbs = endAbs - locator64Size;
    if (locAbs >= 0) {
      if (locAbs < w.start) return { ok: false, needFrom: locAbs };
      const l = locAbs - w.start;
      if (b.readUInt32LE(l) === sig.locator64) {
        // As Python's zipfile: the record sits right before the locator (its stored offset
        // is wrong in an archive with bytes prepended).
        const recAbs = locAbs - end64Size;
        if (recAbs < 0) throw new ZipFormatError('Corrupt zip64 end of central directory locator');
        if (recAbs < w.start) return { ok: false, needFrom: recAbs };
        const r = recAbs - w.start;
        if (b.readUInt32LE(r) !== sig.end64) throw new ZipFormatError('Corrupt zip64 end of central directory record');
        entries = u64(b, r + 32);
        cdSize = u64(b, r + 40);
        cdOffset = u64(b, r + 48);
        recordAbs = recAbs;
      }
    }
  }
  const shift = recordAbs - cdSize - cdOffset;
  if (shift < 0) throw new ZipFormatError('Bad offset for central directory');
  const offset = cdOffset + shift;
  if (offset < w.start) return { ok: false, needFrom: offset };
  return { ok: true, cd: { offset, size: cdSize, entries, shift } };
}

/** Reads the central directory headers from a window that holds all of the directory. */
export function readCentralDirectory(w: Window, cd: CentralDirectory): CentralEntry[] {
  const b = w.bytes;
  let p = cd.offset - w.start;
  const end = p + cd.size;
  if (p < 0 || end > b.length) throw new Error('the window must hold the central directory');
  const out: CentralEntry[] = [];
  while (p < end) {
    if (p + 46 > end || b.readUInt32LE(p) !== sig.central) throw new ZipFormatError('Bad magic number for central directory');
    const flags = b.readUInt16LE(p + 8);
    const nameLength = b.readUInt16LE(p + 28);
    const extraLength = b.readUInt16LE(p + 30);
    const commentLength = b.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength > end) throw new ZipFormatError('Truncated central directory');
    const nameBytes = b.subarray(p + 46, p + 46 + nameLength);
    // Bit 11: UTF-8 names; else CP437, which matches UTF-8 for the ASCII names artifacts use.
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    let compressedSize = b.readUInt32LE(p + 20);
    let size = b.readUInt32LE(p + 24);
    let localOffset = b.readUInt32LE(p + 42);
    // ZIP64 extra field: the 64-bit values of the fields set to 0xffffffff, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = b.readUInt16LE(e);
      const len = b.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) throw new ZipFormatError('Corrupt extra field 0001');
          const v = u64(b, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + len;
    }
    out.push({ name, method: b.readUInt16LE(p + 10), flags, crc: b.readUInt32LE(p + 16), compressedSize, size, localOffset: localOffset + cd.shift });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** How many bytes from the local header on are enough to hold the entry (the local extra field may differ from the central one). */
export function entrySpan(entry: CentralEntry, localExtraGuess = 64): number {
  return 30 + Buffer.byteLength(entry.name) + localExtraGuess + entry.compressedSize;
}

export type EntryData = { ok: true; data: Buffer } | { ok: false; needTo: number };

/**
 * Reads an entry's data from a window that starts at its local header: stored or deflated,
 * checked against its CRC-32. Answers `needTo` (an absolute end offset) when the window is short.
 */
export function readEntry(w: Window, entry: CentralEntry, maxSize: number): EntryData {
  const b = w.bytes;
  const p = entry.localOffset - w.start;
  if (p < 0) throw new Error('the window must start at or before the local header');
  if (p + 30 > b.length) return { ok: false, needTo: entry.localOffset + 30 };
  if (b.readUInt32LE(p) !== sig.local) throw new ZipFormatError('Bad magic number for file header');
  if (entry.flags & 0x1) throw new ZipFormatError(`${entry.name} is encrypted`);
  if (entry.size > maxSize || entry.compressedSize > maxSize) throw new ZipFormatError(`${entry.name} is ${entry.size} bytes, more than ${maxSize}`);
  const dataStart = p + 30 + b.readUInt16LE(p + 26) + b.readUInt16LE(p + 28);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > b.length) return { ok: false, needTo: w.start + dataEnd };
  const packed = b.subarray(dataStart, dataEnd);
  let data: Buffer;
  if (entry.method === 0) data = Buffer.from(packed);
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(packed, { maxOutputLength: Math.max(1, maxSize) });
    } catch (e) {
      throw new ZipFormatError(`${entry.name} does not inflate: ${(e as Error).message}`);
    }
  } else throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}, which sgn does not read`);
  if (data.length !== entry.size) throw new ZipFormatError(`${entry.name} inflates to ${data.length} bytes, not ${entry.size}`);
  if (crc32(data) !== entry.crc) throw new ZipFormatError(`Bad CRC-32 for file '${entry.name}'`);
  return { ok: true, data };
}
