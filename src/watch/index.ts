export { Posture, objectKey, type ObjectChange, type PostureDelta, type PostureOptions } from './posture.js';
