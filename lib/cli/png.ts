/**
 * A minimal RGBA raster and its PNG encoding (pngjs), for the attention-map pictures.
 */
import { PNG } from 'pngjs';

/** Width × height RGBA pixels, row-major. */
export class Raster {
  readonly data: Uint8Array;

  /** A raster filled with one opaque colour. */
  constructor(readonly width: number, readonly height: number, background: readonly [number, number, number] = [255, 255, 255]) {
    this.data = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) this.data.set([background[0], background[1], background[2], 255], p * 4);
  }

  /** Paints one pixel (ignored outside the raster, so shapes may be clipped freely). */
  set(x: number, y: number, rgb: readonly [number, number, number]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set([rgb[0], rgb[1], rgb[2], 255], (y * this.width + x) * 4);
  }

  /** Fills the rectangle [x, x+w) × [y, y+h). */
  fillRect(x: number, y: number, w: number, h: number, rgb: readonly [number, number, number]): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.set(xx, yy, rgb);
  }

  /** A filled disc with a ring around it (the ring keeps the marker visible on any background). */
  dot(cx: number, cy: number, radius: number, fill: readonly [number, number, number], ring: readonly [number, number, number]): void {
    const outer = radius + 1.5;
    for (let y = Math.floor(cy - outer); y <= Math.ceil(cy + outer); y++) {
      for (let x = Math.floor(cx - outer); x <= Math.ceil(cx + outer); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        if (d <= radius) this.set(x, y, fill);
        else if (d <= outer) this.set(x, y, ring);
      }
    }
  }

  /** The PNG file's bytes: 8-bit RGB (every pixel is opaque, so no alpha channel is stored). */
  encode(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 9 });
  }
}
