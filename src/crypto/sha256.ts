/** SHA-256: the content hash of payloads and canonical JSON records (what users check with `sha256sum`). */
export { sha256 } from '#crypto-backend';
