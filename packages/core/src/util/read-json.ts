import * as fs from 'node:fs';
import { readRegularFile, UnsafeFileError } from '@repscope/models';

/**
 * Run and sweep folders are untrusted input too (people share them, and anything can sit in
 * them): their files are read as regular files only, never past this cap, and a file that is
 * not what it should be makes its folder unreadable with the reason — never a hang, a
 * multi-gigabyte read or an exception.
 */
export const MAX_FOLDER_FILE_BYTES = 16 * 1024 * 1024;

export interface FolderFileRead<T> {
  /** Absent when the file is missing or has a problem. */
  value?: T;
  /** Why an existing file could not be used (a FIFO, a device, too large, not JSON, …). */
  problem?: string;
}

/** A run or sweep folder's text file, capped; missing is neither value nor problem. */
export function readFolderText(file: string): FolderFileRead<string> {
  if (!fs.existsSync(file)) return {};
  try {
    return { value: readRegularFile(file, MAX_FOLDER_FILE_BYTES, 'run or sweep folder file').toString('utf8') };
  } catch (err) {
    if (err instanceof UnsafeFileError) return { problem: err.message };
    return { problem: `${file}: ${(err as Error).message}` };
  }
}

/** A run or sweep folder's JSON object file (see readFolderText). */
export function readFolderJson(file: string): FolderFileRead<Record<string, unknown>> {
  const text = readFolderText(file);
  if (text.value === undefined) return { problem: text.problem };
  try {
    const value = JSON.parse(text.value) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return { value: value as Record<string, unknown> };
    return { problem: `${file}: expected a JSON object` };
  } catch (err) {
    return { problem: `${file}: not valid JSON (${(err as Error).message})` };
  }
}

/** A JSON file's top-level object, or undefined when it is missing, unsafe, not JSON or not an object. */
export function readJsonObjectIfAny(file: string): Record<string, unknown> | undefined {
  return readFolderJson(file).value;
}
