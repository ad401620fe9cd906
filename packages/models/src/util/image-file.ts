import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { InvalidInputError } from './errors';
import { decodePng, FloatImage } from './png';

/** Decode a PNG or JPEG file to float RGB in [0, 1] (by content, not by extension). */
export function readImageFile(file: string): FloatImage {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new InvalidInputError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such image file' : (err as Error).message}`, 'E_IMAGE');
  }
  try {
    if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return decodePng(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      const out = new Float32Array(img.width * img.height * 3);
      for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * 4 + c]! / 255;
      return { width: img.width, height: img.height, channels: 3, data: out };
    }
  } catch (err) {
    throw new InvalidInputError(`${file}: cannot decode image (${(err as Error).message})`, 'E_IMAGE');
  }
  throw new InvalidInputError(`${file}: not a PNG or JPEG image (${path.extname(file) || 'no extension'})`, 'E_IMAGE');
}
