// A minimal POSIX ustar writer and reader for update bundles (IEEE Std 1003.1 "pax" format, ustar
// header). Ours rather than a library because the bundle is flat (no directories, short names), the
// reader must run on a box with little RAM (it never loads a member into memory: members are hashed
// in chunks from the file), and the writer must be deterministic (fixed mtime/owner) so the same
// inputs give the same bundle bytes. Archives repacked with GNU or busybox tar are read too: "./"
// prefixes, directory entries and pax/GNU long-name records are understood or skipped.
import { closeSync, openSync, readSync, writeSync, fstatSync } from "node:fs";

const BLOCK = 512;

export interface TarInput {
  name: string;
  mode: number;
  /** Either a file on disk to copy in chunks, or bytes. */
  path?: string;
  data?: Uint8Array;
}

export interface TarMember { name: string; mode: number; size: number; offset: number }

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, mode: number, size: number, mtime: number): Uint8Array {
  const enc = new TextEncoder();
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) throw new Error(`tar: name too long: ${name}`);
  const h = new Uint8Array(BLOCK);
  const put = (off: number, s: string) => h.set(enc.encode(s), off);
  h.set(nameBytes, 0);
  put(100, octal(mode & 0o7777, 8));
  put(108, octal(0, 8)); // uid
  put(116, octal(0, 8)); // gid
  put(124, octal(size, 12));
  put(136, octal(mtime, 12));
  put(148, "        "); // checksum is computed with this field as spaces
  put(156, "0"); // regular file
  put(257, "ustar\0");
  put(263, "00");
  put(265, "root");
  put(297, "root");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** Writes a flat tar of `inputs` to `out`. `mtime` (seconds) is fixed for reproducible output. */
export function writeTar(out: string, inputs: TarInput[], mtime = 0): void {
  const fd = openSync(out, "w", 0o644);
  try {
    const buf = new Uint8Array(1 << 20);
    for (const input of inputs) {
      let size: number;
      let src: number | null = null;
      if (input.data) size = input.data.length;
      else if (input.path) { src = openSync(input.path, "r"); size = fstatSync(src).size; }
      else throw new Error(`tar: ${input.name} has no content`);
      writeSync(fd, header(input.name, input.mode, size, mtime));
      if (input.data) writeSync(fd, input.data);
      else {
        try {
          let done = 0;
          while (done < size) {
            const n = readSync(src!, buf, 0, Math.min(buf.length, size - done), done);
            if (n <= 0) throw new Error(`tar: ${input.path} shrank while being read`);
            writeSync(fd, buf, 0, n);
            done += n;
          }
        } finally { closeSync(src!); }
      }
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) writeSync(fd, new Uint8Array(pad));
    }
    writeSync(fd, new Uint8Array(BLOCK * 2)); // end-of-archive: two zero blocks
  } finally { closeSync(fd); }
}

function field(h: Uint8Array, off: number, len: number): string {
  const end = h.subarray(off, off + len).indexOf(0);
  return new TextDecoder().decode(h.subarray(off, end < 0 ? off + len : off + end));
}

function num(h: Uint8Array, off: number, len: number): number {
  if (h[off] & 0x80) { // GNU base-256 for large sizes
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + h[i];
    return v;
  }
  const s = field(h, off, len).trim();
  if (s !== "" && !/^[0-7]+$/.test(s)) throw new Error(`bad number field "${s}"`);
  return s === "" ? 0 : parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === num(h, 148, 8);
}

/** Lists the regular files of a tar on disk (name without "./", size, byte offset of the content). */
export function readTarIndex(path: string): TarMember[] {
  const fd = openSync(path, "r");
  try {
    const total = fstatSync(fd).size;
    const members: TarMember[] = [];
    const h = new Uint8Array(BLOCK);
    let pos = 0;
    let longName: string | null = null;
    for (;;) {
      if (pos + BLOCK > total) throw new Error("truncated archive (no end-of-archive blocks)");
      readSync(fd, h, 0, BLOCK, pos);
      if (h.every((b) => b === 0)) return members;
      if (!checksumOk(h)) throw new Error(`bad header checksum at byte ${pos}`);
      const size = num(h, 124, 12);
      const type = String.fromCharCode(h[156] || 48);
      const dataAt = pos + BLOCK;
      if (dataAt + size > total) throw new Error("truncated archive (member runs past the end)");
      const prefix = field(h, 345, 155);
      let name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = null;
      if (type === "L") { // GNU long name: the content is the next member's name
        const b = new Uint8Array(size);
        readSync(fd, b, 0, size, dataAt);
        longName = field(b, 0, size);
      } else if (type === "x") { // pax extended header: honour path=
        const b = new Uint8Array(size);
        readSync(fd, b, 0, size, dataAt);
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(b));
        if (m) longName = m[1];
      } else if (type === "0" || type === "7") {
        name = name.replace(/^(\.\/)+/, "");
        members.push({ name, mode: num(h, 100, 8), size, offset: dataAt });
      } // directories, links, global pax headers: not part of a bundle; skipped
      pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally { closeSync(fd); }
}

/** Reads a member's bytes (for small members such as the manifest). */
export function readMember(path: string, m: TarMember): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const b = new Uint8Array(m.size);
    readSync(fd, b, 0, m.size, m.offset);
    return b;
  } finally { closeSync(fd); }
}

/** Feeds a member's bytes to `sink` in 1 MiB chunks (hashing a 100 MB executable without holding it). */
export function streamMember(path: string, m: TarMember, sink: (chunk: Uint8Array) => void): void {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(1 << 20);
    let done = 0;
    while (done < m.size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, m.size - done), m.offset + done);
      if (n <= 0) throw new Error(`truncated member ${m.name}`);
      sink(buf.subarray(0, n));
      done += n;
    }
  } finally { closeSync(fd); }
}
