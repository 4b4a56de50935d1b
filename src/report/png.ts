/** SVG → PNG through sharp (libvips renders SVG with librsvg; text needs a fontconfig `sans-serif` font). */
import sharp from 'sharp';

/** Rasterise an SVG document at `scale` × its own size (72 dpi is 1 px per SVG unit). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background: '#ffffff' }).png().toBuffer();
}
