// Cognito's SRP (SRP-6a, as amazon-cognito-identity-js does it) with the browser's BigInt and WebCrypto:
// the page proves it knows the password without sending it. No library: the maths is short, and the
// same as local/srp.py (the local user pool's server side); tests/unit/web/test_srp_js.py checks both
// against vectors made with pycognito's AWSSRP.
//
//   const { a, A } = ephemeral();                       // InitiateAuth USER_SRP_AUTH with SRP_A = A
//   const signature = await passwordClaim({ poolId, userId, password, a, B, salt, secretBlock, timestamp });
//
// Numbers are hashed as "padded hex" (even length, 00 in front when the top bit is set).

const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
export const N = BigInt("0x" + N_HEX);
export const G = 2n;
const INFO = new TextEncoder().encode("Caldera Derived Key\u0001");
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  if (base < 0n) base += modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

export function padHex(value) {
  let text = typeof value === "bigint" ? value.toString(16) : String(value).toLowerCase();
  if (text.length % 2) return "0" + text;
  return "89abcdef".includes(text[0]) ? "00" + text : text;
}

function hexToBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function hashHex(hex) {
  return BigInt("0x" + bytesToHex(await sha256(hexToBytes(hex))));
}

async function hmac(keyBytes, message) {
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

function base64ToBytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** A fresh secret `a` (1024 random bits) and the public `A = g^a mod N`; `a` may be given (tests). */
export function ephemeral(a) {
  if (a === undefined) {
    const random = crypto.getRandomValues(new Uint8Array(128));
    a = BigInt("0x" + bytesToHex(random)) % N;
  }
  return { a, A: modPow(G, a, N) };
}

/** The 16-byte key: HKDF over S = (B - k g^x)^(a + u x) mod N. */
export async function passwordKey({ poolId, userId, password, a, B, salt }) {
  const bigB = typeof B === "bigint" ? B : BigInt("0x" + B);
  if (bigB % N === 0n) throw new Error("the server's B is not acceptable");
  const k = await hashHex("00" + N_HEX + "0" + G.toString(16));
  const A = modPow(G, a, N);
  const u = await hashHex(padHex(A) + padHex(bigB));
  if (u === 0n) throw new Error("the server's B is not acceptable");
  const poolName = poolId.split("_")[1];
  const inner = bytesToHex(await sha256(new TextEncoder().encode(`${poolName}${userId}:${password}`)));
  const x = await hashHex(padHex(salt) + inner);
  let base = (bigB - k * modPow(G, x, N)) % N;
  if (base < 0n) base += N;
  const S = modPow(base, a + u * x, N);
  const prk = await hmac(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  return (await hmac(prk, INFO)).slice(0, 16);
}

/** PASSWORD_CLAIM_SIGNATURE: base64 HMAC(key, poolName | userId | secret block | timestamp). */
export async function passwordClaim({ poolId, userId, password, a, B, salt, secretBlock, timestamp }) {
  const key = await passwordKey({ poolId, userId, password, a, B, salt });
  const encoder = new TextEncoder();
  const message = concat(
    encoder.encode(poolId.split("_")[1]),
    encoder.encode(userId),
    base64ToBytes(secretBlock),
    encoder.encode(timestamp),
  );
  return bytesToBase64(await hmac(key, message));
}

/** "Wed Dec 2 07:05:09 UTC 2026": the TIMESTAMP Cognito expects (UTC, day not zero-padded). */
export function cognitoTimestamp(date = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ${time} UTC ${date.getUTCFullYear()}`;
}
