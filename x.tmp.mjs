import sharp from 'sharp';
import image from './dist/npm/image/index.js';
const s = Object.keys(sharp).filter((k) => !k.startsWith('_'));
console.log('sharp statics:', s.join(' '));
console.log('ours:', Object.keys(image).join(' '));
console.log('missing:', s.filter((k) => !(k in image)).join(' '));
